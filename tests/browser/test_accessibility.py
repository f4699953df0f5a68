"""Accessibility in a real browser: axe-core on every page and tab (no serious or critical violation), the main flow
with the keyboard alone (choose an EPCI, read the diagnostic, export), tabs that keep their place after an action.

axe-core comes from the npm registry (package.json devDependencies, installed by ``npm ci``) and is injected into the
page by Playwright; it checks the Streamlit document, the Territoire map included (drawn in the page itself), not
the iframes of the maps streamlit-folium still draws (Diagnostic, Acteurs: Leaflet's own markup, checked by the map
tests).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.browser.helpers import (
    ARTIFACTS,
    LONG,
    ROOT,
    TERRITOIRE_MAP,
    every_page_and_tab,
    open_map,
    open_tab,
    run_log,
    runs_finished,
    section_button,
    settle,
    shot,
    wait_run_after,
)

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
AMIENS = "248000531"
# Violations inside Streamlit's own widgets that the app cannot change, excluded by rule and by the CSS selector of the
# widget holding them (and only there); each entry says why.
STREAMLIT_OWN: dict[str, tuple[str, ...]] = {
    # A disabled slider's label is drawn at 40 % opacity of the text colour by Streamlit (no theme option for it);
    # WCAG 1.4.3 exempts the text of an inactive control.
    "color-contrast": ('[data-testid="stSlider"]:has(input[type="range"][disabled])',),
}

_RUN_AXE = """async (skip) => {
    const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
    return result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).flatMap(v => v.nodes
        .filter(n => !(skip[v.id] || []).some(sel => document.querySelector(n.target[0])?.closest(sel)))
        .map(n => ({rule: v.id, impact: v.impact, target: n.target.join(' '), html: n.html.slice(0, 200),
                    summary: n.failureSummary})));
}"""


def violations(page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it stands, less the listed Streamlit ones."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN_AXE, STREAMLIT_OWN)


@pytest.fixture(autouse=True)
def _axe_installed():
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(ROOT)} absent (npm ci installs node_modules/axe-core)")


def check(page, where: str, found: dict) -> None:
    settle(page)
    problems = violations(page)
    if problems:
        found[where] = problems
        shot(page, f"axe_{where}")


def test_every_page_and_tab_has_no_serious_violation(page, server):
    found: dict[str, list] = {}
    for where in every_page_and_tab(page, server["url"], AMIENS, "Axe"):
        check(page, where, found)
    (ARTIFACTS / "axe_violations.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}, "\n".join(f"{where}: {v['rule']} ({v['impact']}) {v['html'][:120]}" for where, items in found.items() for v in items)


_FOCUSED_JS = """([role, name]) => {
    const e = document.activeElement;
    if (!e || e === document.body) return false;
    const byId = (e.getAttribute('aria-labelledby') || '').split(' ').map(id => document.getElementById(id)?.innerText || '').join(' ');
    const widget = e.closest('[data-testid=stElementContainer]')?.querySelector('[data-testid=stWidgetLabel]')?.innerText || '';
    const label = [e.getAttribute('aria-label'), byId, e.innerText, e.labels?.[0]?.innerText, widget].join(' ');
    const kind = e.getAttribute('role') || {A: 'link', BUTTON: 'button', INPUT: 'input'}[e.tagName];
    return kind === role && label.includes(name);
}"""


# What a failure needs to be explained: the focused element, the chosen tab or section, and whether the page still
# draws frames (an animation frame is awaited 2 s at most).
_PAGE_STATE_JS = """async () => { const e = document.activeElement;
    const frame = await Promise.race([new Promise(r => requestAnimationFrame(() => r('ticks'))),
                                      new Promise(r => setTimeout(() => r('no frame in 2 s'), 2000))]);
    const chosen = document.querySelector('[role=tab][aria-selected=true], [data-testid=stButtonGroup] [aria-checked=true]');
    return `focused: ${e ? `${e.tagName} role=${e.getAttribute('role')} «${(e.innerText || '').slice(0, 40)}»` : 'nothing'}; `
        + `chosen: «${chosen?.innerText}»; `
        + `visibility: ${document.visibilityState}, focus: ${document.hasFocus()}, animation frame: ${frame}`; }"""


def tab_to(page, role: str, name: str, key: str = "Tab", limit: int = 400) -> None:
    """Press ``key`` (Tab, Shift+Tab, an arrow) until the focused element has ``role`` and a label containing ``name``."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(_FOCUSED_JS, [role, name]):
            return
    raise AssertionError(f"{role} « {name} » not reached with {limit} presses of {key}; {page.evaluate(_PAGE_STATE_JS)}; "
                         f"{run_log(page)}")


