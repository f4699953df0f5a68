"""The collective's tables in the project file: registry, GeoPackage round trip, migration of schema 2, snapshots, CSV export."""

import json
import sqlite3
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from ptce_geo.collective import tables as ct
from ptce_geo.errors import CollectiveError
from ptce_geo.project import Project, compare_snapshots, open_project, save_project, snapshot_rows
from ptce_geo.workspace import snapshot_content

ACTORS = ["Asso du Val", "Ressourcerie, atelier", "=HYPERLINK(\"x\")"]  # a comma inside a name, a formula-looking name


@pytest.fixture
def project() -> Project:
    p = Project("PTCE du Val")
    p.territories = {"Val": {"epci": ["200000172"], "communes": [], "exclude": [], "polygon": None, "min_share": 0.5}}
    p.outlines = {"Val": shapely.box(2.0, 49.0, 2.3, 49.2)}
    p.active = "Val"
    p.actors = gpd.GeoDataFrame({"nom": ACTORS, "implication": ["noyau dur", "groupe projet", "non impliqué"]},
                                geometry=gpd.points_from_xy([2.1, 2.15, 2.2], [49.1, 49.05, 49.1]), crs=4326)
    p.add_finding("Pas de local partagé", theme="foncier et locaux", souleve_par=ACTORS[0], partage_par=ACTORS[1:])
    tables = p.tables
    tables = ct.add_row(tables, "groupes", {"nom": "Réemploi", "type": "groupe thématique", "theme": "réemploi",
                                            "animateur": ACTORS[1], "rythme": "mensuel", "membres": "; ".join(ACTORS[:2]),
                                            "date_creation": "2025-03-01"}, ACTORS)
    tables = ct.add_row(tables, "projets_activite", {"nom": "Recyclerie", "statut": "étude", "porteur": ACTORS[0],
                                                     "partenaires": ACTORS[1], "groupe": 1, "constats": "1", "emplois": 2.5,
                                                     "criteres_innovation": "accessibilité accrue; différent de l'existant",
                                                     "date_debut": "2025-01-01", "date_fin": "2026-12-31",
                                                     "longitude": 2.12, "latitude": 49.11}, ACTORS, [1])
    tables = ct.add_row(tables, "rencontres", {"date": "2025-02-10", "type": "collective", "participants": "; ".join(ACTORS),
                                               "constats": "1"}, ACTORS, [1])
    p.tables = ct.add_row(tables, "contacts", {"acteur": ACTORS[2], "date": "2025-02-10", "statut": "rencontré"}, ACTORS)
    return p


def test_registry_declares_the_issue_tables_with_french_labels():
    specs = ct.registered()
    assert {"groupes", "projets_activite", "rencontres", "contacts"} <= set(specs)
    assert not set(specs) & ct.CORE_LAYERS
    for spec in specs.values():
        assert spec.columns[0] == "id" and spec.label and all(f.label for f in spec.fields)
    with pytest.raises(ValueError):
        ct.register(ct.Table("acteurs", "Acteurs", (ct.Field("nom", "Nom"),)))


def test_round_trip_keeps_every_value_and_type(project, tmp_path):
    back = open_project(save_project(project, tmp_path / "p.gpkg"))
    for layer, frame in project.tables.items():
        pd.testing.assert_frame_equal(back.tables[layer], frame, check_dtype=True)
    activity = back.tables["projets_activite"].iloc[0]
    assert activity["emplois"] == 2.5 and activity["groupe"] == 1 and activity["partenaires"] == "Ressourcerie, atelier"
    assert back.findings.loc[0, "souleve_par"] == "Asso du Val"
    assert ct.split_items(back.findings.loc[0, "partage_par"]) == ACTORS[1:]
    with sqlite3.connect(tmp_path / "p.gpkg") as con:  # stored as typed columns, readable in QGIS
        assert con.execute("SELECT emplois, latitude, membres FROM projets_activite JOIN groupes").fetchone() == (2.5, 49.11,
                                                                                                                 "Asso du Val; Ressourcerie, atelier")


