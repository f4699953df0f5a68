"""folium layers for the actor inventory: markers coloured by involvement or kind and shaped by kind, filters, key.

Pure functions (no streamlit). Every user string is escaped here before it reaches Leaflet: popups
are ``actor_popup_html`` (escaped field by field), tooltips go through ``html.escape`` (Leaflet
inserts a tooltip string as HTML), and the whole data block is inlined with ``js_literal`` (no
``</script>`` can close the page's script). Maps load Leaflet from local ``Assets`` only.

Actors placed at the same point (several structures of one commune placed inside it) are drawn
on a sunflower spiral around that point, in screen pixels recomputed at each zoom (the data keeps
the exact point): no clustering plugin, which folium would load from a CDN.

A marker's shape always tells the structure type (``map_symbols.KIND_SHAPES``), whatever the colour shows: the
types read without colour vision. The key (``actor_legend_html``) goes in the page under the map.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.template import Template

from .._leaflet import _ScriptElement, js_literal
from ..map_keys import fill_swatch, key_html, shape_swatch
from ..map_symbols import KIND_SHAPES, SHAPE_LABELS, SHAPE_MARKER_JS, SHAPES, UNKNOWN_SHAPE, shape_of
from ..mapping import FRANCE_VIEW, Assets, base_map, outline_layer, view_for
from .actor_schema import INVOLVEMENT_LEVELS, KINDS, fold, split_list
from .actors import INVOLVEMENT_COLOURS, KIND_COLOURS, actor_popup_html

__all__ = [
    "activity_layer",
    "ACTIVITY_COLOUR",
    "COLOUR_BY",
    "UNKNOWN",
    "UNKNOWN_COLOUR",
    "MAX_MARKERS",
    "SVG_MAX_MARKERS",
    "filter_options",
    "filter_actors",
    "point_ranks",
    "actor_legend_html",
    "marker_rows",
    "markers_layer",
    "actor_layer",
    "clicked_point_layer",
    "actors_base_map",
    "actors_view",
]

COLOUR_BY: dict[str, tuple[str, dict[str, str]]] = {
    "implication": ("Niveau d'implication", INVOLVEMENT_COLOURS),
    "type_structure": ("Type de structure", KIND_COLOURS),
}
UNKNOWN = "non renseigné"
UNKNOWN_COLOUR = "#bdbdbd"
MAX_MARKERS = 5000  # ~300 bytes of popup each: beyond, the page would carry megabytes for an unreadable map
SVG_MAX_MARKERS = 1000  # above, markers are drawn on a canvas (one element instead of one per actor)
SPREAD_PX = 11  # distance between neighbours on the spiral, in pixels (markers have a 6 px radius)


def _column(actors: pd.DataFrame, name: str) -> pd.Series:
    return actors[name] if name in actors else pd.Series(pd.NA, index=actors.index, dtype="str")


def filter_options(actors: pd.DataFrame) -> dict[str, list[str]]:
    """Values offered by the filters: kinds and levels in schema order (plus « non renseigné »), themes by frequency."""
    kinds = set(_column(actors, "type_structure").fillna(UNKNOWN))
    levels = set(_column(actors, "implication").fillna(UNKNOWN))
    themes: dict[str, tuple[str, int]] = {}
    for text in _column(actors, "thematiques").dropna():
        for item in split_list(text):
            label, n = themes.get(fold(item), (item, 0))
            themes[fold(item)] = (label, n + 1)
    return {
        "type_structure": [k for k in (*KINDS, UNKNOWN) if k in kinds] + sorted(kinds - {*KINDS, UNKNOWN}),
        "implication": [k for k in (*INVOLVEMENT_LEVELS, UNKNOWN) if k in levels] + sorted(levels - {*INVOLVEMENT_LEVELS, UNKNOWN}),
        "thematiques": [label for label, _ in sorted(themes.values(), key=lambda t: (-t[1], fold(t[0])))],
    }


def filter_actors(actors: pd.DataFrame, kinds: list[str] | None = None, levels: list[str] | None = None,
                  themes: list[str] | None = None) -> pd.DataFrame:
    """Actors matching every non-empty filter (an empty list keeps all); a theme matches case- and accent-insensitively."""
    keep = pd.Series(True, index=actors.index)
    if kinds:
        keep &= _column(actors, "type_structure").fillna(UNKNOWN).isin(kinds)
    if levels:
        keep &= _column(actors, "implication").fillna(UNKNOWN).isin(levels)
    if themes:
        wanted = {fold(t) for t in themes}
        keep &= _column(actors, "thematiques").map(lambda text: any(fold(i) in wanted for i in split_list(text))).astype(bool)
    return actors[keep.to_numpy()]


def point_ranks(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """0 for the first actor at a point, 1, 2… for the next ones at the same point (to 1e-6°), in table order."""
    keys = pd.DataFrame({"a": np.round(np.asarray(lat, dtype="float64"), 6), "b": np.round(np.asarray(lon, dtype="float64"), 6)})
    return keys.groupby(["a", "b"], dropna=False).cumcount().to_numpy(dtype="int64") if len(keys) else np.zeros(0, dtype="int64")


def _colours(actors: pd.DataFrame, colour_by: str) -> pd.Series:
    if colour_by not in COLOUR_BY:
        raise ValueError(f"Couleur par « {colour_by} » impossible (attendu : {', '.join(COLOUR_BY)}).")
    palette = COLOUR_BY[colour_by][1]
    return _column(actors, colour_by).map(lambda v: palette.get(v, UNKNOWN_COLOUR) if isinstance(v, str) else UNKNOWN_COLOUR)


def _kind_groups() -> list[tuple[str, list[str]]]:
    """(shape, kinds drawn with it), in the order of ``KINDS``; unknown kinds join the ``UNKNOWN_SHAPE`` group."""
    groups: dict[str, list[str]] = {}
    for kind in KINDS:
        groups.setdefault(KIND_SHAPES.get(kind, UNKNOWN_SHAPE), []).append(kind)
    groups.setdefault(UNKNOWN_SHAPE, []).append(UNKNOWN)
    return list(groups.items())


def actor_legend_html(colour_by: str) -> str:
    """The key of the markers, written in the page under the map; escaped.

    Coloured by type: one entry per type (and « non renseigné »), with its shape and colour. Coloured by involvement:
    the colours of the levels, then the shapes of the types (a marker's shape always tells its type).
    """
    title, palette = COLOUR_BY[colour_by]
    if colour_by == "type_structure":
        rows = [(shape_swatch(shape_of(kind, KIND_SHAPES), colour), f"{kind} ({SHAPE_LABELS[shape_of(kind, KIND_SHAPES)]})")
                for kind, colour in [*palette.items(), (UNKNOWN, UNKNOWN_COLOUR)]]
        return key_html(f"{title} : forme et couleur", rows)
    colours = key_html(f"{title} : couleur", [(fill_swatch(colour), label) for label, colour in [*palette.items(), (UNKNOWN, UNKNOWN_COLOUR)]])
    shapes = key_html("Type de structure : forme", [(shape_swatch(shape, "#ffffff"), f"{', '.join(kinds)} ({SHAPE_LABELS[shape]})")
                                                    for shape, kinds in _kind_groups()])
    return colours + shapes


class _ActorMarkers(_ScriptElement):
    """Markers from one compact array ``[lat, lon, colour, tooltip, popup, rank, shape]`` (``map_symbols.SHAPES``).

    Clicks on a marker do not reach the map (``bubblingMouseEvents: false``), so opening a popup never
    counts as « click here to add an actor ». A marker of rank k > 0 (the k-th other actor at the same
    point) is moved k-th on a sunflower spiral around the point, ``SPREAD_PX`` pixels apart, at each zoom.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.library }}
        var {{ this.get_name() }} = (function () {
            var rows = {{ this.rows }}, shapes = {{ this.shapes }};
            var group = L.featureGroup();
            if (!document.getElementById("ptce-actor-style")) {
                var style = document.createElement("style");
                style.id = "ptce-actor-style";
                style.textContent = ".ptce-popup .leaflet-popup-content, .ptce-tooltip {font: 12px/1.45 sans-serif; margin: 8px 10px;}"
                    + " .ptce-tooltip {margin: 0;}";
                document.head.appendChild(style);
            }
            var renderer = rows.length > {{ this.svg_max }} ? L.canvas({padding: 0.5}) : null;
            var spread = [], step = {{ this.step }}, map = null;
            rows.forEach(function (r) {
                var options = {radius: shapes[r[6]] ? 7 : 6, color: "#252525", weight: 1, fillColor: r[2], fillOpacity: 0.9,
                               bubblingMouseEvents: false, className: "ptce-actor ptce-shape-" + r[6], shape: shapes[r[6]]};
                if (renderer) { options.renderer = renderer; }
                var marker = new window.PtceShapeMarker([r[0], r[1]], options).bindTooltip(r[3], {className: "ptce-tooltip"})
                    .bindPopup(r[4], {maxWidth: 320, className: "ptce-popup"}).addTo(group);
                if (r[5] > 0) { spread.push([marker, L.latLng(r[0], r[1]), r[5]]); }
            });
            function place() {
                var zoom = map.getZoom();
                spread.forEach(function (s) {
                    var angle = s[2] * 2.399963, radius = step * Math.sqrt(s[2]);
                    var p = map.project(s[1], zoom).add([radius * Math.cos(angle), radius * Math.sin(angle)]);
                    s[0].setLatLng(map.unproject(p, zoom));
                });
            }
            group.on("add", function () { map = group._map; place(); map.on("zoomend", place); });
            group.on("remove", function () { if (map) { map.off("zoomend", place); } });
            return group;
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list], svg_max: int = SVG_MAX_MARKERS, step: float = SPREAD_PX) -> None:
        super().__init__()
        self._name = "ActorMarkers"
        self.library = SHAPE_MARKER_JS
        self.shapes = js_literal(SHAPES)
        self.rows = js_literal(rows)
        self.svg_max = int(svg_max)
        self.step = float(step)
        self.count = len(rows)


