"""The command line answers bad input in French, never with a traceback (issue 10, part 6); bad geometries too."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ptce_geo.cli import main
from ptce_geo.errors import GeometryError, PtceGeoError
from ptce_geo.sources.geojson import read_polygons
from ptce_geo.territory import MAX_GEOJSON_DEPTH, TerritoryDefinition, polygon_from_file

ROOT = Path(__file__).resolve().parent.parent
DOMBES = "200069193"


def run(*args: str, stdin_to: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ptce_geo", *args]
    if stdin_to:  # a shell pipeline: python … | head -1
        return subprocess.run(f"{' '.join(command)} | {stdin_to}; exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                              capture_output=True, text=True, cwd=ROOT, timeout=180)
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=180)


# --- arguments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (["diagnose", "--epci", DOMBES, "--min-share", "abc", "--out", "x"], "option --min-share : « abc » n'est pas un nombre"),
    (["diagnose", "--epci", DOMBES, "--min-share", "0", "--out", "x"], "option --min-share : 0 hors de ]0, 1]"),
    (["diagnose", "--epci", DOMBES, "--min-share", "1.01", "--out", "x"], "option --min-share : 1.01 hors de ]0, 1]"),
    (["diagnose", "--epci", DOMBES, "--min-share", "nan", "--out", "x"], "option --min-share : nan hors de ]0, 1]"),
    (["diagnose", "--epci", DOMBES], "arguments obligatoires manquants : --out"),
    (["data", "update", "--retries", "x"], "option --retries : « x » n'est pas un nombre entier"),
    (["data", "update", "--timeout", "-1"], "option --timeout : -1 : nombre positif attendu"),
    (["data", "update", "--deadline", "inf"], "option --deadline : inf : nombre positif attendu"),
    (["datas"], "« datas » inconnu (choix possibles"),
    (["data", "status", "--bogus"], "arguments non reconnus : --bogus"),
    (["diagnose", "--out"], "option --out : une valeur attendue"),
])
def test_bad_arguments_answer_in_french(args, expected, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    assert info.value.code == 2 and f"Erreur : {expected}" in err and "utilisation : " in err
    assert "invalid" not in err and "usage:" not in err


def test_share_boundaries_are_accepted(capsys, tmp_path, embedded_root):
    """1 and a decimal comma pass the argument check (the run then writes its files)."""
    for share in ("1", "0,5"):
        assert main(["diagnose", "--epci", DOMBES, "--min-share", share, "--out", str(tmp_path / share), "--data-dir", str(embedded_root)]) == 0
    assert (tmp_path / "0,5" / "sources.md").exists()


def test_help_is_framed_in_french(capsys):
    with pytest.raises(SystemExit):
        main(["-h"])
    out = capsys.readouterr().out
    assert out.startswith("utilisation : ") and "afficher cette aide" in out


# --- files -------------------------------------------------------------------------------------------

def test_unwritable_out_gives_a_french_error(tmp_path, embedded_root):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    done = run("diagnose", "--epci", DOMBES, "--out", str(blocker / "sortie"), "--data-dir", str(embedded_root))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "fichier ou dossier inaccessible" in done.stderr and "n'est pas un dossier" in done.stderr or "existe déjà" in done.stderr


def test_unwritable_project_out_gives_a_french_error(tmp_path, embedded_root):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    done = run("project", "new", "--name", "P", "--epci", DOMBES, "--out", str(blocker / "p.gpkg"), "--data-dir", str(embedded_root))
    assert done.returncode == 2 and "écriture impossible" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_polygon_file_gives_a_french_error(tmp_path, embedded_root):
    done = run("diagnose", "--polygon", str(tmp_path / "absent.geojson"), "--out", str(tmp_path / "o"), "--data-dir", str(embedded_root))
    assert done.returncode == 2 and "Erreur" in done.stderr and "Traceback" not in done.stderr


def test_piping_into_head_gives_no_broken_pipe_traceback(embedded_root):
    done = run("data", "status", "--data-dir", str(embedded_root), stdin_to="head -1")
    assert done.stdout.startswith("Cache : génération") and done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and done.stderr == ""
    assert done.returncode == 141


# --- geometries: NaN and nesting -----------------------------------------------------------------------

SQUARE = [[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.1], [2.0, 48.0]]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_coordinate_is_refused_not_repaired(bad, embedded):
    from ptce_geo.territory import build_territory

    ring = [list(p) for p in SQUARE]
    ring[2][0] = bad
    definition = TerritoryDefinition(polygon={"type": "Polygon", "coordinates": [ring]})
    with pytest.raises(PtceGeoError, match="n'est pas un nombre") as info:
        build_territory(embedded, definition)
    assert "réparé" not in str(info.value)


def test_a_nan_in_a_geojson_file_is_refused(tmp_path):
    ring = [list(p) for p in SQUARE]
    ring[1][1] = math.nan
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [SQUARE]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    assert "NaN" in text  # what Python, QGIS scripts and some exporters write
    with pytest.raises(GeometryError, match="1 entité.*entité n° 2"):
        read_polygons(text.encode(), "contour.geojson")
    frame, warnings = read_polygons(text.replace("NaN", "48.05").encode(), "contour.geojson")  # the same file, repaired by hand
    assert len(frame) == 2


def _nested(depth: int) -> dict:
    """A Feature whose geometry is a GeometryCollection nested ``depth`` times around a polygon."""
    geometry: dict = {"type": "Polygon", "coordinates": [SQUARE]}
    for _ in range(depth):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    return geometry


def test_deeply_nested_polygon_json_raises_our_error_not_recursion_error():
    text = '{"type": "Feature", "geometry": ' * 50_000 + "null" + "}" * 50_000
    with pytest.raises(GeometryError, match="imbriqué"):
        TerritoryDefinition(polygon=text)
    collections = '{"type": "GeometryCollection", "geometries": [' * 3_000 + json.dumps(_nested(0)) + "]}" * 3_000
    with pytest.raises(GeometryError, match="imbriqué"):
        TerritoryDefinition(polygon=collections)
    with pytest.raises(GeometryError, match="imbriqué"):
        TerritoryDefinition(polygon=_nested(300))  # already decoded: the mapping itself is checked


def test_nesting_depth_boundary():
    """A Polygon nests 4 levels (object, rings, ring, point); each GeometryCollection adds 2."""
    fits = (MAX_GEOJSON_DEPTH - 4) // 2
    assert TerritoryDefinition(polygon=_nested(fits)).polygon is not None
    with pytest.raises(GeometryError, match="imbriqué"):
        TerritoryDefinition(polygon=_nested(fits + 1))


def test_nested_json_from_a_file_is_refused_in_french(tmp_path):
    path = tmp_path / "profond.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PtceGeoError):
        polygon_from_file(path)