def _schema_2_file(path):
    """A project as the schema 2 code wrote it (layers and columns of main before schema 3), built with pyogrio alone."""
    pyogrio.write_dataframe(gpd.GeoDataFrame({"nom": ["Val"], "actif": [True]}, geometry=[shapely.MultiPolygon([shapely.box(2, 49, 2.3, 49.2)])],
                                             crs=4326), path, layer="territoires")
    pyogrio.write_dataframe(gpd.GeoDataFrame({"nom": ["Asso du Val", "Ressourcerie"], "implication": ["noyau dur", "groupe projet"]},
                                             geometry=gpd.points_from_xy([2.1, 2.15], [49.1, 49.05]), crs=4326), path, layer="acteurs")
    pyogrio.write_dataframe(pd.DataFrame({"nom": ["Val"], "definition": [json.dumps({"epci": ["200000172"]})]}), path, layer="definitions")
    pyogrio.write_dataframe(pd.DataFrame({"id": [1, 2], "texte": ["Pas de local", "Peu de bus"], "theme": ["Logement", "mobilité"],
                                          "auteur": ["X", ""], "date": ["2024-05-01", "2024-06-01"], "communes": ["", "80021"],
                                          "epci": ["", ""]}), path, layer="constats")
    pyogrio.write_dataframe(pd.DataFrame({"cle": ["stade", "marqueurs"], "valeur": ['"existant"', '{"pluralite": 2}']}), path, layer="profil")
    pyogrio.write_dataframe(pd.DataFrame({"id": [1], "date": ["2024-05-01T10:00:00+00:00"], "libelle": ["Création"], "territoire": ["Val"],
                                          "contenu": ['{"acteurs": {"total": 2}}']}), path, layer="instantanes")
    pyogrio.write_dataframe(pd.DataFrame({"cle": ["application", "schema_version", "nom", "revision", "territoire_actif"],
                                          "valeur": ["ptce-geo", "2", "Ancien projet", "5", "Val"]}), path, layer="ptce_meta")


def test_schema_2_file_opens_keeps_everything_and_saves_as_schema_3(tmp_path):
    path = tmp_path / "v2.gpkg"
    _schema_2_file(path)
    p = open_project(path)
    assert p.name == "Ancien projet" and p.revision == 5 and p.active == "Val"
    assert p.actors["nom"].tolist() == ["Asso du Val", "Ressourcerie"]
    assert p.findings["texte"].tolist() == ["Pas de local", "Peu de bus"] and p.findings["theme"].tolist() == ["habitat", "mobilité"]
    assert p.findings["souleve_par"].tolist() == ["", ""]
    assert p.profile["stade"] == "existant" and p.profile["marqueurs"] == {"pluralite": 2}
    assert snapshot_rows(p)[0]["contenu"] == {"acteurs": {"total": 2}}
    assert all(len(frame) == 0 for frame in p.tables.values()) and set(p.tables) == set(ct.registered())
    save_project(p, path)
    layers = {row[0] for row in pyogrio.list_layers(path)}
    assert set(ct.registered()) <= layers
    with sqlite3.connect(path) as con:
        meta = dict(con.execute("SELECT cle, valeur FROM ptce_meta").fetchall())
        assert meta["schema_version"] == "3" and meta["revision"] == "6"
        assert con.execute("SELECT count(*) FROM acteurs").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM constats").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM instantanes").fetchone() == (1,)
        assert [r[1] for r in con.execute("PRAGMA table_info(groupes)")][:3] == ["fid", "id", "nom"]
    again = open_project(path)
    assert again.profile["marqueurs"] == {"pluralite": 2} and len(again.findings) == 2


def test_a_table_this_version_does_not_know_is_kept(project, tmp_path):
    project.tables["table_future"] = pd.DataFrame({"id": ["1"], "source": ["Région"], "montant": ["12000"]})
    path = save_project(project, tmp_path / "p.gpkg")
    back = open_project(path)
    assert back.tables["table_future"].to_dict("records") == [{"id": "1", "source": "Région", "montant": "12000"}]
    save_project(back, path)
    assert open_project(path).tables["table_future"]["source"].tolist() == ["Région"]


