"""Geometry helpers shared by the reference build and the territory: CRS per zone, repair.

Lambert-93 distorts overseas areas (Réunion would be 3.5 times too large), so each DROM uses
its own projected CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["ZONE_CRS", "zone_of", "areas_km2", "polygonal", "FRANCE_BOUNDS"]

# INSEE code prefix -> projected CRS (EPSG): metropolitan France and each DROM
ZONE_CRS: dict[str, int] = {"metro": 2154, "971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}
# lon/lat box enclosing metropolitan France and the five DROM (for sanity checks)
FRANCE_BOUNDS = {"metro": (-5.5, 41.2, 10.0, 51.2), "971": (-61.9, 15.8, -60.9, 16.6), "972": (-61.3, 14.3, -60.7, 14.95),
                 "973": (-54.7, 2.0, -51.5, 5.9), "974": (55.1, -21.5, 55.9, -20.8), "976": (44.9, -13.1, 45.4, -12.5)}


def zone_of(codes: pd.Series) -> pd.Series:
    """Zone key (``metro`` or a DROM prefix) of each commune code."""
    prefix = codes.astype(str).str[:3]
    return prefix.where(prefix.isin(list(ZONE_CRS)), "metro")


def areas_km2(geoms: gpd.GeoSeries, zones: pd.Series) -> pd.Series:
    """Area of each geometry in km², measured in the projected CRS of its zone."""
    out = pd.Series(np.nan, index=geoms.index, dtype="float64")
    for zone, idx in zones.groupby(zones).groups.items():
        part = geoms.loc[idx]
        out.loc[idx] = part.to_crs(ZONE_CRS[zone]).area.to_numpy() / 1e6
    return out


def polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """A valid (Multi)Polygon from any geometry: repairs bow-ties, keeps only polygonal parts."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon | shapely.MultiPolygon) and not g.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return merged if not merged.is_empty else None
