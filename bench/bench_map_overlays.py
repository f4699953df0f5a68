"""Bytes the map overlays add: EPCI names (France), commune names and marks of a few territories, the inlined JS.

    python bench/bench_map_overlays.py     # uses the current cache (PTCE_GEO_DATA_DIR or data/)

Each payload is the text the element writes into the page (what streamlit-folium sends), compared with the
France-wide EPCI map of the same cache. Also times building the EPCI label points (done once per process).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402

from ptce_geo import map_overlays as mo  # noqa: E402
from ptce_geo import mapping  # noqa: E402
from ptce_geo._leaflet import _LABELS_JS, _PATTERNS_JS  # noqa: E402
from ptce_geo.display import load_epci_display  # noqa: E402
from ptce_geo.reference import load_reference  # noqa: E402
from ptce_geo.territory import TerritoryDefinition, build_territory  # noqa: E402

# name: (EPCI, excluded communes, polygon box or None)
TERRITORIES = {
    "Bordeaux Métropole, 1 exclue, polygone": (["243300316"], ["33487"], (-0.62, 44.80, -0.52, 44.88)),
    "Métropole du Grand Paris": (["200054781"], [], None),
    "CC du Thouarsais": (["247900798"], [], None),
}


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def main() -> None:
    ref = load_reference()
    display = load_epci_display(ref)
    france = size(mapping.epci_map(display, mapping.Assets.local()).get_root().render())
    started = time.perf_counter()
    points = mo.label_points(display.frame.geometry)
    built = time.perf_counter() - started
    rows = mo.label_rows(points, display.frame["nom"].map(mo.short_epci_name), ref.epci["population"])
    epci = size(mo.epci_labels(rows).rows)
    print(f"France-wide EPCI map (no overlay)        {france:>10,} B")
    print(f"EPCI names, {len(rows)} rows                 {epci:>10,} B  ({epci / france:.1%} of the map; points in {built:.2f} s)")
    print(f"inlined JS: labels / patterns            {size(_LABELS_JS):>6,} / {size(_PATTERNS_JS):,} B")
    for name, (codes, excluded, box) in TERRITORIES.items():
        polygon = shapely.geometry.mapping(shapely.box(*box)) if box else None
        territory = build_territory(ref, TerritoryDefinition(epci=codes, exclude=excluded, polygon=polygon))
        members, cut = list(territory.communes.index), list(territory.edge.index)
        named = mo.named_communes(ref.communes, members, [*cut, *excluded])
        outlines = mapping.light_outlines(ref.communes.geometry.reindex(named))
        label_rows = mo.label_rows(mo.label_points(outlines, 0.002), ref.communes["nom"], ref.communes["population"])
        names = size(mo.commune_labels(label_rows).rows)
        layer = mo.marked_communes_layer(mapping.light_outlines(ref.communes.geometry.reindex(excluded)),
                                         mapping.light_outlines(ref.communes.geometry.reindex(cut)))
        marks = sum(size(getattr(child, "data", "")) for child in layer._children.values())
        print(f"{name}: {len(members)} communes, {len(named)} named -> names {names:,} B; "
              f"{len(excluded)} excluded + {len(cut)} cut outlined -> {marks:,} B")


if __name__ == "__main__":
    main()
