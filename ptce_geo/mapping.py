"""folium map builders: the France-wide EPCI choropleth, selection and drawing overlays.

Pure functions (no streamlit). Every string that comes from a dataset or a user is escaped here,
before it reaches Leaflet. Maps never fetch from a CDN when given local ``Assets``: with the
default "no basemap" they render with no network at all.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import folium
import folium.plugins
import numpy as np
import pandas as pd
import shapely

from ._leaflet import (
    ChoroplethGeoJson,
    DrawLocale,
    FeatureGroup,
    FrenchZoom,
    MetricScale,
    OutlineGeoJson,
    ShapesOutOfTabOrder,
    TileErrorNotice,
    js_literal,
)
from .assets import VENDOR_FILES, Assets
from .display import DisplayLayer
from .indicators import Indicator
from .map_keys import fill_swatch, key_html
from .map_overlays import ClearOfControls
from .national_layer import Bounds, EpciStyles, FitBounds, NationalLayer, ZoneButtons

__all__ = [
    "ZONING_STYLES",
    "zoning_layer",
    "Assets",
    "VENDOR_FILES",
    "Basemap",
    "BASEMAPS",
    "DEFAULT_BASEMAP",
    "DEFAULT_INDICATOR",
    "DEFAULT_CLASSES",
    "PALETTE",
    "MISSING_COLOR",
    "Classes",
    "quantile_bounds",
    "classify",
    "decimals_for",
    "format_value",
    "choropleth_geojson",
    "choropleth_styles",
    "legend_html",
    "base_map",
    "add_draw_control",
    "Choropleth",
    "choropleth",
    "epci_map",
    "epci_styles",
    "selection_layer",
    "view_layer",
    "outline_layer",
    "drawing_layer",
    "view_for",
    "view_area",
    "FRANCE_VIEW",
    "DENSITY_COLORS",
    "category_legend_html",
    "category_map",
    "light_outlines",
    "MAX_DRAWN_VERTICES",
]

@dataclass(frozen=True)
class Basemap:
    """A background tile layer; ``url`` None means no background (works offline)."""

    id: str
    label: str
    url: str | None = None
    attribution: str = ""
    max_zoom: int = 18


BASEMAPS: dict[str, Basemap] = {
    b.id: b
    for b in (
        Basemap("aucun", "Aucun (hors ligne)"),
        Basemap(
            "ign", "Plan IGN",
            "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
            "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
            '&copy; <a href="https://www.ign.fr/">IGN</a> – Géoplateforme', 19,
        ),
        Basemap("osm", "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                '&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>', 19),
    )
}
DEFAULT_BASEMAP = "aucun"
DEFAULT_INDICATOR, DEFAULT_CLASSES = "densite_pop", 5  # the EPCI map as it opens (prepared before the first page)
FRANCE_VIEW = ((46.6, 2.4), 6)

# ColorBrewer YlGnBu (sequential, colour-blind safe, prints in grey), by number of classes.
PALETTE: dict[int, tuple[str, ...]] = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
MISSING_COLOR = "#d9d9d9"
NEUTRAL_COLOR = "#f0f0f0"
SELECTION_STYLE = {"color": "#d95f02", "weight": 3.5, "fill": False}
DRAWING_STYLE = {"color": "#e7298a", "weight": 2.5, "dashArray": "6 4", "fillOpacity": 0.08}
# Drawn shapes ignore clicks, as the selection's outlines do: a click inside them reaches the EPCI beneath.
DRAWN_SHAPE = {**DRAWING_STYLE, "interactive": False}
COMMUNE_STYLE = {"color": "#252525", "weight": 0.8, "fill": False, "opacity": 0.8}
# INSEE density grid, 7 levels: YlGnBu from dark (grands centres urbains) to light (rural très dispersé)
DENSITY_COLORS: dict[int, str] = dict(zip(range(1, 8), reversed(PALETTE[7]), strict=True))
MAX_DRAWN_VERTICES = 3000  # an imported contour shown with more vertices than this is simplified for display


@dataclass(frozen=True)
class Classes:
    """Quantile classes of an indicator: upper bounds, colours, and the value range."""

    bounds: tuple[float, ...]
    colors: tuple[str, ...]
    minimum: float

    def index(self, values: pd.Series) -> pd.Series:
        """Class of each value (0 = lowest), -1 where the value is missing."""
        arr = values.to_numpy(dtype="float64")
        idx = np.searchsorted(np.asarray(self.bounds), arr, side="left").clip(0, len(self.bounds) - 1)
        return pd.Series(np.where(np.isnan(arr), -1, idx), index=values.index, dtype="int64")


def quantile_bounds(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes, ties merged: ``mapclassify.Quantiles(values, k).bins``.

    Computed with numpy because importing mapclassify (scipy.stats, matplotlib) costs ~2 s on the
    way to the first map; ``tests/test_mapping.py`` checks both agree on real indicators.
    """
    return np.unique(np.percentile(values, np.linspace(100.0 / k, 100.0, k)))


