"""Map figures: display-layer build, payload sizes, per-rerun cost (the browser's figures: ``bench_map_browser.py``).

    python bench/bench_map.py              # uses the current cache (PTCE_GEO_DATA_DIR or data/)

Payloads: the standalone HTML of the map, and what streamlit-folium sends to the browser per
rerun (its component arguments as JSON): the France-wide view and the view around a territory (its
EPCI and their neighbours, the territory's commune outlines as dynamic feature groups), and the
server-side time from a drawn polygon to its diagnostic.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.getLogger("streamlit").setLevel(logging.ERROR)

import pandas as pd  # noqa: E402
import streamlit_folium  # noqa: E402

from ptce_geo import mapping  # noqa: E402
from ptce_geo.diagnostic import diagnose  # noqa: E402
from ptce_geo.display import epci_display, load_epci_display  # noqa: E402
from ptce_geo.indicators import indicator  # noqa: E402
from ptce_geo.national_layer import layer_asset, zone_extents  # noqa: E402
from ptce_geo.reference import load_reference  # noqa: E402
from ptce_geo.territory import TerritoryDefinition, build_territory  # noqa: E402

OUTLINE_BUDGET = 600_000  # ui.maps.OUTLINE_BUDGET: commune outlines heavier than this are not sent
TERRITORIES = {
    "Amiens + Val de Somme": ["248000531", "248000499"],
    "Grand Paris + Bordeaux + Lyon": ["200054781", "243300316", "200046977"],
}


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def component_args(m, groups=None) -> dict:
    """The arguments st_folium sends to the browser (captured instead of rendering a component)."""
    captured = {}
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: captured.update(kwargs) or kwargs.get("default")
    try:
        streamlit_folium.st_folium(m, key="bench", returned_objects=["last_object_clicked_tooltip", "all_drawings"],
                                   feature_group_to_add=groups)
    finally:
        streamlit_folium._component_func = original
    captured.pop("on_change", None)
    return captured


def mb(n: int) -> str:
    return f"{n / 1e6:6.2f} MB"


def static_figures() -> None:
    t, ref = timed(load_reference, 1)
    print(f"reference loaded                     {t:6.2f} s  ({len(ref.epci)} EPCI, {len(ref.communes)} communes)")
    t, frame = timed(lambda: epci_display(ref.epci, ref.communes), 1)
    print(f"EPCI display layer (coverage 500 m)  {t:6.2f} s  (done at cache build; vertices "
          f"{int(frame.geometry.count_coordinates().sum()):,} vs {int(ref.epci.geometry.count_coordinates().sum()):,})")
    t, display = timed(lambda: load_epci_display(ref), 3)
    print(f"EPCI display layer read + GeoJSON    {t:6.2f} s")
    assets = mapping.Assets.local()
    t, asset = timed(lambda: layer_asset(display), 3)
    print(f"EPCI outlines file (static/layers/)   {t:6.2f} s  {mb(len(asset))}, fetched once by the browser")
    t, zones = timed(lambda: zone_extents(ref.communes), 3)
    print(f"extents of metropole and each DROM   {t:6.2f} s")
    for ind_id in (None, "densite_pop", "taux_chomage"):
        ind = indicator(ind_id) if ind_id else None
        if ind is not None and not ref.available(ind):
            continue
        t, layer = timed(lambda ind=ind: mapping.choropleth(display, ind, ref.level("epci")[ind.id] if ind else None,
                                                             ref.source_of(ind) if ind else ("", "")), 3)
        m = mapping.epci_map(display, assets, layer)
        page = m.get_root().render().encode()
        args = json.dumps(component_args(mapping.epci_map(display, assets, layer))).encode()
        print(f"France EPCI map [{ind_id or 'contours'}]: choropleth {t * 1000:5.0f} ms, HTML {mb(len(page))}, "
              f"st_folium payload {mb(len(args))}")
        light = mapping.choropleth(display, ind, ref.level("epci")[ind.id] if ind else None, ref.source_of(ind) if ind else ("", ""),
                                   geometry=False)
        args = json.dumps(component_args(mapping.epci_map(display, assets, light, layer_url="/app/static/layers/epci.json",
                                                          zones=zones))).encode()
        print(f"  the same with the outlines in the static file (as the app does): st_folium payload {mb(len(args))}")
    ind = indicator("densite_pop")
    values, source = ref.level("epci")[ind.id], ref.source_of(ind)
    layer = mapping.choropleth(display, ind, values, source)
    somme = sorted(ref.communes.loc[ref.communes["code_dep"] == "80", "code_epci"].dropna().unique())
    for name, codes in {**TERRITORIES, "every EPCI of the Somme département": somme}.items():
        territory_views(ref, display, assets, layer, name, codes, values, source)
    drawing = {"type": "Polygon", "coordinates": [[[2.2, 49.8], [2.5, 49.8], [2.5, 50.0], [2.2, 50.0], [2.2, 49.8]]]}
    build_territory(ref, TerritoryDefinition(communes=[ref.communes.index[0]]))  # warm the spatial index (done at app start)
    diagnose(ref, build_territory(ref, TerritoryDefinition(communes=[ref.communes.index[0]])))
    t, diag = timed(lambda: diagnose(ref, build_territory(ref, TerritoryDefinition(polygon=drawing))), 5)
    print(f"drawn polygon -> territory + diagnostic (server side, warm)  {t * 1000:5.0f} ms  ({diag.overview['communes']} communes)")


def territory_views(ref, display, assets, france_layer, name, codes, values, source) -> None:
    """Payload of a rerun after a change: France-wide view vs the view around the territory."""
    members = ref.communes[ref.communes["code_epci"].isin(codes)]
    t_out, lines = timed(lambda: mapping.light_outlines(members.geometry), 3)
    area, _ = mapping.view_area(display, members.bounds.to_numpy())
    near = mapping.choropleth(display, indicator("densite_pop"), values, source, codes=area)

    def rerun(layer):
        m = mapping.epci_map(display, assets, layer, view=mapping.view_for(tuple(members.total_bounds)))
        outlines = mapping.outline_layer(lines)
        light = sum(len(child.data) for child in outlines._children.values()) <= OUTLINE_BUDGET  # as ui.maps does
        groups = [outlines] if light else []
        groups += [mapping.selection_layer(display, list(codes)), mapping.drawing_layer(None)]
        return component_args(m, groups)

    for label, layer in (("France view", france_layer), (f"territory view ({len(area)} EPCI drawn)", near)):
        t, args = timed(lambda layer=layer: rerun(layer), 3)
        fg = len((args.get("feature_group") or "").encode())
        print(f"{name} ({len(codes)} EPCI, {len(members)} communes), {label}: payload {mb(len(json.dumps(args).encode()))} "
              f"(feature groups {mb(fg)}), build + st_folium {t * 1000:4.0f} ms; outlines {t_out * 1000:.0f} ms")
    m = mapping.category_map(lines, members["nom"], pd.Series(4, index=members.index), {4: "niveau"}, {4: "#41b6c4"}, assets, "Densité")
    print(f"{name}: density-level map of the Diagnostic page {mb(len(json.dumps(component_args(m)).encode()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    static_figures()


if __name__ == "__main__":
    main()
