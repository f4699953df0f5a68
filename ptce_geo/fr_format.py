"""Numbers, percentages, plurals and yes/no as a French reader expects them: one helper per job.

Streamlit's column formats are printf-like (``1,234.5``): tables shown to people are formatted to text
here instead. Thousands are grouped with a narrow no-break space (U+202F, the French typographic
rule), decimals use a comma, and a value that rounds to zero never shows as « -0 ».
"""

from __future__ import annotations

import pandas as pd

__all__ = ["NNBSP", "D3_LOCALE", "fr_number", "fr_int", "fr_percent", "plural", "count", "yes_no"]

NNBSP = "\u202f"  # narrow no-break space: thousands separator, never broken across lines
MISSING = "—"
# the same rules for chart axes: Vega-Lite's ``config.locale`` (d3-format), e.g. ``chart.configure(locale=D3_LOCALE)``
D3_LOCALE = {"number": {"decimal": ",", "thousands": NNBSP, "grouping": [3], "currency": ["", "\u00a0€"], "percent": "\u00a0%"}}


def _missing(value: object) -> bool:
    """None, NaN, pandas' NA and NaT: shown as a dash."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def fr_number(value: float | None, digits: int = 0) -> str:
    """``1234567.891`` -> ``1 234 567,9`` (``digits=1``); ``-0.04`` -> ``0,0``; missing -> ``—``."""
    if _missing(value):
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
    return MISSING if _missing(share) else f"{fr_number(100 * float(share), digits)} %"  # type: ignore[arg-type]


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
    if _missing(value):
        return MISSING
    return "oui" if bool(value) else "non"
