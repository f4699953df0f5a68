"""The ESS establishments of a territory as a folium layer (a separate hook: the map modules stay untouched)."""

from __future__ import annotations

import html

import folium
import pandas as pd
import shapely

from ._leaflet import HtmlLegend
from .mapping import Assets, base_map, category_legend_html, outline_layer
from .sources.sirene import FAMILIES

__all__ = ["ess_layer", "ess_map", "FAMILY_COLOURS", "MAX_ESS_MARKERS"]

MAX_ESS_MARKERS = 3_000  # beyond, the map payload grows past what a browser redraws smoothly
FAMILY_COLOURS = {"associations": "#1b9e77", "cooperatives": "#d95f02", "mutuelles": "#7570b3", "fondations": "#e7298a",
                  "societes_ess": "#66a61e", "autres": "#a6761d"}


def ess_layer(establishments: pd.DataFrame, max_markers: int = MAX_ESS_MARKERS, name: str = "Établissements de l'ESS (Sirene)"
              ) -> folium.FeatureGroup:
    """One circle per located establishment (the first ``max_markers``), coloured by family; names escaped."""
    group = folium.FeatureGroup(name=name)
    placed = establishments.dropna(subset=["lat", "lon"]) if not establishments.empty else establishments
    for row in placed.head(max(int(max_markers), 0)).itertuples(index=False):
        label = f"{row.nom} — {FAMILIES.get(row.famille, row.famille)} ({row.siret})"
        folium.CircleMarker([round(float(row.lat), 6), round(float(row.lon), 6)], radius=4, weight=1,
                            color=FAMILY_COLOURS.get(row.famille, "#666666"), fill=True, fill_opacity=0.7,
                            tooltip=folium.Tooltip(html.escape(label))).add_to(group)
    group.marker_count = min(len(placed), max(int(max_markers), 0))
    return group


def ess_map(establishments: pd.DataFrame, outlines: pd.Series, assets: Assets, note: str = "") -> folium.Map:
    """The territory's communes outlined and its ESS establishments by family, with a key of the families shown;
    fitted to the territory (its outlines, already simplified)."""
    m = base_map(assets)
    outline_layer(outlines).add_to(m)
    layer = ess_layer(establishments)
    layer.add_to(m)
    shown = establishments.dropna(subset=["lat", "lon"]).head(layer.marker_count)["famille"].unique() if layer.marker_count else []
    rows = [(colour, FAMILIES[family]) for family, colour in FAMILY_COLOURS.items() if family in set(shown)]
    HtmlLegend(category_legend_html("Établissements de l'ESS", rows, note)).add_to(m)  # escaped there
    if len(geoms := outlines.dropna()):
        minx, miny, maxx, maxy = shapely.total_bounds(geoms.to_numpy())
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m
