"""The territory being defined, kept in ``st.session_state`` and mirrored in the URL.

``st.session_state`` is lost on reload, so every change is written to the query string too
(``?epci=…&communes=…&exclues=…&seuil=…&polygone=…``): a reload or a shared link restores it.
The URL is read when it differs from what the app last wrote (first load, a link, a hand edit).
Parameters that cannot be read are reported in French and leave the current state unchanged.

The parsing half is pure (tested without a browser); the ``st`` half only moves data around.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace

import shapely
import streamlit as st

from ptce_geo.codes import normalize_commune_code, normalize_siren, split_codes
from ptce_geo.errors import CodeError
from ptce_geo.geometry import polygonal

__all__ = [
    "Selection",
    "QUERY_KEYS",
    "DEFAULT_MIN_SHARE",
    "MAX_URL_VERTICES",
    "parse_query",
    "encode_rings",
    "decode_rings",
    "rings_from_features",
    "parse_codes",
    "selection",
    "stored",
    "save",
]

QUERY_KEYS = ("epci", "communes", "exclues", "seuil", "polygone")
DEFAULT_MIN_SHARE = 0.5
MAX_URL_VERTICES = 400  # ~9,000 characters of URL: beyond, the drawing stays in the session only
_STATE, _URL, _WARNINGS = "selection", "_selection_url", "_selection_url_warnings"


@dataclass(frozen=True)
class Selection:
    """What the user chose: EPCI, extra communes, excluded communes, polygon share threshold, drawing.

    ``drawings`` keeps the drawn rings as (lon, lat) lists, as Leaflet.draw returned them; the
    territory uses their union (``polygon``), repaired if needed.
    """

    epci: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    min_share: float = DEFAULT_MIN_SHARE
    drawings: tuple[tuple[tuple[float, float], ...], ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.epci or self.communes or self.drawings)

    @property
    def polygon(self) -> shapely.Geometry | None:
        """Union of the drawn shapes as a valid (Multi)Polygon, ``None`` without drawing."""
        shapes = [shape for ring in self.drawings if len(ring) >= 3 and (shape := polygonal(shapely.Polygon(ring))) is not None]
        return polygonal(shapely.union_all(shapes)) if shapes else None

    @property
    def vertex_count(self) -> int:
        return sum(len(ring) for ring in self.drawings)

    def toggle_epci(self, code: str) -> Selection:
        codes = [c for c in self.epci if c != code] if code in self.epci else [*self.epci, code]
        return replace(self, epci=tuple(codes))

    def to_query(self) -> dict[str, str]:
        """Query parameters describing this selection (empty values left out)."""
        query = {"epci": ",".join(self.epci), "communes": ",".join(self.communes), "exclues": ",".join(self.excluded)}
        if not math.isclose(self.min_share, DEFAULT_MIN_SHARE):
            query["seuil"] = f"{self.min_share * 100:g}"
        if self.drawings and self.vertex_count <= MAX_URL_VERTICES:
            query["polygone"] = encode_rings(self.drawings)
        return {k: v for k, v in query.items() if v}


def encode_rings(rings: tuple[tuple[tuple[float, float], ...], ...]) -> str:
    """``lon,lat;lon,lat;…`` per ring (1 m precision), rings separated by ``|``."""
    return "|".join(";".join(f"{lon:.5f},{lat:.5f}" for lon, lat in ring) for ring in rings)


def decode_rings(text: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Inverse of ``encode_rings``; ``ValueError`` (French) on anything else."""
    rings = []
    for part in text.split("|"):
        points = []
        for pair in filter(None, part.split(";")):
            lon, lat = (float(x) for x in pair.split(","))
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"coordonnées hors limites : {pair}")
            points.append((lon, lat))
        if points and points[0] == points[-1]:
            points.pop()
        if len(set(points)) < 3:
            raise ValueError("un contour a moins de trois sommets")
        rings.append(tuple(points))
    return tuple(rings)


def rings_from_features(features: list | None) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Exterior rings of the polygons in Leaflet.draw's ``all_drawings`` (other shapes are ignored)."""
    rings = []
    for feature in features or []:
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") == "Polygon" and geometry.get("coordinates"):
            ring = [(round(float(lon), 6), round(float(lat), 6)) for lon, lat, *_ in geometry["coordinates"][0]]
            if ring and ring[0] == ring[-1]:
                ring.pop()
            if len(set(ring)) >= 3:
                rings.append(tuple(ring))
    return tuple(rings)


