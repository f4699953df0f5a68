"""The Territoire map's overlays in a real browser, offline: foldable legend, place names, marked communes, metric
scale, and the notice of an online basemap that cannot load (this machine has no internet: a real failure)."""

from __future__ import annotations

import re

import pytest
import shapely

from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.browser.helpers import LONG, MAP_IFRAME, draw_polygon, map_frame, open_map, runs_finished, settle, shot, wait_run_after

pytestmark = pytest.mark.browser

BORDEAUX, SAINT_VINCENT = "243300316", "33487"  # Bordeaux Métropole and its least populated commune
CUT_BOX = (-0.62, 44.80, -0.52, 44.88)  # around Bordeaux: cuts communes of the métropole
NOTICE = "Le fond de carte en ligne n'a pas pu être chargé (hors ligne ?) — la carte reste utilisable sans fond."
# No two names overlap, and no name hides under a control (legend, tools, scale).
_NO_OVERLAP_JS = """() => {
    const rects = sel => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect()).filter(r => r.width && r.height);
    const apart = (a, b) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
    const labels = rects('.ptce-label'), controls = rects('.leaflet-control');
    const text = r => `${Math.round(r.left)},${Math.round(r.top)},${Math.round(r.right)},${Math.round(r.bottom)}`;
    return labels.flatMap((a, i) => [...labels.filter((b, j) => j > i && !apart(a, b)), ...controls.filter(c => !apart(a, c))]
        .map(b => `${text(a)} / ${text(b)}`));
}"""  # the overlapping pairs: none expected


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``, then wait for the run it starts."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    before = runs_finished(page)
    page.get_by_role("option", name=option, exact=True).click()
    wait_run_after(page, before)  # settle() alone may end before a run that starts late on a loaded machine


def test_legend_folds_by_keyboard_and_stays_folded_when_the_map_is_rebuilt(page, server):
    frame = open_map(page, server)
    toggle, body = frame.locator(".ptce-legend-toggle"), frame.locator(".ptce-legend-body")
    assert body.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert toggle.get_attribute("aria-label") == "Masquer la légende : Légende"
    assert toggle.evaluate("b => b.tagName === 'BUTTON' && b.tabIndex >= 0")  # reachable with Tab
    toggle.press("Enter")
    body.wait_for(state="hidden")
    assert toggle.get_attribute("aria-expanded") == "false" and toggle.get_attribute("aria-label") == "Afficher la légende : Légende"
    settle(page)
    assert "epci=" not in page.url and page.get_by_text("Aucun EPCI sélectionné").count() == 1  # no click reached the map
    map_frame(page).evaluate("() => { window.__mapBefore = true; }")
    choose(page, "Classes", "4")  # a new map instance (new key): the legend is built again
    page.wait_for_function(f"""() => {{
        const f = document.querySelector('{MAP_IFRAME}');
        return f && f.contentWindow && !f.contentWindow.__mapBefore && f.contentDocument.querySelector('.ptce-legend-toggle');
    }}""", timeout=LONG)
    frame = page.frame_locator(MAP_IFRAME)
    assert frame.locator(".ptce-legend-toggle").get_attribute("aria-expanded") == "false"  # kept for the session
    frame.locator(".ptce-legend-toggle").click()
    frame.locator(".ptce-legend-body").wait_for(state="visible")
    assert frame.locator(".ptce-legend-body span[style*='background']").count() >= 4  # now 4 classes
    shot(page, "overlays_01_legend")


def test_a_vertex_under_the_legend_comes_back_where_it_was_placed(page, server):
    frame = open_map(page, server)
    box, legend = page.locator(MAP_IFRAME).bounding_box(), frame.locator(".leaflet-right .ptce-legend-body").bounding_box()
    x, y = legend["x"] + legend["width"] / 2 - box["x"], legend["y"] + legend["height"] / 2 - box["y"]
    lat, lon = map_frame(page).evaluate("([x, y]) => { const p = window.map.containerPointToLatLng([x, y]); return [p.lat, p.lng]; }",
                                        [x, y])
    draw_polygon(page, frame, [(0.40, 0.40), (0.60, 0.38), (x / box["width"], y / box["height"]), (0.42, 0.62), (0.40, 0.40)])
    page.wait_for_function("() => location.search.includes('polygone=')", timeout=LONG)
    settle(page)
    text = re.search(r"polygone=([^&]+)", page.url).group(1).replace("%2C", ",").replace("%3B", ";")
    vertices = [tuple(float(v) for v in pair.split(",")) for pair in text.split(";") if pair]
    assert len(set(vertices)) == 4
    assert min(abs(vlon - lon) + abs(vlat - lat) for vlon, vlat in vertices) < 0.05  # ~2 px at this zoom
    assert frame.locator(".leaflet-right .ptce-legend-body").is_visible()  # the vertex did not fold the legend either


