"""Census vintages side by side in one table: the Diagnostic says which (and synthese.csv keeps each indicator's)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pandas as pd

from ptce_geo.diagnostic import census_vintages, diagnose, mixed_vintages_note
from ptce_geo.export import sources_text, tables
from ptce_geo.indicators import indicator
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import SHARED, needs_shared


def _summary(rows: list[tuple[str, str, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicateur", "libelle", "millesime", "disponible"]).set_index("indicateur")


def test_vintages_are_grouped_by_latest_census_date():
    summary = _summary([("pop_rp", "Population", "RP 2021", True), ("evol_pop", "Évolution", "RP 2021 / RP 2015", True),
                        ("emplois", "Emplois", "RP 2018", True), ("med", "Médiane", "Filosofi 2021", True),
                        ("logements", "Logements", "RP 2018", False)])
    assert census_vintages(summary) == {"RP 2021": ["population", "évolution"], "RP 2018": ["emplois"]}  # absent: left out
    note = mixed_vintages_note(summary)
    assert "2 millésimes du recensement" in note and "RP 2021 : population, évolution ; RP 2018 : emplois" in note
    assert mixed_vintages_note(summary, ["pop_rp", "evol_pop", "med"]) == ""  # one census vintage: nothing to say
    assert mixed_vintages_note(summary, ["pop_rp", "logements"]) != ""  # a table's own columns, shown even when absent elsewhere


def _raw_census_year(columns: list[str], pattern: str) -> str:
    return next(m.group(1) for c in columns if (m := re.fullmatch(pattern, c)))


@needs_shared
def test_a_real_diagnostic_names_the_census_vintages_it_mixes(shared):
    with gzip.open(SHARED / "insee_comparateur_2022_klopstock" / "base_cc_comparateur_2022.csv.gz", "rt", encoding="utf-8") as f:
        comparateur = pd.read_csv(f, sep=None, engine="python", nrows=1, dtype=str).columns.tolist()
    rcarlier = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", nrows=1, dtype=str).columns.tolist()
    jobs = "20" + _raw_census_year(comparateur, r"P(\d\d)_EMPLT")  # 2018
    people = _raw_census_year(rcarlier, r"population_(\d{4})")  # 2021
    assert jobs != people
    amiens = shared.communes.loc["80021", "code_epci"]
    diag = diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[amiens])))
    groups = census_vintages(diag.summary)
    assert indicator("emplois").label.lower() in groups[f"RP {jobs}"]
    assert indicator("pop_rp").label.lower() in groups[f"RP {people}"]
    note = mixed_vintages_note(diag.summary)
    assert f"RP {jobs} :" in note and f"RP {people} :" in note
    synthese = tables(diag)["synthese"].set_index("indicateur")
    assert f"RP {jobs}" in synthese.loc["emplois", "millesime"] and f"RP {people}" in synthese.loc["pop_rp", "millesime"]
    assert note in sources_text(diag)


@needs_shared
def test_the_diagnostic_page_warns_on_both_tables(shared_root, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(shared_root))
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app_pages" / "2_Diagnostic.py"), default_timeout=120)
    at.query_params["epci"] = "248000531"
    at.run()
    assert not at.exception
    assert any("millésimes du recensement" in w.value and "RP 2018 :" in w.value for w in at.warning)  # Synthèse
    at.session_state["diag_onglet"] = "EPCI et disparités"
    at.run()
    assert not at.exception and any("millésimes du recensement" in w.value for w in at.warning)
    st.cache_resource.clear()
