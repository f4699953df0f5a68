"""Static maps of the dossier (matplotlib + geopandas, PNG) drawn from the real commune geometries.

The territory is projected once in the CRS of its zone (Lambert-93, or the DROM's own) and
simplified to about a pixel of the printed map; EPCI outlines are the reference's own for whole
EPCI and the union of the member communes for EPCI cut by the territory. Place names: EPCI
parts and the most populated communes, with a white halo so they stay readable on any fill.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path

from ..diagnostic import NO_EPCI, Diagnostic
from ..geometry import ZONE_CRS, zone_of
from ..indicators import DENSITY_LEVELS
from ..mapping import DENSITY_COLORS, MISSING_COLOR
from ..reference import Reference
from ._figure import Figure, new_figure, plotting, to_figure

__all__ = ["MapBase", "map_base", "polygon_paths", "territory_map", "density_map", "actors_map", "MAX_EPCI_LABELS", "MAX_COMMUNE_LABELS"]

MAX_EPCI_LABELS = 10
MAX_COMMUNE_LABELS = 8
_HALO = [patheffects.withStroke(linewidth=2.6, foreground="white")]
_INVOLVEMENT_COLORS = {"noyau dur": "#b2182b", "cellule de pilotage": "#ef8a62", "groupe thématique": "#2166ac",
                       "groupe projet": "#67a9cf", "non impliqué": "#636363"}
_SIZE_CM = (17.0, 14.0)
_PIXELS = 1000


def polygon_paths(geoms: np.ndarray) -> list[Path]:
    """One matplotlib ``Path`` per (multi)polygon, holes included, built from shapely's ragged arrays.

    geopandas' ``plot`` makes a Patch per polygon (about 5 ms each): a région's 4,000 communes took
    seconds per map. Rings are oriented (exterior counter-clockwise, holes clockwise) so the
    non-zero fill rule leaves holes empty.
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    paths = [Path(np.zeros((0, 2)))] * len(geoms)
    if empty.all():
        return paths
    _, coords, offsets = shapely.to_ragged_array(shapely.orient_polygons(geoms[~empty]))
    ring_off = offsets[0]
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    codes[ring_off[:-1]] = Path.MOVETO
    codes[ring_off[1:] - 1] = Path.CLOSEPOLY
    first_ring = offsets[1] if len(offsets) == 2 else offsets[1][offsets[2]]  # Polygon, or MultiPolygon (parts of each)
    starts = ring_off[first_ring]
    for i, a, b in zip(np.flatnonzero(~empty), starts[:-1], starts[1:], strict=True):
        paths[i] = Path(coords[a:b], codes[a:b])
    return paths


def _draw(ax, geoms: gpd.GeoSeries, facecolor, edgecolor, linewidth: float, zorder: float = 1) -> None:
    ax.add_collection(PathCollection(polygon_paths(geoms.to_numpy()), facecolors=facecolor, edgecolors=edgecolor,
                                     linewidths=linewidth, zorder=zorder))


@dataclass
class MapBase:
    """The territory ready to draw: projected, simplified communes and EPCI parts, and the extent."""

    crs: int
    communes: gpd.GeoDataFrame  # nom, population, code_epci, geometry (projected, simplified)
    epci: gpd.GeoDataFrame  # nom, population, geometry of each EPCI part
    outline: shapely.Geometry
    bounds: tuple[float, float, float, float]


