"""Broken or foreign project files, hostile names, leftovers of interrupted saves (issue 10, part 3 and part 2's clean-up).

Broken files are made from a real saved project altered with plain ``sqlite3`` (as a hand edit or
another tool would), or written by another tool (geopandas). Every refusal is a ``ProjectError``
in French, in the library, the CLI, on « Ouvrir », on import and through a ``?projet=`` link.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from ptce_geo import project as pr
from ptce_geo.errors import ProjectError
from ptce_geo.project import Project, clean_stale_files, open_project, project_info, project_path, save_project, snapshot_rows

ROOT = Path(__file__).resolve().parent.parent
APP, PAGE = str(ROOT / "app.py"), "app_pages/5_Projet.py"


def saved(folder: Path, name: str = "Val") -> Path:
    p = Project(name)
    p.territories = {"Noyau": {"version": 1, "epci": ["200069193"], "communes": [], "exclude": [], "polygon": None, "min_share": 0.5}}
    p.outlines = {"Noyau": shapely.box(4.9, 45.9, 5.1, 46.1)}
    p.active = "Noyau"
    p.add_finding("Un constat")
    p.add_snapshot("Départ", {"acteurs": {"total": 2}})
    return save_project(p, project_path(folder, name))


def alter(path: Path, sql: str, *params) -> Path:
    with sqlite3.connect(path) as con:
        con.execute(sql, params)
    return path


NESTED_DEEP = "[" * 100_000 + "]" * 100_000  # beyond Python's recursion limit: RecursionError in json
NESTED_33 = "[" * 33 + "]" * 33  # decodable, one level over the cap

BROKEN = {
    "definition JSON": ("UPDATE definitions SET definition = '{\"epci\": [tronqué'", "JSON illisible"),
    "definition not an object": ("UPDATE definitions SET definition = '[1, 2]'", "objet JSON attendu"),
    "definition nested 100k": (f"UPDATE definitions SET definition = '{NESTED_DEEP}'", "imbrication trop profonde"),
    "definition nested 33": (f"UPDATE definitions SET definition = '{NESTED_33}'", "imbrication trop profonde"),
    "profile JSON": ("UPDATE profil SET valeur = '{\"stade' WHERE cle = 'stade'", "profil"),
    "profile nested": (f"UPDATE profil SET valeur = '{NESTED_DEEP}' WHERE cle = 'stade'", "imbrication trop profonde"),
    "snapshot JSON": ("UPDATE instantanes SET contenu = 'pas du json'", "instantané"),
    "revision": ("UPDATE ptce_meta SET valeur = 'douze' WHERE cle = 'revision'", "révision « douze » illisible"),
    "schema version": ("UPDATE ptce_meta SET valeur = 'v2' WHERE cle = 'schema_version'", "version de schéma « v2 » illisible"),
    "snapshot nested": (f"UPDATE instantanes SET contenu = '{NESTED_33}'", "imbrication trop profonde"),
}


def test_a_sound_project_opens(tmp_path):
    """The base of every broken file below opens: a refusal there comes from the alteration."""
    back = open_project(saved(tmp_path))
    assert back.territories["Noyau"]["epci"] == ["200069193"] and snapshot_rows(back)[0]["contenu"] == {"acteurs": {"total": 2}}


def test_depth_cap_boundary(tmp_path):
    """32 levels open (``MAX_JSON_DEPTH``), 33 are refused (``NESTED_33`` above)."""
    path = alter(saved(tmp_path), "UPDATE instantanes SET contenu = ?", "[" * pr.MAX_JSON_DEPTH + "]" * pr.MAX_JSON_DEPTH)
    assert len(snapshot_rows(open_project(path))) == 1


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_tables_raise_a_french_project_error(tmp_path, case):
    sql, message = BROKEN[case]
    path = alter(saved(tmp_path), sql)
    with pytest.raises(ProjectError, match=message):
        open_project(path)
    with pytest.raises(ProjectError):
        open_project(path.read_bytes(), "envoi.gpkg")  # the import path (uploaded bytes)


def test_project_info_of_a_non_numeric_revision_is_a_project_error(tmp_path):
    path = alter(saved(tmp_path), "UPDATE ptce_meta SET valeur = 'douze' WHERE cle = 'revision'")
    with pytest.raises(ProjectError, match="révision"):
        project_info(path)


def test_a_random_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "random.gpkg"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x)")
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ProjectError, match="ptce-geo"):
        open_project(path)


def test_a_geopackage_written_by_geopandas_is_refused(tmp_path):
    path = tmp_path / "geopandas.gpkg"
    gpd.GeoDataFrame({"nom": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(path, driver="GPKG")
    with pytest.raises(ProjectError, match="ptce-geo"):
        open_project(path)


def test_cli_refuses_a_broken_project_in_french(tmp_path, embedded_root):
    path = alter(saved(tmp_path), BROKEN["definition nested 100k"][0])
    run = subprocess.run([sys.executable, "-m", "ptce_geo", "diagnose", "--project", str(path), "--out", str(tmp_path / "out"),
                          "--data-dir", str(embedded_root)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2 and "imbrication trop profonde" in run.stderr and "Traceback" not in run.stderr


# --- names -------------------------------------------------------------------------------------

def test_name_length_boundary_and_no_stray_lock(tmp_path):
    at_limit = "é" * pr.MAX_NAME_CHARS
    path = save_project(Project(at_limit), project_path(tmp_path, at_limit))
    assert open_project(path).name == at_limit and len(path.name.encode()) + len(".lock") <= 255
    with pytest.raises(ProjectError, match="trop long"):
        project_path(tmp_path / "autre", "é" * (pr.MAX_NAME_CHARS + 1))
    assert not (tmp_path / "autre").exists()


def test_emoji_name_is_cut_on_a_character_boundary(tmp_path):
    name = "😀" * 80  # 320 bytes in UTF-8
    path = save_project(Project(name), project_path(tmp_path, name))
    assert len(path.stem.encode()) <= pr.MAX_STEM_BYTES and path.stem == "😀" * (pr.MAX_STEM_BYTES // 4)
    assert open_project(path).name == name


@pytest.mark.parametrize("name", ["a\x00b", "\x00", "ligne\nsuivante", "tab\tulation"])
def test_control_characters_are_refused_and_nothing_is_written(tmp_path, name):
    with pytest.raises(ProjectError, match="caractères de contrôle"):
        project_path(tmp_path, name)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["CON", "nul", "COM1", "LPT9", "aux.txt"])
def test_reserved_names_are_normalised(tmp_path, name):
    path = save_project(Project(name), project_path(tmp_path, name))
    assert path.stem.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9", "AUX"}
    assert open_project(path).name == name


def test_an_unwritable_destination_is_a_project_error(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    with pytest.raises(ProjectError, match="écriture impossible"):
        save_project(Project("x"), blocker / "p.gpkg")
    with pytest.raises(ProjectError, match="trop long"):
        save_project(Project("x"), tmp_path / ("a" * 250 + ".gpkg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fichier"]


# --- leftovers of interrupted saves ------------------------------------------------------------

def _aged(path: Path, age: float, now: float) -> Path:
    path.write_bytes(b"x")
    os.utime(path, (now - age, now - age))
    return path


def test_stale_temporary_and_lock_files_are_removed_by_age(tmp_path):
    now = time.time()
    old_tmp = _aged(tmp_path / ".Val.abcd1234.gpkg", pr.STALE_TEMP_S + 60, now)
    young_tmp = _aged(tmp_path / ".Val.efgh5678.gpkg", pr.STALE_TEMP_S - 60, now)
    old_lock = _aged(tmp_path / "Val.gpkg.lock", pr.STALE_LOCK_S + 60, now)
    young_lock = _aged(tmp_path / "Autre.gpkg.lock", pr.STALE_LOCK_S - 60, now)
    project = _aged(tmp_path / "Val.gpkg", 10 * pr.STALE_LOCK_S, now)
    assert sorted(clean_stale_files(tmp_path, now)) == sorted([old_tmp, old_lock])
    assert young_tmp.exists() and young_lock.exists() and project.exists()


def test_a_held_lock_is_never_removed(tmp_path):
    from filelock import FileLock

    now = time.time()
    lock = _aged(tmp_path / "Val.gpkg.lock", pr.STALE_LOCK_S + 60, now)
    with FileLock(str(lock)):
        os.utime(lock, (now - pr.STALE_LOCK_S - 60,) * 2)
        assert clean_stale_files(tmp_path, now) == [] and lock.exists()


def test_a_save_cleans_up_the_folder(tmp_path):
    now = time.time()
    old_tmp = _aged(tmp_path / ".Autre.zzzz.gpkg", pr.STALE_TEMP_S + 60, now)
    saved(tmp_path)
    assert not old_tmp.exists()


# --- the app: « Ouvrir », import and ?projet= ----------------------------------------------------

@pytest.fixture
def folder(projects_folder) -> Path:
    return projects_folder


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


@pytest.mark.parametrize("case", ["definition nested 100k", "revision", "profile JSON"])
def test_a_link_to_a_broken_project_gives_a_french_refusal(folder, case):
    path = alter(saved(folder, "Abîmé"), BROKEN[case][0])
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.query_params["projet"] = path.stem
    at.run()
    assert not at.exception
    assert BROKEN[case][1].split("«")[0].strip() in _texts(at.error)


def test_an_upload_of_a_broken_project_is_refused(folder):
    path = alter(saved(folder.parent / "ailleurs", "Abîmé"), BROKEN["definition JSON"][0])
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.run()
    at.file_uploader(key="prj_upload").set_value(("Abîmé.gpkg", path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception and "JSON illisible" in _texts(at.error)
    assert not list(folder.glob("*.gpkg"))


def test_home_open_button_of_a_broken_project(folder):
    alter(saved(folder, "Abîmé"), BROKEN["schema version"][0])
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    button = at.button(key="home_open_Abîmé")
    if not button.disabled:  # the list may already refuse it
        button.click().run()
        assert not at.exception and "illisible" in _texts(at.error)
    else:
        assert "illisible" in _texts(at.caption)


@pytest.mark.parametrize("name, shown", [("é" * 120, "trop long"), ("a\x00b", "caractères de contrôle")])
def test_the_projet_page_refuses_a_bad_name_and_writes_nothing(folder, name, shown):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.run()
    at.text_input(key="prj_new_name").input(name).run()
    at.button(key="prj_create").click().run()
    assert not at.exception and shown in _texts(at.error)
    assert not folder.exists() or not list(folder.iterdir())


def test_the_projet_page_accepts_an_emoji_name(folder):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGE)
    at.run()
    at.text_input(key="prj_new_name").input("🌱" * 60).run()
    at.button(key="prj_create").click().run()
    assert not at.exception and len(list(folder.glob("*.gpkg"))) == 1
    assert all(len(p.name.encode()) <= 255 for p in folder.iterdir())
