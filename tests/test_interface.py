"""The finished interface with Streamlit's AppTest: one CSV flavour for the whole session, French text on every page
(no raw Python or pandas value), numbers in French format."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ptce_geo.diagnostic import diagnose
from ptce_geo.export import export_zip
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import needs_shared

ROOT = Path(__file__).resolve().parent.parent
AMIENS = "248000531"


def app(**params) -> AppTest:
    """The app from its entry point (so that page links resolve), with ``params`` in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_csv_flavour_is_the_same_on_every_page_and_remembered_for_the_session(app_data):
    at = app(epci=AMIENS).switch_page("app_pages/3_Export.py").run()
    assert at.radio(key="exp_format").value == "standard"
    at.switch_page("app_pages/4_Acteurs.py").run()
    at.button(key="act_vide").click().run()
    assert at.radio(key="act_export_format").value == "standard"  # the same default on both pages
    at.radio(key="act_export_format").set_value("excel-fr").run()
    at.switch_page("app_pages/3_Export.py").run()
    assert at.radio(key="exp_format").value == "excel-fr"  # the choice follows the user
    at.radio(key="exp_format").set_value("standard").run()
    at.switch_page("app_pages/4_Acteurs.py").run()
    assert at.radio(key="act_export_format").value == "standard"


# a whole cell that is a Python, pandas or code value instead of words for people
RAW_CELL = re.compile(r"^(None|nan|NaN|NaT|<NA>|True|False|true|false|empty|count|ratio|growth|median|\[\]|\{\})$")
NEAR_AMIENS = {"type": "Polygon", "coordinates": [[[2.20, 49.85], [2.40, 49.85], [2.40, 49.95], [2.20, 49.95], [2.20, 49.85]]]}


@pytest.mark.parametrize("definition", [{"epci": [AMIENS, "248000499"]}, {"polygon": NEAR_AMIENS}], ids=["two_epci", "polygon"])
@pytest.mark.parametrize("flavour", ["standard", "excel-fr"])
def test_exported_csv_cells_are_words_for_people(embedded, definition, flavour):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(**definition)))
    archive = zipfile.ZipFile(io.BytesIO(export_zip(diag, flavour)))
    names = [n for n in archive.namelist() if n.endswith(".csv")]
    assert {"synthese.csv", "communes.csv", "epci.csv"} <= set(names)
    raw = []
    for name in names:
        rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter="," if flavour == "standard" else ";"))
        raw += [f"{name} [{rows[0][i]}] {cell!r}" for row in rows[1:] for i, cell in enumerate(row) if RAW_CELL.match(cell.strip())]
        raw += [f"{name} heading {cell!r}" for cell in rows[0] if RAW_CELL.match(cell.strip())]
    assert raw == []
    kinds = pd.read_csv(io.BytesIO(archive.read("synthese.csv")), sep="," if flavour == "standard" else ";")["type"]
    assert {"effectif (somme)", "taux (rapport des sommes)"} <= set(kinds) <= {
        "effectif (somme)", "taux (rapport des sommes)", "évolution annuelle moyenne", "médiane"}


@needs_shared
def test_charts_write_numbers_the_french_way(shared_root, monkeypatch):
    """Every Vega-Lite chart of the diagnostic carries the French number locale (decimal comma, narrow space); the
    embedded data has no indicator to chart, so this reads the real datasets."""
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(shared_root))
    st.cache_resource.clear()
    at = app(epci=f"{AMIENS},248000499").switch_page("app_pages/2_Diagnostic.py").run()
    specs = []
    for tab in ("EPCI et disparités", "Rural / urbain"):
        at.session_state["diag_onglet"] = tab
        at.run()
        specs += [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) >= 2
    assert [s["config"]["locale"]["number"]["decimal"] for s in specs] == [","] * len(specs)
    assert [s["config"]["locale"]["number"]["thousands"] for s in specs] == ["\u202f"] * len(specs)
    # the rural/urban bar is the whole territory: its share axis ends at 100 %, not at a rounded-up 120 %
    shares = [s for s in specs if s.get("encoding", {}).get("x", {}).get("field") == "part"]
    assert len(shares) == 1
    assert shares[0]["encoding"]["x"]["scale"]["domain"] == [0, 1] and max(shares[0]["encoding"]["x"]["axis"]["values"]) == 1
