"""A real ``streamlit run app.py`` and Debian's chromium driven by Playwright.

The server reads the embedded cache built once per test session (``embedded_root``), so no test
needs the network. Each page records failed requests and any request leaving 127.0.0.1: the maps
must work offline. Screenshots go to ``artifacts/`` (git-ignored); timings are printed at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMINGS


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, when the browser or the JS assets are absent (CI installs both)."""
    reasons = []
    if not CHROMIUM.exists():
        reasons.append(f"{CHROMIUM} absent (apt-get install --no-install-recommends chromium; .ci/run does it)")
    if not (ROOT / "static" / "vendor" / "leaflet" / "leaflet.js").exists():
        reasons.append("static/vendor/ absent (npm ci)")
    if reasons:
        skip = pytest.mark.skip(reason="; ".join(reasons))
        for item in items:
            if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def server(embedded_root):
    """URL of a streamlit server on a free port; stopped (its process only) at the end of the session."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PTCE_GEO_DATA_DIR": str(embedded_root), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "wb")  # noqa: SIM115 - closed after the process
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = started + 90
        while not _healthy(url):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"streamlit did not start (exit {proc.poll()}); see {ARTIFACTS / 'streamlit.log'}")
            time.sleep(0.2)
        TIMINGS["server_health_s"] = time.perf_counter() - started
        yield {"url": url, "started": started}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    """A fresh page; ``page.failed`` and ``page.external`` list failed requests and requests off 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    pg = context.new_page()
    pg.failed, pg.external = [], []
    pg.on("requestfailed", lambda r: pg.failed.append(f"{r.url} ({r.failure})"))
    pg.on("request", lambda r: None if r.url.startswith((server["url"], "data:", "blob:", "about:")) else pg.external.append(r.url))
    yield pg
    context.close()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("browser timings")
        for key, value in TIMINGS.items():
            terminalreporter.write_line(f"{key:34} {value:8.2f}")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "browser_timings.json").write_text(json.dumps(TIMINGS, indent=2))
