"""Candidate territory on real data: codes, polygons, area shares, bad input."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.geometry as sg

from ptce_geo.errors import TerritoryError
from ptce_geo.territory import TerritoryDefinition, build_territory, polygon_from_file
from tests.conftest import SHARED, needs_shared
from tests.source_files import AMIENS, DOMBES, cog_2026, datafrance_communes


def mapping_of(geom) -> dict:
    return sg.mapping(geom)


def buffered_union(ref, codes: list[str], metres: float) -> shapely.Geometry:
    """The communes' union grown by ``metres`` (in Lambert-93), back in EPSG:4326."""
    shapes = gpd.GeoSeries(ref.communes.loc[codes].geometry, crs=4326).to_crs(2154)
    return gpd.GeoSeries([shapely.union_all(shapes.to_numpy()).buffer(metres)], crs=2154).to_crs(4326).iloc[0]


def test_a_single_epci_gives_back_exactly_its_communes_and_population(embedded):
    source = datafrance_communes()
    members = source[(source["type"] == "COM") & (source["epci"] == DOMBES)]
    territory = build_territory(embedded, TerritoryDefinition(epci=[DOMBES]))
    assert set(territory.communes.index) == set(members["code"])
    assert territory.communes["population"].sum() == members["population"].sum()
    assert (territory.communes["part_surface"] == 1.0).all() and (territory.communes["selected_by"] == "epci").all()
    assert territory.warnings == [] and territory.edge.empty
    assert territory.geography_vintage == embedded.geography_vintage


@needs_shared
def test_a_single_epci_on_the_imported_cog_2026(shared):
    cog = cog_2026()
    territory = build_territory(shared, TerritoryDefinition(epci=[AMIENS]))
    members = cog[cog["epci_siren"] == AMIENS]
    assert set(territory.communes.index) == set(members.index)
    assert territory.communes["population"].sum() == members["population"].sum()


def test_a_polygon_drawn_around_known_communes_selects_exactly_those(embedded):
    chosen = ["80021", "80001", "80182", "80223", "80560"]  # Amiens and four neighbours
    polygon = buffered_union(embedded, chosen, 150.0)
    territory = build_territory(embedded, TerritoryDefinition(polygon=mapping_of(polygon)))
    assert sorted(territory.communes.index) == sorted(chosen)
    assert (territory.communes["selected_by"] == "polygone").all()
    assert np.allclose(territory.communes["part_surface"], 1.0)
    neighbours = territory.edge[~territory.edge["dans_territoire"]]
    assert len(neighbours) and (neighbours["part_surface"] < 0.5).all()


def test_the_area_share_rule_uses_projected_areas_and_the_threshold(embedded):
    """Half of a commune, cut along a meridian: its share is measured in Lambert-93, in or out by the threshold."""
    commune = embedded.communes.geometry["80021"]
    minx, miny, maxx, maxy = commune.bounds
    cut = sg.box(minx - 0.01, miny - 0.01, (minx + maxx) / 2, maxy + 0.01)
    shapes = gpd.GeoSeries([commune, cut], crs=4326).to_crs(2154)
    expected = shapes.iloc[0].intersection(shapes.iloc[1]).area / shapes.iloc[0].area
    loose = build_territory(embedded, TerritoryDefinition(polygon=mapping_of(cut), min_share=expected - 0.05))
    strict = build_territory(embedded, TerritoryDefinition(polygon=mapping_of(cut), min_share=expected + 0.05))
    assert loose.communes.at["80021", "part_surface"] == pytest.approx(expected, rel=1e-9)
    assert "80021" not in strict.communes.index
    assert strict.edge.at["80021", "part_surface"] == pytest.approx(expected, rel=1e-9)
    assert not strict.edge.at["80021", "dans_territoire"] and loose.edge.at["80021", "dans_territoire"]


def test_codes_polygon_and_exclusions_combine(embedded):
    polygon = buffered_union(embedded, ["80021"], 100.0)
    definition = TerritoryDefinition(epci=[DOMBES], communes=["1001", "80001"], exclude=["01028"], polygon=mapping_of(polygon))
    territory = build_territory(embedded, definition)
    codes = set(territory.communes.index)
    assert {"80021", "80001", "01001"} <= codes and "01028" not in codes
    assert territory.communes.at["01001", "selected_by"] == "epci+commune"
    assert territory.communes.at["80021", "selected_by"] == "polygone"
    assert any("« 1001 » lu comme le code commune 01001" in w for w in territory.warnings)


