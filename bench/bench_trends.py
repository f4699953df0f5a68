"""Benchmark: what trends and zonings add to a diagnostic, on the drawn ~300-commune polygon of ``bench_diagnostic.py``.

Timed (median of several runs): the trend step of ``diagnose`` (``territory_trends``: territory and EPCI parts
from the series table, income re-estimated at each Filosofi date, comparators read from the table prepared
at cache build), the zoning step (``territory_zonings`` + ``zoning_alerts``), and ``diagnose`` as a whole.
The diagnostic alone is the whole minus both steps. Once per reference: the income models rebuilt from
their stored arrays. Target: trends + zonings within 50 ms. Needs a cache with ``../shared/data`` imported
(``python -m ptce_geo data import ../shared/data``).

    python bench/bench_trends.py [--data-dir DIR] [--runs 21]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/x.py` does not put the project root on sys.path

from bench_diagnostic import drawn_polygon  # noqa: E402
from bench_zonings import TARGET_S, _median  # noqa: E402  (one timing rule for both 50 ms budgets)

from ptce_geo.diagnostic import NO_EPCI, _part_labels, diagnose  # noqa: E402
from ptce_geo.reference import load_reference  # noqa: E402
from ptce_geo.territory import TerritoryDefinition, build_territory  # noqa: E402
from ptce_geo.trends import territory_trends  # noqa: E402
from ptce_geo.zonings import territory_zonings, zoning_alerts  # noqa: E402

__all__ = ["main", "TARGET_S"]



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    ref = load_reference(args.data_dir)
    if ref.series.empty:
        print("Séries absentes du cache : python -m ptce_geo data import ../shared/data")
        return 1
    territory = build_territory(ref, TerritoryDefinition(polygon=drawn_polygon()))
    communes = territory.communes
    diag = diagnose(ref, territory)
    key = communes["code_epci"].fillna(NO_EPCI).astype("str")
    labels = _part_labels(diag.epci)
    ref._derived.pop("trend_models", None)  # time the once-per-reference rebuild
    start = time.perf_counter()
    ref.trend_models()
    models = time.perf_counter() - start
    trends = _median(lambda: territory_trends(ref, communes, key, labels, diag.zones), args.runs)
    zonings = _median(lambda: zoning_alerts(territory_zonings(ref, communes)), args.runs)
    whole = _median(lambda: diagnose(ref, territory), max(5, args.runs // 3))
    alone = whole - trends - zonings
    added = trends + zonings
    print(f"{len(communes)} communes, {len(diag.epci)} parties d'EPCI ; {len(diag.trends)} lignes de tendances ; "
          f"séries : {len(ref.series.columns)} colonnes ; comparaisons préparées : {len(ref.trend_levels)} lignes")
    print(f"  income models per reference (first call)   {1000 * models:7.1f} ms")
    print(f"  trend step                                 {1000 * trends:7.2f} ms")
    print(f"  zoning step                                {1000 * zonings:7.2f} ms")
    print(f"  trends + zonings                           {1000 * added:7.2f} ms   ({'OK' if added <= TARGET_S else 'MISSED'}: target "
          f"{1000 * TARGET_S:.0f} ms)")
    print(f"  diagnostic alone (whole - both steps)      {1000 * alone:7.1f} ms")
    print(f"  whole diagnose                             {1000 * whole:7.1f} ms   (trends + zonings = {added / alone:.2f} x the "
          f"diagnostic alone, {100 * added / whole:.1f} % of the whole)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
