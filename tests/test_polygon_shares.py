"""Polygon selection is exact: every share equals a plain geopandas overlay in the zone's projected CRS.

Expected shares come from geopandas (``to_crs`` + ``intersection`` + ``area``), never from ptce_geo;
hand-made communes cover the edge cases (touching only, sliver, hole, enclave, disjoint) and the
real EPCI outlines of ../shared/data (exact, no buffer) must give back exactly their communes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import shapely.geometry as sg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptce_geo._spatial import _TRANSFORMERS, SHARE_TOLERANCE, CommuneIndex, _project, commune_index, snap_shares
from ptce_geo.errors import TerritoryError
from ptce_geo.geometry import FRANCE_BOUNDS, ZONE_CRS
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import SHARED, needs_shared
from tests.source_files import cog_2026

L93 = 2154
CELL = 0.05  # degrees: hand-made communes are squares of this side around Amiens
X0, Y0 = 2.2, 49.8


def oracle_shares(communes: gpd.GeoSeries, polygon: shapely.Geometry, epsg: int = L93) -> pd.Series:
    """Share of each commune inside ``polygon`` (EPSG:4326), both projected to ``epsg``: the plain geopandas way."""
    projected = communes.to_crs(epsg)
    shape = gpd.GeoSeries([polygon], crs=4326).to_crs(epsg).iloc[0]
    return pd.Series(projected.intersection(shape).area / projected.area, index=communes.index)


def square(i: int, j: int) -> shapely.Polygon:
    return sg.box(X0 + i * CELL, Y0 + j * CELL, X0 + (i + 1) * CELL, Y0 + (j + 1) * CELL)


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    """A 4x4 grid of square communes 80ij (hand-made), plus 80999 filling a hole cut in 80011."""
    rows = {f"80{i}{j}".ljust(5, "0"): square(i, j) for i in range(4) for j in range(4)}
    cell = rows["80110"]
    hole = cell.centroid.buffer(CELL / 5, quad_segs=4)
    rows["80110"] = cell.difference(hole)
    rows["80999"] = hole
    frame = gpd.GeoDataFrame({"code_epci": "200000000"}, geometry=list(rows.values()), index=pd.Index(list(rows), name="code_commune"),
                             crs=4326)
    return frame


def index_shares(index: CommuneIndex, frame: gpd.GeoDataFrame, polygon: shapely.Geometry) -> pd.Series:
    rows, shares = index.shares(polygon)
    return pd.Series(shares, index=frame.index[rows]).sort_index()


def test_an_exact_outline_selects_its_communes_and_not_the_touching_ones(grid):
    index = CommuneIndex(grid)
    block = shapely.union_all([square(0, 0), square(0, 1), square(1, 0)])  # touches 6 other squares along edges/corners
    shares = index_shares(index, grid, block)
    assert shares.to_dict() == {"80000": 1.0, "80010": 1.0, "80100": 1.0}


def test_a_sliver_into_a_neighbour_gives_it_its_tiny_exact_share(grid):
    index = CommuneIndex(grid)
    sliver = sg.box(X0 + CELL, Y0, X0 + CELL + 1e-4, Y0 + CELL)  # 1e-4 degree (7 m) wide strip inside 80100
    shares = index_shares(index, grid, shapely.union_all([square(0, 0), sliver]))
    expected = oracle_shares(grid.geometry, shapely.union_all([square(0, 0), sliver]))
    assert set(shares.index) == {"80000", "80100"}
    assert shares["80000"] == 1.0
    assert shares["80100"] == pytest.approx(expected["80100"], rel=1e-6) and 1e-3 < shares["80100"] < 3e-3
    # a sliver under the tolerance (0.01 % of the commune) is touching only
    hair = sg.box(X0 + CELL, Y0, X0 + CELL + 1e-6, Y0 + CELL)
    assert oracle_shares(grid.geometry, hair)["80100"] < SHARE_TOLERANCE
    assert index_shares(index, grid, shapely.union_all([square(0, 0), hair])).to_dict() == {"80000": 1.0}


def test_a_hole_in_the_polygon_and_a_commune_with_a_hole(grid):
    index = CommuneIndex(grid)
    whole = shapely.union_all([square(i, j) for i in range(3) for j in range(3)])
    holed = whole.difference(square(1, 1))  # a hole exactly on the cell 80110 + its enclave 80999
    shares = index_shares(index, grid, holed)
    assert "80110" not in shares.index and "80999" not in shares.index
    assert (shares == 1.0).all() and len(shares) == 8
    # the commune with a hole, exactly: its enclave is not in it
    shares = index_shares(index, grid, grid.geometry["80110"])
    assert shares.to_dict() == {"80110": 1.0}
    # its outer square: the enclave is inside too
    shares = index_shares(index, grid, square(1, 1))
    assert shares.to_dict() == {"80110": 1.0, "80999": 1.0}


def test_a_disjoint_polygon_selects_nothing(grid):
    index = CommuneIndex(grid)
    rows, shares = index.shares(sg.box(X0 + 1, Y0 + 1, X0 + 2, Y0 + 2))
    assert len(rows) == 0 and len(shares) == 0


def test_half_a_commune_cut_along_a_meridian(grid):
    index = CommuneIndex(grid)
    half = sg.box(X0, Y0, X0 + CELL / 2, Y0 + CELL)
    shares = index_shares(index, grid, half)
    expected = oracle_shares(grid.geometry, half)
    assert list(shares.index) == ["80000"]
    assert shares["80000"] == pytest.approx(expected["80000"], abs=1e-12) and 0.49 < shares["80000"] < 0.51


def test_long_straight_edges_are_straight_in_the_projected_crs(grid):
    """An 80 km edge along a parallel is a chord ~150 m off it in Lambert-93: the share follows the projected shape, like geopandas."""
    polygon = sg.Polygon([(X0 - 0.45, Y0 + 0.005), (X0 + 0.65, Y0 + 0.005), (X0 + 0.65, Y0 + 0.6), (X0 - 0.45, Y0 + 0.6)])
    shares = index_shares(CommuneIndex(grid), grid, polygon)
    expected = oracle_shares(grid.geometry, polygon)
    row = [c for c in grid.index if c.endswith("00") and c != "80999"]  # bottom row, cut by the long edge
    assert np.allclose(shares[row], expected[row], atol=1e-9)
    plain = 1 - 0.005 / CELL  # what a share measured in degrees would give
    assert abs(expected["80000"] - plain) > 0.005  # the two readings really differ here


@pytest.mark.parametrize("zone", list(ZONE_CRS))
def test_the_pipeline_transformers_project_exactly_as_from_crs_and_geopandas(zone):
    """The projections rebuilt from their pipeline text (cheap in a new thread) give the coordinates of pyproj's
    ``from_crs`` and of geopandas' ``to_crs`` bit for bit, over the zone and the margin a polygon may reach."""
    x0, y0, x1, y1 = FRANCE_BOUNDS[zone]
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(x0 - 0.6, x1 + 0.6, 5000), rng.uniform(y0 - 0.6, y1 + 0.6, 5000)
    x, y = _TRANSFORMERS[zone].transform(lon, lat)
    reference = pyproj.Transformer.from_crs(4326, ZONE_CRS[zone], always_xy=True)
    assert np.array_equal(np.column_stack([x, y]), np.column_stack(reference.transform(lon, lat)))
    projected = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(ZONE_CRS[zone])
    assert np.array_equal(x, projected.x.to_numpy()) and np.array_equal(y, projected.y.to_numpy())
    ring = shapely.Polygon(np.column_stack([lon[:50], lat[:50]]))  # as _spatial projects a polygon
    assert np.array_equal(shapely.get_coordinates(_project(ring, zone)), np.column_stack(reference.transform(*ring.exterior.xy)))


