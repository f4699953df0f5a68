"""Display layers: geometries simplified for drawing, never for computing.

The France-wide EPCI map would weigh 11.6 MB of GeoJSON with the reference contours. A
coverage-aware simplification (neighbours keep a shared edge: no gaps, no slivers) at 500 m,
done in each zone's projected CRS, then coordinates snapped to 1e-4° (~10 m), brings it to about
2 MB. It is computed once when the cache is built (``epci_display.parquet`` beside ``epci.parquet``, with each
EPCI's label point, and ``epci_layer.json``, the outlines file the browser fetches) and recomputed in memory
(~0.6 s) for a cache built before those files existed.

Areas, shares and every figure keep using the full reference geometries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from .cache import data_dir
from .geometry import ZONE_CRS, polygonal, zone_of

if TYPE_CHECKING:  # reference.py imports build.py, which imports this module
    from .reference import Reference

__all__ = [
    "EPCI_TOLERANCE_M",
    "PRECISION_DEG",
    "DisplayLayer",
    "simplify_coverage",
    "epci_display",
    "epci_display_path",
    "load_epci_display",
    "outlines",
]

EPCI_TOLERANCE_M = 500.0
PRECISION_DEG = 1e-4  # ~11 m at the equator: below a pixel at the zoom levels where 500 m simplification shows
_FILE = "epci_display.parquet"


@dataclass
class DisplayLayer:
    """Simplified polygons (EPSG:4326) with their names, and each geometry already as GeoJSON text.

    Keeping the GeoJSON text avoids re-serialising ~110,000 vertices on every Streamlit rerun: a
    map is then assembled by joining strings.
    """

    frame: gpd.GeoDataFrame  # index: code; columns: nom, geometry
    geojson: pd.Series | None = field(default=None, repr=False)  # computed from ``frame`` when not given

    def __post_init__(self) -> None:
        if self.geojson is None:
            geoms = self.frame.geometry.to_numpy()
            self.geojson = pd.Series(shapely.to_geojson(geoms), index=self.frame.index, dtype="object")

    def __len__(self) -> int:
        return len(self.frame)

    def subset(self, codes: list[str] | pd.Index) -> DisplayLayer:
        """The rows of ``codes`` that exist, in the given order (unknown codes are skipped)."""
        known = pd.Index([c for c in codes if c in self.frame.index], dtype=self.frame.index.dtype)  # same dtype: 10x faster
        return DisplayLayer(self.frame.loc[known], self.geojson.loc[known])  # the text already made, not made again


def simplify_coverage(geoms: gpd.GeoSeries, zones: pd.Series, tolerance_m: float, precision: float = PRECISION_DEG) -> gpd.GeoSeries:
    """Simplify polygons that tile a territory without opening gaps between neighbours.

    Each zone (metropolitan France, each DROM) is simplified in its own projected CRS so that
    ``tolerance_m`` means metres everywhere. Missing or empty geometries stay missing.
    """
    if geoms.crs is None or geoms.crs.to_epsg() != 4326:
        raise ValueError(f"simplify_coverage attend des géométries en EPSG:4326, reçu : {geoms.crs}")
    out = gpd.GeoSeries([None] * len(geoms), index=geoms.index, crs=4326)
    present = geoms.notna() & ~geoms.is_empty
    for zone, idx in zones[present].groupby(zones[present]).groups.items():
        projected = geoms.loc[idx].to_crs(ZONE_CRS[zone]).to_numpy()
        invalid = ~shapely.is_valid(projected)
        projected[invalid] = [polygonal(g) for g in projected[invalid]]  # GEOS refuses a self-intersecting input
        try:
            simple = shapely.coverage_simplify(projected, tolerance_m)
        except shapely.errors.GEOSException:  # not a usable coverage: simplify each polygon on its own
            simple = shapely.simplify(projected, tolerance_m, preserve_topology=True)
        rounded = shapely.set_precision(gpd.GeoSeries(simple, index=idx, crs=ZONE_CRS[zone]).to_crs(4326).to_numpy(), precision)
        out.loc[idx] = rounded
    return out


def epci_display(epci: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, tolerance_m: float = EPCI_TOLERANCE_M) -> gpd.GeoDataFrame:
    """EPCI polygons simplified for a France-wide map (index ``code_epci``, columns ``nom``, ``geometry``)."""
    zones = zone_of(communes.index.to_series()).groupby(communes["code_epci"]).first()
    zones = zones.reindex(epci.index).fillna("metro")
    geoms = simplify_coverage(epci.geometry, zones, tolerance_m)
    frame = gpd.GeoDataFrame({"nom": epci["nom"].astype(str)}, geometry=geoms, crs=4326)
    frame.index.name = "code_epci"
    return frame[frame.geometry.notna()]


def epci_display_path(root: Path, generation: str) -> Path:
    return root / "epci" / generation / _FILE




def load_epci_display(ref: Reference, root: Path | str | None = None) -> DisplayLayer:
    """The EPCI display layer of ``ref``'s cache generation (computed in memory if the cache predates it)."""
    path = epci_display_path(data_dir(root), ref.manifest.get("generation", ""))
    if path.exists():
        frame = gpd.read_parquet(path)
        if frame.index.isin(ref.epci.index).all():
            return DisplayLayer(frame)
    return DisplayLayer(epci_display(ref.epci, ref.communes))


def outlines(geoms: gpd.GeoSeries, tolerance_m: float = 30.0, precision: float = 1e-5) -> gpd.GeoSeries:
    """Lightly simplified copies of a few geometries (a territory's communes) for drawing.

    Cheap enough per request for a few hundred communes; the topology between neighbours is not
    preserved (outlines are drawn without fill, so a 30 m mismatch is invisible).
    """
    geoms = geoms[geoms.notna()]
    if geoms.empty:
        return geoms
    zones = zone_of(geoms.index.to_series().astype(str))
    out = gpd.GeoSeries([None] * len(geoms), index=geoms.index, crs=4326)
    for zone, idx in zones.groupby(zones).groups.items():
        projected = geoms.loc[idx].to_crs(ZONE_CRS[zone])
        simple = gpd.GeoSeries(projected.simplify(tolerance_m, preserve_topology=True), index=idx, crs=ZONE_CRS[zone])
        out.loc[idx] = shapely.set_precision(simple.to_crs(4326).to_numpy(), precision)
    return out
