"""Heavy read-only objects, loaded once per server process (``st.cache_resource``).

Cached functions take the cache generation as an argument so that a data import made while
the server runs yields new objects instead of stale ones.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading

import pandas as pd
import streamlit as st

from ptce_geo.display import DisplayLayer, load_epci_display
from ptce_geo.indicators import INDICATORS, Indicator, indicator
from ptce_geo.layer_files import layer_name
from ptce_geo.mapping import DEFAULT_CLASSES, DEFAULT_INDICATOR, Assets, Choropleth, choropleth, light_outlines
from ptce_geo.national_layer import layer_asset, zone_extents
from ptce_geo.reference import Reference, load_reference
from ui import map_files

__all__ = ["BACKGROUND", "reference", "prepare_first_map", "settle_heap", "epci_display", "epci_choropleth", "national_layer",
           "map_zones", "commune_outlines", "map_assets", "mappable_indicators", "STATIC_DIR"]

STATIC_DIR = map_files.STATIC_DIR
BACKGROUND = "ptce-geo-"  # prefix of the names of the threads that prepare work outside any page's run


class _NoRunOnPurpose(logging.Filter):
    """Drop Streamlit's « missing ScriptRunContext » warning for our background threads: they call cached functions
    outside a page's run on purpose (to have them ready when a page asks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName.startswith(BACKGROUND) and "missing ScriptRunContext" in record.getMessage())


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoRunOnPurpose())


@st.cache_resource(show_spinner="Chargement des données de référence…")
def reference() -> Reference:
    ref = load_reference()
    threading.Thread(target=_prepare, args=(ref,), name=BACKGROUND + "warm-up", daemon=True).start()
    return ref


def _prepare(ref: Reference) -> None:
    """Once the reference is read: the first map's pieces, then the first diagnostic's (``_warm_up``), then the heap
    settled (``settle_heap``), so that none of them falls on a user's first page, click or drawing."""
    with contextlib.suppress(Exception):  # never fails the app; a page's own call reports any problem
        prepare_first_map()
    _warm_up(ref)
    settle_heap()


def prepare_first_map() -> None:
    """The Territoire page's EPCI map as it opens (``DEFAULT_INDICATOR`` in ``DEFAULT_CLASSES`` classes): display layer,
    classes, zones and the outlines file (~0.2 s once the reference is read)."""
    shown = DEFAULT_INDICATOR if any(ind.id == DEFAULT_INDICATOR for ind in mappable_indicators()) else None
    epci_choropleth(shown, DEFAULT_CLASSES)
    map_zones()
    national_layer()


def _warm_up(ref: Reference) -> None:
    """Build, in the background, what the first diagnostic needs once per process (spatial index, communes projected
    into each zone's CRS, commune hulls, lookups, trend series: ~1.1 s), so that the user's first drawing or click is answered as
    fast as the next ones: the territory of a polygon (one commune's box) goes through all of it."""
    import shapely

    from ptce_geo.diagnostic import diagnose
    from ptce_geo.territory import TerritoryDefinition, build_territory

    with contextlib.suppress(Exception):  # a warm-up never fails the app; the real call reports any problem
        box = shapely.box(*ref.communes.geometry.dropna().iloc[0].bounds)
        diag = diagnose(ref, build_territory(ref, TerritoryDefinition(polygon=shapely.geometry.mapping(box), min_share=0.05)))
        len(diag.trends)  # computed on first use (the Diagnostic page's): its lookups too


def settle_heap() -> None:
    """Move the objects alive now (the reference tables, their geometries, lookups: ~200,000 objects) out of the garbage
    collector's sight (``gc.freeze``). Streamlit collects garbage after every run of a page (``runner.postScriptGC``): over
    them, ~0.1-0.15 s of every click or drawing, for objects that live as long as the process. Collected first, so that
    no garbage is frozen with them. Called when the background preparation is over, then once when the first map has
    been sent (what its run kept: layers, labels); a collection only goes over what was not frozen before, so the second
    one is short."""
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner="Préparation de la carte des EPCI…")
def _epci_display(generation: str) -> DisplayLayer:
    return load_epci_display(reference())


def epci_display() -> DisplayLayer:
    """EPCI polygons simplified for the France-wide map (GeoJSON text ready)."""
    return _epci_display(reference().manifest.get("generation", ""))


