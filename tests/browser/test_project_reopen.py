"""Issue 10, « Work lost », in a real browser: actors imported, a project created from the Acteurs page, then the
project reopened three ways — a reload, « Ouvrir » on the home page, a ``?projet=`` link — and each time the Acteurs
page shows its actors. Every step waits on what the page shows, never on a fixed delay."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import shot

pytestmark = pytest.mark.browser

LONG = 90_000  # a cold page with its map on a loaded 2-core machine
INVENTORY = ("nom;type_structure;implication;commune\n"
             "Recyclerie du Loing;association;noyau dur;45208\n"
             "Atelier vélo;SCIC;groupe projet;45004\n"
             "Épicerie solidaire;association;cellule de pilotage;45208\n")


def lines(page):
    """The « Lignes » metric of the Acteurs page."""
    return page.locator('[data-testid="stMetric"]').filter(has_text="Lignes").locator('[data-testid="stMetricValue"]')


def shows_the_three_actors(page) -> None:
    expect(lines(page)).to_have_text("3", timeout=LONG)
    expect(page.get_by_text("Aucun inventaire pour l'instant")).to_have_count(0)
    expect(page.get_by_text("n'existe que dans cette session")).to_have_count(0)  # the project keeps it


def fresh(browser, server):
    """A new browser context: a new session, as another visit or a shared link."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(LONG)
    page = context.new_page()
    page.external = []
    page.on("request", lambda r: None if r.url.startswith((server["url"], "data:", "blob:", "about:")) else page.external.append(r.url))
    return context, page


def to_acteurs(page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Acteurs").click()
    page.wait_for_url("**/Acteurs**")


def test_actors_survive_a_reload_ouvrir_and_a_link(page, server, browser, tmp_path):
    name = f"reouverture_{uuid.uuid4().hex[:6]}"
    page.set_default_timeout(LONG)
    page.goto(server["url"] + "/Acteurs?epci=244500203")  # CA Montargoise: Montargis 45208 and Amilly 45004
    page.get_by_text("Aucun inventaire pour l'instant").wait_for()
    source = tmp_path / "acteurs.csv"
    source.write_text(INVENTORY, encoding="utf-8")
    page.locator('input[type="file"]').set_input_files(str(source))
    page.get_by_text("acteurs.csv importé").wait_for()
    page.get_by_text("n'existe que dans cette session").wait_for()  # said before a reload loses it
    shot(page, "13_acteurs_session_seule")
    box = page.get_by_label("Nom du projet")
    box.fill(name)
    box.press("Enter")
    page.get_by_role("button", name="Créer un projet avec cet inventaire").click()
    page.wait_for_function("name => new URLSearchParams(location.search).get('projet') === name", arg=name)
    page.get_by_text(f"Projet « {name} » créé").wait_for()

    page.reload()  # 1. a reload: a new session with the same URL
    shows_the_three_actors(page)
    shot(page, "14_acteurs_apres_rechargement")

    context, home = fresh(browser, server)  # 2. « Ouvrir » on the home page, then the Acteurs page
    try:
        home.goto(server["url"])
        home.locator(f".st-key-home_open_{name} button").click()
        home.get_by_role("heading", name=name).wait_for()
        to_acteurs(home)
        shows_the_three_actors(home)
        assert home.external == []
    finally:
        context.close()

    context, linked = fresh(browser, server)  # 3. a shared link to the project, then the Acteurs page
    try:
        linked.goto(f"{server['url']}/Projet?projet={name}")
        linked.get_by_role("heading", name=name).wait_for()
        to_acteurs(linked)
        shows_the_three_actors(linked)
        shot(linked, "15_acteurs_par_lien")
        assert linked.external == []
    finally:
        context.close()
    assert [f for f in page.failed if "net::ERR_ABORTED" not in f] == [], page.failed  # a reload cancels requests in flight
    assert page.external == []
