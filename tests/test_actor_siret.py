"""An actor's SIRET: checked at its boundaries, filling type, legal form and ESS from Sirene tables built from files
in INSEE's official layout (no real Sirene file here), kept through a project file and exported.

Expected values come from the generated files read back with plain pandas, and valid numbers from a Luhn key
computed here, never from the code under test.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ptce_geo.collective._actor_siret import SIRENE_ABSENT, read_siret
from ptce_geo.collective.actors import actors_to_csv_bytes
from ptce_geo.collective.editing import append_actor, from_stored, import_inventory, revalidate
from ptce_geo.ess_actors import missing_from_inventory
from ptce_geo.project import open_project, project_path, save_project
from ptce_geo.sources.sirene import aggregate, read_sirene_store, write_store
from ptce_geo.territory import TerritoryDefinition
from ptce_geo.workspace import new_project
from tests.sirene_files import ESTABLISHMENT_HEADER, UNIT_HEADER, establishments_frame, units_frame, write_zip

DATE = "2026-11-02T09:30:00+00:00"
VINTAGE = "stock Sirene téléchargé le 2026-11-02"
# the inventory's type for each legal category used below (loi ESS 2014: associations, cooperatives, others)
TYPE_OF = {"9220": "association", "5458": "SCOP", "8210": "entreprise de l'ESS", "6317": "autre coopérative"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def complete(prefix: str) -> str:
    """``prefix`` and the one digit that makes its Luhn key right."""
    return next(prefix + str(c) for c in range(10) if luhn_ok(prefix + str(c)))


def wrong_key(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


SIRENS = [complete(f"81234{k:03d}") for k in range(6)]  # association, SCOP, mutuelle, coop. agricole, not ESS, closed
SIRETS = [complete(s + "0001") for s in SIRENS]


# --- the number itself ----------------------------------------------------------------------------------------

def test_luhn_oracle_agrees_with_published_numbers():
    assert luhn_ok("73282932000074") and not luhn_ok("73282932000079")  # IBM France's SIRET, as published
    assert luhn_ok("356000000")  # La Poste's SIREN


@pytest.mark.parametrize(("text", "digits"), [
    ("73282932000074", "73282932000074"),
    ("732 829 320 00074", "73282932000074"),  # as printed on invoices
    ("732\u00a0829\u00a0320\u00a000074", "73282932000074"),  # non-breaking spaces from a word processor
    ("732.829.320.00074", "73282932000074"),
    ("732829320", "732829320"),  # a SIREN: the legal unit
    ("35600000000048", "35600000000048"),  # La Poste's head office: Luhn
    ("35600000000001", "35600000000001"),  # a La Poste establishment: digit sum 15, a multiple of 5, Luhn key wrong
])
def test_valid_numbers_are_kept_as_digits(text, digits):
    assert read_siret(text) == (digits, None)
    if digits == "35600000000001":
        assert not luhn_ok(digits)


@pytest.mark.parametrize(("text", "reason"), [
    ("7328293200007", "13 chiffres, 14 attendus"),
    ("732829320000741", "15 chiffres, 14 attendus"),
    ("73282932", "8 chiffres"),
    ("7328293201", "10 chiffres"),
    ("73282932000079", "clé de contrôle fausse"),
    ("732829321", "SIREN « 732829321 » : clé de contrôle fausse"),
    ("35600000000002", "clé de contrôle fausse"),  # La Poste: digit sum 16
    ("7328293200007A", "seuls des chiffres"),
    ("7,32829E+13", "notation scientifique"),
])
def test_malformed_numbers_say_why(text, reason):
    digits, error = read_siret(text)
    assert digits is None and reason in error and text in error
    assert ("zéro initial perdu" in error) == (len(text) in (8, 13) and text.isdigit())


def test_a_siret_whose_siren_key_is_wrong_is_refused():
    siret = complete("732829321" + "0001")  # the 14 digits pass Luhn, the SIREN inside does not
    assert luhn_ok(siret) and not luhn_ok(siret[:9])
    assert "clé de contrôle fausse" in read_siret(siret)[1]


# --- Sirene tables from files in the official layout ----------------------------------------------------------

@pytest.fixture(scope="module")
def sirene_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sirene_siret")
    units = units_frame(40, seed=3)
    units.loc[:5, "siren"] = SIRENS
    units.loc[:5, "categorieJuridiqueUniteLegale"] = ["9220", "5458", "8210", "6317", "5710", "9220"]
    units.loc[:5, "economieSocialeSolidaireUniteLegale"] = ["O", "O", "O", "O", "N", "O"]
    estabs = establishments_frame(60, 40, ["45208", "45004"], seed=4)
    estabs.loc[:5, "siren"] = SIRENS
    estabs.loc[:5, "nic"] = "00010"
    estabs.loc[:5, "siret"] = SIRETS
    estabs.loc[:5, "etatAdministratifEtablissement"] = ["A", "A", "A", "A", "A", "F"]
    estabs.loc[:5, "codeCommuneEtablissement"] = "45208"
    return (write_zip(folder / "StockUniteLegale_utf8.zip", "StockUniteLegale_utf8.csv", [units], UNIT_HEADER),
            write_zip(folder / "StockEtablissement_utf8.zip", "StockEtablissement_utf8.csv", [estabs], ESTABLISHMENT_HEADER))


@pytest.fixture(scope="module")
def store(sirene_files, tmp_path_factory):
    root = tmp_path_factory.mktemp("cache_siret")
    work = tmp_path_factory.mktemp("work_siret")
    tables = aggregate(*sirene_files, work)
    write_store(root, tables, {"date": DATE, "fichiers": []})
    return read_sirene_store(root)


@pytest.fixture(scope="module")
def expected(sirene_files) -> pd.DataFrame:
    """Legal category of each active establishment of an ESS unit, read with plain pandas from the zips."""
    units = pd.read_csv(sirene_files[0], dtype=str, keep_default_na=False)
    estabs = pd.read_csv(sirene_files[1], dtype=str, keep_default_na=False)
    ess = units[units["economieSocialeSolidaireUniteLegale"] == "O"]
    active = estabs[estabs["etatAdministratifEtablissement"] == "A"]
    return active.merge(ess[["siren", "categorieJuridiqueUniteLegale"]], on="siren").set_index("siret")


def spaced(siret: str) -> str:
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def inventory_csv() -> str:
    rows = [
        ("Asso A", spaced(SIRETS[0]), "", "", "", "45208"),
        ("Scop B", SIRETS[1], "collectivité", "", "", "45208"),  # typed type kept
        ("Mutuelle C", SIRENS[2], "", "", "", "45208"),  # a SIREN
        ("Coop D", SIRETS[3], "", "Coopérative agricole", "non", "45208"),  # typed form and ESS kept, contradiction flagged
        ("Société E", SIRETS[4], "", "", "", "45208"),  # not ESS
        ("Fermée F", SIRETS[5], "", "", "", "45208"),  # closed establishment
        ("Court G", SIRETS[0][1:], "", "", "", "45208"),
        ("Clé H", wrong_key(SIRETS[0]), "", "", "", "45208"),
        ("Sans I", "", "association", "", "", "45208"),
        ("Doublon J", SIRETS[0], "", "", "", "45004"),
    ]
    return "nom;N° SIRET;type_structure;forme_juridique;ess;commune\n" + "".join(";".join(r) + "\n" for r in rows)


def by_name(state) -> tuple[pd.DataFrame, pd.DataFrame]:
    return state.inventory.actors.set_index("nom"), state.inventory.report.set_index("nom")


def test_siret_fills_only_empty_cells_from_sirene(embedded, store, expected):
    state = import_inventory(embedded, inventory_csv().encode(), "acteurs.csv", sirene=store)
    actors, report = by_name(state)
    category = expected["categorieJuridiqueUniteLegale"]
    asso = actors.loc["Asso A"]
    assert asso["siret"] == SIRETS[0]  # spaces removed
    assert asso["type_structure"] == TYPE_OF[category[SIRETS[0]]] == "association"
    assert category[SIRETS[0]] in asso["forme_juridique"] and bool(asso["ess"]) is True
    assert report.loc["Asso A", "statut"] == "corrigé"
    assert f"rempli depuis Sirene ({VINTAGE})" in report.loc["Asso A", "messages"]
    assert "Sirene classe" not in report.loc["Asso A", "messages"]  # ESS filled « oui »: no contradiction
    scop = actors.loc["Scop B"]
    assert scop["type_structure"] == "collectivité"  # never overwritten
    assert category[SIRETS[1]] in scop["forme_juridique"] and bool(scop["ess"]) is True
    mutual = actors.loc["Mutuelle C"]
    assert mutual["siret"] == SIRENS[2] and mutual["type_structure"] == TYPE_OF[category[SIRETS[2]]]
    assert category[SIRETS[2]] in mutual["forme_juridique"]
    coop = actors.loc["Coop D"]
    assert coop["type_structure"] == TYPE_OF[category[SIRETS[3]]]
    assert coop["forme_juridique"] == "Coopérative agricole" and bool(coop["ess"]) is False
    assert "Sirene classe cette structure dans l'ESS" in report.loc["Coop D", "messages"]
    for name, siret in (("Société E", SIRETS[4]), ("Fermée F", SIRETS[5])):
        assert siret not in expected.index
        assert pd.isna(actors.loc[name, "type_structure"]) and pd.isna(actors.loc[name, "forme_juridique"])
        assert "absent des établissements actifs de l'ESS" in report.loc[name, "messages"]
        assert report.loc[name, "statut"] == "accepté"
    for name in ("Court G", "Clé H"):
        assert report.loc[name, "statut"] == "refusé" and name not in actors.index
    assert "13 chiffres" in report.loc["Court G", "messages"] and "clé de contrôle fausse" in report.loc["Clé H", "messages"]
    assert "Sirene" not in report.loc["Sans I", "messages"] and pd.isna(actors.loc["Sans I", "siret"])
    assert "même SIRET/SIREN que la ligne 2" in report.loc["Doublon J", "messages"]
    # refused rows stay in the table as typed, to be fixed there
    table = state.table.set_index("nom")
    assert table.loc["Court G", "siret"] == SIRETS[0][1:] and table.loc["Asso A", "type_structure"] == "association"


def test_without_sirene_the_siret_is_kept_and_the_report_says_so(embedded):
    state = import_inventory(embedded, inventory_csv().encode(), "acteurs.csv", sirene=None)
    actors, report = by_name(state)
    assert actors.loc["Asso A", "siret"] == SIRETS[0] and pd.isna(actors.loc["Asso A", "type_structure"])
    assert SIRENE_ABSENT in report.loc["Asso A", "messages"] and report.loc["Asso A", "statut"] == "accepté"
    assert SIRENE_ABSENT == "SIRET conservé ; Sirene absent : type et forme juridique non remplis"
    assert any("tables Sirene absentes" in n for n in state.inventory.report.attrs["notes"])
    assert report.loc["Court G", "statut"] == "refusé"
    both = import_inventory(embedded, f"nom;siret;type_structure;forme_juridique;commune\nA;{SIRETS[0]};association;loi 1901;45208\n"
                            .encode(), "acteurs.csv").inventory.report
    assert both["messages"].tolist() == [""]  # type and form typed: nothing Sirene would have filled


def test_workbook_number_cells_and_a_lost_leading_zero(embedded, store, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nom de la structure", "SIRET", "Commune"])
    sheet.append(["Asso A", int(SIRETS[0]), "45208"])  # typed as a number: read back as its 14 digits
    sheet.append(["Zéro perdu", int("0" + SIRETS[0][1:]), "45208"])  # 13 digits once Excel drops the zero
    path = tmp_path / "acteurs.xlsx"
    book.save(path)
    state = import_inventory(embedded, path.read_bytes(), path.name, sirene=store)
    actors, report = by_name(state)
    assert actors.loc["Asso A", "type_structure"] == "association"
    assert report.loc["Zéro perdu", "statut"] == "refusé" and "zéro initial perdu" in report.loc["Zéro perdu", "messages"]


def test_revalidation_keeps_the_fill_and_a_new_actor_with_a_siret_is_filled(embedded, store):
    state = import_inventory(embedded, inventory_csv().encode(), "acteurs.csv", sirene=store)
    fixed = state.table.copy()
    fixed.loc[fixed["nom"] == "Court G", "siret"] = SIRETS[1]
    table = append_actor(fixed, {"nom": "Nouvelle", "siret": spaced(SIRETS[3]), "latitude": 47.997, "longitude": 2.733})
    new = revalidate(embedded, state, table, sirene=store)
    actors, report = by_name(new)
    assert actors.loc["Court G", "type_structure"] == TYPE_OF["5458"]
    assert actors.loc["Nouvelle", "type_structure"] == TYPE_OF["6317"] and actors.loc["Nouvelle", "siret"] == SIRETS[3]
    assert actors.loc["Asso A", "type_structure"] == "association"
    assert report.loc["Asso A", "messages"] == by_name(state)[1].loc["Asso A", "messages"]  # unchanged row, same messages


def test_suggestions_leave_out_the_actors_carrying_a_siret(embedded, store):
    state = import_inventory(embedded, inventory_csv().encode(), "acteurs.csv", sirene=store)
    missing = missing_from_inventory(store.listing, state.inventory.actors)
    assert not set(missing["siret"]) & {SIRETS[0], SIRETS[1], SIRETS[3]}
    assert not (missing["siren"] == SIRENS[2]).any()  # the SIREN given for Mutuelle C covers its establishments
    assert len(missing) == len(store.listing) - 4


def test_siret_survives_the_project_file_and_reaches_the_exports(embedded, store, tmp_path):
    state = import_inventory(embedded, inventory_csv().encode(), "acteurs.csv", sirene=store)
    project, _ = new_project(embedded, "Siret", TerritoryDefinition(communes=["45208", "45004"]), state.inventory)
    path = save_project(project, project_path(tmp_path, "Siret"))
    with sqlite3.connect(path) as con:  # read independently of ptce_geo
        stored = dict(con.execute("SELECT nom, siret FROM acteurs").fetchall())
    assert stored["Asso A"] == SIRETS[0] and stored["Mutuelle C"] == SIRENS[2] and stored["Sans I"] is None
    reopened = from_stored(open_project(path).actors, "Siret")
    assert reopened.table.set_index("nom").loc["Asso A", "siret"] == SIRETS[0]
    for flavour, sep in (("standard", ","), ("excel-fr", ";")):
        rows = list(csv.DictReader(io.StringIO(actors_to_csv_bytes(reopened.inventory.actors, flavour).decode("utf-8-sig")),
                                   delimiter=sep))
        # Excel shows a 14-digit number as 8,1234E+13: the Excel-FR file writes it ="…", which Excel shows as written
        written = SIRETS[0] if flavour == "standard" else f'="{SIRETS[0]}"'
        assert {r["nom"]: r["siret"] for r in rows}["Asso A"] == written
        again = import_inventory(embedded, actors_to_csv_bytes(reopened.inventory.actors, flavour), "acteurs.csv", sirene=store)
        assert again.table.set_index("nom").loc["Asso A", "siret"] == SIRETS[0]  # the app reads its own file back


def test_a_project_written_without_the_column_opens_with_it_empty(embedded, tmp_path):
    """Files written before the column existed hold actors without ``siret``: they open, the column empty."""
    state = import_inventory(embedded, b"nom;commune\nAsso A;45208\n", "acteurs.csv")
    old_actors = state.inventory.actors.drop(columns=["siret"])
    project, _ = new_project(embedded, "Ancien", TerritoryDefinition(communes=["45208"]))
    project.actors = old_actors
    path = save_project(project, project_path(tmp_path, "Ancien"))
    with sqlite3.connect(path) as con:
        assert "siret" not in [r[1] for r in con.execute("PRAGMA table_info(acteurs)")]
    reopened = from_stored(open_project(path).actors, "Ancien")
    assert "siret" in reopened.table.columns and reopened.table["siret"].isna().all()
    assert reopened.inventory.actors["siret"].isna().all()


# --- the Acteurs page (AppTest) ----------------------------------------------------------------------------------

@pytest.fixture
def cache_with_sirene(embedded_root, sirene_files, tmp_path, monkeypatch) -> Path:
    """A copy of the embedded cache holding the Sirene tables, read by the pages."""
    import streamlit as st

    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    write_store(root, aggregate(*sirene_files, tmp_path), {"date": DATE, "fichiers": []})
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(root))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield root
    st.cache_resource.clear()


def test_page_import_and_form_fill_from_sirene(cache_with_sirene):
    from tests.test_actors_page import add_with_form, held, page, texts, upload

    at = upload(page(), "acteurs.csv", inventory_csv().encode())
    assert not at.exception
    assert held(at).inventory.actors.set_index("nom").loc["Asso A", "type_structure"] == "association"
    notes = " ".join(m.value for m in at.markdown)
    assert f"SIRET : 5 acteurs complétés depuis Sirene ({VINTAGE})" in notes
    add_with_form(at, "Nouvelle coopérative", siret=spaced(SIRETS[3]))
    assert not at.exception
    added = held(at).inventory.actors.set_index("nom").loc["Nouvelle coopérative"]
    assert added["siret"] == SIRETS[3] and added["type_structure"] == TYPE_OF["6317"]
    assert f"rempli depuis Sirene ({VINTAGE}) : type « autre coopérative »" in texts(at)
    assert at.text_input(key="act_new_siret").value == ""


def test_page_without_sirene_keeps_the_siret_and_says_so(app_data):
    from tests.test_actors_page import add_with_form, held, page, texts

    at = page()
    at.button(key="act_vide").click().run()
    add_with_form(at, "Asso A", siret=spaced(SIRETS[0]))
    assert not at.exception
    assert held(at).inventory.actors["siret"].tolist() == [SIRETS[0]]
    assert SIRENE_ABSENT in texts(at)


def test_command_line_check_fills_from_the_cache(cache_with_sirene, tmp_path, capsys):
    from ptce_geo.cli import main

    path = tmp_path / "acteurs.csv"
    path.write_text(inventory_csv(), encoding="utf-8")
    assert main(["actors", "check", str(path), "--data-dir", str(cache_with_sirene)]) == 1  # two rows refused
    out = capsys.readouterr().out
    assert f"SIRET : 5 acteurs complétés depuis Sirene ({VINTAGE})" in out
    assert "13 chiffres, 14 attendus" in out and "clé de contrôle fausse" in out
