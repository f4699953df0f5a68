"""Numbers, percentages, plurals and yes/no as a French reader expects them: one helper per job.

Streamlit's column formats are printf-like (``1,234.5``): tables shown to people are formatted to text
here instead. Thousands are grouped with a narrow no-break space (U+202F, the French typographic
rule), decimals use a comma, and a value that rounds to zero never shows as « -0 ».
"""

from __future__ import annotations

import pandas as pd

__all__ = ["NNBSP", "MISSING", "D3_LOCALE", "is_missing", "fr_number", "fr_int", "fr_percent", "fr_share", "decimals_for_unit", "fr_value", "plural",
           "count", "yes_no"]

NNBSP = "\u202f"  # narrow no-break space: thousands separator, never broken across lines
MISSING = "—"
# the same rules for chart axes: Vega-Lite's ``config.locale`` (d3-format), e.g. ``chart.configure(locale=D3_LOCALE)``
D3_LOCALE = {"number": {"decimal": ",", "thousands": NNBSP, "grouping": [3], "currency": ["", "\u00a0€"], "percent": "\u00a0%"}}


def is_missing(value: object) -> bool:
    """None, NaN, pandas' NA and NaT: shown as a dash."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def fr_number(value: float | None, digits: int = 0) -> str:
    """``1234567.891`` -> ``1 234 567,9`` (``digits=1``); ``-0.04`` -> ``0,0``; missing -> ``—``."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if float(f"{number:.{digits}f}") == 0:
        number = 0.0  # -0.04 rounded to one decimal is -0.0: shown as 0,0
    return f"{number:,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def fr_int(value: float | None) -> str:
    """A count: ``12345`` -> ``12 345`` (a weighted census count is rounded, never shown with decimals)."""
    return fr_number(value, 0)


def fr_percent(share: float | None, digits: int = 0) -> str:
    """A share between 0 and 1: ``0.154`` -> ``15 %`` (``digits=1``: ``15,4 %``); missing -> ``—``."""
    return MISSING if is_missing(share) else f"{fr_number(100 * float(share), digits)} %"  # type: ignore[arg-type]


def fr_share(share: float | None) -> str:
    """A share in whole percents, except a positive one that would read « 0 % » (164 inhabitants out of 184,392): one
    decimal, or « moins de 0,1 % »; a zero that is not one would hide a zone the territory does touch."""
    whole = fr_percent(share)
    if is_missing(share) or float(share) <= 0 or whole != fr_percent(0):  # type: ignore[arg-type]
        return whole
    tenth = fr_percent(share, 1)
    return tenth if tenth != fr_percent(0, 1) else "moins de 0,1 %"


def decimals_for_unit(unit: str, value: float | None = None) -> int:
    """Decimals a French reader expects in ``unit``: counts whole, rates to 0.1, growth and household size to 0.01,
    densities to 0.1 below 100."""
    if unit in ("%/an", "pers./ménage"):
        return 2
    if unit == "%":
        return 1
    if unit == "hab./km²":
        return 0 if value is not None and abs(value) >= 100 else 1
    return 0


def fr_value(value: object, unit: str = "", with_unit: bool = True) -> str:
    """``12 345``, ``15,4 %``, ``19 650 €/an`` (no-break space before the unit); ``—`` when missing."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    text = fr_number(number, decimals_for_unit(unit, number))
    return f"{text}\u00a0{unit}" if with_unit and unit else text


def plural(n: float, singular: str, plural_form: str) -> str:
    """The form agreeing with ``n``: French uses the singular for 0 and 1 (« 0 commune coupée »)."""
    return singular if abs(n) < 2 else plural_form


def count(n: float, singular: str, plural_form: str) -> str:
    """``count(1, "commune coupée", "communes coupées")`` -> ``1 commune coupée``; ``2 345 communes coupées``.

    A count is whole: a weighted census count is rounded first, and the words agree with the shown figure.
    """
    whole = round(float(n))
    return f"{fr_int(whole)} {plural(whole, singular, plural_form)}"


def yes_no(value: object) -> str:
    """``True`` -> ``oui``, ``False`` -> ``non``, missing -> ``—``: a boolean as a cell for people."""
    if is_missing(value):
        return MISSING
    return "oui" if bool(value) else "non"
