"""The finished interface with Streamlit's AppTest: one CSV flavour for the whole session, French text on every page
(no raw Python or pandas value), numbers in French format."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
AMIENS = "248000531"


def app(**params) -> AppTest:
    """The app from its entry point (so that page links resolve), with ``params`` in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_csv_flavour_is_the_same_on_every_page_and_remembered_for_the_session(app_data):
    at = app(epci=AMIENS).switch_page("pages/3_Export.py").run()
    assert at.radio(key="exp_format").value == "standard"
    at.switch_page("pages/4_Acteurs.py").run()
    at.button(key="act_vide").click().run()
    assert at.radio(key="act_export_format").value == "standard"  # the same default on both pages
    at.radio(key="act_export_format").set_value("excel-fr").run()
    at.switch_page("pages/3_Export.py").run()
    assert at.radio(key="exp_format").value == "excel-fr"  # the choice follows the user
    at.radio(key="exp_format").set_value("standard").run()
    at.switch_page("pages/4_Acteurs.py").run()
    assert at.radio(key="act_export_format").value == "standard"
