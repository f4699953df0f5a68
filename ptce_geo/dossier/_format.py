"""French number formatting for the dossier: narrow no-break space for thousands, decimal comma.

One place decides how many decimals a unit gets, so the tables, the chart labels and the alt
texts of the figures all print the same value the same way.
"""

from __future__ import annotations

import math

from ..alerts import fr_number

__all__ = ["MISSING", "decimals_for_unit", "fr_value", "fr_share", "fr_int", "fr_decimal", "is_missing"]

MISSING = "—"


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def decimals_for_unit(unit: str, value: float | None = None) -> int:
    """Counts whole, rates to 0.1, growth and household size to 0.01, densities to 0.1 below 100."""
    if unit in ("%/an", "pers./ménage"):
        return 2
    if unit == "%":
        return 1
    if unit == "hab./km²":
        return 0 if value is not None and abs(value) >= 100 else 1
    return 0


def fr_value(value: object, unit: str = "", with_unit: bool = True) -> str:
    """``12 345``, ``15,4 %``, ``19 650 €/an``; ``—`` when missing."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    text = fr_number(number, decimals_for_unit(unit, number))
    return f"{text}\u00a0{unit}" if with_unit and unit else text


def fr_share(share: object, digits: int = 0) -> str:
    """A share in [0, 1] as a French percentage (``42 %``)."""
    return MISSING if is_missing(share) else f"{fr_number(100 * float(share), digits)}\u00a0%"  # type: ignore[arg-type]


def fr_int(value: object) -> str:
    return MISSING if is_missing(value) else fr_number(float(value), 0)  # type: ignore[arg-type]


def fr_decimal(value: object, digits: int = 2) -> str:
    """A plain number with ``digits`` decimals (ratios, indices); ``—`` when missing."""
    return MISSING if is_missing(value) else fr_number(float(value), digits)  # type: ignore[arg-type]
