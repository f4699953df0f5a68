"""Commune spatial index and polygon selection: exact area shares, measured in each zone's projected CRS.

A commune's share is ``area(commune ∩ polygon) / area(commune)`` with both shapes projected into
its zone's CRS (``geometry.ZONE_CRS``: Lambert-93, or the DROM's own), exactly what a plain
geopandas ``to_crs`` + ``intersection`` gives. Speed comes from doing that work on few communes:
the communes are projected once per reference (lazily, per zone), an STRtree per zone gives the
candidates whose box meets the polygon, the prepared polygon's ``covers`` takes wholly-inside
communes at 1 without any overlay, and only the communes the outline crosses are intersected
(vectorised; a long outline is first cut into exact pieces, see ``_areas_inside``). The polygon is
never pre-clipped with ``clip_by_rect``, whose output can be invalid and whose overlay then gives
a wrong area without raising (an EPCI's own outline used to select neighbours at « 77 % »). A
polygon reaching more than 0.5° beyond a zone's communes is first cut to that box (in lon/lat).

Tolerance: a share within ``SHARE_TOLERANCE`` (0.01 % of the commune's area, 1,000 m² for a
10 km² commune) of 1 counts as exactly 1 (wholly inside), and within it of 0 as 0 (touching
only). Commune outlines are simplified and stored to 1e-5° (≈ 1 m): the dissolved EPCI outlines
of ../shared/data leave up to 0.0042 % of a member commune outside (measured over all France:
35 communes above 1e-9, 5 above 1e-5, none above 1e-4). Under the 0.1 point a share is shown
with, and far under what the boundaries can tell, so a polygon traced on communes' own outlines
selects exactly them at 100 %, and their neighbours not at all.
Results are integer row positions in ``Reference.communes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .geometry import ZONE_CRS, polygonal, zone_of

__all__ = ["CommuneIndex", "commune_index", "snap_shares", "SHARE_TOLERANCE"]

SHARE_TOLERANCE = 1e-4
_KEY = "commune_index"
_LEAF_VERTICES = 200  # vertices of a polygon piece in one overlay (see _areas_inside)
_MAX_DEPTH = 16
_MARGIN_DEG = 0.5  # lon/lat margin around a zone's communes: a polygon is projected into its CRS only within it


def _pipeline(epsg: int) -> pyproj.Transformer:
    """EPSG:4326 (lon, lat) -> ``epsg``, as the PROJ pipeline ``from_crs`` chooses, rebuilt from that pipeline's text.

    pyproj keeps one PROJ object per thread and Streamlit runs each rerun in a new thread: rebuilt from the CRS codes
    (a look-up in PROJ's database) it costs ~10 ms on every drawing, from the pipeline text ~0.2 ms, for the same
    coordinates bit for bit (tests/test_polygon_shares.py).
    """
    return pyproj.Transformer.from_pipeline(pyproj.Transformer.from_crs(4326, epsg, always_xy=True).definition)


_TRANSFORMERS = {zone: _pipeline(epsg) for zone, epsg in ZONE_CRS.items()}


def _project(geoms, zone: str):
    tr = _TRANSFORMERS[zone]
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def snap_shares(shares: np.ndarray) -> np.ndarray:
    """Shares within ``SHARE_TOLERANCE`` of 1 become 1, within it of 0 become 0 (floating error of the overlay)."""
    shares = np.clip(np.asarray(shares, dtype="float64"), 0.0, 1.0)
    return np.where(shares >= 1.0 - SHARE_TOLERANCE, 1.0, np.where(shares <= SHARE_TOLERANCE, 0.0, shares))


def _areas_inside(geoms: np.ndarray, polygon: shapely.Geometry) -> np.ndarray:
    """Area of each geometry inside ``polygon``, exactly, with each overlay seeing only a small piece of the polygon.

    An overlay costs time in proportion to both inputs' vertices, and a région's outline has
    thousands. So the polygon is cut once by a quadtree over the communes' extent into pieces of
    at most ``_LEAF_VERTICES`` vertices (each an exact ``intersection`` with a quadrant: valid);
    quadrants partition the plane, so a commune's area inside is the sum over the pieces it meets.
    """
    if shapely.get_num_coordinates(polygon) <= 4 * _LEAF_VERTICES:
        return shapely.area(shapely.intersection(geoms, polygon))
    boxes = shapely.STRtree(shapely.box(*shapely.bounds(geoms).T))
    leaves, todo = [], [(tuple(shapely.total_bounds(geoms)), polygon, 0)]
    while todo:
        (x0, y0, x1, y1), piece, depth = todo.pop()
        if shapely.get_num_coordinates(piece) <= _LEAF_VERTICES or depth >= _MAX_DEPTH:
            leaves.append(piece)
            continue
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        quads = [(x0, y0, mx, my), (mx, y0, x1, my), (x0, my, mx, y1), (mx, my, x1, y1)]
        quads = [q for q in quads if len(boxes.query(shapely.box(*q)))]
        pieces = shapely.intersection(piece, shapely.box(*np.array(quads).T))
        todo += [(q, p, depth + 1) for q, p in zip(quads, pieces, strict=True) if not p.is_empty]
    if not leaves:
        return np.zeros(len(geoms))
    leaves = np.array(leaves, dtype=object)
    which, leaf = shapely.STRtree(leaves).query(geoms)
    return np.bincount(which, weights=shapely.area(shapely.intersection(geoms[which], leaves[leaf])), minlength=len(geoms))


@dataclass(frozen=True)
class _Zone:
    """The communes of one zone projected into its CRS: positions in the index, shapes, areas, tree, lon/lat box."""

    name: str
    positions: np.ndarray
    geoms: np.ndarray
    areas: np.ndarray
    tree: shapely.STRtree
    bounds: tuple[float, float, float, float]

    def shares(self, polygon: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
        """(positions, exact share) of this zone's communes that ``polygon`` (EPSG:4326, valid) overlaps."""
        minx, miny, maxx, maxy = self.bounds
        pminx, pminy, pmaxx, pmaxy = polygon.bounds
        if pminx > maxx + _MARGIN_DEG or pmaxx < minx - _MARGIN_DEG or pminy > maxy + _MARGIN_DEG or pmaxy < miny - _MARGIN_DEG:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        near = (minx - _MARGIN_DEG, miny - _MARGIN_DEG, maxx + _MARGIN_DEG, maxy + _MARGIN_DEG)
        if pminx < near[0] or pminy < near[1] or pmaxx > near[2] or pmaxy > near[3]:
            # reaching far beyond the zone (a continent-wide rectangle): only its part near the zone is projected, or its
            # 3,000 km edges would become chords that miss the zone entirely
            polygon = shapely.intersection(polygon, shapely.box(*near))
        projected = _project(polygon, self.name)
        if not projected.is_valid:  # projecting can fold rings that nearly touch
            projected = polygonal(projected)
            if projected is None:
                return np.zeros(0, dtype=np.int64), np.zeros(0)
        shapely.prepare(projected)
        hits = self.tree.query(projected, predicate="intersects")
        inside = shapely.covers(projected, self.geoms[hits])
        edge = hits[~inside]
        whole = self.areas[edge]
        cut = np.divide(_areas_inside(self.geoms[edge], projected), whole, out=np.zeros(len(edge)), where=whole > 0)
        found = np.concatenate([hits[inside], edge])
        shares = snap_shares(np.concatenate([np.ones(int(inside.sum())), cut]))
        keep = shares > 0.0
        return self.positions[found[keep]], shares[keep]


class CommuneIndex:
    """The communes that have a geometry, their zones and row positions by EPCI (built once per reference)."""

    def __init__(self, communes: gpd.GeoDataFrame) -> None:
        present = communes.geometry.notna().to_numpy() & ~communes.geometry.is_empty.to_numpy()
        self.rows = np.flatnonzero(present)
        self.geoms = communes.geometry.to_numpy()[present]
        self.zones = zone_of(communes.index.to_series()).to_numpy(dtype=object)[present]
        self.by_epci = {code: np.asarray(rows) for code, rows in communes.groupby("code_epci", sort=False).indices.items()}
        self.size = len(communes)

    @cached_property
    def _projected(self) -> list[_Zone]:
        """Every zone's communes in its projected CRS (≈0.5 s for all France, on the first polygon)."""
        out = []
        for name in ZONE_CRS:
            positions = np.flatnonzero(self.zones == name)
            if not len(positions):
                continue
            geoms = _project(self.geoms[positions], name)
            bad = ~shapely.is_valid(geoms)
            geoms[bad] = [polygonal(g) for g in geoms[bad]]
            bounds = tuple(float(v) for v in shapely.total_bounds(self.geoms[positions]))
            out.append(_Zone(name, positions, geoms, shapely.area(geoms), shapely.STRtree(geoms), bounds))
        return out

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
        """(row positions, share in (0, 1]) of the communes ``polygon`` (EPSG:4326, valid) overlaps, exact per zone."""
        parts = [zone.shares(polygon) for zone in self._projected]
        positions = np.concatenate([p for p, _ in parts])
        return self.rows[positions], np.concatenate([s for _, s in parts])


def commune_index(ref) -> CommuneIndex:
    """The reference's commune index, built on first use and kept on the reference."""
    return ref.derived(_KEY, lambda: CommuneIndex(ref.communes))


def _hull_diameter_km(coords: np.ndarray) -> float:
    """Largest great-circle distance between points (lon, lat), taken between the vertices of their convex hull."""
    hull = shapely.get_coordinates(shapely.convex_hull(shapely.multipoints(coords)))
    lon, lat = np.radians(hull[:, 0]), np.radians(hull[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))).max())
