"""The app in a real browser: home, the offline EPCI map, picking EPCI, reload, clicking, drawing."""

from __future__ import annotations

import re
import time

import pytest

from ptce_geo.cache import read_manifest
from tests.browser.helpers import (
    ARTIFACTS,
    LONG,
    TERRITOIRE_MAP,
    TIMINGS,
    draw_polygon,
    epci_count,
    open_map,
    open_tab,
    pick_epci,
    running_server,
    runs_finished,
    settle,
    shot,
    wait_epci_shown,
    wait_run_after,
    watch,
)

pytestmark = pytest.mark.browser

PARIS, BORDEAUX = "200054781", "243300316"
SQUARE = [(0.40, 0.40), (0.60, 0.38), (0.62, 0.60), (0.42, 0.62), (0.40, 0.40)]  # back to the first vertex: closes it


def test_territoire_map_renders_offline(page, server):
    layer_requests = []  # each request of the EPCI outlines file, and of Leaflet
    page.on("request", lambda r: layer_requests.append(r.resource_type) if "/app/static/layers/epci-" in r.url
            or r.url.endswith("/leaflet.js") else None)
    frame = open_map(page, server)
    paths = epci_count(page)
    # the page's first lines asked for the files (ui.map_files.prefetch: fetch) before the map loaded Leaflet (a script)
    assert layer_requests[:2] == ["fetch", "fetch"] and "script" in layer_requests
    shot(page, "01_territoire_map")
    assert paths >= 1250  # every EPCI (1,253 with the embedded data)
    assert frame.locator(".leaflet-draw-draw-polygon").count() == 1
    # density is always available: a key with its vintage, written in the page under the map, not over it
    assert page.locator(".ptce-key", has_text="Densité de population").count() == 1 and frame.locator(".ptce-legend").count() == 0
    assert page.failed == [] and page.external == []


def test_the_server_prepares_the_first_page_and_says_so(page, server):
    """``python -m ui.serve`` prepares the map page in a background thread (imports, reference, France-wide map) while
    the browser loads Streamlit's page, then says so; Streamlit's warning for code run outside a page's run is not left
    in the log, and the map component imported later by the page is still served (it registers only within a run)."""
    from ui.serve import READY

    log = ARTIFACTS / "streamlit.log"  # the server fixture's output (tests.browser.helpers.running_server)
    deadline = time.perf_counter() + LONG / 1000
    while READY not in log.read_text(encoding="utf-8") and time.perf_counter() < deadline:
        time.sleep(0.1)  # a file written by another process: polled, as the health endpoint is
    text = log.read_text(encoding="utf-8")
    assert READY in text and "missing ScriptRunContext" not in text and "Traceback" not in text, text[-2000:]
    open_map(page, server)
    assert page.failed == []


def test_a_new_map_runs_the_page_once(page, server):
    """A new map, then moved, sends nothing: the page runs once. (streamlit-folium's map sent its state at its first
    move, and the page ran a second time for nothing right after each new map, dropping what the user was typing.)"""
    open_map(page, server)
    page.locator(TERRITOIRE_MAP).locator(".leaflet-control-zoom-in").click()
    page.wait_for_function("() => !window.ptceMap._animatingZoom && window.ptceMap.getZoom() > 5.5")
    settle(page)
    assert runs_finished(page) == 1, page.runs


def test_home_shows_counts_and_starts(page, server):
    page.goto(server["url"])
    page.get_by_text("Communes", exact=True).wait_for(timeout=LONG)
    assert page.get_by_text("34 875").count() >= 1 and page.get_by_text("1 253").count() >= 1
    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_role("link", name="Accueil").count() == 1 and nav.get_by_role("link", name="app").count() == 0
    # no English developer menu or « Deploy » button (client.toolbarMode = "minimal")
    assert page.get_by_test_id("stMainMenu").count() == 0 and page.get_by_text("Deploy", exact=True).count() == 0
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
    wait_epci_shown(page, 20)  # the EPCI around
    TIMINGS["reload_to_map_s"] = time.perf_counter() - started
    page.get_by_text(f"— SIREN {BORDEAUX}").wait_for()
    assert page.get_by_text(f"— SIREN {PARIS}").count() >= 1
    assert page.get_by_role("radio", name="Autour du territoire").is_checked()  # reopened on its territory: a lighter map
    shot(page, "04_reloaded")
    assert page.failed == [] and page.external == []


