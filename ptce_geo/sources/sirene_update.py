"""``data update --only sirene``: download INSEE's two Sirene stock files, stream them, keep the ESS tables.

Opt-in (never part of a plain ``data update``): the two zips weigh about 3 GB. The files go to a
temporary folder of the cache, are aggregated (``sirene.aggregate``), then deleted; the tables switch in
one move, so any failure (download, missing column, truncated file, Ctrl-C) leaves the previous ones in service.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from ..cache import data_dir
from .download import fetch
from .official import DEFAULT_RETRIES, DEFAULT_TIMEOUT, OfficialFile, url_of
from .sirene import Progress, aggregate, print_progress, write_store

__all__ = ["SIRENE", "SIRENE_FILES", "SIRENE_DEADLINE", "update_sirene"]

SIRENE = "sirene"
SIRENE_DEADLINE = 4 * 3600.0  # seconds per stock file: the establishments zip (~2 GB) needs ~150 kB/s
SIRENE_FILES = (
    OfficialFile("sirene_unites_legales", "INSEE, Sirene : stock des unités légales (CSV zippé, UTF-8)", "files",
                 "insee-sirene/StockUniteLegale_utf8.zip", "sirene", ()),
    OfficialFile("sirene_etablissements", "INSEE, Sirene : stock des établissements (CSV zippé, UTF-8)", "files",
                 "insee-sirene/StockEtablissement_utf8.zip", "sirene", ()),
)


def update_sirene(base_url: str | None = None, root: Path | str | None = None, timeout: float = DEFAULT_TIMEOUT,
                  retries: int = DEFAULT_RETRIES, deadline: float = SIRENE_DEADLINE, progress: bool = True,
                  on_rows: Progress | None = print_progress) -> dict:
    """Download, aggregate and store Sirene; returns the stored metadata (also ``<cache>/sirene/sirene.json``)."""
    root = data_dir(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".telechargement-sirene-", dir=root))
    started = time.perf_counter()
    try:
        paths, files = [], []
        with requests.Session() as session:
            for file in SIRENE_FILES:
                url = url_of(file, base_url)
                dest = tmp / file.filename
                size = fetch(session, file, url, dest, timeout, retries, progress=progress, deadline=deadline)
                paths.append(dest)
                files.append({"jeu": file.name, "libelle": file.label, "url": url, "taille": size})
        tables = aggregate(paths[0], paths[1], tmp, on_rows)
        meta = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "fichiers": files,
                "duree_s": round(time.perf_counter() - started, 1),
                "etablissements_actifs": int(tables["etablissements_actifs"]["n"].sum()),
                "etablissements_ess": int(tables["ess"]["n"].sum()),
                "coordonnees": "coordonnées Lambert du stock des établissements (Lambert-93 en métropole, projection légale "
                               "de chaque DROM), converties en WGS84"}
        write_store(root, tables, meta)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return meta
