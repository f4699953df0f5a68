"""Recognise the zoning files: which bassin de vie, zone d'emploi, aire d'attraction, FRR class each commune is in.

INSEE's table d'appartenance géographique carries ``ZE2020``, ``AAV2020`` and ``BV2022`` per commune
(the 2022 release has ``BV2012`` only, which is not read); its ``Zones_supra_communales`` sheet names
each zone; INSEE's ZE2020 composition file carries ``ZE2020`` and ``LIBZE2020``; the DGCL/ANCT list of
France Ruralités Revitalisation gives each commune's class. One file may give several datasets: one
per zoning (``zonage_<id>``, columns ``code_commune``, ``code_zone``) and one per zoning's names
(``noms_<id>``, columns ``code``, ``nom``), so the most recent vintage of each wins on its own.
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import SourceFileError
from .datasets import Dataset, _codes, _dedupe, _year_from

__all__ = ["recognise_zonings", "FRR_CLASSES", "ZONING_COLUMNS"]

# INSEE column -> zoning id, label
ZONING_COLUMNS = {"BV2022": ("bv2022", "bassins de vie 2022"), "ZE2020": ("ze2020", "zones d'emploi 2020"),
                  "AAV2020": ("aav2020", "aires d'attraction des villes 2020")}
# FRR class as written in the DGCL list -> stable code (order: most supported first)
FRR_CLASSES = {"FRR+": "frr_plus", "FRR socle": "frr_socle", "FRR bénéficiaire": "frr_beneficiaire",
               "Classée FRR partiellement": "frr_partielle", "FRR bénéficiaire partiellement": "frr_beneficiaire_partielle",
               "Non classée": "non_classee"}
_FRR_COLUMN = re.compile(r"classement\s+frr", re.IGNORECASE)


def _membership(frame: pd.DataFrame, name: str, column: str, zoning: str, label: str, vintage: str) -> Dataset:
    warnings: list[str] = []
    table = pd.DataFrame({"code_commune": _codes(frame, "CODGEO", name), "code_zone": frame[column].str.strip().to_numpy()})
    table = table[table["code_zone"].ne("")]
    table = _dedupe(table, "code_commune", name, warnings)
    return Dataset("zonage", f"zonage_{zoning}", f"INSEE, {label} (appartenance des communes)", table.reset_index(drop=True),
                   vintage, name, warnings=warnings)


def _names(codes: pd.Series, names: pd.Series, name: str, zoning: str, label: str, vintage: str) -> Dataset:
    table = pd.DataFrame({"code": codes.str.strip().to_numpy(), "nom": names.str.strip().to_numpy()})
    table = table[table["code"].ne("")].drop_duplicates("code").reset_index(drop=True)
    return Dataset("zones", f"noms_{zoning}", f"INSEE, noms des {label}", table, vintage, name)


def _appartenance(frame: pd.DataFrame, name: str) -> list[Dataset]:
    """Table d'appartenance (COM sheet) or ZE2020 composition: one dataset per zoning column present."""
    year = _year_from(name)
    vintage = f"géographie {year}" if year else "géographie (millésime inconnu)"
    out = [_membership(frame, name, column, zoning, label, vintage)
           for column, (zoning, label) in ZONING_COLUMNS.items() if column in frame.columns]
    if {"ZE2020", "LIBZE2020"} <= set(frame.columns):
        out.append(_names(frame["ZE2020"], frame["LIBZE2020"], name, "ze2020", ZONING_COLUMNS["ZE2020"][1], vintage))
    return out


def _supra(frame: pd.DataFrame, name: str) -> list[Dataset]:
    """``Zones_supra_communales`` sheet: NIVGEO (zoning), CODGEO (zone code), LIBGEO (zone name)."""
    year = _year_from(name)
    vintage = f"géographie {year}" if year else "géographie (millésime inconnu)"
    out = []
    for column, (zoning, label) in ZONING_COLUMNS.items():
        part = frame[frame["NIVGEO"].str.strip() == column]
        if len(part):
            out.append(_names(part["CODGEO"], part["LIBGEO"], name, zoning, label, vintage))
    return out


def _frr(frame: pd.DataFrame, name: str, column: str) -> list[Dataset]:
    """DGCL/ANCT list of the France Ruralités Revitalisation classes (one row per commune)."""
    classes = frame[column].str.strip()
    unknown = classes[~classes.isin(list(FRR_CLASSES)) & classes.ne("")]
    if len(unknown) > max(10, 0.01 * len(frame)):
        raise SourceFileError(f"{name} : {len(unknown)} classements FRR inconnus dans « {column} » "
                              f"(ex. {', '.join(unknown.unique()[:5])} ; attendus : {', '.join(FRR_CLASSES)}).")
    warnings = [f"{name} : {len(unknown)} classements FRR inconnus ignorés (ex. {', '.join(unknown.unique()[:5])})."] if len(unknown) else []
    table = pd.DataFrame({"code_commune": _codes(frame, "Code_insee", name), "code_zone": classes.map(FRR_CLASSES).to_numpy()})
    table = _dedupe(table[table["code_zone"].notna()], "code_commune", name, warnings)
    date = re.search(r"au\s+(\d{1,2}\s+\w+\s+20\d\d)", column)
    vintage = f"classement au {date.group(1)}" if date else f"classement {_year_from(name) or '(date inconnue)'}"
    names = pd.DataFrame({"code": list(FRR_CLASSES.values()), "nom": list(FRR_CLASSES)})
    return [Dataset("zonage", "zonage_frr", "DGCL/ANCT, France Ruralités Revitalisation (classement des communes)",
                    table.reset_index(drop=True), vintage, name, warnings=warnings),
            Dataset("zones", "noms_frr", "DGCL/ANCT, classes France Ruralités Revitalisation", names, vintage, name)]


def recognise_zonings(frame: pd.DataFrame, name: str) -> list[Dataset]:
    """The zoning datasets in ``frame`` (none when its header is not a zoning file's)."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    cols = set(frame.columns)
    if frame.empty:
        return []
    if {"NIVGEO", "CODGEO", "LIBGEO"} <= cols:
        return _supra(frame, name)
    if "CODGEO" in cols and "COM" not in cols and cols & set(ZONING_COLUMNS):
        return _appartenance(frame, name)
    frr = next((c for c in frame.columns if _FRR_COLUMN.search(c)), None)
    if "Code_insee" in cols and frr is not None:
        return _frr(frame, name, frr)
    return []
