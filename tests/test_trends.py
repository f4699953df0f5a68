"""Trends: population and its balances, jobs, unemployment, income and ages over time (ptce_geo.trends, series_tables).

Core tests run on small hand-made tables (expected values computed here by hand); real-data tests
read ``../shared/data`` with plain pandas, independently of the code under test.
"""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from ptce_geo.build import build_cache
from ptce_geo.cache import read_manifest
from ptce_geo.diagnostic import diagnose
from ptce_geo.errors import SourceFileError
from ptce_geo.export import tables
from ptce_geo.income import estimate_by, fit_model
from ptce_geo.reference import load_reference
from ptce_geo.sources.census_series import census_year, period_columns
from ptce_geo.sources.datasets import recognise
from ptce_geo.sources.local import import_directory
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.trends import COLUMNS, FULL_COVERAGE, Groups, as_index, trends_by
from tests.conftest import SHARED, needs_shared
from tests.test_pages import diagnostic_section

AMIENS, VAL_DE_SOMME = "248000531", "248000499"


def _value(frame: pd.DataFrame, ind: str, annee: str, code: str = "A") -> float:
    row = frame[(frame["indicateur"] == ind) & (frame["annee"] == annee) & (frame["code"] == code)]
    assert len(row) == 1, (ind, annee, code, row)
    return float(row["valeur"].iloc[0])


@pytest.fixture
def small():
    """Four communes in two groups: A = {1, 2}, B = {3, 4}."""
    series = pd.DataFrame({
        "pop_rp@2013": [1000.0, 500.0, 200.0, 300.0], "pop_rp@2018": [1100.0, 480.0, 210.0, 290.0],
        "naissances@2013-2018": [60.0, 20.0, 10.0, 12.0], "deces@2013-2018": [40.0, 35.0, 8.0, 20.0],
        "chomeurs_1564@2018": [50.0, 10.0, 5.0, np.nan], "actifs_1564@2018": [500.0, 200.0, 100.0, 150.0],
        "pop_1564@2018": [700.0, 300.0, 130.0, 190.0],
    }, index=["c1", "c2", "c3", "c4"])
    meta = {c: {"millesime": "RP " + c[-4:] if "@2018" in c or "@2013" in c else "État civil", "source": "test"} for c in series}
    key = pd.Series(["A", "A", "B", "B"], index=series.index)
    legal = pd.Series([1100.0, 480.0, 210.0, 290.0], index=series.index)
    return series, meta, key, legal


def test_population_change_splits_into_natural_and_apparent_migration_balance(small):
    series, meta, key, legal = small
    out = trends_by(series, meta, Groups.of("epci", key, {"A": "Groupe A"}, legal))
    assert list(out.columns) == COLUMNS
    # group A by hand: 1500 -> 1580 ; births 80, deaths 75
    assert _value(out, "population", "2013") == 1500 and _value(out, "population", "2018") == 1580
    assert _value(out, "variation_population", "2013-2018") == 80
    assert _value(out, "solde_naturel", "2013-2018") == 5
    assert _value(out, "solde_migratoire_apparent", "2013-2018") == 75
    total = ((1580 / 1500) ** (1 / 5) - 1) * 100
    natural = 5 / 5 / ((1500 + 1580) / 2) * 100
    assert _value(out, "taux_evolution_annuel", "2013-2018") == pytest.approx(total)
    assert _value(out, "taux_solde_naturel", "2013-2018") == pytest.approx(natural)
    assert _value(out, "taux_solde_migratoire_apparent", "2013-2018") == pytest.approx(total - natural)
    assert set(out.loc[out["code"] == "A", "libelle"]) == {"Groupe A"} and set(out.loc[out["code"] == "B", "libelle"]) == {"B"}


