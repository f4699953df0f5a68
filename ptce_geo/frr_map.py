"""The France Ruralités Revitalisation layer of the Territoire map: a classification of communes, not a zoning of areas.

Each classed commune of the territory and around it is filled with its class's pattern (cross-hatching, hatching,
dots…) and outlined, a partial class with a dashed line; « Non classée » communes are not drawn (no pattern), which
keeps the payload light. Classes differ by pattern and line, in one dark hue: they read without colour vision and in
grey print. The key goes in the page under the map, with the list's source and vintage.
"""

from __future__ import annotations

from collections.abc import Callable

import folium
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

from ._leaflet import FeatureGroup, _ScriptElement, js_literal
from .map_keys import key_html, pattern_swatch
from .map_overlays import NEIGHBOUR_MARGIN_DEG
from .sources.zoning_files import FRR_CLASSES

__all__ = ["FRR_STYLES", "FRR_PATTERNS", "FRR_LABELS", "UNCLASSED", "FRR_BUDGET", "frr_around", "within_budget", "frr_layer",
           "frr_key_html", "collection_size"]

INK = "#3b2a14"  # one dark brown: readable over the YlGnBu fill and in grey
UNCLASSED = "non_classee"
FRR_LABELS = {code: label for label, code in FRR_CLASSES.items()}  # stable code -> class as written in the DGCL list
FRR_BUDGET = 250_000  # bytes of FRR outlines sent with a map, at most (half the commune outlines' budget, ui.maps.OUTLINE_BUDGET)

# SVG pattern of each drawn class (id ptce-frr-<code>); the same text fills the map and the key's swatches. A pale veil
# under the marks keeps them legible over the darkest choropleth classes.
_VEIL = '<rect width="{s}" height="{s}" fill="#ffffff" fill-opacity="0.45"/>'
_LINES = _VEIL + '<line x1="{m}" y1="0" x2="{m}" y2="{s}" stroke="' + INK + '" stroke-width="{w}"/>'  # centred: never clipped
FRR_PATTERNS = {
    "frr_plus": ('<pattern id="ptce-frr-frr_plus" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
                 + _LINES.format(s=6, m=3, w=1.6) + f'<line x1="0" y1="3" x2="6" y2="3" stroke="{INK}" stroke-width="1.6"/></pattern>'),
    "frr_socle": ('<pattern id="ptce-frr-frr_socle" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
                  + _LINES.format(s=6, m=3, w=1.6) + "</pattern>"),
    "frr_beneficiaire": ('<pattern id="ptce-frr-frr_beneficiaire" patternUnits="userSpaceOnUse" width="6" height="6">'
                         + _VEIL.format(s=6) + f'<circle cx="3" cy="3" r="1.4" fill="{INK}"/></pattern>'),
    "frr_partielle": ('<pattern id="ptce-frr-frr_partielle" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(-45)">'
                      + _LINES.format(s=8, m=4, w=1.2) + "</pattern>"),
    "frr_beneficiaire_partielle": ('<pattern id="ptce-frr-frr_beneficiaire_partielle" patternUnits="userSpaceOnUse" width="9" height="9">'
                                   + _VEIL.format(s=9) + f'<circle cx="4.5" cy="4.5" r="1.2" fill="{INK}"/></pattern>'),
}
# Leaflet path options per class: plain outline for a whole commune, dashed for a partial class; None: not drawn
FRR_STYLES: dict[str, dict | None] = {
    "frr_plus": {"color": INK, "weight": 1.4, "fillColor": "url(#ptce-frr-frr_plus)"},
    "frr_socle": {"color": INK, "weight": 1.0, "fillColor": "url(#ptce-frr-frr_socle)"},
    "frr_beneficiaire": {"color": INK, "weight": 1.0, "fillColor": "url(#ptce-frr-frr_beneficiaire)"},
    "frr_partielle": {"color": INK, "weight": 1.2, "dashArray": "5 3", "fillColor": "url(#ptce-frr-frr_partielle)"},
    "frr_beneficiaire_partielle": {"color": INK, "weight": 1.2, "dashArray": "5 3",
                                   "fillColor": "url(#ptce-frr-frr_beneficiaire_partielle)"},
    UNCLASSED: None,
}
_WORDS = {"frr_plus": "quadrillage", "frr_socle": "hachures", "frr_beneficiaire": "points",
          "frr_partielle": "hachures inverses, tirets", "frr_beneficiaire_partielle": "points espacés, tirets"}


