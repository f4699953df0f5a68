"""The « diagnostic permanent » tabs of the Projet page (``ui.permanent_panel``) with AppTest: forms save to the file,
bad input is refused in French with nothing lost, references to a deleted structure are flagged, evidence sits by the markers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.project import Project, open_project, project_path, save_project

ROOT = Path(__file__).resolve().parent.parent
APP, PAGE = str(ROOT / "app.py"), "app_pages/5_Projet.py"
NAMES = ["Asso du Val", "Ressourcerie", "Mairie de Val"]


@pytest.fixture
def saved(projects_folder) -> Path:
    p = Project("Collectif du Val")
    p.actors = gpd.GeoDataFrame({"nom": NAMES, "type_structure": ["association", "SCIC", "collectivité"],
                                 "implication": ["noyau dur", "groupe thématique", "non impliqué"]},
                                geometry=gpd.points_from_xy([2.1, 2.15, 2.2], [49.1, 49.05, 49.1]), crs=4326)
    p.add_finding("Pas de local partagé", theme="foncier et locaux", souleve_par=NAMES[0], partage_par=[NAMES[1]])
    return save_project(p, project_path(projects_folder, p.name))


def tab(path: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.query_params["projet"] = path.stem
    return at.run()


def messages(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.error, *at.success, *at.warning, *at.info])


def test_group_added_from_the_form_is_saved(saved):
    at = tab(saved)
    at.text_input(key="grp_nom").input("Réemploi")
    at.selectbox(key="grp_type").set_value("groupe thématique")
    at.selectbox(key="grp_anim").set_value("Ressourcerie")
    at.multiselect(key="grp_membres").set_value(["Asso du Val", "Ressourcerie"])
    at.button(key="FormSubmitter:grp_form-Ajouter le groupe").click().run()
    assert "Groupe « Réemploi » ajouté." in messages(at)
    groups = open_project(saved).tables["groupes"]
    assert groups[["nom", "type", "animateur", "membres"]].to_dict("records") == [
        {"nom": "Réemploi", "type": "groupe thématique", "animateur": "Ressourcerie", "membres": "Asso du Val; Ressourcerie"}]


def test_group_without_name_is_refused_and_nothing_is_saved(saved):
    before = saved.read_bytes()
    at = tab(saved)
    at.multiselect(key="grp_membres").set_value(["Asso du Val"])
    at.button(key="FormSubmitter:grp_form-Ajouter le groupe").click().run()
    assert "« Nom du groupe » est obligatoire" in messages(at) and "Rien n'a été enregistré" in messages(at)
    assert saved.read_bytes() == before


def test_activity_with_end_before_start_is_refused(saved):
    import datetime as dt

    at = tab(saved)
    at.text_input(key="act_p_nom").input("Recyclerie")
    at.date_input(key="act_p_debut").set_value(dt.date(2026, 3, 1))
    at.date_input(key="act_p_fin").set_value(dt.date(2026, 2, 28))
    at.button(key="FormSubmitter:act_p_form-Ajouter le projet d'activité").click().run()
    assert "« Fin » (2026-02-28) précède « Début » (2026-03-01)" in messages(at)
    assert open_project(saved).tables["projets_activite"].empty


def test_meeting_and_contact_show_the_widening_and_the_evidence(saved):
    at = tab(saved)
    at.text_input(key="mtg_objet").input("Réunion de lancement")
    at.multiselect(key="mtg_part").set_value(["Asso du Val", "Mairie de Val"])
    at.multiselect(key="mtg_constats").set_value([1])
    at.button(key="FormSubmitter:mtg_form-Ajouter la rencontre").click().run()
    assert "Rencontre ajoutée au journal." in messages(at)
    at.selectbox(key="ctc_acteur").set_value("Mairie de Val")
    at.selectbox(key="ctc_impl").set_value("groupe projet")
    at.button(key="FormSubmitter:ctc_form-Enregistrer le changement").click().run()
    stored = open_project(saved).tables
    assert stored["rencontres"].loc[0, "participants"] == "Asso du Val; Mairie de Val" and stored["rencontres"].loc[0, "constats"] == "1"
    assert stored["contacts"].loc[0, "implication"] == "groupe projet"
    captions = " ".join(str(c.value) for c in at.caption)
    assert "1 constat partagé, dont 1 porté par au moins deux structures" in captions
    assert "0 rencontre collective" in captions  # the meeting was « individuelle » (the form's first choice)


def test_a_structure_deleted_from_the_inventory_is_flagged_and_kept(saved):
    from ptce_geo.collective import tables as ct

    p = open_project(saved)
    p.tables = ct.add_row(p.tables, "groupes", {"nom": "Mobilité", "type": "groupe projet", "membres": "Ressourcerie; Mairie de Val"}, NAMES)
    p.actors = p.actors[p.actors["nom"] != "Mairie de Val"]
    save_project(p, saved)
    at = tab(saved)
    assert "référence à une structure ou un constat absent du projet" in messages(at) and "Mairie de Val" in messages(at)
    assert open_project(saved).tables["groupes"].loc[0, "membres"] == "Ressourcerie; Mairie de Val"


def test_placed_activity_is_drawn_on_the_map(saved):
    from ptce_geo.collective import tables as ct

    p = open_project(saved)
    p.tables = ct.add_row(p.tables, "projets_activite", {"nom": "Recyclerie", "statut": "en cours", "latitude": 49.1, "longitude": 2.1}, NAMES)
    save_project(p, saved)
    at = tab(saved)
    assert not at.exception
    assert "1 projet d’activité placé (anneaux sombres)" in " ".join(str(c.value) for c in at.caption)


def test_group_edited_in_the_table_is_checked_then_saved(saved):
    from ptce_geo.collective import tables as ct

    p = open_project(saved)
    p.tables = ct.add_row(p.tables, "groupes", {"nom": "Mobilité", "type": "groupe projet", "membres": "Ressourcerie"}, NAMES)
    save_project(p, saved)
    at = tab(saved)
    # the data editor's edits, in the form the browser sends them
    at.session_state["grp_editor"] = {"edited_rows": {0: {"membres": "Ressourcerie; Inconnue"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="grp_save").click().run()
    assert "Membres » : acteur absent de l'inventaire : « Inconnue »" in messages(at)
    assert open_project(saved).tables["groupes"].loc[0, "membres"] == "Ressourcerie"
    at.session_state["grp_editor"] = {"edited_rows": {0: {"membres": "Ressourcerie; Mairie de Val"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="grp_save").click().run()
    assert open_project(saved).tables["groupes"].loc[0, "membres"] == "Ressourcerie; Mairie de Val"
    assert "Groupes : modifications enregistrées." in messages(at)


def test_snapshot_differences_name_the_collective_tables_in_french():
    from ui.project import _element_label

    assert _element_label("collectif / projets_activite / statut : étude") == "Collectif — Projets d'activité : statut : étude"
    assert _element_label("collectif / groupes / lignes") == "Collectif — Groupes : nombre"