def test_an_old_commune_code_is_mapped_with_a_warning(embedded):
    source = datafrance_communes()
    current = set(source.loc[source["type"] == "COM", "code"])
    old = source[(source["type"] == "COMD") & ~source["code"].isin(current)].iloc[0]
    parent = source.set_index("id").at[old["commune_parent_id"], "code"]
    assert parent in current and old["code"] not in set(embedded.communes.index)
    territory = build_territory(embedded, TerritoryDefinition(communes=[old["code"]]))
    assert list(territory.communes.index) == [parent]
    assert any(old["code"] in w and parent in w for w in territory.warnings)


@needs_shared
def test_old_codes_of_the_shared_passage_table(shared):
    territory = build_territory(shared, TerritoryDefinition(communes=["01340"]))  # 01340 -> 01015 Arboys en Bugey
    assert list(territory.communes.index) == ["01015"]
    assert "ancien code commune 01340 remplacé par 01015" in territory.warnings[0]


def test_every_bad_code_is_listed_back_in_one_error(embedded):
    definition = TerritoryDefinition(epci=["01001", "123", "999999999"], communes=["99999", DOMBES, "abc"])
    with pytest.raises(TerritoryError) as info:
        build_territory(embedded, definition)
    message = str(info.value)
    assert "« 01001 » ressemble à un code commune" in message
    assert "« 123 »" in message and "EPCI inconnu : « 999999999 »" in message
    assert "code commune inconnu « 99999 »" in message and f"« {DOMBES} » est un SIREN d'EPCI" in message
    assert "« abc »" in message


def test_exclusions_are_checked(embedded):
    with pytest.raises(TerritoryError, match="code commune inconnu « 99998 »"):
        build_territory(embedded, TerritoryDefinition(epci=[DOMBES], exclude=["99998"]))
    territory = build_territory(embedded, TerritoryDefinition(epci=[DOMBES], exclude=["80021"]))
    assert "ne faisaient pas partie du territoire : 80021" in territory.warnings[0]


def test_an_empty_selection_is_refused(embedded):
    with pytest.raises(TerritoryError, match="Sélection vide.*Indiquez des EPCI"):
        build_territory(embedded, TerritoryDefinition())
    with pytest.raises(TerritoryError, match="Sélection vide.*1 commune.*retirée"):
        build_territory(embedded, TerritoryDefinition(communes=["80021"], exclude=["80021"]))
    tiny = sg.Point(2.2957, 49.8941).buffer(0.005)  # a small disc inside Amiens
    with pytest.raises(TerritoryError, match="aucune n'a au moins 50 % de sa surface.*80021"):
        build_territory(embedded, TerritoryDefinition(polygon=mapping_of(tiny)))


def test_a_bow_tie_is_repaired_with_a_warning(embedded):
    bow_tie = {"type": "Polygon", "coordinates": [[[2.0, 49.6], [2.6, 50.1], [2.6, 49.6], [2.0, 50.1], [2.0, 49.6]]]}
    territory = build_territory(embedded, TerritoryDefinition(polygon=bow_tie))
    assert len(territory.communes) > 50 and "nœud papillon" in territory.warnings[0]
    assert territory.polygon.is_valid and territory.polygon.area == pytest.approx(0.15, rel=1e-6)  # two triangles


def test_holes_are_respected(embedded):
    ring = sg.Point(2.3, 49.9).buffer(0.3).difference(buffered_union(embedded, ["80021"], 2000.0))
    territory = build_territory(embedded, TerritoryDefinition(polygon=mapping_of(ring)))
    assert "80021" not in territory.communes.index and "80021" not in territory.edge.index
    assert len(territory.communes) > 100


def test_a_geometry_collection_keeps_its_polygons(embedded):
    collection = {"type": "GeometryCollection", "geometries": [
        mapping_of(buffered_union(embedded, ["80021"], 100.0)),
        {"type": "LineString", "coordinates": [[0.0, 45.0], [1.0, 46.0]]}, {"type": "Point", "coordinates": [3.0, 45.0]}]}
    territory = build_territory(embedded, TerritoryDefinition(polygon=collection))
    assert list(territory.communes.index) == ["80021"] and "non surfaciques" in territory.warnings[0]
    with pytest.raises(TerritoryError, match="Aucune surface.*LineString"):
        build_territory(embedded, TerritoryDefinition(polygon={"type": "LineString", "coordinates": [[0, 45], [1, 46]]}))


