"""Shapes kept server-side under the hash of their content (``<data dir>/formes/ID.json``), with a quota.

A link (``dessin=ID``, ``fichier=ID``) refers to a drawing too large for a URL or an imported contour.
Anyone with a link can make the server store a new shape, so the folder is bounded: at most
``MAX_SHAPES`` files and ``MAX_TOTAL_BYTES`` bytes, one shape at most ``MAX_SHAPE_BYTES``. When a new
shape does not fit, the least recently used ones (oldest access time, refreshed on every read and
every store of the same shape) are evicted first; a link to an evicted shape says the shape is no
longer on the server. Temporary files left by an interrupted write are removed after ``STALE_TEMP_S``.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from filelock import FileLock

from .cache import atomic_write_bytes
from .errors import GeometryError

__all__ = ["MAX_SHAPES", "MAX_TOTAL_BYTES", "MAX_SHAPE_BYTES", "STALE_TEMP_S", "store", "load", "usage"]

MAX_SHAPES = 2_000
MAX_TOTAL_BYTES = 200_000_000
MAX_SHAPE_BYTES = 20_000_000  # an imported file is at most 5 MB; its GeoJSON text stays well under this
STALE_TEMP_S = 3_600.0
_SHAPE_ID = re.compile(r"^[0-9a-f]{20}$")


def _touch(path: Path) -> None:
    """Mark a shape as used now (access time; ``relatime`` mounts would not do it on every read)."""
    try:
        os.utime(path, (time.time(), path.stat().st_mtime))
    except OSError:
        pass


def _shapes(folder: Path) -> list[tuple[float, int, Path]]:
    out = []
    for path in folder.glob("*.json"):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((stat.st_atime, stat.st_size, path))
    return sorted(out, key=lambda item: (item[0], item[2].name))


def _remove_stale_temps(folder: Path, now: float) -> None:
    for path in folder.glob(".*.tmp"):
        try:
            if now - path.stat().st_mtime > STALE_TEMP_S:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def usage(folder: Path | str) -> tuple[int, int]:
    """(shapes, bytes) currently stored in ``folder``."""
    shapes = _shapes(Path(folder)) if Path(folder).is_dir() else []
    return len(shapes), sum(size for _, size, _ in shapes)


def store(folder: Path | str, shape_id: str, text: str) -> list[str]:
    """Write shape ``shape_id`` once (same id, same content), evicting the least recently used beyond the quota.

    Returns the ids evicted. ``GeometryError`` for a malformed id or a shape over ``MAX_SHAPE_BYTES``;
    ``OSError`` when the folder is not writable (the caller keeps the shape in the session only).
    """
    if not _SHAPE_ID.match(shape_id or ""):
        raise GeometryError("Identifiant de forme attendu : 20 caractères hexadécimaux.")
    data = text.encode("utf-8")
    if len(data) > MAX_SHAPE_BYTES:
        raise GeometryError(f"Forme trop volumineuse pour être enregistrée ({len(data) / 1e6:.1f} Mo, "
                            f"{MAX_SHAPE_BYTES / 1e6:.0f} Mo au plus).")
    folder = Path(folder)
    path = folder / f"{shape_id}.json"
    if path.exists():
        _touch(path)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    evicted = []
    with FileLock(str(folder / ".lock"), timeout=30):
        _remove_stale_temps(folder, time.time())
        shapes = _shapes(folder)
        count, total = len(shapes), sum(size for _, size, _ in shapes)
        for _, size, old in shapes:
            if count + 1 <= MAX_SHAPES and total + len(data) <= MAX_TOTAL_BYTES:
                break
            old.unlink(missing_ok=True)
            evicted.append(old.stem)
            count, total = count - 1, total - size
        atomic_write_bytes(path, data)
    return evicted


def load(folder: Path | str, shape_id: str) -> dict:
    """The JSON object stored as ``shape_id``; ``GeometryError`` in French when absent, evicted or unreadable."""
    if not _SHAPE_ID.match(shape_id or ""):
        raise GeometryError("identifiant attendu : 20 caractères hexadécimaux")
    path = Path(folder) / f"{shape_id}.json"
    try:
        if path.stat().st_size > MAX_SHAPE_BYTES:
            raise GeometryError("forme enregistrée trop volumineuse")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GeometryError("forme introuvable sur ce serveur (lien venu d'une autre installation, ou forme ancienne "
                            "retirée pour faire de la place)") from None
    except (OSError, ValueError, RecursionError):
        raise GeometryError("forme enregistrée illisible") from None
    if not isinstance(data, dict):
        raise GeometryError("forme enregistrée illisible")
    _touch(path)
    return data