def test_snapping_at_the_tolerance():
    tol = 1e-4  # documented: 0.01 % of the commune's area
    values = np.array([1.0, 1 - tol, 1 - 1.01 * tol, 0.999, tol, 1.01 * tol, 0.0, 1 + 1e-12, -1e-12])
    assert snap_shares(values).tolist() == [1.0, 1.0, 1 - 1.01 * tol, 0.999, 0.0, 1.01 * tol, 0.0, 1.0, 0.0]
    assert SHARE_TOLERANCE == tol


# ---- the min-share threshold at its exact value, through build_territory on real communes ----

def _cut(embedded, code: str, fraction: float) -> tuple[shapely.Geometry, float]:
    """A box keeping about ``fraction`` of the commune (west part), and the exact share geopandas measures for it."""
    commune = embedded.communes.geometry[code]
    minx, miny, maxx, maxy = commune.bounds
    cut = sg.box(minx - 0.01, miny - 0.01, minx + fraction * (maxx - minx), maxy + 0.01)
    expected = oracle_shares(gpd.GeoSeries([commune], index=[code], crs=4326), cut)[code]
    return cut, float(expected)


def test_the_threshold_is_inclusive_at_its_exact_value(embedded):
    cut, share = _cut(embedded, "80021", 0.5)
    at = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(cut), min_share=share))
    above = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(cut), min_share=min(1.0, share + 1e-6)))
    assert at.communes.at["80021", "part_surface"] == pytest.approx(share, abs=1e-12)
    assert "80021" in at.communes.index and at.edge.at["80021", "dans_territoire"]
    assert "80021" not in above.communes.index and not above.edge.at["80021", "dans_territoire"]


