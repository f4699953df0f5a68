"""The « Trajectoire » tab in a real browser, on a cache built from ``../shared/data``: the charts render (Vega draws
them), French numbers on their axes, the age notice, nothing loaded from the Internet."""

from __future__ import annotations

import pytest

from tests.browser.helpers import LONG, open_tab, running_server, settle, shot, watch
from tests.conftest import needs_shared

pytestmark = [pytest.mark.browser, needs_shared]

AMIENS, VAL_DE_SOMME = "248000531", "248000499"


@pytest.fixture(scope="module")
def shared_server(shared_root, tmp_path_factory):
    with running_server(shared_root, tmp_path_factory.mktemp("projets"), "streamlit_trajectoire.log") as (url, _):
        yield url


def test_trajectory_tab_draws_the_trends_of_the_territory_and_its_comparators(browser, shared_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(45_000)
    try:
        page = watch(context.new_page(), shared_server)
        page.goto(f"{shared_server}/Diagnostic?epci={AMIENS},{VAL_DE_SOMME}")
        open_tab(page, "Trajectoire")
        page.get_by_text("Structure par âge : fichier absent, importer").wait_for(timeout=LONG)
        charts = page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stVegaLiteChart]').length >= 6", timeout=LONG)
        settle(page)
        assert charts.count() >= 6
        assert page.get_by_text("Solde migratoire apparent").count() >= 1
        assert page.get_by_text("Somme (80)").count() >= 1  # the département among the comparators
        shot(page, "30_trajectoire")
        assert page.failed == [] and page.external == []
    finally:
        context.close()
