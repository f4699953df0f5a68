"""The EPCI map in a real browser, each figure next to a bare Streamlit page started in the same run.

    python bench/bench_map_browser.py                  # the current cache (PTCE_GEO_DATA_DIR or data/), 3 runs
    python bench/bench_map_browser.py --runs 5 --data-dir DOSSIER
    python bench/bench_map_browser.py --app /tmp/ancienne-version --app .   # two checkouts, alternated in each run

Each run starts a bare page (``st.title`` only) with ``streamlit run``, times it to its text, stops it, then
starts the app and times, in Debian's chromium (Playwright):

- the app started as the README says (``python -m ui.serve``, which prepares the first page while the browser loads
  Streamlit's) -> EPCI map painted on /Territoire (1,000 EPCI or more in view), then the page complete (settled, see
  below), and a new page on the running server; then the same first map with ``streamlit run app.py`` (no such
  preparation). Each app is started once before the runs, untimed: the map its first start saves in the cache
  (ui.first_map), every later start sends at once;
- a click on an EPCI (Amiens Métropole), the click that removes it, a polygon drawn with mouse clicks (the same place
  north of Orléans whatever the zoom; timed from the closing click), a switch of the map view
  (« Autour du territoire », then « France entière »), another indicator (« Population municipale »): each until the page is settled (run
  over, nothing stale, the map ready, for 300 ms in a row), the bytes the page received meanwhile, how long the page
  showed its script running (the server's share; the rest is the transport's and the browser's), and the CPU time the
  server and the browser used (read from /proc: on a busy machine, the figures that move least with the others' load;
  the browser's without the cost of this script's polling).

Absolute times vary from machine to machine (and here with the load of the other processes); the ratios to the
bare page started in the same run are the figures to compare: the app's start -> map against ``streamlit run`` ->
bare text, a new page on the running server against a new bare page, anything else against the bare start. Medians
over the runs are printed last. With several ``--app`` checkouts (an older version and this one, say), each run
times them one after the other, so that they share the same load; their figures are printed side by side.
Goals (issue 13): first map within 1.5 x the bare page, each interaction within 0.5 s, a view switch within 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_geo.build import ensure_cache  # noqa: E402
from ptce_geo.cache import data_dir  # noqa: E402
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PAINTED_JS, TERRITOIRE_MAP, draw_polygon, stop_process  # noqa: E402

BARE_TEXT = "Page nue de référence"
AMIENS = (49.894, 2.295)  # clicked: CA Amiens Métropole (248000531)
INDICATOR = "Population municipale"  # chosen after the view switches (in every cache, the embedded one too)
SQUARE = [(47.80, 1.70), (47.80, 2.10), (48.05, 2.10), (48.05, 1.70)]  # drawn: ~30 km north of Orléans
# pixel position of a lat/lon point in the page (the map is drawn in the page itself: ui.leaflet_map, window.ptceMap)
_PIXEL_JS = """([lat, lon]) => {
    const m = window.ptceMap, r = m.getContainer().getBoundingClientRect(), p = m.latLngToContainerPoint([lat, lon]);
    return [r.left + p.x, r.top + p.y];
}"""
DRAW_ZOOM = 8  # the square is drawn at this zoom (panning and zooming start no run of the app)
_ZOOM_JS = """([lat, lon, zoom]) => { window.ptceMap.setView([lat, lon], zoom, {animate: false}); }"""
_ZOOMED_JS = """zoom => { const m = window.ptceMap; return m.getZoom() === zoom && !m._animatingZoom; }"""
QUIET_S = 0.3
TIMEOUT_S = 120.0
# State of the page and of its map.
_STATE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = !!app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
    const m = document.querySelector('TERRITOIRE_MAP')?.ptceMap;
    const paths = m && m.ptceEpci ? (PAINTED)(m.ptceEpci) : 0;
    const c = m && m._loaded ? m.getCenter() : null;
    const indicator = document.querySelector('.st-key-ter_indicator input')?.value || '';  // the option shown
    return {idle, paths, url: location.search, ready: !!c && !m._animatingZoom, indicator,
            running: !!app && app.dataset.testScriptState === 'running',
            view: c ? [Math.round(c.lat * 1000), Math.round(c.lng * 1000), m.getZoom()].join() : ''};
}""".replace("(PAINTED)", f"({PAINTED_JS})").replace("TERRITOIRE_MAP", TERRITOIRE_MAP)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(script: Path, env: dict, root: Path = ROOT, serve: bool = False) -> tuple[subprocess.Popen, str, float]:
    """``streamlit run script`` from ``root``, or with ``serve`` the app as the README starts it (``python -m ui.serve``);
    (process, URL, start time)."""
    port = _free_port()
    started = time.perf_counter()
    command = ["-m", "ui.serve"] if serve else ["-m", "streamlit", "run", str(script), "--server.fileWatcherType", "none",
                                                "--server.runOnSave", "false"]
    proc = subprocess.Popen(
        [sys.executable, *command, "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=root, env={**os.environ, **env, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}", started



def _open(page, url: str, started: float) -> None:
    """Load ``url`` as soon as the server answers (polled every 50 ms, the same way for the bare page and the app)."""
    while True:
        try:
            with urllib.request.urlopen(f"{url.split('/', 3)[0]}//{url.split('/', 3)[2]}/_stcore/health", timeout=2):
                break
        except OSError:
            if time.perf_counter() - started > TIMEOUT_S:
                raise RuntimeError(f"no answer from {url} within {TIMEOUT_S:.0f} s") from None
            time.sleep(0.05)
    page.goto(url)


class Meter:
    """Bytes received by the page over its websocket (Streamlit's messages, the map payload among them)."""

    def __init__(self, page) -> None:
        self.received = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.received += len(payload)


def settled(page, done, since: float, script: list[float] | None = None) -> float:
    """Seconds from ``since`` until ``done(state)`` holds with the page idle and the map ready, for ``QUIET_S`` in a row.

    ``script`` receives the seconds the page showed its script running meanwhile (seen every ~10 ms): the server's
    share of the time, the rest being the browser's and the transport's.
    """
    first = None
    running, last = 0.0, since
    while True:
        now = time.perf_counter()
        state = page.evaluate(_STATE_JS)
        if state["running"] and first is None:
            running += now - last
        last = now
        if state["idle"] and state["ready"] and done(state):
            first = first or now
            if now - first >= QUIET_S:
                if script is not None:
                    script.append(running)
                return first - since
        else:
            first = None
        if now - since > TIMEOUT_S:
            raise TimeoutError(f"page not settled within {TIMEOUT_S:.0f} s: {state}")
        time.sleep(0.01)


def bare_page(browser, env: dict) -> tuple[float, float]:
    """Seconds from ``streamlit run`` to the bare page's text, and from a new page on the running server to it."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bare.py"
        script.write_text(f"import streamlit as st\n\nst.title({BARE_TEXT!r})\n", encoding="utf-8")
        proc, url, started = _start(script, env)
        try:
            page = browser.new_page()
            _open(page, url, started)
            page.get_by_text(BARE_TEXT).wait_for(timeout=TIMEOUT_S * 1000)
            cold = time.perf_counter() - started
            page.close()
            page = browser.new_page()
            opened = time.perf_counter()
            page.goto(url)
            page.get_by_text(BARE_TEXT).wait_for(timeout=TIMEOUT_S * 1000)
            warm = time.perf_counter() - opened
            page.close()
            return cold, warm
        finally:
            stop_process(proc)


# seconds, bytes received, seconds the script was seen running, CPU seconds of the server and of the browser
Figure = tuple[float, int | None, float, float | None, float | None]


def _timed(page, meter: Meter, action, done, server: int) -> Figure:
    """The figures of one interaction. The browser's CPU time leaves out what this script's own polling of the page
    costs (measured on the page at rest just before, per second, times the seconds polled)."""
    rest = _polling_cpu(page, server)
    before, script, cpu = meter.received, [], _cpu(server)
    since = time.perf_counter()
    action()
    seconds = settled(page, done, since, script)
    after, polled = _cpu(server), time.perf_counter() - since
    return seconds, meter.received - before, script[0], after[0] - cpu[0], max(0.0, after[1] - cpu[1] - rest * polled)


def _polling_cpu(page, server: int, seconds: float = 1.0) -> float:
    """Browser CPU seconds per second of polling a page at rest (as ``settled`` does)."""
    start, since = _cpu(server)[1], time.perf_counter()
    while time.perf_counter() - since < seconds:
        page.evaluate(_STATE_JS)
        time.sleep(0.01)
    return (_cpu(server)[1] - start) / (time.perf_counter() - since)


def _cpu(server: int) -> tuple[float, float]:
    """CPU seconds used so far by the app's server process and by the browser's processes (chromium under this one).

    Unlike wall times, these hardly move with the other processes' load: the figures to compare between versions
    on a busy machine (a process gone meanwhile, a closed tab's, is not counted).
    """
    parents, names = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        pid, rest = int(stat.parent.name), text[text.rfind(")") + 2:].split()
        parents[pid], names[pid] = int(rest[1]), text[text.find("(") + 1:text.rfind(")")]
    tick = os.sysconf("SC_CLK_TCK")

    def used(pid: int) -> float:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False

    browser = [pid for pid, name in names.items() if "chrom" in name.lower() and under(pid, os.getpid())]
    return used(server), sum(used(pid) for pid in browser)


PAINTED = 1000  # EPCI painted in view: the map is drawn


def _drawn(state: dict) -> bool:
    return state["paths"] >= PAINTED


def _first_map(browser, url: str, started: float) -> tuple[Figure, Figure]:
    """From the server's start to the first map painted on /Territoire (1,000 EPCI or more in view), and to the page
    complete (settled, the map still painted)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    meter, script = Meter(page), []
    _open(page, url + "/Territoire", started)
    # waited for as the bare page's text is (Playwright's polling in the page, at each frame), not by this script's
    # polling of the page's whole state, which takes the browser's time from what it waits for
    page.wait_for_function(f"() => ({_STATE_JS})().paths >= {PAINTED}", polling="raf", timeout=TIMEOUT_S * 1000)
    painted = (time.perf_counter() - started, meter.received, None, None, None)
    complete = (settled(page, _drawn, started, script), meter.received, script[0], None, None)
    page.close()
    return painted, complete


def warm_up(browser, env: dict, root: Path) -> None:
    """Start the app once and open its map, untimed: what the first start saves in the cache (ui.first_map), every
    later start finds."""
    proc, url, started = _start(root / "app.py", env, root, serve=True)
    try:
        _first_map(browser, url, started)
    finally:
        stop_process(proc)


def app_figures(browser, env: dict, root: Path = ROOT) -> dict[str, Figure]:
    """Cold start (the README's command), warm page, click, un-click, drawing and view switches on /Territoire of the
    checkout at ``root``; then a cold start with ``streamlit run``."""
    proc, url, started = _start(root / "app.py", env, root, serve=True)
    out: dict[str, Figure] = {}
    try:
        out["python -m ui.serve -> map painted"], out["python -m ui.serve -> page complete"] = _first_map(browser, url, started)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        meter, script = Meter(page), []
        opened = time.perf_counter()
        page.goto(url + "/Territoire")
        out["new page -> map (server running)"] = (settled(page, _drawn, opened, script), meter.received, script[0], None, None)
        box = page.locator(TERRITOIRE_MAP).bounding_box()
        point = _pixel(page, AMIENS)
        out["click an EPCI"] = _timed(page, meter, lambda: page.mouse.click(*point), lambda s: "epci=248000531" in s["url"],
                                        proc.pid)
        out["click it again (removed)"] = _timed(page, meter, lambda: page.mouse.click(*point), lambda s: "epci=" not in s["url"],
                                                   proc.pid)
        page.evaluate(_ZOOM_JS, [*_centre(SQUARE), DRAW_ZOOM])  # the square spans ~8 px at France's zoom: too small to draw
        page.wait_for_function(_ZOOMED_JS, arg=DRAW_ZOOM)
        corners = [_pixel(page, corner) for corner in SQUARE]
        draw_polygon(page, page.locator(TERRITOIRE_MAP), [((x - box["x"]) / box["width"], (y - box["y"]) / box["height"])
                                                            for x, y in corners])
        out["finish a drawing"] = _timed(page, meter, lambda: _press(page, *corners[0]), lambda s: "polygone=" in s["url"],
                                       proc.pid)
        for label, name in (("switch view: territory", "Autour du territoire"), ("switch view: France", "France entière")):
            view = page.evaluate(_STATE_JS)["view"]
            out[label] = _timed(page, meter, lambda name=name: page.get_by_role("radio", name=name).check(force=True),
                                lambda s, view=view: s["view"] != view and s["paths"] >= 5, proc.pid)
        shown = page.evaluate(_STATE_JS)["indicator"]
        out["change the indicator"] = _timed(page, meter, lambda: _choose(page, INDICATOR),
                                             lambda s: s["indicator"] != shown and INDICATOR in s["indicator"] and s["paths"] >= 5, proc.pid)
        page.close()
    finally:
        stop_process(proc)
    proc, url, started = _start(root / "app.py", env, root)
    try:
        out["streamlit run -> map painted"], out["streamlit run -> page complete"] = _first_map(browser, url, started)
    finally:
        stop_process(proc)
    return out


def _choose(page, option: str) -> None:
    """Pick the map's indicator whose label starts with ``option``."""
    page.get_by_test_id("stSelectbox").filter(has_text="Indicateur de la carte").click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(option)}")).click()


def _pixel(page, point: tuple[float, float]) -> tuple[float, float]:
    """Where (lat, lon) is on the page: the same place whatever the map's zoom."""
    return tuple(page.evaluate(_PIXEL_JS, list(point)))


def _centre(points: list[tuple[float, float]]) -> list[float]:
    return [sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)]


def _press(page, x: float, y: float) -> None:
    """A click as Leaflet.draw takes a vertex (the closing one here: on the first vertex)."""
    page.mouse.move(x, y, steps=4)
    page.mouse.down()
    page.mouse.up()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None, help="cache folder (default: PTCE_GEO_DATA_DIR or data/)")
    parser.add_argument("--app", type=Path, action="append", default=None,
                        help="checkout whose app is timed (repeat to compare versions in the same runs; default: this one)")
    args = parser.parse_args()
    apps = [path.resolve() for path in args.app or [ROOT]]
    root = data_dir(args.data_dir)
    ensure_cache(root)  # built once, before any timing
    env = {"PTCE_GEO_DATA_DIR": str(root)}
    from playwright.sync_api import sync_playwright

    rows: dict[str, list[tuple[float, float, int | None, float | None]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for app in apps:
                warm_up(browser, env, app)
            for run in range(1, args.runs + 1):
                bare, bare_warm = bare_page(browser, env)
                print(f"run {run}: bare Streamlit page: streamlit run -> text {bare:6.2f} s, new page -> text {bare_warm:6.2f} s")
                rows.setdefault("bare page: streamlit run -> text", []).append((bare, 1.0, None, None, None, None))
                rows.setdefault("bare page: new page -> text", []).append((bare_warm, bare_warm / bare, None, None, None, None))
                for app in apps:
                    for label, (seconds, *measures) in app_figures(browser, env, app).items():
                        ratio = seconds / (bare_warm if label.startswith("new page") else bare)
                        label = f"{label} [{_name(app, apps)}]" if len(apps) > 1 else label
                        rows.setdefault(label, []).append((seconds, ratio, *measures))
                        print(f"run {run}: {label:34} {seconds:6.2f} s  {ratio:5.2f} x bare{_extra(*measures)}")
        finally:
            browser.close()
    print(f"\nmedians over {args.runs} runs")
    for label, values in sorted(rows.items(), key=lambda item: _order(item[0], rows)):
        seconds, ratio = statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)
        measures = ([v[i] for v in values if v[i] is not None] for i in range(2, 6))
        extra = _extra(*(statistics.median(m) if m else None for m in measures))
        print(f"{label:34} {seconds:6.2f} s  {ratio:5.2f} x bare{extra}")


def _name(app: Path, apps: list[Path]) -> str:
    """A short name for ``app``: its folder's name, with its position when two folders share it."""
    same = [a for a in apps if a.name == app.name]
    return app.name if len(same) == 1 else f"{app.name}#{apps.index(app) + 1}"


def _order(label: str, rows: dict) -> int:
    """Rows of the same figure next to each other, in the order they were first measured."""
    bases = list(dict.fromkeys(key.split(" [")[0] for key in rows))
    return bases.index(label.split(" [")[0])


def _extra(received: float | None, script: float | None, server: float | None = None, browser: float | None = None) -> str:
    """Bytes received, the script's running time (the server's share) and the CPU time of server and browser, when measured."""
    size = f"  {received / 1e6:5.2f} MB received" if received is not None else ""
    cpu = f"  CPU server {server:5.2f} s, browser {browser:5.2f} s" if server is not None and browser is not None else ""
    return size + (f"  script running {script:5.2f} s" if script is not None else "") + cpu


if __name__ == "__main__":
    main()
