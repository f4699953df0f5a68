"""Hostile or damaged actor inventories (issue 10, part 4): French refusals naming the line, never the file's bytes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ptce_geo.collective._actor_read import MAX_FIELD_CHARS
from ptce_geo.collective.actors import read_actors
from ptce_geo.errors import ActorError
from tests.test_hostile_files import ACTORS, _cell, make_xlsx

ROOT = Path(__file__).resolve().parent.parent
HEADER = "nom;code_commune\n"


def test_field_limit_is_pythons_csv_limit():
    assert MAX_FIELD_CHARS == csv.field_size_limit() == 131_072


def test_field_length_boundary():
    ok = read_actors((HEADER + "A;75056\n" + "B" * MAX_FIELD_CHARS + ";69123\n").encode(), "f.csv")
    assert len(ok.loc[3, "nom"]) == MAX_FIELD_CHARS
    with pytest.raises(ActorError, match=r"f\.csv, ligne 3 : une cellule dépasse 131 072 caractères"):
        read_actors((HEADER + "A;75056\n" + "B" * (MAX_FIELD_CHARS + 1) + ";69123\n").encode(), "f.csv")


def test_unbalanced_quote_names_the_line():
    text = HEADER + "Recyclerie;75056\n\"Banque alimentaire;69123\nCafé;13055\nAtelier;33063\n"
    with pytest.raises(ActorError, match="ligne 3 : guillemet ouvert et jamais fermé : les lignes 3 à 5"):
        read_actors(text.encode(), "f.csv")


def test_unbalanced_quote_in_the_middle_names_its_line_and_where_it_closes():
    """The quote of line 2 closes at line 4's first quote: lines 2 to 4 would be one actor."""
    text = HEADER + "\"Recyclerie;75056\nBanque;69123\nCafé\";13055\nAtelier;33063\n"
    with pytest.raises(ActorError, match="ligne 2 : guillemet ouvert et jamais fermé : les lignes 2 à 4"):
        read_actors(text.encode(), "f.csv")


def test_a_legitimate_multi_line_cell_is_kept():
    text = 'nom;vision;code_commune\n"Recyclerie";"Première ligne\nseconde ; avec un point-virgule";75056\nBanque;x;69123\n'
    frame = read_actors(text.encode(), "f.csv")
    assert frame["nom"].tolist() == ["Recyclerie", "Banque"]
    assert frame.loc[2, "vision"] == "Première ligne\nseconde ; avec un point-virgule"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(codec):
    text = HEADER + "Récyclerie d'Évry;91228\nÉpicerie;75056\n"
    data = text.encode(codec)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    frame = read_actors(data, "f.csv")
    expected = pd.read_csv(pd.io.common.StringIO(data.decode(codec)), sep=";", dtype=str)  # independent reading
    assert frame["nom"].tolist() == expected["nom"].tolist()
    assert any("sans BOM" in n for n in frame.attrs["notes"])


@pytest.mark.parametrize("data", [bytes(range(256)) * 20, b"\x7fELF\x02\x01\x01\x00" + bytes(4000),
                                  b"%PDF-1.7\n" + bytes(range(32)) * 100, b"\x89PNG\r\n\x1a\n" + bytes(3000)])
def test_binary_content_is_refused_without_echoing_it(data):
    with pytest.raises(ActorError, match="contenu binaire") as info:
        read_actors(data, "f.csv")
    message = str(info.value)
    assert message.isprintable() and "ELF" not in message and "PNG" not in message and "PDF" not in message


def test_control_character_share_boundary():
    """1 % of control characters is text (a stray one), above is binary."""
    body = (HEADER + "A;75056\n").encode()
    filler = b"x" * (1000 - len(body) - 10)
    assert read_actors(body + filler + b"\x01" * 10, "f.csv") is not None
    with pytest.raises(ActorError, match="binaire"):
        read_actors(body + filler[:-1] + b"\x01" * 11, "f.csv")


def _two_sheets() -> bytes:
    second = ('<row r="1">' + _cell("A1", "Nom") + _cell("B1", "Code INSEE") + "</row>"
              + "".join(f'<row r="{i}">' + _cell(f"A{i}", f"Acteur {i}") + _cell(f"B{i}", "69123") + "</row>" for i in range(2, 5)))
    notes = '<row r="1">' + _cell("A1", "Notes de l'enquête") + "</row>"
    return make_xlsx({"Acteurs": ACTORS, "Lyon": second, "Notes": notes})


def test_several_sheets_of_actors_are_named_and_one_can_be_chosen():
    frame = read_actors(_two_sheets(), "f.xlsx")
    assert frame["nom"].tolist() == ["Recyclerie"]
    note = next(n for n in frame.attrs["notes"] if n.startswith("ATTENTION"))
    assert "« Lyon » (3 lignes)" in note and "n'ont pas été lues" in note and "Notes" not in note
    chosen = read_actors(_two_sheets(), "f.xlsx", sheet="Lyon")
    assert chosen["Nom"].tolist() == ["Acteur 2", "Acteur 3", "Acteur 4"] and "« Acteurs » (1 ligne)" in " ".join(chosen.attrs["notes"])
    with pytest.raises(ActorError, match="pas de feuille « Paris »"):
        read_actors(_two_sheets(), "f.xlsx", sheet="Paris")
    assert frame.attrs["feuilles"] == ["Acteurs", "Lyon"] and chosen.attrs["feuilles"] == ["Lyon", "Acteurs"]
    assert read_actors((HEADER + "A;75056\n").encode(), "f.csv").attrs["feuilles"] == []
    assert read_actors(make_xlsx({"Acteurs": ACTORS}), "f.xlsx").attrs["feuilles"] == ["Acteurs"]


def test_cli_reads_the_chosen_sheet(tmp_path, embedded_root):
    path = tmp_path / "acteurs.xlsx"
    path.write_bytes(_two_sheets())
    run = subprocess.run([sys.executable, "-m", "ptce_geo", "actors", "check", str(path), "--sheet", "Lyon",
                          "--data-dir", str(embedded_root)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "feuille « Lyon » lue" in run.stdout and "3 lignes" in run.stdout, run.stderr