def test_rates_are_ratios_of_sums_over_communes_where_both_terms_are_known(small):
    series, meta, key, legal = small
    out = trends_by(series, meta, Groups.of("epci", key, {}, legal))
    assert _value(out, "taux_chomage", "2018", "A") == pytest.approx(60 / 700 * 100)  # not the mean of 10 % and 5 %
    assert _value(out, "taux_chomage", "2018", "B") == pytest.approx(5 / 100 * 100)  # c4: unknown unemployed, left out of both
    assert _value(out, "taux_activite", "2018", "B") == pytest.approx(250 / 320 * 100)
    note = out[(out["indicateur"] == "taux_chomage") & (out["code"] == "B")]["millesime"].iloc[0]
    assert "couverture 42 %" in note  # c3 = 210 of 500 inhabitants


@pytest.mark.parametrize("missing_share, noted", [(1 - FULL_COVERAGE, False), (1 - FULL_COVERAGE + 0.001, True)])
def test_a_value_says_its_coverage_below_99_percent(missing_share, noted):
    series = pd.DataFrame({"pop_rp@2021": [100.0, np.nan]}, index=["x", "y"])
    legal = pd.Series([1 - missing_share, missing_share], index=series.index) * 1000
    out = trends_by(series, {"pop_rp@2021": {"millesime": "RP 2021", "source": "s"}},
                    Groups.of("territoire", pd.Series("T", index=series.index), {}, legal))
    assert ("couverture" in out["millesime"].iloc[0]) is noted


def test_periods_without_births_and_deaths_give_the_total_rate_only(small):
    series, meta, key, legal = small
    series = series.drop(columns=["deces@2013-2018"])
    out = trends_by(series, meta, Groups.of("epci", key, {}, legal))
    assert "taux_evolution_annuel" in set(out["indicateur"]) and "solde_naturel" not in set(out["indicateur"])


def test_as_index_is_base_100_at_each_entity_first_date(small):
    series, meta, key, legal = small
    out = as_index(trends_by(series, meta, Groups.of("epci", key, {}, legal)).query("indicateur == 'population'"))
    assert out.loc[(out["code"] == "A") & (out["an"] == 2018), "indice"].iloc[0] == pytest.approx(1580 / 1500 * 100)


def test_income_of_every_date_and_grouping_at_once_equals_the_estimator_group_by_group():
    rng = np.random.default_rng(7)
    n = 60
    table = pd.DataFrame({"med_niveau_vie": rng.uniform(17_000, 30_000, n), "nb_pers_menages_fisc": rng.uniform(100, 5000, n),
                          "nb_menages_fisc": rng.uniform(50, 2000, n), "population": rng.uniform(100, 6000, n)},
                         index=[f"c{i}" for i in range(n)])
    table["d1_niveau_vie"], table["d9_niveau_vie"] = table["med_niveau_vie"] * 0.55, table["med_niveau_vie"] * 1.9
    models = {"2019": fit_model(table), "2021": fit_model(table.assign(med_niveau_vie=table["med_niveau_vie"] * 1.05))}
    parts = pd.Series(rng.choice(["A", "B", "C"], n), index=table.index, dtype=object)
    whole = pd.Series("T", index=table.index, dtype=object)
    out = trends_by(pd.DataFrame(index=table.index), {}, [Groups.of("territoire", whole, {}, table["population"]),
                                                          Groups.of("epci", parts, {}, table["population"])], models)
    for period, model in models.items():
        for key, niveau in ((whole, "territoire"), (parts, "epci")):
            expected = estimate_by(model, key)
            for code, row in expected.iterrows():
                got = out[(out["niveau"] == niveau) & (out["code"] == code) & (out["annee"] == period)].set_index("indicateur")["valeur"]
                assert got["med_niveau_vie"] == pytest.approx(row["med_niveau_vie"], rel=1e-9)
                assert got["taux_pauvrete"] == pytest.approx(row["taux_pauvrete"], rel=1e-9)


@pytest.mark.parametrize("yy, year", [("68", 1968), ("99", 1999), ("50", 1950), ("49", 2049), ("00", 2000), ("21", 2021)])
def test_two_digit_census_years(yy, year):
    assert census_year(yy) == year