def frr_around(communes: pd.DataFrame, classes: pd.Series, members: list[str] | tuple[str, ...],
               margin_deg: float = NEIGHBOUR_MARGIN_DEG) -> tuple[pd.Series, pd.Series]:
    """(class by commune code of the territory's communes, same for the others whose bounding box comes within
    ``margin_deg`` of the territory's extent — the margin the commune names use), classed communes only.

    ``communes``: the reference table (index code, ``geometry``); ``classes``: FRR code by commune code; unknown
    members are skipped, communes without a class are left out.
    """
    inside = communes.index.intersection(list(members))
    empty = pd.Series(dtype=object)
    if inside.empty:
        return empty, empty
    minx, miny, maxx, maxy = communes.geometry.loc[inside].total_bounds
    m = margin_deg
    rows = np.unique(communes.sindex.query(shapely.box(minx - m, miny - m, maxx + m, maxy + m)))
    near = communes.index[rows]
    drawn = classes.reindex(communes.index.intersection(near.union(inside))).dropna()
    drawn = drawn[drawn.map(lambda c: FRR_STYLES.get(c) is not None).astype(bool)]
    is_inside = drawn.index.isin(inside)
    return drawn[is_inside], drawn[~is_inside]


def _collection(geoms: pd.Series, classes: pd.Series) -> str:
    """GeoJSON of the classed communes, each with its class code (``k``); "" when none is drawn."""
    geoms = geoms.dropna()
    codes = classes.reindex(geoms.index)
    texts = shapely.to_geojson(geoms.to_numpy()) if len(geoms) else []
    features = [f'{{"type":"Feature","properties":{{"k":{js_literal(k)}}},"geometry":{t}}}'
                for k, t in zip(codes, texts, strict=True) if FRR_STYLES.get(k) is not None]  # unclassed, unknown: not drawn
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}" if features else ""


def collection_size(geoms: pd.Series, classes: pd.Series) -> int:
    """Bytes of the layer's GeoJSON for these outlines (to keep the map within ``FRR_BUDGET``)."""
    return len(_collection(geoms, classes))


def within_budget(inside: pd.Series, around: pd.Series, outlines: Callable[[tuple[str, ...]], pd.Series],
                  budget: int = FRR_BUDGET) -> tuple[pd.Series, pd.Series, bool] | None:
    """(classes, outlines, margin kept) of the layer: the territory and its margin when their outlines fit in ``budget``
    bytes, else the territory alone, else ``None`` (too vast to stay light). ``outlines``: light outlines by codes."""
    for classes, margin in ((pd.concat([inside, around]), True), (inside, False)):
        geoms = outlines(tuple(classes.index))
        if collection_size(geoms, classes) <= budget:
            return classes, geoms, margin
    return None


class _PatternedGeoJson(_ScriptElement):
    """Non-interactive polygons styled by class (``properties.k``), fills being SVG patterns defined once in the page."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            if (document.getElementById("ptce-frr-patterns")) { return; }
            var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
            svg.id = "ptce-frr-patterns";
            svg.setAttribute("width", "0"); svg.setAttribute("height", "0"); svg.setAttribute("aria-hidden", "true");
            svg.style.position = "absolute";
            svg.innerHTML = "<defs>" + {{ this.patterns }} + "</defs>";
            document.body.appendChild(svg);
        })();
        var {{ this.get_name() }} = (function () {
            var styles = {{ this.styles }};
            return L.geoJson({{ this.data }}, {interactive: false, style: function (f) {
                return Object.assign({fill: true, fillOpacity: 1, opacity: 0.9}, styles[f.properties.k]);
            }});
        })().addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: str) -> None:
        super().__init__()
        self._name = "PatternedGeoJson"
        self.data = data  # js_literal class codes and shapely GeoJSON (numbers only)
        self.patterns = js_literal("".join(FRR_PATTERNS.values()))
        self.styles = js_literal({k: v for k, v in FRR_STYLES.items() if v is not None})


def frr_layer(geoms: pd.Series, classes: pd.Series) -> folium.FeatureGroup:
    """Classed communes (light outlines by commune code) filled by FRR class (``classes``: FRR code by commune code)."""
    group = FeatureGroup(name="France Ruralités Revitalisation")
    if data := _collection(geoms, classes):
        _PatternedGeoJson(data).add_to(group)
    return group


def frr_key_html(shown: pd.Series, source: str, vintage: str, margin: bool) -> str:
    """The key of the FRR layer, for the page under the map: the classes drawn, « Non classée » (no pattern), the
    list's source and vintage, and which communes are drawn."""
    present = set(shown)
    rows = [(pattern_swatch(FRR_PATTERNS[code], f"ptce-frr-{code}", style), f"{FRR_LABELS[code]} ({_WORDS[code]})")
            for code, style in FRR_STYLES.items() if style is not None and code in present]
    rows.append((pattern_swatch("", "", None), f"{FRR_LABELS[UNCLASSED]} (sans trame)"))
    where = "communes du territoire et alentour (~15 km)" if margin else "communes du territoire"
    note = f"Source : {source} ({vintage}) ; {where}." if source else f"Classement des {where}."
    return key_html("France Ruralités Revitalisation", rows, note)
