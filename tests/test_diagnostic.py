"""Diagnostic baseline on real data, expected figures computed here from the source files; aggregation invariants."""

import numpy as np
import pandas as pd
import pytest
import shapely.geometry as sg
from hypothesis import given, settings
from hypothesis import strategies as st
from inequality.theil import TheilD

from ptce_geo.alerts import AlertParams
from ptce_geo.diagnostic import diagnose
from ptce_geo.disparity import max_min_ratio, theil_split, weighted_cv
from ptce_geo.indicators import INDICATORS, aggregate_by, coverage_by, weighted_medians
from ptce_geo.reference import FETCH_HINT
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import needs_shared
from tests.source_files import AMIENS, DOMBES, aav_2022, census_2021, cog_2026, datafrance_communes, density_grid, filosofi


def codes(diag):
    return [a.code for a in diag.alerts]


@pytest.fixture(scope="module")
def two_epci(shared):
    """CA Amiens Métropole + CC de la Dombes on the imported data."""
    return diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[AMIENS, DOMBES])))


# --- embedded default ----------------------------------------------------------------------

def test_the_embedded_default_gives_a_baseline_and_says_what_is_missing(embedded):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES])))
    source = datafrance_communes()
    members = source[(source["type"] == "COM") & (source["epci"] == DOMBES)]
    assert diag.summary.at["population", "valeur_territoire"] == members["population"].sum()
    assert diag.overview["communes"] == len(members) == diag.epci.at[DOMBES, "communes_dans_territoire"]
    assert "taux_chomage" in diag.missing and not diag.summary.at["taux_chomage", "disponible"]
    assert np.isnan(diag.summary.at["taux_chomage", "valeur_territoire"])
    assert FETCH_HINT in diag.summary.at["taux_chomage", "note"]
    missing = next(a for a in diag.alerts if a.code == "INDICATEURS_MANQUANTS")
    assert missing.level == "info" and FETCH_HINT in missing.message and "taux_chomage" in missing.figures["indicateurs_manquants"]
    assert not diag.rural_urban.available and "Grille communale de densité absente" in diag.rural_urban.notes[-1]
    assert diag.summary.at["densite_pop", "departement_01"] == pytest.approx(embedded.level("departement").at["01", "densite_pop"])


def test_two_epci_of_different_types_raise_the_multi_epci_alert(embedded):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[AMIENS, DOMBES])))
    alert = next(a for a in diag.alerts if a.code == "EPCI_TYPES_MULTIPLES")
    assert alert.figures["types"] == {"CA": 1, "CC": 1} and alert.figures["epci"] == {AMIENS: "CA", DOMBES: "CC"}
    assert "communauté d'agglomération" in alert.message and alert.level == "vigilance"
    assert "TERRITOIRE_TROP_VASTE" in codes(diag)  # Somme + Ain: about 500 km apart
    assert set(diag.overview["departements"]) == {"80", "01"} and 480 < diag.overview["diametre_km"] < 530
    assert "EPCI_TYPES_MULTIPLES" not in codes(diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES]))))


def test_a_partly_covered_epci_is_flagged_with_its_figures(embedded):
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES], exclude=["01001"])))
    source = datafrance_communes()
    members = source[(source["type"] == "COM") & (source["epci"] == DOMBES)].set_index("code")
    row = diag.epci.loc[DOMBES]
    assert row["partiel"] and row["communes_total"] == len(members) and row["communes_dans_territoire"] == len(members) - 1
    assert row["part_population"] == pytest.approx(1 - members.at["01001", "population"] / members["population"].sum())
    alert = next(a for a in diag.alerts if a.code == "EPCI_PARTIELS")
    assert alert.figures["epci_partiels"][0]["communes_total"] == len(members) and "sur" in alert.message


def test_a_territory_too_large_is_flagged_with_the_numbers_that_triggered_it(embedded):
    territory = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(sg.box(-6.0, 41.0, 10.0, 51.5))))
    diag = diagnose(embedded, territory)
    alert = next(a for a in diag.alerts if a.code == "TERRITOIRE_TROP_VASTE")
    assert alert.level == "alerte" and alert.figures["communes"] == len(territory.communes) > 34_000
    assert alert.figures["departements"] == 96 and alert.figures["diametre_km"] > 900
    quiet = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[DOMBES])),
                     AlertParams(max_communes=10, max_diameter_km=500))
    assert next(a for a in quiet.alerts if a.code == "TERRITOIRE_TROP_VASTE").figures["seuil_communes"] == 10


def test_alert_parameters_are_validated():
    with pytest.raises(ValueError, match="max_communes.*reçu -1"):
        AlertParams(max_communes=-1)
    with pytest.raises(ValueError, match="indicateur inconnu 'chomage'"):
        AlertParams(disparity={"chomage": (1.5, 0.2)})


