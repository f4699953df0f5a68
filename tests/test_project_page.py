"""The Projet page and the project session (``ui.project``) with Streamlit's AppTest, on a temporary projects folder.

Each ``AppTest`` is one browser tab: its own session, the same files. A project is created, reopened from
the URL, given territories, findings, a profile and snapshots; two tabs conflict; foreign files are refused.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from ptce_geo.collective.editing import from_stored
from ptce_geo.project import Project, open_project, project_path, save_project
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.workspace import new_project
from ui import project as ui_project
from ui.state import Selection, selection_of
from ui.territory import definition_of

ROOT = Path(__file__).resolve().parent.parent
APP, PAGE = str(ROOT / "app.py"), "app_pages/5_Projet.py"
DOMBES, BOURG = "200069193", "200071751"  # CC de la Dombes, CA du Bassin de Bourg-en-Bresse (embedded data)


@pytest.fixture
def folder(projects_folder) -> Path:
    return projects_folder


def tab(**params) -> AppTest:
    """A new browser tab on the Projet page (entry app.py, so page links resolve)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def create(at: AppTest, name: str) -> AppTest:
    at.text_input(key="prj_new_name").input(name).run()
    return at.button(key="prj_create").click().run()


def add_finding(at: AppTest, text: str, theme: str = "mobilité", author: str = "") -> AppTest:
    at.text_area(key="prj_f_text").input(text)
    at.selectbox(key="prj_f_theme").set_value(theme)
    at.text_input(key="prj_f_author").input(author)
    return at.button(key="FormSubmitter:prj_finding_form-Ajouter le constat").click().run()


def findings_shown(at: AppTest) -> list[str]:
    """Texts of the findings listed on the page, newest first (user text is shown Markdown-escaped)."""
    found = [m.value.split(" — ", 1)[1].split("  \n")[0] for m in at.markdown if m.value.startswith("**n° ")]
    return [f.replace("\\", "") for f in found]


# --- the page -----------------------------------------------------------------------------------------


def test_create_add_a_finding_then_a_new_tab_finds_it_from_the_url(folder):
    at = create(tab(), "PTCE du Val / Loue")
    assert not at.exception and "créé" in texts(at.success)
    path = project_path(folder, "PTCE du Val / Loue")
    assert path.exists() and path.parent == folder.resolve()
    assert at.query_params["projet"] in (path.stem, [path.stem])
    at = add_finding(at, "Les jeunes quittent le territoire faute de logements", "habitat", "Réunion du 12 mars")
    assert not at.exception and "Constat ajouté." in texts(at.success)
    assert open_project(path).findings["texte"].tolist() == ["Les jeunes quittent le territoire faute de logements"]

    reloaded = tab(projet=path.stem)  # a reload is a new session with the same URL
    assert not reloaded.exception and not reloaded.error
    assert "PTCE du Val / Loue" in texts(reloaded.markdown)
    assert findings_shown(reloaded) == ["Les jeunes quittent le territoire faute de logements"]
    assert "habitat · soulevé par Réunion du 12 mars" in texts(reloaded.markdown)

    add_finding(reloaded, "Pas de [lien](javascript:alert(1)) ni <b>HTML</b>", "mobilité")
    assert "\\[lien\\](javascript:alert(1)) ni &lt;b&gt;HTML&lt;/b&gt;" in texts(reloaded.markdown)
    reloaded.button(key="prj_f_del_1").click().run()
    assert open_project(path).findings["id"].tolist() == [2]


def test_an_existing_name_is_refused_unless_replacing_is_confirmed(folder):
    at = add_finding(create(tab(), "PTCE"), "Un constat à garder")
    other = create(tab(), "PTCE")  # another tab creating the same name
    assert "existe déjà" in texts(other.warning)
    other.button(key="prj_create").click().run()
    assert "existe déjà" in texts(other.error)
    assert open_project(project_path(folder, "PTCE")).findings["texte"].tolist() == ["Un constat à garder"]
    other.checkbox(key="prj_new_replace").check().run()
    other.button(key="prj_create").click().run()
    assert not other.exception and "créé" in texts(other.success)
    assert open_project(project_path(folder, "PTCE")).findings.empty
    at.run()  # the first tab's next save is a conflict, never a silent overwrite
    add_finding(at, "Encore un")
    assert "Conflit" in texts(at.error)