@pytest.mark.parametrize("box, hint", [((-8.0, 46.0, -6.0, 47.0), "hors de France ou en mer"),
                                       ((-40.0, 30.0, -30.0, 35.0), "hors de France ou en mer"),
                                       ((49.6, 2.0, 50.1, 2.6), "Longitude et latitude semblent inversées")])
def test_a_polygon_outside_france_or_at_sea_is_refused(embedded, box, hint):
    with pytest.raises(TerritoryError, match=hint):
        build_territory(embedded, TerritoryDefinition(polygon=mapping_of(sg.box(*box))))


def test_a_polygon_covering_all_france_works(embedded):
    territory = build_territory(embedded, TerritoryDefinition(polygon=mapping_of(sg.box(-6.0, 41.0, 10.0, 51.5))))
    metro = embedded.communes[~embedded.communes.index.str.startswith("97") & embedded.communes.geometry.notna()]
    assert set(territory.communes.index) == set(metro.index)


def test_lambert93_without_crs_is_detected_in_a_file_and_in_a_mapping(embedded, tmp_path):
    wgs84 = buffered_union(embedded, ["80021", "80001"], 150.0)
    l93 = gpd.GeoSeries([wgs84], crs=4326).to_crs(2154).iloc[0]
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": mapping_of(l93)}]}
    path = tmp_path / "dessin_l93.geojson"
    path.write_text(json.dumps(feature))
    polygon, warnings = polygon_from_file(path)
    assert "Lambert-93" in warnings[0]
    from_file = build_territory(embedded, TerritoryDefinition(polygon=polygon))
    from_mapping = build_territory(embedded, TerritoryDefinition(polygon=feature))
    assert sorted(from_file.communes.index) == sorted(from_mapping.communes.index) == ["80001", "80021"]
    assert "Lambert-93" in from_mapping.warnings[0]
    garbage = {"type": "Polygon", "coordinates": [[[1e9, 1e9], [1e9 + 5, 1e9], [1e9, 1e9 + 5], [1e9, 1e9]]]}
    with pytest.raises(TerritoryError, match="ni en longitude/latitude ni en Lambert-93"):
        build_territory(embedded, TerritoryDefinition(polygon=garbage))


def test_a_declared_crs_is_honoured(embedded, tmp_path):
    wgs84 = buffered_union(embedded, ["80021"], 150.0)
    path = tmp_path / "dessin.gpkg"
    gpd.GeoDataFrame(geometry=[wgs84], crs=4326).to_crs(3857).to_file(path, driver="GPKG")
    polygon, warnings = polygon_from_file(path)
    assert warnings == []
    assert list(build_territory(embedded, TerritoryDefinition(polygon=polygon)).communes.index) == ["80021"]


def test_the_definition_round_trips_through_json_and_validates(embedded):
    polygon = mapping_of(sg.box(2.2, 49.8, 2.4, 50.0))
    definition = TerritoryDefinition(epci=f"{DOMBES}, {AMIENS}", communes=["1001"], exclude=("01028",), polygon=polygon, min_share=0.4)
    again = TerritoryDefinition.from_json(definition.to_json())
    assert again == definition and again.epci == (DOMBES, AMIENS)
    assert json.loads(definition.to_json())["min_share"] == 0.4
    assert "EPCI 200069193, 248000531" in definition.describe() and "40 %" in definition.describe()
    with pytest.raises(TerritoryError, match="clés inconnues perimetre"):
        TerritoryDefinition.from_dict({"epci": [DOMBES], "perimetre": 1})
    with pytest.raises(TerritoryError, match="reçu 1.5"):
        TerritoryDefinition(epci=[DOMBES], min_share=1.5)
    with pytest.raises(TerritoryError, match="reçu 0"):
        TerritoryDefinition(epci=[DOMBES], min_share=0)
    with pytest.raises(TerritoryError, match="JSON illisible"):
        TerritoryDefinition.from_json("{epci")
    assert build_territory(embedded, again).definition is again


@needs_shared
def test_a_drawn_file_from_the_shared_boundaries_selects_its_epci(shared):
    """The dissolved EPCI outline shipped in ../shared/data, read as a user file, gives back that EPCI's communes."""
    epci = gpd.read_file(SHARED / "geo_communes_epci" / "epci_2026_from_communes.geojson")
    outline = epci.loc[epci["code"] == DOMBES].to_crs(2154).buffer(100).to_crs(4326)
    polygon, _ = polygon_from_file(outline.to_json().encode())
    territory = build_territory(shared, TerritoryDefinition(polygon=polygon))
    cog = cog_2026()
    assert set(territory.communes.index) == set(cog.index[cog["epci_siren"] == DOMBES])
