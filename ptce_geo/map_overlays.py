"""Map overlays drawn by the browser itself, without any tile server: place names and marked communes.

Place names: EPCI names at the national and regional scales, commune names once zoomed on a territory. Each
label layer carries (lat, lon, name) rows in priority order (largest population first); the browser shows only
those in view, never overlapping, a few dozen at most (``_leaflet.PlaceLabels``). Marked communes: those the user
excluded (hatched, dotted outline) and those the polygon cuts (dash-dot outline); their key goes in the page under
the map (``marks_legend_html``). Styles differ by pattern and line, not only by hue, so they read without colour
vision and in grey print.
"""

from __future__ import annotations

import re

import folium
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

from ._leaflet import FeatureGroup, HatchedGeoJson, OutlineGeoJson, PlaceLabels, _ScriptElement
from .map_keys import key_html, line_swatch, outline_swatch

__all__ = [
    "EPCI_LABELS_MAX_ZOOM",
    "COMMUNE_LABELS_MIN_ZOOM",
    "MAX_COMMUNE_LABELS",
    "NEIGHBOUR_MARGIN_DEG",
    "MAX_NEIGHBOUR_LABELS",
    "named_communes",
    "EXCLUDED_STYLE",
    "CUT_STYLE",
    "short_epci_name",
    "label_points",
    "label_rows",
    "epci_labels",
    "commune_labels",
    "marks_legend_html",
    "marked_communes_layer",
    "ClearOfControls",
]

EPCI_LABELS_MAX_ZOOM = 9  # beyond, commune names take over
COMMUNE_LABELS_MIN_ZOOM = 9
MAX_COMMUNE_LABELS = 1500  # the most populated: at the zooms where communes are named, the view holds far fewer
NEIGHBOUR_MARGIN_DEG = 0.15  # ~15 km around the territory's extent: the communes named beside it
MAX_NEIGHBOUR_LABELS = 300  # the most populated of them
LABEL_DECIMALS = 3  # ~100 m: finer than a label's own size at any zoom where it shows
EXCLUDED_STYLE = {"color": "#67001f", "weight": 2.0, "dashArray": "1 5", "lineCap": "round"}  # dotted, hatched fill
CUT_STYLE = {"color": "#1a1a1a", "weight": 2.2, "dashArray": "10 4 2 4", "fill": False}  # dash-dot
SCALE_ROOM = 110  # px: Leaflet's scale bar at its widest (maxWidth 100 px, plus its border and margin)
MAX_REFITS = 8  # automatic refits after one fit (controls laid out late, the frame resized), at most
TERRITORY_OUTLINE = {"color": "#252525", "weight": 0.8}  # mapping.COMMUNE_STYLE, as drawn in the key

_PREFIXES = ((re.compile(r"^Communauté de communes\b\s*", re.I), "CC "), (re.compile(r"^Communauté d'agglomération\b\s*", re.I), "CA "),
             (re.compile(r"^Communauté urbaine\b\s*", re.I), "CU "))


def short_epci_name(name: str) -> str:
    """The name as a map label: « Communauté de communes du Thouarsais » -> « CC du Thouarsais » (CA, CU likewise)."""
    text = " ".join(str(name).split())
    for pattern, short in _PREFIXES:
        if pattern.match(text):
            return short + pattern.sub("", text, count=1)
    return text


def label_points(geoms: pd.Series, tolerance_deg: float = 0.005) -> pd.DataFrame:
    """(lat, lon) where each polygon's name goes: the centre of its largest inscribed circle (never outside,
    unlike a centroid; away from edges, unlike ``point_on_surface``). Missing or empty geometries are dropped."""
    geoms = geoms.dropna()
    geoms = geoms[~shapely.is_empty(geoms.to_numpy())]
    if geoms.empty:
        return pd.DataFrame({"lat": [], "lon": []}, index=geoms.index, dtype="float64")
    centres = shapely.get_point(shapely.maximum_inscribed_circle(geoms.to_numpy(), tolerance_deg), 0)
    return pd.DataFrame({"lat": shapely.get_y(centres), "lon": shapely.get_x(centres)}, index=geoms.index)


def label_rows(points: pd.DataFrame, names: pd.Series, priority: pd.Series, limit: int | None = None) -> list[tuple[float, float, str]]:
    """(lat, lon, name) rows, highest ``priority`` first (ties: by name), at most ``limit``; rows without a name are dropped."""
    index = points.index if points.index.dtype == names.index.dtype else points.index.astype(names.index.dtype)  # mixed: 20x slower
    name = names.reindex(index).to_numpy(dtype=object)
    rank = -priority.reindex(index).to_numpy(dtype="float64", na_value=np.nan)
    rank[np.isnan(rank)] = np.inf  # no priority: last
    order = sorted(np.flatnonzero(pd.notna(name)).tolist(), key=lambda i: (rank[i], name[i]))[:limit]  # stable: ties keep their order
    lat, lon = points["lat"].to_numpy(dtype="float64"), points["lon"].to_numpy(dtype="float64")
    return [(round(float(lat[i]), LABEL_DECIMALS), round(float(lon[i]), LABEL_DECIMALS), str(name[i])) for i in order]


