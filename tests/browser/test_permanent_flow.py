"""The « diagnostic permanent » in a real browser: a project holding three structures is imported on the Projet page,
a group and a meeting are added, the page is reloaded and both are still there (and counted beside the maturity markers).
Every step waits on what the page shows, never on a fixed delay."""

from __future__ import annotations

import re
import uuid

import geopandas as gpd
import pytest

from ptce_geo.project import Project, save_project
from tests.browser.helpers import LONG, open_tab, settle, shot, uploader

pytestmark = pytest.mark.browser

NAMES = ["Recyclerie du Loing", "Atelier vélo", "Épicerie solidaire"]


def pick(page, label: str, values: list[str]) -> None:
    """Choose ``values`` in the multiselect labelled ``label`` (typed, then clicked), then close its list and wait until
    it is gone."""
    box = page.get_by_label(label)
    for value in values:
        box.click()
        box.press_sequentially(value[:6], delay=15)
        page.get_by_role("option", name=value).first.click()
    page.keyboard.press("Escape")
    # the list opens over the form's submit button, just below, and the box keeps the focus: once, under load, the
    # button's next click started no run. Wait until the list is gone and leave the box, as a user moving on would.
    page.get_by_role("listbox").wait_for(state="hidden")
    box.blur()


def test_group_and_meeting_survive_a_reload(page, server, tmp_path):
    name = f"Permanent {uuid.uuid4().hex[:6]}"
    p = Project(name)
    p.actors = gpd.GeoDataFrame({"nom": NAMES, "type_structure": ["association", "SCIC", "association"],
                                 "implication": ["noyau dur", "groupe projet", "non impliqué"]},
                                geometry=gpd.points_from_xy([2.73, 2.75, 2.74], [48.0, 48.01, 47.99]), crs=4326)
    source = save_project(p, tmp_path / f"{name}.gpkg")

    page.goto(server["url"] + "/Projet")
    page.get_by_text("Aucun projet ouvert").wait_for(timeout=LONG)
    settle(page)
    uploader(page, "prj_upload").set_input_files(str(source))
    page.get_by_role("heading", name=name).wait_for(timeout=LONG)
    settle(page)

    open_tab(page, "Groupes")
    page.get_by_label("Nom du groupe").fill("Réemploi et réparation")
    pick(page, "Membres (structures de l'inventaire)", NAMES[:2])
    page.get_by_role("button", name="Ajouter le groupe").click()
    page.get_by_text("Groupe « Réemploi et réparation » ajouté.").wait_for(timeout=LONG)
    settle(page)

    open_tab(page, "Rencontres et contacts")
    page.get_by_label("Objet").fill("Réunion de lancement")
    pick(page, "Structures participantes", [NAMES[0], NAMES[2]])
    page.get_by_role("button", name="Ajouter la rencontre").click()
    page.get_by_text("Rencontre ajoutée au journal.").wait_for(timeout=LONG)
    settle(page)
    shot(page, "20_projet_rencontre")

    page.wait_for_function("() => new URLSearchParams(location.search).get('projet') !== null")
    page.reload()
    page.get_by_role("heading", name=name).wait_for(timeout=LONG)
    settle(page)
    open_tab(page, "Groupes")
    page.get_by_text("1 groupe : Réemploi et réparation (2 membres).").wait_for(timeout=LONG)
    open_tab(page, "Rencontres et contacts")
    page.get_by_text(re.compile(r"1 rencontre au journal ; la dernière, individuelle, le \d\d/\d\d/\d{4} : Réunion de lancement "
                                r"\(2 structures\)")).wait_for(timeout=LONG)
    open_tab(page, "Profil du PTCE")
    page.get_by_text("1 groupe (groupe thématique 1, groupe projet 0)").wait_for(timeout=LONG)
    shot(page, "21_projet_recharge_groupes")
    assert page.get_by_text("Conflit").count() == 0
    assert page.failed == [] and page.external == []
