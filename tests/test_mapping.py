"""Map builders: offline assets, escaping, classes, legend, payload size on all France."""

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from ptce_geo import mapping
from ptce_geo.display import DisplayLayer, load_epci_display
from ptce_geo.indicators import indicator

LOCAL = mapping.Assets.local()


@pytest.fixture(scope="module")
def display(embedded, embedded_root):
    return load_epci_display(embedded, embedded_root)


def html_of(m) -> str:
    return m.get_root().render()


def test_france_map_is_offline_and_small(embedded, display):
    ind = indicator("densite_pop")
    layer = mapping.choropleth(display, ind, embedded.level("epci")[ind.id], embedded.source_of(ind))
    page = html_of(mapping.epci_map(display, LOCAL, layer))
    assert len(page.encode()) < 3_000_000
    assert re.findall(r"https?://", page) == []  # Leaflet and Leaflet.draw from /app/static, no tiles, no CDN
    assert "/app/static/vendor/leaflet/leaflet.js" in page and "/app/static/vendor/leaflet-draw/leaflet.draw.js" in page
    assert page.count('"type":"Feature"') == len(embedded.epci)
    assert "Dessiner un polygone" in page and '"allowIntersection": false' in page


def test_basemaps_add_their_tiles_and_attribution(display):
    assert "data.geopf.fr/wmts" in html_of(mapping.epci_map(display, LOCAL, basemap="ign")) and "IGN" in mapping.BASEMAPS["ign"].attribution
    assert "tile.openstreetmap.org" in html_of(mapping.epci_map(display, LOCAL, basemap="osm"))
    with pytest.raises(ValueError, match="Fond de carte inconnu"):
        mapping.base_map(LOCAL, "google")


def test_dataset_strings_are_escaped_and_never_evaluated():
    evil = "<img src=x onerror=alert(1)>{{ 7*7 }}</script><script>alert(2)</script>"
    frame = gpd.GeoDataFrame({"nom": [evil]}, geometry=[shapely.box(2, 48, 2.1, 48.1)], index=["200000001"], crs=4326)
    layer = DisplayLayer(frame)
    ind = indicator("taux_chomage")
    page = html_of(mapping.epci_map(layer, LOCAL, mapping.choropleth(layer, ind, pd.Series({"200000001": 9.5}), (evil, evil))))
    assert "<img" not in page and "alert(2)</script>" not in page and "onerror=alert(1)>" not in page
    assert "{{ 7*7 }}" in page and "49" not in page.split("{{ 7*7 }}")[0][-40:]  # text, not a Jinja expression


def test_quantile_classes_and_french_numbers():
    values = pd.Series(range(1, 101), dtype="float64", index=[str(i) for i in range(100)])
    classes = mapping.classify(values, 5)
    assert classes.bounds == (20.8, 40.6, 60.4, 80.2, 100.0) and len(classes.colors) == 5
    idx = classes.index(pd.Series([1.0, 50.0, None, 100.0]))
    assert idx.tolist() == [0, 2, -1, 4]
    assert mapping.classify(pd.Series([3.0, 3.0, None])) is None
    assert mapping.format_value(1234567.0, 0, "habitants") == "1\u202f234\u202f567 habitants"
    assert mapping.format_value(12.345, 1, "%") == "12,3 %" and mapping.format_value(float("nan"), 1, "%") == "donnée manquante"
    assert mapping.decimals_for(pd.Series([0.3, -0.5])) == 2 and mapping.decimals_for(pd.Series([12000.0])) == 0


def test_legend_names_unit_source_and_vintage():
    ind = indicator("taux_chomage")
    legend = mapping.legend_html(ind, mapping.classify(pd.Series([5.0, 10.0, 15.0, 20.0])), 1, "INSEE <RP>", "RP 2021", True)
    assert "Taux de chômage" in legend and "(%)" in legend and "RP 2021" in legend and "INSEE &lt;RP&gt;" in legend
    assert "donnée manquante" in legend
    classes = mapping.classify(pd.Series([5.0, 10.0, 15.0, 20.0]))
    assert legend.count("<li") == len(classes.bounds) + 1 >= 3  # one box per class, one for missing data
    assert "donnée manquante" not in mapping.legend_html(ind, mapping.classify(pd.Series([5.0, 10.0, 15.0, 20.0])), 1, "", "", False)


def test_overlays(display):
    group = mapping.selection_layer(display, ["200054781", "000000000"])
    assert len(group._children) == 1
    assert mapping.selection_layer(display, [])._children == {}
    assert mapping.drawing_layer(None)._children == {}


def test_a_subset_keeps_the_order_asked_and_its_own_geojson(display):
    """The subset's GeoJSON (taken from the whole layer's) is shapely's text of its own geometries; unknown codes skipped."""
    codes = ["200054781", "000000000", display.frame.index[0], display.frame.index[5]]
    part = display.subset(codes)
    assert list(part.frame.index) == [codes[0], codes[2], codes[3]] and list(part.geojson.index) == list(part.frame.index)
    assert list(part.geojson) == list(shapely.to_geojson(part.frame.geometry.to_numpy()))
    assert len(display.subset([])) == 0 and display.subset([]).geojson.empty


