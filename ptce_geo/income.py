"""Median niveau de vie and poverty rate of any group of communes, estimated from every commune.

INSEE publishes a commune's median only above 50 fiscal households, its D1/D9 above about 1,000 and
its poverty rate for few communes, mostly urban: a rate over « communes where it is published » is
biased upward and a median of commune medians snaps to the largest commune. This estimator
keeps every commune, weighted by its persons in fiscal households:

- each commune's niveau de vie is a two-piece log-normal through its median, with the lower and
  upper spreads given by its published D1 and D9 (``s = ln(Me/D1) / z90`` and ``ln(D9/Me) / z90``);
  where D1/D9 are secret, the spreads come from a linear fit of the published spreads on ln(median);
  where the median itself is secret, it is the mean ln(median) of the published communes with fewer
  than 200 fiscal households of the same département (national mean otherwise); where the persons are
  secret, the population times the national persons/population ratio;
- the group's median solves « half the persons below » on the mixture of these distributions;
- the poverty rate sums published poor persons and, for the others, the persons below the poverty
  threshold under the commune's distribution; the threshold is calibrated on the communes that
  publish both a rate and D1 (the weighted median of the thresholds their rate implies), so the
  model needs no national figure and never reads a supra-communal value.

Validation against INSEE's published 2019 EPCI, département, région and France métropolitaine
values: ``bench/bench_income_estimator.py`` (figures in the README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["METHOD", "MEASURED_ERROR", "TYPICAL_ERROR", "ERROR_LEGEND", "error_note",
            "PUBLISHED", "ESTIMATED", "COMPUTED", "INCOME_IDS", "SMALL_HOUSEHOLDS", "PERIMETER_TOLERANCE", "IncomeModel",
           "fit_model", "estimate_by", "estimate_codes", "with_published"]

Z90 = 1.2815515655446004  # scipy.special.ndtri(0.9); scipy is imported where needed: ~1 s on the way to the first map
SMALL_HOUSEHOLDS = 200  # fiscal households: the published communes that stand for a secret one
# bench/bench_income_estimator.py, 2019 communes vs INSEE's published 2019 values: per level, (label in the sentence, absolute
# error of the median in € and of the poverty rate in points as median / p90 / max; France métropolitaine, one value, median only).
# The one source of both the sentence below and the « ± » of each estimate
_MEASURED = {
    "epci": ("EPCI", "pour les 1 240 EPCI", {"med_niveau_vie": (94, 222, 551), "taux_pauvrete": (0.9, 2.3, 6.2)}),
    "departement": ("départements", "pour les départements", {"med_niveau_vie": (125, 224, 379), "taux_pauvrete": (0.5, 1.3, 2.0)}),
    "region": ("régions", "pour les régions", {"med_niveau_vie": (123, 189, 292), "taux_pauvrete": (0.4, 1.1, 1.5)}),
    "france": ("France métropolitaine", "pour la France métropolitaine (sous-estimée d'environ 0,5 %)",
               {"med_niveau_vie": (117,), "taux_pauvrete": (0.3,)}),
}


def _figures(values: tuple[float, ...], digits: int) -> str:
    return " / ".join(f"{v:.{digits}f}".replace(".", ",") for v in values)


def _measured_sentence() -> str:
    """The measured errors in words, from ``_MEASURED``: « médiane du niveau de vie 94 / 222 / 551 € pour les 1 240 EPCI, … »."""
    medians = [f"{_figures(e['med_niveau_vie'], 0)} € {where}" for _, where, e in _MEASURED.values()]
    # the unit is said once on the first level, then on the single-value France
    units = {"epci": " points", "france": " point"}
    poverty = [f"{_figures(e['taux_pauvrete'], 1)}{units.get(level, '')} ({label})" for level, (label, _, e) in _MEASURED.items()]
    return ("erreur mesurée sur 2019 contre les valeurs publiées par l'INSEE (médiane / 90e centile / maximum des écarts "
            f"absolus) : médiane du niveau de vie {', '.join(medians)} ; taux de pauvreté {', '.join(poverty)}")


MEASURED_ERROR = _measured_sentence()
# the same measure, per level of the estimate: median |error| (median €, poverty points); a territory drawn by the user is
# read as an EPCI (the finest level measured)
TYPICAL_ERROR = {level: {ind: float(values[0]) for ind, values in errors.items()} for level, (_, _, errors) in _MEASURED.items()}
ERROR_LEGEND = ("« ± » : écart absolu médian mesuré sur 2019 entre l'estimation et la valeur publiée par l'INSEE, au même niveau "
                "(EPCI pour un territoire sur mesure ; python bench/bench_income_estimator.py) ; non mesurable pour les autres "
                "millésimes faute de valeurs supra-communales du même millésime dans les données chargées")
PERIMETER_TOLERANCE = 0.05  # published persons vs the communes' persons (secret ones imputed): beyond, another perimeter
INCOME_IDS = ("med_niveau_vie", "taux_pauvrete")
PUBLISHED, ESTIMATED = "publié INSEE", "estimé"
COMPUTED = "calculé"  # a figure summed from the communes (counts, ratios of sums): not an estimate
_DEFAULT_SPREAD = 0.30  # ln-spread per z unit when no commune publishes D1/D9 (about France's)
_ITERATIONS = 48  # bisection steps on ln(income): 2^-48 of a 10-unit bracket, far below 1 €
METHOD = ("estimé : mélange des distributions communales (log-normale en deux morceaux par la médiane et les D1/D9 "
          "publiés, modèle pour les communes secrètes), toutes communes pondérées par leurs personnes")


def error_note(indicator: str, level: str) -> str:
    """« ± 0,9 pt » / « ± 94 € »: the typical error measured for an estimate of ``indicator`` at ``level`` (``territoire`` is
    read as ``epci``); empty for another indicator or level."""
    value = TYPICAL_ERROR.get("epci" if level == "territoire" else level, {}).get(indicator)
    if value is None:
        return ""
    return f"± {value:.1f} pt".replace(".", ",") if indicator == "taux_pauvrete" else f"± {value:.0f} €"


@dataclass(frozen=True)
class IncomeModel:
    """Per-commune inputs of the mixture (aligned arrays) and the calibrated poverty threshold."""

    weight: np.ndarray  # persons in fiscal households (imputed where secret)
    population: np.ndarray  # reference population: the basis of coverage, as for every indicator
    log_median: np.ndarray
    spread_low: np.ndarray
    spread_high: np.ndarray
    poor: np.ndarray  # poor persons: published, else modelled
    median_published: np.ndarray  # bool
    poverty_published: np.ndarray  # bool
    threshold: float

    def take(self, positions: np.ndarray) -> IncomeModel:
        """The inputs of the communes at ``positions`` (a territory), fitted parameters unchanged."""
        arrays = {name: getattr(self, name)[positions] for name in ("weight", "population", "log_median", "spread_low", "spread_high", "poor",
                                                                     "median_published", "poverty_published")}
        return IncomeModel(**arrays, threshold=self.threshold)


def _array(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        return np.full(len(table), np.nan)
    return table[column].to_numpy(dtype="float64", na_value=np.nan)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


def _spreads(log_m: np.ndarray, published: np.ndarray, d1: np.ndarray, d9: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Published spreads where D1/D9 are known; elsewhere a linear fit on ln(median), clipped to the published range.

    (A size term was tried: extrapolated to small communes it halves the poverty error of départements but
    doubles the EPCI p90; the simpler fit is kept, see the README.)
    """
    ok = published & (d1 > 0) & (d9 > 0)
    low = np.where(ok, (log_m - np.log(np.where(ok, d1, 1.0))) / Z90, np.nan)
    high = np.where(ok, (np.log(np.where(ok, d9, 1.0)) - log_m) / Z90, np.nan)
    ok &= (low > 0) & (high > 0)
    out = []
    for spread in (low, high):
        if ok.sum() >= 10:
            slope, intercept = np.polyfit(log_m[ok], spread[ok], 1)
            fitted = np.clip(intercept + slope * log_m, *np.percentile(spread[ok], [1, 99]))
        else:
            fitted = np.full(len(log_m), _DEFAULT_SPREAD)
        out.append(np.where(ok, spread, fitted))
    return out[0], out[1]


