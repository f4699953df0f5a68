"""What users do, in a real browser: two EPCI and the multi-EPCI alert across pages, a zoomed drawing timed to its
diagnostic, the zip download checked against the library, bad uploads and a double click answered in French."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest

from ptce_geo.csvsafe import to_csv_bytes
from ptce_geo.diagnostic import diagnose
from ptce_geo.export import tables
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.browser.helpers import (
    ARTIFACTS,
    LONG,
    TERRITOIRE_MAP,
    TIMINGS,
    draw_polygon,
    draw_vertex,
    open_map,
    open_tab,
    pick_epci,
    section_button,
    settle,
    shot,
    uploader,
    wait_epci_shown,
    zoom_in,
)

pytestmark = pytest.mark.browser

AMIENS, VAL_DE_SOMME = "248000531", "248000499"  # a communauté d'agglomération and a communauté de communes


def metric(page, label: str) -> str:
    """The value of the ``st.metric`` labelled ``label`` (waits for it)."""
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)).first
    box.wait_for(timeout=LONG)
    return box.get_by_test_id("stMetricValue").inner_text().strip()


_METRIC_JS = """([label, previous]) => {
    const box = [...document.querySelectorAll('[data-testid=stMetric]')]
        .find(e => e.querySelector('[data-testid=stMetricLabel]')?.innerText.trim() === label);
    const value = box?.querySelector('[data-testid=stMetricValue]')?.innerText.trim();
    return value !== undefined && value !== previous;
}"""


def wait_metric_change(page, label: str, previous: str, timeout: float = LONG) -> None:
    page.wait_for_function(_METRIC_JS, arg=[label, previous], timeout=timeout, polling=20)


def test_two_epci_of_different_types_follow_the_user_to_the_diagnostic(page, server):
    open_map(page, server)
    pick_epci(page, "Amiens M", AMIENS)
    pick_epci(page, "Val de Somme", VAL_DE_SOMME)
    assert metric(page, "EPCI") == "2"
    communes = metric(page, "Communes")
    shot(page, "10_two_epci_glance")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Diagnostic").click()
    page.wait_for_url("**/Diagnostic*")
    page.wait_for_function(f"() => location.search.includes('{AMIENS}') && location.search.includes('{VAL_DE_SOMME}')")
    assert metric(page, "Communes") == communes  # the same territory on the next page, and in its URL
    open_tab(page, "Alertes")
    page.get_by_text("2 EPCI de 2 types différents").wait_for(timeout=LONG)
    page.get_by_text("1 communauté d'agglomération, 1 communauté de communes").first.wait_for()
    shot(page, "11_diagnostic_alerts")
    page.reload()
    page.get_by_text("Amiens Métropole").first.wait_for(timeout=LONG)
    assert metric(page, "Communes") == communes
    assert page.failed == [] and page.external == []


def test_a_crossing_or_empty_drawing_is_refused_in_french(page, server):
    frame = open_map(page, server)
    mounted = page.locator(TERRITOIRE_MAP).evaluate("e => [...e.closest('[class*=st-key-]').classList].find(c => c.startsWith('st-key-'))")
    draw_polygon(page, frame, [(0.04, 0.58), (0.12, 0.66), (0.12, 0.58)])  # in the Bay of Biscay
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    draw_vertex(page, box, 0.04, 0.68)  # would cross the first side: Leaflet.draw refuses the vertex
    frame.get_by_text("Le contour ne doit pas se croiser.").wait_for()
    assert page.evaluate("() => document.querySelectorAll('.leaflet-editing-icon').length") == 3
    shot(page, "17_crossing_refused")
    draw_vertex(page, box, 0.04, 0.58)  # close the triangle: valid, but at sea
    page.get_by_text("Dessin refusé").wait_for(timeout=LONG)
    assert page.get_by_text(re.compile("ne recouvre aucune commune")).count() >= 1
    assert page.get_by_text("Le territoire précédent est conservé.").count() >= 1
    assert "polygone=" not in page.url and metric(page, "Communes") == "—"
    page.wait_for_function("key => document.querySelector(`.${key} .ptce-map`) === null", arg=mounted, timeout=LONG)  # a fresh map…
    wait_epci_shown(page, 1000)  # …without the refused shape
    settle(page)
    shot(page, "18_empty_drawing_refused")
    assert page.failed == [] and page.external == []


def test_zoomed_drawing_gives_the_territory_and_its_diagnostic_fast(page, server):
    frame = open_map(page, server)
    zoom_in(page, frame, 4)  # from France (zoom 6) to about a canton (zoom 10)
    draw_polygon(page, frame, [(0.35, 0.35), (0.65, 0.33), (0.67, 0.65), (0.37, 0.67), (0.35, 0.35)])  # back to the first: closes it
    closed = time.perf_counter()
    wait_metric_change(page, "Communes", "—")  # the panel shows the territory's diagnostic
    communes = metric(page, "Communes")
    TIMINGS["draw_to_diagnostic_s"] = time.perf_counter() - closed
    print(f"\ndraw -> diagnostic: {TIMINGS['draw_to_diagnostic_s']:.2f} s ({communes} communes)")
    assert int(communes.replace("\u202f", "")) > 0
    settle(page)  # the map finishes its update, as before a user's next click
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    started = time.perf_counter()  # a click on an EPCI outside the drawing: warm caches, the usual case
    page.mouse.click(box["x"] + box["width"] * 0.12, box["y"] + box["height"] * 0.5)
    wait_metric_change(page, "Communes", communes)
    TIMINGS["click_to_diagnostic_s"] = time.perf_counter() - started
    page.wait_for_function("() => /epci=\\d{9}/.test(location.search)", timeout=LONG)
    print(f"click EPCI -> diagnostic: {TIMINGS['click_to_diagnostic_s']:.2f} s ({metric(page, 'Communes')} communes)")
    settle(page)
    open_tab(page, "Dessin ou contour")
    page.get_by_text(re.compile(r"communes coupées par le polygone")).wait_for()
    shot(page, "12_zoomed_drawing")
    page.wait_for_function("() => location.search.includes('polygone=')")
    communes = metric(page, "Communes")
    page.reload()
    wait_epci_shown(page)
    assert metric(page, "Communes") == communes  # the URL carries the drawing and the EPCI
    assert page.failed == [] and page.external == []


def _zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_download_the_zip_and_check_it_against_the_library(page, server, embedded):
    page.goto(f"{server['url']}/Export?epci={AMIENS},{VAL_DE_SOMME}")
    button = page.get_by_role("button", name=re.compile("Télécharger tout"))
    button.wait_for(timeout=LONG)
    settle(page)
    shot(page, "13_export")
    with page.expect_download() as info:
        button.click()
    path = ARTIFACTS / "diagnostic_territoire.zip"
    info.value.save_as(path)
    files = _zip_files(path.read_bytes())
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME])))
    expected = tables(diag)
    assert {f"{stem}.csv" for stem in expected} <= set(files)
    for stem, frame in expected.items():
        assert files[f"{stem}.csv"] == to_csv_bytes(frame, "standard"), stem
    assert {"territoire.geojson", "communes.geojson", "territoire.gpkg", "sources.md", "territoire.json"} <= set(files)
    # a double click: the same file, and a French note that nothing was recomputed
    with page.expect_download() as again:
        button.dblclick()
    page.get_by_text("déjà téléchargé").first.wait_for(timeout=LONG)
    assert again.value.suggested_filename == "diagnostic_territoire.zip"
    assert _zip_files(again.value.path().read_bytes()).keys() == files.keys()
    settle(page)
    shot(page, "14_double_click")
    page.get_by_text(re.compile("Excel français")).click()
    page.get_by_role("button", name=re.compile("Télécharger tout \\(zip, CSV Excel français")).wait_for(timeout=LONG)
    settle(page)  # the per-file buttons too
    with page.expect_download() as info:
        page.get_by_role("button", name="synthese.csv").click()
    assert info.value.suggested_filename == "synthese.csv"
    assert info.value.path().read_bytes() == to_csv_bytes(expected["synthese"], "excel-fr")
    assert page.failed == [] and page.external == []


def test_bad_input_is_answered_in_french_and_the_territory_kept(page, server):
    page.goto(f"{server['url']}/Territoire?epci={AMIENS}&seuil=beaucoup&zoom=12")
    page.get_by_text("« seuil » ignoré").wait_for(timeout=LONG)
    page.get_by_text("Paramètre d'URL inconnu ignoré : « zoom »").wait_for()
    communes = metric(page, "Communes")
    settle(page)
    open_tab(page, "Dessin ou contour")
    # each upload empties the uploader by giving it a new key (ter_fichier_0, _1, …): aim at the current one only
    uploader(page, "ter_fichier_0").set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"pas un GeoJSON"})
    page.get_by_text(re.compile("Fichier « notes.txt » refusé")).wait_for(timeout=LONG)
    assert metric(page, "Communes") == communes
    shot(page, "15_bad_upload")
    big = {"name": "enorme.geojson", "mimeType": "application/geo+json", "buffer": b" " * 6_000_000}
    uploader(page, "ter_fichier_1").set_input_files(big)
    page.get_by_text(re.compile("la limite est de 5 Mo")).wait_for(timeout=LONG)
    assert metric(page, "Communes") == communes
    shot(page, "16_huge_upload")
    sea = b'{"type":"Polygon","coordinates":[[[-8,45],[-7.5,45],[-7.5,45.5],[-8,45.5],[-8,45]]]}'
    uploader(page, "ter_fichier_2").set_input_files({"name": "mer.geojson", "mimeType": "application/geo+json", "buffer": sea})
    page.get_by_text(re.compile("ne recouvre aucune commune")).wait_for(timeout=LONG)
    assert metric(page, "Communes") == communes and f"epci={AMIENS}" in page.url and "fichier=" not in page.url
    assert page.failed == [] and page.external == []



def _shown(page, name: str):
    """The Diagnostic page's section button ``name``, once it is the one shown."""
    return section_button(page, name, exact=True).and_(page.locator('[aria-checked="true"]'))


def test_a_reload_or_a_link_opens_the_section_shown(page, server):
    """The section chosen is written in the URL (?rubrique=): a reload opens it again, and so does the link pasted into
    another page. The browser's history gets one entry for the choice, as for any change of the territory."""
    page.goto(f"{server['url']}/Diagnostic?epci={AMIENS}&rubrique=alertes")
    _shown(page, "Alertes").wait_for(timeout=LONG)
    settle(page)
    entries = page.evaluate("history.length")
    open_tab(page, "Sources", exact=True)
    page.wait_for_function("() => new URLSearchParams(location.search).get('rubrique') === 'sources'", timeout=LONG)
    assert f"epci={AMIENS}" in page.url
    assert page.evaluate("history.length") == entries + 1  # one entry for the section chosen, none for the runs
    page.reload()
    _shown(page, "Sources").wait_for(timeout=LONG)
    settle(page)
    other = page.context.new_page()
    other.goto(page.url)
    _shown(other, "Sources").wait_for(timeout=LONG)
    other.close()
    assert page.failed == [] and page.external == []