def _tooltip(row: Mapping) -> str:
    name = row.get("nom")
    parts = [str(name) if isinstance(name, str) and name else "(sans nom)"]
    parts += [str(row.get(c)) for c in ("type_structure", "implication") if isinstance(row.get(c), str)]
    return html.escape(" — ".join(parts), quote=True)


def marker_rows(actors: pd.DataFrame, colour_by: str = "implication", max_markers: int = MAX_MARKERS) -> list[list]:
    """``[lat, lon, colour, tooltip, popup, rank, shape]`` for the first ``max_markers`` placed actors, every string escaped."""
    lat = pd.to_numeric(_column(actors, "latitude"), errors="coerce")
    lon = pd.to_numeric(_column(actors, "longitude"), errors="coerce")
    placed = actors[(lat.notna() & lon.notna()).to_numpy()].iloc[:max(int(max_markers), 0)]
    ys, xs = lat.loc[placed.index].to_numpy(), lon.loc[placed.index].to_numpy()
    records = pd.DataFrame(placed.drop(columns=[c for c in ("geometry",) if c in placed])).to_dict("records")
    return [[round(float(y), 6), round(float(x), 6), colour, _tooltip(row), actor_popup_html(row), int(rank),
             shape_of(row.get("type_structure"), KIND_SHAPES)]
            for y, x, colour, rank, row in zip(ys, xs, _colours(placed, colour_by), point_ranks(ys, xs), records, strict=True)]


