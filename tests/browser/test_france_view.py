"""« France entière » shows all of metropolitan France; the buttons on the map reach each DROM, whose EPCI are clickable."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import LONG, TERRITOIRE_MAP, open_map, settle, shot

pytestmark = pytest.mark.browser

# Places at the edges of metropolitan France (geography, not the code under test): lat, lon
EDGES = {"Ouessant": (48.46, -5.10), "Bray-Dunes": (51.08, 2.52), "Lauterbourg": (48.97, 8.18), "Bonifacio": (41.39, 9.16),
         "Cerbère": (42.44, 3.16), "Menton": (43.78, 7.50)}
POINTE_A_PITRE, SAINT_DENIS_REUNION, BASSE_TERRE = (16.24, -61.53), (-20.88, 55.45), (16.13, -61.68)
# where a lat/lon point is, in pixels from the page's top left corner
_PIXEL = """([lat, lon]) => { const r = window.ptceMap.getContainer().getBoundingClientRect();
    const p = window.ptceMap.latLngToContainerPoint([lat, lon]); return [r.left + p.x, r.top + p.y]; }"""
_CONTAINS = "([lat, lon]) => window.ptceMap.getBounds().contains([lat, lon])"
# codes of the EPCI whose outline is at least partly inside the map's current view
_VISIBLE = """() => Object.values(window.ptceMap._layers).filter(l => l.feature && l.feature.properties.c
    && window.ptceMap.getBounds().intersects(l.getBounds())).map(l => l.feature.properties.c)"""


def _zone_button(page, name: str):
    return page.locator(TERRITOIRE_MAP).get_by_role("button", name=name, exact=True)


def _wait_view(leaflet, point) -> None:
    leaflet.wait_for_function(f"p => !window.ptceMap._animatingZoom && ({_CONTAINS})(p)", arg=list(point), timeout=30_000)


def test_france_entiere_shows_metropole_and_buttons_reach_each_drom(page, server, embedded):
    open_map(page, server)
    leaflet = page
    assert page.get_by_role("radio", name="France entière").is_checked()
    for place, point in EDGES.items():
        assert leaflet.evaluate(_CONTAINS, list(point)), f"{place} hors de la vue « France entière »"
    # and fills it: at most half a zoom level below the largest zoom showing the edge places with no margin at all
    # (Leaflet's own computation from the places alone); the controls' margins once drew it at 4.75 instead of 5.75
    zooms = leaflet.evaluate("""(places) => [window.ptceMap.getZoom(), window.ptceMap.getBoundsZoom(L.latLngBounds(places))]""",
                             list(EDGES.values()))
    assert zooms[0] >= zooms[1] - 0.5, zooms
    assert not leaflet.evaluate(_CONTAINS, list(POINTE_A_PITRE))
    shot(page, "france_entiere")

    communes = embedded.communes
    guadeloupe = set(communes.loc[communes.index.str.startswith("971"), "code_epci"].dropna())
    _zone_button(page, "Guadeloupe").click()
    _wait_view(leaflet, POINTE_A_PITRE)
    assert set(leaflet.evaluate(_VISIBLE)) <= guadeloupe and len(leaflet.evaluate(_VISIBLE)) >= 3  # its 6 EPCI, no other
    shot(page, "guadeloupe")
    page.mouse.click(*leaflet.evaluate(_PIXEL, list(BASSE_TERRE)))  # a DROM EPCI is clickable too
    page.wait_for_function("() => /epci=\\d{9}/.test(location.search)", timeout=LONG)
    assert re.search(r"epci=(\d{9})", page.url).group(1) in guadeloupe
    settle(page)
    assert leaflet.evaluate(_CONTAINS, list(POINTE_A_PITRE))  # the click's rerun leaves the map where it was

    _zone_button(page, "La Réunion").focus()  # the buttons work with the keyboard
    page.keyboard.press("Enter")
    _wait_view(leaflet, SAINT_DENIS_REUNION)
    reunion = set(communes.loc[communes.index.str.startswith("974"), "code_epci"].dropna())
    assert set(leaflet.evaluate(_VISIBLE)) <= reunion

    _zone_button(page, "Métropole").click()
    for point in EDGES.values():
        _wait_view(leaflet, point)
    assert page.failed == [] and page.external == []


def test_view_selector_moves_the_same_map_without_reloading_it(page, server):
    open_map(page, server, "/Territoire?epci=200054781", paths=20)  # Métropole du Grand Paris
    page.get_by_text("— SIREN 200054781").first.wait_for(timeout=LONG)
    leaflet = page
    _wait_view(leaflet, (48.86, 2.35))
    assert not leaflet.evaluate(_CONTAINS, list(EDGES["Ouessant"]))  # reopened around its territory
    leaflet.evaluate("() => { window.ptceMap.__ptceSameMap = true; }")
    page.get_by_role("radio", name="France entière").check(force=True)
    for point in EDGES.values():
        _wait_view(leaflet, point)
    settle(page)
    page.get_by_role("radio", name="Autour du territoire").check(force=True)
    leaflet.wait_for_function("() => !window.ptceMap.getBounds().contains([48.46, -5.10]) && !window.ptceMap._animatingZoom", timeout=30_000)
    assert leaflet.evaluate(_CONTAINS, [48.86, 2.35])
    assert leaflet.evaluate("() => window.ptceMap.__ptceSameMap === true")  # moved, not rebuilt: the outlines stayed in the page
    assert page.failed == [] and page.external == []


# moves of the map (zoomend, moveend) counted over 60 animation frames (~1 s): a refit is a frame's work at most
_MOVES_OVER_FRAMES = """() => new Promise(resolve => {
    let moves = 0, frames = 0;
    const count = () => { moves += 1; };
    window.ptceMap.on("zoomend moveend", count);
    const tick = () => { if (++frames < 60) { requestAnimationFrame(tick); } else { window.ptceMap.off("zoomend moveend", count); resolve(moves); } };
    requestAnimationFrame(tick);
})"""


def test_an_untouched_map_stays_still(page, server):
    """Fitted clear of its controls, the map does not keep moving by itself: the scale bar's width follows the zoom, and
    each fit changed it and called for another (the map swung between two zooms at every frame, re-projecting every
    EPCI, until the user touched it: ~20 moves a second)."""
    open_map(page, server)
    settle(page)
    leaflet = page
    leaflet.wait_for_function("() => !window.ptceMap._animatingZoom", timeout=LONG)
    assert leaflet.evaluate(_MOVES_OVER_FRAMES) <= 2  # a late laid-out control may refit once; a swing moves at every frame
