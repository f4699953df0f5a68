"""Recognise a table of the population of each QPV, cut by a coordinator from INSEE's file.

INSEE publishes the population of each quartier prioritaire (« Données sur les quartiers 2024 de la
politique de la ville », insee.fr/fr/statistiques/8243167) but the layout of its file could not be
checked here: any CSV (``;`` or ``,``, UTF-8 or Latin-1) or XLSX with a QPV code column and a
population column is read. The code column is found by its name (``code_qp``, ``codeQPV``, ``CODE_QP``,
``qp``… case and separators ignored) or, failing that, as the column whose cells are QPV codes
(INSEE's ``CODGEO``); the population column by its name (``population``, ``pop``, ``popMuniQPV``,
``P_POP``, ``P21_POP``…). Age bands such as ``P21_POP1564`` are not a population and are not taken.
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import SourceFileError
from .datasets import Dataset
from .tables import to_number

__all__ = ["recognise_qpv_population", "QPV_POPULATION_ID", "NO_VINTAGE", "CODE_NAMES", "POPULATION_NAMES", "CODE_HEADERS"]

QPV_POPULATION_ID = "qpv_population"
NO_VINTAGE = "millésime non indiqué"
LABEL = "Population des quartiers prioritaires (table tirée du fichier INSEE « Données sur les quartiers de la politique de la ville »)"
# column names once lower-cased and stripped of everything but letters and digits
CODE_NAMES = ("codeqp", "codqp", "codeqpv", "codqpv", "qp", "qpv", "codequartier", "idqp", "codeqp2024", "qp2024", "codeqpv2024")
POPULATION_NAMES = ("population", "pop", "popmuniqpv", "popmun", "popqpv", "populationmunicipale", "popmunicipale", "ppop")
_POPULATION_PATTERN = re.compile(r"^p(20)?\d{2}pop$")  # P21_POP, P2021_POP (not P21_POP1564, an age band)
# header cells that identify the header row of a workbook with title rows (tables.read_table)
CODE_HEADERS = ("code_qp", "codeQPV", "CODE_QP", "code_qpv", "CODE_QPV", "qp", "QP", "qpv", "QPV")
_CODE = re.compile(r"^Q[NP]\w{6}$")
_CONTENT_SHARE = 0.9  # share of filled cells that must be QPV codes for an unnamed column to be the code column
_EXAMPLES = 5


def _key(column: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(column).lower())


def _named(frame: pd.DataFrame, names: tuple[str, ...], pattern: re.Pattern | None = None) -> str | None:
    keys = {_key(c): c for c in reversed(frame.columns)}  # the first column of a given name wins
    for name in names:
        if name in keys:
            return keys[name]
    return next((c for c in frame.columns if pattern is not None and pattern.match(_key(c))), None)


def _code_by_content(frame: pd.DataFrame) -> str | None:
    """The column whose filled cells are QPV codes (INSEE keys its files by ``CODGEO``, holding the QPV code there)."""
    for column in frame.columns:
        cells = frame[column].astype(str).str.strip()
        cells = cells[cells != ""]
        if len(cells) and cells.str.match(_CODE).mean() >= _CONTENT_SHARE:
            return column
    return None


def _lines(frame: pd.DataFrame, mask: pd.Series) -> str:
    first = int(frame.attrs.get("first_line", 2))
    return ", ".join(str(first + i) for i in frame.index[mask.to_numpy()][:_EXAMPLES])


def _populations(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    """The population cells as numbers; a cell that is not a number, or a negative one, refuses the file (naming the lines)."""
    text = frame[column].astype(str).str.strip()
    values = to_number(text, frame.attrs.get("decimal", "."))
    bad = values.isna()
    if bad.any():
        raise SourceFileError(f"{name} : {int(bad.sum())} populations non numériques dans « {column} » (ligne {_lines(frame, bad)} : "
                              f"{', '.join(repr(v) for v in text[bad].unique()[:_EXAMPLES])}) ; une population manquante fausserait "
                              "la somme : fichier refusé, le cache précédent reste en service.")
    negative = values < 0
    if negative.any():
        raise SourceFileError(f"{name} : {int(negative.sum())} populations négatives dans « {column} » (ligne {_lines(frame, negative)}) : "
                              "fichier refusé, le cache précédent reste en service.")
    return values


def _deduplicated(table: pd.DataFrame, name: str, warnings: list[str]) -> pd.DataFrame:
    """One row per QPV: the same code twice with the same population is kept once, with two populations refused."""
    populations = table.groupby("code_qp")["population"].nunique()
    conflicts = populations.index[populations > 1]
    if len(conflicts):
        raise SourceFileError(f"{name} : {len(conflicts)} codes de QPV en double avec des populations différentes (ex. "
                              f"{', '.join(conflicts[:_EXAMPLES])}) : laquelle retenir ? Fichier refusé, le cache précédent reste "
                              "en service.")
    repeated = table["code_qp"].duplicated()
    if repeated.any():
        warnings.append(f"{name} : {int(repeated.sum())} lignes répétées à l'identique ignorées (ex. "
                        f"{', '.join(table.loc[repeated, 'code_qp'].unique()[:_EXAMPLES])}).")
    return table[~repeated].reset_index(drop=True)


def recognise_qpv_population(frame: pd.DataFrame, name: str, vintage: str | None = None) -> Dataset | None:
    """The population of each QPV in ``frame``, or ``None`` when ``frame`` holds no QPV code column.

    A code column named as a QPV code without a population column refuses the file (``SourceFileError`` saying the
    columns found and expected); so do non-numeric or negative populations and one code with two populations. Cells
    that are not QPV codes (a total line, a blank line) are ignored with a warning. ``vintage``: what the user says
    of the file's year, « millésime non indiqué » otherwise (never guessed).
    """
    code = _named(frame, CODE_NAMES)
    population = _named(frame, POPULATION_NAMES, _POPULATION_PATTERN)
    if code is None:
        code = _code_by_content(frame) if population is not None else None
        if code is None:
            return None
    if population is None:
        raise SourceFileError(f"{name} : colonne de population absente (colonnes lues : {', '.join(map(str, frame.columns[:15]))} ; "
                              f"attendu : un code de QPV, ici « {code} », et une population : population, pop, popMuniQPV, P_POP ou "
                              "P21_POP).")
    codes = frame[code].astype(str).str.strip().str.upper()
    blank = (codes == "") & (frame[population].astype(str).str.strip() == "")
    frame, codes = frame[~blank], codes[~blank]
    warnings = []
    valid = codes.str.match(_CODE)
    if not valid.any():
        raise SourceFileError(f"{name} : aucun code de QPV dans « {code} » (attendu « QN » suivi de 6 caractères, ex. QN08001M ; lu : "
                              f"{', '.join(map(repr, codes.unique()[:_EXAMPLES]))}).")
    if not valid.all():
        warnings.append(f"{name} : {int((~valid).sum())} lignes sans code de QPV dans « {code} » ignorées (ex. "
                        f"{', '.join(map(repr, codes[~valid].unique()[:_EXAMPLES]))}).")
    rows = frame[valid.to_numpy()]
    table = pd.DataFrame({"code_qp": codes[valid].to_numpy(), "population": _populations(rows, population, name).to_numpy()})
    table = _deduplicated(table, name, warnings)
    return Dataset("qpv_population", QPV_POPULATION_ID, f"{LABEL}, colonne « {population} »", table,
                   (vintage or "").strip() or NO_VINTAGE, name, warnings=warnings)
