"""No English text that the app controls, on any page or tab: Python's None/True/False/nan, pandas' NaT/<NA>, Streamlit's
default placeholders (« Choose an option », « Choose options », « No options to select »), the « Deploy » button,
miles on a scale, the file uploaders' limit line « 200MB per file » (hidden by ``ui.uploads``).

Read: the page's visible text, the text of the tables' cells (Streamlit draws them on a canvas; its accessible table
holds them), and the placeholders, titles and labels of inputs and buttons. Streamlit's own texts that no parameter or
setting translates (the file uploaders' « Upload », a chosen file's size « 2.7MB » and « Remove … », « Drag and drop a
file here » while dragging, see ``ui.uploads``; « Running… », « Stop »; « Skip to main content »; the table toolbar's
tooltips; « No results », « Press Enter to apply »; a multiselect's « Select all » / « Select N matches », shown only
while its list is open) are not searched: they are listed in the closing note of issue 13.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import every_page_and_tab, settle, shot

pytestmark = pytest.mark.browser

AMIENS = "248000531"
ENGLISH = re.compile(r"\b(None|True|False|nan|NaN|NaT|Choose an option|Choose options|No options to select|Select all|Deploy|"
                     r"Select \d+ matches|\d+ mi|\d+MB per file)\b|<NA>")

_TEXTS_JS = """() => {
    const texts = [document.body.innerText];
    document.querySelectorAll('[data-testid=stDataFrame], [data-testid=stDataEditor], [data-testid=stTable]').forEach(
        e => texts.push(e.textContent));
    document.querySelectorAll('input, textarea, button, [aria-label], [title]').forEach(e => {
        for (const attr of ['placeholder', 'title', 'aria-label', 'value']) {
            const v = e.getAttribute(attr);
            if (v && !(attr === 'value' && e.type === 'hidden')) texts.push(v);
        }
    });
    return texts.join('\\n');
}"""


def english(page) -> list[str]:
    """The English strings of the page as it stands, with a few characters around each."""
    settle(page)
    text = page.evaluate(_TEXTS_JS)
    return [text[max(0, m.start() - 30): m.end() + 30].replace("\n", " | ") for m in ENGLISH.finditer(text)]


def test_the_scanner_sees_what_it_looks_for():
    found = [m.group(0) for m in ENGLISH.finditer("None | x: True | nan % | Choose an option | 100 mi | <NA> | Nonet | nano | "
                                                  "200MB per file • CSV | 200 MB")]
    assert found == ["None", "True", "nan", "Choose an option", "100 mi", "<NA>", "200MB per file"]


def test_no_english_we_control_on_any_page_or_tab(page, server):
    found: dict[str, list[str]] = {}

    def scan(where: str) -> None:
        if hits := english(page):
            found[where] = hits
            shot(page, f"english_{where}")

    for where in every_page_and_tab(page, server["url"], AMIENS, "Anglais"):
        scan(where)
    assert found == {}, "\n".join(f"{where}: {hit}" for where, hits in found.items() for hit in hits)

