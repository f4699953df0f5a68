"""Place names, marked communes and their key, metric scale and the basemap notice: what reaches the page.

The browser behaviour (labels placed, keys under the map, notice shown offline) is in tests/browser/test_map_overlays.py.
"""

import json
import re
from urllib.parse import unquote

import pandas as pd
import pytest
import shapely

from ptce_geo import map_overlays as mo
from ptce_geo import mapping
from ptce_geo._leaflet import PlaceLabels, TileErrorNotice

LOCAL = mapping.Assets.local()
HOSTILE = "</script><img src=x onerror=alert(1)>{{ 7*7 }} & Cie"
# A U shape: its centroid (and bounding-box centre) fall in the notch, outside the polygon.
U_SHAPE = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])


def page_of(m) -> str:
    return m.get_root().render()


def script_rows(page: str, name: str) -> list:
    """The rows literal passed to ``new window.PtceLabels(...)`` for element ``name``, decoded by ``json``."""
    match = re.search(re.escape(name) + r" = new window\.PtceLabels\((\[.*?\]), \{", page, re.S)
    return json.loads(match.group(1))


@pytest.mark.parametrize(("raw", "short"), [
    ("Communauté de communes du Thouarsais", "CC du Thouarsais"),
    ("Communauté d'agglomération  du Grand Cahors", "CA du Grand Cahors"),
    ("Communauté urbaine de Dunkerque", "CU de Dunkerque"),
    ("Métropole de Lyon", "Métropole de Lyon"),
    ("Grenoble-Alpes-Métropole", "Grenoble-Alpes-Métropole"),
    ("Communautés de communes X", "Communautés de communes X"),  # not the prefix: kept whole
])
def test_short_epci_name(raw, short):
    assert mo.short_epci_name(raw) == short


def test_label_point_is_inside_a_concave_polygon_where_the_centroid_is_not():
    assert not U_SHAPE.contains(U_SHAPE.centroid)
    points = mo.label_points(pd.Series([U_SHAPE, None, shapely.Polygon()], index=["u", "none", "empty"]), tolerance_deg=0.01)
    assert list(points.index) == ["u"]
    point = shapely.Point(points.loc["u", "lon"], points.loc["u", "lat"])
    assert U_SHAPE.contains(point)
    assert U_SHAPE.exterior.distance(point) >= 0.45  # the widest place: a leg 1 wide, so at most 0.5 from an edge


def test_label_rows_most_populated_first_and_limited():
    points = pd.DataFrame({"lat": [45.123456, 46.0, 47.0, 48.0], "lon": [1.0004, 2.0, 3.0, 4.0]}, index=list("abcd"))
    names = pd.Series({"a": "Alpha", "b": "Bravo", "c": "Charlie"})  # d has no name: dropped
    population = pd.Series({"a": 500, "b": 12_000, "c": 500, "d": 1e6})
    rows = mo.label_rows(points, names, population)
    assert [r[2] for r in rows] == ["Bravo", "Alpha", "Charlie"]  # ties by name
    assert rows[1][:2] == (45.123, 1.0)  # three decimals, ~100 m
    assert [r[2] for r in mo.label_rows(points, names, population, limit=2)] == ["Bravo", "Alpha"]
    assert [r[2] for r in mo.label_rows(points, names, population, limit=1)] == ["Bravo"]