# --- imported real data ----------------------------------------------------------------------

@needs_shared
def test_the_unemployment_rate_is_summed_unemployed_over_summed_actives(shared, two_epci):
    cog, rp = cog_2026(), census_2021()
    members = cog.index[cog["epci_siren"].isin([AMIENS, DOMBES])]
    part = rp.loc[members]
    expected = part["pop_15_64_chomage_2021"].sum() / part["pop_15_64_active_2021"].sum() * 100
    assert two_epci.summary.at["taux_chomage", "valeur_territoire"] == pytest.approx(expected, rel=1e-12)
    mean_of_rates = (part["pop_15_64_chomage_2021"] / part["pop_15_64_active_2021"]).mean() * 100
    assert abs(mean_of_rates - expected) > 0.5  # the wrong rule would show
    for siren in (AMIENS, DOMBES):
        p = rp.loc[cog.index[cog["epci_siren"] == siren]]
        value = p["pop_15_64_chomage_2021"].sum() / p["pop_15_64_active_2021"].sum() * 100
        assert two_epci.epci.at[siren, "taux_chomage"] == pytest.approx(value, rel=1e-12)
    dep = rp.loc[cog.index[cog["dep"] == "80"]]
    somme = dep["pop_15_64_chomage_2021"].sum() / dep["pop_15_64_active_2021"].sum() * 100
    assert two_epci.summary.at["taux_chomage", "departement_80"] == pytest.approx(somme, rel=1e-12)
    assert two_epci.summary.at["taux_chomage", "source"] == "INSEE, comparateur de territoires (extrait)"
    assert two_epci.summary.at["taux_chomage", "millesime"] == "RP 2021"


@needs_shared
def test_single_epci_rows_give_back_the_cog(shared, two_epci):
    cog = cog_2026()
    for siren in (AMIENS, DOMBES):
        members = cog[cog["epci_siren"] == siren]
        row = two_epci.epci.loc[siren]
        assert row["communes_dans_territoire"] == row["communes_total"] == len(members) and not row["partiel"]
        assert row["population_dans_territoire"] == row["population_totale"] == members["population"].sum()
    assert two_epci.epci.at[AMIENS, "type"] == "CA" and two_epci.epci.at[DOMBES, "type"] == "CC"
    assert two_epci.overview["population"] == cog.loc[cog["epci_siren"].isin([AMIENS, DOMBES]), "population"].sum()


@needs_shared
def test_medians_are_flagged_approximate_and_coverage_is_the_population_share_published(shared, two_epci):
    assert two_epci.summary.at["med_niveau_vie", "approximatif"] and "estimée" in two_epci.summary.at["med_niveau_vie", "note"]
    assert two_epci.summary.at["med_niveau_vie", "methode"] == "estimé"  # Filosofi 2021 communes, no 2021 published value
    cog, filo = cog_2026(), filosofi()
    members = cog[cog["epci_siren"].isin([AMIENS, DOMBES])]
    published = members.index.isin(filo.index[filo["TP6021"].notna() & filo["NBPERSMENFISC21"].notna()])
    expected = members.loc[published, "population"].sum() / members["population"].sum()
    assert two_epci.summary.at["taux_pauvrete", "couverture"] == pytest.approx(expected, rel=1e-12)
    assert two_epci.coverage.at["taux_pauvrete", "territoire"] == pytest.approx(expected, rel=1e-12)
    low = next(a for a in two_epci.alerts if a.code == "COUVERTURE_INCOMPLETE")
    assert low.figures["couverture"]["taux_pauvrete"] == pytest.approx(expected, abs=1e-4)


@needs_shared
def test_disparities_between_epci_parts(shared, two_epci):
    d, e = two_epci.disparities, two_epci.epci
    assert list(d.index) == [i.id for i in INDICATORS if i.main]
    values, pops = e["taux_chomage"], e["population_dans_territoire"]
    assert d.at["taux_chomage", "ratio_max_min"] == pytest.approx(values.max() / values.min())
    mean = np.average(values, weights=pops)
    assert d.at["taux_chomage", "cv_pondere"] == pytest.approx(np.sqrt(np.average((values - mean) ** 2, weights=pops)) / mean)
    assert d.at["taux_chomage", "epci_max"] == "CA Amiens Métropole"
    row = d.loc["taux_chomage"]
    assert row["theil_inter_epci"] + row["theil_intra_epci"] == pytest.approx(row["theil"])
    assert 0 < row["part_inter_epci"] < 1 and np.isnan(d.at["evol_pop", "theil"])
    strong = [a for a in two_epci.alerts if a.code == "DISPARITE_FORTE"]
    assert {a.figures["indicateur"] for a in strong} >= {"taux_chomage"}
    assert all(a.figures["ratio_max_min"] >= a.figures["seuil_ratio"] or a.figures["cv_pondere"] >= a.figures["seuil_cv"] for a in strong)