def test_candidate_territories_autosave_and_snapshots(folder):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("app_pages/1_Territoire.py")
    at.query_params["epci"] = DOMBES
    at.run()
    at.switch_page(PAGE)
    at.query_params.clear()
    at = create(at.run(), "Dombes")
    project = open_project(project_path(folder, "Dombes"))
    assert project.active == "Territoire d'action" and project.territories[project.active]["epci"] == [DOMBES]
    assert project.snapshots["libelle"].tolist() == ["Création du projet"]

    at.text_input(key="prj_territory_name").input("Dombes + Bourg").run()
    at.button(key="prj_territory_save").click().run()
    at.session_state["selection"] = Selection(epci=(DOMBES, BOURG))  # as the Territoire page would after a click
    at.run()  # autosave: the active candidate follows the session's territory, the other one stays
    project = open_project(project_path(folder, "Dombes"))
    assert project.active == "Dombes + Bourg"
    assert project.territories["Dombes + Bourg"]["epci"] == [DOMBES, BOURG]
    assert project.territories["Territoire d'action"]["epci"] == [DOMBES]
    table = next(d.value for d in at.dataframe if "Dombes + Bourg (actif)" in d.value.columns)
    small, big = (int(table.loc["Communes", c].replace("\u202f", "")) for c in ("Territoire d'action", "Dombes + Bourg (actif)"))
    assert big > small > 0
    assert "Densité de population (hab./km²)" in table.index

    at.text_input(key="prj_snap_label").input("Après élargissement").run()
    at.button(key="prj_snap").click().run()
    assert not at.exception and "Instantané enregistré." in texts(at.success)
    diff = at.dataframe[-1].value
    assert "Territoire — communes" in diff["Élément"].tolist()
    row = diff.set_index("Élément").loc["Territoire — communes"]
    assert row["Écart"] == f"+{big - small}"

    at.radio(key="prj_active").set_value("Territoire d'action").run()
    assert at.session_state["selection"].epci == (DOMBES,)  # the pages now show the active candidate
    assert open_project(project_path(folder, "Dombes")).active == "Territoire d'action"
    at.selectbox(key="prj_del_territory").set_value("Dombes + Bourg")
    at.button(key="prj_del_territory_btn").click().run()
    assert list(open_project(project_path(folder, "Dombes")).territories) == ["Territoire d'action"]


def test_profile_changes_are_saved_at_once(folder):
    at = create(tab(), "Profil")
    at.radio(key="prj_type").set_value("PTCE filière").run()
    at.multiselect(key="prj_logics").set_value(["interconnaissance et réseau", "accompagnement-incubation"]).run()
    at.selectbox(key="prj_dominant").set_value("accompagnement-incubation").run()
    at.slider(key="prj_m_pluralite").set_value(3).run()
    assert not at.exception
    profile = open_project(project_path(folder, "Profil")).profile
    assert profile["type_ptce"] == "PTCE filière"
    assert profile["logique_dominante"] == "accompagnement-incubation" and profile["marqueurs"]["pluralite"] == 3
    at.multiselect(key="prj_logics").set_value(["interconnaissance et réseau"]).run()  # the dominant one withdrawn
    assert open_project(project_path(folder, "Profil")).profile["logique_dominante"] == ""
    assert len(at.get("vega_lite_chart")) == 1


def test_two_tabs_on_one_project_conflict_and_both_ways_out_work(folder):
    create(tab(), "Partagé")
    a, b = tab(projet="Partagé"), tab(projet="Partagé")
    add_finding(a, "Constat de l'onglet A")
    add_finding(b, "Constat de l'onglet B")
    assert "Conflit" in texts(b.error) and "Rien n'a été écrasé" in texts(b.error) and "Constat ajouté." not in texts(b.success)
    assert open_project(project_path(folder, "Partagé")).findings["texte"].tolist() == ["Constat de l'onglet A"]

    b.text_input(key="prj_conflict_name").input("Partagé — version B").run()
    b.button(key="prj_conflict_save_as").click().run()
    assert not b.exception and "Conflit" not in texts(b.error)
    assert open_project(project_path(folder, "Partagé — version B")).findings["texte"].tolist() == ["Constat de l'onglet B"]
    assert b.query_params["projet"] in ("Partagé — version B", ["Partagé — version B"])

    add_finding(a, "Deuxième constat de A")  # A was not concerned: it saves normally
    c = tab(projet="Partagé")
    add_finding(a, "Troisième constat de A")
    add_finding(c, "Constat de l'onglet C")
    assert "Conflit" in texts(c.error)
    c.button(key="prj_conflict_reload").click().run()
    assert "Conflit" not in texts(c.error)
    assert findings_shown(c) == ["Troisième constat de A", "Deuxième constat de A", "Constat de l'onglet A"]