def test_label_rows_order_is_pandas_sort_whatever_the_index_dtype():
    """Ties of priority by name (code-point order: capitals, then small letters, then accents), then in input order; no
    priority: last; the points' index typed otherwise than the names' (object vs str) gives the same rows."""
    points = pd.DataFrame({"lat": [float(i) for i in range(9)], "lon": [0.0] * 9}, index=list("abcdefghi"))
    names = pd.Series({"a": "Éa", "b": "Zb", "c": "ab", "d": "Ab", "e": "ab", "f": None, "g": "é", "h": "e", "i": "ab"})
    priority = pd.Series({"a": 5, "b": 5, "c": 5, "d": None, "e": 5, "g": 1, "h": None, "i": 7}, dtype="float64")
    frame = points.assign(name=names, priority=priority.fillna(-float("inf"))).dropna(subset=["name"])
    expected = frame.sort_values(["priority", "name"], ascending=[False, True], kind="stable")  # plain pandas
    for index in (pd.Index(list("abcdefghi"), dtype=object), pd.Index(list("abcdefghi"), dtype="str")):
        rows = mo.label_rows(points.set_axis(index), names.set_axis(names.index.astype("str")), priority)
        assert [r[2] for r in rows] == list(expected["name"]) and [r[0] for r in rows] == list(expected["lat"])
        assert [r[2] for r in mo.label_rows(points.set_axis(index), names, priority, limit=4)] == list(expected["name"][:4])


def test_place_names_are_text_never_html():
    m = mapping.base_map(LOCAL)
    labels = mo.epci_labels([(45.0, 5.0, HOSTILE), (46.0, 4.0, "Métropole de Lyon")])
    labels.add_to(m)
    page = page_of(m)
    assert "</script><img" not in page and "<img src=x" not in page
    assert script_rows(page, labels.get_name())[0] == [45.0, 5.0, HOSTILE]  # the exact name, decoded by the browser's JSON
    assert "label.textContent = r[2]" in page and "innerHTML = r" not in page


def test_label_layers_zoom_ranges_and_priority():
    epci, communes = mo.epci_labels([]), mo.commune_labels([])
    assert json.loads(epci.options) == {"rank": 1, "minZoom": 0, "maxZoom": mo.EPCI_LABELS_MAX_ZOOM, "className": "ptce-label-epci",
                                        "charWidth": 7.0}
    assert json.loads(communes.options)["minZoom"] == mo.COMMUNE_LABELS_MIN_ZOOM and json.loads(communes.options)["rank"] == 0


def test_epci_labels_of_all_france_stay_light(embedded, embedded_root):
    """Payload added to the France-wide map by EPCI names: one row per EPCI, about 55 kB (2.6 % of the map)."""
    from ptce_geo.display import load_epci_display

    display = load_epci_display(embedded, embedded_root)
    points = mo.label_points(display.frame.geometry)
    rows = mo.label_rows(points, display.frame["nom"].map(mo.short_epci_name), embedded.epci["population"])
    assert len(rows) == len(embedded.epci)
    assert rows[0][2] == mo.short_epci_name(embedded.epci["nom"][embedded.epci["population"].idxmax()])
    inside = shapely.contains_xy(display.frame.geometry.loc[points.index].to_numpy(), points["lon"], points["lat"])
    assert inside.mean() > 0.99  # rounding to 100 m may push a point of a thin EPCI just outside its simplified outline
    size = len(PlaceLabels(rows, "epci").rows.encode())
    print(f"EPCI labels: {size} bytes")
    assert size < 70_000


def test_marked_communes_are_hatched_and_dash_dotted_with_their_key():
    excluded = pd.Series([shapely.box(0, 45, 0.1, 45.1)], index=["01001"])
    cut = pd.Series([shapely.box(1, 45, 1.1, 45.1), shapely.box(2, 45, 2.1, 45.1)], index=["01002", "01003"])
    m = mapping.base_map(LOCAL)
    mo.marked_communes_layer(excluded, cut).add_to(m)
    page = page_of(m)
    assert '"fillColor":"url(#ptce-hatch)"' in page and '"dashArray":"1 5"' in page  # hatching + dotted outline
    assert '"dashArray":"10 4 2 4"' in page  # dash-dot: cut communes differ by line style, not only hue
    assert page.count('"interactive": false') + page.count("interactive: false") >= 2  # clicks go through to the EPCI
    assert "Commune exclue" not in page and "Repères" not in page.split("<script>")[-1]  # the key is not drawn over the map
    key = unquote(mo.marks_legend_html(excluded=False, cut=True))
    assert "Commune exclue" not in key and "trait mixte" in key and "Commune du territoire" in key
    assert 'stroke-dasharray="10 4 2 4"' in key and 'stroke-dasharray="1 5"' not in key
    hatched = unquote(mo.marks_legend_html(True, False))
    assert 'fill="url(#ptce-key-hatch)"' in hatched and '<pattern id="ptce-key-hatch"' in hatched  # same pattern, defined in the key
    assert 'stroke-dasharray="1 5"' in hatched and "trait mixte" not in hatched


