"""Recognise the ANCT's file of the quartiers prioritaires de la politique de la ville (QPV 2024).

The official zip (data.gouv.fr, « Quartiers prioritaires de la politique de la ville (QPV) », ANCT,
26 April 2024) holds one GeoJSON per territory and projection; the combined WGS84 one,
``GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson``, is read. Its features carry ``code_qp``
(« QNXXXYYZ »), ``lib_qp``, ``insee_com`` (the commune the QPV is attached to; several codes are accepted
separated by commas), ``lib_com``, ``insee_dep``, ``insee_reg``, ``siren_epci``. It carries no population.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..codes import normalize_commune_codes
from ..errors import SourceFileError
from .datasets import Dataset

__all__ = ["read_qpv", "is_qpv_file", "QPV_ID", "QPV_REQUIRED"]

QPV_ID = "qpv2024"
QPV_REQUIRED = ("code_qp", "lib_qp", "insee_com")
_MEMBER = re.compile(r"(^|/)QP\d{4}_[^/]*\.geojson$", re.IGNORECASE)
_CODE_QP = re.compile(r"^Q[NP]\w{6}$")


def _member(path: Path) -> str | None:
    """The GeoJSON to read in an ANCT zip: the combined WGS84 one when present, else the first QP file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if _MEMBER.search(n)]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFileError(f"{path.name} : archive zip corrompue ou tronquée ({exc}).") from exc
    wgs84 = [n for n in names if "wgs84" in n.lower() and "outre_mer" in n.lower()]
    return (wgs84 or names or [None])[0]


def is_qpv_file(path: Path) -> bool:
    """Whether ``path`` looks like the ANCT's QPV file (a zip holding a QPxxxx GeoJSON, or such a GeoJSON)."""
    name = path.name.lower()
    if name.endswith(".zip"):
        return _member(path) is not None
    return bool(_MEMBER.search(path.name)) and name.endswith(".geojson")


def _commune_codes(raw: pd.Series, name: str) -> pd.Series:
    """First commune of each QPV (the one it is attached to), checked; the full list stays in ``communes``."""
    first = raw.fillna("").astype(str).str.split(",").str[0].str.strip()
    codes = normalize_commune_codes(first)
    bad = first[codes.isna()]
    if len(bad):
        raise SourceFileError(f"{name} : {len(bad)} codes commune illisibles dans « insee_com » "
                              f"(ex. {', '.join(map(repr, bad.unique()[:5]))}) ; le cache précédent reste en service.")
    return codes


def read_qpv(path: Path | str, name: str | None = None) -> Dataset:
    """The QPV of the ANCT file at ``path`` (zip or GeoJSON) as a WGS84 GeoDataFrame: code_qp, nom, code_commune, communes."""
    path = Path(path)
    name = name or path.name
    source = f"/vsizip/{path}/{_member(path)}" if path.name.lower().endswith(".zip") else str(path)
    try:
        frame = pyogrio.read_dataframe(source)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, OSError...
        raise SourceFileError(f"{name} : contours des QPV illisibles ({exc}).") from exc
    missing = [c for c in QPV_REQUIRED if c not in frame.columns]
    if missing:
        raise SourceFileError(f"{name} : colonnes manquantes pour les QPV : {', '.join(missing)} "
                              f"(colonnes lues : {', '.join(map(str, frame.columns[:12]))}).")
    codes = frame["code_qp"].fillna("").astype(str).str.strip()
    bad = codes[~codes.str.match(_CODE_QP)]
    if len(bad):
        raise SourceFileError(f"{name} : {len(bad)} codes de QPV inconnus dans « code_qp » (attendu « QN » suivi de 6 caractères, "
                              f"ex. QN07501M ; lu : {', '.join(map(repr, bad.unique()[:5]))}).")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        frame = frame.set_crs(4326) if frame.crs is None else frame.to_crs(4326)
    table = gpd.GeoDataFrame({
        "code_qp": codes.to_numpy(),
        "nom": frame["lib_qp"].fillna("").astype(str).str.strip().to_numpy(),
        "code_commune": _commune_codes(frame["insee_com"], name).to_numpy(),
        "communes": frame["insee_com"].fillna("").astype(str).str.replace(" ", "").to_numpy(),
    }, geometry=frame.geometry.to_numpy(), crs=4326)
    warnings = []
    dup = table["code_qp"].duplicated()
    if dup.any():
        warnings.append(f"{name} : {int(dup.sum())} QPV en double ignorés (ex. {', '.join(table.loc[dup, 'code_qp'][:5])}).")
        table = table[~dup]
    year = re.search(r"QP(20\d\d)", name, re.IGNORECASE) or re.search(r"QP(20\d\d)", source, re.IGNORECASE)
    vintage = f"QPV {year.group(1)}" if year else "QPV (millésime inconnu)"
    return Dataset("qpv", QPV_ID, "ANCT, quartiers prioritaires de la politique de la ville (contours)", table.reset_index(drop=True),
                   vintage, name, warnings=warnings)
