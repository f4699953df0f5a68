"""Publishing the EPCI outlines file (``national_layer.layer_asset``, prepared by the cache build) for the browser.

Kept apart from ``national_layer`` (folium) so that a page can publish the file, and let the browser start
downloading it, before the heavy imports of the map: this module only needs the standard library.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .cache import atomic_write_bytes

__all__ = ["layer_name", "publish_layer", "layer_source"]


def layer_name(data: bytes) -> str:
    """The file name of the layer ``data``: its content's hash (a browser may keep it forever)."""
    return f"epci-{hashlib.sha256(data).hexdigest()[:16]}.json"


def publish_layer(data: bytes, folder: Path) -> str:
    """Write the layer file ``data`` (``layer_asset``) in ``folder`` under its content's hash and return that name.

    Written once: an existing file of that name is left as it is. Writing a new one deletes the other ``epci-*.json``
    there (layers of an older cache); a server still using one of them publishes it again at its next map. Raises
    ``OSError`` when ``folder`` cannot be written (the caller then sends the layer inline).
    """
    name = layer_name(data)
    target = folder / name
    if not target.is_file():
        atomic_write_bytes(target, data)  # atomic: a browser never reads half a file
        for old in folder.glob("epci-*.json"):
            if old.name != name:
                old.unlink(missing_ok=True)
    return name


def layer_source(data: bytes, folder: Path) -> tuple[str | None, str | None]:
    """``(file name, None)`` once ``data`` is published in ``folder``, or ``(None, its text)`` when ``folder`` cannot be
    written (read-only install): the map then carries the outlines itself (``mapping.epci_map(layer_inline=...)``)."""
    try:
        return publish_layer(data, folder), None
    except OSError:
        return None, data.decode("utf-8")