@st.cache_resource(max_entries=32, show_spinner=False)
def _epci_choropleth(generation: str, indicator_id: str | None, k: int) -> Choropleth:
    ref, display = reference(), epci_display()
    if indicator_id is None:
        return choropleth(display, geometry=False)
    ind = indicator(indicator_id)
    return choropleth(display, ind, ref.level("epci")[ind.id], ref.source_of(ind), k, geometry=False)


def epci_choropleth(indicator_id: str | None, k: int = 5) -> Choropleth:
    """Classes and values of one indicator for every EPCI (computed once per indicator and number of classes); the
    outlines come from ``national_layer``."""
    return _epci_choropleth(reference().manifest.get("generation", ""), indicator_id, k)


@st.cache_resource(show_spinner=False)
def _outline_memo(generation: str) -> dict[str, object]:
    """Light outline of each commune already asked for (``None``: no geometry), filled as territories come."""
    return {}


@st.cache_resource(show_spinner=False)
def _outline_sets(generation: str) -> dict[tuple[str, ...], pd.Series]:
    return {}


def commune_outlines(codes: tuple[str, ...]) -> pd.Series:
    """Lightly simplified outlines of some communes (a territory), kept for the next reruns.

    Simplified commune by commune (the result does not depend on the others): a click on a neighbouring EPCI only
    simplifies the communes it adds. The last few series asked for are kept whole (a rerun of the same territory
    rebuilds nothing), looked up by the codes themselves rather than hashed by ``st.cache_resource`` (~10 ms for
    1,000 codes, on every rerun). One lock for both memos: they are shared by every session's thread, and a commune
    seen half-added by another session would be kept without its outline.
    """
    codes = tuple(codes)
    generation = reference().manifest.get("generation", "")
    with _OUTLINE_LOCK:
        sets = _outline_sets(generation)
        if (found := sets.get(codes)) is not None:
            return found
        memo, communes = _outline_memo(generation), reference().communes
        if new := [c for c in dict.fromkeys(codes) if c not in memo and c in communes.index]:
            lines = light_outlines(communes.geometry.reindex(new))
            memo.update(dict.fromkeys(new))
            memo.update(lines.items())
        known = [c for c in codes if memo.get(c) is not None]
        out = pd.Series([memo[c] for c in known], index=pd.Index(known, dtype=communes.index.dtype), dtype=object)
        if len(sets) >= _OUTLINE_SETS:
            sets.pop(next(iter(sets)))
        sets[codes] = out
        return out


_OUTLINE_SETS = 8
_OUTLINE_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def _computed_layer(generation: str) -> tuple[bytes, str]:
    data = layer_asset(epci_display())  # a cache built before the build prepared the file
    return data, layer_name(data)


def national_layer() -> tuple[str | None, str | None]:
    """``(URL, None)`` of the EPCI outlines file (static/layers/epci-<hash>.json, prepared by the cache build), or
    ``(None, the outlines)`` when static/ cannot be written: the map then carries them."""
    generation = reference().manifest.get("generation", "")
    return map_files.publish(*(map_files.prepared_layer(generation) or _computed_layer(generation)))


@st.cache_resource(show_spinner=False)
def _zone_extents(generation: str) -> dict:
    return zone_extents(reference().communes)


def map_zones() -> dict:
    """Extent of metropolitan France and of each DROM (for the map's views)."""
    return _zone_extents(reference().manifest.get("generation", ""))


@st.cache_resource(show_spinner=False)
def _mappable_indicators(generation: str) -> list[Indicator]:
    ref = reference()
    return [ind for ind in INDICATORS if ref.available(ind) and ind.id in ref.level("epci").columns]


def mappable_indicators() -> list[Indicator]:
    """Indicators loaded in the current data (others cannot be mapped); looked up once per data generation (~20 ms)."""
    return _mappable_indicators(reference().manifest.get("generation", ""))


def map_assets() -> tuple[Assets, list[str]]:
    """Local Leaflet files when ``npm ci`` installed them (else the CDN, online only) and the missing files."""
    missing = Assets.missing(STATIC_DIR)
    return (Assets.cdn() if missing else Assets.local()), missing
