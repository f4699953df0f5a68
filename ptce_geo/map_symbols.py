"""Marker shapes, so that a marker's category reads without colour vision and in grey print.

Each shape is a polygon of unit vertices (screen axes, y down, within the unit circle) scaled by the marker's
radius in the browser; the same vertices draw the key's swatches (``map_keys.shape_swatch``), so the key shows
exactly what the map shows. ``PtceShapeMarker`` is Leaflet's ``CircleMarker`` drawing that polygon instead of a
circle: it works with both the SVG and the canvas renderer (their ``_updatePoly`` reads the marker's ``_parts``).
"""

from __future__ import annotations

import math

from folium.template import Template

from ._leaflet import _ScriptElement, js_literal

__all__ = ["SHAPES", "SHAPE_LABELS", "KIND_SHAPES", "FAMILY_SHAPES", "UNKNOWN_SHAPE", "SHAPE_MARKER_JS", "shape_of", "ShapeMarkers"]


def _star(points: int = 5, inner: float = 0.45) -> tuple[tuple[float, float], ...]:
    return tuple((round((1 if i % 2 == 0 else inner) * math.sin(i * math.pi / points), 3),
                  round(-(1 if i % 2 == 0 else inner) * math.cos(i * math.pi / points), 3)) for i in range(2 * points))


def _regular(n: int) -> tuple[tuple[float, float], ...]:
    return tuple((round(math.cos(2 * math.pi * i / n), 3), round(math.sin(2 * math.pi * i / n), 3)) for i in range(n))


_ARM = 0.34  # half the width of the cross's arms
SHAPES: dict[str, tuple[tuple[float, float], ...] | None] = {
    "circle": None,  # Leaflet's own circle
    "square": ((-0.7, -0.7), (0.7, -0.7), (0.7, 0.7), (-0.7, 0.7)),
    "diamond": ((0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)),
    "triangle": ((0.0, -1.0), (0.866, 0.5), (-0.866, 0.5)),
    "triangle_down": ((0.0, 1.0), (0.866, -0.5), (-0.866, -0.5)),
    "star": _star(),
    "hexagon": _regular(6),
    "cross": ((-_ARM, -0.9), (_ARM, -0.9), (_ARM, -_ARM), (0.9, -_ARM), (0.9, _ARM), (_ARM, _ARM), (_ARM, 0.9), (-_ARM, 0.9),
              (-_ARM, _ARM), (-0.9, _ARM), (-0.9, -_ARM), (-_ARM, -_ARM)),
}
SHAPE_LABELS = {"circle": "cercle", "square": "carré", "diamond": "losange", "triangle": "triangle", "triangle_down": "triangle pointe en bas",
                "star": "étoile", "hexagon": "hexagone", "cross": "croix"}  # French names, written in the keys

UNKNOWN_SHAPE = "cross"
# Structure types grouped by shape (the colour then tells the types of a group apart); « autre » and unknown: a cross.
KIND_SHAPES = {"association": "circle", "SCIC": "square", "SCOP": "square", "autre coopérative": "square",
               "entreprise de l'ESS": "diamond", "structure d'insertion (SIAE)": "diamond", "entreprise": "triangle",
               "collectivité": "triangle_down", "établissement public": "triangle_down",
               "centre de recherche": "star", "enseignement supérieur et recherche": "star", "organisme de formation": "star",
               "habitants ou collectif citoyen": "hexagon", "autre": "cross"}
# One shape per ESS family (sources.sirene.FAMILIES); « autres organismes », the catch-all, a cross like « autre ».
FAMILY_SHAPES = {"associations": "circle", "cooperatives": "square", "mutuelles": "triangle_down", "fondations": "hexagon",
                 "societes_ess": "diamond", "autres": "cross"}


def shape_of(value: object, shapes: dict[str, str]) -> str:
    """The shape of a category (``UNKNOWN_SHAPE`` for a missing or unlisted one)."""
    return shapes.get(value, UNKNOWN_SHAPE) if isinstance(value, str) else UNKNOWN_SHAPE


SHAPE_MARKER_JS = """
window.PtceShapeMarker = window.PtceShapeMarker || L.CircleMarker.extend({
    options: {shape: null},  // unit vertices, or null for a circle
    _updatePath: function () {
        var shape = this.options.shape;
        if (!shape) { return L.CircleMarker.prototype._updatePath.call(this); }
        var p = this._point, r = this._radius;
        this._parts = [shape.map(function (v) { return L.point(p.x + v[0] * r, p.y + v[1] * r); })];
        this._renderer._updatePoly(this, true);
    }
});
"""


class ShapeMarkers(_ScriptElement):
    """Non-clickable-through markers from rows ``[lat, lon, colour, tooltip (escaped HTML), shape name]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.library }}
        var {{ this.get_name() }} = (function () {
            var shapes = {{ this.shapes }}, group = L.featureGroup();
            {{ this.rows }}.forEach(function (r) {
                new window.PtceShapeMarker([r[0], r[1]], {radius: {{ this.radius }}, color: "#252525", weight: 1, fillColor: r[2],
                    fillOpacity: 0.9, shape: shapes[r[4]], className: "ptce-shape ptce-shape-" + r[4]})
                    .bindTooltip(r[3]).addTo(group);
            });
            return group;
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list], radius: float = 5.0) -> None:
        super().__init__()
        self._name = "ShapeMarkers"
        self.library = SHAPE_MARKER_JS
        self.shapes = js_literal(SHAPES)
        self.rows = js_literal(rows)
        self.radius = float(radius)

