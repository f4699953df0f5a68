"""The « Gouvernance et modèle économique » tab of the Projet page with AppTest, on a real project file.

A refused entry (negative amount, dates in the wrong order, negative time) says why in French and leaves the file as it was;
accepted ones are in the file at once, with the alerts they cause.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from ptce_geo.collective import functions, funding, governance
from ptce_geo.collective.actor_schema import ACTOR_COLUMNS
from ptce_geo.project import Project, open_project, project_path, save_project
from ui.governance_panel import today

ROOT = Path(__file__).resolve().parent.parent
APP, PAGE = str(ROOT / "app.py"), "app_pages/5_Projet.py"
ACTORS = ["Recyclerie du Loing", "Mairie de Montargis"]


@pytest.fixture
def saved(projects_folder) -> Path:
    projects_folder.mkdir(parents=True, exist_ok=True)
    columns = {c: [None] * len(ACTORS) for c in ACTOR_COLUMNS}  # as an import stores them
    actors = gpd.GeoDataFrame({**columns, "nom": ACTORS, "implication": ["noyau dur", "cellule de pilotage"], "code_commune": ["45208"] * 2},
                              geometry=[shapely.Point(2.73, 48.0), shapely.Point(2.74, 48.0)], crs=4326)
    return save_project(Project(name="Gouvernance", actors=actors), project_path(projects_folder, "Gouvernance"))


def tab() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.query_params["projet"] = "Gouvernance"
    return at.run()


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def add_function(at: AppTest, fonction: str, holder: str, etp: str) -> AppTest:
    at.selectbox(key="gov_f_fonction").set_value(fonction)
    at.selectbox(key="gov_f_titulaire").set_value(holder)
    at.text_input(key="gov_f_etp").input(etp)
    return at.button(key="FormSubmitter:gov_function_form-Ajouter la fonction").click().run()


def add_funding(at: AppTest, source: str, amount: str, start, end, post: bool = False) -> AppTest:
    at.text_input(key="gov_m_source").input(source)
    at.selectbox(key="gov_m_nature").set_value("subvention publique")
    at.text_input(key="gov_m_montant").input(amount)
    at.date_input(key="gov_m_debut").set_value(start)
    at.date_input(key="gov_m_fin").set_value(end)
    at.checkbox(key="gov_m_poste").check() if post else None
    return at.button(key="FormSubmitter:gov_funding_form-Ajouter le financement").click().run()


def stored(saved: Path):
    p = open_project(saved)
    return functions.read(p.tables.get(functions.LAYER)), funding.read(p.tables.get(funding.LAYER)), p.profile


def test_bad_entries_are_refused_in_french_and_the_file_keeps_what_it_had(saved):
    at = add_function(tab(), "coordination", "Recyclerie du Loing", "0,8")
    assert not at.exception and "Fonction « coordination » ajoutée." in texts(at.success)
    at = add_function(at, "animation", "Mairie de Montargis", "-1")
    assert "Fonction non ajoutée" in texts(at.error) and "négatif" in texts(at.error)
    day = today()
    at = add_funding(at, "Région", "-5", day, day + timedelta(days=30))
    assert "Financement non ajouté" in texts(at.error) and "Montant négatif" in texts(at.error)
    at = add_funding(at, "Région", "40 000", day, day - timedelta(days=1))
    assert "mauvais ordre" in texts(at.error)
    table, money, _ = stored(saved)
    assert table["fonction"].tolist() == ["coordination"] and table["etp"].tolist() == [0.8] and money.empty
    assert "ingénierie" in texts(at.warning)  # coordination without ingénierie: the guide's warning, on the same page


def test_a_funding_of_the_coordination_post_ending_soon_is_an_alerte_and_is_saved(saved):
    day = today()
    at = add_funding(tab(), "Région, dispositif PTCE", "40 000", day - timedelta(days=300), day + timedelta(days=30), post=True)
    assert not at.exception and "Financement « Région, dispositif PTCE » ajouté." in texts(at.success)
    _, money, _ = stored(saved)
    assert money["montant"].tolist() == [40_000.0] and money["poste_coordination"].tolist() == [True]
    assert "poste de coordination se termine" in texts(at.error)
    at.selectbox(key="gov_m_del").set_value(1)
    at = at.button(key="gov_m_del_btn").click().run()
    assert stored(saved)[1].empty


def test_formalisation_bodies_and_place_are_saved_and_nothing_is_preset(saved):
    at = tab()
    assert at.radio(key="gov_formalisation").value is None and at.radio(key="gov_lieu").value is None
    at.radio(key="gov_formalisation").set_value(governance.FORMALISATION[1]).run()
    at.multiselect(key="gov_instances").set_value(["comité de pilotage"]).run()
    at.radio(key="gov_lieu").set_value(True).run()
    assert at.radio(key="gov_tiers_lieu").value is None  # asked apart, unanswered until answered
    at.radio(key="gov_lieu_modalites").set_value("location à loyer modéré").run()
    at.radio(key="gov_tiers_lieu").set_value(False).run()
    assert not at.exception and "Session State" not in texts(at.warning)
    profile = stored(saved)[2]
    assert profile["formalisation"] == "association" and profile["instances"] == ["comité de pilotage"]
    assert profile["lieu"] is True and profile["lieu_modalites"] == "location à loyer modéré" and profile["tiers_lieu"] is False


def test_the_alerts_are_shown_with_the_collective_s_other_alerts_on_the_acteurs_page(saved):
    p = open_project(saved)
    day = today()
    p.tables[funding.LAYER] = funding.add(funding.empty(), "AMI PTCE", 30_000, day - timedelta(days=400), day + timedelta(days=10),
                                          nature="subvention publique", poste_coordination=True)
    save_project(p, saved, force=True)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("app_pages/4_Acteurs.py")
    at.query_params["projet"] = "Gouvernance"
    at.run()
    assert not at.exception
    assert "poste de coordination se termine" in texts(at.error)
