"""The income estimator and the published-or-estimated rule, on small hand-made communes (no shared data).

Expected values come from closed forms: a lone commune's mixture median is its own median, its modelled
poverty the normal CDF at the threshold; the published value replaces the estimate only at the same year
and within the perimeter tolerance, tested at its boundary.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from ptce_geo.diagnostic import figure_note, is_low_coverage
from ptce_geo.income import (
    ESTIMATED,
    MEASURED_ERROR,
    PERIMETER_TOLERANCE,
    PUBLISHED,
    SMALL_HOUSEHOLDS,
    TYPICAL_ERROR,
    Z90,
    error_note,
    estimate_by,
    fit_model,
    with_published,
)


def communes(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"{i:05d}" for i in range(1, len(rows) + 1)])


def test_a_lone_commune_keeps_its_published_median_and_rate():
    table = communes([{"population": 1000, "nb_pers_menages_fisc": 950, "nb_menages_fisc": 400, "med_niveau_vie": 21000,
                       "d1_niveau_vie": 12000, "d9_niveau_vie": 36000, "pers_pauvres": 950 * 0.12, "pers_couv_pauvrete": 950}])
    est = estimate_by(fit_model(table), pd.Series("t", index=table.index))
    assert est.loc["t", "med_niveau_vie"] == pytest.approx(21000, abs=0.5)
    assert est.loc["t", "taux_pauvrete"] == pytest.approx(12.0)
    assert est.loc["t", "couverture_taux_pauvrete"] == 1.0 and est.loc["t", "personnes"] == 950


def test_a_median_of_two_communes_does_not_snap_to_the_larger_one():
    """Lyon-like: 60 % of persons at 24,000, 40 % at 20,000, same spreads; the weighted median of medians gives 24,000."""
    row = {"d1_niveau_vie": None, "d9_niveau_vie": None, "nb_menages_fisc": 5000}
    table = communes([{**row, "population": 600, "nb_pers_menages_fisc": 600, "med_niveau_vie": 24000, "d1_niveau_vie": 12000,
                       "d9_niveau_vie": 48000},
                      {**row, "population": 400, "nb_pers_menages_fisc": 400, "med_niveau_vie": 20000, "d1_niveau_vie": 10000,
                       "d9_niveau_vie": 40000}])
    model = fit_model(table)
    med = estimate_by(model, pd.Series("t", index=table.index)).loc["t", "med_niveau_vie"]
    s = math.log(2) / Z90  # both spreads
    mixture = 0.6 * 0.5 * (1 + math.erf(math.log(med / 24000) / s / math.sqrt(2))) + \
        0.4 * 0.5 * (1 + math.erf(math.log(med / 20000) / s / math.sqrt(2)))
    assert 20000 < med < 24000 and mixture == pytest.approx(0.5, abs=1e-6)


def test_unpublished_poverty_is_modelled_below_the_calibrated_threshold():
    """Commune 2 publishes no rate: it gets the share of its log-normal under the threshold implied by commune 1."""
    table = communes([{"population": 1000, "nb_pers_menages_fisc": 1000, "med_niveau_vie": 20000, "d1_niveau_vie": 11000,
                       "d9_niveau_vie": 34000, "pers_pauvres": 150, "pers_couv_pauvrete": 1000},
                      {"population": 500, "nb_pers_menages_fisc": 500, "med_niveau_vie": 25000, "d1_niveau_vie": 14000,
                       "d9_niveau_vie": 43000, "pers_pauvres": None, "pers_couv_pauvrete": None}])
    model = fit_model(table)
    s1 = math.log(20000 / 11000) / Z90
    threshold = 20000 * math.exp(s1 * NormalDist().inv_cdf(0.15))
    assert model.threshold == pytest.approx(threshold)
    s2 = math.log(25000 / 14000) / Z90
    rate2 = 0.5 * (1 + math.erf(math.log(threshold / 25000) / s2 / math.sqrt(2)))
    est = estimate_by(model, pd.Series(["a", "b"], index=table.index))
    assert est.loc["b", "taux_pauvrete"] == pytest.approx(rate2 * 100)
    assert est.loc["b", "couverture_taux_pauvrete"] == 0.0


def test_published_values_replace_the_estimate_only_at_the_same_year_and_perimeter():
    est = pd.DataFrame({"med_niveau_vie": [20000.0, 21000.0, 22000.0], "taux_pauvrete": [15.0, 14.0, 13.0],
                        "couverture_med_niveau_vie": [0.9] * 3, "couverture_taux_pauvrete": [0.5] * 3,
                        "personnes": [1000.0, 1000.0, 1000.0]}, index=["a", "b", "c"])
    tol = PERIMETER_TOLERANCE
    published = pd.DataFrame({"niveau": "epci", "code": ["a", "b", "c"], "annee": 2019, "med_niveau_vie": [20500.0, 21500.0, 22500.0],
                              "taux_pauvrete": [14.0, 13.0, 12.0], "personnes": [1000 + 1000 * tol, 1000 + 1000 * tol + 0.1, np.nan]})
    same = with_published(est, published, 2019)
    assert list(same["methode_med_niveau_vie"]) == [PUBLISHED, ESTIMATED, PUBLISHED]  # b: another perimeter; c: no count to compare
    assert list(same["med_niveau_vie"]) == [20500.0, 21000.0, 22500.0]
    assert same.loc["a", "couverture_taux_pauvrete"] == 1.0 and same.loc["b", "couverture_taux_pauvrete"] == 0.5
    other = with_published(est, published, 2021)
    assert set(other["methode_taux_pauvrete"]) == {ESTIMATED} and list(other["taux_pauvrete"]) == [15.0, 14.0, 13.0]


def test_low_coverage_is_marked_below_the_threshold_only():
    assert not is_low_coverage(0.90, 0.90) and is_low_coverage(0.8999, 0.90) and not is_low_coverage(float("nan"), 0.9)
    assert figure_note("estimé", 0.72, 0.90) == "estimé ; couverture 72 %"
    assert figure_note("calculé", 0.95, 0.90) == "" and figure_note("publié INSEE", 1.0, 0.90) == "publié INSEE"
    assert figure_note("calculé", 0.5, 0.90) == "couverture 50 %"


def test_an_estimate_carries_the_error_measured_at_its_level():
    # README « Erreur mesurée » table (bench/bench_income_estimator.py): median |error| EPCI 94 € / 0,9 pt, France 117 € / 0,3 pt
    assert error_note("taux_pauvrete", "territoire") == "± 0,9 pt" and error_note("med_niveau_vie", "territoire") == "± 94 €"
    assert error_note("taux_pauvrete", "departement") == "± 0,5 pt" and error_note("med_niveau_vie", "france") == "± 117 €"
    assert error_note("taux_chomage", "territoire") == "" and error_note("taux_pauvrete", "commune") == ""
    assert figure_note("estimé", 0.72, 0.90, "± 0,9 pt") == "estimé ± 0,9 pt ; couverture 72 %"
    assert figure_note("publié INSEE", 1.0, 0.90, "± 0,9 pt") == "publié INSEE"  # a published value carries no estimation error


def _readme_errors() -> dict[str, dict[str, list[str]]]:
    """The README « Erreur mesurée » table, « après » columns: level -> indicator -> figures as written (« 94 », « 0,9 »)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    levels = {"EPCI": "epci", "départements": "departement", "régions": "region", "France métropolitaine": "france"}
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in levels:
            out[levels[cells[0]]] = {"med_niveau_vie": re.findall(r"\d[\d,]*", cells[2].replace("€", "")),
                                     "taux_pauvrete": re.findall(r"\d,\d", cells[4])}
    return out


