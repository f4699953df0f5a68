"""Plumbing shared by the collective's tables (functions, funding): ids, actor references, numbers and dates read once.

Every check raises ``CollectiveError`` with a French message naming what was received, so a page can show it as is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date

import pandas as pd

from ..errors import CollectiveError
from ..fr_format import fr_number
from .tables import Table, read_table

__all__ = ["ALERT_COLUMNS", "alert", "next_id", "text", "actor", "nonnegative", "as_date", "iso", "fr_date", "without_ids", "append_checked"]

ALERT_COLUMNS = ("code", "niveau", "chiffres", "message")  # the form of the territorial and inventory alerts


def alert(code: str, niveau: str, chiffres: str, message: str) -> dict:
    return {"code": code, "niveau": niveau, "chiffres": chiffres, "message": message}


def next_id(table: pd.DataFrame) -> int:
    """One more than the largest id (ids are never reused while a row holds them)."""
    ids = pd.to_numeric(table["id"], errors="coerce").dropna()
    return int(ids.max()) + 1 if len(ids) else 1


def append_checked(spec: Table, table: pd.DataFrame, values: dict, check: Callable[[pd.DataFrame], list[str]]) -> pd.DataFrame:
    """``table`` with one more row (next id) once ``check`` (the registry's rules) finds nothing wrong with it."""
    row = read_table(spec, pd.DataFrame([{**values, "id": next_id(table)}]))
    problems = check(row)
    if problems:
        raise CollectiveError(" ".join(problems))
    return read_table(spec, pd.concat([table, row], ignore_index=True)) if len(table) else row


def text(value: object) -> str:
    """A free-text cell: trimmed, missing as ``""``."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def actor(name: object, known: Iterable[str], role: str, required: bool = True) -> str:
    """``name`` if the inventory holds an actor of that name; an empty optional reference gives ``""``."""
    name = text(name)
    if not name:
        if required:
            raise CollectiveError(f"Choisissez {role} parmi les acteurs de l'inventaire.")
        return ""
    if name not in set(known):
        raise CollectiveError(f"« {name} » ({role}) n'est pas un acteur de l'inventaire : ajoutez-le d'abord sur la page Acteurs, "
                              "ou choisissez un acteur de la liste.")
    return name


def nonnegative(value: object, label: str, unit: str = "") -> float | None:
    """A figure that cannot be negative (an amount, a time); empty stays unanswered (None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace("\u202f", "").replace(" ", "").replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise CollectiveError(f"{label} illisible : « {value} » (nombre attendu).") from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise CollectiveError(f"{label} illisible : « {value} » (nombre fini attendu).")
    if number < 0:
        raise CollectiveError(f"{label} négatif : {fr_number(number, 2)}{unit} (une valeur positive ou nulle est attendue).")
    return number


def as_date(value: object, label: str) -> date | None:
    """A date from a ``date`` or an ISO text (``AAAA-MM-JJ``); empty stays unanswered (None)."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise CollectiveError(f"{label} illisible : « {raw} » (date AAAA-MM-JJ attendue).") from None


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def fr_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "—"


def without_ids(table: pd.DataFrame, ids: Iterable[int]) -> pd.DataFrame:
    """``table`` without the rows whose id is in ``ids`` (an unknown id is ignored: the row is already gone)."""
    return table[~pd.to_numeric(table["id"], errors="coerce").isin(list(ids))].reset_index(drop=True)
