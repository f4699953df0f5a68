"""The France-wide EPCI layer as a static file the browser keeps, and the map's views (metropolitan France, each DROM).

Sending the ~1.8 MB of EPCI outlines inside the map's script made every map update re-send them. Here the
outlines are a file named by a hash of its content (``epci-<hash>.json``, prepared by the cache build, published by
``layer_files`` in the folder of Streamlit's static serving): the browser fetches it once (``cache: "force-cache"``:
a content-addressed name never goes stale) and each map only carries the small per-EPCI class and value of the
indicator shown. The layer is created empty when the map is built, so that the page's click handler is bound to it
(ui/leaflet_map.js); the features added later forward their clicks to it, with the EPCI's code.
"""

from __future__ import annotations

import hashlib
import html

import folium
import geopandas as gpd
import shapely

from ._leaflet import _ScriptElement, js_literal
from .display import DisplayLayer
from .geometry import zone_of

__all__ = ["Bounds", "ZONE_LABELS", "ZONES_NARROW_PX", "zone_extents", "layer_asset", "NationalLayer",
           "EpciStyles", "FitBounds", "ZoneButtons"]

Bounds = tuple[float, float, float, float]  # minx, miny, maxx, maxy (lon/lat)
ZONES_NARROW_PX = 700  # the zone buttons stand in two columns in a map narrower than this (ZoneButtons)
ZONE_LABELS = {"metro": "Métropole", "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
               "976": "Mayotte"}


def zone_extents(communes: gpd.GeoDataFrame) -> dict[str, Bounds]:
    """Extent of the communes of each zone (metropolitan France with Corsica, each DROM), in ``ZONE_LABELS`` order."""
    geoms = communes.geometry[communes.geometry.notna()]
    zones = zone_of(geoms.index.to_series()).to_numpy()
    boxes = shapely.bounds(geoms.to_numpy())
    out = {}
    for zone in ZONE_LABELS:
        part = boxes[zones == zone]
        if len(part):
            lo, hi = part[:, :2].min(axis=0), part[:, 2:].max(axis=0)
            out[zone] = (round(float(lo[0]), 4), round(float(lo[1]), 4), round(float(hi[0]), 4), round(float(hi[1]), 4))
    return out


def layer_asset(display: DisplayLayer) -> bytes:
    """The EPCI outlines as GeoJSON: properties ``c`` (code) and ``n`` (name), both HTML-escaped (tooltips insert them)."""
    frame = display.frame
    parts = [f'{{"type":"Feature","properties":{js_literal({"c": html.escape(str(c)), "n": html.escape(str(n))})},"geometry":{g}}}'
             for c, n, g in zip(frame.index, frame["nom"], display.geojson, strict=True)]
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode("utf-8")


def _map_name(element: folium.MacroElement) -> str:
    parent = element._parent
    while parent is not None and not isinstance(parent, folium.Map):
        parent = parent._parent
    if parent is None:
        raise TypeError("Cet élément de carte doit appartenir à une carte folium.")
    return parent.get_name()


