"""Place names and marked communes on the Territoire map: cached label rows, layers built by ``ptce_geo.map_overlays``,
the key of the marks for the page.

EPCI names travel with the map itself (identical on every rerun); commune names and the marks of excluded and
cut communes travel with the territory's layers (``feature_group_to_add``), swapped in place when it changes.
"""

from __future__ import annotations

from functools import lru_cache

import folium
import numpy as np
import pandas as pd
import streamlit as st

from ptce_geo import map_overlays as mo
from ui import loaders, state
from ui.territory import Current

__all__ = ["add_epci_labels", "territory_marks"]


def _generation() -> str:
    return loaders.reference().manifest.get("generation", "")


@st.cache_resource(show_spinner=False)
def _epci_points(generation: str):
    frame = loaders.epci_display().frame  # label points prepared by the cache build (computed here for an older cache)
    points = frame[["lat", "lon"]].dropna() if {"lat", "lon"} <= set(frame.columns) else mo.label_points(frame.geometry)
    return points, frame["nom"].map(mo.short_epci_name)


@st.cache_resource(max_entries=16, show_spinner=False)
def _epci_rows(generation: str, codes: tuple[str, ...] | None) -> list[tuple[float, float, str]]:
    points, names = _epci_points(generation)
    if codes is not None:
        points = points.loc[points.index.intersection(list(codes))]
    return mo.label_rows(points, names, loaders.reference().epci["population"])


def add_epci_labels(m: folium.Map, codes: tuple[str, ...] | None = None) -> None:
    """EPCI names on ``m`` (all of France, or the EPCI ``codes`` of a view around the territory)."""
    mo.epci_labels(_epci_rows(_generation(), codes)).add_to(m)


@st.cache_resource(show_spinner=False)
def _point_memo(generation: str) -> dict[str, tuple[float, float]]:
    """Label point (lat, lon) of each commune already named on a map, filled as territories come."""
    return {}


def _commune_points(generation: str, codes: tuple[str, ...]):
    """Label points of ``codes`` (those with an outline), each computed once per process (~0.2 ms a commune): a click on a
    neighbouring EPCI computes only the communes it adds to the named ones."""
    memo = _point_memo(generation)
    if new := tuple(c for c in codes if c not in memo):
        points = mo.label_points(loaders.commune_outlines(new), tolerance_deg=0.005)
        # one update (atomic): another session's thread never sees a commune without its point; no outline: no point
        memo.update({**dict.fromkeys(new), **dict(zip(points.index, zip(points["lat"], points["lon"], strict=True), strict=True))})
    known = [c for c in codes if memo.get(c) is not None]
    coords = np.array([memo[c] for c in known], dtype="float64").reshape(-1, 2)
    # indexed like the communes (Arrow strings): an object index meeting theirs in label_rows costs ~8 ms a lookup
    return pd.DataFrame(coords, index=pd.Index(known, dtype=loaders.reference().communes.index.dtype), columns=["lat", "lon"])


@lru_cache(maxsize=8)
def _commune_rows(generation: str, codes: tuple[str, ...]) -> list[tuple[float, float, str]]:
    communes = loaders.reference().communes
    return mo.label_rows(_commune_points(generation, codes), communes["nom"], communes["population"], limit=mo.MAX_COMMUNE_LABELS)


@lru_cache(maxsize=16)
def _named(generation: str, members: tuple[str, ...], marked: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(mo.named_communes(loaders.reference().communes, members, marked))


def territory_marks(sel: state.Selection, current: Current, members: tuple[str, ...]) -> tuple[folium.FeatureGroup, str] | None:
    """Excluded and cut communes marked, commune names of the territory and around it, and the key of the marks (HTML
    for the page under the map); ``None``: nothing to mark."""
    ref = loaders.reference()
    excluded = tuple(c for c in sel.excluded if c in ref.communes.index)
    cut = tuple(current.territory.edge.index) if current.territory is not None else ()
    if not (members or excluded or cut):
        return None
    generation = _generation()
    labels = mo.commune_labels(_commune_rows(generation, _named(generation, members, (*cut, *excluded))))
    excluded_lines, cut_lines = loaders.commune_outlines(excluded), loaders.commune_outlines(cut)
    key = mo.marks_legend_html(bool(len(excluded_lines.dropna())), bool(len(cut_lines.dropna())), territory=bool(members))
    return mo.marked_communes_layer(excluded_lines, cut_lines, labels), key
