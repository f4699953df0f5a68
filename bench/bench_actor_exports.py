"""What the Acteurs page's export tab costs on a rerun, before and after keeping its bytes in the session.

The export buttons carry their bytes (deferred files were dropped by reruns), so every rerun used to build
every CSV and the zip again. ``ui.actor_panels.export_bytes`` builds them once per inventory, flavour and day.
Prints the median of each over a few reruns of a 5,000-actor inventory summarised on a 300-commune territory,
and the ratio after / before. Run from the repository root: ``python bench/bench_actor_exports.py [ROWS]``
(``PTCE_GEO_DATA_DIR`` picks the cache; the embedded one is built on first use).
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
