"""The candidate territory: EPCI, communes and a drawn polygon combined into whole member communes.

A polygon selects a commune when at least ``min_share`` of its area (measured in the projected
CRS of its zone) lies inside; communes cut by the edge are listed with their share so the user
can decide. The definition is a plain, JSON-serialisable value: the UI keeps it in the URL and
projects save it; ``build_territory`` turns it into communes against one reference geography.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.geometry
from shapely.errors import GEOSException

from ._jsonsafe import too_deep
from ._spatial import commune_index
from .codes import COMMUNE_RE, SIREN_RE, arrondissement_commune, normalize_commune_code, normalize_siren, split_codes
from .errors import CodeError, GeometryError, TerritoryError
from .fr_format import count, fr_percent
from .geometry import FRANCE_BOUNDS, polygonal
from .reference import Reference

__all__ = [
    "DEFAULT_MIN_SHARE",
    "MAX_GEOJSON_DEPTH",
    "EDGE_LISTING_MIN_SHARE",
    "TerritoryDefinition",
    "Territory",
    "build_territory",
    "polygon_from_file",
]

DEFAULT_MIN_SHARE = 0.5
# FeatureCollection > features > Feature > geometry > GeometryCollection > geometries > MultiPolygon > rings > points: 10
MAX_GEOJSON_DEPTH = 20
# cut communes with less than this share inside are slivers of the simplified boundaries: not listed
EDGE_LISTING_MIN_SHARE = 0.005
_DEFINITION_KEYS = {"version", "epci", "communes", "exclude", "polygon", "min_share"}
_GEOMETRY_TYPES = {"Polygon", "MultiPolygon", "GeometryCollection", "Point", "MultiPoint", "LineString", "MultiLineString"}
# Lambert-93 (EPSG:2154) extent of metropolitan France with a margin: metres given without a CRS
_L93 = (-400_000.0, 5_900_000.0, 1_400_000.0, 7_300_000.0)
_TO_WGS84 = pyproj.Transformer.from_crs(2154, 4326, always_xy=True)


def _geometry_mapping(value: object) -> dict | None:
    """A GeoJSON geometry mapping from a geometry, Feature or FeatureCollection mapping (or JSON text)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise GeometryError(f"Polygone : texte GeoJSON illisible ({exc.msg}, position {exc.pos}).") from exc
        except RecursionError:
            raise GeometryError(f"Polygone : GeoJSON imbriqué sur plus de {MAX_GEOJSON_DEPTH} niveaux : refusé.") from None
    if too_deep(value, MAX_GEOJSON_DEPTH):
        raise GeometryError(f"Polygone : GeoJSON imbriqué sur plus de {MAX_GEOJSON_DEPTH} niveaux : refusé.")
    return _mapping_of(value)


def _mapping_of(value: object) -> dict | None:
    if value is None:
        return None
    if hasattr(value, "__geo_interface__") and not isinstance(value, dict):
        value = value.__geo_interface__
    if not isinstance(value, dict):
        raise GeometryError(f"Polygone : géométrie GeoJSON attendue, reçu {type(value).__name__}.")
    kind = value.get("type")
    if kind == "Feature":
        return _mapping_of(value.get("geometry"))
    if kind == "FeatureCollection":
        parts = [_mapping_of(f) for f in value.get("features") or []]
        parts = [p for p in parts if p]
        if not parts:
            raise GeometryError("Polygone : la collection GeoJSON ne contient aucune géométrie.")
        return parts[0] if len(parts) == 1 else {"type": "GeometryCollection", "geometries": parts}
    if kind not in _GEOMETRY_TYPES:
        raise GeometryError(f"Polygone : type GeoJSON « {kind} » non reconnu (Polygon ou MultiPolygon attendu).")
    try:  # plain lists and floats: equal after a JSON round trip, storable in a URL or a project file
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise GeometryError(f"Polygone : géométrie non convertible en JSON ({exc}).") from exc


