"""The zoning layers on the Territoire map, in a real browser, on the real datasets (skipped without ../shared/data)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ptce_geo.mapping import ZONING_STYLES
from tests.browser.conftest import _free_port, _healthy
from tests.browser.helpers import ARTIFACTS, ROOT, shot
from tests.conftest import needs_shared

pytestmark = [pytest.mark.browser, needs_shared]

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
AMIENS, VAL_DE_SOMME = "248000531", "248000499"


@pytest.fixture(scope="module")
def shared_server(shared_root):
    """A streamlit server on the cache built from ../shared/data; its own process stopped at the end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PTCE_GEO_DATA_DIR": str(shared_root), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit_zonages.log", "wb")  # noqa: SIM115 - closed after the process
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
                             str(port), "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.perf_counter() + 90
        while not _healthy(url):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"streamlit did not start (exit {proc.poll()}); see {ARTIFACTS / 'streamlit_zonages.log'}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ticking_the_box_draws_the_bassins_and_zones_d_emploi_touched(browser, shared_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(f"{shared_server}/Territoire?epci={AMIENS},{VAL_DE_SOMME}")
        frame = page.frame_locator(MAP_IFRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=90_000)
        bv = frame.locator(f'path[stroke="{ZONING_STYLES["bv2022"]["color"]}"]')
        ze = frame.locator(f'path[stroke="{ZONING_STYLES["ze2020"]["color"]}"]')
        assert bv.count() == 0
        page.get_by_text("Zonages sur la carte").click()
        bv.nth(5).wait_for(timeout=60_000)  # 6 bassins de vie touched by Amiens Métropole + Val de Somme
        ze.first.wait_for(timeout=10_000)
        shot(page, "zonages_carte")
        assert bv.count() == 6 and ze.count() == 1 and failed == []
    finally:
        context.close()
