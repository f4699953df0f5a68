"""Page logic with Streamlit's AppTest (no browser): URL parameters, selection state, home page."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui.state import Selection

ROOT = Path(__file__).resolve().parent.parent
TERRITOIRE = str(ROOT / "pages" / "1_Territoire.py")


@pytest.fixture
def app_data(embedded_root, monkeypatch):
    """Pages read the embedded cache; Streamlit's caches are emptied so no other data leaks in."""
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(embedded_root))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield embedded_root
    st.cache_resource.clear()


def run(path: str, **params) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def warnings_of(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_home_shows_counts(app_data):
    at = run(str(ROOT / "app.py"))
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Communes"] == "34 875" and values["EPCI"] == "1 253"


def test_url_selection_is_restored(app_data):
    at = run(TERRITOIRE, epci="200054781,243300316", seuil="30")
    assert not at.exception and "Paramètre" not in warnings_of(at)
    sel = at.session_state["selection"]
    assert sel.epci == ("200054781", "243300316") and sel.min_share == 0.3
    assert at.multiselect(key="ter_epci").value == ["200054781", "243300316"]
    assert any("SIREN 243300316" in m.value for m in at.markdown)


def test_garbage_url_parameters_give_a_french_warning_and_keep_the_state(app_data):
    at = run(TERRITOIRE, epci="200054781")
    at.query_params["epci"] = "n'importe-quoi"
    at.query_params["seuil"] = "beaucoup"
    at.run()
    assert not at.exception
    text = warnings_of(at)
    assert "SIREN d'EPCI invalide" in text and "« seuil » ignoré" in text
    assert at.session_state["selection"] == Selection(epci=("200054781",))


def test_picking_epci_writes_the_url(app_data):
    at = run(TERRITOIRE)
    at.multiselect(key="ter_epci").set_value(["243300316"]).run()
    assert not at.exception
    assert at.session_state["selection"].epci == ("243300316",)
    assert at.query_params["epci"] in ("243300316", ["243300316"])


def test_commune_inputs_keep_valid_codes_and_explain_the_others(app_data):
    at = run(TERRITOIRE)
    at.text_input(key="ter_communes").input("75056, 1001, 99999, abc").run()
    assert not at.exception
    assert at.session_state["selection"].communes == ("75056", "01001")
    text = warnings_of(at)
    assert "99999" in text and "Code commune INSEE invalide : « abc »" in text
    assert at.query_params["communes"] in ("75056,01001", ["75056,01001"])


def test_url_warnings_stay_until_the_selection_changes(app_data):
    at = run(TERRITOIRE, epci="200054781,abc")
    assert "abc" in warnings_of(at)
    at.run()  # e.g. the map component's first message
    assert "abc" in warnings_of(at)
    at.multiselect(key="ter_epci").set_value([]).run()
    assert warnings_of(at) == ""
