"""Benchmark: drawn polygon -> full diagnostic, against the straightforward overlay + groupby approach.

Three polygons on all of France with real indicators loaded: a drawn 24-vertex polygon of about
300 communes around Amiens, the Hauts-de-France région (its dissolved outline grown by 500 m) and
the exact outline of the CA Amiens Métropole (its communes dissolved, no buffer: edge cases).
Timed (median of several runs, data load and the one-off spatial index excluded):

* ours: ``build_territory`` (STRtree, exact overlay only at the edge) + ``diagnose`` (everything:
  summary with comparisons, EPCI parts, disparities, rural/urban, alerts, per-commune table);
* straightforward: ``geopandas.overlay`` of the polygon with every commune (pre-projected to
  Lambert-93 outside the timing), area shares, then pandas ``groupby`` sums for the territory and
  its EPCI parts (ratios from sums, weighted medians by sort + cumsum) — fewer outputs than ours.

Both selections and the shares of the cut communes must agree. Targets: 150 ms (300 communes,
one EPCI) and 1.5 s (région).

    python bench/bench_diagnostic.py [--data-dir DIR] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/bench_diagnostic.py`

from ptce_geo._spatial import commune_index
from ptce_geo.diagnostic import diagnose
from ptce_geo.indicators import INDICATORS
from ptce_geo.reference import Reference, load_reference
from ptce_geo.territory import TerritoryDefinition, build_territory

__all__ = ["main"]

TARGETS = {"drawn": 0.150, "region": 1.5, "epci_exact": 0.150}


def _timed(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def drawn_polygon(radius_km: float = 29.0, vertices: int = 24) -> dict:
    """A hand-drawn-like polygon (irregular radius) around Amiens, in EPSG:4326."""
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    wobble = 1 + 0.12 * np.sin(3 * angles)
    x = 648_000 + radius_km * 1000 * wobble * np.cos(angles)
    y = 6_977_000 + radius_km * 1000 * wobble * np.sin(angles)
    ring = gpd.GeoSeries([shapely.Polygon(np.column_stack([x, y]))], crs=2154).to_crs(4326).iloc[0]
    return shapely.geometry.mapping(ring)


def region_polygon(ref: Reference, code: str = "32") -> dict:
    members = ref.communes[(ref.communes["code_reg"] == code) & ref.communes.geometry.notna()]
    outline = gpd.GeoSeries([shapely.union_all(members.geometry.to_numpy())], crs=4326).to_crs(2154).buffer(500).to_crs(4326)
    return shapely.geometry.mapping(outline.iloc[0])


def epci_outline(ref: Reference, code: str = "248000531") -> dict:
    """The exact dissolved outline of an EPCI's communes, no buffer (neighbours touch it)."""
    members = ref.communes[(ref.communes["code_epci"] == code) & ref.communes.geometry.notna()]
    return shapely.geometry.mapping(shapely.union_all(members.geometry.to_numpy()))


def straightforward(ref: Reference, communes_l93: gpd.GeoDataFrame, polygon: dict,
                    min_share: float = 0.5) -> tuple[pd.Index, pd.DataFrame, pd.Series]:
    """Overlay with all communes, shares, then groupby: the approach a first version would take."""
    shape = gpd.GeoDataFrame(geometry=[shapely.geometry.shape(polygon)], crs=4326).to_crs(2154)
    pieces = gpd.overlay(communes_l93, shape, how="intersection", keep_geom_type=True)
    whole = communes_l93.set_index("code_commune").area
    share = pieces.area.to_numpy() / whole.reindex(pieces["code_commune"]).to_numpy()
    shares = pd.Series(share, index=pieces["code_commune"].to_numpy())
    selected = pd.Index(pieces.loc[share >= min_share, "code_commune"].unique()).sort_values()
    table = ref.variables.loc[selected].assign(code_epci=ref.communes.loc[selected, "code_epci"].fillna(""), tout="territoire")
    frames = []
    for key in ("tout", "code_epci"):
        out = {}
        for ind in INDICATORS:
            if not all(v in table for v in ind.variables):
                continue  # the embedded default has no INSEE indicators
            if ind.kind == "median":
                ordered = table.dropna(subset=[ind.numerator, ind.weight]).sort_values([key, ind.numerator])
                cum = ordered.groupby(key)[ind.weight].cumsum()
                half = ordered.groupby(key)[ind.weight].transform("sum") / 2
                out[ind.id] = ordered[cum >= half].groupby(key)[ind.numerator].first()
            elif ind.kind == "count":
                out[ind.id] = table.groupby(key)[ind.numerator].sum()
            else:
                both = table.dropna(subset=[ind.numerator, ind.denominator])
                sums = both.groupby(key)[[ind.numerator, ind.denominator]].sum()
                out[ind.id] = sums[ind.numerator] / sums[ind.denominator] * ind.scale
        frames.append(pd.DataFrame(out))
    return selected, pd.concat(frames), shares


