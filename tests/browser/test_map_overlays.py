"""The Territoire map's overlays in a real browser, offline: keys under the map (never over it), place names, marked
communes, metric scale, and the notice of an online basemap that cannot load (this machine has no internet: a real
failure), and the France Ruralités Revitalisation layer of the zonings option (a small FRR list imported in a cache of its
own). Keys at 1024 px, 1920 px and 200 % zoom, clear of metropolitan France: tests/browser/test_map_keys.py."""

from __future__ import annotations

import re

import pytest
import shapely

from ptce_geo.sources.local import import_directory
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.browser.helpers import (
    LONG,
    TERRITOIRE_MAP,
    draw_polygon,
    epci_count,
    open_map,
    running_server,
    runs_finished,
    settle,
    shot,
    wait_run_after,
    watch,
)

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


def choose(page, label: str, option: str | re.Pattern) -> None:
    """Pick ``option`` (its whole label, or a pattern) in the Streamlit selectbox labelled ``label``, then wait for the run it
    starts."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    before = runs_finished(page)
    page.get_by_role("option", name=option, exact=True).click()
    wait_run_after(page, before)  # settle() alone may end before a run that starts late on a loaded machine


def test_the_classes_key_is_page_text_under_the_map_and_follows_the_classes(page, server):
    frame = open_map(page, server)
    assert frame.locator(".leaflet-control").filter(has_text="Quantiles").count() == 0  # nothing drawn over the map
    key = page.locator(".ptce-key", has_text="Densité de population")
    key.wait_for(timeout=LONG)
    assert key.get_attribute("role") == "group" and key.get_attribute("aria-label").startswith("Légende : Densité de population")
    assert key.locator("li", has_text="–").count() == 5  # the default 5 classes, each « low – high »
    assert "Classes par quantiles." in key.inner_text()
    map_box, key_box = page.locator(TERRITOIRE_MAP).bounding_box(), key.bounding_box()
    assert key_box["y"] >= map_box["y"] + map_box["height"] - 1  # under the map
    choose(page, "Classes", "4")
    page.wait_for_function("() => [...document.querySelectorAll('.ptce-key li')].filter(li => li.innerText.includes('–')).length === 4",
                           timeout=LONG)
    shot(page, "overlays_01_key")


_FILLS_JS = """() => Object.fromEntries(window.ptceMap.ptceEpci.getLayers()
    .map(p => [p.feature.properties.c, [p.options.fillColor, p.getTooltip().getContent()]]))"""


def test_another_indicator_restyles_the_same_map_and_back(page, server):
    """Choosing another indicator keeps the map (its window, view and outlines) and restyles its EPCI in place: fills and
    tooltips follow the new indicator, and coming back gives exactly the fills and tooltips the map opened with."""
    open_map(page, server)
    frame = page
    frame.evaluate("() => { window.ptceMap.__ptceKept = true; }")
    opened = frame.evaluate(_FILLS_JS)
    assert len(opened) == epci_count(page) and all("Densité de population" in tip for _, tip in opened.values())
    for indicator in ("Population municipale", "Densité de population"):
        choose(page, "Indicateur de la carte", re.compile(f"^{indicator}"))
        frame.wait_for_function("name => Object.values(window.ptceMap.ptceEpci.getLayers()).every(p => p.getTooltip().getContent().includes(name))",
                                arg=indicator, timeout=LONG)
        assert frame.evaluate("() => window.ptceMap.__ptceKept === true")  # the same map: not rebuilt
        fills = frame.evaluate(_FILLS_JS)
        if indicator == "Population municipale":
            changed = sum(fills[c][0] != opened[c][0] for c in opened)
            assert changed > len(opened) // 4 and all("Densité" not in tip for _, tip in fills.values())
    assert fills == opened
    assert page.failed == [] and page.external == []


def test_a_vertex_in_the_corner_where_the_legend_was_comes_back(page, server):
    """The legend used to sit in the bottom right corner and swallow clicks: a vertex placed there now reaches the map."""
    frame = open_map(page, server)
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    x, y = box["width"] - 70, box["height"] - 70  # in the corner, above the attribution
    assert page.evaluate("([x, y]) => !document.elementFromPoint(x, y).closest('.leaflet-control')", [box["x"] + x, box["y"] + y])
    lat, lon = page.evaluate("([x, y]) => { const p = window.ptceMap.containerPointToLatLng([x, y]); return [p.lat, p.lng]; }",
                                        [x, y])
    draw_polygon(page, frame, [(0.40, 0.40), (0.60, 0.38), (x / box["width"], y / box["height"]), (0.42, 0.62), (0.40, 0.40)])
    page.wait_for_function("() => location.search.includes('polygone=')", timeout=LONG)
    settle(page)
    text = re.search(r"polygone=([^&]+)", page.url).group(1).replace("%2C", ",").replace("%3B", ";")
    vertices = [tuple(float(v) for v in pair.split(",")) for pair in text.split(";") if pair]
    assert len(set(vertices)) == 4
    assert min(abs(vlon - lon) + abs(vlat - lat) for vlon, vlat in vertices) < 0.05  # ~2 px at this zoom


def test_place_names_without_tiles(page, server):
    frame = open_map(page, server)
    epci = frame.locator(".ptce-label-epci")
    epci.first.wait_for()
    assert frame.get_by_text("Métropole du Grand Paris", exact=True).count() == 1  # the most populated EPCI, first placed
    assert 5 <= epci.count() <= 60 and frame.locator(".ptce-label-commune").count() == 0
    assert page.evaluate(_NO_OVERLAP_JS) == []
    page.goto(f"{server['url']}/Territoire?epci={BORDEAUX}")  # opens « Autour du territoire », zoomed on it
    frame = page.locator(TERRITOIRE_MAP)
    frame.locator(".ptce-label-commune").nth(4).wait_for(timeout=LONG)
    settle(page)
    assert page.evaluate("() => window.ptceMap.getZoom()") >= 9
    frame.locator(".ptce-label-commune", has_text=re.compile("^Bordeaux$")).wait_for()  # no key over the map to hide it
    assert page.evaluate(_NO_OVERLAP_JS) == []
    shot(page, "overlays_02_names")
    assert page.failed == [] and page.external == []


def test_excluded_and_cut_communes_are_marked_with_their_key(page, server, embedded):
    ring = shapely.box(*CUT_BOX).exterior.coords
    polygon = ";".join(f"{lon:.5f},{lat:.5f}" for lon, lat in ring)
    definition = TerritoryDefinition(epci=[BORDEAUX], exclude=[SAINT_VINCENT], polygon=shapely.geometry.mapping(shapely.box(*CUT_BOX)))
    cut = len(build_territory(embedded, definition).edge)
    assert cut >= 3
    page.goto(f"{server['url']}/Territoire?epci={BORDEAUX}&exclues={SAINT_VINCENT}&polygone={polygon}")
    frame = page.locator(TERRITOIRE_MAP)
    hatched, dash_dot = frame.locator('path[fill="url(#ptce-hatch)"]'), frame.locator('path[stroke-dasharray="10 4 2 4"]')
    dash_dot.nth(cut - 1).wait_for(timeout=LONG)
    settle(page)
    assert hatched.count() == 1 and dash_dot.count() == cut
    assert page.locator("#ptce-patterns pattern#ptce-hatch").count() == 1  # defined once in the page
    key = page.locator(".ptce-key", has_text="Commune exclue (hachures)")  # in the page, under the map
    assert key.count() == 1 and "Commune coupée par le polygone (trait mixte)" in key.inner_text()
    swatches = key.locator("li img").evaluate_all("imgs => imgs.map(i => [decodeURIComponent(i.src), i.complete && i.naturalWidth > 0])")
    assert all(loaded for _, loaded in swatches) and len(swatches) == 3  # territory, excluded, cut: each drawn
    assert sum('fill="url(#ptce-key-hatch)"' in src and "<pattern" in src for src, _ in swatches) == 1  # the same hatching
    shot(page, "overlays_03_marks")
    assert page.failed == [] and page.external == []


def test_scale_is_metric_and_an_unreachable_basemap_says_so(page, server):
    frame = open_map(page, server)
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ (m|km)", scale.inner_text().strip())
    assert frame.locator(".ptce-tile-notice").count() == 0
    choose(page, "Fond de carte", "Plan IGN")  # no internet here: every tile request fails; a new map replaces the old one
    page.wait_for_function(f"() => !!document.querySelector('{TERRITOIRE_MAP} .ptce-tile-notice')", timeout=LONG)
    settle(page)
    notice = page.locator(TERRITOIRE_MAP).locator(".ptce-tile-notice")
    assert notice.inner_text() == NOTICE and notice.get_attribute("role") == "status"
    assert epci_count(page) >= 1250  # the map stays usable
    shot(page, "overlays_04_tile_notice")


@pytest.fixture(scope="module")
def frr_site(embedded, tmp_path_factory):
    """A server on a cache holding a small FRR list: four communes of Bordeaux Métropole in four classes, one neighbour
    touching it (in the margin drawn around), Paris (far: never drawn); (URL, commune codes drawn by class)."""
    folder, root = tmp_path_factory.mktemp("frr_liste"), tmp_path_factory.mktemp("cache_frr")
    members = sorted(build_territory(embedded, TerritoryDefinition(epci=[BORDEAUX])).communes.index)
    shape = shapely.union_all(embedded.communes.geometry.loc[members].to_numpy())
    others = embedded.communes.drop(members)
    neighbour = sorted(others.index[others.geometry.intersects(shape)])[0]
    classes = {members[0]: "FRR+", members[1]: "FRR socle", members[2]: "Classée FRR partiellement", members[3]: "Non classée",
               neighbour: "FRR bénéficiaire", "75056": "FRR+"}
    (folder / "liste-communes-FRR.csv").write_text(
        "Code_insee;Departement;Commune;Classement FRR et FRR+ au 10 juillet 2025;\n"
        + "".join(f"{code};{code[:2]};C;{label};\n" for code, label in classes.items()), encoding="utf-8")
    import_directory(folder, root)  # the embedded reference and this list
    with running_server(root, tmp_path_factory.mktemp("projets_frr"), "streamlit_frr.log") as (url, _):
        yield url, {"frr_plus": [members[0]], "frr_socle": [members[1]], "frr_partielle": [members[2]], "frr_beneficiaire": [neighbour]}


def test_the_zonings_option_draws_the_frr_classes_with_their_key_under_the_map(browser, frr_site):
    url, drawn = frr_site
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(45_000)
    page = watch(context.new_page(), url)
    try:
        page.goto(f"{url}/Territoire?epci={BORDEAUX}")
        frame = page.locator(TERRITOIRE_MAP)
        frame.locator(".ptce-label-commune").first.wait_for(timeout=LONG)  # zoomed on the territory
        settle(page)
        patterned = frame.locator('path[fill^="url(#ptce-frr-"]')
        assert patterned.count() == 0 and page.locator(".ptce-key", has_text="France Ruralités Revitalisation").count() == 0
        page.get_by_text("Zonages sur la carte").click()
        patterned.nth(len(drawn) - 1).wait_for(timeout=LONG)
        settle(page)
        fills = sorted(patterned.evaluate_all("ps => ps.map(p => p.getAttribute('fill'))"))
        assert fills == sorted(f"url(#ptce-frr-{code})" for code in drawn)  # one path per classed commune; Paris, non classée: none
        partial = frame.locator('path[fill="url(#ptce-frr-frr_partielle)"]')
        assert partial.get_attribute("stroke-dasharray") == "5 3"
        assert page.locator("#ptce-frr-patterns pattern").count() == 5  # defined once in the page
        key = page.locator(".ptce-key", has_text="France Ruralités Revitalisation")
        key.wait_for(timeout=LONG)
        text = key.inner_text()
        for label in ("FRR+ (quadrillage)", "FRR socle (hachures)", "Classée FRR partiellement", "FRR bénéficiaire (points)",
                      "Non classée (sans trame)", "Source : DGCL/ANCT", "classement au 10 juillet 2025", "alentour"):
            assert label in text, label
        assert key.locator("li img").count() == 5
        map_box, key_box = page.locator(TERRITOIRE_MAP).bounding_box(), key.bounding_box()
        assert key_box["y"] >= map_box["y"] + map_box["height"] - 1  # under the map
        shot(page, "overlays_05_frr")
        assert page.failed == [] and page.external == []
    finally:
        context.close()
