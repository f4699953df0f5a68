"""Server side of the Territoire page's interactions: one rerun of the page after a click, an un-click and a drawing.

    python bench/bench_territoire_rerun.py                       # the current cache (PTCE_GEO_DATA_DIR or data/)
    python bench/bench_territoire_rerun.py --data-dir DOSSIER --runs 5 --profile

The page runs in Streamlit's ``AppTest`` (the same script, in this process); a click or a drawing is its new URL
(``?epci=…``, ``?polygone=…``), each step a territory never seen before in the process (a new EPCI, the square moved),
as in the browser. Printed: the median wall time and CPU time of the page's thread over ``--runs`` rounds (the CPU
time resists the other processes' load), and with ``--profile`` where the CPU time of the last round went.
bench/bench_map_browser.py times the same interactions in a real browser (transport and drawing included).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_geo.build import ensure_cache  # noqa: E402
from ptce_geo.cache import data_dir  # noqa: E402

# Amiens Métropole, then its neighbours: each round clicks an EPCI not clicked before (no cached territory)
EPCI = ["248000531", "200070993", "200070753", "200071496", "200070779", "248000747"]
SQUARE = [(1.70, 47.80), (2.10, 47.80), (2.10, 48.05), (1.70, 48.05)]  # (lon, lat): ~30 km north of Orléans


def _square(shift: float) -> str:
    return ";".join(f"{lon + shift:.5f},{lat + shift:.5f}" for lon, lat in SQUARE)


class _Timer:
    """Wall and CPU time of the script thread's runs (AppTest runs the page in a thread of its own)."""

    def __init__(self) -> None:
        from streamlit.runtime.scriptrunner import script_runner

        self.profile: cProfile.Profile | None = None
        self.last = (0.0, 0.0)
        original = script_runner.ScriptRunner._run_script

        def run(runner, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            if self.profile is not None:
                self.profile.enable()
            try:
                return original(runner, *args, **kwargs)
            finally:
                if self.profile is not None:
                    self.profile.disable()
                self.last = (time.perf_counter() - wall, time.thread_time() - cpu)

        script_runner.ScriptRunner._run_script = run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None, help="cache folder (default: PTCE_GEO_DATA_DIR or data/)")
    parser.add_argument("--profile", action="store_true", help="where the last round's CPU time went (cProfile)")
    args = parser.parse_args()
    root = data_dir(args.data_dir)
    ensure_cache(root)
    os.environ["PTCE_GEO_DATA_DIR"] = str(root)
    from streamlit.testing.v1 import AppTest

    timer = _Timer()
    app = AppTest.from_file(str(ROOT / "app_pages" / "1_Territoire.py"), default_timeout=600)
    app.run()
    time.sleep(3)  # the background warm-up of the first diagnostic (ui.loaders._warm_up) is over
    if app.exception:
        raise SystemExit(f"page failed: {app.exception[0].value}")
    rows: dict[str, list[tuple[float, float]]] = {}
    for run in range(min(args.runs, len(EPCI))):
        steps = [("click an EPCI", {"epci": EPCI[run]}), ("click it again (removed)", {}),
                 ("finish a drawing", {"polygone": _square(0.05 * run)})]
        for label, query in steps:
            if args.profile and run == args.runs - 1:
                timer.profile = cProfile.Profile(time.thread_time)
            app.query_params.clear()
            app.query_params.update(query)
            app.run()
            if app.exception:
                raise SystemExit(f"{label}: page failed: {app.exception[0].value}")
            rows.setdefault(label, []).append(timer.last)
            if timer.profile is not None:
                print(f"\n--- {label}: CPU time by function (cumulative) ---")
                pstats.Stats(timer.profile).sort_stats("cumulative").print_stats(r"ptce_geo|ui/|app_pages|streamlit_folium", 30)
                timer.profile = None
    print(f"\nmedians over {min(args.runs, len(EPCI))} rounds ({root})")
    for label, values in rows.items():
        print(f"{label:26} wall {statistics.median(v[0] for v in values):5.3f} s  cpu {statistics.median(v[1] for v in values):5.3f} s")


if __name__ == "__main__":
    main()
