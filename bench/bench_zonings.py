"""Benchmark: what the zonings add to a diagnostic, on the drawn ~300-commune polygon of ``bench_diagnostic.py``.

Timed (median of several runs): ``territory_zonings`` + ``zoning_alerts`` (the whole zoning step of
``diagnose``), against ``diagnose`` itself; once per reference, the lookups (zone of each commune as an
integer, zone totals); the map outlines of the zones touched, dissolved on first use, then kept.
Target: the zoning step under 50 ms (the issue's budget for trends + zonings). Needs a cache with the
zoning files imported (``python -m ptce_geo data import ../shared/data``); the QPV step (``qpv_summary``) when the QPV
contours are in the cache.

    python bench/bench_zonings.py [--data-dir DIR] [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/x.py` does not put the project root on sys.path

from bench_diagnostic import drawn_polygon  # noqa: E402

from ptce_geo.diagnostic import diagnose  # noqa: E402
from ptce_geo.qpv import qpv_summary  # noqa: E402
from ptce_geo.reference import load_reference  # noqa: E402
from ptce_geo.territory import TerritoryDefinition, build_territory  # noqa: E402
from ptce_geo.zonings import territory_zonings, zone_outlines, zoning_alerts  # noqa: E402

__all__ = ["main"]

TARGET_S = 0.050


def _median(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args(argv)
    ref = load_reference(args.data_dir)
    if ref.zonings.empty:
        print("Zonages absents du cache : python -m ptce_geo data import ../shared/data")
        return 1
    territory = build_territory(ref, TerritoryDefinition(polygon=drawn_polygon()))
    communes = territory.communes
    start = time.perf_counter()
    zonings = territory_zonings(ref, communes)
    first = time.perf_counter() - start
    step = _median(lambda: zoning_alerts(territory_zonings(ref, communes)), args.runs)
    whole = _median(lambda: diagnose(ref, territory), max(3, args.runs // 3))
    print(f"{len(communes)} communes ; zones touchées : " + ", ".join(f"{z} {len(zonings.of(z))}" for z in zonings.present))
    print(f"  lookups per reference (first call)     {1000 * first:7.1f} ms")
    print(f"  zoning step (zonings + alert)          {1000 * step:7.2f} ms   ({'OK' if step <= TARGET_S else 'MISSED'}: target "
          f"{1000 * TARGET_S:.0f} ms)")
    if ref.qpv is not None:  # QPV contours (and population table) imported: the QPV step of diagnose
        qpv = _median(lambda: qpv_summary(ref, communes), args.runs)
        print(f"  QPV step ({len(ref.qpv)} QPV)               {1000 * qpv:7.2f} ms   (zonings + QPV: {1000 * (step + qpv):.1f} ms)")
    else:
        print("  QPV step: contours absents du cache (python -m ptce_geo data update --only qpv)")
    print(f"  whole diagnose                         {1000 * whole:7.1f} ms   (zonings = {100 * step / whole:.1f} %)")
    for zoning in ("bv2022", "ze2020", "aav2020"):
        codes = tuple(c for c in zonings.of(zoning)["code"] if c and c != "000")
        start = time.perf_counter()
        zone_outlines(ref, zoning, codes)
        cold = time.perf_counter() - start
        warm = _median(lambda z=zoning, c=codes: zone_outlines(ref, z, c), 5)
        print(f"  outlines {zoning:<8} {len(codes):3d} zones: first {1000 * cold:7.1f} ms, then {1000 * warm:5.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