def test_snapshot_counts_the_tables_and_compares(project):
    class _Diag:  # snapshot_content reads only these attributes
        summary = pd.DataFrame({"disponible": [True], "valeur_territoire": [10.0]}, index=["population"])
        overview = {"communes": 3, "population": 10, "surface_km2": 1.0, "epci": 1, "epci_partiels": 0}
        alerts: list = []

    before = snapshot_content(_Diag(), None, project)
    assert before["collectif"]["groupes"]["lignes"] == 1
    assert before["collectif"]["projets_activite"]["statut : étude"] == 1
    assert before["collectif"]["projets_activite"]["emplois (total)"] == 2.5
    project.tables = ct.add_row(project.tables, "projets_activite", {"nom": "Épicerie", "statut": "en cours", "emplois": 1}, ACTORS)
    after = snapshot_content(_Diag(), None, project)
    diff = compare_snapshots(before, after).set_index("element")
    assert diff.loc["collectif / projets_activite / lignes", "ecart"] == 1
    assert diff.loc["collectif / projets_activite / emplois (total)", "ecart"] == 1.0
    assert diff.loc["collectif / projets_activite / statut : en cours", "apres"] == 1
    assert not diff.loc["collectif / groupes / lignes", "change"]


@pytest.mark.parametrize("flavour", ["standard", "excel-fr"])
def test_export_cli_writes_every_table_as_safe_csv(project, tmp_path, flavour):
    path = save_project(project, tmp_path / "p.gpkg")
    out = tmp_path / "csv"
    cmd = [sys.executable, "-m", "ptce_geo", "project", "export", str(path), "--out", str(out)] + (["--excel-fr"] if flavour != "standard" else [])
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    expected = {"acteurs", "territoires", "constats", "profil", "instantanes", *ct.registered()}
    assert {p.stem for p in out.glob("*.csv")} == expected
    opts = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"} if flavour == "excel-fr" else {}
    read = {stem: pd.read_csv(out / f"{stem}.csv", dtype=str, keep_default_na=False, **opts) for stem in expected}
    assert read["acteurs"]["nom"].tolist() == ["Asso du Val", "Ressourcerie, atelier", "'=HYPERLINK(\"x\")"]
    assert read["rencontres"].loc[0, "participants"] == "Asso du Val; Ressourcerie, atelier; =HYPERLINK(\"x\")"  # not at a cell start
    assert read["contacts"].loc[0, "acteur"] == "'=HYPERLINK(\"x\")"  # at a cell start: neutralised
    assert read["constats"].loc[0, "souleve_par"] == "Asso du Val"
    groups = pd.read_csv(out / "groupes.csv", **opts)
    assert groups.loc[0, "nom"] == "Réemploi" and groups.columns.tolist() == ct.registered()["groupes"].columns
    activities = pd.read_csv(out / "projets_activite.csv", **opts)
    assert activities.loc[0, "emplois"] == 2.5 and np.isclose(activities.loc[0, "latitude"], 49.11)
    assert len(pd.read_csv(out / "contacts.csv", **opts)) == 1
    sources = (out / "sources.md").read_text(encoding="utf-8")
    assert "version 3" in sources and all(f"{stem}.csv" in sources for stem in expected)


def test_export_cli_refuses_a_missing_file_in_french(tmp_path):
    run = subprocess.run([sys.executable, "-m", "ptce_geo", "project", "export", str(tmp_path / "absent.gpkg"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "introuvable" in run.stderr and not (tmp_path / "o").exists()


def test_zip_of_the_page_holds_the_same_files_as_the_cli(project):
    import io
    import zipfile

    from ptce_geo.project_export import project_files, project_zip

    with zipfile.ZipFile(io.BytesIO(project_zip(project, "excel-fr"))) as archive:
        assert sorted(archive.namelist()) == sorted(project_files(project, "excel-fr"))
        groups = pd.read_csv(archive.open("groupes.csv"), sep=";", encoding="utf-8-sig")
    assert groups.loc[0, "membres"] == "Asso du Val; Ressourcerie, atelier"


def test_a_value_out_of_bounds_is_quoted_with_its_own_decimals():
    """-0.1 FTE must read « reçu : -0,1 », not a rounded « 0 » that contradicts the rule it breaks."""
    tables = ct.empty_tables()
    with pytest.raises(CollectiveError, match=r"inférieur à 0 \(reçu : -0,1\)"):
        ct.add_row(tables, "fonctions", {"fonction": "animation", "titulaire": "Coop Bois", "etp": -0.1}, ["Coop Bois"])
    with pytest.raises(CollectiveError, match=r"reçu : -0,000001\)"):
        ct.add_row(tables, "fonctions", {"fonction": "animation", "titulaire": "Coop Bois", "etp": -1e-6}, ["Coop Bois"])