def test_place_names_without_tiles(page, server):
    frame = open_map(page, server)
    epci = frame.locator(".ptce-label-epci")
    epci.first.wait_for()
    assert frame.get_by_text("Métropole du Grand Paris", exact=True).count() == 1  # the most populated EPCI, first placed
    assert 5 <= epci.count() <= 60 and frame.locator(".ptce-label-commune").count() == 0
    assert map_frame(page).evaluate(_NO_OVERLAP_JS) == []
    page.goto(f"{server['url']}/Territoire?epci={BORDEAUX}")  # opens « Autour du territoire », zoomed on it
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".ptce-label-commune").nth(4).wait_for(timeout=LONG)
    settle(page)
    assert map_frame(page).evaluate("() => window.map.getZoom()") >= 9
    assert map_frame(page).evaluate(_NO_OVERLAP_JS) == []  # names under a legend are not placed (Bordeaux is, here)
    for toggle in frame.locator(".ptce-legend-toggle").all():
        toggle.click()  # folded legends free their place: the names there are placed
    frame.locator(".ptce-label-commune", has_text=re.compile("^Bordeaux$")).wait_for()
    assert map_frame(page).evaluate(_NO_OVERLAP_JS) == []
    shot(page, "overlays_02_names")
    assert page.failed == [] and page.external == []


def test_excluded_and_cut_communes_are_marked_with_their_key(page, server, embedded):
    ring = shapely.box(*CUT_BOX).exterior.coords
    polygon = ";".join(f"{lon:.5f},{lat:.5f}" for lon, lat in ring)
    definition = TerritoryDefinition(epci=[BORDEAUX], exclude=[SAINT_VINCENT], polygon=shapely.geometry.mapping(shapely.box(*CUT_BOX)))
    cut = len(build_territory(embedded, definition).edge)
    assert cut >= 3
    page.goto(f"{server['url']}/Territoire?epci={BORDEAUX}&exclues={SAINT_VINCENT}&polygone={polygon}")
    frame = page.frame_locator(MAP_IFRAME)
    hatched, dash_dot = frame.locator('path[fill="url(#ptce-hatch)"]'), frame.locator('path[stroke-dasharray="10 4 2 4"]')
    dash_dot.nth(cut - 1).wait_for(timeout=LONG)
    settle(page)
    assert hatched.count() == 1 and dash_dot.count() == cut
    assert frame.locator("#ptce-patterns pattern#ptce-hatch").count() == 1
    key = frame.locator(".ptce-legend-body", has_text="Commune exclue (hachures)")
    assert key.count() == 1 and "Commune coupée par le polygone (trait mixte)" in key.inner_text()
    assert key.locator('svg rect[fill="url(#ptce-hatch)"]').count() == 1  # the key shows the same pattern
    shot(page, "overlays_03_marks")
    assert page.failed == [] and page.external == []


def test_scale_is_metric_and_an_unreachable_basemap_says_so(page, server):
    frame = open_map(page, server)
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ (m|km)", scale.inner_text().strip())
    assert frame.locator(".ptce-tile-notice").count() == 0
    choose(page, "Fond de carte", "Plan IGN")  # no internet here: every tile request fails; a new map replaces the old one
    page.wait_for_function(f"""() => [...document.querySelectorAll('{MAP_IFRAME}')].some(
        f => f.contentDocument && f.contentDocument.querySelector('.ptce-tile-notice'))""", timeout=LONG)
    settle(page)
    notice = page.frame_locator(MAP_IFRAME).locator(".ptce-tile-notice")
    assert notice.inner_text() == NOTICE and notice.get_attribute("role") == "status"
    assert page.frame_locator(MAP_IFRAME).locator("path.leaflet-interactive").count() >= 1250  # the map stays usable
    shot(page, "overlays_04_tile_notice")