@dataclass(frozen=True)
class TerritoryDefinition:
    """How a territory is built: EPCI + communes + polygon, minus excluded communes.

    Codes are kept as the user typed them (normalised at build time, with warnings);
    ``polygon`` is a GeoJSON geometry in EPSG:4326 (a Feature or FeatureCollection is accepted).
    """

    epci: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    polygon: dict | None = None
    min_share: float = DEFAULT_MIN_SHARE

    def __post_init__(self) -> None:
        for name in ("epci", "communes", "exclude"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str | list | tuple | set | frozenset):
                raise TerritoryError(f"« {name} » : liste de codes attendue, reçu {type(value).__name__}.")
            object.__setattr__(self, name, tuple(split_codes(value)))
        object.__setattr__(self, "polygon", _geometry_mapping(self.polygon))
        share = self.min_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0.0 < float(share) <= 1.0:
            raise TerritoryError(f"Seuil de surface « min_share » : nombre entre 0 (exclu) et 1 attendu, reçu {share!r}.")
        object.__setattr__(self, "min_share", float(share))

    @property
    def is_empty(self) -> bool:
        return not (self.epci or self.communes or self.polygon)

    def to_dict(self) -> dict:
        return {"version": 1, "epci": list(self.epci), "communes": list(self.communes), "exclude": list(self.exclude),
                "polygon": self.polygon, "min_share": self.min_share}

    @classmethod
    def from_dict(cls, data: dict) -> TerritoryDefinition:
        if not isinstance(data, dict):
            raise TerritoryError(f"Définition de territoire : dictionnaire attendu, reçu {type(data).__name__}.")
        unknown = sorted(set(data) - _DEFINITION_KEYS)
        if unknown:
            raise TerritoryError(f"Définition de territoire : clés inconnues {', '.join(unknown)} "
                                 f"(attendues : {', '.join(sorted(_DEFINITION_KEYS))}).")
        if data.get("version", 1) != 1:
            raise TerritoryError(f"Définition de territoire : version {data['version']!r} non prise en charge (1 attendue).")
        return cls(epci=data.get("epci") or (), communes=data.get("communes") or (), exclude=data.get("exclude") or (),
                   polygon=data.get("polygon"), min_share=data.get("min_share", DEFAULT_MIN_SHARE))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> TerritoryDefinition:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TerritoryError(f"Définition de territoire : JSON illisible ({exc.msg}).") from exc
        return cls.from_dict(data)

    def describe(self) -> str:
        """One French sentence saying how the territory is built."""
        parts = []
        if self.epci:
            parts.append(f"EPCI {', '.join(self.epci)}")
        if self.communes:
            parts.append(f"communes {', '.join(self.communes)}")
        if self.polygon:
            parts.append(f"polygone (communes ayant au moins {self.min_share:.0%} de leur surface dedans)".replace("%", " %"))
        text = " + ".join(parts) or "aucune sélection"
        if self.exclude:
            text += f", moins les communes {', '.join(self.exclude)}"
        return text[0].upper() + text[1:] + "."


@dataclass
class Territory:
    """Whole member communes of a definition against one reference geography.

    ``communes`` (index ``code_commune``) carries ``part_surface`` (share of the commune's area in
    the polygon; 1 when selected by code) and ``selected_by`` (``epci``, ``commune``, ``polygone``,
    joined by ``+``). ``edge`` lists the communes the polygon cuts, in or out, with their share.
    """

    definition: TerritoryDefinition
    communes: gpd.GeoDataFrame
    edge: pd.DataFrame
    warnings: list[str]
    geography_vintage: str
    polygon: shapely.Geometry | None = field(default=None, repr=False)

    @cached_property
    def geometry(self) -> shapely.Geometry | None:
        """Union of the member communes (EPSG:4326), computed on first use (≈0.3 s for a région)."""
        geoms = self.communes.geometry.dropna().to_numpy()
        return shapely.union_all(geoms) if len(geoms) else None


def polygon_from_file(source, name: str | None = None) -> tuple[dict, list[str]]:
    """The polygon of a vector file (any declared CRS; undeclared Lambert-93 detected), all features united."""
    from .sources.geojson import read_polygons

    frame, warnings = read_polygons(source, name)
    geom = shapely.union_all(frame.geometry.to_numpy())
    if len(frame) > 1:
        warnings.append(f"{len(frame)} polygones du fichier réunis en un seul territoire.")
    return shapely.geometry.mapping(geom), warnings


