"""The dossier opened from disk in Debian's chromium, offline: no console error, no request leaving the file,
every image drawn with its alt text, contrast AA, nothing wider than an A4 page in print, and printable to A4 pages.

No Streamlit server here: the file is what a coordinator e-mails to a funder.
"""

from __future__ import annotations

import io
import unicodedata

import pytest

from ptce_geo.collective.actors import actor_template_csv
from ptce_geo.collective.inventory import load_inventory, summarise_inventory
from ptce_geo.dossier import build_html
from ptce_geo.territory import TerritoryDefinition
from ptce_geo.workspace import new_project
from tests.browser.helpers import shot

DOMBES, BOURG = "200069193", "200071751"
A4_TEXT_WIDTH_PX = round((210 - 28) / 25.4 * 96)  # A4 minus the 14 mm side margins of the print CSS, at 96 px per inch

_CONTRAST = """() => {
  const lum = (rgb) => { const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                          return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const p = parse(getComputedStyle(e).backgroundColor);
                                 if (p.length === 3 || (p.length === 4 && p[3] > 0.5)) return p.slice(0, 3); } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el), fg = parse(st.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x), ratio = (a + 0.05) / (b + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && parseInt(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)} « ${el.textContent.trim().slice(0, 40)} »`);
  }
  return bad;
}"""

_OVERFLOW = """() => [...document.querySelectorAll('h1, h2, h3, h4, p, li, td, th, dt, dd, caption, figcaption, figure, table, img, .alert')]
  .filter(el => el.clientWidth > 0 && (el.scrollWidth > el.clientWidth + 1
                || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
  .map(el => `${el.tagName} ${el.scrollWidth}>${el.clientWidth} « ${el.textContent.trim().slice(0, 40)} »`)"""


@pytest.fixture(scope="module")
def dossier_file(embedded, tmp_path_factory):
    inventory = load_inventory(embedded, actor_template_csv(), "acteurs.csv")
    project, diag = new_project(embedded, "PTCE Dombes-Bresse", TerritoryDefinition(epci=[DOMBES, BOURG]), inventory)
    project.add_finding("Les jeunes quittent le territoire faute de logements abordables", theme="logement", auteur="Comité")
    inventory = summarise_inventory(inventory, embedded, list(diag.territory.communes.index))
    path = tmp_path_factory.mktemp("dossier") / "dossier.html"
    path.write_text(build_html(embedded, diag, inventory, project), encoding="utf-8")
    return path


@pytest.fixture
def offline_page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, locale="fr-FR", offline=True)
    page = context.new_page()
    page.console_errors, page.outside = [], []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else page.outside.append(r.url))
    yield page
    context.close()


def test_dossier_opens_offline_with_every_figure_and_nothing_fetched(offline_page, dossier_file):
    page = offline_page
    page.goto(dossier_file.as_uri(), wait_until="load")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    images = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.alt])")
    assert len(images) >= 5 and all(width > 0 and alt.strip() for width, alt in images), images
    assert page.console_errors == [] and page.outside == []
    assert page.locator("h1").count() == 1 and page.locator("section.page h2").count() == 7
    assert page.get_by_text("Les jeunes quittent le territoire").is_visible()
    assert page.evaluate(_CONTRAST) == []
    shot(page, "dossier_screen")


def test_dossier_fits_an_a4_page_in_print_and_prints_one_page_per_section(offline_page, dossier_file):
    from pypdf import PdfReader

    page = offline_page
    page.set_viewport_size({"width": A4_TEXT_WIDTH_PX, "height": 1100})
    page.emulate_media(media="print")
    page.goto(dossier_file.as_uri(), wait_until="load")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    assert page.evaluate(_OVERFLOW) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_TEXT_WIDTH_PX
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True, prefer_css_page_size=True)))
    texts = [unicodedata.normalize("NFKC", p.extract_text()) for p in pdf.pages]  # ligatures (ﬀ) back to letters
    starts = [next(i for i, t in enumerate(texts) if i > 0 and heading in t)
              for heading in ("1. Chiffres clés", "2. Les EPCI", "3. Rural et urbain", "4. Alertes", "5. Les acteurs", "6. Le projet",
                              "7. Sources et méthodes")]
    assert starts == sorted(set(starts)) and starts[0] == 1, starts
    assert page.console_errors == [] and page.outside == []