def test_min_share_100_keeps_exactly_the_communes_wholly_inside(embedded):
    """Amiens's outline (its own polygon, no buffer) at 100 %: Amiens only; 99.9x % of it: nothing at 100 %, Amiens at 99.9 %."""
    amiens = embedded.communes.geometry["80021"]
    whole = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(amiens), min_share=1.0))
    assert list(whole.communes.index) == ["80021"] and whole.communes.at["80021", "part_surface"] == 1.0
    box, _ = _cut(embedded, "80021", 0.985)
    cut = amiens.intersection(box)  # Amiens without its easternmost tip: a share between 99.9 % and 100 %
    share = float(oracle_shares(gpd.GeoSeries([amiens], index=["80021"], crs=4326), cut).iloc[0])
    assert 0.999 < share < 1.0 - SHARE_TOLERANCE
    with pytest.raises(TerritoryError, match="aucune n'a au moins 100 %"):
        build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(cut), min_share=1.0))
    near = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(cut), min_share=0.999))
    assert "80021" in near.communes.index and near.communes.at["80021", "part_surface"] == pytest.approx(share, abs=1e-9)


def test_an_epci_outline_at_100_percent_on_the_embedded_data(embedded):
    """The dissolved outline of CA Amiens Métropole (embedded polygons, which overlap slightly) selects exactly its communes."""
    members = embedded.communes[embedded.communes["code_epci"] == "248000531"]
    outline = shapely.union_all(members.geometry.to_numpy())
    for share in (1.0, 0.5, 0.01):
        territory = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(outline), min_share=share))
        assert set(territory.communes.index) == set(members.index)


# ---- property: any valid polygon, shares equal the plain overlay ----

@pytest.fixture(scope="module")
def somme(embedded) -> gpd.GeoSeries:
    """Communes of the Somme and around, in Lambert-93 (projected once)."""
    communes = embedded.communes
    around = communes.index.str.startswith(("80", "60", "62", "02", "76", "59", "27", "95", "08", "51", "77"))
    return gpd.GeoSeries(communes.geometry[around], crs=4326).to_crs(L93)


def star(cx: float, cy: float, radii: list[float], hole: float) -> shapely.Geometry:
    """A star-shaped polygon (simple, so valid) around (cx, cy) in degrees, with an optional star hole scaled by ``hole``."""
    angles = np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    r = np.asarray(radii)
    ring = np.column_stack([cx + 1.5 * r * np.cos(angles), cy + r * np.sin(angles)])
    if hole <= 0:
        return shapely.Polygon(ring)
    inner = np.column_stack([cx + hole * 1.5 * r.min() * np.cos(angles), cy + hole * r.min() * np.sin(angles)])
    return shapely.Polygon(ring, [inner[::-1]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cx=st.floats(1.9, 2.7), cy=st.floats(49.7, 50.1), radii=st.lists(st.floats(0.01, 0.35), min_size=3, max_size=30),
       hole=st.sampled_from([0.0, 0.0, 0.3, 0.7]), min_share=st.sampled_from([0.01, 0.3, 0.5, 0.9, 1.0]))
def test_shares_equal_the_plain_overlay_for_random_polygons(embedded, somme, cx, cy, radii, hole, min_share):
    polygon = star(cx, cy, radii, hole)
    assert polygon.is_valid
    shape = gpd.GeoSeries([polygon], crs=4326).to_crs(L93).iloc[0]
    near = somme.iloc[somme.sindex.query(shape, predicate="intersects")]
    expected = near.intersection(shape).area / near.area
    rows, shares = commune_index(embedded).shares(polygon)
    ours = pd.Series(shares, index=embedded.communes.index[rows])
    assert not set(ours.index) - set(somme.index)  # nothing picked far away
    every = ours.index.union(expected.index)
    assert np.allclose(ours.reindex(every).fillna(0.0), expected.reindex(every).fillna(0.0), atol=1e-3)  # 0.1 point
    # the selection rule: share >= min_share, a share within 0.01 % of 1 counting as 1 (communes near either edge left aside)
    try:
        selected = set(build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(polygon), min_share=min_share)).communes.index)
    except TerritoryError:  # the polygon selects nothing at this threshold (or lies at sea)
        selected = set()
    clear = expected[((expected - min_share).abs() > 1e-6) & ((expected - (1 - 1e-4)).abs() > 1e-6)]
    rule = (clear >= min_share) | (clear >= 1 - 1e-4)
    assert selected & set(clear.index) == set(clear.index[rule])


