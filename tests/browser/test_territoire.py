"""The app in a real browser: home, the offline EPCI map, picking EPCI, reload, clicking, drawing."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.helpers import TIMINGS, shot

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
PARIS, BORDEAUX = "200054781", "243300316"


def open_map(page, server: dict, path: str = "/Territoire", timeout: float = 90_000):
    """Open the page and wait until the Leaflet map inside the component iframe shows the EPCI paths.

    The first map of the session also gives the time from ``streamlit run`` to a rendered map.
    """
    page.goto(server["url"] + path)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator("path.leaflet-interactive").nth(1000).wait_for(timeout=timeout)
    TIMINGS.setdefault("streamlit_run_to_map_s", time.perf_counter() - server["started"])
    return frame


def pick_epci(page, text: str, code: str) -> None:
    """Type in the EPCI multiselect, take the first match, wait until the selection panel lists ``code``."""
    box = page.locator('[data-testid="stMultiSelect"] input')
    box.click()
    box.press_sequentially(text, delay=15)
    option = page.get_by_role("option", name=re.compile(re.escape(text))).first
    option.wait_for()
    option.click()  # not Enter: with several matches, the first option is Streamlit's « Select N matches »
    page.keyboard.press("Escape")
    page.get_by_text(f"SIREN {code}").first.wait_for()


def test_territoire_map_renders_offline(page, server):
    frame = open_map(page, server)
    paths = frame.locator("path.leaflet-interactive").count()
    shot(page, "01_territoire_map")
    assert paths >= 1250  # one path per EPCI (1,253 with the embedded data)
    assert frame.locator(".leaflet-draw-draw-polygon").count() == 1
    assert frame.locator(".ptce-legend").count() == 1  # density is always available: a legend with its vintage
    assert page.failed == [] and page.external == []


def test_home_shows_counts_and_starts(page, server):
    page.goto(server["url"])
    page.get_by_text("Communes", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("34 875").count() >= 1 and page.get_by_text("1 253").count() >= 1
    shot(page, "02_home")
    page.get_by_role("button", name="Commencer : définir le territoire").click()
    page.wait_for_url("**/Territoire*")
    page.get_by_text("Territoire d'action").first.wait_for()
    assert page.failed == [] and page.external == []


def test_pick_two_epci_then_reload_restores_them(page, server):
    open_map(page, server)
    pick_epci(page, PARIS, PARIS)
    pick_epci(page, "Bordeaux M", BORDEAUX)
    page.wait_for_function(f"() => location.search.includes('{PARIS}') && location.search.includes('{BORDEAUX}')")
    assert page.get_by_text("Métropole du Grand Paris").count() >= 1
    shot(page, "03_two_epci")
    started = time.perf_counter()
    page.reload()
    page.frame_locator(MAP_IFRAME).locator("path.leaflet-interactive").nth(20).wait_for(timeout=60_000)  # the EPCI around
    TIMINGS["reload_to_map_s"] = time.perf_counter() - started
    page.get_by_text(f"SIREN {BORDEAUX}").wait_for()
    assert page.get_by_text(f"SIREN {PARIS}").count() >= 1
    assert page.get_by_role("radio", name="Autour du territoire").is_checked()  # reopened on its territory: a lighter map
    shot(page, "04_reloaded")
    assert page.failed == [] and page.external == []


def test_click_on_the_map_adds_then_removes_an_epci(page, server):
    open_map(page, server)
    box = page.locator(MAP_IFRAME).bounding_box()
    point = (box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
    page.mouse.click(*point)
    page.wait_for_function("() => /epci=\\d{9}/.test(location.search)", timeout=20_000)
    code = re.search(r"epci=(\d{9})", page.url).group(1)
    page.get_by_text(f"SIREN {code}").wait_for()
    shot(page, "05_clicked")
    page.mouse.click(*point)
    page.get_by_text("Aucun EPCI sélectionné").wait_for(timeout=20_000)
    page.wait_for_function("() => !location.search.includes('epci=')")


def test_draw_a_polygon_with_mouse_clicks(page, server):
    frame = open_map(page, server)
    frame.locator(".leaflet-draw-draw-polygon").click()
    box = page.locator(MAP_IFRAME).bounding_box()
    vertices = [(0.40, 0.40), (0.60, 0.38), (0.62, 0.60), (0.42, 0.62), (0.40, 0.40)]  # back to the first: closes it
    for fx, fy in vertices:
        # Leaflet.draw places a vertex where the pointer moved to: move in steps, then press and release
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=4)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(400)  # more than Leaflet's double-click delay
    page.get_by_text(re.compile(r"\d km² · ")).wait_for(timeout=20_000)  # the territory at a glance
    assert page.get_by_text("Aucun EPCI sélectionné").count() == 1  # closing the shape is not an EPCI click
    page.get_by_role("tab", name="Dessin ou contour").click()
    page.get_by_text("Polygone dessiné").wait_for(timeout=20_000)
    assert page.get_by_text("1 forme, 4 sommets").count() == 1
    page.wait_for_function("() => location.search.includes('polygone=')")
    shot(page, "06_drawn")
    page.reload()
    page.get_by_role("tab", name="Dessin ou contour").click()
    page.get_by_text("1 forme, 4 sommets").wait_for(timeout=60_000)
    assert page.failed == [] and page.external == []