@needs_shared
def test_rural_urban_shares_follow_the_density_grid(shared, two_epci):
    cog, grid = cog_2026(), density_grid()
    members = cog[cog["epci_siren"].isin([AMIENS, DOMBES])]
    level = grid.reindex(members.index)
    pop = members["population"]
    shares = pop.groupby(level).sum() / pop.sum()
    mix = two_epci.rural_urban
    assert mix.levels["part_population"].reindex(shares.index).to_numpy() == pytest.approx(shares.to_numpy())
    assert mix.rural_share == pytest.approx(shares.reindex([5, 6, 7]).sum())
    assert mix.rural_share + mix.urban_share == pytest.approx(1.0)
    p = shares[shares > 0]
    assert mix.heterogeneity == pytest.approx(-(p * np.log(p)).sum() / np.log(7))
    assert mix.groups.loc["Rural", "communes"] == level.isin([5, 6, 7]).sum()
    aav = aav_2022().reindex(members.index)
    assert mix.aav.at["11", "population"] == pop[aav == "11"].sum()
    mixed = diagnose(shared, two_epci.territory, AlertParams(mixed_min_share=min(mix.rural_share, mix.urban_share) - 0.01))
    assert "MIXITE_RURAL_URBAIN" in codes(mixed)
    assert "MIXITE_RURAL_URBAIN" not in codes(diagnose(shared, two_epci.territory, AlertParams(mixed_min_share=0.99)))


@needs_shared
def test_the_summary_compares_with_every_departement_and_region_touched(shared, two_epci):
    s = two_epci.summary
    assert {"departement_80", "departement_01", "region_32", "region_84", "france"} <= set(s.columns)
    assert s.at["med_niveau_vie", "france"] == shared.level("france").at["FR", "med_niveau_vie"]
    zones = two_epci.zones.set_index(["niveau", "code"])
    assert zones.loc[("departement", "80"), "population_dans_territoire"] == cog_2026().query("epci_siren == @AMIENS")["population"].sum()


# --- aggregation invariants -------------------------------------------------------------------

def _table(draw_rows):
    frame = pd.DataFrame(draw_rows, columns=["population", "chomeurs_1564", "actifs_1564", "med_niveau_vie", "nb_pers_menages_fisc"])
    frame.index = [f"{i:05d}" for i in range(len(frame))]
    return frame


_row = st.tuples(st.floats(0, 1e5), st.one_of(st.none(), st.floats(0, 1e3)), st.one_of(st.none(), st.floats(1, 1e4)),
                 st.one_of(st.none(), st.floats(1e4, 4e4)), st.floats(0, 1e4))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_row, min_size=1, max_size=40), groups=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_aggregation_matches_the_straightforward_pandas_rules(rows, groups, seed):
    table = _table(rows).astype("float64")
    key = pd.Series(np.random.default_rng(seed).integers(0, groups, len(table)).astype(str), index=table.index)
    result = aggregate_by(table, key)
    both = table["chomeurs_1564"].notna() & table["actifs_1564"].notna()
    sums = table[both].groupby(key[both])[["chomeurs_1564", "actifs_1564"]].sum()
    expected = (sums["chomeurs_1564"] / sums["actifs_1564"].where(sums["actifs_1564"] > 0) * 100).reindex(result.index)
    assert np.allclose(result["taux_chomage"], expected, equal_nan=True, rtol=1e-12)
    assert np.allclose(result["population"], table.groupby(key)["population"].sum().reindex(result.index), rtol=1e-12)
    cover = coverage_by(table, key)
    assert ((cover.fillna(0) >= 0) & (cover.fillna(0) <= 1 + 1e-12)).all().all()
    medians = weighted_medians(table["med_niveau_vie"], table["nb_pers_menages_fisc"], key)
    for group, value in medians.items():  # a weighted median: at most half the weight below it, at least half up to it
        part = table[(key == group) & table["med_niveau_vie"].notna() & (table["nb_pers_menages_fisc"] > 0)]
        v, w = part["med_niveau_vie"], part["nb_pers_menages_fisc"]
        assert value in set(v) and w[v < value].sum() <= w.sum() / 2 * (1 + 1e-9) <= w[v <= value].sum() * (1 + 2e-9)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 40), width=st.integers(1, 6), groups=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_group_sums_of_a_block_are_the_plain_per_column_sums_bit_for_bit(rows, width, groups, seed):
    """All columns summed at once equal numpy's sequential bincount per column over the known values (NaN: no value)."""
    from ptce_geo.indicators import _group_sums

    rng = np.random.default_rng(seed)
    values = np.where(rng.random((rows, width)) < 0.3, np.nan, rng.normal(0, 1e4, (rows, width)))
    codes = rng.integers(-1, groups, rows)  # -1: a row outside every group
    out = _group_sums(values, codes, groups)
    for j in range(width):
        ok = (codes >= 0) & ~np.isnan(values[:, j])
        expected = np.bincount(codes[ok], weights=values[ok, j], minlength=groups).astype("float64")
        expected[np.bincount(codes[ok], minlength=groups) == 0] = np.nan
        assert np.array_equal(out[:, j], expected, equal_nan=True)
    sums = pd.DataFrame(values).groupby(codes).sum(min_count=1).reindex(range(groups))
    assert np.allclose(out, sums.to_numpy(), equal_nan=True, rtol=1e-9, atol=1e-6)  # and pandas (compensated sums) agrees


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(_row, min_size=1, max_size=30), seed=st.integers(0, 10_000))
def test_a_table_of_mixed_column_types_aggregates_as_its_float_copy(rows, seed):
    """The float table is read as one block (the reference's case); any other table column by column: same figures."""
    table = _table(rows).astype("float64")
    mixed = table.assign(actifs_1564=table["actifs_1564"].round().astype("Int64"), libelle="x")
    key = pd.Series(np.random.default_rng(seed).integers(0, 3, len(table)).astype(str), index=table.index)
    pd.testing.assert_frame_equal(aggregate_by(mixed, key), aggregate_by(mixed.astype({"actifs_1564": "float64"}).drop(columns="libelle"), key))
    pd.testing.assert_frame_equal(coverage_by(mixed, key), coverage_by(table, key))