def test_click_on_the_map_adds_then_removes_an_epci(page, server):
    open_map(page, server)
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    point = (box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
    page.mouse.click(*point)
    page.wait_for_function("() => /epci=\\d{9}/.test(location.search)", timeout=LONG)
    code = re.search(r"epci=(\d{9})", page.url).group(1)
    page.get_by_text(f"— SIREN {code}").wait_for()
    settle(page)
    shot(page, "05_clicked")
    page.mouse.click(*point)
    page.get_by_text("Aucun EPCI sélectionné").wait_for(timeout=LONG)
    page.wait_for_function("() => !location.search.includes('epci=')")


def test_draw_a_polygon_with_mouse_clicks(page, server):
    frame = open_map(page, server)
    draw_polygon(page, frame, SQUARE)
    page.wait_for_function("() => location.search.includes('polygone=')", timeout=LONG)
    page.get_by_text(re.compile(r"\d km² · ")).wait_for(timeout=LONG)  # the territory at a glance
    settle(page)  # the panel's tabs move down (a « Centrer » button comes first): read them once the run is over
    assert page.get_by_text("Aucun EPCI sélectionné").count() == 1  # closing the shape is not an EPCI click
    assert "epci=" not in page.url
    open_tab(page, "Dessin ou contour")
    page.get_by_text("Polygone dessiné").wait_for(timeout=LONG)
    assert page.get_by_text("1 forme, 4 sommets").count() == 1
    shot(page, "06_drawn")
    page.reload()
    open_tab(page, "Dessin ou contour")
    page.get_by_text("1 forme, 4 sommets").wait_for(timeout=LONG)
    assert page.failed == [] and page.external == []


def test_a_vertex_placed_on_the_legend_reaches_the_map(page, server):
    """The legend sat in the bottom right corner and could swallow clicks; it is now under the map: a drawing vertex
    placed in that corner is kept, not silently lost."""
    frame = open_map(page, server)
    on_legend = (0.88, 0.85)
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    assert page.evaluate("([x, y]) => !document.elementFromPoint(x, y).closest('.leaflet-control')",
                         [box["x"] + box["width"] * on_legend[0], box["y"] + box["height"] * on_legend[1]])
    draw_polygon(page, frame, [(0.40, 0.40), (0.60, 0.38), on_legend, (0.42, 0.62), (0.40, 0.40)])
    page.wait_for_function("() => location.search.includes('polygone=')", timeout=LONG)
    settle(page)
    open_tab(page, "Dessin ou contour")
    page.get_by_text("1 forme, 4 sommets").wait_for(timeout=LONG)


def test_saving_an_unchanged_drawing_keeps_the_epci_clicked_before(page, server):
    """« Enregistrer » of the edit toolbar, nothing changed, sends the map's value again: it is not a click (streamlit-folium
    reported it as one more click on the EPCI clicked last, which removed it)."""
    frame = open_map(page, server)
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
    page.wait_for_function("() => /epci=\\d{9}/.test(location.search)", timeout=LONG)
    clicked = re.search(r"epci=(\d{9})", page.url).group(1)
    settle(page)
    draw_polygon(page, frame, [(0.30, 0.30), (0.42, 0.30), (0.42, 0.42), (0.30, 0.42), (0.30, 0.30)])
    page.wait_for_function("() => location.search.includes('polygone=')", timeout=LONG)
    settle(page)
    frame.locator(".leaflet-draw-edit-edit").click()
    page.wait_for_function("() => document.querySelectorAll('.leaflet-editing-icon').length > 0")  # edit mode is on
    before = runs_finished(page)
    frame.locator(".leaflet-draw-actions a", has_text="Enregistrer").click()
    page.wait_for_function("() => document.querySelectorAll('.leaflet-editing-icon').length === 0")
    # the run the map's value starts is awaited (seen in the websocket: a short run may never show as « running » in the
    # page)
    wait_run_after(page, before)
    assert f"epci={clicked}" in page.url and "polygone=" in page.url
    page.get_by_text(f"— SIREN {clicked}").wait_for()
    assert page.failed == [] and page.external == []


def test_a_new_session_gets_the_saved_first_map_which_says_when_it_is_drawn(browser, embedded_root, tmp_path_factory):
    """A server of its own (nothing drawn yet in it): a new session's map is saved by the page that built it (or by an
    earlier server on this cache), then sent by the next new session before the page's imports; the first map sent says
    once that it is drawn, and the server answers (ui.first_map, ui.serve.PaintedSignal)."""
    from ui.first_map import PAINTED_PATH

    signals = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    try:
        with running_server(embedded_root, tmp_path_factory.mktemp("projets_carte"), "streamlit_first_map.log") as (url, _):
            for _ in range(2):
                page = watch(context.new_page(), url)
                page.on("response", lambda r: signals.append(r.status) if r.url.endswith(PAINTED_PATH) else None)
                page.goto(url + "/Territoire")
                wait_epci_shown(page, 1000)
                settle(page)
                assert page.failed == [] and page.external == []
                page.close()
        folder = embedded_root / "epci" / read_manifest(embedded_root)["generation"]
        assert list(folder.glob("first_map-*.json"))  # saved
        assert signals == [204]
    finally:
        context.close()
