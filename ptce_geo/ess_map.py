"""The ESS establishments of a territory as a folium layer (a separate hook: the map modules stay untouched).

Each family has its colour and its shape (``map_symbols.FAMILY_SHAPES``), so families read without colour vision;
the key (``ess_legend_html``) goes in the page under the map and shows both.
"""

from __future__ import annotations

import html

import folium
import pandas as pd
import shapely

from .map_keys import key_html, shape_swatch
from .map_symbols import FAMILY_SHAPES, SHAPE_LABELS, ShapeMarkers, shape_of
from .mapping import Assets, base_map, outline_layer
from .sources.sirene import FAMILIES

__all__ = ["ess_layer", "ess_map", "ess_legend_html", "FAMILY_COLOURS", "MAX_ESS_MARKERS"]

MAX_ESS_MARKERS = 3_000  # beyond, the map payload grows past what a browser redraws smoothly
FAMILY_COLOURS = {"associations": "#1b9e77", "cooperatives": "#d95f02", "mutuelles": "#7570b3", "fondations": "#e7298a",
                  "societes_ess": "#66a61e", "autres": "#a6761d"}


def _placed(establishments: pd.DataFrame, max_markers: int) -> pd.DataFrame:
    placed = establishments.dropna(subset=["lat", "lon"]) if not establishments.empty else establishments
    return placed.head(max(int(max_markers), 0))


def ess_layer(establishments: pd.DataFrame, max_markers: int = MAX_ESS_MARKERS, name: str = "Établissements de l'ESS (Sirene)"
              ) -> folium.FeatureGroup:
    """One marker per located establishment (the first ``max_markers``), coloured and shaped by family; names escaped."""
    group = folium.FeatureGroup(name=name)
    placed = _placed(establishments, max_markers)
    rows = [[round(float(row.lat), 6), round(float(row.lon), 6), FAMILY_COLOURS.get(row.famille, "#666666"),
             html.escape(f"{row.nom} — {FAMILIES.get(row.famille, row.famille)} ({row.siret})"), shape_of(row.famille, FAMILY_SHAPES)]
            for row in placed.itertuples(index=False)]
    if rows:
        ShapeMarkers(rows).add_to(group)
    group.marker_count = len(rows)
    return group


def ess_legend_html(establishments: pd.DataFrame, note: str = "", max_markers: int = MAX_ESS_MARKERS) -> str:
    """The key of the families shown on the map (shape and colour of each), written in the page under it; escaped."""
    shown = set(_placed(establishments, max_markers)["famille"]) if len(establishments) else set()
    rows = [(shape_swatch(FAMILY_SHAPES[family], colour), f"{FAMILIES[family]} ({SHAPE_LABELS[FAMILY_SHAPES[family]]})")
            for family, colour in FAMILY_COLOURS.items() if family in shown]
    return key_html("Établissements de l'ESS", rows, note)


def ess_map(establishments: pd.DataFrame, outlines: pd.Series, assets: Assets) -> folium.Map:
    """The territory's communes outlined and its ESS establishments by family, fitted to the territory (its outlines,
    already simplified); the key is ``ess_legend_html``."""
    m = base_map(assets)
    outline_layer(outlines).add_to(m)
    ess_layer(establishments).add_to(m)
    if len(geoms := outlines.dropna()):
        minx, miny, maxx, maxy = shapely.total_bounds(geoms.to_numpy())
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m