def test_overseas_shares_use_the_drom_crs(embedded):
    """Réunion (EPSG:2975): a box over Saint-Denis, compared with the overlay in that CRS."""
    communes = embedded.communes
    reunion = gpd.GeoSeries(communes.geometry[communes.index.str.startswith("974")], crs=4326)
    polygon = sg.box(55.35, -21.0, 55.55, -20.85)
    expected = oracle_shares(reunion[reunion.intersects(polygon)], polygon, epsg=2975)
    expected = expected[expected > 1e-4]  # under 0.01 %: touching only
    rows, shares = commune_index(embedded).shares(polygon)
    ours = pd.Series(shares, index=communes.index[rows])
    assert sorted(ours.index) == sorted(expected.index) and len(expected) >= 4
    assert np.allclose(ours[expected.index], expected, atol=1e-9)
    assert not np.allclose(oracle_shares(reunion[expected.index], polygon, epsg=L93), expected, atol=1e-3)  # Lambert-93 would differ


# ---- real data: every EPCI outline of two régions and of the DROM gives back exactly its communes ----

@needs_shared
def test_real_epci_outlines_select_exactly_their_communes(shared):
    """Outlines and composition read with plain geopandas/pandas from ../shared/data, exact (no buffer)."""
    outlines = gpd.read_file(SHARED / "geo_communes_epci" / "epci_2026_from_communes.geojson").set_index("code")
    geoms = gpd.read_file(f"/vsigzip/{SHARED / 'geo_communes_epci' / 'communes_2025_datafrance.geojson.gz'}", columns=["code", "type_com"])
    with_geometry = set(geoms.loc[geoms.geometry.notna() & (geoms["type_com"] == "COM"), "code"])
    cog = cog_2026()
    chosen = cog[cog["reg"].isin(["32", "53"]) | (cog["zone"] == "drom")]["epci_siren"].dropna().unique()
    assert len(chosen) > 150
    wrong = {}
    for code in chosen:
        expected = set(cog.index[cog["epci_siren"] == code]) & with_geometry
        polygon = sg.mapping(outlines.geometry[code])
        for share in (1.0, 0.5):
            got = set(build_territory(shared, TerritoryDefinition(polygon=polygon, min_share=share)).communes.index)
            if got != expected:
                wrong[(code, share)] = (sorted(got - expected), sorted(expected - got))
    assert wrong == {}, wrong


def test_a_polygon_of_thousands_of_vertices(embedded, somme):
    """Past 800 vertices the polygon is cut into pieces before the overlays: shares still equal the plain overlay."""
    angles = np.linspace(0, 2 * np.pi, 3000, endpoint=False)
    radius = 0.3 + 0.05 * np.sin(7 * angles) + 0.01 * np.sin(211 * angles)
    polygon = shapely.Polygon(np.column_stack([2.3 + 1.5 * radius * np.cos(angles), 49.9 + radius * np.sin(angles)]))
    assert polygon.is_valid and shapely.get_num_coordinates(polygon) > 800
    shape = gpd.GeoSeries([polygon], crs=4326).to_crs(L93).iloc[0]
    near = somme.iloc[somme.sindex.query(shape, predicate="intersects")]
    expected = near.intersection(shape).area / near.area
    expected = expected[expected > SHARE_TOLERANCE]
    rows, shares = commune_index(embedded).shares(polygon)
    ours = pd.Series(shares, index=embedded.communes.index[rows])
    cut = expected[expected < 1 - SHARE_TOLERANCE]
    assert len(cut) > 100 and sorted(ours.index) == sorted(expected.index)
    assert np.allclose(ours[cut.index], cut, atol=1e-9)


def test_a_departement_outline_selects_exactly_its_communes(embedded):
    """The exact outline of the Somme (thousands of vertices, no buffer) at 100 %: its communes, none of its neighbours."""
    communes = embedded.communes
    somme = communes[communes.index.str.startswith("80") & communes.geometry.notna()]
    outline = shapely.union_all(somme.geometry.to_numpy())
    assert shapely.get_num_coordinates(outline) > 800
    territory = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(outline), min_share=1.0))
    assert set(territory.communes.index) == set(somme.index)


def test_a_rectangle_around_the_globe_selects_every_commune(embedded):
    """Only the part of a polygon near each zone is projected: the globe's rectangle holds every commune, DROM included."""
    territory = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(sg.box(-179, -89, 179, 89)), min_share=1.0))
    assert set(territory.communes.index) == set(embedded.communes.index[embedded.communes.geometry.notna()])
