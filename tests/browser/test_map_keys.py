"""Map keys under the maps, never over them, at 1024 px, 1920 px and 200 % zoom; marker shapes that carry meaning
without colour (actors: shape by structure type); and no English text we control left in the pages.

Metropolitan France « as drawn » is measured from Leaflet's own pixel positions of known places at the edges of
the country (Ouessant, Bray-Dunes, Lauterbourg, Menton, Bonifacio, Cap Corse, Cerbère, Hendaye): each must be in
view, and no key, button or tool may cover any of them.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import LONG, MAP_IFRAME, TERRITOIRE_MAP, settle, shot, wait_epci_shown
from tests.browser.test_actors_flow import INVENTORY

pytestmark = pytest.mark.browser

# (lat, lon) of places at the edges of metropolitan France
EDGES = {"Ouessant": (48.457, -5.095), "Bray-Dunes": (51.078, 2.518), "Lauterbourg": (48.975, 8.23),
         "Menton": (43.775, 7.503), "Bonifacio": (41.387, 9.159), "Cap Corse": (43.008, 9.36), "Cerbère": (42.443, 3.166),
         "Hendaye": (43.36, -1.775)}
AMIENS = "248000531"

# For each place: its pixel in the map's container, whether it is in view, and the controls (boxes) covering it.
_PLACES_JS = """(places) => {
    const map = window.ptceMap, size = map.getSize(), origin = map.getContainer().getBoundingClientRect();
    const controls = [...map.getContainer().querySelectorAll('.leaflet-control')].map(el => [el.className, el.getBoundingClientRect()])
        .filter(([, r]) => r.width && r.height);
    const out = {};
    for (const [name, [lat, lon]] of Object.entries(places)) {
        const p = map.latLngToContainerPoint([lat, lon]), x = origin.left + p.x, y = origin.top + p.y;
        out[name] = {x: p.x, y: p.y, inView: p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y,
                     covered: controls.filter(([, r]) => x >= r.left - 4 && x <= r.right + 4 && y >= r.top - 4 && y <= r.bottom + 4)
                         .map(([name]) => name)};
    }
    return out;
}"""


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_keys_sit_under_the_map_and_nothing_covers_france(sized, server, embedded):
    page = sized
    page.goto(server["url"] + "/Territoire")
    frame = page.locator(TERRITOIRE_MAP)
    wait_epci_shown(page, 1000)
    settle(page)
    key = page.locator(".ptce-key").first
    key.wait_for(timeout=LONG)
    assert "Densité de population" in key.inner_text() and key.locator("li").count() >= 3
    assert frame.locator(".ptce-legend, .ptce-legend-body").count() == 0  # no key drawn over the map any more
    page.locator(TERRITOIRE_MAP).scroll_into_view_if_needed()
    map_box = page.locator(TERRITOIRE_MAP).bounding_box()
    for other in page.locator(".ptce-key").all():
        box = other.bounding_box()
        assert not overlap(box, map_box), (page.window, box, map_box)
        assert box["x"] >= map_box["x"] - 1 and box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 40  # in the map's column
    places = page.evaluate(_PLACES_JS, EDGES)
    shot(page, f"keys_france_{page.window}")
    assert {name: p for name, p in places.items() if not p["inView"] or p["covered"]} == {}, places
    # France fills the view: at most half a zoom level below the largest zoom showing the edge places with no margin at
    # all (Leaflet's own computation, from the places alone), whatever the window (test_france_view: the default one)
    zooms = page.evaluate("""(places) => [window.ptceMap.getZoom(),
        window.ptceMap.getBoundsZoom(L.latLngBounds(Object.values(places)))]""", EDGES)
    assert zooms[0] >= zooms[1] - 0.5, zooms

    # the territory's bounds as drawn: nothing covers the corners of Amiens Métropole either
    page.goto(server["url"] + f"/Territoire?epci={AMIENS}")
    page.get_by_text(f"— SIREN {AMIENS}").first.wait_for(timeout=LONG)
    settle(page)
    frame = page.locator(TERRITOIRE_MAP)
    wait_epci_shown(page)
    page.locator(".ptce-key", has_text="Repères").wait_for(timeout=LONG)
    communes = embedded.communes[embedded.communes["code_epci"] == AMIENS]
    minx, miny, maxx, maxy = (float(v) for v in communes.geometry.total_bounds)  # the territory, read from the reference
    corners = {"sud-ouest": (miny, minx), "nord-ouest": (maxy, minx), "nord-est": (maxy, maxx), "sud-est": (miny, maxx)}
    places = page.evaluate(_PLACES_JS, corners)
    shot(page, f"keys_territory_{page.window}")
    assert {name: p for name, p in places.items() if not p["inView"] or p["covered"]} == {}, places
    map_box = page.locator(TERRITOIRE_MAP).bounding_box()
    assert all(not overlap(k.bounding_box(), map_box) for k in page.locator(".ptce-key").all())
    assert page.failed == [] and page.external == []


def test_actor_markers_are_shaped_by_type_and_the_key_shows_shape_and_colour(page, server, tmp_path):
    page.goto(server["url"] + "/Acteurs?epci=244500203")
    page.get_by_text("Aucun inventaire pour l'instant").wait_for(timeout=LONG)
    settle(page)
    source = tmp_path / "acteurs.csv"
    source.write_text(INVENTORY, encoding="utf-8")
    page.locator('input[type="file"]').set_input_files(str(source))
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator("path.ptce-actor").nth(2).wait_for(timeout=LONG)
    settle(page)
    classes = [c for c in frame.locator("path.ptce-actor").evaluate_all("els => els.map(e => e.getAttribute('class'))")]
    shapes = {re.search(r"ptce-shape-(\w+)", c).group(1) for c in classes}
    assert len(shapes) >= 2, classes  # the inventory's types differ: so do the shapes
    for path in frame.locator("path.ptce-actor").all():  # a circle is drawn with arcs, every other shape with straight lines
        d, cls = path.get_attribute("d"), path.get_attribute("class")
        assert ("a" in d) == ("ptce-shape-circle" in cls), (cls, d)
    key = page.locator(".ptce-key", has_text="Type de structure : forme")
    key.wait_for(timeout=LONG)
    swatches = key.locator("li img").evaluate_all("imgs => imgs.map(i => [decodeURIComponent(i.src), i.complete && i.naturalWidth > 0, i.alt])")
    assert all(loaded and alt == "" for _, loaded, alt in swatches), swatches  # drawn (a valid image), silent for screen readers
    assert sum("<polygon" in src for src, _, _ in swatches) >= 6 and sum("<circle" in src for src, _, _ in swatches) == 1
    page.get_by_test_id("stSelectbox").filter(has_text="Couleur des points").click()
    page.get_by_role("option", name="Type de structure", exact=True).click()
    settle(page)
    key = page.locator(".ptce-key", has_text="forme et couleur")
    key.wait_for(timeout=LONG)
    assert "association (cercle)" in key.inner_text() and "SCOP (carré)" in key.inner_text()
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    shot(page, "keys_actors_shapes")
    assert not overlap(key.bounding_box(), page.locator(MAP_IFRAME).bounding_box())
