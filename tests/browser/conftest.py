"""The app started as the README says (``python -m ui.serve``) and Debian's chromium driven by Playwright.

The server reads the embedded cache built once per test session (``embedded_root``), so no test
needs the network. Each page records failed requests and any request leaving 127.0.0.1: the maps
must work offline. Screenshots go to ``artifacts/`` (git-ignored); timings are printed at the end.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.browser.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMINGS, run_log, running_server, shot, watch


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, when the browser or the JS assets are absent (CI installs both, and there such a skip fails:
    ``tests/strict_skips.py`` recognises these reasons by the words "chromium" and "static/vendor/")."""
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


@pytest.fixture(scope="session")
def server(embedded_root, tmp_path_factory):
    """URL of the app's server on the embedded cache, with a private projects folder, for the whole session."""
    with running_server(embedded_root, tmp_path_factory.mktemp("projets")) as (url, started):
        TIMINGS["server_health_s"] = time.perf_counter() - started
        yield {"url": url, "started": started}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, server, request):
    """A fresh page; ``page.failed`` and ``page.external`` list failed requests and requests off 127.0.0.1.

    Actions wait 45 s at most by default (a loaded machine); a failed test leaves ``artifacts/FAILED_<test>.png`` and
    the page's script runs as seen in the websocket (``FAILED_<test>.runs.txt``).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(45_000)
    pg = watch(context.new_page(), server["url"])
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"FAILED_{request.node.name}.runs.txt").write_text(run_log(pg).replace(", ", "\n") + "\n")
        try:
            shot(pg, f"FAILED_{request.node.name}")
        except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the test's own failure
            print(f"no screenshot: {exc}")
    context.close()


# Window sizes of issue 13's bad-input list: 1024 px wide, 1920 px wide, a 1400 px window zoomed to 200 %
WINDOWS = {"1024": ({"width": 1024, "height": 768}, 1), "1920": ({"width": 1920, "height": 1080}, 1),
           "zoom200": ({"width": 700, "height": 500}, 2)}


@pytest.fixture(params=list(WINDOWS))
def sized(request, browser, server):
    """A fresh page in each window of ``WINDOWS`` (``page.window`` names it)."""
    viewport, scale = WINDOWS[request.param]
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="fr-FR")
    context.set_default_timeout(45_000)
    page = watch(context.new_page(), server["url"])
    page.window = request.param
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("browser timings")
        for key, value in TIMINGS.items():
            terminalreporter.write_line(f"{key:34} {value:8.2f}")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "browser_timings.json").write_text(json.dumps(TIMINGS, indent=2))
