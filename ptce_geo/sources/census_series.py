"""Census and civil-status vintages kept as *series* so the trend grows with the files imported.

A series column is named ``<serie>@<period>`` (``pop_rp@2013``, ``naissances@2013-2018``); its
metadata (year, period, vintage) sits in ``Dataset.variables`` next to the main variables. Two
official layouts hold nothing but series: INSEE's *séries historiques* (``base-cc-serie-historique``:
P21_POP, P15_POP, P10_POP, D99_POP … D68_POP, NAISaabb/DECEaabb for each inter-census period) and the
age structure (``base-cc-evol-struct-pop``: P21_POP0014 … P21_POP75P, P21_POP0019, P21_POP65P).
The comparateur adds its births and deaths between its two census dates.
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import SourceFileError
from .tables import to_number

__all__ = ["SERIES_SEP", "series_name", "census_year", "period_columns", "recognise_census_series", "check_geography",
           "AGE_SERIES"]

SERIES_SEP = "@"
_ARM = r"^(751\d\d|6938\d|132\d\d)$"
# age bands of the INSEE age-structure file -> series name
AGE_SERIES = {"0014": "pop_0014", "1529": "pop_1529", "3044": "pop_3044", "4559": "pop_4559", "6074": "pop_6074",
              "75P": "pop_75p", "0019": "pop_0019", "65P": "pop_65p"}
_AGE = re.compile(r"P(\d\d)_POP(0014|1529|3044|4559|6074|75P|0019|65P)")
_POP = re.compile(r"[PD](\d\d)_POP")
_CIVIL = re.compile(r"(NAIS|DECE)(\d\d)(\d\d)")
_RP_BY_COLUMN = {"EMPLT": "emplois", "POP1564": "pop_1564", "ACT1564": "actifs_1564", "CHOM1564": "chomeurs_1564"}
_COMPARATEUR_ONLY = re.compile(r"(MED|ETTOT|NBMENFISC)\d\d")
_RP_OTHER = re.compile(r"P(\d\d)_(EMPLT|POP1564|ACT1564|CHOM1564)")


def series_name(serie: str, period: str | int) -> str:
    return f"{serie}{SERIES_SEP}{period}"


def census_year(yy: str | int) -> int:
    """Four-digit year of a two-digit census year: 68 -> 1968, 99 -> 1999, 21 -> 2021."""
    yy = int(yy)
    return 1900 + yy if yy >= 50 else 2000 + yy


def period_columns(columns: list[str]) -> dict[str, tuple[str, int, str]]:
    """Births and deaths between two census dates as series columns: ``{series column: (source column, end year, vintage)}``.

    INSEE changed its naming: the 2022 comparateur's ``NAIS1318`` (with P13/P18) counts from 01/01/2013 to
    01/01/2018, the 2025 edition's ``NAIS1621`` (with P16/P22) the years 2016 to 2021, i.e. to 01/01/2022. The end is
    therefore read against the file's census dates: the year named if it is one, else the next year if that is one.
    Single-year counts (``NAISD20``) are not periods.
    """
    census = {census_year(m.group(1)) for c in columns if (m := _POP.fullmatch(c))}
    out = {}
    for column in columns:
        if match := _CIVIL.fullmatch(column):
            start, end = census_year(match.group(2)), census_year(match.group(3))
            end = end + 1 if end not in census and end + 1 in census else end
            if end > start:
                serie = "naissances" if match.group(1) == "NAIS" else "deces"
                out[series_name(serie, f"{start}-{end}")] = (column, end, f"État civil du 1er janvier {start} au 1er janvier {end}")
    return out


def _census_columns(columns: list[str]) -> dict[str, tuple[str, int, str]]:
    out: dict[str, tuple[str, int, str]] = {}
    for column in columns:
        if (match := _AGE.fullmatch(column)) is not None:
            year = census_year(match.group(1))
            out[series_name(AGE_SERIES[match.group(2)], year)] = (column, year, f"RP {year}")
        elif (match := _POP.fullmatch(column)) is not None:
            year = census_year(match.group(1))
            out[series_name("pop_rp", year)] = (column, year, f"RP {year}" if column[0] == "P" else f"RP {year} (population sans doubles comptes)")
        elif (match := _RP_OTHER.fullmatch(column)) is not None:
            year = census_year(match.group(1))
            out[series_name(_RP_BY_COLUMN[match.group(2)], year)] = (column, year, f"RP {year}")
    return {**out, **period_columns(columns)}


def _kind(columns: list[str]) -> tuple[str, str] | None:
    """(dataset id, label) of a series-only file, from its columns; ``None`` for any other file (a comparateur
    with income or establishment columns stays the comparateur)."""
    if any(_COMPARATEUR_ONLY.fullmatch(c) for c in columns):
        return None
    if any(_AGE.fullmatch(c) for c in columns):
        return "insee_rp_structure_age", "INSEE, recensement : population par grande tranche d'âge"
    if any(re.fullmatch(r"D\d\d_POP", c) for c in columns):
        return "insee_rp_series_historiques", "INSEE, recensement : séries historiques (depuis 1968)"
    return None


def _with_75_plus(frame: pd.DataFrame) -> pd.DataFrame:
    """``Pyy_POP75P`` from ``Pyy_POP7589`` + ``Pyy_POP90P`` where an edition splits the oldest band."""
    decimal = frame.attrs.get("decimal", ".")
    added = {}
    for column in frame.columns:
        if (match := re.fullmatch(r"P(\d\d)_POP7589", str(column))) and f"P{match.group(1)}_POP90P" in frame \
                and f"P{match.group(1)}_POP75P" not in frame:
            total = to_number(frame[column], decimal) + to_number(frame[f"P{match.group(1)}_POP90P"], decimal)
            added[f"P{match.group(1)}_POP75P"] = total.map(lambda v: "" if pd.isna(v) else repr(float(v)).replace(".", decimal))
    if not added:
        return frame
    out = frame.assign(**added)
    out.attrs = dict(frame.attrs)
    return out


def check_geography(frame: pd.DataFrame, name: str) -> None:
    """A census file keyed by something else than communes (IRIS, départements, EPCI…) is refused, naming the file."""
    columns = [str(c) for c in frame.columns]
    if "CODGEO" in columns or not any(_POP.fullmatch(c) for c in columns):
        return
    for key, what in (("IRIS", "des IRIS"), ("DEP", "des départements"), ("REG", "des régions"), ("EPCI", "des EPCI")):
        if key in columns:
            raise SourceFileError(f"{name} : fichier du recensement à l'échelle {what} (colonne {key}), pas des communes "
                                  "(colonne CODGEO attendue) : téléchargez la version « communes » du fichier.")


def recognise_census_series(frame: pd.DataFrame, name: str, build) -> object | None:
    """The series-only dataset in ``frame`` (séries historiques, age structure), or ``None``.

    ``build(frame, code_column, name, columns)`` is ``datasets._variables_frame`` (passed in: this module
    sits below it). Arrondissements municipaux are left out (their commune is in the same file).
    """
    columns = [str(c) for c in frame.columns]
    kind = _kind(columns) if "CODGEO" in columns else None
    if kind is None:
        return None
    frame = _with_75_plus(frame)
    wanted = _census_columns(list(frame.columns))
    if not wanted:
        return None
    rows = frame[~frame["CODGEO"].astype(str).str.match(_ARM)]
    if rows.empty:
        return None
    ds = build(rows, "CODGEO", name, wanted)
    years = sorted({meta["annee"] for meta in ds.variables.values()})
    ds.id, ds.label = f"{kind[0]}_{years[-1]}", kind[1]
    ds.vintage = f"RP {years[0]} à {years[-1]}" if len(years) > 1 else f"RP {years[0]}"
    return ds
