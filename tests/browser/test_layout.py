"""Window sizes of the issue's bad-input list: 1024 px wide, 1920 px wide and a 1400 px window zoomed to 200 % (700 CSS
px at device scale 2). Nothing spills out of the page, no chosen value is cut off, the methods box does not overflow
(the rural/urban axis is checked on its chart's specification in tests/test_interface.py: the embedded data has no
density grid)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import LONG, open_tab, shot

pytestmark = pytest.mark.browser

AMIENS = "248000531"

# Elements wider than their box: the page itself, a select box's chosen value, an expander's content, a button of a
# segmented control (the Territoire panel's parts, the Diagnostic's sections) beyond its column.
_OVERFLOWS_JS = """() => {
    const out = [];
    const root = document.scrollingElement;
    if (root.scrollWidth > root.clientWidth + 1) out.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
    for (const box of document.querySelectorAll('[data-testid=stSelectbox] [data-baseweb=select] div')) {
        if (box.children.length === 0 && box.scrollWidth > box.clientWidth + 1) out.push(`select « ${box.innerText} »`);
    }
    for (const details of document.querySelectorAll('[data-testid=stExpanderDetails]')) {
        if (details.offsetParent !== null && details.scrollWidth > details.clientWidth + 1)
            out.push(`expander ${details.scrollWidth} > ${details.clientWidth}`);
    }
    for (const button of document.querySelectorAll('[data-testid=stButtonGroup] button')) {
        const column = button.closest('[data-testid=stColumn], [data-testid=stMain]').getBoundingClientRect();
        const box = button.getBoundingClientRect();
        if (box.right > column.right + 1 || box.left < column.left - 1) out.push(`button « ${button.innerText} » out of its column`);
    }
    return out;
}"""


def settled(page) -> None:
    from tests.browser.helpers import settle

    settle(page)


def test_nothing_spills_over_at_1024_1920_and_zoom_200(sized, server):
    page = sized
    problems = {}
    page.goto(server["url"] + f"/Territoire?epci={AMIENS}")
    page.get_by_text(f"— SIREN {AMIENS}").first.wait_for(timeout=LONG)
    settled(page)
    problems["territoire"] = page.evaluate(_OVERFLOWS_JS)
    shot(page, f"layout_territoire_{page.window}")

    page.goto(server["url"] + f"/Diagnostic?epci={AMIENS}")
    open_tab(page, "Sources")
    summary = page.locator("summary", has_text="Méthodes et seuils des alertes")
    summary.scroll_into_view_if_needed()
    summary.click()
    page.locator("[data-testid=stExpanderDetails]:not([inert])").first.wait_for(timeout=LONG)
    settled(page)
    problems["sources"] = page.evaluate(_OVERFLOWS_JS)
    shot(page, f"layout_sources_{page.window}")

    assert {k: v for k, v in problems.items() if v} == {}
    assert page.failed == [] and page.external == []
