"""Disparity measures between the EPCI parts of a territory: max/min ratio, weighted CV, Theil split.

PySAL's ``inequality.theil.TheilD`` gives each observation the same weight; communes differ in
size by four orders of magnitude, so the Theil index here is its weighted form (each commune
weighted by the indicator's own denominator), which reduces to ``TheilD`` for equal weights (tested):

    T  = Σ_i s_i ln(x_i / μ)              s_i = w_i x_i / Σ w x, μ = Σ w x / Σ w
    T_between = Σ_g S_g ln(μ_g / μ)       S_g = Σ_{i∈g} s_i,    μ_g = mean of group g
    T_within  = Σ_g S_g T_g               T = T_between + T_within

With a ratio indicator (unemployed / actives) the weight is the denominator, so μ is exactly
the aggregated ratio of the territory and μ_g that of each EPCI part.

Marginal parts (« partie marginale ») of an EPCI — see ``marginal_parts`` — are listed but left
out of the max/min ratio, the weighted CV and hence the disparity alerts; Theil, computed over
communes weighted by their size, keeps every commune (a marginal part weighs what it holds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .indicators import Indicator

__all__ = ["TheilSplit", "max_min_ratio", "weighted_cv", "theil_split", "commune_values", "marginal_parts",
           "MARGINAL_MAX_POPULATION", "MARGINAL_MAX_SHARE", "MARGINAL_LABEL"]

# A part of an EPCI cut by the territory is marginal when it has fewer than 2,000 inhabitants AND
# less than 10 % of its EPCI's population. 2,000 inhabitants: the order of size under which INSEE
# does not publish a commune's poverty rate or income deciles (about 1,000 fiscal households) and
# census rates move by points from a few dozen people; 10 %: such a piece does not speak for its
# EPCI, whose policies cover the other 90 %. A part at or above either bound counts, and a whole
# EPCI always counts, however small.
MARGINAL_MAX_POPULATION = 2_000
MARGINAL_MAX_SHARE = 0.10
MARGINAL_LABEL = "partie marginale"


@dataclass(frozen=True)
class TheilSplit:
    """Theil T index and its exact decomposition between and within groups."""

    total: float
    between: float
    within: float

    @property
    def between_share(self) -> float:
        return self.between / self.total if self.total > 0 else float("nan")


_NAN_SPLIT = TheilSplit(float("nan"), float("nan"), float("nan"))


def _clean(values: pd.Series | np.ndarray, weights: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    if x.shape != w.shape:
        raise ValueError(f"valeurs et poids de tailles différentes : {x.shape} et {w.shape}")
    keep = np.isfinite(x) & np.isfinite(w) & (w > 0)
    return x[keep], w[keep], keep


def marginal_parts(population: np.ndarray, population_epci: np.ndarray, partial: np.ndarray) -> np.ndarray:
    """True for each partial EPCI part under both ``MARGINAL_MAX_POPULATION`` inhabitants and ``MARGINAL_MAX_SHARE`` of its EPCI."""
    pop = np.asarray(population, dtype="float64")
    total = np.asarray(population_epci, dtype="float64")
    share = np.divide(pop, total, out=np.zeros(len(pop)), where=total > 0)
    return np.asarray(partial, dtype=bool) & (pop < MARGINAL_MAX_POPULATION) & (share < MARGINAL_MAX_SHARE)


def max_min_ratio(values: pd.Series | np.ndarray) -> float:
    """Largest over smallest known value; NaN when fewer than two values or the smallest is not positive."""
    x = np.asarray(values, dtype="float64")
    x = x[np.isfinite(x)]
    if len(x) < 2 or x.min() <= 0:
        return float("nan")
    return float(x.max() / x.min())


def weighted_cv(values: pd.Series | np.ndarray, weights: pd.Series | np.ndarray) -> float:
    """Coefficient of variation with weights: weighted standard deviation over |weighted mean|."""
    x, w, _ = _clean(values, weights)
    if len(x) < 2:
        return float("nan")
    mean = np.average(x, weights=w)
    if mean == 0:
        return float("nan")
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w)) / abs(mean))


def theil_split(values: pd.Series | np.ndarray, weights: pd.Series | np.ndarray, groups: pd.Series | np.ndarray) -> TheilSplit:
    """Weighted Theil T of ``values`` and its between/within split over ``groups`` (NaN if a value is negative).

    Per row, ln(x/μ) = ln(x/μ_g) + ln(μ_g/μ): the within part is Σ s_i ln(x_i/μ_g), the between part
    Σ s_i ln(μ_g/μ), so the split is exact and fully vectorised.
    """
    x, w, keep = _clean(values, weights)
    if not len(x) or (x < 0).any() or np.sum(w * x) <= 0:
        return _NAN_SPLIT
    codes, _ = pd.factorize(np.asarray(groups, dtype=object)[keep])
    wx = w * x
    mu = wx.sum() / w.sum()
    mu_g = (np.bincount(codes, weights=wx) / np.bincount(codes, weights=w))[codes]
    s = wx / wx.sum()
    log_x = np.log(np.where(x > 0, x, 1.0))  # rows with x = 0 have s = 0 and add nothing
    within = float(np.sum(s * (log_x - np.log(np.where(x > 0, mu_g, 1.0)))))
    between = float(np.sum(s * np.log(np.where(s > 0, mu_g, mu) / mu)))
    return TheilSplit(within + between, between, within)


def commune_values(table: pd.DataFrame, ind: Indicator) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-commune (value, weight) whose weighted mean is the aggregated indicator; ``None`` where Theil is meaningless.

    Ratios: value = numerator / denominator, weight = denominator. Medians: the commune median
    weighted by the indicator's weight (persons in fiscal households). Counts and growth rates
    (which can be negative) have none.
    """
    def floats(name: str) -> np.ndarray:
        return table[name].to_numpy(dtype="float64", na_value=np.nan)

    if ind.kind == "ratio" and ind.numerator in table and ind.denominator in table:
        num, den = floats(ind.numerator), floats(ind.denominator)
        ok = ~np.isnan(num) & (den > 0)
        return np.where(ok, num / np.where(ok, den, 1.0), np.nan), np.where(ok, den, np.nan)
    if ind.kind == "median" and ind.numerator in table and ind.weight in table:
        return floats(ind.numerator), floats(ind.weight)
    return None
