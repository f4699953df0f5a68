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

from tests.browser.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, TIMINGS, shot

STARTUP_S = 180  # a cold ``streamlit run`` on a loaded 2-core machine; measured here: < 1 s idle, a few s loaded


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


def _start(embedded_root, projects) -> tuple[subprocess.Popen, str, float]:
    """Start ``streamlit run app.py`` on a free port; (process, URL, start time). A port taken meanwhile makes it exit."""
    port = _free_port()
    env = {**os.environ, "PTCE_GEO_DATA_DIR": str(embedded_root), "PTCE_GEO_PROJECTS_DIR": str(projects),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = open(ARTIFACTS / "streamlit.log", "ab")  # noqa: SIM115 - the child holds it; closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    return proc, f"http://127.0.0.1:{port}", time.perf_counter()


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server(embedded_root, tmp_path_factory):
    """URL of a streamlit server on a free port, with a private projects folder; stopped (its process only) at the end.

    Waits for the health endpoint up to ``STARTUP_S``; a server that exits at once (port taken between the probe and
    the bind) is started again on another port, twice at most.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "streamlit.log").write_bytes(b"")
    projects = tmp_path_factory.mktemp("projets")
    for attempt in range(3):
        proc, url, started = _start(embedded_root, projects)
        while not _healthy(url) and proc.poll() is None and time.perf_counter() - started < STARTUP_S:
            time.sleep(0.25)  # polling an HTTP endpoint: the only way to see a server come up
        if _healthy(url):
            break
        exited = proc.poll() is not None  # on its own: most likely the port, taken between the probe and the bind
        _stop(proc)
        if not exited or attempt == 2:
            raise RuntimeError(f"streamlit did not answer within {STARTUP_S} s (exit {proc.returncode}); see {ARTIFACTS / 'streamlit.log'}")
    TIMINGS["server_health_s"] = time.perf_counter() - started
    try:
        yield {"url": url, "started": started}
    finally:
        _stop(proc)


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

    Actions wait 45 s at most by default (a loaded machine); a failed test leaves ``artifacts/FAILED_<test>.png``.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(45_000)
    pg = context.new_page()
    pg.failed, pg.external = [], []
    # net::ERR_ABORTED is a request the page cancelled itself (a reload or a page change while Streamlit was still
    # fetching a script chunk): not a failed load. Requests leaving the machine are recorded apart, in ``external``.
    pg.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else pg.failed.append(f"{r.url} ({r.failure})"))
    pg.on("request", lambda r: None if r.url.startswith((server["url"], "data:", "blob:", "about:")) else pg.external.append(r.url))
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            shot(pg, f"FAILED_{request.node.name}")
        except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the test's own failure
            print(f"no screenshot: {exc}")
    context.close()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("browser timings")
        for key, value in TIMINGS.items():
            terminalreporter.write_line(f"{key:34} {value:8.2f}")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "browser_timings.json").write_text(json.dumps(TIMINGS, indent=2))