def test_a_layer_reaches_the_page_as_with_folium_feature_groups(display):
    """Our FeatureGroup (raw rendering) gives the page the same layer script as folium's own, addTo line included."""
    import folium

    from ptce_geo._leaflet import FeatureGroup, OutlineGeoJson
    from ptce_geo.map_script import map_script

    def layer_text(cls) -> str:
        group = cls(name="Essai « Dessin »")
        OutlineGeoJson(mapping._collection(display.subset(list(display.frame.index[:2]))), {"color": "#000"}).add_to(group)
        return re.sub(r"outline_geo_json_[0-9a-f]+", "outline", map_script(mapping.epci_map(display, LOCAL), [group]).groups[0][1])

    ours = layer_text(FeatureGroup)
    assert ours == layer_text(folium.FeatureGroup)
    assert "feature_group_g0.addTo(map_ptce);" in ours  # the line the rendering adds, as folium writes it


def test_view_for_bounds():
    (lat, lon), zoom = mapping.view_for((2.2, 48.8, 2.5, 48.9))
    assert (round(lat, 2), round(lon, 2)) == (48.85, 2.35) and 10 <= zoom <= 12
    assert mapping.view_for((-5.0, 41.0, 10.0, 51.0))[1] in (5, 6)


def test_assets_missing_lists_what_npm_ci_installs(tmp_path):
    assert mapping.Assets.missing(tmp_path) == list(mapping.VENDOR_FILES)
    assert mapping.Assets.cdn().leaflet_js.endswith("leaflet@1.9.3/dist/leaflet.js")


def test_quantile_bounds_match_mapclassify_on_real_indicators(embedded):
    import warnings

    import mapclassify
    import numpy as np

    level = embedded.level("epci")
    for column in ("population", "densite_pop"):
        values = level[column].dropna().to_numpy()
        for k in range(3, 8):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = mapclassify.Quantiles(values, k=k).bins
            assert np.allclose(mapping.quantile_bounds(values, k), expected)
    ties = np.array([1.0] * 50 + [2.0, 3.0])
    with pytest.warns(UserWarning, match="Not enough unique values"):
        expected = mapclassify.Quantiles(ties, k=5).bins
    assert np.allclose(mapping.quantile_bounds(ties, 5), expected)


def test_view_around_a_territory_keeps_france_classes_and_is_light(embedded, display):
    ind = indicator("densite_pop")
    values = embedded.level("epci")[ind.id]
    france = mapping.choropleth(display, ind, values, embedded.source_of(ind))
    members = embedded.communes[embedded.communes["code_epci"].isin(["248000531", "248000499"])]
    codes, extent = mapping.view_area(display, members.bounds.to_numpy())
    assert {"248000531", "248000499"} <= set(codes) and 5 < len(codes) < 60  # the territory and its neighbours
    assert extent[0] <= members.total_bounds[0] and members.total_bounds[2] <= extent[2]
    near = mapping.choropleth(display, ind, values, embedded.source_of(ind), codes=codes)
    assert near.classes == france.classes and near.geojson.count('"type":"Feature"') == len(codes)
    assert near.size < 300_000 < france.size
    far = embedded.communes[embedded.communes["code_epci"].isin(["200054781", "243300316"])]  # Paris and Bordeaux
    codes, _ = mapping.view_area(display, far.bounds.to_numpy())
    assert len(codes) < 150  # each piece's neighbours, not all of western France


def test_light_outlines_are_fast_copies_for_drawing(embedded):
    geoms = embedded.communes.geometry.iloc[:300]
    light = mapping.light_outlines(pd.concat([geoms, pd.Series([None], index=["x"])]))
    assert list(light.index) == list(geoms.index)
    coords = shapely.get_coordinates(light.to_numpy())
    assert (coords == coords.round(5)).all() and len(coords) <= shapely.get_num_coordinates(geoms.to_numpy()).sum()


def test_density_map_escapes_names_and_lists_levels_present():
    evil = "<script>alert(1)</script>"
    geoms = pd.Series([shapely.box(2, 48, 2.1, 48.1), shapely.box(2.1, 48, 2.2, 48.1)], index=["80021", "80001"])
    names = pd.Series([evil, "Abbeville"], index=geoms.index)
    levels = pd.Series([1, None], index=geoms.index, dtype="Int64")
    from ptce_geo.indicators import DENSITY_LEVELS

    page = html_of(mapping.category_map(geoms, names, levels, DENSITY_LEVELS, mapping.DENSITY_COLORS, LOCAL, "Niveau de densité"))
    assert "<script>alert(1)" not in page and "Grands centres urbains" in page and "donnée manquante" in page
    key = mapping.category_legend_html("Niveau de densité", levels, DENSITY_LEVELS, mapping.DENSITY_COLORS, "INSEE <2024>")
    assert "Grands centres urbains" in key and "donnée manquante" in key and "INSEE &lt;2024&gt;" in key
    assert "Bourgs ruraux" not in key  # absent levels stay out of the key
    assert "donnée manquante" not in mapping.category_legend_html("x", levels.dropna(), DENSITY_LEVELS, mapping.DENSITY_COLORS)
    assert re.findall(r"https?://", page) == [] and "fitBounds" in page
