"""Publishing the EPCI outlines file (``national_layer.layer_asset``, prepared by the cache build) for the browser.

Kept apart from ``national_layer`` (folium) so that a page can publish the file, and let the browser start
downloading it, before the heavy imports of the map: this module only needs the standard library.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from .cache import atomic_write_bytes

__all__ = ["STALE_AFTER_S", "layer_name", "publish_layer", "layer_source"]

STALE_AFTER_S = 24 * 3600
"""An older layer file is deleted only once no server has published it for this long: servers with other caches
(tests beside the app, two data folders) may share ``static/``, and a page may still be fetching their file."""


def layer_name(data: bytes) -> str:
    """The file name of the layer ``data``: its content's hash (a browser may keep it forever)."""
    return f"epci-{hashlib.sha256(data).hexdigest()[:16]}.json"


def publish_layer(data: bytes, folder: Path) -> str:
    """Write the layer file ``data`` (``layer_asset``) in ``folder`` under its content's hash and return that name.

    Written once: an existing file of that name is left as it is, only its date is refreshed (it is in use). Writing
    a new one deletes the other ``epci-*.json`` there not published for ``STALE_AFTER_S`` (layers of an older cache).
    Raises ``OSError`` when ``folder`` cannot be written (the caller then sends the layer inline).
    """
    name = layer_name(data)
    target = folder / name
    if target.is_file():
        _refresh(target)
        return name
    atomic_write_bytes(target, data)  # atomic: a browser never reads half a file
    stale = time.time() - STALE_AFTER_S
    for old in folder.glob("epci-*.json"):
        if old.name != name and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    return name


def _refresh(target: Path) -> None:
    """Mark ``target`` as in use; a file that may be read but not touched (read-only install) is served as it is."""
    try:
        os.utime(target)
    except OSError:
        pass


def layer_source(data: bytes, folder: Path) -> tuple[str | None, str | None]:
    """``(file name, None)`` once ``data`` is published in ``folder``, or ``(None, its text)`` when ``folder`` cannot be
    written (read-only install): the map then carries the outlines itself (``mapping.epci_map(layer_inline=...)``)."""
    try:
        return publish_layer(data, folder), None
    except OSError:
        return None, data.decode("utf-8")
