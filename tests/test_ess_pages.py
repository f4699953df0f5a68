"""The « ESS » tab of the Diagnostic page and the Acteurs page suggestions (AppTest), without and with Sirene tables."""

from __future__ import annotations

import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ptce_geo.sources.sirene import aggregate, write_store
from tests.sirene_files import ESTABLISHMENT_HEADER, UNIT_HEADER, establishments_frame, units_frame, write_zip
from tests.test_pages import diagnostic_section

AMIENS = "248000531"


def diagnostic_ess(root, monkeypatch) -> AppTest:
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(root))
    st.cache_resource.clear()
    return diagnostic_section(AMIENS, "ESS")


def test_without_sirene_the_tab_says_data_absent(app_data, monkeypatch):
    at = diagnostic_ess(app_data, monkeypatch)
    assert not at.exception
    assert any("Sirene : données absentes" in i.value and "--only sirene" in i.value for i in at.info)


@pytest.fixture
def sirene_root(embedded_root, embedded, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    amiens = list(embedded.communes.index[embedded.communes["code_epci"] == AMIENS][:6]) + ["75101", "13055"]
    ul = write_zip(tmp_path / "ul.zip", "StockUniteLegale_utf8.csv", [units_frame(500)], UNIT_HEADER)
    et = write_zip(tmp_path / "et.zip", "StockEtablissement_utf8.csv", [establishments_frame(4_000, 500, amiens)], ESTABLISHMENT_HEADER)
    tables = aggregate(ul, et, tmp_path)
    write_store(root, tables, {"date": "2026-11-27T12:00:00+00:00", "fichiers": [{"url": "http://127.0.0.1/StockUniteLegale_utf8.zip"}]})
    yield root, tables
    st.cache_resource.clear()


def test_with_sirene_the_tab_gives_the_ess_weight(sirene_root, monkeypatch):
    root, tables = sirene_root
    at = diagnostic_ess(root, monkeypatch)
    assert not at.exception
    overview = next(df.value for df in at.dataframe if "Part de l'ESS" in df.value.columns).set_index("Niveau")
    total, ess = tables["etablissements_actifs"], tables["ess"]
    in_amiens = ~total["code_commune"].isin(["75101", "13055"])
    expected = ess[~ess["code_commune"].isin(["75101", "13055"])]["n"].sum() / total[in_amiens]["n"].sum()
    assert overview.loc["Territoire", "Part de l'ESS"] == f"{round(100 * expected)} %"
    assert "France" in overview.index
    assert any("vérifiée que sur des fichiers générés" in c.value for c in at.caption)


def test_zonages_tab_says_qpv_absent_without_the_anct_file(app_data, monkeypatch):
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(app_data))
    at = diagnostic_section(AMIENS, "Zonages")
    assert not at.exception
    assert any(i.value.startswith("QPV : données absentes") and "--only qpv" in i.value for i in at.info)
