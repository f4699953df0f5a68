"""The Territoire map as a new session opens it, sent before the page imports its data stack.

A new session's first run of the Territoire page, with no link parameters, always shows the same map: metropolitan
France, density in five classes, no territory. The page saves what it sent for it (``save``: the map's data and the
key written under it) in the cache, under a name that changes with the cache's generation, the published outlines and
the app's code. A later start sends that file as soon as the page starts (``send``), before pandas, folium and the
reference load (~1.5 s of CPU here). Served by ``ui.serve``, the map then says when it is drawn (a request to
``PAINTED_PATH``): until then, or ``PAINT_WAIT_S``, the page waits (``wait_painted``), and so does ``ui.serve``'s
background preparation (``RELEASED``), so that the browser has the machine's cores to draw it: on 2 cores, the imports
made the EPCI outlines arrive and be drawn ~0.2 s later. Light on purpose: the standard library and streamlit only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from functools import lru_cache, partial
from importlib.util import find_spec
from pathlib import Path

import streamlit as st

from ptce_geo.assets import Assets
from ptce_geo.cache import atomic_write_bytes, data_dir, epci_layer_path, read_manifest
from ptce_geo.errors import CacheError
from ui.map_files import STATIC_DIR

__all__ = ["RELEASED", "HOLD_S", "PAINTED_PATH", "PAINT_WAIT_S", "listen", "painted", "fresh_session", "prepared", "send",
           "wait_painted", "save"]

RELEASED = threading.Event()  # the first page no longer needs the machine to itself: it started, and its map is drawn
HOLD_S = 5.0  # ui.serve's preparation waits this long at most for it
PAINTED_PATH = "/_ptce/carte-dessinee"  # the map's request once drawn (answered by ui.serve)
PAINT_WAIT_S = 1.0  # the page waits this long at most for it (a hidden tab draws nothing)
_PAINTED = threading.Event()
_LISTENING = threading.Event()  # ui.serve answers PAINTED_PATH
_APP = Path(__file__).resolve().parent.parent
_PATTERN = "first_map-*.json"


@lru_cache(maxsize=1)
def _code_version() -> str:
    """A hash of the code that makes the map: the app's Python and JavaScript, folium's version (read from its file: the
    package's metadata took 0.08 s to find)."""
    digest = hashlib.sha1((Path(find_spec("folium").origin).parent / "_version.py").read_bytes())
    for path in sorted([*_APP.glob("ptce_geo/**/*.py"), *_APP.glob("ui/*.py"), *_APP.glob("ui/*.js"), *_APP.glob("app_pages/*.py")]):
        digest.update(path.relative_to(_APP).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _folder() -> Path | None:
    try:
        manifest = read_manifest(data_dir())
    except CacheError:
        return None
    return epci_layer_path(data_dir(), manifest["generation"]).parent if manifest else None  # beside the outlines file


def _path(layer_url: str | None) -> Path | None:
    """The saved first map's file; ``None`` without published outlines or local Leaflet files (the page then warns
    above its map, which it builds itself)."""
    if layer_url is None or Assets.missing(STATIC_DIR):
        return None
    folder = _folder()
    name = hashlib.sha1(json.dumps([_code_version(), layer_url]).encode()).hexdigest()[:16]
    return folder / _PATTERN.replace("*", name) if folder else None


def listen() -> None:
    """The server answers ``PAINTED_PATH`` (``ui.serve``): the first map will say when it is drawn."""
    _LISTENING.set()


def painted() -> None:
    """The first map is drawn (``ui.serve``, on a request to ``PAINTED_PATH``)."""
    _PAINTED.set()


def wait_painted() -> None:
    """Wait until the map sent is drawn, or ``PAINT_WAIT_S`` (not at all when nothing will say so: ``streamlit run``)."""
    if _LISTENING.is_set():
        _PAINTED.wait(PAINT_WAIT_S)


def fresh_session() -> bool:
    """A new session's first run, without link parameters: its map is the default one."""
    return not st.query_params.to_dict() and not st.session_state.to_dict()


def prepared() -> bool:
    """A saved first map exists for the cache (perhaps for older code: the page then builds its own)."""
    folder = _folder()
    return folder is not None and any(folder.glob(_PATTERN))


def _on_event(key: str) -> None:
    from ui import data_stack

    data_stack.load()  # done by the page's first run, unless the user clicked before it ended
    from ui import maps

    maps.on_map_event(key)


def send(layer_url: str | None) -> str | None:
    """Show the saved first map (and its key under it) in the current container; its key, ``None`` without one."""
    path = _path(layer_url)
    try:
        saved = json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        saved = None
    if not saved:
        return None
    from ui import leaflet_map  # registers its component: within a page's run, not at ui.serve's start

    data = {**saved["data"], "painted": PAINTED_PATH if _LISTENING.is_set() and not _PAINTED.is_set() else None}
    leaflet_map.show(saved["key"], data, partial(_on_event, saved["key"]))
    if saved["keys"]:
        st.html(saved["keys"])
    return saved["key"]


def save(layer_url: str | None, key: str, data: dict, keys: str) -> None:
    """Keep the first map the page built, for the next starts (a read-only cache keeps none)."""
    path = _path(layer_url)
    if path is None or path.exists():
        return
    with contextlib.suppress(OSError):  # ~0.15 MB per version of the code; they go with the cache's generation
        atomic_write_bytes(path, json.dumps({"key": key, "data": data, "keys": keys}, ensure_ascii=False).encode("utf-8"))