def _impute_medians(log_m: np.ndarray, households: np.ndarray, area: np.ndarray | None) -> np.ndarray:
    """Secret medians: mean ln(median) of the small published communes of the same département (else national)."""
    known = ~np.isnan(log_m)
    small = known & (np.nan_to_num(households, nan=np.inf) < SMALL_HOUSEHOLDS)
    basis = small if small.any() else known
    fallback = float(np.mean(log_m[basis])) if basis.any() else np.log(20_000.0)
    fill = np.full(len(log_m), fallback)
    if area is not None:
        frame = pd.DataFrame({"area": area[basis], "v": log_m[basis]})
        means = frame.groupby("area")["v"].mean()
        fill = pd.Series(area).map(means).fillna(fallback).to_numpy(dtype="float64")
    return np.where(known, log_m, fill)


def _cdf(log_x: np.ndarray, log_m: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    gap = log_x - log_m
    return ndtr(gap / np.where(gap < 0, low, high))


def fit_model(table: pd.DataFrame, area: pd.Series | None = None) -> IncomeModel:
    """The mixture inputs of every commune of ``table`` (the indicators' per-commune variables).

    ``area`` (aligned, e.g. the département code) groups the communes whose small published medians
    stand for a secret one. Reads ``nb_pers_menages_fisc``, ``nb_menages_fisc``, ``med_niveau_vie``,
    ``d1_niveau_vie``, ``d9_niveau_vie``, ``pers_pauvres``, ``pers_couv_pauvrete`` and ``population``.
    """
    persons, population = _array(table, "nb_pers_menages_fisc"), _array(table, "population")
    both = ~np.isnan(persons) & (population > 0)
    ratio = persons[both].sum() / population[both].sum() if both.any() else 1.0
    weight = np.where(np.isnan(persons), np.nan_to_num(population, nan=0.0) * ratio, persons)
    median = _array(table, "med_niveau_vie")
    median_published = median > 0
    log_m = np.log(np.where(median_published, median, np.nan))
    log_m = _impute_medians(log_m, _array(table, "nb_menages_fisc"),
                            None if area is None else area.reindex(table.index).to_numpy(dtype=object))
    low, high = _spreads(log_m, median_published, _array(table, "d1_niveau_vie"), _array(table, "d9_niveau_vie"))
    poor_pub, covered = _array(table, "pers_pauvres"), _array(table, "pers_couv_pauvrete")
    poverty_published = (covered > 0) & ~np.isnan(poor_pub)
    rate = np.where(poverty_published, poor_pub / np.where(poverty_published, covered, 1.0), np.nan)
    calib = poverty_published & median_published & (rate > 0) & (rate < 1)
    if calib.any():
        from scipy.special import ndtri

        implied = log_m[calib] + np.where(rate[calib] < 0.5, low[calib], high[calib]) * ndtri(rate[calib])
        threshold = float(np.exp(_weighted_median(implied, weight[calib])))
    else:  # no published rate: 60 % of the mixture's median over every commune
        threshold = 0.6 * float(np.exp(_group_log_medians(log_m, low, high, weight, np.zeros(len(weight), dtype=int), 1)[0]))
    modelled = weight * _cdf(np.full(len(weight), np.log(threshold)), log_m, low, high)
    poor = np.where(poverty_published, poor_pub, modelled)
    return IncomeModel(weight, np.nan_to_num(population, nan=0.0), log_m, low, high, poor, median_published, poverty_published,
                       threshold)


def _group_log_medians(log_m: np.ndarray, low: np.ndarray, high: np.ndarray, weight: np.ndarray,
                       codes: np.ndarray, size: int) -> np.ndarray:
    """Per group, the ln(income) where the mixture's weighted CDF reaches one half (vectorised bisection)."""
    ok = (codes >= 0) & (weight > 0) & ~np.isnan(log_m)
    c, m, lo_s, hi_s, w = codes[ok], log_m[ok], low[ok], high[ok], weight[ok]
    total = np.bincount(c, weights=w, minlength=size)
    lo = np.full(size, np.log(100.0))
    hi = np.full(size, np.log(1e7))
    for _ in range(_ITERATIONS):
        mid = (lo + hi) / 2.0
        below = np.bincount(c, weights=w * _cdf(mid[c], m, lo_s, hi_s), minlength=size)
        under = below < total / 2.0
        lo, hi = np.where(under, mid, lo), np.where(under, hi, mid)
    return np.where(total > 0, (lo + hi) / 2.0, np.nan)


def estimate_codes(model: IncomeModel, codes: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """``estimate_by`` on integer groups (``codes`` aligned with the model's communes, -1 = left out, ``size`` groups):
    arrays of ``med_niveau_vie``, ``taux_pauvrete``, their coverages and ``personnes``, one value per group."""
    ok = codes >= 0
    c, w = codes[ok], model.weight[ok]
    total = np.bincount(c, weights=w, minlength=size)
    safe = np.where(total > 0, total, np.nan)
    log_med = _group_log_medians(model.log_median, model.spread_low, model.spread_high, model.weight, codes, size)
    pop = model.population[ok]
    pop_total = np.bincount(c, weights=pop, minlength=size)
    pop_total = np.where(pop_total > 0, pop_total, np.nan)
    covered = np.bincount(c, weights=pop * model.median_published[ok], minlength=size) / pop_total
    known = covered > 0  # a group without any published commune median (Guadeloupe, Mayotte…) is not estimated
    return {
        "med_niveau_vie": np.where(known, np.exp(log_med), np.nan),
        "taux_pauvrete": np.where(known, np.bincount(c, weights=model.poor[ok], minlength=size) / safe * 100.0, np.nan),
        "couverture_med_niveau_vie": covered,
        "couverture_taux_pauvrete": np.bincount(c, weights=pop * model.poverty_published[ok], minlength=size) / pop_total,
        "personnes": total,
    }


def estimate_by(model: IncomeModel, key: pd.Series) -> pd.DataFrame:
    """Estimated median (€) and poverty rate (%) per group, with the share of population whose commune publishes each.

    ``key`` is aligned with the table ``model`` was fitted on (NaN: left out). Columns: ``med_niveau_vie``,
    ``taux_pauvrete``, ``couverture_med_niveau_vie``, ``couverture_taux_pauvrete``, ``personnes``.
    """
    codes, groups = pd.factorize(key.to_numpy(dtype=object), sort=True)
    return pd.DataFrame(estimate_codes(model, codes, len(groups)), index=pd.Index(groups, name=key.name))


def with_published(estimates: pd.DataFrame, published: pd.DataFrame | None, year: int | None) -> pd.DataFrame:
    """``estimates`` (from ``estimate_by``) where INSEE's published value replaces the estimate when it is of the
    commune figures' ``year`` (never mixed vintages) and of the same perimeter (published persons within
    ``PERIMETER_TOLERANCE`` of the communes' persons: an EPCI whose composition changed since is estimated).

    Adds ``methode_<indicator>`` (« publié INSEE » or « estimé ») and ``annee_publiee``; a published figure
    has coverage 1.
    """
    out = estimates.copy()
    out["annee_publiee"] = np.nan
    for column in INCOME_IDS:
        out[f"methode_{column}"] = ESTIMATED
    if published is None or published.empty or year is None:
        return out
    same = published[published["annee"] == year].groupby("code").first()  # first non-null of each column (disp + pauvres)
    same = same.reindex(out.index)
    persons = same["personnes"].to_numpy(dtype="float64")
    ours = out["personnes"].to_numpy(dtype="float64")
    perimeter = np.isnan(persons) | (np.abs(persons - ours) <= PERIMETER_TOLERANCE * ours)
    for column in INCOME_IDS:
        use = perimeter & same[column].notna().to_numpy()
        out.loc[use, column] = same.loc[use, column].to_numpy()
        out.loc[use, f"couverture_{column}"] = 1.0
        out.loc[use, f"methode_{column}"] = PUBLISHED
        out.loc[use, "annee_publiee"] = year
    return out
