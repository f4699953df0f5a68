"""Read polygon layers (GeoJSON, GeoPackage…) into EPSG:4326, repairing what can be repaired.

GeoJSON is WGS84 by definition, but files exported from QGIS often hold Lambert-93 metres
without saying so: detected from the coordinates and reprojected with a warning.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from ..errors import GeometryError, SourceFileError
from ..fr_format import count, plural
from ..geometry import polygonal
from .safe_files import check_archive, gunzip

__all__ = ["read_polygons", "CODE_PROPERTIES"]

CODE_PROPERTIES = ("code_commune", "code", "codgeo", "insee_com", "code_insee", "insee", "com")
# Lambert-93 (EPSG:2154) extent of metropolitan France, with a margin
_L93 = (-400_000.0, 5_900_000.0, 1_400_000.0, 7_300_000.0)


def _guess_crs(frame: gpd.GeoDataFrame, name: str, warnings: list[str]) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = frame.total_bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return frame.set_crs(4326, allow_override=True)
    if _L93[0] <= minx and maxx <= _L93[2] and _L93[1] <= miny and maxy <= _L93[3]:
        warnings.append(f"{name} : aucun système de coordonnées déclaré ; coordonnées en mètres reconnues comme Lambert-93 (EPSG:2154).")
        return frame.set_crs(2154, allow_override=True).to_crs(4326)
    raise GeometryError(f"{name} : coordonnées hors des longitudes/latitudes et du Lambert-93, "
                        "et aucun système de coordonnées déclaré : impossible de placer ces formes.")


def _read_vector(data: bytes) -> gpd.GeoDataFrame:
    """GDAL reads GeoJSON from memory; a GeoPackage (SQLite) wants a real ``.gpkg`` file."""
    if not data.startswith(b"SQLite format 3\x00"):
        return pyogrio.read_dataframe(io.BytesIO(data), use_arrow=False)
    with tempfile.TemporaryDirectory(prefix="ptce_vector_") as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        return pyogrio.read_dataframe(path, use_arrow=False)


def _refuse_non_finite(frame: gpd.GeoDataFrame, name: str) -> None:
    """A NaN or infinite coordinate would be dropped by the repair under a misleading message: refuse it."""
    coords, index = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if len(bad):
        raise GeometryError(f"{name} : {count(len(bad), 'entité a', 'entités ont')} une coordonnée qui n'est pas un nombre (NaN) ou infinie "
                            f"(entité n° {int(bad[0]) + 1}…) : fichier refusé, corrigez-le.")


def read_polygons(source: Path | str | bytes, name: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Polygons of a vector file (path or bytes; ``.gz`` accepted) in EPSG:4326, with warnings.

    Invalid polygons (bow-ties, self-intersections) are repaired; non-polygonal and empty
    features are dropped and counted in the warnings.
    """
    name = name or (str(source) if not isinstance(source, bytes) else "fichier")
    data = source if isinstance(source, bytes) else None
    if data is None:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise SourceFileError(f"{name} : lecture impossible ({exc.strerror}).") from exc
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, name, SourceFileError)
    if data[:4] == b"PK\x03\x04":  # zipped shapefile (or GeoPackage): GDAL would trust the archive's sizes
        check_archive(data, name, SourceFileError)
    if not data.strip():
        raise SourceFileError(f"{name} : le fichier est vide.")
    try:
        frame = _read_vector(data)
    except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError / GEOSException
        raise SourceFileError(f"{name} : fichier géographique illisible (GeoJSON, GeoPackage ou Shapefile zippé attendu).") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise GeometryError(f"{name} : aucune géométrie dans le fichier.")
    _refuse_non_finite(frame, name)
    warnings: list[str] = []
    frame = frame.to_crs(4326) if frame.crs is not None and not frame.crs.equals("EPSG:4326") and frame.crs.to_epsg() != 4326 \
        else _guess_crs(frame, name, warnings)
    geoms = frame.geometry
    invalid_mask = geoms.notna() & ~geoms.is_valid
    invalid = int(invalid_mask.sum())
    fix = geoms.isna() | invalid_mask | ~geoms.geom_type.isin(["Polygon", "MultiPolygon"]) | geoms.is_empty
    frame.loc[fix, "geometry"] = gpd.GeoSeries([polygonal(g) for g in geoms[fix]], index=geoms[fix].index, crs=frame.crs)
    dropped = int(frame.geometry.isna().sum())
    frame = frame[frame.geometry.notna()].copy()
    if invalid:
        warnings.append(f"{name} : {count(invalid, 'polygone invalide', 'polygones invalides')} (auto-intersection…) "
                        f"{plural(invalid, 'réparé', 'réparés')}.")
    if dropped:
        warnings.append(f"{name} : {count(dropped, 'entité', 'entités')} sans surface (points, lignes, vides) "
                        f"{plural(dropped, 'ignorée', 'ignorées')}.")
    if frame.empty:
        raise GeometryError(f"{name} : aucun polygone utilisable dans le fichier.")
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.to_numpy()), crs=4326)
    return frame, warnings
