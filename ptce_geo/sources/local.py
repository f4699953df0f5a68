"""Import the official files a user downloaded by hand (or ``../shared/data``) into the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from ..build import IMPORTED, FileRecord, build_cache, file_record
from ..codes import normalize_commune_codes
from ..errors import PtceGeoError, SourceFileError
from .datasets import EXPECTED_HEADERS, Dataset, join_filosofi_parts, recognise
from .geojson import CODE_PROPERTIES, read_polygons
from .qpv_files import is_qpv_file, read_qpv
from .qpv_population import CODE_HEADERS, recognise_qpv_population
from .tables import read_table
from .zoning_files import recognise_zonings

__all__ = ["scan", "import_directory", "ScanResult", "read_contours"]

_GEO_SUFFIXES = (".geojson", ".geojson.gz", ".json", ".gpkg")
_TABLE_SUFFIXES = (".csv", ".csv.gz", ".txt", ".xlsx", ".zip")


@dataclass
class ScanResult:
    """Datasets recognised in a folder, and what was not."""

    found: list[tuple[Dataset, FileRecord]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_contours(path: Path, name: str | None = None) -> Dataset | None:
    """Commune boundaries from a vector file, or ``None`` when its features are not communes."""
    frame, warnings = read_polygons(path, name)
    lower = {c.lower(): c for c in frame.columns}
    for prop in CODE_PROPERTIES:
        if prop in lower:
            codes = normalize_commune_codes(frame[lower[prop]])
            if codes.notna().mean() > 0.9 and codes.str.len().eq(5).all():
                table = gpd.GeoDataFrame({"code_commune": codes.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=4326)
                table = table[table["code_commune"].notna()].dissolve(by="code_commune", as_index=False) \
                    if codes.duplicated().any() else table[table["code_commune"].notna()]
                return Dataset("contours", "contours_communes", "Contours des communes", table.reset_index(drop=True),
                               f"fichier {Path(path).name}", str(path), warnings=warnings)  # build.py names its geography
    return None


def _recognise_table(frame, name: str, qpv_vintage: str | None) -> list[Dataset]:
    """The datasets of one table: a QPV population table, else the official datasets and zonings it holds."""
    population = recognise_qpv_population(frame, name, qpv_vintage)
    if population is not None:
        return [population]
    return [d for d in (recognise(frame, name), *recognise_zonings(frame, name)) if d is not None]


def scan(folder: Path | str, origin: str = IMPORTED, qpv_vintage: str | None = None) -> ScanResult:
    """Recognise every dataset in ``folder`` (recursively) or in the one file ``folder`` names; unreadable files are
    reported, not fatal. ``qpv_vintage``: the year the user gives to a QPV population table (« millésime non indiqué »
    otherwise)."""
    folder = Path(folder)
    if not folder.exists():
        raise SourceFileError(f"{folder} : dossier ou fichier introuvable.")
    result = ScanResult()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]:
        name = path.name.lower()
        try:
            if name.endswith((".zip", ".geojson")) and is_qpv_file(path):
                datasets = [read_qpv(path)]
            elif name.endswith(_GEO_SUFFIXES):
                ds = read_contours(path)
                datasets = [ds] if ds is not None else []
            elif name.endswith(_TABLE_SUFFIXES):
                tables = join_filosofi_parts(read_table(path, EXPECTED_HEADERS + CODE_HEADERS))
                datasets = [d for n, frame in tables for d in _recognise_table(frame, n, qpv_vintage)]
            else:
                datasets = []
        except PtceGeoError as exc:
            result.errors.append(str(exc))
            continue
        if not datasets:
            result.ignored.append(str(path))
        record = file_record(path, origin) if datasets else None
        result.found.extend((ds, record) for ds in datasets)
    return result


def import_directory(folder: Path | str, root: Path | str | None = None, partial: bool = False,
                     qpv_vintage: str | None = None) -> tuple[dict, ScanResult]:
    """Scan ``folder`` (a folder or one file) and rebuild the cache with what was found. Returns (manifest, scan).

    A file much smaller than the dataset in service is refused unless ``partial``: its rows then
    replace the same codes in the dataset in service, the others are kept.
    """
    result = scan(folder, qpv_vintage=qpv_vintage)
    if not result.found:
        detail = f" Erreurs : {' | '.join(result.errors)}" if result.errors else ""
        raise SourceFileError(f"{folder} : aucun fichier de données reconnu.{detail}")
    return build_cache(result.found, root, allow_partial=partial), result
