"""Map widgets: the EPCI map (clicks and drawings become selection changes) and the density map of a territory.

The EPCI outlines are a static file the browser fetches once (``national_layer``); each update only carries
each EPCI's class and value (~0.1 MB, ``mapping.epci_styles``), which restyle the same map: it is rebuilt only
for another background. The selection, the drawing, commune outlines and the view travel as feature groups, which
the map (``ui.leaflet_map``, in the page itself) swaps in place. Only clicks on an EPCI and drawings come back:
panning never reruns the app.

Two views, both moving the same map: metropolitan France whole (Corsica included), or the territory, refitted
only when it grows beyond the EPCI around it (clicking a neighbour does not move the map). Buttons on the
map reach each DROM without a rerun.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ptce_geo import mapping
from ptce_geo.diagnostic import Diagnostic
from ptce_geo.ess_map import MAX_ESS_MARKERS, ess_legend_html
from ptce_geo.ess_map import ess_map as _ess_map
from ptce_geo.fr_format import fr_int
from ptce_geo.geometry import FRANCE_BOUNDS
from ptce_geo.indicators import DENSITY_LEVELS
from ptce_geo.map_script import map_script
from ui import leaflet_map, loaders, map_overlays, state, territory

__all__ = [
    "MAX_OUTLINED_COMMUNES", "OUTLINE_BUDGET", "VIEWS", "epci_map", "preview_communes", "clear_drawing",
    "zoom_to", "recentre", "set_view", "handle_map_value", "on_map_event", "density_map", "ess_map",
]

MAX_OUTLINED_COMMUNES = 3000  # beyond, outlines would weigh more than the France-wide map
MAX_DENSITY_MAP_COMMUNES = 1200  # ~0.8 MB of filled communes; beyond, the bars above give the breakdown
OUTLINE_BUDGET = 600_000  # bytes of commune outlines sent with a map, at most (keeps a territory view under 1 MB)
VIEWS = {"france": "France entière", "territoire": "Autour du territoire"}
_MEMO, _EPOCH, _FIT, _AREA = "_map_memo", "_map_epoch", "_map_fit", "_map_area"


def handle_map_value(value: dict | None, memo: dict, sel: state.Selection, known_epci) -> state.Selection:
    """Selection after one value of the map (``ui.leaflet_map``: ``{count, clicked, drawings}``); ``memo`` holds what
    was already handled.

    A value whose shapes changed is a drawing (finished, edited or deleted); otherwise a new count with a known EPCI
    clicked is a click on it, which adds or removes it. A value seen before changes nothing (the page may run again
    with it). Shapes drawn on this map instance are added to ``memo["base"]``, the drawings that existed when it was
    mounted (shown, not editable).
    """
    value = value or {}
    drawings, count, clicked = value.get("drawings") or [], value.get("count"), value.get("clicked")
    if drawings != memo.get("drawings", []):
        sel = replace(sel, drawings=tuple(memo.get("base", ())) + state.rings_from_features(drawings))
    elif count and count != memo.get("count") and clicked in known_epci:
        sel = sel.toggle_epci(clicked)
    memo.update(count=count, drawings=drawings)
    return sel


def on_map_event(key: str) -> None:
    """Callback of the EPCI map under ``key``: its click or drawing becomes a change of the selection."""
    memo = st.session_state.setdefault(_MEMO, {})
    before = state.stored()
    after = handle_map_value(leaflet_map.map_value(key), memo, before, frozenset(loaders.epci_display().frame.index))
    if after == before:
        return
    drawn = after.drawings != before.drawings
    if not territory.apply(after, "Dessin" if drawn else "Clic sur la carte") and drawn:
        _new_map()  # Leaflet.draw would keep showing (and sending) the refused shape


def _new_map() -> None:
    st.session_state[_EPOCH] = st.session_state.get(_EPOCH, 0) + 1


def clear_drawing() -> None:
    """Forget the drawing; the map is rebuilt (new key) since Leaflet.draw would otherwise keep it."""
    state.save(replace(state.stored(), drawings=()))
    _new_map()


def zoom_to(bounds: tuple[float, float, float, float] | None) -> None:
    """Fit the map to ``bounds`` (metropolitan France when ``None``) once, even if it was fitted there before."""
    nonce = st.session_state.get(_FIT, (0, None))[0] + 1
    st.session_state[_FIT] = (nonce, tuple(float(v) for v in bounds) if bounds is not None else None)


def recentre(bounds: tuple[float, float, float, float] | None) -> None:
    """Centre on the territory; the territory view is recomputed around it."""
    st.session_state.pop(_AREA, None)
    if bounds is not None:
        zoom_to(bounds)


def set_view(widget: str, bounds: tuple[float, float, float, float] | None) -> None:
    """Callback of the view selector: France resets the position, the territory view is centred on it."""
    if st.session_state.get(widget) == "territoire":
        recentre(bounds)
    else:
        zoom_to(None)


def preview_communes(sel: state.Selection) -> tuple[str, ...]:
    """Communes outlined when the territory cannot be built: members of the EPCI, plus added, minus excluded."""
    communes = loaders.reference().communes
    members = communes.index[communes["code_epci"].isin(sel.epci)].tolist()
    excluded = set(sel.excluded)
    return tuple(c for c in dict.fromkeys([*members, *sel.communes]) if c not in excluded)


def _follow_territory(display, current: territory.Current) -> None:
    """Fit the map to the territory when it reaches beyond the EPCI around it at the last fit (clicking a neighbour
    leaves the map where it is: it must not move under the pointer)."""
    if current.territory is None:
        return
    communes = current.territory.communes
    needed = set(communes["code_epci"].dropna().astype(str))
    area = st.session_state.get(_AREA)
    if area is None or not needed <= set(area[0]):
        st.session_state[_AREA] = mapping.view_area(display, communes.bounds.to_numpy())
        zoom_to(territory.bounds(current))


def _map_key(epoch: int, basemap: str) -> str:
    """The EPCI map's key: a new map for another background, or once a refused drawing must go (``_new_map``); another
    indicator or number of classes restyles the same map (``mapping.epci_styles``)."""
    return "carte_epci_" + hashlib.sha1(repr((basemap, epoch)).encode()).hexdigest()[:12]


def _remember_mount(key: str, sel: state.Selection) -> None:
    """A new map instance starts its event count and drawings afresh; the drawings shown when it was mounted stay.

    The session's first map may have been sent before its run could say so (``ui.first_map``), and a click or a drawing
    made before that run ended already handled: kept, on the map as it was sent (without drawings)."""
    memo = st.session_state.setdefault(_MEMO, {})
    if memo.get("key") == key:
        return
    if "key" in memo:
        memo.clear()
    memo.update(key=key, base=() if "count" in memo else sel.drawings)


def epci_map(sel: state.Selection, current: territory.Current, indicator_id: str | None, basemap: str, k: int = 5,
             view: str = "france", height: int = 560, extra: list[folium.FeatureGroup] | None = None,
             extra_keys: list[str] | None = None, sent: str | None = None) -> tuple[str, dict, str] | None:
    """Draw the EPCI map with ``sel`` highlighted and the territory's communes outlined; its key, the data it sent and
    the keys written under it (HTML).

    Clicks and drawings update the selection through a callback, before the next run of the page. ``extra`` and
    ``extra_keys``: other panels' layers (zonings, FRR) and their keys (HTML, written under the map with its own).
    ``sent``: the key of the map this run already showed (``ui.first_map``): nothing is built or sent again.
    """
    if sent is not None:
        _remember_mount(sent, sel)
        _heap_settled()
        return None
    display = loaders.epci_display()
    assets, missing = loaders.map_assets()
    if missing:
        st.warning("Bibliothèques cartographiques locales absentes (lancez `npm ci`) : la carte les charge depuis Internet.")
    if view == "territoire":
        _follow_territory(display, current)
    zones = loaders.map_zones()
    layer = loaders.epci_choropleth(indicator_id, k)
    layer_url, layer_inline = loaders.national_layer()
    m = mapping.epci_map(display, assets, None, basemap, layer_url=layer_url, zones=zones, layer_inline=layer_inline)
    map_overlays.add_epci_labels(m)
    communes = tuple(current.territory.communes.index) if current.territory is not None else preview_communes(sel)
    nonce, bounds = st.session_state.get(_FIT, (0, None))
    groups = [mapping.epci_styles(layer), mapping.selection_layer(display, list(sel.epci)), mapping.drawing_layer(sel.polygon), *(extra or []),
              mapping.view_layer(bounds or zones.get("metro", FRANCE_BOUNDS["metro"]), str(nonce))]
    keys = [mapping.legend_html(layer.indicator, layer.classes, layer.decimals, *layer.source, layer.has_missing)] if layer.indicator else []
    if (marks := map_overlays.territory_marks(sel, current, communes)) is not None:
        groups.append(marks[0])
        keys.append(marks[1])
    keys += extra_keys or []
    if 0 < len(communes) <= MAX_OUTLINED_COMMUNES:
        outline = mapping.outline_layer(loaders.commune_outlines(communes))
        if sum(len(child.data) for child in outline._children.values()) <= OUTLINE_BUDGET:
            groups.insert(0, outline)
        else:
            st.caption("Contours des communes non affichés : territoire trop vaste pour rester léger sur la carte.")
    key = _map_key(st.session_state.get(_EPOCH, 0), basemap)
    _remember_mount(key, sel)
    data = leaflet_map.map_data(key, map_script(m, groups), height)
    leaflet_map.show(key, data, partial(on_map_event, key))
    if keys := "".join(text for text in keys if text):
        st.html(keys)  # under the map: a key over it hid a corner and had to let clicks through
    _heap_settled()
    return key, data, keys


@st.cache_resource(show_spinner=False)
def _heap_settled() -> bool:
    """Once per process, when the first map is built (its layers and labels cached): ``loaders.settle_heap``."""
    loaders.settle_heap()
    return True


def density_map(diag: Diagnostic, height: int = 460) -> None:
    """The territory's communes coloured by INSEE density level (nothing comes back from this map)."""
    communes = diag.communes
    if len(communes) > MAX_DENSITY_MAP_COMMUNES:
        st.info(f"Carte des niveaux de densité limitée aux territoires de {MAX_DENSITY_MAP_COMMUNES:,} communes au plus, pour rester "
                "légère : le graphique ci-dessus donne la répartition.".replace(",", "\u202f"))
        return
    ref = loaders.reference()
    assets, _ = loaders.map_assets()
    grid = ref.vintages.get("densite_niveau", {})
    note = " — ".join(p for p in (grid.get("source", ""), grid.get("millesime", "")) if p)
    m = mapping.category_map(loaders.commune_outlines(tuple(communes.index)), communes["nom"], communes["densite_niveau"],
                             DENSITY_LEVELS, mapping.DENSITY_COLORS, assets, "Niveau de densité")
    st_folium(m, key="diag_carte_densite", height=height, use_container_width=True, returned_objects=[])
    st.html(mapping.category_legend_html("Niveau de densité", communes["densite_niveau"], DENSITY_LEVELS, mapping.DENSITY_COLORS, note))


def ess_map(establishments: pd.DataFrame, communes: tuple[str, ...], note: str, height: int = 460) -> None:
    """The territory's ESS establishments (Sirene) by family (nothing comes back from this map)."""
    if len(communes) > MAX_DENSITY_MAP_COMMUNES:
        st.info(f"Carte des établissements limitée aux territoires de {fr_int(MAX_DENSITY_MAP_COMMUNES)} communes au plus.")
        return
    assets, _ = loaders.map_assets()
    st_folium(_ess_map(establishments, loaders.commune_outlines(communes), assets), key="diag_carte_ess", height=height,
              use_container_width=True, returned_objects=[])
    st.html(ess_legend_html(establishments, note))
    if len(establishments) > MAX_ESS_MARKERS:
        st.caption(f"Carte : les {fr_int(MAX_ESS_MARKERS)} premiers établissements sur {fr_int(len(establishments))}.")
