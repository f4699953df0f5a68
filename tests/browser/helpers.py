"""Constants and helpers shared by the browser conftest and tests (one module, so one ``TIMINGS``).

Every wait is on a condition, never a fixed sleep: Streamlit's own script-run state
(``data-test-script-state`` on ``stApp``) and stale elements, the Leaflet map's zoom, the
Leaflet.draw handler's readiness for the next vertex. Timeouts are generous (a loaded CI machine
runs a rerun in seconds, not milliseconds) but bounded.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

__all__ = [
    "ROOT", "ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "TIMINGS", "MAP_IFRAME", "TERRITOIRE_MAP", "PAINTED_JS", "LONG", "wait_epci_shown",
    "epci_count", "shot",    "settle", "open_map", "open_tab", "section_button", "pick_epci", "draw_vertex", "draw_polygon", "zoom_in", "uploader",
    "stop_process", "track_runs", "runs_finished", "wait_run_after", "run_log",
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium calls Google's hosts at start (refused offline).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMINGS: dict[str, float] = {}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'  # the maps streamlit-folium still draws (Diagnostic, Acteurs)
# The Territoire map, drawn in the page itself (ui.leaflet_map): its element; its Leaflet map is ``window.ptceMap``.
TERRITOIRE_MAP = "div.ptce-map"
# EPCI painted in a map's view. The France-wide layer (``map.ptceEpci``, ptce_geo.national_layer) paints on a canvas: an
# EPCI is in view when a part of it is left after Leaflet clipped it to the view, and painted once the canvas has no
# repaint pending. Over every map element of the page: a new map replaces the element.
_EPCI_LAYERS_JS = f"""() => [...document.querySelectorAll('{TERRITOIRE_MAP}')]
    .map(d => d.ptceMap && d.ptceMap.ptceEpci).filter(l => !!l)"""
PAINTED_JS = """(l) => { const r = l.options.renderer;
    return r._map && !r._redrawRequest ? l.getLayers().filter(p => p._parts && p._parts.length).length : 0; }"""
_EPCI_SHOWN_JS = f"""(n) => ({_EPCI_LAYERS_JS})().some(l => ({PAINTED_JS})(l) > n)"""
LONG = 180_000  # ms: a cold page (reference loaded, 2 MB map) on a loaded 2-core machine: 72 s measured at load 19

# True once Streamlit has finished its run and no element is stale, for ``quiet`` ms in a row: a component's
# value or a callback may start the next run a few ms after the previous one ended.
_SETTLED_JS = """(quiet) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const busy = !app || app.dataset.testScriptState !== 'notRunning' || document.querySelector('[data-stale="true"]') !== null
        || document.querySelector('[data-testid="stSkeleton"]') !== null;
    const now = performance.now();
    if (busy || window.__ptceQuietSince === undefined) { window.__ptceQuietSince = busy ? undefined : now; return false; }
    return now - window.__ptceQuietSince >= quiet;
}"""

# The polygon/rectangle handler of the map's Leaflet.draw control (``map.ptceDraw``, ui/leaflet_map.js).
_DRAW_HANDLER_JS = """() => {
    const draw = window.ptceMap && window.ptceMap.ptceDraw;
    return draw ? draw._toolbars.draw._modes.polygon.handler : null;
}"""
# Ready for the next vertex: the press and release were handled, and Leaflet.draw's 50 ms lock on new vertices is over;
# or the shape was closed (handler disabled).
_DRAW_READY_JS = f"""() => {{
    const h = ({_DRAW_HANDLER_JS})();
    return h !== null && (!h.enabled() || (!h._clickHandled && !h._disableMarkers && !h._mouseDownOrigin));
}}"""


def watch(page, base_url: str):
    """Record on ``page.failed`` the loads that failed and on ``page.external`` the requests leaving ``base_url``; track
    the app's script runs (``track_runs``).

    net::ERR_ABORTED is a request the page cancelled itself (a reload or a page change while Streamlit was still
    fetching a script chunk): not a failed load.
    """
    page.failed, page.external = [], []
    page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else page.failed.append(f"{r.url} ({r.failure})"))
    page.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:", "about:")) else page.external.append(r.url))
    return track_runs(page)


def _on_sent(page, payload) -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    if isinstance(payload, bytes):
        kind = BackMsg.FromString(payload).WhichOneof("type")
        if kind == "rerun_script":
            page.runs.append((time.perf_counter(), "rerun asked"))


def _on_received(page, payload) -> None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if not isinstance(payload, bytes) or len(payload) > 65536:  # a script_finished message is a few bytes; deltas can be MB
        return
    msg = ForwardMsg.FromString(payload)
    kind = msg.WhichOneof("type")
    if kind == "new_session":
        page.runs.append((time.perf_counter(), "run started"))
    elif kind == "script_finished":
        status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
        page.runs.append((time.perf_counter(), status))
        if status != "FINISHED_EARLY_FOR_RERUN":  # an interrupted run is followed by the one that replaced it
            page.runs_done += 1


def track_runs(page):
    """Count on ``page.runs_done`` the script runs the app finished for this page, read from Streamlit's own websocket
    messages (``script_finished``); ``page.runs`` keeps their timeline for a failure's log.

    The DOM's ``data-test-script-state`` cannot tell: on a loaded machine the start and the end of a short run reach
    the browser together, React renders them at once and the attribute never reads « running »."""
    page.runs, page.runs_done, page.stream = [], 0, None

    def on_websocket(ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            page.runs.append((time.perf_counter(), "websocket opened"))
            page.stream = ws
            ws.on("framesent", lambda payload: _on_sent(page, payload))
            ws.on("framereceived", lambda payload: _on_received(page, payload))

    page.on("websocket", on_websocket)
    return page


def runs_finished(page) -> int | None:
    """Script runs finished so far for ``page`` (None: the page was not tracked by ``track_runs``)."""
    return getattr(page, "runs_done", None)


def wait_run_after(page, before: int, timeout: float = LONG) -> None:
    """Wait until the app finished a run after the ``before``-th one (``runs_finished`` read before the action), then
    until it is idle for ``settle``'s quiet time counted from now: the page may render the run's last messages a little
    after they arrived, and a run rendered at once never reset the quiet time counted before it."""
    if page.runs_done <= before:
        try:
            page.stream.wait_for_event("framereceived", predicate=lambda _: page.runs_done > before, timeout=timeout)
        except PlaywrightError as exc:
            raise AssertionError(f"no script run finished after the action: {exc}; {run_log(page)}") from exc
    page.evaluate("() => { window.__ptceQuietSince = undefined; }")
    settle(page, timeout=timeout)


def run_log(page) -> str:
    """The page's script-run timeline (seconds, event), for a failure's message."""
    runs = getattr(page, "runs", [])
    start = runs[0][0] if runs else 0
    return "runs: " + ", ".join(f"{t - start:.2f} {event}" for t, event in runs)


def shot(page, name: str) -> None:
    """Full-page screenshot to ``artifacts/NAME.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def settle(page, quiet: int = 300, timeout: float = LONG) -> None:
    """Wait until the app is idle: script run finished, no stale element, for ``quiet`` ms in a row."""
    page.wait_for_function(_SETTLED_JS, arg=quiet, polling=50, timeout=timeout)


