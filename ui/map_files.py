"""The EPCI map's files: the outlines published for Streamlit's static serving, and all of them downloaded early.

The cache build prepares the file (``epci_layer.json`` in its generation); it is published under its content's hash
in static/layers/ (``/app/static/layers/epci-<hash>.json``). ``prefetch`` runs in the first lines of the Territoire
page, before the map's heavy imports and reads: the browser downloads the file meanwhile, and the map takes that
download (``window.__ptceFetched``) instead of waiting for it after the map is drawn, or asking for it a second time
while it arrives (a 2 MB file, from a server busy with its imports); so do Leaflet and Leaflet.draw (static/vendor/).
Light on purpose: the standard library, streamlit and paths only.
"""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path

import streamlit as st

from ptce_geo.assets import Assets
from ptce_geo.cache import data_dir, epci_layer_path, read_manifest
from ptce_geo.errors import CacheError
from ptce_geo.layer_files import layer_name, layer_source

__all__ = ["STATIC_DIR", "STATIC_URL", "LAYER_FOLDER", "prepared_layer", "publish", "prefetch"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/app/static"  # Streamlit's static serving of STATIC_DIR
LAYER_FOLDER = "layers"  # generated, content-addressed files (git-ignored)


@st.cache_resource(show_spinner=False)
def prepared_layer(generation: str) -> tuple[bytes, str] | None:
    """The outlines file of the cache ``generation`` and its published name; ``None`` for a cache built before it."""
    path = epci_layer_path(data_dir(), generation)
    if not path.is_file():
        return None
    data = path.read_bytes()
    return data, layer_name(data)


def publish(data: bytes, name: str) -> tuple[str | None, str | None]:
    """``(URL, None)`` of the published file, or ``(None, its text)`` when static/ cannot be written (the map then carries
    the outlines). Checked on every map: another server with another cache may have replaced the file by its own."""
    if (STATIC_DIR / LAYER_FOLDER / name).is_file():
        return f"{STATIC_URL}/{LAYER_FOLDER}/{name}", None
    published, inline = layer_source(data, STATIC_DIR / LAYER_FOLDER)
    return (f"{STATIC_URL}/{LAYER_FOLDER}/{published}" if published else None), inline


def prefetch() -> str | None:
    """Let the browser start downloading the map's files now: the outlines (when the cache holds the prepared file)
    and the local Leaflet files (when ``npm ci`` installed them). The outlines' URL, ``None`` when they are not
    published."""
    urls = [] if Assets.missing(STATIC_DIR) else list(astuple(Assets.local()))
    try:
        manifest = read_manifest(data_dir())
    except CacheError:  # reported by the page's own read of the reference
        manifest = None
    prepared = prepared_layer(manifest["generation"]) if manifest else None
    layer = publish(*prepared)[0] if prepared else None
    urls = [layer] * (layer is not None) + urls
    if urls:  # each download once: the map waits for these (window.__ptceFetched) rather than asking again meanwhile
        st.html(f"<script>{json.dumps(urls)}.forEach(function (url) {{ var f = window.__ptceFetched = window.__ptceFetched || {{}};"
                ' f[url] = f[url] || fetch(url, {cache: "force-cache"}).catch(function () { return null; }); });</script>',
                unsafe_allow_javascript=True)
    return layer
