"""INSEE commune codes and EPCI SIREN: normalisation and validation.

Spreadsheets routinely turn ``01001`` into ``1001`` or ``1001.0``; Corsica uses ``2A``/``2B``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from .errors import CodeError

__all__ = [
    "ARRONDISSEMENTS",
    "arrondissement_commune",
    "COMMUNE_RE",
    "SIREN_RE",
    "normalize_commune_code",
    "normalize_commune_codes",
    "normalize_siren",
    "split_codes",
]

COMMUNE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
SIREN_RE = re.compile(r"^\d{9}$")
_FLOAT_SUFFIX = re.compile(r"\.0+$")
# arrondissements municipaux of Paris, Lyon and Marseille: (first code, last code) -> their commune
ARRONDISSEMENTS: dict[tuple[int, int], str] = {(75101, 75120): "75056", (69381, 69389): "69123", (13201, 13216): "13055"}


def _clean(value: object) -> str:
    text = str(value).strip().upper().replace(" ", "")
    return _FLOAT_SUFFIX.sub("", text)


def normalize_commune_code(value: object) -> str:
    """Return the 5-character INSEE code for ``value`` or raise ``CodeError``.

    Restores a lost leading zero (``1001`` -> ``01001``, ``2A4`` is not guessed).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        raise CodeError("Code commune vide.")
    text = _clean(value)
    if text.isdigit() and 3 <= len(text) <= 4:
        text = text.zfill(5)
    if not COMMUNE_RE.match(text):
        raise CodeError(f"Code commune INSEE invalide : « {value} » (5 caractères attendus, ex. 01001 ou 2A004).")
    return text


def normalize_commune_codes(values: pd.Series) -> pd.Series:
    """Vectorised normalisation; invalid codes become ``<NA>`` (callers report them)."""
    text = values.astype("string").str.strip().str.upper().str.replace(_FLOAT_SUFFIX, "", regex=True)
    short = text.str.fullmatch(r"\d{3,4}").fillna(False)
    text = text.where(~short, text.str.zfill(5))
    valid = text.str.fullmatch(COMMUNE_RE.pattern).fillna(False)
    return text.where(valid)


def arrondissement_commune(code: str) -> str | None:
    """The commune (75056 Paris, 69123 Lyon, 13055 Marseille) of an arrondissement municipal code, else ``None``."""
    if not (isinstance(code, str) and code.isdigit()):
        return None
    number = int(code)
    return next((commune for (first, last), commune in ARRONDISSEMENTS.items() if first <= number <= last), None)


def normalize_siren(value: object) -> str:
    """Return a 9-digit SIREN or raise ``CodeError`` (a commune code is named as such)."""
    text = _clean(value)
    if SIREN_RE.match(text):
        return text
    if COMMUNE_RE.match(text.zfill(5) if text.isdigit() and len(text) == 4 else text):
        raise CodeError(f"« {value} » ressemble à un code commune INSEE, pas à un SIREN d'EPCI (9 chiffres).")
    raise CodeError(f"SIREN d'EPCI invalide : « {value} » (9 chiffres attendus).")


def split_codes(text: str | Iterable[str] | None) -> list[str]:
    """Split a user list ``"a, b;c d"`` into stripped, non-empty items, order kept, duplicates removed."""
    if text is None:
        return []
    items = re.split(r"[\s,;]+", text) if isinstance(text, str) else [str(t) for t in text]
    seen: dict[str, None] = {}
    for item in items:
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)