def test_the_measured_error_sentence_and_the_typical_errors_say_the_readme_figures():
    """One table feeds both: a figure changed in one place only (sentence, ``TYPICAL_ERROR``, README) fails here."""
    readme = _readme_errors()
    assert set(readme) == set(TYPICAL_ERROR) == {"epci", "departement", "region", "france"}
    medians = re.search(r"médiane du niveau de vie (.*?) ; taux de pauvreté (.*)$", MEASURED_ERROR)
    said = {"med_niveau_vie": medians.group(1), "taux_pauvrete": medians.group(2)}
    for level, figures in readme.items():
        for ind, values in figures.items():
            assert " / ".join(values) in said[ind], (level, ind, values)
            assert TYPICAL_ERROR[level][ind] == float(values[0].replace(",", ".")), (level, ind)
    assert "1 240 EPCI" in MEASURED_ERROR and said["taux_pauvrete"].endswith("0,3 point (France métropolitaine)")


def test_a_secret_median_stands_for_the_small_published_communes_of_its_departement():
    """Below SMALL_HOUSEHOLDS (200) fiscal households only: a 199-household commune counts, a 200-household one does not."""
    assert SMALL_HOUSEHOLDS == 200
    base = {"population": 400, "nb_pers_menages_fisc": 400}
    table = communes([{**base, "nb_menages_fisc": 199, "med_niveau_vie": 15000},
                      {**base, "nb_menages_fisc": 200, "med_niveau_vie": 30000},
                      {**base, "nb_menages_fisc": None, "med_niveau_vie": None, "nb_pers_menages_fisc": None},
                      {**base, "nb_menages_fisc": 100, "med_niveau_vie": 18000}])
    model = fit_model(table, pd.Series(["01", "01", "01", "02"], index=table.index))
    assert math.exp(model.log_median[2]) == pytest.approx(15000)  # not 18,000 (other département), not 30,000 (200 households)
    assert model.weight[2] == pytest.approx(400)  # secret persons: population x the persons/population ratio (1 here)
    assert list(model.median_published) == [True, True, False, True]


def test_a_group_without_any_published_median_is_not_estimated():
    table = communes([{"population": 500, "nb_pers_menages_fisc": 480, "med_niveau_vie": 21000},
                      {"population": 300, "nb_pers_menages_fisc": None, "med_niveau_vie": None}])
    est = estimate_by(fit_model(table), pd.Series(["a", "b"], index=table.index))
    assert est.loc["b", ["med_niveau_vie", "taux_pauvrete"]].isna().all() and est.loc["b", "couverture_med_niveau_vie"] == 0.0
    assert est.loc["a", "med_niveau_vie"] == pytest.approx(21000, abs=0.5)
