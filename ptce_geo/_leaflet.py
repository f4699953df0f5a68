"""Small folium elements writing their own Leaflet code (plumbing for ``mapping``).

folium's ``GeoJson`` re-serialises every geometry on each render and its ``GeoJsonTooltip``
inserts property values as raw HTML. These elements take GeoJSON text prepared once, and
strings that callers already escaped; everything inlined into the page goes through ``js_literal``.
"""

from __future__ import annotations

import json
from functools import lru_cache

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from folium.template import Template

__all__ = ["js_literal", "FeatureGroup", "ChoroplethGeoJson", "OutlineGeoJson", "PlaceLabels", "HatchedGeoJson",
           "TileErrorNotice", "MetricScale", "FrenchZoom", "ShapesOutOfTabOrder", "DrawLocale", "DRAW_LOCALE_FR"]


def js_literal(value: object) -> str:
    """JSON that is also safe inside an inline ``<script>`` (no ``</script>``, ``<!--`` or line separators)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


class _Raw(Element):
    """Text already rendered. branca wraps each element's output in a new Jinja template: for 2 MB of
    GeoJSON that costs ~0.4 s per render, and a ``{{ … }}`` inside a dataset string would be evaluated."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _ScriptElement(MacroElement):
    """A MacroElement with only a ``script`` macro, whose output goes to the page as raw text."""

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("Cet élément de carte doit appartenir à une carte folium.")
        figure.script.add_child(_Raw(self._template.module.script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _AddTo(ElementAddToElement):
    """folium's « layer.addTo(parent) » line, handed over as raw text."""

    render = _ScriptElement.render


class FeatureGroup(folium.FeatureGroup):
    """folium's FeatureGroup whose script, and the line adding it to the map, go to the page as raw text.

    branca compiles each rendered element's text as a new Jinja template (~0.3 ms, twice per layer on every rerun), and
    the page takes each layer's script from the rendering (``map_script``): the ``addTo`` child it adds is part of it.
    """

    def render(self, **kwargs) -> None:
        if self.show:
            self.add_child(_AddTo(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        _ScriptElement.render(self, **kwargs)


class ChoroplethGeoJson(_ScriptElement):
    """Polygons filled by class (``properties.k``, -1 = no data), each with an escaped tooltip.

    The tooltip is bound as a plain string; it reads ``<b>name</b><br>SIREN code<br>label : value``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var colors = {{ this.colors }}, missing = {{ this.missing }}, label = {{ this.label }}, codeLabel = {{ this.code_label }};
            var base = {color: "#4d4d4d", weight: 0.6, fillOpacity: {{ this.opacity }}};
            return L.geoJson({{ this.data }}, {
                style: function (f) {
                    var k = f.properties.k;
                    return Object.assign({fillColor: k >= 0 ? colors[k] : missing}, base);
                },
                onEachFeature: function (f, layer) {
                    var p = f.properties;
                    layer.bindTooltip("<b>" + p.n + "</b><br>" + codeLabel + " " + p.c + (label ? "<br>" + label + " : " + p.v : ""), {sticky: true});
                    layer.on("mouseover", function () { layer.setStyle({weight: 2.5, color: "#000000"}); });
                    layer.on("mouseout", function () { layer.setStyle({weight: base.weight, color: base.color}); });
                }
            });
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: str, colors: list[str], missing: str, label_html: str, code_label: str = "SIREN", opacity: float = 0.75) -> None:
        super().__init__()
        self._name = "ChoroplethGeoJson"
        self.data = data  # GeoJSON text made of js_literal pieces and shapely GeoJSON (numbers only)
        self.colors, self.missing, self.label = js_literal(colors), js_literal(missing), js_literal(label_html)
        self.code_label = js_literal(code_label)
        self.opacity = float(opacity)


class OutlineGeoJson(_ScriptElement):
    """Non-interactive polygons (clicks go through to the layer below): highlights, drawings, outlines."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data }}, {style: {{ this.style }}, interactive: false})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: str, style: dict) -> None:
        super().__init__()
        self._name = "OutlineGeoJson"
        self.data, self.style = data, js_literal(style)


# Place names drawn by the browser, without tiles: labels in priority order (largest first), only those in view,
# never overlapping each other nor a control (legend, tools), at most one per ~12,000 px² of map. Names are inserted with textContent: no HTML.
_LABELS_JS = """
window.PtceLabels = window.PtceLabels || (function () {
    var PANE = "ptceLabels";
    function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    function render(map) {
        if (map._animatingZoom) { return; }  // zoomend, then moveend, render again
        var pane = map.getPane(PANE), size = map.getSize(), zoom = map.getZoom(), origin = map.getContainer().getBoundingClientRect();
        var cap = Math.max(8, Math.floor(size.x * size.y / 12000)), placed = [], controls = [];
        map.getContainer().querySelectorAll(".leaflet-control").forEach(function (el) {  // a label under a legend is lost
            var r = el.getBoundingClientRect();
            if (r.width && r.height) { controls.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]); }
        });
        pane.textContent = "";
        pane.style.display = "";  // shown before placing: each name is measured as drawn
        map._ptceLabelLayers.slice().sort(function (a, b) { return a.options.rank - b.options.rank; }).forEach(function (layer) {
            if (zoom < layer.options.minZoom || zoom > layer.options.maxZoom) { return; }
            var rows = layer._rows;
            for (var i = 0; i < rows.length && placed.length < cap; i++) {
                var r = rows[i], p = map.latLngToContainerPoint([r[0], r[1]]), width = r[2].length * layer.options.charWidth;
                var w = Math.min(width, 150) / 2 + 3, h = Math.ceil(width / 150) * 6.6 + 2;  // wraps at 150 px, 13.2 px a line
                var box = [p.x - w, p.y - h, p.x + w, p.y + h];
                if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) { continue; }
                if (placed.some(function (b) { return overlaps(b, box); }) || controls.some(function (b) { return overlaps(b, box); })) { continue; }
                var anchor = L.DomUtil.create("div", "ptce-label-anchor", pane);
                var label = L.DomUtil.create("span", "ptce-label " + layer.options.className, anchor);
                label.textContent = r[2];
                L.DomUtil.setPosition(anchor, map.latLngToLayerPoint([r[0], r[1]]));
                var s = label.getBoundingClientRect();  // the drawn box: a name may wrap where the estimate did not
                var real = [s.left - origin.left - 2, s.top - origin.top - 1, s.right - origin.left + 2, s.bottom - origin.top + 1];
                if (real[0] < 0 || real[1] < 0 || real[2] > size.x || real[3] > size.y
                    || placed.some(function (b) { return overlaps(b, real); }) || controls.some(function (b) { return overlaps(b, real); })) {
                    pane.removeChild(anchor);
                    continue;
                }
                placed.push(real);
            }
        });
    }
    function setUp(map) {
        var pane = map.createPane(PANE);
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
        var css = document.createElement("style");
        css.textContent = ".ptce-label-anchor{position:absolute;width:0;height:0}"
            + ".ptce-label{position:absolute;transform:translate(-50%,-50%);text-align:center;max-width:150px;width:max-content;"
            + "font:11px/1.2 sans-serif;color:#1a1a1a;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}"
            + ".ptce-label-epci{font-weight:600;color:#08306b}.ptce-label-commune{font-style:italic}";
        document.head.appendChild(css);
        map._ptceLabelLayers = [];
        map.on("zoomstart", function () { pane.style.display = "none"; });
        map.on("moveend resize ptcelegend", function () { render(map); });
        if (window.ResizeObserver) {  // the iframe laid out late, a legend filled or folded: place the names again
            var observer = new ResizeObserver(function () { render(map); });
            observer.observe(map.getContainer());
            Object.keys(map._controlCorners).forEach(function (key) { observer.observe(map._controlCorners[key]); });
        }
    }
    return L.Layer.extend({
        options: {rank: 0, minZoom: 0, maxZoom: 30, className: "", charWidth: 6.5},
        initialize: function (rows, options) { this._rows = rows; L.setOptions(this, options); },
        onAdd: function (map) {
            if (!map._ptceLabelLayers) { setUp(map); }
            map._ptceLabelLayers.push(this);
            render(map);
        },
        onRemove: function (map) {
            map._ptceLabelLayers.splice(map._ptceLabelLayers.indexOf(this), 1);
            render(map);
        }
    });
})();
"""


# px per character at 11 px (Chromium, DejaVu Sans: EPCI bold 6.7 on average, 7.0 at most; communes italic 6.2, 7.2 at most
# for short names, which the 6 px margin of each box absorbs)
_CHAR_WIDTH = {"epci": 7.0, "commune": 6.6}


@lru_cache(maxsize=16)
def _rows_literal(rows: tuple[tuple[float, float, str], ...]) -> str:
    """Label rows as a JS literal, kept for the next maps: the same 1,253 EPCI names go with every rerun (~2 ms each)."""
    return js_literal([[lat, lon, str(name)] for lat, lon, name in rows])


class PlaceLabels(_ScriptElement):
    """Names drawn at points, largest first, without overlaps, shown between ``min_zoom`` and ``max_zoom``.

    ``rows``: (lat, lon, name) in priority order. Layers of one map share the space: a lower ``rank``
    is placed first. Names are plain text (``textContent``), never HTML: do not escape them beforehand.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.library }}
        var {{ this.get_name() }} = new window.PtceLabels({{ this.rows }}, {{ this.options }})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[tuple[float, float, str]], kind: str, rank: int = 0, min_zoom: int = 0, max_zoom: int = 30) -> None:
        super().__init__()
        self._name = "PlaceLabels"
        self.library = _LABELS_JS
        self.rows = _rows_literal(tuple(tuple(row) for row in rows))
        self.options = js_literal({"rank": rank, "minZoom": min_zoom, "maxZoom": max_zoom, "className": f"ptce-label-{kind}",
                                   "charWidth": _CHAR_WIDTH.get(kind, 6.5)})


# SVG patterns referenced by a fill of ``url(#id)``: one hidden <svg> per page, added once.
_PATTERNS_JS = """
(function () {
    if (document.getElementById("ptce-patterns")) { return; }
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.id = "ptce-patterns";
    svg.setAttribute("width", "0"); svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    svg.innerHTML = '<defs><pattern id="ptce-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">'
        + '<line x1="0" y1="0" x2="0" y2="7" stroke="#67001f" stroke-width="2.2"/></pattern></defs>';
    document.body.appendChild(svg);
})();
"""


class HatchedGeoJson(_ScriptElement):
    """Non-interactive polygons filled with diagonal hatching (SVG pattern ``ptce-hatch``) and outlined by ``style``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.library }}
        var {{ this.get_name() }} = L.geoJson({{ this.data }}, {style: {{ this.style }}, interactive: false})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: str, style: dict) -> None:
        super().__init__()
        self._name = "HatchedGeoJson"
        self.library = _PATTERNS_JS
        self.data = data  # shapely GeoJSON, numbers only
        self.style = js_literal({**style, "fill": True, "fillColor": "url(#ptce-hatch)", "fillOpacity": 1})


class TileErrorNotice(_ScriptElement):
    """A French notice on the map, once, when the online basemap fails to load a tile (offline, blocked…)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.tiles }}.once("tileerror", function () {
            var notice = L.control({position: "topright"});
            notice.onAdd = function () {
                var div = L.DomUtil.create("div", "ptce-tile-notice");
                div.setAttribute("role", "status");
                div.style.cssText = "pointer-events:none;background:#fff3cd;color:#5c4400;border:1px solid #b38600;border-radius:4px;"
                    + "padding:5px 8px;font:12px/1.35 sans-serif;max-width:260px";
                div.textContent = {{ this.message }};
                return div;
            };
            notice.addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
        """
    )

    MESSAGE = "Le fond de carte en ligne n'a pas pu être chargé (hors ligne ?) — la carte reste utilisable sans fond."

    def __init__(self, tile_layer_name: str, message: str = MESSAGE) -> None:
        super().__init__()
        self._name = "TileErrorNotice"
        self.tiles, self.message = tile_layer_name, js_literal(message)


