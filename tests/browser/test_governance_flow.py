"""« Gouvernance et modèle économique » in a real browser: a technical function and a funding line entered, the page
reloaded, both still shown with their alerts (no ingénierie; the coordination post's funding ends within six months).

The project (two actors, nothing else) is written with the library into the server's own projects folder, then opened by
its link: the test is about this tab, not about importing an inventory. Every wait is on what the page shows.
"""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pytest
import shapely
from playwright.sync_api import expect

from ptce_geo.project import Project, project_path, save_project
from tests.browser.helpers import LONG, open_tab, running_server, settle, shot, watch
from ui.governance_panel import today

pytestmark = pytest.mark.browser

NAME = "PTCE gouvernance"
TAB = "Gouvernance et modèle économique"


@pytest.fixture
def server_with_project(embedded_root, tmp_path):
    folder = tmp_path / "projets"
    folder.mkdir()
    actors = gpd.GeoDataFrame({"nom": ["Recyclerie du Loing", "Mairie de Montargis"]},
                              geometry=[shapely.Point(2.73, 48.0), shapely.Point(2.74, 48.0)], crs=4326)
    save_project(Project(name=NAME, actors=actors), project_path(folder, NAME))
    with running_server(embedded_root, folder, "streamlit_gouvernance.log") as (url, _):
        yield url


def field(page, key: str):
    """The input of the widget with key ``key`` (other tabs hold widgets with the same label)."""
    return page.locator(f'.st-key-{key}:not([data-stale="true"]) input:not([type="date"])')


def choose(page, key: str, option: str) -> None:
    """Type in a selectbox (typing opens its list even when the click only focused it), then click the option."""
    box = field(page, key)
    box.click()
    box.press_sequentially(option[:6], delay=15)
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("option")).to_have_count(0)  # the list closed on the choice


def date_field(page, key: str, day) -> None:
    """Type a day into Streamlit's segmented date field (day, month, year segments, each moving to the next when full)."""
    segments = page.locator(f'.st-key-{key}:not([data-stale="true"]) [role="spinbutton"]')
    segments.first.click()
    page.keyboard.type(f"{day:%d%m%Y}", delay=40)
    page.keyboard.press("Tab")
    expect(segments).to_have_text([f"{day:%d}", f"{day:%m}", f"{day:%Y}"])


def open_governance(page, url: str) -> None:
    page.goto(f"{url}/Projet?projet={NAME}")
    page.get_by_role("heading", name=NAME).wait_for(timeout=LONG)
    settle(page)
    open_tab(page, TAB)
    page.get_by_text("Fonctions techniques", exact=True).wait_for()


def test_a_function_and_a_funding_line_survive_a_reload_with_their_alerts(browser, server_with_project):
    url, day = server_with_project, today()
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, locale="fr-FR")
    context.set_default_timeout(45_000)
    page = watch(context.new_page(), url)
    try:
        open_governance(page, url)
        choose(page, "gov_f_fonction", "coordination")
        choose(page, "gov_f_titulaire", "Recyclerie du Loing")
        field(page, "gov_f_etp").fill("0,8")
        page.get_by_role("button", name="Ajouter la fonction").click()
        page.get_by_text("Fonction « coordination » ajoutée.").wait_for()
        settle(page)

        field(page, "gov_m_source").fill("Région, dispositif PTCE")
        choose(page, "gov_m_nature", "subvention publique")
        field(page, "gov_m_montant").fill("40 000")
        date_field(page, "gov_m_debut", day - timedelta(days=300))
        date_field(page, "gov_m_fin", day + timedelta(days=45))
        page.get_by_text("Finance le poste de coordination").click()
        page.get_by_role("button", name="Ajouter le financement").click()
        page.get_by_text("Financement « Région, dispositif PTCE » ajouté.").wait_for()
        settle(page)
        shot(page, "16_gouvernance_saisie")

        page.reload()
        open_governance(page, url)
        table = page.locator('[data-testid="stDataFrame"]')
        expect(table.filter(has_text="Recyclerie du Loing")).to_have_count(1)
        expect(table.filter(has_text="Région, dispositif PTCE")).to_have_count(1)
        expect(page.get_by_text("Aucun temps d'ingénierie n'est assuré", exact=False)).to_have_count(1)
        expect(page.get_by_text("Le financement du poste de coordination se termine", exact=False)).to_have_count(1)
        expect(page.locator('[data-testid="stMetricValue"]').filter(has_text=f"{day + timedelta(days=45):%d/%m/%Y}")).to_have_count(1)
        shot(page, "17_gouvernance_rechargee")
        assert [f for f in page.failed if "net::ERR_ABORTED" not in f] == [] and page.external == []
    except Exception:
        shot(page, "FAILED_gouvernance")
        raise
    finally:
        context.close()