def _historical(codes: list[str]) -> pd.DataFrame:
    """A séries historiques file in INSEE's layout (commune level)."""
    n = len(codes)
    return pd.DataFrame({"CODGEO": codes, "P21_POP": ["110"] * n, "P15_POP": ["100"] * n, "D68_POP": ["80"] * n, "SUPERF": ["5,2"] * n,
                         "NAIS1521": ["9"] * n, "DECE1521": ["4"] * n, "NAISD22": ["1"] * n}).astype(str)


def test_historical_series_file_is_recognised_with_every_date_and_period():
    ds = recognise(_historical(["80021", "80001", "75101"]), "base-cc-serie-historique-2021.CSV")
    assert ds.id == "insee_rp_series_historiques_2021" and ds.vintage == "RP 1968 à 2021"
    assert set(ds.variables) == {"pop_rp@2021", "pop_rp@2015", "pop_rp@1968", "naissances@2015-2021", "deces@2015-2021"}
    assert list(ds.table["code_commune"]) == ["80021", "80001"]  # arrondissements left out (their commune is in the file)
    assert "population sans doubles comptes" in ds.variables["pop_rp@1968"]["millesime"]


@pytest.mark.parametrize("census, column, period", [(("P18_POP", "P13_POP"), "NAIS1318", "2013-2018"),  # 2022 comparateur
                                                    (("P22_POP", "P16_POP"), "NAIS1621", "2016-2022"),  # 2025: years 2016 to 2021
                                                    (("P22_POP", "P16_POP", "P11_POP"), "DECE1115", "2011-2016"),
                                                    (("P21_POP", "D99_POP", "D90_POP"), "NAIS9099", "1990-1999")])
def test_births_and_deaths_periods_end_at_a_census_date_of_the_file(census, column, period):
    assert [k.partition("@")[2] for k in period_columns([*census, column])] == [period]


def test_age_file_is_recognised_and_a_comparateur_with_age_columns_stays_the_comparateur():
    age = pd.DataFrame({"CODGEO": ["80021"], "P21_POP": ["100"], "P21_POP0014": ["20"], "P21_POP65P": ["15"]})
    assert recognise(age, "base-cc-evol-struct-pop-2021.CSV").id == "insee_rp_structure_age_2021"
    comparateur = age.assign(SUPERF="1", MED21="20000", P15_POP="90")
    assert recognise(comparateur, "base_cc_comparateur.csv").id == "insee_comparateur"


def test_census_file_at_iris_level_is_refused_naming_the_file():
    iris = pd.DataFrame({"IRIS": ["800210101"], "COM": ["80021"], "P21_POP": ["1000"]})
    with pytest.raises(SourceFileError, match=r"base-ic-evol-struct-pop-2021\.CSV : fichier du recensement à l'échelle des IRIS"):
        recognise(iris, "base-ic-evol-struct-pop-2021.CSV")


def test_census_file_keyed_by_departements_is_refused_naming_the_geography():
    deps = _historical([f"{i:02d}" for i in range(1, 96) if i != 20])
    with pytest.raises(SourceFileError, match=r"serie_dep\.csv : .*codes des départements ou des régions"):
        recognise(deps, "serie_dep.csv")


def _write_csv(frame: pd.DataFrame, path) -> None:
    path.write_text(frame.to_csv(index=False, sep=";"), encoding="utf-8")


