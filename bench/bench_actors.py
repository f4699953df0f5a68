"""Speed and memory of reading, validating and placing a 50,000-row actor inventory.

Rows are generated from real commune codes of the reference (a tenth given by name, a fifth with
coordinates inside the commune, a few bad rows of every kind). Run:
``PTCE_GEO_DATA_DIR=/tmp/cache python -m bench.bench_actors [ROWS]``.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

__all__ = ["make_inventory"]

_KINDS = ["association", "SCIC", "SCOP", "asso", "SARL", "entreprise", "collectivité", "mairie", "établissement public", "autre"]
_LEVELS = ["noyau dur", "Noyau-dur", "cellule de pilotage", "COPIL", "groupe thématique", "groupe projet", "non impliqué", ""]
_THEMES = ["réemploi", "mobilité", "alimentation", "énergie", "emploi-insertion", "culture", "habitat", "numérique", "logement"]


def make_inventory(communes: pd.DataFrame, rows: int, seed: int = 0) -> bytes:
    """A ``;`` UTF-8 CSV of ``rows`` actors in real communes, with about 0.5 % of bad rows."""
    rng = np.random.default_rng(seed)
    placed = communes[communes.geometry.notna()]
    pick = placed.iloc[rng.integers(0, len(placed), rows)]
    codes = pick.index.to_numpy().astype(object)
    names = np.array([f"Structure {i} {t}" for i, t in enumerate(rng.choice(["atelier", "coop", "asso", "=SOMME(A1)"], rows))])
    commune = codes.copy()
    by_name = rng.random(rows) < 0.1
    unique_name = ~pick["nom"].duplicated(keep=False).to_numpy()
    commune[by_name & unique_name] = pick["nom"].to_numpy()[by_name & unique_name]
    lat = np.full(rows, "", dtype=object)
    lon = np.full(rows, "", dtype=object)
    with_xy = rng.random(rows) < 0.2
    points = pick.geometry[with_xy].representative_point()
    lat[with_xy] = [f"{y:.5f}" for y in points.y]
    lon[with_xy] = [f"{x:.5f}" for x in points.x]
    frame = pd.DataFrame({
        "nom": names, "type_structure": rng.choice(_KINDS, rows), "implication": rng.choice(_LEVELS, rows),
        "thematiques": ["; ".join(rng.choice(_THEMES, 2, replace=False)) for _ in range(rows)],
        "commune": commune, "latitude": lat, "longitude": lon,
    })
    bad = rng.choice(rows, max(rows // 200, 7), replace=False)
    frame.loc[bad[0::7], "implication"] = "peut-être"
    frame.loc[bad[1::7], "commune"] = "Nullepart"
    frame.loc[bad[2::7], ["latitude", "longitude"]] = ["40.7", "-74.0"]
    frame.loc[bad[3::7], "nom"] = ""
    frame.loc[bad[4::7], "commune"] = "Sainte-Colombe"
    swapped = bad[5::7]
    frame.loc[swapped, ["latitude", "longitude"]] = frame.loc[swapped, ["longitude", "latitude"]].to_numpy()
    frame.loc[bad[6::7], "nom"] = frame.loc[bad[6::7] - 1 if bad[6::7].min() > 0 else bad[6::7] + 1, "nom"].to_numpy()
    return frame.to_csv(index=False, sep=";").encode("utf-8")


def _run(ref, data: bytes) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    from ptce_geo.collective.actors import place_actors, read_actors, validate_actors

    timings = {}
    start = time.perf_counter()
    raw = read_actors(data, "bench.csv")
    timings["lecture"] = time.perf_counter() - start
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements)
    timings["validation"] = time.perf_counter() - start - timings["lecture"]
    placed = place_actors(actors, ref.communes)
    timings["placement"] = time.perf_counter() - start - timings["lecture"] - timings["validation"]
    return timings, report, placed


def main(rows: int = 50_000) -> None:
    from ptce_geo.collective.actors import report_counts
    from ptce_geo.reference import load_reference

    ref = load_reference()
    data = make_inventory(ref.communes, rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows} lignes, {len(data) / 2**20:.1f} Mo de CSV")
    timings, report, placed = _run(ref, data)  # timed pass (tracemalloc slows Python code ~3x)
    total = sum(timings.values())
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(" · ".join(f"{k} {v:.2f} s" for k, v in timings.items()) + f" · total {total:.2f} s ({rows / total:,.0f} lignes/s)")
    tracemalloc.start()
    _run(ref, data)  # memory pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"pic d'allocations Python (tracemalloc) {peak:.0f} Mo · RSS max {rss_after:.0f} Mo "
          f"(+{rss_after - rss_before:.0f} Mo au-dessus de la référence chargée, {rss_before:.0f} Mo)")
    print(f"rapport : {report_counts(report)} · placement : {placed['placement'].value_counts().to_dict()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
