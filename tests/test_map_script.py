"""The Territoire map's scripts for the page (ptce_geo.map_script): the map's own, run once, and one per feature group,
each run on its own with the map as its only link to the rest. Run in a real browser: tests/browser/test_territoire.py."""

import re

import pytest

from ptce_geo import mapping
from ptce_geo.display import load_epci_display
from ptce_geo.map_script import MAP_NAME, map_script

LOCAL = mapping.Assets.local()
ZONES = {"metro": (-5.2, 41.3, 9.6, 51.1), "974": (55.2, -21.4, 55.9, -20.8)}
FOLIUM_NAME = re.compile(r"\b[a-z_]+_[0-9a-f]{32}\b")  # a name folium made up (random), valid only in its own script


@pytest.fixture(scope="module")
def display(embedded, embedded_root):
    return load_epci_display(embedded, embedded_root)


def _map(display, draw=True):
    return mapping.epci_map(display, LOCAL, layer_url="/app/static/layers/epci-0.json", zones=ZONES, draw=draw)


def test_the_map_script_makes_the_map_under_its_fixed_name_and_returns_it_with_its_drawing_tools(display):
    script = map_script(_map(display))
    assert re.search(rf'L\.map\(\s*"{MAP_NAME}"', script.base)  # the page gives its element this id
    assert script.base.rstrip().endswith(f"return {{map: {MAP_NAME}, draw: draw_control_ptce, drawn: drawnItems_draw_control_ptce}};")
    assert "ptceEpci" in script.base and "alert(" not in script.base
    bare = map_script(_map(display, draw=False))
    assert bare.base.rstrip().endswith(f"return {{map: {MAP_NAME}, draw: null, drawn: null}};")


def test_each_group_is_a_script_of_its_own_reaching_only_the_map(display):
    groups = [mapping.selection_layer(display, list(display.frame.index[:2])), mapping.drawing_layer(None),
              mapping.view_layer(ZONES["metro"], "3")]
    script = map_script(_map(display), groups)
    assert [name for name, _ in script.groups] == ["feature_group_g0", "feature_group_g1", "feature_group_g2"]
    base_names = set(FOLIUM_NAME.findall(script.base))
    assert base_names  # the base keeps folium's names for what only it reaches (zoom, scale, the EPCI layer…)
    for name, text in script.groups:
        assert re.search(rf"var {name}\b", text) and f"{name}.addTo({MAP_NAME});" in text
        assert not set(FOLIUM_NAME.findall(text)) & base_names, name  # nothing of the base but the map
        assert "feature_group_g" not in script.base
    assert "fitBounds([[41.3,-5.2],[51.1,9.6]]" in script.groups[2][1] and '(map_ptce, "3")' in script.groups[2][1]


def test_leaflet_loads_before_leaflet_draw(display):
    script = map_script(_map(display))
    assert script.js == (LOCAL.leaflet_js, LOCAL.draw_js) and script.css == (LOCAL.leaflet_css, LOCAL.draw_css)
    assert map_script(_map(display, draw=False)).js == (LOCAL.leaflet_js,)
