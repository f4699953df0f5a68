"""CSV bytes safe to open in a spreadsheet: formula cells neutralised, Excel-FR flavour encoded by hand.

Spreadsheets evaluate a cell starting with ``= + - @`` (or a tab / carriage return before them) as a
formula: an actor named ``=HYPERLINK(...)`` would run when the coordinator opens the export. pandas
writes such text unchanged, and ``DataFrame.to_csv()`` without a path ignores ``encoding``, so the BOM
Excel needs to read UTF-8 is added here. Any export of user text should go through this module.

Excel opening a CSV turns a cell of digits into a number: a commune code of the Ain loses its zero (01001 -> 1001, and
no longer matches INSEE's files) and a SIRET is shown 7,32829E+13. In the Excel-FR flavour such codes are written
``="01001"``, which Excel shows exactly as written (``excel_literal``); ``excel_text`` reads them back.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["FLAVOURS", "FORMULA_PREFIXES", "EXCEL_SHOWN_DIGITS", "check_flavour", "neutralise", "neutralise_text",
           "excel_literal", "excel_text", "to_csv_bytes"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FLAVOURS = {"standard": {"sep": ",", "decimal": ".", "bom": False, "lineterminator": "\n"},
             "excel-fr": {"sep": ";", "decimal": ",", "bom": True, "lineterminator": "\r\n"}}


def neutralise_text(value: object) -> object:
    """``value`` prefixed with ``'`` when a spreadsheet would read it as a formula; other values unchanged."""
    if not isinstance(value, str) or not value:
        return value
    head = value.lstrip(" ")
    return "'" + value if head.startswith(FORMULA_PREFIXES) or value.startswith(FORMULA_PREFIXES) else value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as formulas.

    Numeric, boolean and date columns are left as they are (numbers stay numbers); only text cells
    (``str`` values in object/string columns) are touched.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.astype("string")
        risky = text.str.lstrip(" ").str[:1].isin(FORMULA_PREFIXES).fillna(False)
        if risky.any():
            out[col] = series.astype(object).where(~risky, series[risky].map(neutralise_text))
    out.columns = [neutralise_text(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(neutralise_text)
    return out


FLAVOURS = tuple(_FLAVOURS)
EXCEL_SHOWN_DIGITS = 11  # Excel's « Standard » format shows 11 digits; from 12 on, 1,23457E+11
_DIGITS = re.compile(r"[0-9]+")
_LITERAL = re.compile(r'="([0-9]+)"')


def excel_literal(value: object) -> object:
    """``="…"`` for a text of digits Excel would change on opening the CSV (a leading zero, more than
    ``EXCEL_SHOWN_DIGITS`` digits); any other value unchanged (``12345`` stays: Excel shows it as written)."""
    if isinstance(value, str) and _DIGITS.fullmatch(value) and (len(value) > EXCEL_SHOWN_DIGITS or (value[0] == "0" and len(value) > 1)):
        return f'="{value}"'
    return value


def excel_text(cell: str) -> str:
    """A cell read from an Excel-FR CSV: ``="01001"`` (``excel_literal``) back to ``01001``; any other text unchanged."""
    found = _LITERAL.fullmatch(cell)
    return found.group(1) if found else cell


def check_flavour(flavour: str) -> None:
    if flavour not in _FLAVOURS:
        raise ValueError(f"Format CSV inconnu : « {flavour} » (attendu : {', '.join(_FLAVOURS)}).")


def _excel_fr(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as oui/non; floats inside mixed text columns with a decimal comma too; codes as ``excel_literal``."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "oui", False: "non"})
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: str(v).replace(".", ",") if isinstance(v, float) else excel_literal(v), na_action="ignore")
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(excel_literal)
    return out


def to_csv_bytes(frame: pd.DataFrame, flavour: str = "standard", index: bool = False) -> bytes:
    """Neutralised CSV bytes.

    ``standard``: ``,`` separator, ``.`` decimal, UTF-8 without BOM.
    ``excel-fr``: ``;`` separator, decimal comma, oui/non, codes Excel would alter as ``="…"``, CRLF, UTF-8 with BOM
    (what a French Excel opens correctly by double-click).
    """
    check_flavour(flavour)
    opts = _FLAVOURS[flavour]
    safe = neutralise(frame)
    if flavour == "excel-fr":
        safe = _excel_fr(safe)
    text = safe.to_csv(index=index, sep=opts["sep"], decimal=opts["decimal"], lineterminator=opts["lineterminator"])
    return ("\ufeff" + text if opts["bom"] else text).encode("utf-8")
