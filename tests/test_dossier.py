"""The diagnostic dossier: figures equal to the diagnostic (and to the raw files), missing parts said, forms and errors.

Expected values come from the raw INSEE/DGCL files read with plain pandas, or from the
diagnostic tables themselves for the layout checks; the HTML is parsed with BeautifulSoup.
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from ptce_geo.cli import main
from ptce_geo.collective.actors import actor_template_csv
from ptce_geo.collective.inventory import load_inventory, summarise_inventory
from ptce_geo.diagnostic import diagnose
from ptce_geo.dossier import build_html, html_to_pdf, output_form, territory_name, write_dossier
from ptce_geo.dossier.charts import MAX_EPCI_BARS, epci_chart
from ptce_geo.dossier.sections import MAX_COMPARATORS, comparators
from ptce_geo.errors import PtceGeoError
from ptce_geo.project import save_project
from ptce_geo.reference import FETCH_HINT
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.workspace import new_project, snapshot_content
from tests.conftest import SHARED

DOMBES, BOURG = "200069193", "200071751"  # CC de la Dombes, CA du Bassin de Bourg-en-Bresse (Ain)
NNBSP = "\u202f"
ROOT = Path(__file__).resolve().parent.parent


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def fr(value: float, digits: int) -> str:
    """French number written independently of the code under test."""
    whole, _, decimals = f"{abs(value):.{digits}f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = NNBSP.join([whole, *groups]) + ("," + decimals if digits else "")
    return ("-" if value < 0 else "") + text


@pytest.fixture(scope="module")
def embedded_dossier(embedded):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES, BOURG])))
    return diag, build_html(embedded, diag)


@pytest.fixture(scope="module")
def project_with_history(embedded):
    inventory = load_inventory(embedded, actor_template_csv(), "acteurs.csv")
    project, diag = new_project(embedded, "PTCE <Dombes> & Bresse", TerritoryDefinition(epci=[DOMBES]), inventory)
    project.add_finding("Peu de mobilité <b>solidaire</b> entre les bourgs", theme="mobilité", auteur="Comité")
    project.profile["marqueurs"]["pluralite"] = 3
    project.profile["marqueurs"]["besoins"] = 4
    _, bigger = new_project(embedded, "x", TerritoryDefinition(epci=[DOMBES, BOURG]))
    project.add_snapshot("Après élargissement", snapshot_content(bigger, None, project), date="2099-01-01T00:00:00+00:00")
    return project, diag, inventory


def test_embedded_default_dossier_says_what_is_missing_and_how_to_get_it(embedded, embedded_dossier):
    diag, html = embedded_dossier
    soup = soup_of(html)
    notes = [p.get_text(" ", strip=True) for p in soup.select(".missing")]
    assert any("Indicateurs absents" in n and FETCH_HINT in n for n in notes)
    assert any("Aucun inventaire d'acteurs" in n and "--actors" in n for n in notes)
    assert any("Aucun projet n'est ouvert" in n and "--project" in n for n in notes)
    assert any("rurale/urbaine non calculable" in n for n in notes)
    key = {li.select(".n")[0].get_text(): li.select(".v")[0].get_text() for li in soup.select("#couverture .figures li")}
    assert key["Communes"] == fr(diag.overview["communes"], 0)
    assert key["Population"] == fr(diag.overview["population"], 0)
    assert soup.h1.get_text() == " + ".join(embedded.epci.loc[[BOURG, DOMBES], "nom"])  # most populated first


def test_every_figure_has_alt_text_and_is_embedded_and_headings_are_in_order(embedded_dossier):
    _, html = embedded_dossier
    soup = soup_of(html)
    images = soup.find_all("img")
    assert images and all(img.get("alt", "").strip() for img in images)
    assert all(img["src"].startswith(("data:image/svg+xml;base64,", "data:image/png;base64,")) for img in images)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html) and "@import" not in html and "url(http" not in html
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert soup.html["lang"] == "fr"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real datasets absent: {SHARED}")
def test_figures_equal_the_raw_files_and_the_diagnostic_tables(shared):
    communes = pd.read_csv(SHARED / "decoupage_administratif" / "communes_2026.csv", dtype=str)
    members = communes[(communes["epci_siren"] == DOMBES) & (communes["type"] == "commune-actuelle")]
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype={"insee_com": str}, low_memory=False)
    rp = rp[rp["insee_com"].isin(members["code_insee"])]
    unemployment = 100 * rp["pop_15_64_chomage_2021"].sum() / rp["pop_15_64_active_2021"].sum()

    diag = diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[DOMBES])))
    soup = soup_of(build_html(shared, diag))
    key = {li.select(".n")[0].get_text(): li.select(".v")[0].get_text() for li in soup.select("#couverture .figures li")}
    assert key["Population"] == fr(pd.to_numeric(members["population"]).sum(), 0)
    assert key["Communes"] == str(len(members))
    row = soup.select_one('tr[data-indicator="taux_chomage"]')
    assert row.select_one("td.territory").get_text() == fr(unemployment, 1)
    # every value of the comparison table is the diagnostic's, French-formatted, in the same column order
    heads = [th.get_text() for th in soup.select("#chiffres table.indicators")[0].select("thead th")][2:]
    assert heads[-1] == "France" and "Ain (01)" in heads
    s = diag.summary
    for tr in soup.select("tr[data-indicator]"):
        ind = tr["data-indicator"]
        cells = [td.get_text() for td in tr.find_all("td")][1:]
        unit = s.at[ind, "unite"]
        for cell, value in ((cells[0], s.at[ind, "valeur_territoire"]), (cells[-1], s.at[ind, "france"])):
            digits = 1 if unit == "hab./km²" and value < 100 else {"%": 1, "%/an": 2, "pers./ménage": 2}.get(unit, 0)
            assert cell == fr(value, digits), ind
        assert "couverture" in tr.select_one(".meta").get_text() and s.at[ind, "millesime"] in tr.get_text()
    # the alt text of the comparison chart carries the same numbers
    alt = soup.select("#chiffres img")[0]["alt"]
    assert f"Territoire {fr(unemployment, 1)}\u00a0%" in alt


def test_actors_and_project_sections(embedded, project_with_history):
    project, diag, inventory = project_with_history
    inventory = summarise_inventory(inventory, embedded, list(diag.territory.communes.index))
    html = build_html(embedded, diag, inventory, project)
    soup = soup_of(html)
    actors = soup.select_one("#acteurs")
    assert not actors.select(".missing")
    assert actors.select_one(".figures .v").get_text() == str(len(inventory.actors))
    assert "Pluralité du collectif" in actors.get_text() and "Zones blanches" in actors.get_text()
    assert "agir pour l'intérêt collectif du territoire" in actors.get_text()  # interests of the template actors
    section = soup.select_one("#projet")
    finding = section.select_one("ol li")
    assert finding.get_text().startswith("Peu de mobilité <b>solidaire</b>")  # escaped, shown as text
    assert "<b>solidaire" not in str(section.find("b") or "") and "&lt;b&gt;" in html
    assert soup.h1.get_text() == "PTCE <Dombes> & Bresse — Territoire d'action"
    markers = [img for img in section.find_all("img") if img["alt"].startswith("Marqueurs de maturité")]
    assert markers and "Identification et construction des besoins du territoire 4 sur 4" in markers[0]["alt"]
    table = section.find_all("table")[-1]
    rows = {tr.find_all("td")[0].get_text(): [td.get_text() for td in tr.find_all("td")[1:]] for tr in table.select("tbody tr")}
    first = diag.overview["communes"]
    bigger = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES, BOURG]))).overview["communes"]
    assert rows["territoire / communes"] == [str(first), str(bigger), str(bigger - first)]


def test_empty_findings_and_single_snapshot_are_said(embedded):
    project, diag = new_project(embedded, "PTCE vide", TerritoryDefinition(epci=[DOMBES]))
    soup = soup_of(build_html(embedded, diag, None, project))
    notes = " ".join(p.get_text(" ", strip=True) for p in soup.select("#projet .missing"))
    assert "Aucun constat partagé" in notes and "1 instantané(s)" in notes
    assert territory_name(diag) == embedded.epci.at[DOMBES, "nom"]


@pytest.mark.parametrize("name, message", [("dossier.docx", "Extension inconnue"), ("dossier", "Extension inconnue"),
                                           ("absent/dossier.html", "n'existe pas")])
def test_bad_output_paths_are_refused_in_french(tmp_path, name, message):
    with pytest.raises(PtceGeoError, match=message):
        output_form(tmp_path / name)


def test_unwritable_output_is_a_french_error(tmp_path):
    folder = tmp_path / "x.html"
    folder.mkdir()
    with pytest.raises(PtceGeoError, match="est un dossier"):
        write_dossier("<html></html>", folder)
    with pytest.raises(PtceGeoError, match="Impossible d'écrire"):
        write_dossier("<html></html>", "/proc/ptce_dossier.html")  # a folder no one may create files in


def test_pdf_has_one_page_per_section_and_text_inside_the_page(embedded_dossier, caplog):
    from pypdf import PdfReader

    _, html = embedded_dossier
    reader = PdfReader(io.BytesIO(html_to_pdf(html)))
    assert not [r.getMessage() for r in caplog.records if r.name == "weasyprint"]  # every CSS rule understood
    texts = [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]
    starts = [next(i for i, t in enumerate(texts) if i > 0 and heading in t) for heading in
              ("1. Chiffres clés et comparaisons", "2. Les EPCI du territoire", "3. Rural et urbain", "4. Alertes", "5. Les acteurs",
               "6. Le projet", "7. Sources et méthodes")]
    assert starts[0] == 1 and starts == sorted(set(starts)), starts  # each section on its own page, after a one-page cover
    assert "Sommaire" in texts[0] and "Définition" in texts[0]
    assert all(f"page {i + 1} / {len(texts)}" in t for i, t in enumerate(texts[1:], start=1))
    starts_x: list[tuple[float, str]] = []

    def record(text, cm, tm, font, size):
        if text.strip():
            starts_x.append((tm[4] * cm[0] + cm[4], text))

    for page in reader.pages:
        width = float(page.mediabox.width)
        assert abs(width - 595.3) < 1 and abs(float(page.mediabox.height) - 841.9) < 1  # A4
        starts_x.clear()
        page.extract_text(visitor_text=record)
        assert starts_x and all(0 <= x <= width - 14 for x, _ in starts_x), [t for x, t in starts_x if not 0 <= x <= width - 14][:5]


def test_cli_report_html_pdf_project_and_errors(embedded_root, embedded, project_with_history, tmp_path, capsys):
    common = ["--data-dir", str(embedded_root)]
    project, _, _ = project_with_history
    gpkg = save_project(project, tmp_path / "p.gpkg")
    assert main(["report", "--project", str(gpkg), "--out", str(tmp_path / "d.html"), *common]) == 0
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "Peu de mobilité" in html and "Aucun projet" not in html and "Pluralité du collectif" in html
    assert main(["report", "--epci", DOMBES, "--out", str(tmp_path / "d.pdf"), *common]) == 0
    assert (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF-")
    assert main(["report", "--epci", DOMBES, "--out", str(tmp_path / "d.odt"), *common]) == 2
    assert main(["report", "--out", str(tmp_path / "e.html"), *common]) == 2
    assert main(["report", "--project", str(gpkg), "--epci", DOMBES, "--out", str(tmp_path / "f.html"), *common]) == 2
    err = capsys.readouterr().err
    assert "Extension inconnue « .odt »" in err and "donnez un territoire" in err and "--project remplace" in err
    assert not (tmp_path / "d.odt").exists() and not (tmp_path / "e.html").exists()


def test_embedded_images_decode(embedded_dossier):
    _, html = embedded_dossier
    for src in re.findall(r'src="(data:[^"]+)"', html):
        header, data = src.split(",", 1)
        raw = base64.b64decode(data)
        assert raw.startswith(b"\x89PNG") if "png" in header else b"<svg" in raw[:500]


# --- the app: « Dossier » downloads prepared once per territory and project state -------------------------


@pytest.fixture
def app_folder(projects_folder):
    return projects_folder


def dossier_buttons(at) -> dict[str, bool]:
    """Label -> disabled of the dossier download buttons on the page."""
    return {b.proto.label: b.proto.disabled for b in at.get("download_button") if b.proto.label.startswith("Dossier")}


def test_diagnostic_and_projet_pages_offer_the_dossier(app_folder, embedded):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app_pages" / "2_Diagnostic.py"), default_timeout=90)
    at.query_params["epci"] = DOMBES
    at.run()
    assert not at.exception
    assert dossier_buttons(at) == {"Dossier (HTML)": False, "Dossier (PDF)": False}
    assert "Sans inventaire d'acteurs" in " ".join(c.value for c in at.caption)

    project, _ = new_project(embedded, "PTCE Dombes", TerritoryDefinition(epci=[DOMBES]))
    app_folder.mkdir(parents=True)
    save_project(project, app_folder / "ptce-dombes.gpkg")
    page = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    page.switch_page("app_pages/5_Projet.py")
    page.query_params["projet"] = "ptce-dombes"
    page.run()
    assert not page.exception and dossier_buttons(page) == {"Dossier (HTML)": False, "Dossier (PDF)": False}
    assert "Projet inclus." in " ".join(c.value for c in page.caption)


def test_dossier_file_is_built_once_per_state_and_again_after_a_change(app_folder, embedded, project_with_history):
    import time

    from ui.dossier import dossier_file, project_key

    project, diag, inventory = project_with_history
    keys = ("g", diag.territory.definition.to_json(), "inv", project_key(project))
    started = time.perf_counter()
    first = dossier_file(*keys, "html", diag, inventory, project)
    built = time.perf_counter() - started
    started = time.perf_counter()
    again = dossier_file(*keys, "html", diag, inventory, project)
    assert again == first and time.perf_counter() - started < built / 5  # from the cache
    assert "Peu de mobilité" in first.decode("utf-8")
    before = project_key(project)
    project.add_finding("Un second constat partagé")
    assert project_key(project) != before
    changed = dossier_file(*keys[:3], project_key(project), "html", diag, inventory, project)
    assert "Un second constat partagé" in changed.decode("utf-8")


# --- limits, at their boundary ---------------------------------------------------------------------------


def parts_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"nom": [f"EPCI n°{i}" for i in range(n)], "population_dans_territoire": [1000.0 + i for i in range(n)],
                         "taux": [5.0 + i % 7 for i in range(n)]})


@pytest.mark.parametrize("n, drawn", [(1, None), (2, 2), (MAX_EPCI_BARS, MAX_EPCI_BARS), (MAX_EPCI_BARS + 1, MAX_EPCI_BARS)])
def test_epci_chart_draws_at_most_the_most_populated_parts_and_says_so(n, drawn):
    fig = epci_chart(parts_frame(n), [("taux", "Taux", "%", 6.0, 7.0)])
    if drawn is None:
        assert fig is None  # a single EPCI part: nothing to compare
        return
    named = [f"EPCI n°{i} " for i in range(n) if f"EPCI n°{i} " in fig.alt]
    assert len(named) == drawn and ("EPCI n°0 " in fig.alt) == (n <= MAX_EPCI_BARS)  # the least populated is left out first
    assert bool(fig.caption) == (n > MAX_EPCI_BARS) and (f"sur {n}" in fig.caption) == (n > MAX_EPCI_BARS)


def test_territory_is_named_after_up_to_three_whole_epci(embedded):
    four = embedded.epci.sort_values("communes_total", kind="stable").index[:4].tolist()
    for count in (3, 4):
        diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=four[:count])))
        name = territory_name(diag)
        if count == 3:
            assert name == " + ".join(diag.epci["nom"])
        else:
            assert name.startswith(f"Territoire de {diag.overview['communes']} communes autour de ")


@pytest.mark.parametrize("deps, shown_deps, shown_regs", [(("01", "38", "69"), 3, 1), (("01", "38", "69", "73"), 3, 1),
                                                       (("01", "21", "75"), 3, 2), (("01", "21", "75", "29"), 3, 2)])
def test_at_most_three_departements_and_two_regions_are_compared_then_france(embedded, deps, shown_deps, shown_regs):
    codes = [c for dep in deps for c in embedded.communes.index[embedded.communes["code_dep"] == dep][:2]]
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(communes=codes)))
    shown = [c for c, _ in comparators(diag)]
    assert shown[-1] == "france"
    assert sum(c.startswith("departement_") for c in shown) == shown_deps == min(len(deps), MAX_COMPARATORS["departement"])
    assert sum(c.startswith("region_") for c in shown) == shown_regs <= MAX_COMPARATORS["region"]
