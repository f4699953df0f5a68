"""The EPCI map widget: render with streamlit-folium, turn clicks and drawings into selection changes.

The France-wide layer is the map itself (identical text on every rerun, so Streamlit's message
cache spares resending it); the selection, the drawing and commune outlines travel as
``feature_group_to_add``, which streamlit-folium swaps in place without rebuilding the map.
Only clicks and drawings come back (``returned_objects``): panning never reruns the app.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st
from streamlit_folium import st_folium

from ptce_geo import mapping
from ui import loaders, state

__all__ = ["RETURNED_OBJECTS", "MAX_OUTLINED_COMMUNES", "epci_map", "preview_communes", "clear_drawing", "zoom_to", "handle_map_value"]

RETURNED_OBJECTS = ["last_object_clicked_tooltip", "last_object_clicked_count", "all_drawings"]
MAX_OUTLINED_COMMUNES = 3000  # beyond, outlines would weigh more than the France-wide map
_MEMO, _EPOCH, _VIEW = "_map_memo", "_map_epoch", "_map_view"


def handle_map_value(value: dict | None, memo: dict, sel: state.Selection, known_epci) -> state.Selection:
    """Selection after one update of the map component; ``memo`` holds what was already handled.

    streamlit-folium sends the drawn shapes with every click (``[]`` when none, ``None`` before the
    first event) and counts a drawing as a click (keeping the previous tooltip): an update whose
    shapes changed is a drawing, never a click.
    """
    value = value or {}
    drawings, count = value.get("all_drawings") or [], value.get("last_object_clicked_count")
    if drawings != memo.get("drawings", []):
        sel = replace(sel, drawings=state.rings_from_features(drawings))
    elif count and count != memo.get("count"):
        code = mapping.code_from_tooltip(value.get("last_object_clicked_tooltip"))
        if code and code in known_epci:
            sel = sel.toggle_epci(code)
    memo.update(count=count, drawings=drawings)
    return sel


def _on_change(key: str, known_epci) -> None:
    memo = st.session_state.setdefault(_MEMO, {})
    state.save(handle_map_value(st.session_state.get(key), memo, state.stored(), known_epci))


def clear_drawing() -> None:
    """Forget the drawing; the map is rebuilt (new key) since Leaflet.draw would otherwise keep it."""
    state.save(replace(state.stored(), drawings=()))
    st.session_state[_EPOCH] = st.session_state.get(_EPOCH, 0) + 1


def zoom_to(bounds: tuple[float, float, float, float]) -> None:
    st.session_state[_VIEW] = mapping.view_for(bounds)


def preview_communes(sel: state.Selection) -> tuple[str, ...]:
    """Communes outlined until the territory computation lands: members of the EPCI, plus added, minus excluded."""
    communes = loaders.reference().communes
    members = communes.index[communes["code_epci"].isin(sel.epci)].tolist()
    excluded = set(sel.excluded)
    return tuple(c for c in dict.fromkeys([*members, *sel.communes]) if c not in excluded)


def epci_map(sel: state.Selection, indicator_id: str | None, basemap: str, k: int = 5, height: int = 560,
             communes: tuple[str, ...] | None = None) -> None:
    """Draw the EPCI map with ``sel`` highlighted and ``communes`` outlined (default: ``preview_communes``).

    Clicks and drawings update the selection through a callback, before the next run of the page.
    """
    display = loaders.epci_display()
    assets, missing = loaders.map_assets()
    if missing:
        st.warning("Bibliothèques cartographiques locales absentes (lancez `npm ci`) : la carte les charge depuis Internet.")
    m = mapping.epci_map(display, assets, loaders.epci_choropleth(indicator_id, k), basemap)
    communes = preview_communes(sel) if communes is None else communes
    groups = [mapping.selection_layer(display, list(sel.epci)), mapping.drawing_layer(sel.polygon)]
    if 0 < len(communes) <= MAX_OUTLINED_COMMUNES:
        groups.insert(0, mapping.outline_layer(loaders.commune_outlines(communes)))
    epoch = st.session_state.get(_EPOCH, 0)
    key = f"carte_epci_{epoch}"
    identity = (indicator_id, basemap, k, epoch)
    memo = st.session_state.setdefault(_MEMO, {})
    if memo.get("identity") != identity:  # a new map instance starts its click count and drawings afresh
        memo.clear()
        memo["identity"] = identity
    center, zoom = st.session_state.get(_VIEW, (None, None))
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=RETURNED_OBJECTS,
              feature_group_to_add=groups, center=center, zoom=zoom,
              on_change=partial(_on_change, key, frozenset(display.frame.index)))