class MetricScale(_ScriptElement):
    """Leaflet's scale bar in metres and kilometres only (its default adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class FrenchZoom(_ScriptElement):
    """Leaflet's zoom buttons with French titles (its own read « Zoom in » / « Zoom out » to a screen reader); the map is
    built without its default zoom control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.zoom({zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FrenchZoom"


class ShapesOutOfTabOrder(_ScriptElement):
    """Map shapes leave the Tab order (``tabindex=-1``): Chromium made each of the 1,255 EPCI outlines a Tab stop, so a
    keyboard user had to cross them all to reach the page below. The map itself stays focusable (arrows pan, +/- zoom)
    and the EPCI list beside it is the keyboard way to choose."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            function skip(layer) {
                var el = layer.getElement && layer.getElement();
                if (el && el.tagName && el.tagName.toLowerCase() === "path") { el.setAttribute("tabindex", "-1"); }
            }
            map.eachLayer(skip);
            map.on("layeradd", function (e) { skip(e.layer); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ShapesOutOfTabOrder"


DRAW_LOCALE_FR: dict = {
    "draw": {
        "toolbar": {
            "actions": {"title": "Annuler le dessin", "text": "Annuler"},
            "finish": {"title": "Terminer le dessin", "text": "Terminer"},
            "undo": {"title": "Supprimer le dernier point", "text": "Supprimer le dernier point"},
            "buttons": {"polygon": "Dessiner un polygone", "rectangle": "Dessiner un rectangle"},
        },
        "handlers": {
            "polygon": {"tooltip": {"start": "Cliquez pour commencer le contour.", "cont": "Cliquez pour continuer le contour.",
                                    "end": "Cliquez sur le premier point pour fermer le contour."}},
            "polyline": {"error": "<strong>Erreur :</strong> le contour ne doit pas se croiser."},
            "rectangle": {"tooltip": {"start": "Cliquez et glissez pour dessiner un rectangle."}},
            "simpleshape": {"tooltip": {"end": "Relâchez pour terminer."}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {"save": {"title": "Enregistrer les modifications", "text": "Enregistrer"},
                        "cancel": {"title": "Annuler les modifications", "text": "Annuler"},
                        "clearAll": {"title": "Effacer tous les dessins", "text": "Tout effacer"}},
            "buttons": {"edit": "Modifier le dessin", "editDisabled": "Aucun dessin à modifier",
                        "remove": "Effacer le dessin", "removeDisabled": "Aucun dessin à effacer"},
        },
        "handlers": {"edit": {"tooltip": {"text": "Déplacez les sommets pour modifier le contour.",
                                          "subtext": "« Annuler » rétablit le contour."}},
                     "remove": {"tooltip": {"text": "« Tout effacer » supprime le dessin."}}},
    },
}


class DrawLocale(_ScriptElement):
    """French texts for Leaflet.draw's buttons and hints (merged into ``L.drawLocal`` before the control is built)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function merge(target, source) {
            Object.keys(source).forEach(function (key) {
                if (typeof source[key] === "object") { merge(target[key] = target[key] || {}, source[key]); }
                else { target[key] = source[key]; }
            });
        })(L.drawLocal, {{ this.texts }});
        {% endmacro %}
        """
    )

    def __init__(self, texts: dict | None = None) -> None:
        super().__init__()
        self._name = "DrawLocale"
        self.texts = js_literal(texts or DRAW_LOCALE_FR)
