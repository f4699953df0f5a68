"""The on-disk reference cache: generations written aside, switched by one atomic rename.

Files of a build go to ``data/epci/<generation>/`` and ``data/insee/<generation>/``; only when all
are written does ``data/manifest.json`` (replaced atomically) point to the new generation. An
interrupted build therefore leaves the previous cache in use and intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from .errors import CacheError

if TYPE_CHECKING:  # pandas and geopandas are loaded by the reads: the manifest and paths stay light to import
    import pandas as pd

__all__ = ["data_dir", "Generation", "read_manifest", "atomic_write_bytes", "build_lock", "epci_layer_path", "MANIFEST", "GEO_FILES",
           "INSEE_FILES"]

MANIFEST = "manifest.json"
GEO_FILES = ("communes", "epci", "departements", "regions")
INSEE_FILES = ("variables", "comparaisons")
_PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"


def data_dir(override: Path | str | None = None) -> Path:
    """Cache root: the argument, else ``$PTCE_GEO_DATA_DIR``, else the project's ``data/``."""
    return Path(override or os.environ.get("PTCE_GEO_DATA_DIR") or _PROJECT_DATA)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def epci_layer_path(root: Path, generation: str) -> Path:
    """The EPCI outlines file the cache build prepares for the map (``national_layer.layer_asset``); the app publishes it."""
    return root / "epci" / generation / "epci_layer.json"


def read_manifest(root: Path) -> dict | None:
    """The manifest of the cache in ``root``, ``None`` when no cache was built."""
    path = root / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CacheError(f"{path} : manifeste illisible ({exc}). Reconstruisez le cache : python -m ptce_geo data import DOSSIER") from exc
    if "generation" not in manifest:
        raise CacheError(f"{path} : manifeste sans génération.")
    return manifest


@contextmanager
def build_lock(root: Path, timeout: float = 600.0) -> Iterator[None]:
    """One build at a time per cache folder (other processes wait, then reuse the result)."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(root / ".lock"), timeout=timeout):
            yield
    except Timeout as exc:
        raise CacheError(f"{root} : une autre construction du cache est en cours depuis plus de {timeout:.0f} s.") from exc


class Generation:
    """One built cache: where its files live, how to write and read them."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name

    @classmethod
    def new(cls, root: Path) -> Generation:
        stamp = datetime.now(UTC).strftime("v%Y%m%dT%H%M%S%f")
        return cls(root, stamp)

    def path(self, stem: str) -> Path:
        folder = "epci" if stem in GEO_FILES else "insee"
        return self.root / folder / self.name / f"{stem}.parquet"

    def source_path(self, dataset_id: str) -> Path:
        return self.root / "insee" / self.name / "sources" / f"{dataset_id}.parquet"

    def write(self, stem: str, frame: pd.DataFrame, path: Path | None = None) -> None:
        path = path or self.path(stem)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=True)
        os.replace(tmp, path)

    def read(self, stem: str, path: Path | None = None, geo: bool = False) -> pd.DataFrame:
        path = path or self.path(stem)
        try:
            if geo:
                import geopandas as gpd

                return gpd.read_parquet(path)
            import pandas as pd

            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise CacheError(f"{path} : fichier du cache absent ou corrompu ({exc}). "
                             "Reconstruisez-le : python -m ptce_geo data import DOSSIER (ou data update).") from exc

    def commit(self, manifest: dict) -> None:
        """Point the cache to this generation, then remove the older ones."""
        manifest = {**manifest, "generation": self.name}
        atomic_write_bytes(self.root / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8"))
        for folder in ("epci", "insee"):
            for old in (self.root / folder).glob("v*"):
                if old.is_dir() and old.name != self.name:
                    shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        for folder in ("epci", "insee"):
            shutil.rmtree(self.root / folder / self.name, ignore_errors=True)