def classify(values: pd.Series, k: int = 5) -> Classes | None:
    """Quantile classes, ``None`` when fewer than two distinct values are known.

    Quantiles rather than Jenks: Fisher-Jenks takes ~4 s on 1,255 values without numba, and the
    k-means ``NaturalBreaks`` is random, which would change the map (and remount it) on each rerun.
    """
    known = values.dropna().to_numpy(dtype="float64")
    if len(np.unique(known)) < 2:
        return None
    bins = quantile_bounds(known, max(min(PALETTE), min(k, max(PALETTE))))
    colors = PALETTE[len(bins)] if len(bins) in PALETTE else PALETTE[min(PALETTE)][-len(bins):]
    return Classes(tuple(float(b) for b in bins), tuple(colors), float(known.min()))


def decimals_for(values: pd.Series) -> int:
    """Decimals that keep three significant digits for a typical value (median of magnitudes)."""
    known = values.dropna().abs()
    typical = float(known.median()) if len(known) else 0.0
    return 0 if typical >= 100 else 1 if typical >= 10 else 2


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def format_value(value: float | None, decimals: int, unit: str = "") -> str:
    """French formatting: ``12,3 %``, ``1 234 567 habitants``; missing values say so."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "donnée manquante"
    return f"{_number(float(value), decimals)} {unit}".strip()


def choropleth_geojson(display: DisplayLayer, values: pd.Series | None, classes: Classes | None, decimals: int, unit: str) -> str:
    """FeatureCollection text for ``ChoroplethGeoJson``: properties c (code), n (escaped name), v (value), k (class)."""
    frame = display.frame
    vals = (values if values is not None else pd.Series(dtype="float64")).reindex(frame.index)
    ks = classes.index(vals) if classes is not None else pd.Series(-1, index=frame.index)
    parts = []
    for code, name, value, k, geom in zip(frame.index, frame["nom"], vals, ks, display.geojson, strict=True):
        props = js_literal({"c": html.escape(str(code)), "n": html.escape(str(name)), "v": html.escape(format_value(value, decimals, unit)),
                            "k": int(k)})
        parts.append(f'{{"type":"Feature","properties":{props},"geometry":{geom}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def choropleth_styles(codes: pd.Index, values: pd.Series | None, classes: Classes | None, decimals: int, unit: str) -> str:
    """JSON object for ``NationalLayer``: EPCI code -> [class (-1 = no data), escaped value text]."""
    vals = (values if values is not None else pd.Series(dtype="float64")).reindex(codes)
    ks = classes.index(vals) if classes is not None else pd.Series(-1, index=codes)
    return js_literal({html.escape(str(code)): [int(k), html.escape(format_value(value, decimals, unit))]
                       for code, value, k in zip(codes, vals, ks, strict=True)})


def legend_html(indicator: Indicator, classes: Classes | None, decimals: int, source: str, vintage: str, has_missing: bool) -> str:
    """The classes key, written in the page under the map (``map_keys``): indicator label, unit, one box per class,
    source and vintage; every string escaped."""
    rows = []
    if classes is not None:
        low = classes.minimum
        for bound, color in zip(classes.bounds, classes.colors, strict=True):
            rows.append((fill_swatch(color), f"{_number(low, decimals)} – {_number(bound, decimals)}"))
            low = bound
    if has_missing or classes is None:
        rows.append((fill_swatch(MISSING_COLOR), "donnée manquante"))
    origin = " — ".join(p for p in (source, vintage) if p)
    return key_html(f"{indicator.label} ({indicator.unit})", rows, f"Classes par quantiles. {origin}".strip())


def base_map(assets: Assets, basemap: str = DEFAULT_BASEMAP, location: tuple[float, float] = FRANCE_VIEW[0],
             zoom: int = FRANCE_VIEW[1], zoom_snap: float = 1.0) -> folium.Map:
    """A map loading only Leaflet from ``assets``, with the chosen background (none by default)."""
    if basemap not in BASEMAPS:
        raise ValueError(f"Fond de carte inconnu : {basemap!r} (attendu : {', '.join(BASEMAPS)})")
    m = folium.Map(location=list(location), zoom_start=zoom, tiles=None, zoom_snap=zoom_snap, zoom_control=False)
    FrenchZoom().add_to(m)
    m.default_js = [("leaflet", assets.leaflet_js)]
    m.default_css = [("leaflet_css", assets.leaflet_css)]
    MetricScale().add_to(m)
    ShapesOutOfTabOrder().add_to(m)
    ClearOfControls().add_to(m)
    tile = BASEMAPS[basemap]
    if tile.url:
        tiles = folium.TileLayer(tiles=tile.url, attr=tile.attribution, name=tile.label, max_zoom=tile.max_zoom,
                                 max_native_zoom=tile.max_zoom).add_to(m)
        TileErrorNotice(tiles.get_name()).add_to(m)  # offline, the tiles fail: say so rather than show a blank map
    return m


def add_draw_control(m: folium.Map, assets: Assets) -> folium.plugins.Draw:
    """Leaflet.draw with polygon and rectangle only; self-intersecting polygons refused while drawing."""
    draw = folium.plugins.Draw(
        export=False,
        position="topleft",
        show_geometry_on_click=False,
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                      "polygon": {"allowIntersection": False, "showArea": False,
                                  "drawError": {"color": "#e1e100", "message": "Le contour ne doit pas se croiser."},
                                  "shapeOptions": DRAWN_SHAPE},
                      "rectangle": {"shapeOptions": DRAWN_SHAPE, "showArea": False}},
        edit_options={"poly": {"allowIntersection": False}},
    )
    DrawLocale().add_to(m)
    draw.default_js = [("leaflet_draw_js", assets.draw_js)]
    draw.default_css = [("leaflet_draw_css", assets.draw_css)]
    draw.add_to(m)
    return draw


@dataclass(frozen=True)
class Choropleth:
    """One indicator prepared for the EPCI map: classes, legend inputs and the GeoJSON text.

    Built once per (indicator, number of classes) and cached by the app; the map itself is then
    assembled on each rerun without touching geometries. ``styles`` (class and value of each EPCI) is what a
    map sends when the outlines come from a static file (``NationalLayer``); ``geojson`` is empty then.
    """

    geojson: str
    styles: str = "{}"
    indicator: Indicator | None = None
    classes: Classes | None = None
    decimals: int = 0
    has_missing: bool = False
    source: tuple[str, str] = ("", "")

    @property
    def size(self) -> int:
        return len(self.geojson.encode("utf-8"))


def choropleth(display: DisplayLayer, indicator: Indicator | None = None, values: pd.Series | None = None,
               source: tuple[str, str] = ("", ""), k: int = 5, codes: list[str] | tuple[str, ...] | None = None,
               geometry: bool = True) -> Choropleth:
    """Quantile classes of ``values`` (indexed by EPCI code) over the display layer; plain fill without indicator.

    With ``codes``, only those EPCI are drawn (a view around a territory), still coloured by the
    classes of all of France so that colours mean the same in both views. Without ``geometry``, only the
    styles are made (the outlines come from the layer file).
    """
    shown = display if codes is None else display.subset(list(codes))
    if indicator is None or values is None:
        return Choropleth(choropleth_geojson(shown, None, None, 0, "") if geometry else "",
                          choropleth_styles(shown.frame.index, None, None, 0, ""))
    values = values.reindex(display.frame.index).astype("float64")
    classes, decimals = classify(values, k), decimals_for(values)
    return Choropleth(choropleth_geojson(shown, values, classes, decimals, indicator.unit) if geometry else "",
                      choropleth_styles(shown.frame.index, values, classes, decimals, indicator.unit), indicator, classes,
                      decimals, bool(values.isna().any()), source)


def _fill(layer: Choropleth) -> tuple[list[str], str, str]:
    """The classes' colours, the colour of missing data (neutral without an indicator) and the indicator's label (HTML)."""
    classes = layer.classes
    label = html.escape(layer.indicator.label) if layer.indicator is not None else ""
    return (list(classes.colors) if classes else []), (MISSING_COLOR if classes else NEUTRAL_COLOR), label


def epci_styles(layer: Choropleth) -> folium.FeatureGroup:
    """The colours, values and tooltips of ``layer`` on a map whose outlines come from the layer file: a feature group
    the app sends with each update, so that another indicator or number of classes restyles the same map."""
    group = FeatureGroup(name="Indicateur")
    EpciStyles(layer.styles, *_fill(layer)).add_to(group)
    return group


def epci_map(display: DisplayLayer, assets: Assets, layer: Choropleth | None = None, basemap: str = DEFAULT_BASEMAP,
             draw: bool = True, view: tuple[tuple[float, float], int] = FRANCE_VIEW, layer_url: str | None = None,
             zones: dict[str, Bounds] | None = None, layer_inline: str | None = None) -> folium.Map:
    """The EPCI of ``layer`` (all of France by default; filled by its classes, plain otherwise), the drawing tools; the
    classes key goes in the page under the map (``legend_html``).

    With ``layer_url`` (the file of ``national_layer.publish_layer``) the outlines are fetched from it and the map
    carries only ``layer.styles``; ``layer_inline`` (that file's text, when it could not be published) is the same map
    with the outlines inside it; ``zones`` (``national_layer.zone_extents``) adds a button per zone (metropolitan
    France, each DROM) that moves the map there. With either and no ``layer``, the map has no colours of its own: the
    app sends them with each update (``epci_styles``), so that another indicator restyles the same map.
    """
    national = layer_url is not None or layer_inline is not None
    m = base_map(assets, basemap, *view, zoom_snap=0.25 if national else 1.0)
    if national:
        NationalLayer(layer_url, inline=layer_inline).add_to(m)
        if layer is not None:
            epci_styles(layer).add_to(m)
    else:
        layer = layer or choropleth(display)
        ChoroplethGeoJson(layer.geojson, *_fill(layer)).add_to(m)
    if zones:
        ZoneButtons(zones).add_to(m)
    if draw:
        add_draw_control(m, assets)
    return m


def _collection(layer: DisplayLayer) -> str:
    features = ",".join(f'{{"type":"Feature","properties":{{}},"geometry":{g}}}' for g in layer.geojson)
    return '{"type":"FeatureCollection","features":[' + features + "]}"


def selection_layer(display: DisplayLayer, codes: list[str]) -> folium.FeatureGroup:
    """Thick outlines of the selected EPCI (non-interactive: clicks reach the EPCI below)."""
    group = FeatureGroup(name="EPCI sélectionnés")
    subset = display.subset(codes) if len(codes) else None  # no EPCI (a drawing): no subset to build
    if subset is not None and len(subset):
        OutlineGeoJson(_collection(subset), SELECTION_STYLE).add_to(group)
    return group


def view_layer(bounds: Bounds, token: str) -> folium.FeatureGroup:
    """Fits the map to ``bounds`` when it is shown with a new ``token`` (a view asked for), never on other updates."""
    group = FeatureGroup(name="Vue")
    FitBounds(bounds, token).add_to(group)
    return group


def light_outlines(geoms: pd.Series, tolerance_deg: float = 2e-4, decimals: int = 5) -> pd.Series:
    """Copies of a territory's commune polygons light enough to send with a map (~20 m simplification, 1 m coordinates).

    Simplified in degrees, without projecting: ~5 ms for 300 communes where a projection per zone costs
    ~0.1 s per call, on every new territory. Only for drawing; figures use the reference geometries.
    """
    geoms = geoms.dropna()
    if geoms.empty:
        return geoms
    simple = shapely.simplify(geoms.to_numpy(), tolerance_deg, preserve_topology=True)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, decimals))
    keep = ~shapely.is_empty(rounded)
    return pd.Series(rounded[keep], index=geoms.index[keep], dtype=object)


def outline_layer(geoms: pd.Series, name: str = "Communes", style: dict | None = None) -> folium.FeatureGroup:
    """Outlines of a few geometries (a territory's communes), already simplified with ``display.outlines``."""
    group = FeatureGroup(name=name)
    if (collection := _outline_collection(geoms)) is not None:
        OutlineGeoJson(collection, style or COMMUNE_STYLE).add_to(group)
    return group


def _outline_collection(geoms: pd.Series) -> str | None:
    """A GeoJSON FeatureCollection of bare geometries, ``None`` when there is none."""
    texts = list(shapely.to_geojson(geoms.dropna().to_numpy())) if len(geoms) else []
    if not texts:
        return None
    return '{"type":"FeatureCollection","features":[' + ",".join(f'{{"type":"Feature","properties":{{}},"geometry":{t}}}' for t in texts) + "]}"


# zoning outlines: dashed, each its own colour (Dark2, colour-blind safe against the YlGnBu fill)
ZONING_STYLES = {"bv2022": {"color": "#7570b3", "weight": 2.0, "dashArray": "4 3", "fill": False},
                 "ze2020": {"color": "#1b9e77", "weight": 3.0, "dashArray": "10 5", "fill": False},
                 "aav2020": {"color": "#e6ab02", "weight": 2.5, "dashArray": "2 5", "fill": False}}


def zoning_layer(outlines: dict[str, pd.Series]) -> folium.FeatureGroup:
    """Outlines of the zones a territory touches (zoning id -> outlines by zone code), non-interactive."""
    group = FeatureGroup(name="Zonages")
    for zoning, geoms in outlines.items():
        if (collection := _outline_collection(geoms)) is not None:
            OutlineGeoJson(collection, ZONING_STYLES.get(zoning, COMMUNE_STYLE)).add_to(group)
    return group


def drawing_layer(geometry: shapely.Geometry | None) -> folium.FeatureGroup:
    """The stored drawing, shown again after the map was rebuilt (Leaflet.draw forgets it)."""
    group = FeatureGroup(name="Dessin")
    if geometry is not None and not geometry.is_empty:
        if shapely.get_num_coordinates(geometry) > MAX_DRAWN_VERTICES:  # an imported contour: ~50 m is invisible at its scale
            geometry = shapely.simplify(geometry, 5e-4, preserve_topology=True)
        OutlineGeoJson(shapely.to_geojson(shapely.set_precision(geometry, 1e-6)), DRAWING_STYLE).add_to(group)
    return group


def view_for(bounds: tuple[float, float, float, float], width_px: int = 900, height_px: int = 600,
             max_zoom: int = 12) -> tuple[tuple[float, float], int]:
    """Center (lat, lon) and the largest Web Mercator zoom showing ``bounds`` (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = max((maxx - minx) / 360.0, 1e-9)
    span_y = max((merc_y(maxy) - merc_y(miny)) / (2 * math.pi), 1e-9)
    zoom = math.floor(min(math.log2(width_px / 256 / span_x), math.log2(height_px / 256 / span_y)))
    return ((miny + maxy) / 2, (minx + maxx) / 2), int(max(3, min(zoom, max_zoom)))


def view_area(display: DisplayLayer, boxes: np.ndarray, margin_deg: float = 0.15) -> tuple[tuple[str, ...], tuple[float, float, float, float]]:
    """EPCI around a territory: codes of those within ``margin_deg`` (~15 km) of its communes' boxes, and their extent.

    ``boxes``: (n, 4) array of (minx, miny, maxx, maxy), one per commune. The neighbours stay clickable
    (to add them) while the map weighs a fraction of France's; a territory in several pieces (EPCI far
    apart) gets the neighbourhood of each piece, not everything in between.
    """
    boxes = np.asarray(boxes, dtype="float64").reshape(-1, 4)
    if not len(boxes):
        return (), (0.0, 0.0, 0.0, 0.0)
    grown = shapely.box(boxes[:, 0] - margin_deg, boxes[:, 1] - margin_deg, boxes[:, 2] + margin_deg, boxes[:, 3] + margin_deg)
    frame = display.frame
    rows = np.unique(frame.sindex.query(grown, predicate="intersects")[1])
    if not len(rows):
        return (), tuple(float(v) for v in (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()))
    part = frame.iloc[rows]
    return tuple(str(c) for c in part.index), tuple(float(v) for v in part.total_bounds)


def category_legend_html(title: str, categories: pd.Series, labels: dict, colors: dict, note: str = "") -> str:
    """The key of a categorical map, written in the page under it: the categories present in ``categories`` (in the
    order of ``labels``), « donnée manquante » when some are missing or unknown, a note (source, vintage); all escaped."""
    present = set(categories.dropna().tolist())
    rows = [(fill_swatch(colors[key]), str(labels[key])) for key in labels if key in present]
    if categories.isna().any() or not present <= set(labels):
        rows.append((fill_swatch(MISSING_COLOR), "donnée manquante"))
    return key_html(title, rows, note)


def category_map(geoms: pd.Series, names: pd.Series, categories: pd.Series, labels: dict, colors: dict, assets: Assets,
                 title: str, basemap: str = DEFAULT_BASEMAP) -> folium.Map:
    """Polygons (a territory's communes, already simplified) filled by category, with tooltips; their key goes in the
    page under the map (``category_legend_html``).

    ``categories`` holds a key of ``labels``/``colors`` per polygon (missing: grey, « donnée manquante »).
    Names and labels are escaped; the map is fitted to the polygons.
    """
    geoms = geoms.dropna()
    order = list(labels)
    position = {key: i for i, key in enumerate(order)}
    parts = []
    for code, geom in zip(geoms.index, shapely.to_geojson(geoms.to_numpy()), strict=True):
        key = categories.get(code)
        k = position.get(key, -1) if key is not None and not (isinstance(key, float) and math.isnan(key)) else -1
        props = js_literal({"c": html.escape(str(code)), "n": html.escape(str(names.get(code, code))),
                            "v": html.escape(str(labels[order[k]]) if k >= 0 else "donnée manquante"), "k": int(k)})
        parts.append(f'{{"type":"Feature","properties":{props},"geometry":{geom}}}')
    m = base_map(assets, basemap)
    ChoroplethGeoJson('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}", [colors[key] for key in order],
                      MISSING_COLOR, html.escape(title), code_label="Code INSEE", opacity=0.85).add_to(m)
    if len(geoms):
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms.to_numpy()))
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m
