"""Benchmark of the reference data layer: build the cache once, then load it in fresh processes.

Prints (1) the time of ``load_reference`` (communes + EPCI + indicators) from an existing cache,
median of several fresh processes (imports excluded, printed apart), (2) the time to build the
cache from ``../shared/data`` with ``import_directory``, (3) the peak memory (ru_maxrss) of a
process that loads everything; each with its ratio to the target (load < 1 s, peak < 600 MB).

    python bench/bench_reference.py [--runs 5] [--shared ../shared/data] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

PROJECT = Path(__file__).resolve().parent.parent
LOAD_TARGET_S = 1.0
PEAK_TARGET_MB = 600.0

_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from ptce_geo.reference import load_reference
t1 = time.perf_counter()
ref = load_reference(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "communes": len(ref.communes), "epci": len(ref.epci), "variables": ref.variables.shape[1]}))
"""


def _build(root: Path, shared: Path) -> tuple[float, str]:
    sys.path.insert(0, str(PROJECT))
    started = time.perf_counter()
    if shared.is_dir():
        from ptce_geo.sources.local import import_directory

        import_directory(shared, root)
        what = f"import_directory({shared})"
    else:
        from ptce_geo.build import build_cache

        build_cache([], root)
        what = f"build_cache (embedded default: {shared} absent)"
    return time.perf_counter() - started, what


def _load_once(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(root)], cwd=PROJECT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes loading the cache (median reported)")
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--keep", action="store_true", help="keep the built cache and print its folder")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-reference-"))
    try:
        build_s, what = _build(root, args.shared)
        runs = [_load_once(root) for _ in range(max(1, args.runs))]
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    load = statistics.median(r["load"] for r in runs)
    imports = statistics.median(r["imports"] for r in runs)
    peak_mb = max(r["maxrss_kb"] for r in runs) / 1024
    first = runs[0]
    print(f"cache: {first['communes']} communes, {first['epci']} EPCI, {first['variables']} variables" + (f" ({root})" if args.keep else ""))
    print(f"(1) load_reference, median of {len(runs)} fresh processes : {load:.3f} s "
          f"(min {min(r['load'] for r in runs):.3f}, max {max(r['load'] for r in runs):.3f}; imports {imports:.2f} s apart)"
          f"  target < {LOAD_TARGET_S:g} s -> ratio {load / LOAD_TARGET_S:.2f}")
    print(f"(2) build the cache, {what} : {build_s:.1f} s")
    print(f"(3) peak memory (ru_maxrss) of a loading process : {peak_mb:.0f} MB"
          f"  target < {PEAK_TARGET_MB:g} MB -> ratio {peak_mb / PEAK_TARGET_MB:.2f}")
    return 0 if load < LOAD_TARGET_S and peak_mb < PEAK_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