def parse_codes(raw: str, normalize: Callable[[object], str], known: Collection[str] | None, what: str) -> tuple[tuple[str, ...], list[str]]:
    """Codes of a user list (``"a, b;c"``), normalised, known ones kept in order; French problems for the rest."""
    valid, problems, unknown = [], [], []
    for item in split_codes(raw):
        try:
            code = normalize(item)
        except CodeError as exc:
            problems.append(str(exc))
            continue
        (valid if known is None or code in known else unknown).append(code)
    if unknown:
        problems.append(f"{what} absents de la géographie de référence, ignorés : {', '.join(unknown[:10])}"
                        + (" …" if len(unknown) > 10 else "") + ".")
    return tuple(dict.fromkeys(valid)), problems


def parse_query(params: Mapping[str, str | list[str]], current: Selection | None = None,
                known_epci: Collection[str] | None = None, known_communes: Collection[str] | None = None) -> tuple[Selection, list[str]]:
    """Selection described by URL parameters over ``current``, and the French warnings.

    A parameter that cannot be read at all leaves the matching part of ``current`` unchanged; a
    list keeps its valid codes. Absent parameters keep ``current`` too.
    """
    sel = current or Selection()
    params = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
    warnings = [f"Paramètre d'URL inconnu ignoré : « {k} »." for k in params if k not in QUERY_KEYS]
    for key, attr, normalize, known, what in (
        ("epci", "epci", normalize_siren, known_epci, "EPCI"),
        ("communes", "communes", normalize_commune_code, known_communes, "Communes"),
        ("exclues", "excluded", normalize_commune_code, known_communes, "Communes exclues"),
    ):
        if key not in params:
            continue
        codes, problems = parse_codes(params[key], normalize, known, what)
        warnings += [f"Paramètre d'URL « {key} » : {p}" for p in problems]
        if codes or not problems:
            sel = replace(sel, **{attr: codes})
    if "seuil" in params:
        try:
            share = float(str(params["seuil"]).replace(",", ".").rstrip("%")) / 100
            if not 0 <= share <= 1:
                raise ValueError
            sel = replace(sel, min_share=share)
        except ValueError:
            warnings.append(f"Paramètre d'URL « seuil » ignoré : « {params['seuil']} » n'est pas un pourcentage entre 0 et 100.")
    if "polygone" in params:
        try:
            sel = replace(sel, drawings=decode_rings(str(params["polygone"])) if params["polygone"] else ())
        except ValueError as exc:
            detail = str(exc) if "limites" in str(exc) or "sommets" in str(exc) else "format attendu : lon,lat;lon,lat;…"
            warnings.append(f"Paramètre d'URL « polygone » ignoré : {detail}.")
    return sel, warnings


# --- Streamlit side -------------------------------------------------------------------------------


def selection(known_epci: Collection[str] | None = None, known_communes: Collection[str] | None = None) -> Selection:
    """This session's selection, updated from the URL when the URL changed; warns about unreadable parameters."""
    params = st.query_params.to_dict()
    current = st.session_state.get(_STATE, Selection())
    if params != st.session_state.get(_URL):
        current, warnings = parse_query(params, current, known_epci, known_communes)
        st.session_state[_WARNINGS] = (warnings, current)
    warnings, issued_for = st.session_state.get(_WARNINGS, ([], None))
    notices = st.container()  # always there, so that warnings never shift (and remount) the map below
    if issued_for == current:  # shown until the user changes the selection, not only for one rerun
        for warning in warnings:
            notices.warning(warning, icon="⚠️")
    save(current)
    return current


def stored() -> Selection:
    """The session's selection as last saved (for callbacks, which run before the page reads the URL)."""
    return st.session_state.get(_STATE, Selection())


def save(sel: Selection) -> None:
    """Keep ``sel`` in the session and write it to the URL (only when it changed, to spare the browser history)."""
    st.session_state[_STATE] = sel
    query = sel.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state[_URL] = query
