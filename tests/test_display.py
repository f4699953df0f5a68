"""Display layers on the real embedded EPCI: small, valid, no gaps, each zone in metres."""

import geopandas as gpd
import shapely

from ptce_geo.display import epci_display_path, load_epci_display, outlines, simplify_coverage
from ptce_geo.geometry import ZONE_CRS


def test_cache_build_writes_the_epci_display_layer(embedded, embedded_root):
    path = epci_display_path(embedded_root, embedded.manifest["generation"])
    assert path.exists()
    layer = load_epci_display(embedded, embedded_root)
    assert len(layer) == len(embedded.epci) and layer.frame.index.equals(embedded.epci.index)
    assert shapely.is_valid(layer.frame.geometry.to_numpy()).all()
    full = shapely.get_num_coordinates(embedded.epci.geometry.to_numpy()).sum()
    assert shapely.get_num_coordinates(layer.frame.geometry.to_numpy()).sum() < full / 2
    assert len("".join(layer.geojson)) < 2_600_000


def test_simplified_epci_keep_their_area_and_leave_no_gaps(embedded, embedded_root):
    layer = load_epci_display(embedded, embedded_root)
    metro = [c for c in embedded.epci.index if embedded.communes.loc[embedded.communes["code_epci"] == c].index[0][:2] != "97"][:200]
    before = embedded.epci.loc[metro].to_crs(ZONE_CRS["metro"])
    after = layer.frame.loc[metro].to_crs(ZONE_CRS["metro"])
    ratio = after.area / before.area
    assert ratio.between(0.9, 1.1).all()
    union_before = shapely.union_all(before.geometry.to_numpy()).area
    union_after = shapely.union_all(after.geometry.to_numpy()).area
    assert abs(union_after - union_before) / union_before < 0.005  # gaps between neighbours would shrink it
    assert (after.area.sum() - union_after) / union_after < 0.005  # overlaps would exceed it


def test_overseas_epci_are_simplified_in_their_own_crs(embedded, embedded_root):
    layer = load_epci_display(embedded, embedded_root)
    reunion = [c for c in embedded.epci.index if embedded.communes.loc[embedded.communes["code_epci"] == c].index[0].startswith("974")]
    area = layer.frame.loc[reunion].to_crs(ZONE_CRS["974"]).area.sum() / 1e6
    assert 2_300 < area < 2_700  # Réunion ~2,500 km²; Lambert-93 would distort it


def test_self_intersecting_input_is_repaired_not_fatal():
    bowtie = shapely.Polygon([(2.0, 48.0), (2.1, 48.1), (2.1, 48.0), (2.0, 48.1)])
    square = shapely.box(2.1, 48.0, 2.2, 48.1)
    geoms = gpd.GeoSeries([bowtie, square, None], index=["a", "b", "c"], crs=4326)
    out = simplify_coverage(geoms, gpd.pd.Series("metro", index=geoms.index), 100)
    assert out["c"] is None and shapely.is_valid(out[["a", "b"]].to_numpy()).all()


def test_outlines_of_a_few_communes(embedded):
    communes = embedded.communes.loc[["75056", "2A004", "97411"]]
    out = outlines(communes.geometry)
    assert list(out.index) == ["75056", "2A004", "97411"]
    assert (shapely.get_num_coordinates(out.to_numpy()) <= shapely.get_num_coordinates(communes.geometry.to_numpy())).all()
