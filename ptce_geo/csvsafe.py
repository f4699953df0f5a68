"""CSV bytes safe to open in a spreadsheet: formula cells neutralised, Excel-FR flavour encoded by hand.

Spreadsheets evaluate a cell starting with ``= + - @`` (or a tab / carriage return before them) as a
formula: an actor named ``=HYPERLINK(...)`` would run when the coordinator opens the export. pandas
writes such text unchanged, and ``DataFrame.to_csv()`` without a path ignores ``encoding``, so the BOM
Excel needs to read UTF-8 is added here. Any export of user text should go through this module.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FLAVOURS", "FORMULA_PREFIXES", "check_flavour", "neutralise", "neutralise_text", "to_csv_bytes"]

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


def check_flavour(flavour: str) -> None:
    if flavour not in _FLAVOURS:
        raise ValueError(f"Format CSV inconnu : « {flavour} » (attendu : {', '.join(_FLAVOURS)}).")


def _excel_fr(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as oui/non; floats inside mixed text columns with a decimal comma too."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "oui", False: "non"})
        elif out[col].dtype == object:
            out[col] = out[col].map(lambda v: str(v).replace(".", ",") if isinstance(v, float) else v)
    return out


def to_csv_bytes(frame: pd.DataFrame, flavour: str = "standard", index: bool = False) -> bytes:
    """Neutralised CSV bytes.

    ``standard``: ``,`` separator, ``.`` decimal, UTF-8 without BOM.
    ``excel-fr``: ``;`` separator, decimal comma, oui/non, CRLF, UTF-8 with BOM (what a French Excel
    opens correctly by double-click).
    """
    check_flavour(flavour)
    opts = _FLAVOURS[flavour]
    safe = neutralise(frame)
    if flavour == "excel-fr":
        safe = _excel_fr(safe)
    text = safe.to_csv(index=index, sep=opts["sep"], decimal=opts["decimal"], lineterminator=opts["lineterminator"])
    return ("\ufeff" + text if opts["bom"] else text).encode("utf-8")