def markers_layer(rows: list[list], name: str = "Acteurs") -> folium.FeatureGroup:
    """A layer drawing ``marker_rows``; ``group.marker_count`` says how many markers it holds."""
    group = folium.FeatureGroup(name=name)
    if rows:
        _ActorMarkers(rows).add_to(group)
    group.marker_count = len(rows)
    return group


def actor_layer(actors: pd.DataFrame, colour_by: str = "implication", max_markers: int = MAX_MARKERS,
                name: str = "Acteurs") -> folium.FeatureGroup:
    """Placed actors (``latitude``/``longitude`` known) as markers shaped by type; the first ``max_markers`` only."""
    return markers_layer(marker_rows(actors, colour_by, max_markers), name)


def clicked_point_layer(lat: float | None, lon: float | None) -> folium.FeatureGroup:
    """The point clicked for a new actor (dashed ring, not clickable); empty when nothing was clicked."""
    group = folium.FeatureGroup(name="Nouvel acteur")
    if lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon):
        folium.CircleMarker([float(lat), float(lon)], radius=9, color="#e7298a", weight=3, dash_array="4 3", fill=True,
                            fill_opacity=0.25, interactive=False).add_to(group)
    return group


ACTIVITY_COLOUR = "#111111"


def activity_layer(points: gpd.GeoDataFrame, name: str = "Projets d'activité") -> folium.FeatureGroup:
    """Activity projects (``activities.activity_points``) as white rings with a dark edge over the actors; tooltips escaped."""
    group = folium.FeatureGroup(name=name)
    for row in points.itertuples(index=False):
        label = html.escape(f"Projet d'activité : {row.nom} — {row.statut}", quote=True)
        folium.CircleMarker([round(row.geometry.y, 6), round(row.geometry.x, 6)], radius=10, color=ACTIVITY_COLOUR, weight=3,
                            fill=True, fill_color="#ffffff", fill_opacity=0.9, tooltip=label).add_to(group)  # no plugin: offline
    group.marker_count = len(points)
    return group


def actors_view(bounds: tuple[float, float, float, float] | None, width_px: int = 900,
                height_px: int = 560) -> tuple[tuple[float, float], int]:
    """Centre and zoom showing ``bounds`` (minx, miny, maxx, maxy), France when there is nothing to show."""
    if bounds is None or not all(math.isfinite(b) for b in bounds):
        return FRANCE_VIEW
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = max((maxx - minx) * 0.05, 0.01), max((maxy - miny) * 0.05, 0.01)
    return view_for((minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y), width_px, height_px, max_zoom=13)


def actors_base_map(assets: Assets, basemap: str, bounds: tuple[float, float, float, float] | None,
                    outlines: pd.Series | None = None) -> folium.Map:
    """The map under the actors: background, the territory's commune outlines (the key is ``actor_legend_html``).

    Actors and the clicked point are separate layers (``actor_layer``, ``clicked_point_layer``), so
    that filtering or adding an actor does not rebuild the map.
    """
    center, zoom = actors_view(bounds)
    m = base_map(assets, basemap, center, zoom)
    if outlines is not None and len(outlines):
        outline_layer(outlines, name="Communes du territoire").add_to(m)
    return m
