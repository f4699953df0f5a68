"""Every page, rendered with AppTest on the embedded data, reads as French: no Python value leaks into the text."""

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.alerts import Alert
from ui.report import _figures

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
AMIENS, VAL_DE_SOMME = "248000531", "248000499"
# Python or English values, pluralisation by brackets, a minus zero, a decimal dot (not a version number such as 1.1.0)
LEAKS = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\bnan\b|\bNaN\b|\bempty\b|\(s\)|-0(,0+)?(?![\d,])|(?<![\d.])\d+\.\d+(?![\d.])")
_TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "exception")


def rendered_text(at: AppTest) -> list[str]:
    """Visible strings: text elements, metric labels and values, widget labels and options, expander, tab and section labels."""
    out = [str(e.value) for kind in _TEXT_KINDS for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    out += [str(w.label) for kind in ("button", "checkbox", "toggle", "text_input", "selectbox", "multiselect", "radio")
            for w in getattr(at, kind)]
    out += [str(o) for kind in ("selectbox", "radio") for w in getattr(at, kind) for o in w.options]
    out += [str(e.label) for e in at.expander] + [str(t.label) for t in at.tabs] + [str(o) for g in at.button_group for o in g.options]
    return out


def table_leaks(at: AppTest) -> list[str]:
    """Cells shown to people that are booleans, or text saying None/True/False/nan."""
    bad = []
    for df in at.dataframe:
        frame = df.value if isinstance(df.value, pd.DataFrame) else pd.DataFrame(df.value)
        for col in frame.columns:
            if frame[col].dtype == bool:
                bad.append(f"colonne booléenne « {col} »")
            elif frame[col].dtype == object:
                bad += [f"{col}: {v!r}" for v in frame[col] if isinstance(v, bool) or (isinstance(v, str) and LEAKS.search(v))]
    return bad


def check(at: AppTest, where: str) -> None:
    assert not at.exception, (where, [e.value for e in at.exception])
    leaks = [t for t in rendered_text(at) if LEAKS.search(t)]
    assert not leaks, (where, [LEAKS.search(t).group(0) + " in " + t[:160] for t in leaks])
    assert not table_leaks(at), (where, table_leaks(at))
    # an empty multiselect shows its placeholder, Streamlit's English « Choose options » unless one is given
    english = [w.label for w in at.multiselect if not w.placeholder or w.placeholder.startswith("Choose")]
    english += [w.label for w in at.selectbox if (w.placeholder or "").startswith("Choose")]
    assert not english, (where, "placeholder anglais", english)


def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_no_auto_discovered_pages_folder_next_to_the_app():
    """Streamlit auto-discovers a ``pages/`` folder beside the main script: on a fresh server whose first request was
    /Territoire, the sidebar listed « app » above « Accueil » (seen in chromium). The pages live in ``app_pages/``."""
    assert not (ROOT / "pages").exists()
    assert sorted(p.name for p in (ROOT / "app_pages").glob("[0-9]*_*.py"))[0] == "0_Accueil.py"


def test_home_is_listed_as_accueil_and_page_urls_stay(app_data):
    at = open_page("")
    pages = {info["page_name"]: info["url_pathname"] for info in at._registered_pages.values()}
    assert pages == {"Accueil": "", "Territoire": "Territoire", "Diagnostic": "Diagnostic", "Export": "Export",
                     "Acteurs": "Acteurs", "Projet": "Projet"}
    check(at, "Accueil")
    text = " ".join(rendered_text(at))
    assert "python -m ptce_geo data import" in text and "data update" in text
    for acronym in ("EPCI", "COG", "AAV", "RP", "QPV", "ESS", "PTCE"):
        assert f"**{acronym}**" in text, acronym


@pytest.mark.parametrize("page", ["app_pages/1_Territoire.py", "app_pages/3_Export.py", "app_pages/4_Acteurs.py", "app_pages/5_Projet.py"])
def test_pages_with_a_territory_read_as_french(app_data, page):
    check(open_page(page, epci=f"{AMIENS},{VAL_DE_SOMME}"), page)


def test_every_diagnostic_tab_reads_as_french(app_data):
    at = open_page("app_pages/2_Diagnostic.py", epci=f"{AMIENS},{VAL_DE_SOMME}")
    check(at, "Synthèse")
    for tab in ("EPCI et disparités", "Rural / urbain", "Zonages", "Alertes", "Sources"):
        at.session_state["diag_onglet"] = tab
        at.run()
        check(at, tab)


def test_alert_figures_are_words_not_json():
    alert = Alert("X", "info", "m", {"nombre_epci": 2, "types": {"CA": 1, "CC": 1}, "seuils": (1.6, 0.25), "partiel": True,
                                     "codes": ["80021", "80001"], "part": 0.1234, "population": 123456.0})
    values = dict(zip(*_figures(alert).to_dict("list").values(), strict=True))
    assert values == {"Nombre EPCI": "2", "Types": "CA : 1 ; CC : 1", "Seuils": "1,6 et 0,25", "Partiel": "oui",
                      "Codes": "80021, 80001", "Part": "0,1234", "Population": "123\u202f456"}


def test_snapshot_differences_never_show_a_signed_zero_or_a_boolean():
    from ui.project import _number, _signed

    assert [_signed(v, 2) for v in (0.001, -0.001, 2.5, -3, 0, None)] == ["0,00", "0,00", "+2,50", "-3,00", "0,00", ""]
    assert [_signed(v, 0) for v in (0.4, -0.4, 2.5, -3)] == ["0", "0", "+2", "-3"]
    assert (_number(True), _number(False), _number(12.0), _number(1234.56)) == ("oui", "non", "12", "1\u202f234,6")


def test_acteurs_page_with_an_inventory_reads_as_french(app_data):
    from tests.test_collective_editing import BAD, MONTARGOISE

    at = open_page("app_pages/4_Acteurs.py", epci=MONTARGOISE)
    at.file_uploader(key="act_fichier").set_value(("acteurs.csv", BAD.encode(), "text/csv"))
    check(at.run(), "Acteurs avec inventaire")


def test_alert_shares_read_as_percentages_and_indicators_by_name():
    from ptce_geo.indicators import indicator

    alert = Alert("X", "info", "m", {"part_population": 0.4665, "indicateurs_manquants": ["taux_chomage", "med_niveau_vie"],
                                     "epci_partiels": [{"code_epci": "200070993", "nom": "CA Baie", "communes_total": 43}]})
    values = dict(zip(*_figures(alert).to_dict("list").values(), strict=True))
    assert values == {"Part population": "46,7 %",
                      "Indicateurs manquants": f"{indicator('taux_chomage').label}, {indicator('med_niveau_vie').label}",
                      "EPCI partiels — CA Baie": "SIREN : 200070993 ; communes de l'EPCI : 43"}
