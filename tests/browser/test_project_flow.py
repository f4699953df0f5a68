"""The Projet page in a real browser: create a project, add a shared finding, reload: the URL reopens both."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.browser.helpers import LONG, TIMINGS, open_tab, settle, shot

pytestmark = pytest.mark.browser


def test_create_a_project_add_a_finding_reload_and_find_them(page, server):
    name = f"PTCE navigateur {uuid.uuid4().hex[:6]}"
    finding = "Les jeunes quittent le territoire faute de logements accessibles"
    page.goto(server["url"] + "/Projet")
    page.get_by_text("Aucun projet ouvert").wait_for(timeout=LONG)
    settle(page)
    shot(page, "09_projet_vide")
    box = page.get_by_label("Nom du projet")
    box.fill(name)
    box.press("Enter")
    page.get_by_role("button", name="Créer le projet").click()
    page.wait_for_function("name => new URLSearchParams(location.search).get('projet') === name", arg=name)
    page.get_by_role("heading", name=name).wait_for(timeout=LONG)
    settle(page)

    open_tab(page, "Constats partagés")
    page.get_by_label("Constat partagé", exact=True).fill(finding)
    page.get_by_label("Soulevé par").fill("Réunion de lancement")
    page.get_by_role("button", name="Ajouter le constat").click()
    page.get_by_text(finding).wait_for(timeout=LONG)
    settle(page)
    assert page.get_by_text(re.compile("soulevé par Réunion de lancement")).count() == 1
    shot(page, "10_projet_constat")

    started = time.perf_counter()
    page.reload()
    page.get_by_role("heading", name=name).wait_for(timeout=LONG)
    TIMINGS["project_reload_s"] = time.perf_counter() - started
    settle(page)
    open_tab(page, "Constats partagés")
    page.get_by_text(finding).wait_for()
    shot(page, "11_projet_recharge")
    assert page.get_by_text("Conflit").count() == 0
    assert page.failed == [] and page.external == []
