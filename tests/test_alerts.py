"""Every alert and disparity rule at its exact boundary: at the threshold, just below, just above.

Expected values are written here or recomputed with plain pandas/numpy from the raw files; a change
of a comparison operator or a constant in alerts.py, disparity.py or the marginal-part rule breaks
one of these tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ptce_geo.alerts import DISPARITY_THRESHOLDS, AlertParams, data_alerts, disparity_alerts, epci_alerts, mixed_alert, size_alert
from ptce_geo.diagnostic import diagnose
from ptce_geo.disparity import MARGINAL_LABEL, marginal_parts
from ptce_geo.rural_urban import rural_urban
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import SHARED
from tests.source_files import AMIENS, DOMBES, census_2021, cog_2026


def below(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def above(x: float) -> float:
    return float(np.nextafter(x, np.inf))


def test_documented_defaults():
    params = AlertParams()
    assert (params.max_communes, params.max_departements, params.max_diameter_km) == (150, 2, 60.0)
    assert (params.mixed_min_share, params.min_coverage) == (0.30, 0.90)
    assert DISPARITY_THRESHOLDS == {"taux_chomage": (1.6, 0.25), "taux_pauvrete": (2.0, 0.30), "med_niveau_vie": (1.15, 0.10)}


# ---- disparities ------------------------------------------------------------------------------------

def disparities(ratio: float, cv: float, n_epci: int = 2, marginal: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{"indicateur": "taux_chomage", "libelle": "Taux de chômage", "n_epci": n_epci, "parties_marginales": marginal,
                          "min": 8.0, "epci_min": "CC A", "max": 8.0 * ratio if np.isfinite(ratio) else 9.0, "epci_max": "CA B",
                          "ratio_max_min": ratio, "cv_pondere": cv, "part_inter_epci": 0.3}]).set_index("indicateur")


@pytest.mark.parametrize("ratio, cv, level", [
    (1.6, 0.25, "alerte"),  # both exactly at their threshold
    (1.6, below(0.25), "vigilance"),
    (below(1.6), 0.25, "vigilance"),
    (above(1.6), above(0.25), "alerte"),
    (below(1.6), below(0.25), None),
    (np.nan, 0.25, "vigilance"),
    (1.6, np.nan, "vigilance"),
    (np.nan, np.nan, None),
])
def test_disparity_alert_levels_at_the_thresholds(ratio, cv, level):
    found = disparity_alerts(disparities(ratio, cv), AlertParams())
    assert [a.level for a in found] == ([level] if level else [])
    if level:
        assert found[0].code == "DISPARITE_FORTE" and found[0].figures["seuil_ratio"] == 1.6 and found[0].figures["seuil_cv"] == 0.25


def test_a_disparity_needs_two_epci_parts():
    assert disparity_alerts(disparities(3.0, 1.0, n_epci=1), AlertParams()) == []
    assert len(disparity_alerts(disparities(3.0, 1.0, n_epci=2), AlertParams())) == 1


def test_thresholds_come_from_the_parameters_and_marginal_parts_are_named():
    custom = AlertParams(disparity={"taux_chomage": (2.0, 0.5)})
    assert disparity_alerts(disparities(below(2.0), below(0.5)), custom) == []
    alert = disparity_alerts(disparities(2.0, 0.1, marginal=1), custom)[0]
    assert alert.level == "vigilance" and alert.figures["parties_marginales_ecartees"] == 1
    assert "1 partie marginale d'EPCI (moins de 2\u202f000 habitants et de 10 % de leur EPCI) écartée" in alert.message


# ---- marginal parts of an EPCI ----------------------------------------------------------------------

@pytest.mark.parametrize("population, total, partial, marginal", [
    (1999, 20_000, True, True),  # 1,999 inhabitants, 9.995 % of the EPCI
    (2000, 200_000, True, False),  # exactly 2,000 inhabitants: counts
    (1999, 19_990, True, False),  # exactly 10 % of its EPCI: counts
    (1999, 19_991, True, True),  # just under 10 %
    (454, 50_000, True, True),  # the 2-commune, 454-inhabitant piece that decided an alert
    (454, 50_000, False, False),  # a whole EPCI always counts
    (100, 0, True, True),  # EPCI population unknown: the population rule alone
])
def test_marginal_part_boundaries(population, total, partial, marginal):
    assert marginal_parts(np.array([population]), np.array([total]), np.array([partial])).tolist() == [marginal]
    assert MARGINAL_LABEL == "partie marginale"


# ---- mixed rural / urban ------------------------------------------------------------------------------

def mix(rural: float, urban: float) -> dict:
    return {"part_population_rurale": rural, "part_population_urbaine": urban, "indice_heterogeneite_7_niveaux": 0.5}


@pytest.mark.parametrize("rural, urban, alert", [
    (0.30, 0.70, True), (0.70, 0.30, True), (below(0.30), 0.70, False), (0.70, below(0.30), False), (0.5, 0.5, True), (0.0, 1.0, False),
])
def test_mixed_alert_at_its_threshold(rural, urban, alert):
    found = mixed_alert(mix(rural, urban), True, AlertParams())
    assert bool(found) == alert
    if alert:
        assert found[0].code == "MIXITE_RURAL_URBAIN" and found[0].level == "vigilance" and found[0].figures["seuil"] == 0.30


def test_mixed_alert_needs_the_density_grid():
    assert mixed_alert(mix(0.5, 0.5), False, AlertParams()) == []


# ---- size ---------------------------------------------------------------------------------------------

def overview(communes: int = 10, departements: int = 1, diameter: float = 10.0) -> dict:
    return {"communes": communes, "departements": [f"{i:02d}" for i in range(departements)], "diametre_km": diameter}


@pytest.mark.parametrize("kwargs, level", [
    ({}, None),
    ({"communes": 150}, None), ({"communes": 151}, "vigilance"),
    ({"departements": 2}, None), ({"departements": 3}, "vigilance"),
    ({"diameter": 60.0}, None), ({"diameter": above(60.0)}, "vigilance"),
    ({"communes": 151, "departements": 3}, "alerte"), ({"communes": 151, "diameter": 61.0}, "alerte"),
    ({"communes": 150, "departements": 2, "diameter": 60.0}, None),
])
def test_size_alert_levels_at_the_thresholds(kwargs, level):
    found = size_alert(overview(**kwargs), AlertParams())
    assert [a.level for a in found] == ([level] if level else [])


# ---- data coverage -------------------------------------------------------------------------------------

def summary(coverage: float, available: bool = True) -> pd.DataFrame:
    return pd.DataFrame({"libelle": ["Taux de pauvreté"], "disponible": [available], "couverture": [coverage]}, index=["taux_pauvrete"])


def test_coverage_alert_below_the_threshold_only():
    assert data_alerts(summary(0.90), AlertParams(), "cmd") == []
    low = data_alerts(summary(below(0.90)), AlertParams(), "cmd")
    assert [(a.code, a.level) for a in low] == [("COUVERTURE_INCOMPLETE", "info")]
    missing = data_alerts(summary(0.0, available=False), AlertParams(), "cmd")
    assert [(a.code, a.level) for a in missing] == [("INDICATEURS_MANQUANTS", "info")]


# ---- EPCI types and partial EPCI -------------------------------------------------------------------------

def epci(types: list[str], partial: list[bool]) -> pd.DataFrame:
    n = len(types)
    return pd.DataFrame({"nom": [f"EPCI {i}" for i in range(n)], "type": types, "partiel": partial, "communes_dans_territoire": 2,
                         "communes_total": 5, "part_population": 0.4}, index=pd.Index([f"2000000{i:02d}" for i in range(n)], name="code_epci"))


def test_epci_alerts():
    assert epci_alerts(epci(["CC", "CC"], [False, False])) == []
    assert [a.code for a in epci_alerts(epci(["CC", "CA"], [False, False]))] == ["EPCI_TYPES_MULTIPLES"]
    assert [a.code for a in epci_alerts(epci(["CC"], [True]))] == ["EPCI_PARTIELS"]
    no_epci = epci(["CC", "CA"], [False, False]).rename(index={"200000001": ""})  # communes without EPCI are not a type
    assert epci_alerts(no_epci) == []


# ---- on real data: a marginal piece is listed, marked and left out; growth rates get no ratio -------------

@pytest.fixture(scope="module")
def with_pieces(shared):
    """CA Amiens + CC de la Dombes + Airaines (2,204 inhabitants, 5.8 % of its CC) + Driencourt (78 inhabitants)."""
    return diagnose(shared, build_territory(shared, TerritoryDefinition(epci=[AMIENS, DOMBES], communes=["80013", "80258"])))


def _rp_populations() -> pd.DataFrame:
    """RP 2021 and RP 2015 populations by COG 2026 commune, read with pandas (arrondissements into their commune)."""
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype=str)
    code = rp["insee_com"].where(rp["commune_type"] != "ARM", rp["insee_parente"])
    return rp[["population_2021", "population_2015"]].apply(pd.to_numeric).groupby(code).sum(min_count=1)


def test_a_marginal_piece_is_marked_and_left_out_of_the_disparities(with_pieces):
    cog, census = cog_2026(), census_2021()
    members = cog.loc[list(with_pieces.communes.index)]
    part_pop = members.groupby("epci_siren")["population"].sum()
    epci_pop = cog.groupby("epci_siren")["population"].sum().reindex(part_pop.index)
    whole = cog["epci_siren"].value_counts().reindex(part_pop.index) == members["epci_siren"].value_counts().reindex(part_pop.index)
    expected_marginal = (part_pop < 2000) & (part_pop / epci_pop < 0.10) & ~whole
    e = with_pieces.epci
    assert e["partie_marginale"].to_dict() == expected_marginal.to_dict()
    assert expected_marginal.sum() == 1 and expected_marginal[cog.at["80258", "epci_siren"]]
    # unemployment by part from the census, max/min and weighted CV over the parts that count
    rates = census.reindex(members.index).groupby(members["epci_siren"]).sum()
    rates = rates["pop_15_64_chomage_2021"] / rates["pop_15_64_active_2021"] * 100
    kept = rates[~expected_marginal.reindex(rates.index)]
    d = with_pieces.disparities.loc["taux_chomage"]
    assert d["n_epci"] == 3 and d["parties_marginales"] == 1
    assert d["ratio_max_min"] == pytest.approx(kept.max() / kept.min(), rel=1e-9)
    weights = part_pop.reindex(kept.index)
    mean = np.average(kept, weights=weights)
    assert d["cv_pondere"] == pytest.approx(np.sqrt(np.average((kept - mean) ** 2, weights=weights)) / mean, rel=1e-9)
    assert d["min"] == pytest.approx(kept.min()) and d["max"] == pytest.approx(kept.max())


def test_growth_rates_get_a_gap_but_no_ratio_and_follow_the_compound_formula(with_pieces):
    cog, rp = cog_2026(), _rp_populations()
    members = cog.loc[list(with_pieces.communes.index)]
    sums = rp.reindex(members.index).groupby(members["epci_siren"]).sum()
    growth = ((sums["population_2021"] / sums["population_2015"]) ** (1 / 6) - 1) * 100  # RP 2015 -> RP 2021: 6 years
    e = with_pieces.epci
    assert e["evol_pop"].to_numpy() == pytest.approx(growth.reindex(e.index).to_numpy(), rel=1e-9)
    total = rp.reindex(members.index).sum()
    assert with_pieces.summary.at["evol_pop", "valeur_territoire"] == pytest.approx(
        ((total["population_2021"] / total["population_2015"]) ** (1 / 6) - 1) * 100, rel=1e-9)
    kept = growth[~e["partie_marginale"].reindex(growth.index)]
    d = with_pieces.disparities.loc["evol_pop"]
    assert np.isnan(d["ratio_max_min"]) and np.isnan(d["cv_pondere"])
    assert d["ecart_max_min"] == pytest.approx(kept.max() - kept.min(), rel=1e-9)


def test_rural_means_density_levels_5_to_7():
    """INSEE's grid: levels 1-4 urban, 5-7 rural; one commune per level, populations 1, 2, 4… so each level is identifiable."""
    table = pd.DataFrame({"population": [2.0 ** k for k in range(7)], "surface_km2": 1.0, "densite_niveau": range(1, 8)},
                         index=[f"8000{k}" for k in range(7)])
    found = rural_urban(table)
    total = 2.0 ** 7 - 1
    assert found.rural_share == (16 + 32 + 64) / total and found.urban_share == (1 + 2 + 4 + 8) / total
    assert found.known_share == 1.0 and found.available
