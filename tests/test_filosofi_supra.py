"""INSEE's published supra-communal Filosofi values on real files, and the estimator's error against them.

Expected figures are read with plain pandas from the raw workbook (``base-cc-filosofi-2019``). A cache
built from that workbook alone (2019 communes + 2019 EPCI/DEP/REG/METRO over the embedded geography)
must use the published values as such; the shared cache (2021 communes) must estimate them.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from ptce_geo.diagnostic import diagnose
from ptce_geo.export import tables
from ptce_geo.reference import load_reference
from ptce_geo.sources.local import import_directory, scan
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import SHARED, needs_shared

pytestmark = needs_shared
LYON_METRO, LYON = "200046977", "69123"
ROOT = Path(__file__).resolve().parent.parent


@cache
def raw_sheet(sheet: str) -> pd.DataFrame:
    with zipfile.ZipFile(SHARED / "insee_filosofi_2019_tous_niveaux" / "base-cc-filosofi-2019_XLSX.zip") as archive:
        data = archive.read(archive.namelist()[0])
    frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet, header=5, dtype=str, engine="calamine")
    blank = frame["CODGEO"].isna().to_numpy().nonzero()[0]  # the Budget de famille block (971, 973, 976) follows a blank row
    frame = frame.iloc[: blank[0] if len(blank) else len(frame)].set_index("CODGEO")
    return frame[["MED19", "TP6019"]].apply(pd.to_numeric, errors="coerce")


@pytest.fixture(scope="module")
def ref_2019(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache_filo2019")
    import_directory(SHARED / "insee_filosofi_2019_tous_niveaux", root)
    return load_reference(root)


def test_the_raw_workbook_says_what_the_issue_quotes():
    metro, epci = raw_sheet("METRO"), raw_sheet("EPCI")
    assert tuple(metro.iloc[0]) == (21930, 14.5) and epci.loc[LYON_METRO, "MED19"] == 22710
    assert raw_sheet("COM").loc[LYON, "MED19"] == 24150


def test_workbook_and_supra_files_are_recognised_per_level():
    found = {ds.id: ds for ds, _ in scan(SHARED / "insee_filosofi_2019_tous_niveaux").found}
    assert set(found) == {"insee_filosofi", "insee_filosofi_supra_epci_2019_cc", "insee_filosofi_supra_departement_2019_cc",
                          "insee_filosofi_supra_region_2019_cc", "insee_filosofi_supra_france_2019_cc"}
    deps = found["insee_filosofi_supra_departement_2019_cc"].table
    assert len(deps) == 98 and not deps["code"].isin(["971", "973", "976"]).any()  # the Budget de famille block is left out
    supra = {ds.id: ds.table for ds, _ in scan(SHARED / "insee_filosofi_2020_departements").found}
    poor = supra["insee_filosofi_supra_departement_2020_pauvres"].set_index("code")
    raw = pd.read_csv(SHARED / "insee_filosofi_2020_departements" / "FILO2020_DISP_PAUVRES_DEP.csv", sep=";", dtype=str,
                      usecols=["CODGEO", "TP6020"]).set_index("CODGEO")["TP6020"].str.replace(",", ".").astype(float)
    assert poor["taux_pauvrete"].equals(raw.reindex(poor.index).rename("taux_pauvrete")) and set(poor["annee"]) == {2020}


def test_published_values_are_used_as_such_when_of_the_communes_year(ref_2019):
    assert ref_2019.vintages["med_niveau_vie"]["annee"] == 2019
    for level, sheet in (("departement", "DEP"), ("region", "REG"), ("france", "METRO")):
        ours = ref_2019.level(level)
        raw = raw_sheet(sheet)
        if level == "france":
            raw.index = ["FR"]
        both = ours.index.intersection(raw.index)
        assert len(both) == len(raw), level
        pd.testing.assert_series_equal(ours.loc[both, "med_niveau_vie"], raw.loc[both, "MED19"], check_names=False, check_dtype=False)
        pd.testing.assert_series_equal(ours.loc[both, "taux_pauvrete"], raw.loc[both, "TP6019"], check_names=False, check_dtype=False)
        assert set(ours.loc[both, "methode_med_niveau_vie"]) == {"publié INSEE"}
        assert (ours.loc[both, "couverture_taux_pauvrete"] == 1.0).all()
    assert tuple(ref_2019.level("france").loc["FR", ["med_niveau_vie", "taux_pauvrete"]]) == (21930, 14.5)
    assert ref_2019.level("departement").loc[["971", "976"], "med_niveau_vie"].isna().all()  # no commune figure: no estimate


def test_a_whole_epci_shows_its_published_median_not_its_largest_commune(ref_2019):
    diag = diagnose(ref_2019, build_territory(ref_2019, TerritoryDefinition(epci=[LYON_METRO])))
    row = diag.summary.loc["med_niveau_vie"]
    assert row["valeur_territoire"] == 22710 and row["methode"] == "publié INSEE"
    assert diag.summary.loc["taux_pauvrete", "valeur_territoire"] == raw_sheet("EPCI").loc[LYON_METRO, "TP6019"]
    assert row["departement_69"] == raw_sheet("DEP").loc["69", "MED19"] and row["methode_departement_69"] == "publié INSEE"
    assert row["france"] == 21930 and row["couverture_france"] == 1.0
    synthese = tables(diag)["synthese"].set_index("indicateur")  # what synthese.csv holds
    assert synthese.loc["med_niveau_vie", ["methode", "methode_france", "couverture_france"]].tolist() == \
        ["publié INSEE", "publié INSEE", 1.0]
    assert synthese.loc["population", "methode_france"] == "calculé"


def test_a_custom_territory_is_estimated_and_says_so(ref_2019):
    communes = ref_2019.communes.index[ref_2019.communes["code_epci"] == LYON_METRO][:10].tolist()
    diag = diagnose(ref_2019, build_territory(ref_2019, TerritoryDefinition(communes=communes)))
    assert set(diag.summary.loc[["med_niveau_vie", "taux_pauvrete"], "methode"]) == {"estimé"}
    assert diag.epci.loc[LYON_METRO, "methode_med_niveau_vie"] == "estimé"  # a part of the EPCI, not the EPCI


@pytest.mark.parametrize(("level", "column", "code", "sheet"), [("departement", "code_dep", "01", "DEP"), ("region", "code_reg", "94", "REG")])
def test_a_whole_departement_or_region_shows_its_published_values(ref_2019, level, column, code, sheet):
    members = ref_2019.communes.index[ref_2019.communes[column] == code].tolist()
    diag = diagnose(ref_2019, build_territory(ref_2019, TerritoryDefinition(communes=members)))
    summary = diag.summary
    assert summary.loc["med_niveau_vie", "valeur_territoire"] == raw_sheet(sheet).loc[code, "MED19"]
    assert summary.loc["taux_pauvrete", "valeur_territoire"] == raw_sheet(sheet).loc[code, "TP6019"]
    assert set(summary.loc[["med_niveau_vie", "taux_pauvrete"], "methode"]) == {"publié INSEE"}
    assert (summary.loc[["med_niveau_vie", "taux_pauvrete"], "couverture"] == 1.0).all()
    less = diagnose(ref_2019, build_territory(ref_2019, TerritoryDefinition(communes=members[1:])))  # one commune short
    assert set(less.summary.loc[["med_niveau_vie", "taux_pauvrete"], "methode"]) == {"estimé"}
    assert less.summary.loc["med_niveau_vie", "valeur_territoire"] != raw_sheet(sheet).loc[code, "MED19"]


def test_2021_communes_never_take_2019_published_values(shared):
    france = shared.level("france").loc["FR"]
    assert france["methode_taux_pauvrete"] == "estimé" and france["methode_med_niveau_vie"] == "estimé"
    assert 14.0 < france["taux_pauvrete"] < 16.5 and france["couverture_taux_pauvrete"] < 0.9  # low coverage: marked
    lyon = shared.level("epci").loc[LYON_METRO, "med_niveau_vie"]
    assert lyon != shared.variables.loc[LYON, "med_niveau_vie"]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_income_estimator", ROOT / "bench" / "bench_income_estimator.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


# tolerances a little above the errors measured (README): median €, poverty points; (median abs, p90, max)
TOLERANCE = {"epci": ((120, 300, 700), (1.1, 2.8, 7.0)), "departement": ((160, 280, 450), (0.7, 1.6, 2.4)),
             "region": ((160, 240, 350), (0.6, 1.3, 1.8)), "france": ((160, 160, 160), (0.5, 0.5, 0.5))}


def test_estimator_error_against_inseee_2019_published_values():
    from ptce_geo.income import estimate_by, fit_model

    bench = _bench()
    table, published = bench.load_2019(SHARED), bench.published_2019(SHARED)
    model = fit_model(table, table["departement"])
    for level, (med_tol, pov_tol) in TOLERANCE.items():
        after = bench.errors(estimate_by(model, table[level]), published[level])
        before = bench.errors(bench.former_method(table, level), published[level])
        assert after.loc["med_niveau_vie", "n"] == len(published[level]), level  # every EPCI estimated, not only the published ones
        for column, tol in (("med_niveau_vie", med_tol), ("taux_pauvrete", pov_tol)):
            got = tuple(after.loc[column, ["mediane", "p90", "max"]])
            assert all(g <= t for g, t in zip(got, tol, strict=True)), (level, column, got)
            assert after.loc[column, "mediane"] < before.loc[column, "mediane"], (level, column)


def test_the_dossier_says_an_income_figure_is_estimated_and_how_far_off(shared):
    from ptce_geo.dossier.sections import indicator_rows

    communes = shared.communes.index[shared.communes["code_epci"] == LYON_METRO][:10].tolist()
    rows = {r["id"]: r for r in indicator_rows(diagnose(shared, build_territory(shared, TerritoryDefinition(communes=communes))))}
    # README « Erreur mesurée »: median |error| of the EPCI estimates, 0,9 point and 94 €
    assert rows["taux_pauvrete"]["note"].startswith("estimé ± 0,9 pt") and rows["med_niveau_vie"]["note"].startswith("estimé ± 94 €")
    assert not rows["pop_rp"]["note"].startswith("estimé")