def run_case(ref: Reference, communes_l93: gpd.GeoDataFrame, name: str, polygon: dict, runs: int) -> None:
    definition = TerritoryDefinition(polygon=polygon)
    t_build, territory = _timed(lambda: build_territory(ref, definition), runs)
    t_diag, _ = _timed(lambda: diagnose(ref, territory), runs)
    t_full, diag = _timed(lambda: diagnose(ref, build_territory(ref, definition)), runs)
    t_naive, (selected, naive, shares) = _timed(lambda: straightforward(ref, communes_l93, polygon), max(1, runs // 2))
    t_union, _ = _timed(lambda: shapely.union_all(territory.communes.geometry.dropna().to_numpy()), 1)
    same = selected.equals(territory.communes.index.sort_values())
    ours = pd.concat([territory.communes["part_surface"], territory.edge["part_surface"]])
    ours = ours[~ours.index.duplicated()].reindex(shares.index[shares > 0.005]).fillna(0.0)
    gap = float((ours - shares.reindex(ours.index)).abs().max())
    rate = naive.loc["territoire", "taux_chomage"] if "taux_chomage" in naive else float("nan")
    agree = np.isclose(rate, diag.summary.at["taux_chomage", "valeur_territoire"], equal_nan=True)
    target = TARGETS[name]
    print(f"\n{name}: {len(territory.communes)} communes, {len(territory.edge)} cut by the edge, {diag.overview['epci']} EPCI")
    print(f"  ours   build_territory {t_build * 1000:8.1f} ms   diagnose {t_diag * 1000:8.1f} ms   "
          f"together {t_full * 1000:8.1f} ms  (target {target * 1000:.0f} ms: {'OK' if t_full <= target else 'MISSED'})")
    print(f"  straightforward overlay + groupby        {t_naive * 1000:8.1f} ms")
    print(f"  ratio straightforward / ours: selection {t_naive / t_build:5.1f}x, whole {t_naive / t_full:5.1f}x "
          f"(ours also computes disparities, rural/urban, alerts, per-commune table)")
    print(f"  same communes: {same}; largest share gap {100 * gap:.4f} points; same unemployment rate: {bool(agree)}")
    print(f"  outline union (lazy, for exports/maps) {t_union * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="cache with all of France loaded (default: data/ or $PTCE_GEO_DATA_DIR)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    ref = load_reference(args.data_dir)
    print(f"load_reference {time.perf_counter() - start:.2f} s: {len(ref.communes)} communes, "
          f"{len(ref.missing_indicators())} indicators missing, geography {ref.geography_vintage}")
    start = time.perf_counter()
    commune_index(ref)
    print(f"spatial index (once per reference) {(time.perf_counter() - start) * 1000:.0f} ms")
    metro = ref.communes[ref.communes.geometry.notna() & ~ref.communes.index.str.startswith("97")]
    communes_l93 = metro[["geometry"]].reset_index().to_crs(2154)
    diagnose(ref, build_territory(ref, TerritoryDefinition(polygon=drawn_polygon())))  # warm caches (availability)
    run_case(ref, communes_l93, "drawn", drawn_polygon(), args.runs)
    run_case(ref, communes_l93, "region", region_polygon(ref), max(3, args.runs // 2))
    run_case(ref, communes_l93, "epci_exact", epci_outline(ref), args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
