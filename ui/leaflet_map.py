"""The Territoire map in the page itself (a Streamlit components-v2 element), not in streamlit-folium's frame.

The frame cost every new map about 1 s in the browser (a page, a bundle and Leaflet loaded again, then drawn) and
delayed every click by 250 ms (its debounce). Here the folium map's scripts (``ptce_geo.map_script``) run in the page:
Leaflet is loaded once per browser page, the map once per key, and an update replaces only the feature groups that
changed (ui/leaflet_map.js). Its value (``{count, clicked, drawings}``) is sent at once on a click on an EPCI or a
finished drawing. Light on purpose (no folium): ``ui.first_map`` shows a saved map before the page's heavy imports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import streamlit as st

__all__ = ["map_data", "show", "map_value"]

_COMPONENT = st.components.v2.component(
    "ptce_carte", js=Path(__file__).with_name("leaflet_map.js").read_text(encoding="utf-8"),
    css=".ptce-map { width: 100%; } .ptce-map.leaflet-container { font-size: 1rem; }",  # folium's size in its frame
    isolate_styles=False)  # Leaflet's style sheets apply to the page


def map_data(key: str, script, height: int) -> dict:
    """What the page's script needs to draw a ``ptce_geo.map_script.MapScript`` under ``key``, ``height`` px high."""
    return {"id": key, "name": script.name, "base": script.base, "groups": [list(group) for group in script.groups],
            "js": list(script.js), "css": list(script.css), "height": height}


def show(key: str, data: dict, on_change: Callable[[], None]) -> None:
    """Show the map of ``data`` (``map_data``) under ``key`` (another key: another map); ``on_change`` runs when its
    value changes. ``data`` goes as JSON bytes: Streamlit looks for dataframes in a dict it is given, which imports pandas
    (0.7 s, on the way to a new session's first map: ``ui.first_map``)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _COMPONENT(key=key, data=payload, default={"event": None}, on_event_change=on_change)


def map_value(key: str) -> dict | None:
    """The last value the map under ``key`` sent (``None`` before any click or drawing).

    Its state is named « event », not « value »: Streamlit looks for the callbacks of a state named « value » that holds
    a dict under that dict's own keys (``count``, ``clicked``…), and called none."""
    return (st.session_state.get(key) or {}).get("event")
