"""Commune spatial index and polygon selection: STRtree, cheap rejection, exact work only at the edge.

Communes the polygon covers are taken whole without any overlay; only those it crosses are
intersected (with the polygon first clipped to their bounding box), and their share of area is
measured in the projected CRS of their zone (``geometry.ZONE_CRS``). Results are integer row
positions in ``Reference.communes``: string-index lookups cost more than the geometry here.
"""

from __future__ import annotations

from functools import cached_property

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.errors import GEOSException

from .geometry import ZONE_CRS, zone_of

__all__ = ["CommuneIndex", "commune_index", "projected_areas"]

_KEY = "commune_index"
_TRANSFORMERS = {zone: pyproj.Transformer.from_crs(4326, epsg, always_xy=True) for zone, epsg in ZONE_CRS.items()}


def projected_areas(geoms: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Area (m²) of each EPSG:4326 geometry in the projected CRS of its zone."""
    out = np.zeros(len(geoms), dtype="float64")
    for zone in np.unique(zones):
        rows = zones == zone
        tr = _TRANSFORMERS[zone]
        out[rows] = shapely.area(shapely.transform(geoms[rows], lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))))
    return out


class CommuneIndex:
    """STRtree over the communes that have a geometry, and row positions by EPCI (built once per reference)."""

    def __init__(self, communes: gpd.GeoDataFrame) -> None:
        present = communes.geometry.notna().to_numpy() & ~communes.geometry.is_empty.to_numpy()
        self.rows = np.flatnonzero(present)
        self.geoms = communes.geometry.to_numpy()[present]
        self.zones = zone_of(communes.index.to_series()).to_numpy(dtype=object)[present]
        self.tree = shapely.STRtree(self.geoms)
        self.by_epci = {code: np.asarray(rows) for code, rows in communes.groupby("code_epci", sort=False).indices.items()}
        self.size = len(communes)

    @cached_property
    def _hulls(self) -> tuple[np.ndarray, np.ndarray]:
        """Convex hull vertices of every commune, flat, and where each row position's vertices start (built on first use)."""
        coords, owner = shapely.get_coordinates(shapely.convex_hull(self.geoms), return_index=True)
        start = np.zeros(self.size + 1, dtype=np.int64)
        np.add.at(start, self.rows[owner] + 1, 1)
        return coords, np.cumsum(start)

    def diameter_km(self, rows: np.ndarray) -> float:
        """Largest great-circle distance across the communes at ``rows`` (positions in ``Reference.communes``)."""
        coords, start = self._hulls
        rows = np.asarray(rows)
        first, lengths = start[rows], start[rows + 1] - start[rows]
        if lengths.sum() < 2:
            return 0.0
        take = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return _hull_diameter_km(coords[take])

    def shares(self, polygon: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
        """(row positions, share 0-1] of area inside ``polygon`` (EPSG:4326, valid) of the communes it overlaps."""
        shapely.prepare(polygon)
        hits = self.tree.query(polygon, predicate="intersects")
        covered = self.tree.query(polygon, predicate="covers")
        edge = np.setdiff1d(hits, covered, assume_unique=True)
        shares = np.concatenate([np.ones(len(covered)), self._edge_shares(polygon, edge)])
        found = np.concatenate([covered, edge])
        keep = shares > 0.0
        return self.rows[found[keep]], shares[keep]

    def _edge_shares(self, polygon: shapely.Geometry, edge: np.ndarray) -> np.ndarray:
        if not len(edge):
            return np.zeros(0)
        geoms = self.geoms[edge]
        # the polygon clipped to each commune's box: the overlay then only nodes the nearby segments
        clipped = np.array([shapely.clip_by_rect(polygon, *box) for box in shapely.bounds(geoms)], dtype=object)
        try:
            pieces = shapely.intersection(geoms, clipped)
        except GEOSException:  # a clipped piece can be invalid: redo exactly against the whole polygon
            pieces = shapely.intersection(geoms, polygon)
        zones = np.concatenate([self.zones[edge], self.zones[edge]])
        areas = projected_areas(np.concatenate([pieces, geoms]), zones)
        inside, whole = areas[: len(edge)], areas[len(edge):]
        return np.clip(np.divide(inside, whole, out=np.zeros(len(edge)), where=whole > 0), 0.0, 1.0)


def commune_index(ref) -> CommuneIndex:
    """The reference's commune index, built on first use and kept on the reference."""
    index = ref._derived.get(_KEY)
    if index is None:
        index = ref._derived[_KEY] = CommuneIndex(ref.communes)
    return index


def _hull_diameter_km(coords: np.ndarray) -> float:
    """Largest great-circle distance between points (lon, lat), taken between the vertices of their convex hull."""
    hull = shapely.get_coordinates(shapely.convex_hull(shapely.multipoints(coords)))
    lon, lat = np.radians(hull[:, 0]), np.radians(hull[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))).max())