# Set before a click: records whether the app ran its script afterwards (a run can be too short to be seen by polling).
_WATCH_RUN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__ptceRan = false;
    new MutationObserver((_, observer) => {
        if (app.dataset.testScriptState === 'running') { window.__ptceRan = true; observer.disconnect(); }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def open_tab(page, name: str, exact: bool = False) -> None:
    """Show a tab (``st.tabs``: switched in the browser, no run) or a section of the Diagnostic page's
    segmented control, then wait for the run that choice starts and its end: that run replaces the section's widgets,
    so text typed or a download clicked before it ends can be lost. Waiting for quiet alone was not enough: on a loaded
    machine the run could start after 300 quiet ms. The section already shown starts none.

    On a page tracked by ``track_runs`` the run is seen in the websocket messages; otherwise by a MutationObserver on the
    script state, which can miss a run whose start and end are rendered at once (a loaded machine)."""
    tab = page.get_by_role("tab", name=name, exact=exact).or_(section_button(page, name, exact))
    tab.wait_for(timeout=LONG)
    settle(page)
    if tab.get_attribute("role") == "tab":
        tab.click(timeout=LONG)
        page.wait_for_function("e => e.getAttribute('aria-selected') === 'true'", arg=tab.element_handle(), polling=50)
        settle(page)
        return
    if tab.get_attribute("aria-checked") != "true":
        before = runs_finished(page)
        if before is not None:
            tab.click(timeout=LONG)
            wait_run_after(page, before)
            return
        page.evaluate(_WATCH_RUN_JS)
        tab.click(timeout=LONG)
        page.wait_for_function("() => window.__ptceRan === true", polling=50, timeout=LONG)
    settle(page)


def section_button(page, name: str, exact: bool = False):
    """A choice of a segmented control (the Diagnostic page's sections): a button with the radio role."""
    return page.locator("[data-testid=stButtonGroup]").get_by_role("radio", name=name, exact=exact)


def every_page_and_tab(page, url: str, epci: str, project: str):
    """Open every page and each of its tabs on the EPCI ``epci`` (the Acteurs page on an empty inventory, the Projet
    page on a new project named ``project`` and a random suffix), yielding a name for each place once it is shown."""
    page.goto(url + "/")
    page.get_by_role("heading", name="Données chargées").wait_for(timeout=LONG)
    yield "accueil"
    page.goto(url + f"/Territoire?epci={epci}")
    page.get_by_text(f"— SIREN {epci}").first.wait_for(timeout=LONG)
    yield from _tabs(page, "territoire", ("EPCI", "Dessin ou contour", "Communes"))
    page.goto(url + f"/Diagnostic?epci={epci}")
    section_button(page, "Synthèse").wait_for(timeout=LONG)
    yield from _tabs(page, "diagnostic", ("Synthèse", "EPCI et disparités", "Rural / urbain", "Zonages", "Alertes", "Sources"))
    page.goto(url + f"/Export?epci={epci}")
    page.get_by_text("Fichier par fichier").wait_for(timeout=LONG)
    yield "export"
    page.goto(url + f"/Acteurs?epci={epci}")
    page.get_by_role("button", name="Commencer un inventaire vide").click()
    page.get_by_role("tab", name="Rapport d'import").wait_for(timeout=LONG)
    yield "acteurs_carte"
    yield from _tabs(page, "acteurs", ("Rapport d'import", "Modifier le tableau", "Synthèse du territoire", "Collectif", "Exporter"))
    page.goto(url + f"/Projet?epci={epci}")
    page.get_by_label("Nom du projet").fill(f"{project} {uuid.uuid4().hex[:6]}")
    page.get_by_label("Nom du projet").press("Enter")
    page.get_by_role("button", name="Créer le projet").click()
    page.get_by_role("tab", name="Instantanés").wait_for(timeout=LONG)
    yield from _tabs(page, "projet", ("Territoires", "Constats partagés", "Profil du PTCE", "Instantanés"))


def _tabs(page, prefix: str, names: tuple[str, ...]):
    for name in names:
        open_tab(page, name, exact=True)
        yield f"{prefix}_{name}"


def wait_epci_shown(page, more_than: int = 0, timeout: float = LONG) -> None:
    """Wait until a map of the page has painted more than ``more_than`` EPCI in its view."""
    page.wait_for_function(_EPCI_SHOWN_JS, arg=more_than, polling=50, timeout=timeout)


def epci_count(page) -> int:
    """EPCI in the France-wide layer of the page's map (in view or not)."""
    return page.evaluate(f"() => ({_EPCI_LAYERS_JS})().reduce((n, l) => Math.max(n, l.getLayers().length), 0)")


def open_map(page, server: dict, path: str = "/Territoire", paths: int = 1000):
    """Open the page, wait until the map shows more than ``paths`` EPCI in its view and the app is idle; the map's locator.

    The first map of the session also gives the time from the server's start to a rendered map.
    """
    page.goto(server["url"] + path)
    wait_epci_shown(page, paths)
    TIMINGS.setdefault("streamlit_run_to_map_s", time.perf_counter() - server["started"])
    settle(page)
    wait_epci_shown(page, paths)
    return page.locator(TERRITOIRE_MAP)


def pick_epci(page, text: str, code: str) -> None:
    """Type in the EPCI multiselect, take the first match, wait until the selection panel lists ``code``."""
    box = page.locator('[data-testid="stMultiSelect"] input')
    box.click()
    box.press_sequentially(text, delay=15)
    option = page.get_by_role("option", name=re.compile(re.escape(text))).first
    option.wait_for()
    option.click()  # not Enter: with several matches, the first option is Streamlit's « Select N matches »
    page.keyboard.press("Escape")
    page.get_by_text(f"— SIREN {code}").first.wait_for(timeout=LONG)
    settle(page)


def draw_vertex(page, box: dict, fx: float, fy: float) -> None:
    """One Leaflet.draw vertex at (fx, fy) of the map box: move there in steps (Leaflet.draw places the vertex where the
    pointer moved to), press, release, then wait until the handler takes the next one (or closed the shape)."""
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=4)
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function(_DRAW_READY_JS, polling=20, timeout=30_000)


def draw_polygon(page, leaflet, vertices: list[tuple[float, float]]) -> None:
    """Click the polygon tool of the map ``leaflet`` (its locator: ``open_map``), then each vertex; end ``vertices`` with
    the first one again to close the shape."""
    leaflet.locator(".leaflet-draw-draw-polygon").click()
    page.wait_for_function(f"() => ({_DRAW_HANDLER_JS})()?.enabled() === true", timeout=30_000)
    box = page.locator(TERRITOIRE_MAP).bounding_box()
    for fx, fy in vertices:
        draw_vertex(page, box, fx, fy)


def zoom_in(page, leaflet, times: int) -> None:
    """Press the « + » of the map ``leaflet`` (its locator) ``times`` times, each time waiting for the zoom animation
    to end."""
    for _ in range(times):
        zoom = page.evaluate("() => window.ptceMap.getZoom()")
        leaflet.locator(".leaflet-control-zoom-in").click()
        page.wait_for_function("z => window.ptceMap.getZoom() === z + 1 && !window.ptceMap._animatingZoom", arg=zoom, timeout=30_000)


def uploader(page, key: str):
    """The file input of the uploader with widget key ``key`` (and only it: a rerun may briefly show the previous one)."""
    return page.locator(f'[data-testid="stElementContainer"].st-key-{key}:not([data-stale="true"]) '
                        '[data-testid="stFileUploaderDropzoneInput"]')


STARTUP_S = 180  # a cold start of the app on a loaded 2-core machine; measured here: < 1 s idle, a few s loaded


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


def _start(data_root, projects, log_name: str) -> tuple[subprocess.Popen, str, float]:
    """Start the app as the README does (``python -m ui.serve``) on a free port; (process, URL, start time).

    A port taken meanwhile makes it exit at once."""
    port = _free_port()
    env = {**os.environ, "PTCE_GEO_DATA_DIR": str(data_root), "PTCE_GEO_PROJECTS_DIR": str(projects)}  # no usage stats: config.toml
    log = open(ARTIFACTS / log_name, "ab")  # noqa: SIM115 - the child holds it; closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    return proc, f"http://127.0.0.1:{port}", time.perf_counter()


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server started here (its process only), killing it after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running_server(data_root, projects, log_name: str = "streamlit.log"):
    """(URL, start time) of a streamlit server on ``data_root``, with its own projects folder; stopped (its process only)
    on exit.

    Waits for the health endpoint up to ``STARTUP_S``; a server that exits at once (port taken between the probe and
    the bind) is started again on another port, twice at most.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / log_name).write_bytes(b"")
    for attempt in range(3):
        proc, url, started = _start(data_root, projects, log_name)
        while not _healthy(url) and proc.poll() is None and time.perf_counter() - started < STARTUP_S:
            time.sleep(0.25)  # polling an HTTP endpoint: the only way to see a server come up
        if _healthy(url):
            break
        exited = proc.poll() is not None  # on its own: most likely the port, taken between the probe and the bind
        stop_process(proc)
        if not exited or attempt == 2:
            raise RuntimeError(f"streamlit did not answer within {STARTUP_S} s (exit {proc.returncode}); see {ARTIFACTS / log_name}")
    try:
        yield url, started
    finally:
        stop_process(proc)