def test_epci_parts_and_zones_are_plain_group_sums_most_populated_first(embedded):
    """EPCI parts and départements/régions of a polygon over several EPCI: counts and populations of a plain pandas
    groupby on the territory's communes, most populated first, ties by code."""
    territory = build_territory(embedded, TerritoryDefinition(polygon=sg.mapping(sg.box(4.6, 45.6, 5.3, 46.1)), min_share=0.3))
    diag, communes = diagnose(embedded, territory), territory.communes
    for frame, key, n, pop in ((diag.epci, communes["code_epci"].fillna(""), "communes_dans_territoire", "population_dans_territoire"),
                               (diag.zones[diag.zones["niveau"] == "departement"].set_index("code"), communes["code_dep"],
                                "communes_dans_territoire", "population_dans_territoire")):
        expected = communes.groupby(key).agg(n=("population", "size"), pop=("population", "sum")).sort_index()
        expected = expected.sort_values("pop", ascending=False, kind="stable")
        assert len(expected) >= 2 and list(frame.index) == list(expected.index)
        assert frame[n].tolist() == expected["n"].tolist() and np.allclose(frame[pop], expected["pop"], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_row, min_size=2, max_size=40), seed=st.integers(0, 10_000))
def test_a_ratio_of_the_whole_lies_between_the_ratios_of_its_parts(rows, seed):
    table = _table(rows).astype("float64")
    key = pd.Series(np.random.default_rng(seed).integers(0, 3, len(table)).astype(str), index=table.index)
    parts = aggregate_by(table, key)["taux_chomage"].dropna()
    whole = aggregate_by(table, pd.Series("t", index=table.index))["taux_chomage"].iloc[0]
    if len(parts):
        assert parts.min() - 1e-9 <= whole <= parts.max() + 1e-9


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.floats(0.01, 1e4), min_size=2, max_size=30), seed=st.integers(0, 10_000))
def test_weighted_theil_is_pysal_theil_on_replicated_observations(values, seed):
    rng = np.random.default_rng(seed)
    x = np.array(values)
    weights = rng.integers(1, 4, len(x))
    groups = rng.integers(0, 3, len(x))
    split = theil_split(x, weights, groups)
    reference = TheilD(np.repeat(x, weights), np.repeat(groups, weights))
    assert split.total == pytest.approx(float(reference.T), abs=1e-9)
    assert split.between == pytest.approx(float(reference.bg[0]), abs=1e-9)
    assert split.within == pytest.approx(float(reference.wg[0]), abs=1e-9)
    assert split.between >= -1e-12 and split.within >= -1e-12
    scaled = theil_split(x * 7.5, weights, groups)
    assert scaled.total == pytest.approx(split.total, abs=1e-9)


def test_disparity_helpers_on_edge_cases():
    assert np.isnan(max_min_ratio([3.0])) and np.isnan(max_min_ratio([-1.0, 2.0])) and max_min_ratio([2.0, 5.0, np.nan]) == 2.5
    assert weighted_cv([1.0, 1.0], [5, 9]) == 0.0 and np.isnan(weighted_cv([1.0], [1.0]))
    assert np.isnan(theil_split([-1.0, 2.0], [1, 1], [0, 1]).total)
    flat = theil_split([4.0, 4.0, 4.0], [1, 2, 3], ["a", "b", "b"])
    assert flat.total == pytest.approx(0.0) and np.isnan(flat.between_share)
