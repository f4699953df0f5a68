"""Cost of the collective's tables in a project file: save, open, CSV export, with a large collective.

A PTCE follows tens to a few hundred structures; this bench uses ten times more (2,000 structures, 200 groups,
500 activity projects, 3,000 meetings, 4,000 contact changes) to show the margin. Run from the repository root:
``python bench/bench_project_tables.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as ``python bench/…`` from the root

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ptce_geo.collective import tables as ct  # noqa: E402
from ptce_geo.collective.meetings import widening  # noqa: E402
from ptce_geo.project import Project, open_project, save_project  # noqa: E402
from ptce_geo.project_export import write_project_tables  # noqa: E402


def _project(rng: np.random.Generator) -> Project:
    names = np.array([f"Structure {i}" for i in range(2000)])
    p = Project("Banc d'essai")
    p.actors = gpd.GeoDataFrame({"nom": names.tolist()}, geometry=gpd.points_from_xy(rng.uniform(2, 3, 2000), rng.uniform(48, 49, 2000)), crs=4326)

    def members(k: int) -> list[str]:
        return ["; ".join(rng.choice(names, k, replace=False)) for _ in range(n)]

    n = 200
    groups = pd.DataFrame({"nom": [f"Groupe {i}" for i in range(n)], "type": "groupe projet", "membres": members(8)})
    n = 500
    acts = pd.DataFrame({"nom": [f"Projet {i}" for i in range(n)], "statut": "en cours", "porteur": rng.choice(names, n),
                         "partenaires": members(4), "emplois": rng.uniform(0, 5, n), "date_debut": "2025-01-01", "date_fin": "2026-01-01"})
    n = 3000
    days = pd.date_range("2024-01-01", periods=700).strftime("%Y-%m-%d")
    meets = pd.DataFrame({"date": rng.choice(days, n), "type": "collective", "participants": members(5)})
    contacts = pd.DataFrame({"acteur": rng.choice(names, 4000), "date": rng.choice(days, 4000), "implication": "groupe projet"})
    tables = p.tables
    for layer, frame in (("groupes", groups), ("projets_activite", acts), ("rencontres", meets), ("contacts", contacts)):
        tables = ct.replace_rows(tables, layer, frame, names)
    p.tables = tables
    return p


def _timed(label: str, action) -> object:
    started = time.perf_counter()
    result = action()
    print(f"{label:<44} {time.perf_counter() - started:6.2f} s")
    return result


def main() -> None:
    p = _timed("build and check every row (replace_rows)", lambda: _project(np.random.default_rng(1)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "banc.gpkg"
        _timed("save_project", lambda: save_project(p, path))
        print(f"{'file size':<44} {path.stat().st_size / 1e6:6.2f} Mo")
        back = _timed("open_project", lambda: open_project(path))
        _timed("project export (CSV)", lambda: write_project_tables(back, Path(tmp) / "csv"))
        grow = _timed("widening (3,000 meetings, 4,000 contacts)", lambda: widening(back.tables))
        print(f"{'dates in the widening table':<44} {len(grow):6d}")


if __name__ == "__main__":
    main()
