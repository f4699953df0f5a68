"""The zoning layers on the Territoire map, in a real browser, on the real datasets (skipped without ../shared/data)."""

from __future__ import annotations

import pytest

from ptce_geo.mapping import ZONING_STYLES
from tests.browser.helpers import TERRITOIRE_MAP, running_server, shot, wait_epci_shown, watch
from tests.conftest import needs_shared

pytestmark = [pytest.mark.browser, needs_shared]

AMIENS, VAL_DE_SOMME = "248000531", "248000499"


@pytest.fixture(scope="module")
def shared_server(shared_root, tmp_path_factory):
    """A streamlit server on the cache built from ../shared/data; its own process stopped at the end."""
    with running_server(shared_root, tmp_path_factory.mktemp("projets"), "streamlit_zonages.log") as (url, _):
        yield url


def test_ticking_the_box_draws_the_bassins_and_zones_d_emploi_touched(browser, shared_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = watch(context.new_page(), shared_server)
    try:
        page.goto(f"{shared_server}/Territoire?epci={AMIENS},{VAL_DE_SOMME}")
        frame = page.locator(TERRITOIRE_MAP)
        wait_epci_shown(page, timeout=90_000)
        bv = frame.locator(f'path[stroke="{ZONING_STYLES["bv2022"]["color"]}"]')
        ze = frame.locator(f'path[stroke="{ZONING_STYLES["ze2020"]["color"]}"]')
        assert bv.count() == 0
        page.get_by_text("Zonages sur la carte").click()
        bv.nth(5).wait_for(timeout=60_000)  # 6 bassins de vie touched by Amiens Métropole + Val de Somme
        ze.first.wait_for(timeout=10_000)
        shot(page, "zonages_carte")
        assert bv.count() == 6 and ze.count() == 1 and page.failed == [] and page.external == []
    finally:
        context.close()
