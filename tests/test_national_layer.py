"""The EPCI layer as a content-addressed static file, the map that only carries styles, the zones' extents."""

import hashlib
import json
import os
import re
import time

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from ptce_geo import mapping
from ptce_geo.cache import epci_layer_path
from ptce_geo.display import DisplayLayer, epci_display_path, load_epci_display
from ptce_geo.indicators import indicator
from ptce_geo.layer_files import STALE_AFTER_S, layer_source, publish_layer
from ptce_geo.national_layer import ZONE_LABELS, layer_asset, zone_extents

LOCAL = mapping.Assets.local()
EVIL = "<img src=x onerror=alert(1)>{{ 7*7 }}</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def display(embedded, embedded_root):
    return load_epci_display(embedded, embedded_root)


def test_metropole_extent_reaches_finistere_nord_and_corsica(embedded):
    extents = zone_extents(embedded.communes)
    assert list(extents) == list(ZONE_LABELS)  # metropolitan France and the five DROM, in the buttons' order
    minx, miny, maxx, maxy = extents["metro"]
    # geography, not the code under test: Ouessant (29155) reaches -5.14°, Bray-Dunes (59107) 51.09°N, Corsica 41.33°N-9.56°E
    assert minx < -5.1 and maxy > 51.08 and miny < 41.34 and maxx > 9.55
    assert minx > -5.3 and maxy < 51.2 and miny > 41.3 and maxx < 9.7  # no DROM inside
    geoms = embedded.communes.geometry.dropna()
    outside = geoms[~geoms.index.str.startswith("97")]
    assert extents["metro"] == pytest.approx(tuple(shapely.total_bounds(outside.to_numpy())), abs=1e-4)
    pap = shapely.Point(-61.53, 16.24)  # Pointe-à-Pitre
    assert shapely.box(*extents["971"]).contains(pap) and not shapely.box(*extents["972"]).contains(pap)
    assert shapely.box(*extents["974"]).contains(shapely.Point(55.45, -20.88))  # Saint-Denis de La Réunion


def test_layer_file_holds_every_epci_with_escaped_names(embedded, display):
    data = json.loads(layer_asset(display))
    assert len(data["features"]) == len(display) >= 1250
    codes = {f["properties"]["c"] for f in data["features"]}
    assert codes == set(embedded.epci.index[embedded.epci.geometry.notna()])
    frame = gpd.GeoDataFrame({"nom": [EVIL]}, geometry=[shapely.box(2, 48, 2.1, 48.1)], index=["200000001"], crs=4326)
    text = layer_asset(DisplayLayer(frame)).decode()
    assert "<img" not in text and "<script" not in text and json.loads(text)["features"][0]["properties"]["n"].startswith("&lt;img")


def test_layer_file_is_named_by_its_content_and_written_once(tmp_path, display):
    data = layer_asset(display)
    name = publish_layer(data, tmp_path)
    assert re.fullmatch(r"epci-[0-9a-f]{16}\.json", name) and name == f"epci-{hashlib.sha256(data).hexdigest()[:16]}.json"
    target = tmp_path / name
    assert target.read_bytes() == data
    inode = os.stat(target).st_ino
    os.utime(target, (1_700_000_000, 1_700_000_000))
    assert publish_layer(data, tmp_path) == name and os.stat(target).st_ino == inode  # present: not rewritten,
    assert os.stat(target).st_mtime > time.time() - 60  # only marked as in use