def map_base(ref: Reference, diag: Diagnostic) -> MapBase:
    """Project and simplify the territory once for all the maps of one dossier."""
    src = diag.territory.communes
    zones = zone_of(pd.Series(src.index, index=src.index))
    crs = ZONE_CRS[zones.mode().iloc[0]]
    communes = gpd.GeoDataFrame(src[["nom", "population", "code_epci"]].copy(), geometry=src.geometry, crs=src.crs).to_crs(crs)
    minx, miny, maxx, maxy = communes.total_bounds
    tolerance = max(maxx - minx, maxy - miny) / _PIXELS
    communes["geometry"] = shapely.simplify(communes.geometry.to_numpy(), tolerance, preserve_topology=True)
    parts = diag.epci[diag.epci.index != NO_EPCI]
    whole = [c for c in parts.index[~parts["partiel"].to_numpy(dtype=bool)] if c in ref.epci.index]
    geoms = dict(zip(whole, shapely.simplify(ref.epci.loc[whole].to_crs(crs).geometry.to_numpy(), tolerance), strict=True))
    for code in parts.index:
        if code not in geoms:
            geoms[code] = shapely.union_all(communes.geometry[communes["code_epci"] == code].to_numpy())
    epci = gpd.GeoDataFrame({"nom": parts["nom"].astype(str), "population": parts["population_dans_territoire"]},
                            geometry=[geoms[c] for c in parts.index], index=parts.index, crs=crs)
    outline = shapely.union_all(epci.geometry.to_numpy()) if len(epci) else shapely.union_all(communes.geometry.to_numpy())
    if src["code_epci"].isna().any():
        outline = shapely.union_all([outline, *communes.geometry[communes["code_epci"].isna()].to_numpy()])
    return MapBase(crs, communes, epci, outline, tuple(communes.total_bounds))


def _axes(base: MapBase):
    fig = new_figure(*_SIZE_CM)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    minx, miny, maxx, maxy = base.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    return fig, ax


def _outlines(ax, base: MapBase, fill: list[str] | str = "#f2f0e6") -> None:
    """Communes (filled), EPCI parts and the territory's outline, in one collection each."""
    _draw(ax, base.communes.geometry, fill, "#8c8c8c", 0.25)
    _draw(ax, base.epci.geometry, "none", "#252525", 1.0, 2)
    _draw(ax, gpd.GeoSeries([base.outline]), "none", "#b35806", 2.0, 3)


def _scale_bar(ax, base: MapBase) -> None:
    minx, miny, maxx, _ = base.bounds
    span = (maxx - minx) / 5
    km = max(1, int(round(span / 1000, -1) or round(span / 1000)))
    x0, y0 = minx, miny - 0.02 * (maxx - minx)
    ax.plot([x0, x0 + km * 1000], [y0, y0], color="#1a1a1a", linewidth=2)
    ax.annotate(f"{km} km", (x0 + km * 500, y0), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)


def _main_communes(base: MapBase) -> gpd.GeoDataFrame:
    return base.communes.dropna(subset=["population"]).nlargest(MAX_COMMUNE_LABELS, "population")


def _labels(ax, base: MapBase) -> list[str]:
    """EPCI names (largest parts) in bold, main communes as dots with names; returns the names written."""
    written = []
    minx, miny, maxx, maxy = base.bounds
    span = max(maxx - minx, maxy - miny)
    taken: list[tuple[float, float]] = []  # EPCI names are long: one closer than this to a written one is left out
    for code, row in base.epci.nlargest(MAX_EPCI_LABELS, "population").iterrows():
        if row.geometry is None or row.geometry.is_empty or code == NO_EPCI:
            continue
        point = row.geometry.representative_point()
        if any(abs(point.x - x) < 0.2 * span and abs(point.y - y) < 0.04 * span for x, y in taken):
            continue
        taken.append((point.x, point.y))
        ax.annotate(row["nom"], (point.x, point.y), ha="center", va="center", fontsize=7.5, fontweight="bold", color="#252525",
                    path_effects=_HALO, wrap=True)
        written.append(row["nom"])
    gap = 0.06 * span  # two town names closer than this would overlap: the smaller is left out
    placed: list[tuple[float, float]] = list(taken)  # nor on an EPCI name
    for _, row in _main_communes(base).iterrows():
        point = row.geometry.representative_point()
        if any(abs(point.x - x) < gap and abs(point.y - y) < gap / 2 for x, y in placed):
            continue
        placed.append((point.x, point.y))
        ax.plot(point.x, point.y, "o", color="#1a1a1a", markersize=3)
        ax.annotate(row["nom"], (point.x, point.y), xytext=(4, 3), textcoords="offset points", fontsize=7, color="#1a1a1a",
                    path_effects=_HALO)
        written.append(row["nom"])
    return written