def selected_tab(page) -> str:
    """The tab, or the choice of a segmented control (the Territoire page's parts), shown now."""
    return page.locator('[role="tab"][aria-selected="true"], [data-testid=stButtonGroup] [aria-checked="true"]').first.inner_text().strip()


def test_choose_an_epci_read_the_diagnostic_and_export_with_the_keyboard_alone(page, server):
    page.goto(server["url"] + "/Territoire")
    page.get_by_role("heading", name="Territoire d'action").wait_for(timeout=LONG)
    settle(page)
    # the list of EPCI, the way to choose without the map; reached backwards from the end of the page, since every EPCI
    # outline of the map (left column, before it in the page) is a Tab stop of its own
    tab_to(page, "combobox", "EPCI du territoire", key="Shift+Tab")
    page.keyboard.press("ArrowDown")  # opens the list; typed before it is open, the first characters may be lost
    page.get_by_role("option").first.wait_for()
    page.keyboard.type(AMIENS, delay=30)
    page.get_by_role("option", name=AMIENS).first.wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_text(f"— SIREN {AMIENS}").first.wait_for(timeout=LONG)
    settle(page)

    tab_to(page, "link", "Diagnostic")
    page.keyboard.press("Enter")
    page.wait_for_url("**/Diagnostic*")
    section_button(page, "Synthèse").wait_for(timeout=LONG)
    settle(page)
    # the sections: each a button of a segmented control; choosing one runs the page, and the focus must stay on it
    # (Streamlit's tabs that rerun a page are disabled while their content is stale: the focus fell to the page body)
    tab_to(page, "radio", "Synthèse")  # the group is one Tab stop, its chosen section; the arrows move inside it
    tab_to(page, "radio", "Alertes", key="ArrowRight", limit=8)
    before = runs_finished(page)
    page.keyboard.press("Enter")
    wait_run_after(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=stButtonGroup] [aria-checked=true]')?.innerText.includes('Alertes')",
                           polling=50)
    assert page.evaluate(_FOCUSED_JS, ["radio", "Alertes"]), f"focus lost after the section's run: {page.evaluate(_PAGE_STATE_JS)}"
    page.get_by_text(re.compile("Aucune alerte sur ce territoire|Chiffres et explication")).first.wait_for()

    tab_to(page, "link", "Télécharger la base du diagnostic")
    page.keyboard.press("Enter")
    page.wait_for_url("**/Export*")
    page.get_by_text("Fichier par fichier").wait_for(timeout=LONG)
    settle(page)
    tab_to(page, "button", "Télécharger tout")
    with page.expect_download(timeout=LONG) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".zip")
    shot(page, "a11y_keyboard_export")
    assert page.failed == [] and page.external == []


