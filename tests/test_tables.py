"""Reading INSEE-shaped files, and every bad input the foundation issue lists."""

import gzip
import io
import zipfile

import pandas as pd
import pytest

from ptce_geo.errors import SourceFileError
from ptce_geo.sources.datasets import recognise
from ptce_geo.sources.tables import read_table, to_number

INSEE_CSV = "CODGEO;LIBGEO;DENS;PMUN21\n01001;L'Abergement-Clémenciat;6;832\n2A004;Ajaccio;2;73000\n"


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_insee_semicolon_decimal_comma_and_secret_cells(tmp_path):
    path = write(tmp_path, "filo.csv", b"CODGEO;MED21;TP6021\n01001;25820,5;s\n01002;nd;12,3\n")
    [(_, frame)] = read_table(path)
    assert frame.attrs["decimal"] == ","
    med = to_number(frame["MED21"], ",")
    assert med[0] == 25820.5 and pd.isna(med[1])
    assert pd.isna(to_number(frame["TP6021"], ",")[0])


def test_cp1252_file_is_decoded(tmp_path):
    path = write(tmp_path, "grille.csv", INSEE_CSV.encode("cp1252"))
    [(_, frame)] = read_table(path)
    assert frame.loc[0, "LIBGEO"] == "L'Abergement-Clémenciat"


def test_codes_stored_as_numbers_get_their_zero_back(tmp_path):
    path = write(tmp_path, "grille_densite_2024.csv", b"CODGEO,DENS\n1001,6\n1002.0,7\n2A004,2\n")
    [(name, frame)] = read_table(path)
    ds = recognise(frame, name)
    assert ds.table["code_commune"].tolist() == ["01001", "01002", "2A004"]


def test_duplicate_codes_are_reported_and_first_kept(tmp_path):
    path = write(tmp_path, "grille_densite_2024.csv", b"CODGEO;DENS\n01001;6\n01001;7\n")
    [(name, frame)] = read_table(path)
    ds = recognise(frame, name)
    assert ds.table["densite_niveau"].tolist() == [6.0]
    assert any("double" in w for w in ds.warnings)


def test_zip_and_gzip_as_insee_ships_them(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("grille.csv", INSEE_CSV)
    [(name, frame)] = read_table(write(tmp_path, "g.zip", buf.getvalue()))
    assert name.endswith("g.zip/grille.csv") and len(frame) == 2
    [(_, frame)] = read_table(write(tmp_path, "g.csv.gz", gzip.compress(INSEE_CSV.encode())))
    assert len(frame) == 2


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", b"", "vide"),
    ("page.csv", b"<!DOCTYPE html><html><body>Erreur 404</body></html>", "HTML"),
    ("cut.zip", b"PK\x03\x04" + b"\x00" * 40, "zip"),
    ("cut.csv.gz", gzip.compress(INSEE_CSV.encode())[:20], "gzip"),
    ("broken.xlsx", b"PK\x03\x04 not really", "xlsx"),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(SourceFileError, match=message) as info:
        read_table(path)
    assert name in str(info.value)


def test_renamed_columns_are_not_recognised_and_missing_ones_are_named(tmp_path):
    [(name, frame)] = read_table(write(tmp_path, "x.csv", b"CODE;DENSITE\n01001;6\n"))
    assert recognise(frame, name) is None
    [(name, frame)] = read_table(write(tmp_path, "communes_2026.csv", b"code_insee,epci_siren,type\n01001,200069193,commune-actuelle\n"))
    with pytest.raises(SourceFileError, match="colonnes manquantes.*nom"):
        recognise(frame, name)


def test_xlsx_with_title_rows_finds_its_header(tmp_path):
    rows = [["Grille communale de densité", "", ""], ["Mise en ligne le 28/05/2024", "", ""], ["", "", ""],
            ["CODGEO", "LIBGEO", "DENS"], ["01001", "A", 6]]
    path = tmp_path / "grille_densite_7_niveaux_2024.xlsx"
    pd.DataFrame(rows).to_excel(path, header=False, index=False)
    [(name, frame)] = read_table(path)
    ds = recognise(frame, name)
    assert ds.id == "insee_grille_densite" and ds.table["densite_niveau"].tolist() == [6.0]