def _positions(index: pd.Index, codes) -> np.ndarray:
    """Sorted row positions in ``index`` of the known ``codes`` (unknown ones skipped)."""
    found = index.get_indexer(pd.Index(list(codes), dtype=index.dtype)) if len(codes) else np.zeros(0, dtype=np.intp)
    return np.unique(found[found >= 0])


def _by_population(population: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` by falling population, ties in row order, unknown populations last (pandas' stable descending sort)."""
    return rows[np.argsort(-population[rows], kind="stable")]


def named_communes(communes: pd.DataFrame, members: list[str] | tuple[str, ...], marked: list[str] | tuple[str, ...] = (),
                   limit: int = MAX_COMMUNE_LABELS) -> list[str]:
    """Communes whose names go on the map: the territory's, the marked ones and, among those whose bounding box comes
    within ``NEIGHBOUR_MARGIN_DEG`` of the territory's extent, the ``MAX_NEIGHBOUR_LABELS`` most populated others; the
    ``limit`` most populated of all.

    ``communes``: the reference table (index code, ``population``, ``geometry``); unknown codes are skipped. Worked on
    row positions: set operations on the codes themselves (Arrow strings) cost ~15 ms a territory.
    """
    population = communes["population"].to_numpy(dtype="float64", na_value=np.nan)
    inside = _positions(communes.index, members)
    around = np.zeros(0, dtype=np.intp)
    if len(inside):
        minx, miny, maxx, maxy = communes.geometry.array[inside].total_bounds
        m = NEIGHBOUR_MARGIN_DEG
        near = np.unique(communes.sindex.query(shapely.box(minx - m, miny - m, maxx + m, maxy + m)))  # boxes only: cheap
        around = _by_population(population, near[~np.isin(near, inside)])[:MAX_NEIGHBOUR_LABELS]
    rows = np.unique(np.concatenate([inside, _positions(communes.index, marked), around]))
    return communes.index[_by_population(population, rows)[:limit]].tolist()


def epci_labels(rows: list[tuple[float, float, str]]) -> PlaceLabels:
    """The EPCI name layer (shown up to ``EPCI_LABELS_MAX_ZOOM``; commune names have priority where both show)."""
    return PlaceLabels(rows, "epci", rank=1, max_zoom=EPCI_LABELS_MAX_ZOOM)


def commune_labels(rows: list[tuple[float, float, str]]) -> PlaceLabels:
    """The commune name layer (shown from ``COMMUNE_LABELS_MIN_ZOOM``), placed before EPCI names."""
    return PlaceLabels(rows, "commune", rank=0, min_zoom=COMMUNE_LABELS_MIN_ZOOM)


def marks_legend_html(excluded: bool, cut: bool, territory: bool = True) -> str:
    """The key of the territory's marks, written in the page under the map: only the entries present on the map."""
    rows = []
    if territory:
        rows.append((outline_swatch(TERRITORY_OUTLINE), "Commune du territoire"))
    if excluded:
        rows.append((outline_swatch(EXCLUDED_STYLE, hatched=True), "Commune exclue (hachures)"))
    if cut:
        rows.append((line_swatch(CUT_STYLE), "Commune coupée par le polygone (trait mixte)"))
    return key_html("Repères", rows) if rows else ""


def _collection(geoms: pd.Series) -> str | None:
    texts = list(shapely.to_geojson(geoms.dropna().to_numpy())) if len(geoms) else []
    if not texts:
        return None
    return '{"type":"FeatureCollection","features":[' + ",".join(f'{{"type":"Feature","properties":{{}},"geometry":{t}}}' for t in texts) + "]}"


def marked_communes_layer(excluded: pd.Series, cut: pd.Series, labels: PlaceLabels | None = None) -> folium.FeatureGroup:
    """Excluded communes (hatched, dotted outline) and communes cut by the polygon (dash-dot outline), non-interactive,
    and the commune names; ``excluded``/``cut`` hold light outlines by commune code."""
    group = FeatureGroup(name="Repères")
    if (shown_excluded := _collection(excluded)) is not None:
        HatchedGeoJson(shown_excluded, EXCLUDED_STYLE).add_to(group)
    if (shown_cut := _collection(cut)) is not None:
        OutlineGeoJson(shown_cut, CUT_STYLE).add_to(group)
    if labels is not None:
        labels.add_to(group)
    return group


class ClearOfControls(_ScriptElement):
    """Every ``fitBounds`` of the map (« France entière », a DROM, the territory) keeps the shape clear of the map's
    controls (zoom, drawing tools, zone buttons, scale): 1024 px wide, the drawing tools hid Finistère.

    The controls of each corner are kept clear either by a strip on that side, as wide as them, or by a band at that
    edge, as tall as them; of the 16 choices, the one giving the largest zoom. Either way no control overlaps the fitted
    bounds. (With two choices only, strips on both sides or bands at both edges, Leaflet's small credit in the lower
    right corner took a full-height strip: France at zoom 4.75 instead of 5 in a 548 px map.) A caller's own padding wins.
    Controls styled or resized after the fit (Leaflet.draw's stylesheet, a resized frame) fit the same bounds again,
    until the user first acts on the map (pointer, wheel, key): from then on the map moves only when asked. The scale
    bar counts at its widest (``SCALE_ROOM``): its width follows the zoom, so each fit changed it and called for
    another fit, the map swinging between two zooms ~10 times a second (every EPCI outline re-projected each time,
    the browser busy) until the user touched it; a few refits at most follow one fit, whatever else would cycle.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var fit = map.fitBounds;
            function extent(corner) {  // width and height taken by the controls of one corner
                var origin = map.getContainer().getBoundingClientRect(), w = 0, h = 0;
                map._controlCorners[corner].querySelectorAll(".leaflet-control").forEach(function (el) {
                    var r = el.getBoundingClientRect(), scale = el.classList.contains("leaflet-control-scale");
                    if (!r.width || !r.height) { return; }
                    var left = scale ? Math.min(r.left, r.right - {{ this.scale_room }}) : r.left;
                    var right = scale ? Math.max(r.right, r.left + {{ this.scale_room }}) : r.right;
                    w = Math.max(w, corner.indexOf("left") >= 0 ? right - origin.left : origin.right - left);
                    h = Math.max(h, corner.indexOf("top") >= 0 ? r.bottom - origin.top : origin.bottom - r.top);
                });
                return [w, h];
            }
            var last = null, refits = 0;  // the last fit: done again (a few times) while the user has not moved the map
            map.fitBounds = function (bounds, options) {
                options = options || {};
                if (options.padding || options.paddingTopLeft || options.paddingBottomRight || !this._controlCorners) {
                    last = null;
                    return fit.call(this, bounds, options);
                }
                var corners = [extent("topleft"), extent("topright"), extent("bottomleft"), extent("bottomright")], m = 6;
                var b = L.latLngBounds(bounds), size = this.getSize(), zoom = this.getZoom();
                var span = this.project(b.getSouthEast(), zoom).subtract(this.project(b.getNorthWest(), zoom));
                var room = function (p) {  // how much the bounds could grow in what is left (unsnapped); 0: no room
                    var total = L.point(p[0]).add(p[1]);
                    if (total.x >= size.x - 20 || total.y >= size.y - 20 || !(span.x > 0) || !(span.y > 0)) { return 0; }
                    return Math.min((size.x - total.x) / span.x, (size.y - total.y) / span.y);
                };
                var best = null, most = 0, padded = options;
                for (var mask = 0; mask < 16; mask++) {  // bit i: corner i kept clear by a band (1) or by a strip (0)
                    var c = corners.map(function (e, i) { return (mask >> i) & 1 ? [0, e[1]] : [e[0], 0]; });
                    var p = [[Math.max(c[0][0], c[2][0]) + m, Math.max(c[0][1], c[1][1]) + m],
                             [Math.max(c[1][0], c[3][0]) + m, Math.max(c[2][1], c[3][1]) + m]];
                    var r = room(p);
                    if (r > most) { most = r; best = p; }
                }
                if (best) { padded = Object.assign({}, options, {paddingTopLeft: best[0], paddingBottomRight: best[1]}); }
                var result = fit.call(this, b, padded), refit = last && last[2];
                last = [b, options, false];
                refits = refit ? refits : 0;
                return result;
            };
            function again() {  // controls added or laid out after the fit (drawing tools, zone buttons), the map resized
                if (last && refits < {{ this.max_refits }}) { refits += 1; last[2] = true; map.fitBounds(last[0], last[1]); }
            }
            ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {  // the user acts: never move the map again
                map.getContainer().addEventListener(type, function () { last = null; }, true);
            });
            if (window.ResizeObserver && window.MutationObserver) {  // each control, even one added later or styled late
                var sizes = new ResizeObserver(again), watch = function (root) {
                    root.querySelectorAll(".leaflet-control").forEach(function (el) { sizes.observe(el); });
                };
                sizes.observe(map.getContainer());
                Object.keys(map._controlCorners).forEach(function (key) {
                    var corner = map._controlCorners[key];
                    watch(corner);
                    new MutationObserver(function () { watch(corner); again(); }).observe(corner, {childList: true});
                });
            }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClearOfControls"
        self.scale_room, self.max_refits = SCALE_ROOM, MAX_REFITS