def test_nothing_marked_means_an_empty_group_and_no_key():
    assert mo.marked_communes_layer(pd.Series(dtype=object), pd.Series(dtype=object))._children == {}
    assert mo.marks_legend_html(False, False, territory=False) == ""
    assert "Commune du territoire" in mo.marks_legend_html(False, False, territory=True)


def test_scale_is_metric_only():
    page = page_of(mapping.base_map(LOCAL))
    assert "L.control.scale({metric: true, imperial: false})" in page
    assert "L.control.scale()" not in page  # folium's own control (miles) is gone


def test_an_online_basemap_says_when_it_cannot_load():
    assert "tileerror" not in page_of(mapping.base_map(LOCAL))  # no basemap, nothing to fail
    for basemap in ("ign", "osm"):
        page = page_of(mapping.base_map(LOCAL, basemap))
        assert re.search(r"tile_layer_\w+\.once\(\"tileerror\"", page)
        assert json.dumps(TileErrorNotice.MESSAGE, ensure_ascii=False) in page
    assert TileErrorNotice.MESSAGE == ("Le fond de carte en ligne n'a pas pu être chargé (hors ligne ?) — la carte reste "
                                       "utilisable sans fond.")


def _around(communes, members):
    """Communes whose box comes within the margin of the members' extent, outside them, by falling population (plain pandas)."""
    minx, miny, maxx, maxy = communes.geometry.loc[members].total_bounds
    m, boxes = mo.NEIGHBOUR_MARGIN_DEG, communes.geometry.bounds
    touching = (boxes["minx"] <= maxx + m) & (boxes["maxx"] >= minx - m) & (boxes["miny"] <= maxy + m) & (boxes["maxy"] >= miny - m)
    near = communes[touching & ~communes.index.isin(members)]
    return near["population"].sort_values(ascending=False, kind="stable")


@pytest.mark.parametrize(("epci", "capped"), [("243300316", False), ("200054781", True)])  # Bordeaux Métropole, Grand Paris
def test_named_communes_are_the_territory_the_marked_and_the_largest_around(embedded, epci, capped):
    communes = embedded.communes
    members = list(communes.index[communes["code_epci"] == epci])
    far = communes["population"].drop(members).idxmin()  # any commune: marked ones are always named
    named = mo.named_communes(communes, members, [far, "99999"])
    around = _around(communes, members)
    assert (len(around) > mo.MAX_NEIGHBOUR_LABELS) == capped  # the neighbour cap exercised, or not
    assert set(named) == set(members) | {far} | set(around.index[:mo.MAX_NEIGHBOUR_LABELS]) and "99999" not in named
    population = communes["population"].reindex(named).to_numpy()
    assert (population[:-1] >= population[1:]).all()
    top3 = communes["population"].loc[list(set(members) | set(around.index[:mo.MAX_NEIGHBOUR_LABELS]))].nlargest(3).index
    assert mo.named_communes(communes, members, limit=3) == list(top3)


def test_without_territory_only_the_marked_communes_are_named(embedded):
    assert mo.named_communes(embedded.communes, [], ["33063", "99999"]) == ["33063"]


def test_every_map_keeps_its_fits_clear_of_its_controls():
    page = page_of(mapping.base_map(LOCAL))
    assert "map.fitBounds = function (bounds, options)" in page and "paddingTopLeft: best[0]" in page
    assert '["pointerdown", "wheel", "keydown", "touchstart"]' in page  # the user acts: no more automatic fits
