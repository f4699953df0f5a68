"""INSEE's published supra-communal Filosofi values: EPCI, départements, régions, France métropolitaine.

Two official layouts carry them. The *chiffres clés* workbook (``base-cc-filosofi-AAAA``) has one sheet
per level (COM, EPCI, DEP, REG, METRO, and zonings we do not use) with MEDyy, TP60yy, D1yy, D9yy and
NBPERSMENFISCyy; its DEP and REG sheets end with a separate block for Guadeloupe, Guyane and Mayotte
from another survey (Budget de famille), left out here. The SUPRA zip has ``FILOAAAA_DISP_<level>``
(Q2yy = median, NBPERSyy) and ``FILOAAAA_DISP_PAUVRES_<level>`` (TP60yy) per level. The level is in
the sheet or file name only (a département and a région can share a code), the year in the columns.
"""

from __future__ import annotations

import re

import pandas as pd

from .datasets import Dataset
from .tables import to_number

__all__ = ["SUPRA_LEVELS", "FRANCE_CODE", "recognise_supra", "is_other_zoning"]

SUPRA_LEVELS = {"EPCI": "epci", "DEP": "departement", "REG": "region", "METRO": "france", "METROPOLE": "france"}
FRANCE_CODE = "FR"  # the comparisons' code of France; INSEE's published national value is France métropolitaine
_LABELS = {"epci": "EPCI", "departement": "départements", "region": "régions", "france": "France métropolitaine"}
_CODES = {"epci": r"\d{9}", "departement": r"\d{2}|2[AB]|97\d", "region": r"\d{2}", "france": r".+"}
_SHEET = re.compile(r"\[(\w+)\]$")
_SUPRA_FILE = re.compile(r"FILO(20\d\d)_DISP_(PAUVRES_)?(EPCI|DEP|REG|METROPOLE)\b", re.IGNORECASE)
# the workbook's other sheets: zonings without a comparison column here (and COM, read as communes)
_OTHER_SHEETS = {"EPT", "ARR", "CTCD", "AAV2020", "UU2020", "ZE2020", "VARIABLES", "DOCUMENTATION"}
_COLUMNS = {"med_niveau_vie": ("MED", "Q2"), "taux_pauvrete": ("TP60",), "personnes": ("NBPERSMENFISC", "NBPERS"),
            "d1_niveau_vie": ("D1",), "d9_niveau_vie": ("D9",)}


def _level(name: str) -> str | None:
    """Level key from a workbook sheet ``…xlsx[DEP]`` or a SUPRA file ``FILO2019_DISP_DEP.csv``; ``None`` otherwise."""
    base = name.rsplit("/", 1)[-1]
    if (sheet := _SHEET.search(base)) and "FILOSOFI" in base.upper():
        return SUPRA_LEVELS.get(sheet.group(1).upper())
    if match := _SUPRA_FILE.search(base):
        return SUPRA_LEVELS[match.group(3).upper()]
    return None


def is_other_zoning(name: str) -> bool:
    """A sheet of the Filosofi workbook for a zoning without comparison here (EPT, ARR, UU…): not an error, not data."""
    base = name.rsplit("/", 1)[-1]
    sheet = _SHEET.search(base)
    return bool(sheet and "FILOSOFI" in base.upper() and sheet.group(1).upper() in _OTHER_SHEETS)


def _year(columns: list[str]) -> int | None:
    for column in columns:
        if match := re.fullmatch(r"(?:MED|Q2|TP60)(\d\d)", column):
            return 2000 + int(match.group(1))
    return None


def recognise_supra(frame: pd.DataFrame, name: str) -> Dataset | None:
    """The published values of one level and year in ``frame``, or ``None`` when it is not a supra-communal Filosofi table."""
    level = _level(name)
    columns = [str(c).strip() for c in frame.columns]
    year = _year(columns)
    if level is None or year is None or "CODGEO" not in columns:
        return None
    frame = frame.set_axis(columns, axis=1)
    blank = (frame["CODGEO"].astype("string").str.strip().fillna("") == "").to_numpy().nonzero()[0]
    frame = frame.iloc[: blank[0] if len(blank) else len(frame)]  # the Budget de famille block follows a blank row
    codes = frame["CODGEO"].astype("string").str.strip()
    keep = codes.str.fullmatch(_CODES[level]).fillna(False).to_numpy()
    frame, codes = frame[keep], codes[keep]
    yy = f"{year % 100:02d}"
    decimal = frame.attrs.get("decimal", ".")
    table = pd.DataFrame({"niveau": level, "code": FRANCE_CODE if level == "france" else codes.to_numpy(), "annee": year},
                         index=range(len(frame)))
    found = []
    for var, prefixes in _COLUMNS.items():
        column = next((p + yy for p in prefixes if p + yy in frame.columns), None)
        table[var] = to_number(frame[column], decimal).to_numpy() if column else float("nan")
        if column:
            found.append(var)
    if not {"med_niveau_vie", "taux_pauvrete"} & set(found):
        return None
    part = "cc" if {"med_niveau_vie", "taux_pauvrete"} <= set(found) else ("disp" if "med_niveau_vie" in found else "pauvres")
    return Dataset("supra", f"insee_filosofi_supra_{level}_{year}_{part}",
                   f"INSEE, Filosofi {year} : valeurs publiées des {_LABELS[level]}", table, f"Filosofi {year}", name)
