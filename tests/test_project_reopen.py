"""Issue 10, « Work lost »: a project holding actors, reopened by every way there is, shows them on the Acteurs page,
and nothing the user did not ask for removes them from the file (AppTest; one ``AppTest`` is one browser tab).

What a file holds is read back with sqlite3, never with the code under test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.collective.editing import import_inventory
from ptce_geo.project import project_path, save_project
from ptce_geo.territory import TerritoryDefinition
from ptce_geo.workspace import new_project

ROOT = Path(__file__).resolve().parent.parent
APP, ACTEURS, PROJET = str(ROOT / "app.py"), "app_pages/4_Acteurs.py", "app_pages/5_Projet.py"
MONTARGOISE = "244500203"
CSV = ("nom;type_structure;implication;commune\n"
       "Recyclerie du Loing;association;noyau dur;45208\n"
       "Atelier vélo;SCIC;groupe projet;45004\n"
       "Épicerie solidaire;association;cellule de pilotage;45208\n")
NAMES = ["Recyclerie du Loing", "Atelier vélo", "Épicerie solidaire"]


@pytest.fixture
def folder(projects_folder) -> Path:
    return projects_folder


@pytest.fixture
def gatinais(folder, embedded) -> Path:
    """A project file on the CA Montargoise holding three actors."""
    inventory = import_inventory(embedded, CSV.encode(), "acteurs.csv").inventory
    project, _ = new_project(embedded, "Gâtinais", TerritoryDefinition(epci=[MONTARGOISE]), inventory)
    return save_project(project, project_path(folder, "Gâtinais"))


def in_file(path: Path) -> tuple[list[str], int]:
    """Actor names and revision held by a project file (sqlite3, independent of ptce_geo)."""
    with sqlite3.connect(path) as con:
        has = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'acteurs'").fetchone()
        names = [r[0] for r in con.execute("SELECT nom FROM acteurs")] if has else []
        revision = int(con.execute("SELECT valeur FROM ptce_meta WHERE cle = 'revision'").fetchone()[0])
    return names, revision


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.info, at.warning, at.error, at.success) for e in kind)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def acteurs(at: AppTest) -> AppTest:
    return at.switch_page(ACTEURS).run()


def shows_the_three_actors(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert "Aucun inventaire" not in texts(at)
    assert metrics(at)["Lignes"] == "3" and metrics(at)["Sur la carte"] == "3"
    assert "n'existe que dans cette session" not in texts(at)  # the project keeps it


def test_a_reload_with_the_projects_link_on_the_acteurs_page_shows_its_actors(gatinais):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS)
    at.query_params["projet"] = "Gâtinais"  # a reload, or a shared link: a new session with this URL
    shows_the_three_actors(at.run())
    assert in_file(gatinais) == (NAMES, 1)  # viewing never writes
    assert at.session_state["selection"].epci == (MONTARGOISE,)


def test_ouvrir_on_the_home_page_then_acteurs(gatinais):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.button(key="home_open_Gâtinais").click().run()
    assert not at.exception and "### Gâtinais" in " ".join(m.value for m in at.markdown)
    shows_the_three_actors(acteurs(at))
    assert in_file(gatinais) == (NAMES, 1)


def test_ouvrir_on_the_projet_page_then_acteurs_replaces_the_previous_inventory(gatinais):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS).run()
    at.button(key="act_vide").click().run()  # work in progress without a project: an empty inventory
    assert metrics(at)["Lignes"] == "0"
    at.switch_page(PROJET).run()
    at.button(key="prj_open_Gâtinais").click().run()
    shows_the_three_actors(acteurs(at))
    assert in_file(gatinais) == (NAMES, 1)


def test_an_emptied_table_never_autosaves_over_the_files_actors(gatinais):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS)
    at.query_params["projet"] = "Gâtinais"
    at.run()
    key = f"act_editeur_{at.session_state['actors_inventory'].revision}"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [0, 1, 2]}
    at.run()
    at.button(key="act_valider").click().run()
    assert not at.exception and metrics(at)["Lignes"] == "0"
    assert in_file(gatinais) == (NAMES, 1)  # the file keeps them
    assert "garde 3 acteurs" in texts(at)
    at.button(key="act_reprendre_projet").click().run()
    assert metrics(at)["Lignes"] == "3" and in_file(gatinais) == (NAMES, 1)


def test_an_unloaded_inventory_offers_no_empty_start_and_saves_nothing(gatinais):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS)
    at.query_params["projet"] = "Gâtinais"
    at.run()
    del at.session_state["actors_inventory"]  # whatever lost it: the session holds no inventory, the project holds three
    at.run()
    assert not at.exception and "garde 3 acteurs" in texts(at)
    assert "Aucun inventaire" not in texts(at) and not any(b.key == "act_vide" for b in at.button)
    assert in_file(gatinais) == (NAMES, 1)
    at.button(key="act_retirer_projet").click().run()  # the explicit way: the file loses them
    assert in_file(gatinais) == ([], 2) and "Aucun inventaire" in texts(at)


def test_vider_l_inventaire_confirmed_removes_the_actors_from_the_project(gatinais):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS)
    at.query_params["projet"] = "Gâtinais"
    at.run()
    at.button(key="act_vider").click().run()
    assert not at.exception and in_file(gatinais) == ([], 2)
    assert "Aucun inventaire" in texts(at) and "Inventaire vidé." in texts(at)


def test_without_a_project_the_page_says_the_inventory_lives_in_this_session_and_creates_one(folder):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(ACTEURS)
    at.query_params["epci"] = MONTARGOISE
    at.run()
    at.file_uploader(key="act_fichier").set_value(("acteurs.csv", CSV.encode(), "text/csv")).run()
    assert "n'existe que dans cette session" in texts(at) and "recharger la page" in texts(at)
    assert at.button(key="act_creer_projet").disabled
    at.text_input(key="act_projet_nom").input("Mon PTCE").run()
    at.button(key="act_creer_projet").click().run()
    assert not at.exception and "Projet « Mon PTCE » créé" in texts(at)
    assert "n'existe que dans cette session" not in texts(at)
    names, revision = in_file(project_path(folder, "Mon PTCE"))
    assert names == NAMES and revision == 1
    assert at.query_params["projet"] in ("Mon PTCE", ["Mon PTCE"])