def test_the_cut_communes_and_the_territoire_parts_work_with_the_keyboard(page, server):
    """A drawn territory opens on its drawing; a cut commune's box is reached with Tab and ticked with the space bar, and
    the panel's parts are a segmented control that keeps the focus through the run it starts."""
    page.goto(server["url"] + "/Territoire?polygone=2.2,49.85;2.4,49.85;2.4,49.95;2.2,49.95")
    page.get_by_text(re.compile("communes coupées par le polygone")).wait_for(timeout=LONG)
    settle(page)
    tab_to(page, "input", "dans le polygone", key="Shift+Tab")  # the last box: the smallest share, left out by the threshold
    label = page.evaluate("() => document.activeElement.labels[0].innerText")
    code = re.search(r"\((\w{5})\) — ", label).group(1)
    assert not page.evaluate("() => document.activeElement.checked")
    before = runs_finished(page)
    page.keyboard.press("Space")
    wait_run_after(page, before)
    page.wait_for_function("code => new URLSearchParams(location.search).get('communes') === code", arg=code, timeout=LONG)
    assert page.evaluate(_FOCUSED_JS, ["input", f"({code})"]), f"focus lost after the box's run: {page.evaluate(_PAGE_STATE_JS)}"
    assert page.evaluate("() => document.activeElement.checked")

    tab_to(page, "radio", "", key="Shift+Tab")  # the group is one Tab stop; the arrows move inside it
    tab_to(page, "radio", "EPCI", key="ArrowLeft", limit=4)
    before = runs_finished(page)
    page.keyboard.press("Enter")
    wait_run_after(page, before)
    page.get_by_role("combobox", name=re.compile("EPCI du territoire")).wait_for(timeout=LONG)
    assert page.evaluate(_FOCUSED_JS, ["radio", "EPCI"]), f"focus lost after the part's run: {page.evaluate(_PAGE_STATE_JS)}"
    assert page.failed == [] and page.external == []


def test_tabs_keep_their_place_after_an_action(page, server):
    """Adding a commune to an empty territory puts new elements above the tabs (figures, « Centrer la carte »): the tab
    stays where the user was."""
    page.goto(server["url"] + "/Territoire")
    page.get_by_role("heading", name="Territoire d'action").wait_for(timeout=LONG)
    settle(page)
    open_tab(page, "Communes", exact=True)
    box = page.get_by_label("Chercher une commune")
    box.fill("80021")
    box.press("Enter")
    page.get_by_role("button", name="Ajouter").first.click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('communes') === '80021'", timeout=LONG)
    page.get_by_role("button", name="Centrer la carte sur le territoire").wait_for(timeout=LONG)
    settle(page)
    assert selected_tab(page) == "Communes"

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Projet").click()  # the project takes this territory
    page.get_by_label("Nom du projet").fill(f"Onglets {uuid.uuid4().hex[:6]}")
    page.get_by_label("Nom du projet").press("Enter")
    page.get_by_role("button", name="Créer le projet").click()
    open_tab(page, "Instantanés")
    settle(page)
    page.get_by_role("button", name="Prendre un instantané").click()
    page.get_by_text("Instantané enregistré.").wait_for(timeout=LONG)
    settle(page)
    assert selected_tab(page) == "Instantanés"


def test_tab_crosses_the_map_by_its_controls_not_its_1255_outlines(page, server):
    """Chromium made every EPCI outline a Tab stop: 40 presses inside the map never left it. Now Tab goes through the
    map's controls (French titles) and reaches the page again."""
    open_map(page, server)
    frame = page.locator(TERRITOIRE_MAP)
    assert frame.locator("a.leaflet-control-zoom-in").get_attribute("title") == "Zoom avant"
    assert frame.locator("a.leaflet-control-zoom-out").get_attribute("title") == "Zoom arrière"
    frame.focus()  # the map's element is Leaflet's container
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(_FOCUSED))
        if focused[-1] == "outside":
            break
    assert "path" not in focused, focused
    assert focused[-1] == "outside", focused


_FOCUSED = f"""() => {{
    const map = document.querySelector('{TERRITOIRE_MAP}'), focused = document.activeElement;
    return map && map.contains(focused) ? focused.tagName.toLowerCase() : 'outside';
}}"""