def _polygon(mapping: dict) -> tuple[shapely.Geometry, list[str]]:
    """A valid (Multi)Polygon in EPSG:4326 from a GeoJSON geometry, with repair warnings."""
    try:
        geom = shapely.force_2d(shapely.geometry.shape(mapping))
    except (GEOSException, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise GeometryError(f"Polygone illisible ({type(exc).__name__} : {exc}) : géométrie GeoJSON attendue.") from exc
    if geom.is_empty:
        raise GeometryError("Polygone vide : dessinez ou chargez une surface.")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise GeometryError("Polygone : une coordonnée n'est pas un nombre (NaN) ou est infinie : contour refusé, corrigez le fichier.")
    warnings: list[str] = []
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        if not (_L93[0] <= minx and maxx <= _L93[2] and _L93[1] <= miny and maxy <= _L93[3]):
            raise GeometryError(f"Polygone : coordonnées ({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) ni en longitude/latitude "
                                "ni en Lambert-93 : déclarez le système de coordonnées dans le fichier.")
        geom = shapely.transform(geom, lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1])))
        warnings.append("Polygone sans système de coordonnées, en mètres : lu comme du Lambert-93 (EPSG:2154).")
    kinds = set(shapely.get_type_id(shapely.get_parts(geom)).tolist())
    if not geom.is_valid:
        warnings.append("Polygone invalide (contour qui se recoupe, « nœud papillon ») réparé : vérifiez le contour sur la carte.")
    repaired = polygonal(geom)
    if repaired is None:
        raise GeometryError(f"Aucune surface dans la géométrie fournie ({geom.geom_type}) : un polygone est attendu.")
    if kinds - {3, 6} and geom.geom_type != "Polygon":  # 3 Polygon, 6 MultiPolygon
        warnings.append("Parties non surfaciques (points, lignes) de la géométrie ignorées : seules les surfaces comptent.")
    return repaired, warnings


def _outside_message(geom: shapely.Geometry) -> str:
    c = geom.representative_point()
    msg = (f"Le polygone (autour de {c.x:.3f}, {c.y:.3f}) ne recouvre aucune commune : il est hors de France ou en mer.")
    minx, miny, maxx, maxy = FRANCE_BOUNDS["metro"]
    if minx <= c.y <= maxx and miny <= c.x <= maxy:
        msg += " Longitude et latitude semblent inversées."
    return msg


