"""The collective's rules as a library (``ptce_geo.collective``): projects folder, findings, profile, and the
autosave's guard that keeps a project's actors from being wiped by an empty inventory.

Files are real GeoPackages; what a file holds is read back with pyogrio or sqlite3, not with the code under test.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import geopandas as gpd
import pyogrio
import pytest
import shapely

from ptce_geo.collective import projects
from ptce_geo.collective.profile import MARKER_SCALE, set_profile_field
from ptce_geo.collective.projects import (
    catalogue,
    create_project,
    import_project_file,
    remove_findings,
    remove_territory,
    snapshot_label,
)
from ptce_geo.collective.sync import InventoryWipeError, decide_actors, save_collective, stored_actor_count
from ptce_geo.errors import ProjectError
from ptce_geo.project import (
    MATURITY_MARKERS,
    Project,
    ProjectConflictError,
    free_project_path,
    open_project,
    project_info,
    project_path,
    save_project,
)


def actors(*names: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"nom": list(names)}, geometry=[shapely.Point(5.0 + i / 100, 46.0) for i in range(len(names))], crs=4326)


def file_actors(path) -> int:
    """Actors in a project file, read with sqlite3 (0 without the layer)."""
    with sqlite3.connect(path) as con:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'acteurs'").fetchone():
            return 0
        return con.execute("SELECT count(*) FROM acteurs").fetchone()[0]


# --- the autosave's rule -------------------------------------------------------------------------------


def test_an_empty_or_absent_inventory_never_replaces_stored_actors():
    stored = actors("A", "B", "C")
    for current in (None, actors()):
        decision = decide_actors(stored, current)
        assert not decision.write and decision.held_back == 3
    cleared = decide_actors(stored, None, clear_confirmed=True)
    assert cleared.write and cleared.actors is None


def test_the_autosave_writes_only_a_real_change():
    stored = actors("A", "B")
    assert not decide_actors(stored, stored.copy()).write  # equal content
    same = actors("X")
    assert not decide_actors(stored, same, same).write  # the object last synced: nothing changed in the session
    one = actors("A")  # one actor is not empty: it replaces the two (an edit removed the other)
    decision = decide_actors(stored, one)
    assert decision.write and decision.actors is one and decision.held_back == 0
    assert not decide_actors(None, actors()).write and not decide_actors(actors(), None).write
    assert decide_actors(None, one).write


def test_saving_an_empty_inventory_over_a_file_with_actors_is_refused(tmp_path):
    path = save_project(Project("Val", actors=actors("A", "B")), tmp_path / "Val.gpkg")
    before = path.read_bytes()
    for empty in (None, actors()):
        project = open_project(path)
        project.actors = empty
        with pytest.raises(InventoryWipeError, match="2 acteur"):
            save_collective(project, path)
        assert path.read_bytes() == before
    project = open_project(path)
    project.actors = actors("A")  # one actor left after an edit: saved like any change
    save_collective(project, path)
    assert file_actors(path) == 1
    project.actors = None
    save_collective(project, path, clear_actors=True)  # « Vider l'inventaire », confirmed
    assert file_actors(path) == 0 and open_project(path).actors is None


def test_stored_actor_count_reads_the_file(tmp_path):
    path = save_project(Project("Val", actors=actors("A", "B", "C")), tmp_path / "Val.gpkg")
    assert stored_actor_count(path) == len(pyogrio.read_dataframe(path, layer="acteurs")) == 3
    assert stored_actor_count(save_project(Project("Vide"), tmp_path / "Vide.gpkg")) == 0
    assert stored_actor_count(tmp_path / "absent.gpkg") == 0
    (tmp_path / "x.gpkg").write_bytes(b"pas un GeoPackage")
    assert stored_actor_count(tmp_path / "x.gpkg") == 0


# --- profile ------------------------------------------------------------------------------------------


def test_marker_scores_stay_on_the_scale():
    project = Project("Val")
    set_profile_field(project, "marqueurs/pluralite", 4)
    set_profile_field(project, "marqueurs/besoins", "0")
    assert project.profile["marqueurs"]["pluralite"] == 4 and project.profile["marqueurs"]["besoins"] == 0
    for bad in (5, -1, "beaucoup", None):
        with pytest.raises(ProjectError, match="pluralite"):
            set_profile_field(project, "marqueurs/pluralite", bad)
    with pytest.raises(ProjectError, match="inconnu"):
        set_profile_field(project, "marqueurs/bonheur", 2)
    assert project.profile["marqueurs"]["pluralite"] == 4 and set(MARKER_SCALE) == {0, 1, 2, 3, 4}
    assert set(project.profile["marqueurs"]) == {"pluralite", "besoins"} <= set(MATURITY_MARKERS)  # the others stay unscored


def test_the_dominant_logic_follows_the_chosen_logics():
    project = Project("Val")
    set_profile_field(project, "logiques_action", ("interconnaissance et réseau", "accompagnement-incubation"))
    set_profile_field(project, "logique_dominante", "accompagnement-incubation")
    set_profile_field(project, "logiques_action", ["accompagnement-incubation"])
    assert project.profile["logique_dominante"] == "accompagnement-incubation"
    set_profile_field(project, "logiques_action", ["interconnaissance et réseau"])
    assert project.profile["logique_dominante"] == "" and project.profile["logiques_action"] == ["interconnaissance et réseau"]


# --- project content ----------------------------------------------------------------------------------


def test_the_active_territory_cannot_be_removed():
    project = Project("Val", territories={"A": {}, "B": {}}, active="A")
    with pytest.raises(ProjectError, match="actif"):
        remove_territory(project, "A")
    remove_territory(project, "B")
    assert list(project.territories) == ["A"]


def test_findings_and_snapshot_labels():
    project = Project("Val")
    projects.add_finding(project, "Peu de logements", None, "  Réunion  ", "2026-01-02", [], ["200069193"])
    projects.add_finding(project, "Mobilité difficile", "Mobilité", "", "2026-01-03", ["01004"], [])
    assert project.findings["auteur"].tolist() == ["Réunion", ""] and project.findings["theme"].tolist() == ["", "mobilité"]
    with pytest.raises(ProjectError, match="texte"):
        projects.add_finding(project, "   ", None, "", "2026-01-04", [], [])
    remove_findings(project, [1])
    assert project.findings["texte"].tolist() == ["Mobilité difficile"]
    assert snapshot_label("  ", datetime(2026, 11, 27, 10)) == "Instantané du 27/11/2026"
    assert snapshot_label(" Séminaire ", datetime(2026, 11, 27)) == "Séminaire"


def test_a_project_needs_a_name(tmp_path):
    with pytest.raises(ProjectError, match="nom"):
        create_project(tmp_path, Project("  "))
    assert not list(tmp_path.iterdir())


def test_create_project_refuses_an_existing_name_and_a_foreign_file(tmp_path):
    create_project(tmp_path, Project("A"))
    with pytest.raises(ProjectError, match="existe déjà"):
        create_project(tmp_path, Project("A"))
    (tmp_path / "B.gpkg").write_bytes(b"autre chose")
    with pytest.raises(ProjectError, match="pas un projet"):
        create_project(tmp_path, Project("B"), replace=True)
    assert (tmp_path / "B.gpkg").read_bytes() == b"autre chose"


def test_import_states_its_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(projects, "MAX_UPLOAD_MB", 0)
    with pytest.raises(ProjectError, match="maximum 0 Mo"):
        import_project_file(tmp_path, b"x" * 10, "p.gpkg")
    with pytest.raises(ProjectError, match=r"\.gpkg"):
        import_project_file(tmp_path, b"", "p.csv")


def test_library_helpers_for_the_page(tmp_path):
    path = save_project(Project("Val", active="Noyau"), project_path(tmp_path, "Val"))
    assert free_project_path(tmp_path, "Val").name == "Val (2).gpkg" and free_project_path(tmp_path, "Autre").name == "Autre.gpkg"
    assert project_info(path) | {"modifie_le": ""} == {"fichier": "Val", "nom": "Val", "modifie_le": "", "revision": 1,
                                                        "territoire_actif": "Noyau", "millesime_geographie": ""}
    (tmp_path / "x.gpkg").write_bytes(b"x")
    with pytest.raises(ProjectError):
        project_info(tmp_path / "x.gpkg")
    assert [r["erreur"] != "" for r in sorted(catalogue(tmp_path), key=lambda r: r["fichier"])] == [False, True]
    stale = open_project(path)
    save_project(open_project(path), path)
    with pytest.raises(ProjectConflictError, match="Conflit"):
        save_project(stale, path)
