"""Accessibility in a real browser: axe-core on every page and tab (no serious or critical violation), the main flow
with the keyboard alone (choose an EPCI, read the diagnostic, export), tabs that keep their place after an action.

axe-core comes from the npm registry (package.json devDependencies, installed by ``npm ci``) and is injected into the
page by Playwright; it checks the Streamlit document, not the map's iframe (Leaflet's own markup, checked by the map
tests).
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.browser.helpers import ARTIFACTS, LONG, ROOT, settle, shot

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
    page.goto(server["url"] + "/")
    page.get_by_role("heading", name="Données chargées").wait_for(timeout=LONG)
    check(page, "accueil", found)
    page.goto(server["url"] + f"/Territoire?epci={AMIENS}")
    page.get_by_text(f"SIREN {AMIENS}").first.wait_for(timeout=LONG)
    for tab in ("EPCI", "Dessin ou contour", "Communes"):
        page.get_by_role("tab", name=tab, exact=True).click()
        check(page, f"territoire_{tab}", found)
    page.goto(server["url"] + f"/Diagnostic?epci={AMIENS}")
    page.get_by_role("tab", name="Synthèse").wait_for(timeout=LONG)
    for tab in ("Synthèse", "EPCI et disparités", "Rural / urbain", "Zonages", "Alertes", "Sources"):
        page.get_by_role("tab", name=tab, exact=True).click()
        check(page, f"diagnostic_{tab}", found)
    page.goto(server["url"] + f"/Export?epci={AMIENS}")
    page.get_by_text("Fichier par fichier").wait_for(timeout=LONG)
    check(page, "export", found)
    page.goto(server["url"] + f"/Acteurs?epci={AMIENS}")
    page.get_by_role("button", name="Commencer un inventaire vide").click()
    page.get_by_role("tab", name="Rapport d'import").wait_for(timeout=LONG)
    for tab in ("Rapport d'import", "Modifier le tableau", "Synthèse du territoire", "Collectif", "Exporter"):
        page.get_by_role("tab", name=tab, exact=True).click()
        check(page, f"acteurs_{tab}", found)
    page.goto(server["url"] + f"/Projet?epci={AMIENS}")
    page.get_by_label("Nom du projet").fill(f"Axe {uuid.uuid4().hex[:6]}")
    page.get_by_label("Nom du projet").press("Enter")
    page.get_by_role("button", name="Créer le projet").click()
    page.get_by_role("tab", name="Instantanés").wait_for(timeout=LONG)
    for tab in ("Territoires", "Constats partagés", "Profil du PTCE", "Instantanés"):
        page.get_by_role("tab", name=tab, exact=True).click()
        check(page, f"projet_{tab}", found)
    (ARTIFACTS / "axe_violations.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}, "\n".join(f"{where}: {v['rule']} ({v['impact']}) {v['html'][:120]}" for where, items in found.items() for v in items)