class NationalLayer(_ScriptElement):
    """EPCI outlines fetched from ``url``, filled by the classes ``EpciStyles`` gives them (``map.ptceEpci.ptceStyle``).

    With ``url`` None the outlines travel inside the map (``inline``: the text of ``layer_asset``), e.g. when the static
    folder cannot be written. The EPCI are painted on a canvas, in a pane of their own beneath the overlay pane (the
    selection, the drawing and the outlines stay SVG, above): from the file's arrival, 1,253 SVG paths took the browser
    0.3-0.4 s to show, the canvas 0.2 s, and one DOM node instead of 1,253. The pane lets the mouse through while
    Leaflet.draw draws or edits: the canvas handled the presses too, and a vertex was sometimes lost. The layer is
    ``map.ptceEpci`` (what the tests wait on). Its colours, values and tooltips change in place: another indicator or
    number of classes keeps the map, its view and its outlines (a new map took 0.6-0.8 s in the browser).
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var styles = {}, colors = [], missing = null, label = "", inline = {{ this.inline }}, codeLabel = {{ this.code_label }};
            var base = {color: "#4d4d4d", weight: 0.6, fillOpacity: {{ this.opacity }}};
            var pane = map.getPane("ptceEpci") || map.createPane("ptceEpci");
            pane.style.zIndex = 350;  // beneath the overlay pane (400): selection, outlines and drawing stay on top
            map.on("draw:drawstart draw:editstart draw:deletestart", function () { pane.style.pointerEvents = "none"; });
            map.on("draw:drawstop draw:editstop draw:deletestop", function () { pane.style.pointerEvents = ""; });
            function fill(f) {
                var s = styles[f.properties.c] || [-1, "donnée manquante"];
                return Object.assign({fillColor: s[0] >= 0 ? colors[s[0]] : missing}, base);
            }
            function tip(f) {
                var p = f.properties, s = styles[p.c] || [-1, "donnée manquante"];
                return "<b>" + p.n + "</b><br>" + codeLabel + " " + p.c + (label ? "<br>" + label + " : " + s[1] : "");
            }
            var layer = L.geoJson(null, {
                renderer: L.canvas({pane: "ptceEpci"}),
                style: fill,
                onEachFeature: function (f, part) {
                    part.bindTooltip(tip(f), {sticky: true});
                    part.on("mouseover", function () { part.setStyle({weight: 2.5, color: "#000000"}); });
                    part.on("mouseout", function () { part.setStyle({weight: base.weight, color: base.color}); });
                }
            }).addTo(map);
            layer.ptceStyle = function (token, s, c, m, l) {  // EpciStyles: once per token, whatever reruns its script
                if (layer._ptceStyle === token) { return; }
                layer._ptceStyle = token;
                styles = s; colors = c; missing = m; label = l;
                layer.eachLayer(function (part) { part.setStyle(fill(part.feature)); part.setTooltipContent(tip(part.feature)); });
            };
            var url = {{ this.url }}, early = window.__ptceFetched && window.__ptceFetched[url];  // ui.map_files.prefetch
            (inline ? Promise.resolve(inline) : (early || Promise.resolve(null))
                .then(function (r) { return r && r.ok ? r.clone() : fetch(url, {cache: "force-cache"}); })
                .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); }))
                .then(function (data) {
                    layer.addData(data);
                    map.fire("ptce:epci-loaded");
                })
                .catch(function (e) { console.error("Contours des EPCI non chargés", e); });
            map.ptceEpci = layer;
            return layer;
        })({{ this.map_name }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str | None, code_label: str = "SIREN", opacity: float = 0.75, inline: str | None = None) -> None:
        super().__init__()
        if (url is None) == (inline is None):
            raise ValueError("NationalLayer attend soit l'adresse du fichier des contours, soit les contours eux-mêmes.")
        self._name = "NationalLayer"
        self.url = js_literal(url)
        self.inline = inline if inline is not None else "null"  # layer_asset's text: names escaped, numbers only
        self.code_label, self.opacity = js_literal(code_label), float(opacity)

    def render(self, **kwargs) -> None:
        self.map_name = _map_name(self)
        super().render(**kwargs)


class EpciStyles(_ScriptElement):
    """The indicator shown on ``NationalLayer``: ``styles`` (code -> [class (-1 = no data), escaped value text]),
    the classes' ``colors``, the colour of missing data and the indicator's label (HTML). Sent with the map's feature
    groups, whose scripts the page runs again when they change: the layer restyles itself only when the token changes."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            if (map.ptceEpci) {
                map.ptceEpci.ptceStyle({{ this.token }}, {{ this.styles }}, {{ this.colors }}, {{ this.missing }}, {{ this.label }});
            }
        })({{ this.map_name }});
        {% endmacro %}
        """
    )

    def __init__(self, styles: str, colors: list[str], missing: str, label_html: str) -> None:
        super().__init__()
        self._name = "EpciStyles"
        self.styles = styles  # JSON made with js_literal
        self.colors, self.missing, self.label = js_literal(colors), js_literal(missing), js_literal(label_html)
        content = "\n".join((styles, self.colors, self.missing, self.label))
        self.token = js_literal(hashlib.sha1(content.encode("utf-8")).hexdigest()[:16])

    def render(self, **kwargs) -> None:
        self.map_name = _map_name(self)
        super().render(**kwargs)


def _leaflet_bounds(bounds: Bounds) -> list[list[float]]:
    minx, miny, maxx, maxy = bounds
    return [[miny, minx], [maxy, maxx]]


class FitBounds(_ScriptElement):
    """Fit the map to ``bounds`` once per ``token``: the page runs this script again whenever a feature group before it
    changes (a click, a drawing), and the map must then stay where the user moved it."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, token) {
            if (map._ptceFit !== token) { map._ptceFit = token; map.fitBounds({{ this.bounds }}, {animate: false}); }
        })({{ this.map_name }}, {{ this.token }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Bounds, token: str) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds, self.token = js_literal(_leaflet_bounds(bounds)), js_literal(token)

    def render(self, **kwargs) -> None:
        self.map_name = _map_name(self)
        super().render(**kwargs)


class ZoneButtons(_ScriptElement):
    """A control with one button per zone (« Métropole », each DROM): the map moves there in the browser, no rerun.

    France is fitted clear of the controls (``map_overlays.ClearOfControls``). In a map narrower than ``narrow`` px the
    buttons stand in two columns, half as tall, and France is drawn larger (in a 548 px map: zoom 5.25 instead of 5.0);
    in a wider one, height is what limits France, and a single, narrower column keeps it larger (5.75 at 1,920 px).
    """

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, zones) {
            var control = L.control({position: "topright"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar ptce-zones");
                div.setAttribute("role", "group");
                div.setAttribute("aria-label", {{ this.title }});
                div.style.cssText = "background:#fff;padding:2px;display:grid;font:12px/1.3 sans-serif";
                var layout = function () {  // two columns in a narrow map (lower, France larger), one in a wide one
                    div.style.gridTemplateColumns = map.getSize().x < {{ this.narrow }} ? "auto auto" : "auto";
                };
                layout();
                map.on("resize", layout);
                zones.forEach(function (zone) {
                    var b = L.DomUtil.create("button", "ptce-zone", div);
                    b.type = "button";
                    b.textContent = zone[0];
                    b.title = {{ this.hint }} + zone[0];
                    b.style.cssText = "border:0;background:none;padding:3px 6px;text-align:left;cursor:pointer";
                    L.DomEvent.on(b, "click", function () { map.fitBounds(zone[1], {animate: false}); });
                });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
        })({{ this.map_name }}, {{ this.zones }});
        {% endmacro %}
        """
    )

    def __init__(self, extents: dict[str, Bounds]) -> None:
        super().__init__()
        self._name = "ZoneButtons"
        self.zones = js_literal([[ZONE_LABELS[z], _leaflet_bounds(b)] for z, b in extents.items() if z in ZONE_LABELS])
        self.title, self.hint = js_literal("Aller à"), js_literal("Afficher : ")
        self.narrow = ZONES_NARROW_PX

    def render(self, **kwargs) -> None:
        self.map_name = _map_name(self)
        super().render(**kwargs)