class _Codes:
    """Normalises the user's code lists against the reference, collecting every problem before failing."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self._passage = ref.derived("passage_by_old_code", lambda: ref.passage.set_index("code_ancien")["code_actuel"]
                                    if len(ref.passage) else pd.Series(dtype="str"))  # read only; once per reference, not per build

    def epci(self, raw_codes: tuple[str, ...]) -> list[str]:
        found = []
        vintage = _vintage(self.ref, "cog_epci")
        for raw in raw_codes:
            try:
                code = normalize_siren(raw)
            except CodeError as exc:
                self.problems.append(str(exc))
                continue
            if code in self.ref.epci.index:
                found.append(code)
            else:
                self.problems.append(f"EPCI inconnu : « {raw} » n'est pas dans la liste des EPCI de référence ({vintage}).")
        return list(dict.fromkeys(found))

    def communes(self, raw_codes: tuple[str, ...], role: str) -> list[str]:
        found = []
        index = self.ref.communes.index
        for raw in raw_codes:
            text = str(raw).strip()
            if SIREN_RE.match(text):
                self.problems.append(f"{role} : « {raw} » est un SIREN d'EPCI, pas un code commune INSEE : indiquez-le parmi les EPCI.")
                continue
            try:
                code = normalize_commune_code(raw)
            except CodeError as exc:
                self.problems.append(f"{role} : {exc}")
                continue
            if text.isdigit() and len(text) < 5:
                self.warnings.append(f"{role} : « {raw} » lu comme le code commune {code} (zéro initial restauré).")
            if code in index:
                found.append(code)
            elif code in self._passage.index and (new := self._passage[code]) in index:
                self.warnings.append(f"{role} : arrondissement municipal {code} rattaché à sa commune {new} ({self.ref.communes.at[new, 'nom']}) "
                                     "(les indicateurs INSEE de la commune portent sur tous ses arrondissements)."
                                     if arrondissement_commune(code) == new else
                                     f"{role} : ancien code commune {code} remplacé par {new} ({self.ref.communes.at[new, 'nom']}) "
                                     f"dans la géographie de référence ({self.ref.geography_vintage}).")
                found.append(new)
            else:
                hint = "" if COMMUNE_RE.match(code) is None or len(self._passage) else " (aucune table de passage des anciens codes chargée)"
                self.problems.append(f"{role} : code commune inconnu « {raw} » dans la géographie {self.ref.geography_vintage}{hint}.")
        return list(dict.fromkeys(found))


def _vintage(ref: Reference, dataset_id: str) -> str:
    return ref.dataset(dataset_id).get("millesime", "millésime inconnu")


def _empty_message(share: np.ndarray, codes: pd.Index, definition: TerritoryDefinition, excluded: int) -> str:
    msg = "Sélection vide : aucune commune dans le territoire."
    shares = pd.Series(share, index=codes).dropna()
    if len(shares):
        best = shares.sort_values(ascending=False).head(5)
        listed = ", ".join(f"{code} ({fr_percent(share)})" for code, share in best.items())
        msg += (f" Le polygone coupe {count(len(shares), 'commune', 'communes')}, aucune n'a au moins {fr_percent(definition.min_share)} "
                f"de sa surface dedans (les plus couvertes : {listed}) : abaissez le seuil ou agrandissez le polygone.")
    if excluded:
        msg += f" {count(excluded, 'commune retirée', 'communes retirées')} par la liste d'exclusion."
    if definition.is_empty:
        msg += " Indiquez des EPCI, des communes ou un polygone."
    return msg


def build_territory(ref: Reference, definition: TerritoryDefinition) -> Territory:
    """Member communes of ``definition`` in ``ref``'s geography; raises ``TerritoryError`` listing every bad input."""
    if not isinstance(ref, Reference):
        raise TypeError(f"build_territory : Reference attendue, reçu {type(ref).__name__}.")
    if not isinstance(definition, TerritoryDefinition):
        raise TypeError(f"build_territory : TerritoryDefinition attendue, reçu {type(definition).__name__}.")
    codes = _Codes(ref)
    epci = codes.epci(definition.epci)
    listed = codes.communes(definition.communes, "Communes")
    excluded = codes.communes(definition.exclude, "Communes exclues")
    warnings = list(codes.warnings)
    index = commune_index(ref)
    polygon, share = None, np.full(len(ref.communes), np.nan)
    if definition.polygon is not None:
        try:
            polygon, poly_warnings = _polygon(definition.polygon)
        except GeometryError as exc:
            codes.problems.append(str(exc))
        else:
            warnings += poly_warnings
            rows, values = index.shares(polygon)
            share[rows] = values
            if not len(rows):
                codes.problems.append(_outside_message(polygon))
    if codes.problems:
        raise TerritoryError("Territoire impossible à construire :\n- " + "\n- ".join(codes.problems))
    return _assemble(ref, definition, index, share, epci, listed, excluded, warnings, polygon)


def _mask(size: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask


def _assemble(ref: Reference, definition: TerritoryDefinition, index, share: np.ndarray, epci: list[str], listed: list[str],
              excluded: list[str], warnings: list[str], polygon: shapely.Geometry | None) -> Territory:
    communes = ref.communes
    size = len(communes)
    by = {
        "epci": _mask(size, np.concatenate([index.by_epci[c] for c in epci]) if epci else np.zeros(0, dtype=int)),
        "commune": _mask(size, communes.index.get_indexer(listed)),
        "polygone": share >= definition.min_share,  # NaN compares False
    }
    selected = by["epci"] | by["commune"] | by["polygone"]
    out = _mask(size, communes.index.get_indexer(excluded))
    if (out & ~selected).any():
        gone = communes.index[out & ~selected]
        warnings.append(f"Communes exclues qui ne faisaient pas partie du territoire : {', '.join(gone)}.")
    members = np.flatnonzero(selected & ~out)
    if not len(members):
        raise TerritoryError(_empty_message(share, communes.index, definition, int((out & selected).sum())))
    table = communes.take(members)
    labels = np.array(list(by))
    flags = np.column_stack([by[name][members] for name in labels])
    table["selected_by"] = ["+".join(labels[row]) for row in flags]
    by_code = flags[:, 0] | flags[:, 1]
    table["part_surface"] = np.where(by_code | np.isnan(share[members]), 1.0, share[members])
    edge_rows = np.flatnonzero((share < 1.0) & (share >= EDGE_LISTING_MIN_SHARE))
    edge = communes.take(edge_rows)[["nom", "code_epci", "population"]]
    edge = edge.assign(part_surface=share[edge_rows], dans_territoire=selected[edge_rows] & ~out[edge_rows])
    edge = edge.sort_values("part_surface", ascending=False)
    return Territory(definition, table, pd.DataFrame(edge), warnings, ref.geography_vintage, polygon)