def test_a_foreign_or_corrupt_upload_is_refused_and_nothing_is_written(folder, tmp_path):
    at = tab()
    at.file_uploader(key="prj_upload").set_value(("projet.gpkg", b"SQLite format 3\x00" + b"\x00" * 500, "application/octet-stream")).run()
    assert "Fichier refusé" in texts(at.error) and "Aucun projet n'a été modifié" in texts(at.error)
    assert not list(folder.glob("*.gpkg")) and "projet" not in at.query_params
    qgis = tmp_path / "qgis.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(2, 48)], crs=4326), qgis)
    at.file_uploader(key="prj_upload").set_value(("qgis.gpkg", qgis.read_bytes(), "application/octet-stream")).run()
    assert "étranger" in texts(at.error) and "ptce-geo" in texts(at.error)
    assert not list(folder.glob("*.gpkg")) and "Aucun projet ouvert" in texts(at.info)


def test_an_uploaded_project_never_overwrites_one_of_the_same_name(folder, tmp_path):
    at = add_finding(create(tab(), "Val"), "Constat du serveur")
    original = project_path(folder, "Val").read_bytes()
    elsewhere = Project("Val")
    elsewhere.add_finding("Constat venu d'ailleurs")
    sent = save_project(elsewhere, tmp_path / "Val.gpkg").read_bytes()
    at.file_uploader(key="prj_upload").set_value(("Val.gpkg", sent, "application/octet-stream")).run()
    assert not at.exception and "importé" in texts(at.success)
    assert project_path(folder, "Val").read_bytes() == original
    assert open_project(project_path(folder, "Val (2)")).findings["texte"].tolist() == ["Constat venu d'ailleurs"]
    assert at.query_params["projet"] in ("Val (2)", ["Val (2)"])


def test_opening_another_project_from_the_list_sticks(folder):
    at = create(create(tab(), "Projet A"), "Projet B")
    assert "### Projet B" in texts(at.markdown)
    at.button(key="prj_open_Projet A").click().run()
    at.run()  # the next run must not reopen B from the previous URL
    assert "### Projet A" in texts(at.markdown) and at.query_params["projet"] in ("Projet A", ["Projet A"])


@pytest.mark.parametrize("name", ["../../etc/passwd", "n'existe pas"])
def test_an_unknown_or_unsafe_name_in_the_url_opens_nothing(folder, name):
    at = tab(projet=name)
    assert not at.exception and "n'existe pas" in texts(at.error)
    assert "projet" not in at.query_params


def test_home_lists_the_projects_and_opens_one(folder):
    save_project(Project("PTCE du Val"), project_path(folder, "PTCE du Val"))
    (folder / "abime.gpkg").write_bytes(b"rien")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception and {m.label for m in at.metric} >= {"Communes", "EPCI"}  # what the home showed before stays
    assert at.button(key="home_open_abime").disabled and "ptce-geo" in texts(at.caption)
    at.button(key="home_open_PTCE du Val").click().run()
    assert not at.exception and "### PTCE du Val" in texts(at.markdown)
    assert at.query_params["projet"] in ("PTCE du Val", ["PTCE du Val"])


# --- autosave as other pages call it -----------------------------------------------------------------


def other_page():
    """A page of another engineer: reads its state, then calls the hook once per run."""
    import streamlit as st  # AppTest.from_function runs this body alone

    from ui import project, state

    project.restore()
    st.session_state["saved"] = project.autosave()
    state.save(state.stored())  # what every page does: writes the selection, and the open project, to the URL
    st.session_state["url"] = st.query_params.to_dict()


def test_autosave_writes_only_what_changed(folder, embedded):
    project, _ = new_project(embedded, "Acteurs", TerritoryDefinition(epci=[DOMBES]))
    path = save_project(project, project_path(folder, "Acteurs"))
    at = AppTest.from_function(other_page, default_timeout=90)
    at.query_params["projet"] = "Acteurs"
    at.run().run()
    assert at.session_state["saved"] and open_project(path).revision == 1  # viewing never writes
    assert at.session_state["selection"].epci == (DOMBES,) and "actors_inventory" not in at.session_state
    assert at.session_state["url"]["projet"] == "Acteurs"  # a reload on any page reopens the project

    actors = gpd.GeoDataFrame({"nom": ["Régie de quartier"]}, geometry=[shapely.Point(5.0, 46.0)], crs=4326)
    at.session_state["actors_inventory"] = from_stored(actors, "Acteurs")  # as the Acteurs page would hold it
    at.session_state["selection"] = Selection(epci=(DOMBES, BOURG))
    at.run()
    saved = open_project(path)
    assert at.session_state["saved"] and saved.revision == 2
    assert saved.actors["nom"].tolist() == ["Régie de quartier"] and saved.territories[saved.active]["epci"] == [DOMBES, BOURG]
    at.session_state["selection"] = Selection()  # clearing the selection never erases the project's territory
    at.run()
    assert open_project(path).revision == 2