def territory_map(base: MapBase, name: str) -> Figure:
    """Title-page map: member communes, EPCI parts, the territory's outline, EPCI and main commune names."""
    with plotting():
        fig, ax = _axes(base)
        _outlines(ax, base)
        _labels(ax, base)
        _scale_bar(ax, base)
        epci = ", ".join(base.epci.nlargest(MAX_EPCI_LABELS, "population")["nom"])
        towns = ", ".join(_main_communes(base)["nom"])
        alt = (f"Carte du territoire {name} : {len(base.communes)} communes dans {len(base.epci)} EPCI ({epci}"
               f"{' et autres' if len(base.epci) > MAX_EPCI_LABELS else ''}). Principales communes : {towns}.")
        return to_figure(fig, alt, "Contour du territoire en orange, EPCI en noir, communes en gris.", fmt="png")


def density_map(base: MapBase, levels: pd.Series) -> Figure:
    """Communes coloured by their level of INSEE's density grid (dark = dense)."""
    level = levels.reindex(base.communes.index)
    colors = [DENSITY_COLORS.get(int(v), MISSING_COLOR) if pd.notna(v) else MISSING_COLOR for v in level]
    with plotting():
        fig, ax = _axes(base)
        _outlines(ax, base, colors)
        _labels(ax, base)
        present = sorted({int(v) for v in level.dropna()})
        handles = [Patch(facecolor=DENSITY_COLORS[c], edgecolor="#8c8c8c", label=f"{c}. {DENSITY_LEVELS[c]}") for c in present]
        if level.isna().any():
            handles.append(Patch(facecolor=MISSING_COLOR, edgecolor="#8c8c8c", label="niveau inconnu"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7, title="Grille de densité (INSEE)", title_fontsize=7.5,
                   frameon=False)
        counts = level.value_counts()
        alt = ("Carte des communes par niveau de densité : "
               + " ; ".join(f"{DENSITY_LEVELS[c]} {int(counts.get(c, 0))} commune(s)" for c in present) + ".")
        return to_figure(fig, alt, fmt="png")


def actors_map(base: MapBase, actors: gpd.GeoDataFrame) -> Figure:
    """Actors as points coloured by their involvement in the PTCE, over the territory."""
    points = actors.dropna(subset=["geometry"])
    points = points[~points.geometry.is_empty].to_crs(base.crs)
    involvement = (points["implication"] if "implication" in points else pd.Series(None, index=points.index, dtype=object))
    involvement = involvement.fillna("non renseigné").astype(str)
    with plotting():
        fig, ax = _axes(base)
        _outlines(ax, base)
        _labels(ax, base)
        handles = []
        for level in [*_INVOLVEMENT_COLORS, *sorted(set(involvement) - set(_INVOLVEMENT_COLORS))]:
            mask = (involvement == level).to_numpy()
            if not mask.any():
                continue
            color = _INVOLVEMENT_COLORS.get(level, "#984ea3")
            xy = np.column_stack([points.geometry.x.to_numpy()[mask], points.geometry.y.to_numpy()[mask]])
            ax.scatter(xy[:, 0], xy[:, 1], s=22, color=color, edgecolor="white", linewidth=0.6, zorder=5)
            handles.append(Line2D([], [], marker="o", linestyle="", color=color, label=f"{level} ({int(mask.sum())})"))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7, title="Implication dans le PTCE",
                       title_fontsize=7.5, frameon=False)
        counts = involvement.value_counts()
        alt = (f"Carte des {len(points)} acteurs placés, par niveau d'implication : "
               + " ; ".join(f"{k} {int(v)}" for k, v in counts.items()) + ".")
        return to_figure(fig, alt, "Les acteurs hors du cadre de la carte ne sont pas dessinés ; voir la liste hors territoire.", fmt="png")
