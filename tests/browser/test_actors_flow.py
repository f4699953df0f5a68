"""The Acteurs page in a real browser: upload an inventory with hostile names, read the report, see the markers,
open popups (names shown as text, nothing executed), add an actor (with a SIRET) by clicking the map, download the export."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LONG, MAP_IFRAME, TIMINGS, open_tab, settle, shot, uploader
from ui import actors

pytestmark = pytest.mark.browser

SCRIPT_NAME = "<script>window.__pwned=1</script>"
# a name with a script, a vision with an event handler, a row with latitude and longitude swapped,
# a formula name, an unknown involvement level (refused)
INVENTORY = (
    "nom;type_structure;implication;commune;thematiques;vision;latitude;longitude\n"
    f"{SCRIPT_NAME};asso;noyau dur;45208;réemploi;<img src=x onerror=window.__pwned=2>;;\n"
    "Atelier inversé;SCIC;cellule de pilotage;45004;mobilité;;2.7335;47.9975\n"
    '=HYPERLINK("http://x");entreprise;groupe projet;45208;réemploi;;;\n'
    "Banque du coin;entreprise;très motivé;67482;finance;;;\n"
)


def metric(page, label: str) -> str:
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]').inner_text()


def pwned(page) -> list:
    return [frame.evaluate("typeof window.__pwned") for frame in page.frames]


def test_a_file_too_large_is_refused_in_french(page, server):
    """Streamlit's « 200MB per file » is hidden (the label says the limit); a file just over the page's limit (but under
    the uploader's own, ``uploads.hard_limit``) reaches the page, which refuses it in French instead of Streamlit's
    English."""
    page.goto(server["url"] + "/Acteurs?epci=244500203")
    page.get_by_text("Aucun inventaire pour l'instant").wait_for(timeout=LONG)
    settle(page)
    assert "MB" not in page.locator('[data-testid="stFileUploader"]').inner_text()
    size = actors.MAX_UPLOAD_MB * 1024 * 1024 + 1  # one byte over the limit: 20.97 MB, written « 21 Mo »
    uploader(page, "act_fichier").set_input_files({"name": "enorme.csv", "mimeType": "text/csv", "buffer": b"n" * size})
    page.get_by_text(f"Fichier trop volumineux ({round(size / 1e6)} Mo) : {actors.MAX_UPLOAD_MB} Mo au plus.").wait_for(timeout=LONG)
    assert not re.search(r"File must be|MB or smaller", page.locator("body").inner_text())


def test_upload_review_map_add_and_export(page, server, tmp_path):
    started = time.perf_counter()
    page.goto(server["url"] + "/Acteurs?epci=244500203")  # CA Montargoise: Montargis 45208 and Amilly 45004
    page.get_by_text("Aucun inventaire pour l'instant").wait_for(timeout=LONG)
    settle(page)
    source = tmp_path / "acteurs.csv"
    source.write_text(INVENTORY, encoding="utf-8")
    page.locator('input[type="file"]').set_input_files(str(source))
    page.get_by_text("acteurs.csv importé : 1 acceptée, 2 corrigées, 1 refusée").wait_for(timeout=LONG)
    assert [metric(page, m) for m in ("Lignes", "Acceptées", "Corrigées", "Refusées", "Sur la carte")] == ["4", "1", "2", "1", "3"]

    frame = page.frame_locator(MAP_IFRAME)
    markers = frame.locator("path.ptce-actor")
    markers.nth(2).wait_for(timeout=LONG)
    settle(page)
    TIMINGS["actors_upload_to_markers_s"] = time.perf_counter() - started
    assert markers.count() == 3
    assert frame.locator("path.leaflet-interactive").count() == 3  # commune outlines are not interactive
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    shot(page, "10_actors_map")

    popups = []
    for i in range(3):  # markers overlap at this zoom: the click goes to each marker's own element
        markers.nth(i).dispatch_event("click")
        popups.append(frame.locator(".leaflet-popup-content").inner_text())
        if SCRIPT_NAME in popups[-1]:
            expect(frame.locator(".leaflet-popup")).to_have_css("opacity", "1")  # the popup has faded in
            shot(page, "11_actors_popup_script_name_as_text")
        frame.locator(".leaflet-popup-close-button").dispatch_event("click")
        frame.locator(".leaflet-popup").wait_for(state="detached")
    assert any(p.startswith(SCRIPT_NAME) and "Placement : commune" in p for p in popups)
    assert any(p.startswith('=HYPERLINK("http://x")') for p in popups)
    assert any(p.startswith("Atelier inversé") and "Placement : coordonnées" in p for p in popups)
    assert frame.locator(".leaflet-popup-pane script, .leaflet-popup-pane img").count() == 0
    assert set(pwned(page)) == {"undefined"}

    box = page.locator(MAP_IFRAME).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)  # an empty spot of the map
    page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.getAttribute('aria-label') === 'Latitude'"
                           " && i.value !== '')", timeout=LONG)
    page.get_by_label("Nom de la structure").fill("<img src=x onerror=window.__pwned=3>")
    page.get_by_role("textbox", name="SIRET ou SIREN (facultatif)").fill("732 829 320 00074")  # spaces as printed; no Sirene in this cache
    page.get_by_role("button", name="Ajouter l'acteur").click()
    page.get_by_text("ajouté (ligne 6)").wait_for(timeout=LONG)
    assert "SIRET conservé ; Sirene absent : type et forme juridique non remplis" in page.get_by_text("ajouté (ligne 6)").inner_text()
    markers.nth(3).wait_for(timeout=LONG)
    settle(page)
    assert markers.count() == 4 and metric(page, "Lignes") == "5"
    shot(page, "12_actors_added_by_click")

    open_tab(page, "Rapport d'import")
    page.get_by_text("5 lignes affichées sur 5").wait_for()
    open_tab(page, "Exporter")
    with page.expect_download() as download:
        page.get_by_role("button", name="acteurs.csv").first.click()
    exported = download.value.path().read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in exported and SCRIPT_NAME in exported and "<img src=x onerror=window.__pwned=3>" in exported
    assert "73282932000074" in exported
    assert set(pwned(page)) == {"undefined"}
    assert page.failed == [] and page.external == []