# --- pure helpers --------------------------------------------------------------------------------------


def test_selection_of_a_stored_definition_builds_the_same_territory(embedded):
    ring = [(4.9, 45.95), (5.1, 45.95), (5.1, 46.1), (4.9, 46.1), (4.9, 45.95)]
    stored = TerritoryDefinition(epci=[BOURG], communes=["01004"], exclude=["01053"], min_share=0.3,
                                 polygon={"type": "Polygon", "coordinates": [ring]}).to_dict()
    sel = selection_of(stored)
    assert sel.epci == (BOURG,) and sel.communes == ("01004",) and sel.excluded == ("01053",) and sel.min_share == 0.3
    again = build_territory(embedded, definition_of(sel))
    assert list(again.communes.index) == list(build_territory(embedded, TerritoryDefinition.from_dict(stored)).communes.index)


def test_snapshot_diff_labels_and_signs():
    p = Project("x")
    p.add_snapshot("avant", {"territoire": {"communes": 10}, "indicateurs": {"densite_pop": 50.5}, "marqueurs": {"pluralite": 1},
                             "alertes": ["a"]}, date="2025-01-01T10:00:00+00:00")
    p.add_snapshot("après", {"territoire": {"communes": 12}, "indicateurs": {"densite_pop": 50.5}, "marqueurs": {"pluralite": 3},
                             "alertes": ["a", "b"]}, date="2026-01-01T10:00:00+00:00")
    diff = ui_project.snapshot_diff(p, 1, 2).set_index("Élément")
    assert diff.loc["Territoire — communes", "Écart"] == "+2"
    assert diff.loc["Marqueur — Pluralité et hétérogénéité des parties prenantes", "Après"] == "3"
    assert diff.loc["Alertes", "Après"] == "a, b"
    assert "Indicateur — Densité de population (hab./km²)" not in diff.index
    assert len(ui_project.snapshot_diff(p, 1, 2, changed_only=False)) == 4
    assert ui_project.snapshot_table(p)["Date"].tolist() == ["01/01/2025 11:00", "01/01/2026 11:00"]


def test_snapshot_diff_shows_each_figure_with_the_decimals_of_its_unit():
    """Weighted census counts are floats: a job count never shows decimals, and the difference is that of the figures
    shown; a rate keeps one decimal; a change smaller than the last decimal shown is « 0,0 », never « -0,0 »."""
    p = Project("x")
    p.add_snapshot("avant", {"territoire": {"population": 1000.6, "surface_km2": 12.34},
                             "indicateurs": {"emplois": 1234.56, "taux_chomage": 9.96}}, date="2025-01-01T10:00:00+00:00")
    p.add_snapshot("après", {"territoire": {"population": 1003.2, "surface_km2": 12.31},
                             "indicateurs": {"emplois": 1240.4, "taux_chomage": 10.44}}, date="2026-01-01T10:00:00+00:00")
    diff = ui_project.snapshot_diff(p, 1, 2).set_index("Élément")[["Avant", "Après", "Écart"]]
    rows = {k.split(" — ")[1].split(" (")[0]: list(v) for k, v in diff.iterrows()}
    assert rows["population"] == ["1\u202f001", "1\u202f003", "+2"]
    assert rows["surface"] == ["12,3", "12,3", "0,0"]
    assert rows["Emplois au lieu de travail"] == ["1\u202f235", "1\u202f240", "+5"]
    assert rows["Taux de chômage des 15-64 ans"] == ["10,0", "10,4", "+0,4"]


@pytest.mark.parametrize("name, stem", [("CON", "CON_"), ("prn", "prn_"), ("CONSEIL", None)])
def test_a_reserved_project_name_is_said_when_the_project_is_created(folder, name, stem):
    at = create(tab(), name)
    assert not at.exception and f"Projet « {name} » créé." in texts(at.success)
    said = [str(i.value).replace("\\_", "_") for i in at.info if "enregistré sous le nom" in str(i.value)]  # Markdown-escaped
    if stem is None:  # an ordinary name: nothing to say
        assert not said and (folder / f"{name}.gpkg").exists()
    else:
        assert (folder / f"{stem}.gpkg").exists() and not (folder / f"{name}.gpkg").exists()
        assert said == [f"Le projet a été enregistré sous le nom « {stem} » (fichier {stem}.gpkg) : « {name} » "
                        "ne peut pas servir tel quel de nom de fichier."]
