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


def test_a_title_cell_naming_a_header_is_not_the_header_row(tmp_path):
    """The Filosofi workbook's EPCI sheet is titled « EPCI » (one cell); its header row comes below, and its
    Budget de famille block after a blank row is left out; the other zonings' sheets are skipped, not errors."""
    from tests.official_site import write_xlsx

    title = [["EPCI"], ["Mise en ligne le 05/07/2022"], ["Source : Insee"], [], []]
    header = ["CODGEO", "LIBGEO", "NBPERSMENFISC19", "MED19", "TP6019"]
    book = write_xlsx({"EPCI": title + [header, ["200046977", "Métropole de Lyon", 1380000, 22710, 16.2],
                                        ["200069193", "CC de la Dombes", 40000, 23680, "s"]],
                       "DEP": title + [header, ["69", "Rhône", 1800000, 23190, 14.2], [], ["971", "Guadeloupe", None, None, 34.5]],
                       "EPT": title + [header, ["200057867", "Paris Ouest", 1000, 25000, 12.0]]})
    path = write(tmp_path, "base-cc-filosofi-2019.xlsx", book)
    found = {name.rsplit("[", 1)[-1]: recognise(frame, name) for name, frame in read_table(path, ("CODGEO", "EPCI"))}
    epci, dep = found["EPCI]"].table.set_index("code"), found["DEP]"].table.set_index("code")
    assert found["EPT]"] is None and found["EPCI]"].id == "insee_filosofi_supra_epci_2019_cc"
    assert epci.loc["200046977", "med_niveau_vie"] == 22710 and pd.isna(epci.loc["200069193", "taux_pauvrete"])
    assert list(dep.index) == ["69"] and set(dep["annee"]) == {2019}