def test_file_of_another_geography_is_refused_and_the_previous_cache_stays(embedded_root, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    before = read_manifest(root)["generation"]
    folder = tmp_path / "import"
    folder.mkdir()
    codes = [f"{d:02d}{i:03d}" for d in (1, 2) for i in range(900, 1000)]  # well-formed, unknown to the reference geography
    _write_csv(_historical(codes[:180]), folder / "base-cc-serie-historique-2021.CSV")
    with pytest.raises(SourceFileError, match=r"base-cc-serie-historique-2021\.CSV : fichier d'une autre géographie"):
        import_directory(folder, root)
    assert read_manifest(root)["generation"] == before


def _filosofi(codes: pd.Index, year: int, median: float) -> pd.DataFrame:
    yy = f"{year % 100:02d}"
    n = len(codes)
    rng = np.random.default_rng(year)
    med = median * (1 + 0.1 * rng.standard_normal(n))
    return pd.DataFrame({"CODGEO": codes, f"NBMENFISC{yy}": np.full(n, 400), f"NBPERSMENFISC{yy}": np.full(n, 900),
                         f"MED{yy}": med.round(), f"TP60{yy}": np.full(n, 12.5), f"D1{yy}": (med * 0.55).round(),
                         f"D9{yy}": (med * 1.8).round()})


def test_the_trend_keeps_a_filosofi_year_replaced_by_a_newer_one_and_grows_with_imports(embedded_root, embedded, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    codes = embedded.communes.index[embedded.communes["code_dep"] == "80"]
    for year, median in ((2019, 20_000.0), (2021, 21_000.0)):
        folder = tmp_path / f"filosofi{year}"
        folder.mkdir()
        _write_csv(_filosofi(codes, year, median), folder / f"cc_filosofi_{year}_COM.csv")
        import_directory(folder, root)
    ref = load_reference(root)
    assert {"med_niveau_vie@2019", "med_niveau_vie@2021"} <= set(ref.series.columns)  # 2019 kept although its dataset lost
    assert ref.vintages["med_niveau_vie"]["annee"] == 2021  # the indicators keep the most recent
    diag = diagnose(ref, build_territory(ref, TerritoryDefinition(epci=[AMIENS])))
    med = diag.trends[(diag.trends["indicateur"] == "med_niveau_vie") & (diag.trends["niveau"] == "territoire")]
    assert list(med["annee"]) == ["2019", "2021"] and med["valeur"].is_monotonic_increasing
    assert all("même méthode à chaque date" in s for s in med["source"])
    build_cache([], root, keep_previous=False)  # data reset: the series go with the imports
    assert load_reference(root).series.filter(like="med_niveau_vie").empty


def test_age_file_gives_age_structure_and_ageing_of_the_territory(embedded_root, embedded, tmp_path, monkeypatch):
    root = tmp_path / "cache"
    shutil.copytree(embedded_root, root)
    codes = embedded.communes.index[embedded.communes["code_dep"] == "80"]
    n = len(codes)
    bands = {"P21_POP0014": 20, "P21_POP1529": 15, "P21_POP3044": 18, "P21_POP4559": 20, "P21_POP6074": 17, "P21_POP7589": 8,
             "P21_POP90P": 2, "P21_POP0019": 26, "P21_POP65P": 21}
    frame = pd.DataFrame({"CODGEO": codes, "P21_POP": np.full(n, 100), **{c: np.full(n, v) for c, v in bands.items()}})
    folder = tmp_path / "age"
    folder.mkdir()
    _write_csv(frame, folder / "base-cc-evol-struct-pop-2021.CSV")
    import_directory(folder, root)
    ref = load_reference(root)
    diag = diagnose(ref, build_territory(ref, TerritoryDefinition(epci=[AMIENS])))
    t = diag.trends[diag.trends["niveau"] == "territoire"]
    assert _value(t, "part_75p", "2021", "territoire") == pytest.approx(10.0)  # 7589 + 90P, over the sum of the six bands
    assert _value(t, "part_65p", "2021", "territoire") == pytest.approx(21.0)
    assert _value(t, "indice_vieillissement", "2021", "territoire") == pytest.approx(21 / 26 * 100)
    somme = _level(ref, "departement", "80")
    assert _value(somme, "part_0014", "2021", "80") == pytest.approx(20.0)

    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(root))  # the Trajectoire tab draws the age structure instead of the notice
    st.cache_resource.clear()
    try:
        at = diagnostic_section(AMIENS, "Trajectoire")
        assert not at.exception
        assert "Structure par âge en 2021" in " ".join(m.value for m in at.markdown)
        assert not any("fichier absent" in i.value for i in at.info)
    finally:
        st.cache_resource.clear()


# --- real data -----------------------------------------------------------------------------------


def _raw_comparateur() -> pd.DataFrame:
    with gzip.open(SHARED / "insee_comparateur_2022_klopstock" / "base_cc_comparateur_2022.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle, dtype={"CODGEO": str})
    return frame[~frame["CODGEO"].str.match(r"^(751\d\d|6938\d|132\d\d)$")]


def _raw_rp2021() -> pd.DataFrame:
    return pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype={"insee_com": str, "insee_dep": str})


def _level(ref, niveau: str, code: str) -> pd.DataFrame:
    levels = ref.trend_levels
    return levels[(levels["niveau"] == niveau) & (levels["code"] == code)]


@needs_shared
@pytest.mark.parametrize("dep", ["80", "2A", "974"])
def test_departement_population_and_natural_balance_equal_the_raw_files(shared, dep):
    raw = _raw_comparateur()
    raw = raw[raw["CODGEO"].str.startswith(dep)]
    rp21 = _raw_rp2021()
    rp21 = rp21[rp21["insee_dep"] == dep]
    trends = _level(shared, "departement", dep)
    assert _value(trends, "population", "2013", dep) == pytest.approx(raw["P13_POP"].sum(), abs=0.5)
    assert _value(trends, "population", "2018", dep) == pytest.approx(raw["P18_POP"].sum(), abs=0.5)
    assert _value(trends, "population", "2015", dep) == pytest.approx(rp21["population_2015"].sum(), abs=0.5)
    assert _value(trends, "population", "2021", dep) == pytest.approx(rp21["population_2021"].sum(), abs=0.5)
    natural = raw["NAIS1318"].sum() - raw["DECE1318"].sum()
    assert _value(trends, "solde_naturel", "2013-2018", dep) == pytest.approx(natural, abs=0.5)
    change = raw["P18_POP"].sum() - raw["P13_POP"].sum()
    assert _value(trends, "solde_migratoire_apparent", "2013-2018", dep) == pytest.approx(change - natural, abs=0.5)
    chom, act = rp21["pop_15_64_chomage_2021"].sum(), rp21["pop_15_64_active_2021"].sum()
    assert _value(trends, "taux_chomage", "2021", dep) == pytest.approx(chom / act * 100, abs=1e-6)
    assert _value(trends, "emplois", "2013", dep) == pytest.approx(raw["P13_EMPLT"].sum(), abs=0.5)


@needs_shared
def test_france_income_2019_estimated_like_2021_is_close_to_insee_published_value(shared):
    with zipfile.ZipFile(SHARED / "insee_filosofi_2019_tous_niveaux" / "base-cc-filosofi-2019_XLSX.zip") as archive:
        data = archive.read(archive.namelist()[0])
    metro = pd.read_excel(io.BytesIO(data), sheet_name="METRO", header=5, dtype=str, engine="calamine").iloc[0]
    trends = _level(shared, "france", "FR")
    assert _value(trends, "med_niveau_vie", "2019", "FR") == pytest.approx(float(metro["MED19"]), abs=250)  # measured error 117 €
    assert _value(trends, "taux_pauvrete", "2019", "FR") == pytest.approx(float(metro["TP6019"]), abs=1.0)
    assert "2021" in set(trends.loc[trends["indicateur"] == "med_niveau_vie", "annee"])


@needs_shared
def test_diagnostic_trends_cover_territory_epci_parts_and_comparators_and_go_to_tendances_csv(shared):
    diag = diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME])))
    trends = diag.trends
    assert set(trends["niveau"]) == {"territoire", "epci", "departement", "region", "france"}
    assert set(trends.loc[trends["niveau"] == "epci", "code"]) == {AMIENS, VAL_DE_SOMME}
    communes = diag.communes.index
    raw = _raw_rp2021().set_index("insee_com")
    assert _value(trends, "population", "2021", "territoire") == pytest.approx(raw.reindex(communes)["population_2021"].sum(), abs=0.5)
    written = tables(diag)["tendances"]
    assert list(written.columns) == COLUMNS and len(written) == len(trends)
    assert not trends["indicateur"].str.startswith("part_").any()  # no age file in ../shared/data
