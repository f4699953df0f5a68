"""Small folium elements writing their own Leaflet code (plumbing for ``mapping``).

folium's ``GeoJson`` re-serialises every geometry on each render and its ``GeoJsonTooltip``
inserts property values as raw HTML. These elements take GeoJSON text prepared once, and
strings that callers already escaped; everything inlined into the page goes through ``js_literal``.
"""

from __future__ import annotations

import json

from branca.element import Element, Figure, MacroElement
from folium.template import Template

__all__ = ["js_literal", "ChoroplethGeoJson", "OutlineGeoJson", "HtmlLegend", "DrawLocale", "DRAW_LOCALE_FR"]


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


class ChoroplethGeoJson(_ScriptElement):
    """Polygons filled by class (``properties.k``, -1 = no data), each with an escaped tooltip.

    The tooltip is bound as a plain string so that streamlit-folium can return its text on click
    (``last_object_clicked_tooltip``); it reads ``<b>name</b><br>SIREN code<br>label : value``.
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


class HtmlLegend(_ScriptElement):
    """A Leaflet control holding legend HTML built (and escaped) in Python; no external script needed.

    The legend lets every pointer event through (``pointer-events: none``): a click or a drawing vertex placed
    on it reaches the map underneath instead of being silently swallowed.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "ptce-legend");
            div.innerHTML = {{ this.html }};
            div.style.pointerEvents = "none";
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "HtmlLegend"
        self.html, self.position = js_literal(html), js_literal(position)


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