def test_a_new_layer_file_deletes_the_stale_older_ones_never_the_current(tmp_path, display):
    """Another server may still use an older file: only one unpublished for STALE_AFTER_S is deleted."""
    stale = publish_layer(layer_asset(display.subset(list(display.frame.index[:3]))), tmp_path)
    recent = publish_layer(layer_asset(display.subset(list(display.frame.index[:4]))), tmp_path)
    now = time.time()
    os.utime(tmp_path / stale, (now - STALE_AFTER_S - 60,) * 2)
    os.utime(tmp_path / recent, (now - STALE_AFTER_S + 60,) * 2)
    keep = [tmp_path / "vendor.js", tmp_path / "epci-notes.txt"]  # not layer files: left alone
    for path in keep:
        path.write_text("x")
        os.utime(path, (now - 10 * STALE_AFTER_S,) * 2)
    current = publish_layer(layer_asset(display), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([current, recent, "vendor.js", "epci-notes.txt"])
    assert publish_layer(layer_asset(display), tmp_path) == current and (tmp_path / current).is_file()


def test_prepared_layer_file_of_the_cache_build(embedded, embedded_root):
    """The build writes the outlines file and each EPCI's label point: the first map computes neither."""
    generation = embedded.manifest["generation"]
    data = json.loads(epci_layer_path(embedded_root, generation).read_bytes())
    epci = embedded.epci[embedded.epci.geometry.notna()]
    assert {f["properties"]["c"] for f in data["features"]} == set(epci.index)
    frame = gpd.read_parquet(epci_display_path(embedded_root, generation))
    points = gpd.points_from_xy(frame["lon"], frame["lat"], crs=4326)
    assert frame[["lat", "lon"]].notna().all().all()
    assert shapely.contains(frame.geometry.to_numpy(), points).all()  # each name inside the outline it is drawn on (shapely)


def test_unwritable_static_folder_sends_the_layer_inline(tmp_path, embedded, display):
    data = layer_asset(display)
    blocker = tmp_path / "static"
    blocker.write_text("a file where the folder should be")  # root ignores permissions: an impossible folder instead
    assert layer_source(data, blocker / "layers") == (None, data.decode())
    name, inline = layer_source(data, tmp_path / "ok" / "layers")
    assert inline is None and (tmp_path / "ok" / "layers" / name).read_bytes() == data
    ind = indicator("densite_pop")
    light = mapping.choropleth(display, ind, embedded.level("epci")[ind.id], embedded.source_of(ind), geometry=False)
    page = mapping.epci_map(display, LOCAL, light, layer_inline=data.decode()).get_root().render()
    assert "var url = null" in page and data.decode() in page and "/app/static/layers/" not in page
    with pytest.raises(ValueError, match="soit l'adresse"):
        mapping.epci_map(display, LOCAL, light, layer_url="/x.json", layer_inline=data.decode())


def test_map_with_the_layer_file_carries_styles_not_outlines(embedded, display):
    ind = indicator("densite_pop")
    values = embedded.level("epci")[ind.id]
    full = mapping.choropleth(display, ind, values, embedded.source_of(ind))
    light = mapping.choropleth(display, ind, values, embedded.source_of(ind), geometry=False)
    assert light.geojson == "" and light.styles == full.styles
    page = mapping.epci_map(display, LOCAL, light, layer_url="/app/static/layers/epci-0123456789abcdef.json",
                            zones=zone_extents(embedded.communes)).get_root().render()
    assert len(page.encode()) < 150_000 < full.size  # the outlines stay in the file
    assert '"/app/static/layers/epci-0123456789abcdef.json"' in page and "Guadeloupe" in page and "La Réunion" in page
    styles = json.loads(light.styles)
    assert set(styles) == set(display.frame.index)
    classes = mapping.classify(values.reindex(display.frame.index).astype("float64"))
    paris = float(values["200054781"])  # Métropole du Grand Paris: the densest class
    assert styles["200054781"][0] == len(classes.bounds) - 1 and paris > classes.bounds[-2]
    missing = values.reindex(display.frame.index).isna()
    if missing.any():
        assert styles[missing.idxmax()] == [-1, "donnée manquante"]


def test_styles_escape_dataset_strings():
    frame = gpd.GeoDataFrame({"nom": [EVIL]}, geometry=[shapely.box(2, 48, 2.1, 48.1)], index=["200000001"], crs=4326)
    layer = DisplayLayer(frame)
    ind = indicator("taux_chomage")
    styled = mapping.choropleth(layer, ind, pd.Series({"200000001": 9.5}), (EVIL, EVIL), geometry=False)
    page = mapping.epci_map(layer, LOCAL, styled, layer_url="/app/static/layers/x.json").get_root().render()
    assert "<img" not in page and "alert(2)</script>" not in page


def test_view_layer_fits_lat_lon_bounds_once_per_token():
    m = mapping.base_map(LOCAL)
    mapping.view_layer((-5.14, 41.33, 9.56, 51.09), "7").add_to(m)
    page = m.get_root().render()
    assert "[[41.33,-5.14],[51.09,9.56]]" in page and '"7"' in page and "_ptceFit !== token" in page
