"""What the Acteurs page's export tab costs on a rerun, before and after keeping its bytes in the session.

The export buttons carry their bytes (deferred files were dropped by reruns), so every rerun used to build
every CSV and the zip again. ``ui.actor_panels.export_bytes`` builds them once per inventory, flavour and day.
Prints the median of each over a few reruns of a 5,000-actor inventory summarised on a 300-commune territory,
and the ratio after / before. Run from the repository root: ``python bench/bench_actor_exports.py [ROWS] [--page]``
(``PTCE_GEO_DATA_DIR`` picks the cache; the embedded one is built on first use). ``--page`` also times whole reruns
of the Acteurs page (AppTest, CA Montargoise), with the kept bytes dropped before each rerun (as before) or not.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as ``python bench/…`` from the root

from bench.bench_actors import make_inventory  # noqa: E402
from ptce_geo.collective.editing import import_inventory  # noqa: E402
from ptce_geo.collective.inventory import summarise_inventory  # noqa: E402
from ptce_geo.reference import load_reference  # noqa: E402
from ui.actor_panels import export_bytes  # noqa: E402

RERUNS = 7


def _median(run) -> float:
    times = []
    for _ in range(RERUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(rows: int = 5_000) -> None:
    ref = load_reference()
    state = import_inventory(ref, make_inventory(ref.communes, rows), "bench.csv")
    communes = list(ref.communes.index[ref.communes["code_dep"] == "45"][:300])
    inventory = summarise_inventory(state.inventory, ref, communes)
    today = date.today()
    before = _median(lambda: export_bytes(inventory, "excel-fr", today, {}))  # a fresh memo: built on every rerun, as before
    memo: dict = {}
    first = export_bytes(inventory, "excel-fr", today, memo)
    after = _median(lambda: export_bytes(inventory, "excel-fr", today, memo))
    again = export_bytes(inventory, "excel-fr", today, {})
    assert again[1] == first[1] and again[0] == first[0], "same inputs, different bytes"
    print(f"{len(inventory.actors)} acteurs, {len(first[0])} fichiers, zip {len(first[1]) / 2**10:.0f} Kio")
    print(f"avant (construits à chaque rerun) : {before * 1000:.1f} ms · après (rerun inchangé) : {after * 1e6:.1f} µs "
          f"· rapport après / avant : {after / before:.1e}")


def page(rows: int = 5_000) -> None:
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    at.query_params["epci"] = "244500203"
    at.run()
    at = at.switch_page("app_pages/4_Acteurs.py").run()
    at.file_uploader(key="act_fichier").set_value(("bench.csv", make_inventory(load_reference().communes, rows), "text/csv"))
    at.run()

    def rerun(drop: bool) -> None:
        if drop:
            del at.session_state["_act_exports"]
        at.run()

    rerun(False)
    before = _median(lambda: rerun(True))
    after = _median(lambda: rerun(False))
    print(f"page Acteurs, rerun entier (médiane de {RERUNS}) : avant {before:.2f} s · après {after:.2f} s "
          f"· rapport après / avant : {after / before:.2f}")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--page"]
    main(int(arguments[0]) if arguments else 5_000)
    if "--page" in sys.argv:
        page(int(arguments[0]) if arguments else 5_000)
