"""The one owner of the session's work: the open project, its territory selection and its actor inventory.

Every page and panel reads and changes these through this module, never through ``st.session_state``
keys of its own: opening a project (reload, « Ouvrir », the Projet page, a ``?projet=`` link) goes
through ``load_project``, which loads the territory, the actors, the findings and the profile at once.

The territory being defined is kept in ``st.session_state`` and mirrored in the URL.

``st.session_state`` is lost on reload, so every change is written to the query string too
(``?epci=…&communes=…&exclues=…&seuil=…&polygone=…``): a reload or a shared link restores it.
The URL is read when it differs from what the app last wrote (first load, a link, a hand edit).
Parameters that cannot be read are reported in French and leave the current state unchanged.

A drawing too detailed for a URL (``dessin=ID``) and an imported contour (``fichier=ID``) are
stored server-side under the hash of their content (``<data dir>/formes/ID.json``): the link
and a reload find them again on the same server.

The open project's file name goes in the URL of every page (``?projet=…``), so that a reload reopens it.
The parsing half is pure (tested without a browser); the ``st`` half only moves data around.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import shapely
import streamlit as st

from ptce_geo import shape_store
from ptce_geo.cache import data_dir
from ptce_geo.codes import normalize_commune_code, normalize_siren, split_codes
from ptce_geo.collective.editing import EditableInventory, from_stored
from ptce_geo.errors import CodeError, GeometryError
from ptce_geo.fr_format import count, fr_int
from ptce_geo.geometry import polygonal
from ptce_geo.project import Project
from ptce_geo.territory import TerritoryDefinition
from ui.links import LINK_TOO_LONG_PARAM, MAX_QUERY_CHARS, MAX_QUERY_FIELDS, SECTION_PARAM

__all__ = [
    "Selection",
    "QUERY_KEYS",
    "DEFAULT_MIN_SHARE",
    "MAX_URL_VERTICES",
    "parse_query",
    "link_conflict",
    "MAX_PARAM_CHARS",
    "encode_rings",
    "decode_rings",
    "rings_from_features",
    "parse_codes",
    "selection_of",
    "shape_dir",
    "store_shape",
    "load_shape",
    "selection",
    "stored",
    "save",
    "notify",
    "PROJECT_PARAM",
    "Opened",
    "opened",
    "load_project",
    "set_project_file",
    "close_project",
    "inventory",
    "set_inventory",
    "drop_inventory",
    "synced",
    "mark_synced",
    "csv_flavour",
    "set_csv_flavour",
]

QUERY_KEYS = ("epci", "communes", "exclues", "seuil", "polygone", "dessin", "fichier")
# the open project's file name stays in every page's URL, so that a reload anywhere reopens it; Streamlit
# clears the query string on page changes
PROJECT_PARAM = "projet"
# the CSV flavour chosen on any page (Export, Acteurs), kept for the session: every page starts from the last choice
_CSV_FLAVOUR, DEFAULT_CSV_FLAVOUR = "_csv_format", "standard"
DEFAULT_MIN_SHARE = 0.5
MAX_URL_VERTICES = 400  # ~9,000 characters of URL: beyond, the drawing is stored server-side under an id
MAX_PARAM_CHARS = 20_000  # a longer parameter was not written by the app (a drawing this large travels as dessin=ID)
_LISTS = ("epci", "communes", "exclues")  # repeated list parameters are all read (epci=A&epci=B = epci=A,B)
_STATE, _URL, _WARNINGS, _NOTICES = "selection", "_selection_url", "_selection_url_warnings", "_selection_notices"
_PROJECT, _INVENTORY, _SYNCED = "project_open", "actors_inventory", "project_synced"


@dataclass(frozen=True)
class Selection:
    """What the user chose: EPCI, extra communes, excluded communes, polygon share threshold, drawing.

    ``drawings`` keeps the drawn rings as (lon, lat) lists, as Leaflet.draw returned them;
    ``upload`` the GeoJSON geometry (EPSG:4326) of an imported file, named ``upload_name``. The
    territory uses the union of both (``polygon``), repaired if needed.
    """

    epci: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    min_share: float = DEFAULT_MIN_SHARE
    drawings: tuple[tuple[tuple[float, float], ...], ...] = field(default=())
    upload: str = ""
    upload_name: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.epci or self.communes or self.drawings or self.upload)

    @property
    def polygon(self) -> shapely.Geometry | None:
        """Union of the drawn shapes and the imported contour as a valid (Multi)Polygon, ``None`` without either."""
        return _union(self.drawings, self.upload)

    @property
    def vertex_count(self) -> int:
        return sum(len(ring) for ring in self.drawings)

    @property
    def self_intersecting(self) -> int:
        """Drawn rings whose contour crosses itself (repaired in ``polygon``; the user should check them)."""
        return sum(1 for ring in self.drawings if len(ring) >= 3 and not shapely.Polygon(ring).is_valid)

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
        elif self.drawings:
            query["dessin"] = _shape_id(*_drawing_payload(self.drawings))
        if self.upload:
            query["fichier"] = _shape_id(*_upload_payload(self.upload, self.upload_name))
        return {k: v for k, v in query.items() if v}

    def stored_shapes(self) -> list[tuple[str, str, str]]:
        """(URL key, id, JSON text) of the shapes this selection's URL refers to by id (to be kept server-side)."""
        out = []
        if self.drawings and self.vertex_count > MAX_URL_VERTICES:
            out.append(_drawing_payload(self.drawings))
        if self.upload:
            out.append(_upload_payload(self.upload, self.upload_name))
        return [(kind, _shape_id(kind, text), text) for kind, text in out]


@lru_cache(maxsize=16)
def _union(drawings: tuple, upload: str) -> shapely.Geometry | None:
    shapes = [shape for ring in drawings if len(ring) >= 3 and (shape := polygonal(shapely.Polygon(ring))) is not None]
    if upload:
        shape = upload_geometry(upload)
        if shape is not None:
            shapes.append(shape)
    return polygonal(shapely.union_all(shapes)) if shapes else None


@lru_cache(maxsize=8)
def upload_geometry(text: str) -> shapely.Geometry | None:
    """The valid (Multi)Polygon of an imported contour's GeoJSON text (``None`` when unreadable or not a surface)."""
    try:
        return polygonal(shapely.from_geojson(text))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return None


def _drawing_payload(rings: tuple) -> tuple[str, str]:
    return "dessin", json.dumps({"type": "dessin", "polygone": encode_rings(rings)}, separators=(",", ":"))


@lru_cache(maxsize=8)
def _upload_payload(upload: str, name: str) -> tuple[str, str]:
    return "fichier", json.dumps({"type": "fichier", "nom": name, "geometrie": upload}, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=32)
def _shape_id(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\n{text}".encode()).hexdigest()[:20]


def shape_dir() -> Path:
    """Where shapes referred to by id are kept: ``<data dir>/formes`` (outside the versioned files)."""
    return data_dir() / "formes"


def store_shape(shape_id: str, text: str) -> None:
    """Write a shape once (its id is the hash of its content); the folder's quota evicts the least recently used."""
    shape_store.store(shape_dir(), shape_id, text)


def load_shape(kind: str, shape_id: str) -> dict:
    """The stored shape ``shape_id`` of ``kind`` (``dessin`` or ``fichier``); ``ValueError`` in French otherwise."""
    data = shape_store.load(shape_dir(), shape_id)
    if data.get("type") != kind:
        raise ValueError("cet identifiant ne désigne pas un " + ("dessin" if kind == "dessin" else "contour importé"))
    return data


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
                known_epci: Collection[str] | None = None, known_communes: Collection[str] | None = None,
                load: Callable[[str, str], dict] = load_shape) -> tuple[Selection, list[str]]:
    """Selection described by URL parameters over ``current``, and the French warnings.

    A parameter that cannot be read at all leaves the matching part of ``current`` unchanged; a
    list keeps its valid codes. Absent parameters keep ``current`` too. ``load(kind, id)`` reads a
    shape stored server-side (``dessin``, ``fichier``).
    """
    sel = current or Selection()
    params, warnings = _single_values(params)
    if LINK_TOO_LONG_PARAM in params:
        warnings.append(_too_long_link(params[LINK_TOO_LONG_PARAM]))
    warnings += [f"Paramètre d'URL inconnu ignoré : « {_short(k)} »." for k in params
                 if k not in (*QUERY_KEYS, PROJECT_PARAM, LINK_TOO_LONG_PARAM, SECTION_PARAM)]
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
            if not 0 < share <= 1:
                raise ValueError
            sel = replace(sel, min_share=share)
        except ValueError:
            warnings.append(f"Paramètre d'URL « seuil » ignoré : « {_short(params['seuil'])} » n'est pas un pourcentage "
                            "entre 0 (exclu) et 100.")
    if "polygone" in params:
        try:
            sel = replace(sel, drawings=decode_rings(str(params["polygone"])) if params["polygone"] else ())
        except ValueError as exc:
            detail = str(exc) if "limites" in str(exc) or "sommets" in str(exc) else "format attendu : lon,lat;lon,lat;…"
            warnings.append(f"Paramètre d'URL « polygone » ignoré : {detail}.")
    sel = _stored_shapes(params, sel, load, warnings)
    return sel, warnings


def _too_long_link(sizes: str) -> str:
    """The warning for a link ui/serve.py cut off: ``sizes`` is « characters,parameters » of its query string."""
    chars, _, fields = sizes.partition(",")
    numbers = all(n.isascii() and n.isdigit() and len(n) < 10 for n in (chars, fields))  # typed by hand: anything
    measured = (f"{count(int(chars), 'caractère', 'caractères')} et {count(int(fields), 'paramètre', 'paramètres')}"
                if numbers else "au-delà des limites")
    return (f"Lien trop long, tous ses paramètres sont ignorés : {measured}, pour {fr_int(MAX_QUERY_CHARS)} caractères "
            f"et {fr_int(MAX_QUERY_FIELDS)} paramètres au plus (un dessin détaillé est enregistré sur le serveur et le lien "
            "porte « dessin= »).")


def _single_values(params: Mapping[str, str | list[str]]) -> tuple[dict[str, str], list[str]]:
    """One text per parameter: repeated lists joined, a repeated value with different values dropped, overlong ones dropped."""
    out, warnings = {}, []
    for key, value in params.items():
        values = list(dict.fromkeys(value)) if isinstance(value, list) else [value]
        if len(values) > 1 and key not in _LISTS:
            warnings.append(f"Paramètre d'URL « {_short(key)} » répété avec des valeurs différentes : ignoré (une seule valeur attendue).")
            continue
        text = ",".join(str(v) for v in values)
        if len(text) > MAX_PARAM_CHARS:
            warnings.append(f"Paramètre d'URL « {_short(key)} » ignoré : {fr_int(len(text))} caractères, {fr_int(MAX_PARAM_CHARS)} au "
                            "plus (un dessin plus détaillé est enregistré sur le serveur et le lien porte « dessin= »).")
            continue
        out[key] = text
    return out, warnings


def link_conflict(params: Mapping[str, object]) -> str | None:
    """The notice for a link naming a project and a territory too: the project's own territory wins."""
    if not params.get(PROJECT_PARAM):
        return None
    given = [k for k in QUERY_KEYS if params.get(k)]
    if not given:
        return None
    return (f"Ce lien nomme un projet et un territoire : le projet « {_short(params[PROJECT_PARAM])} » est ouvert avec son "
            f"propre territoire ; les paramètres {', '.join(f'« {k} »' for k in given)} du lien sont ignorés.")


def _stored_shapes(params: Mapping[str, str], sel: Selection, load: Callable[[str, str], dict], warnings: list[str]) -> Selection:
    """``dessin=ID`` and ``fichier=ID``: shapes stored server-side."""
    if params.get("dessin"):
        try:
            sel = replace(sel, drawings=decode_rings(str(load("dessin", str(params["dessin"])).get("polygone", ""))))
        except (ValueError, TypeError) as exc:
            warnings.append(f"Paramètre d'URL « dessin » ignoré : {exc}.")
    if "fichier" in params:
        if not params["fichier"]:
            return replace(sel, upload="", upload_name="")
        try:
            data = load("fichier", str(params["fichier"]))
            text, name = data.get("geometrie"), data.get("nom") or "contour importé"
            if not isinstance(text, str) or upload_geometry(text) is None:
                raise ValueError("contour enregistré illisible")
            sel = replace(sel, upload=text, upload_name=str(name))
        except ValueError as exc:
            warnings.append(f"Paramètre d'URL « fichier » ignoré : {exc}.")
    return sel


def _short(value: object, size: int = 40) -> str:
    text = str(value)
    return text if len(text) <= size else text[:size] + "…"


def selection_of(definition: dict) -> Selection:
    """The selection describing a stored territory definition; a polygon keeps its outer rings."""
    d = TerritoryDefinition.from_dict(definition)
    rings: list[tuple[tuple[float, float], ...]] = []
    if d.polygon:
        for part in shapely.get_parts(shapely.geometry.shape(d.polygon)):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                rings.append(tuple((round(x, 6), round(y, 6)) for x, y, *_ in part.exterior.coords[:-1]))
    return Selection(epci=d.epci, communes=d.communes, excluded=d.exclude, min_share=d.min_share, drawings=tuple(rings))


# --- Streamlit side -------------------------------------------------------------------------------


def selection(known_epci: Collection[str] | None = None, known_communes: Collection[str] | None = None) -> Selection:
    """This session's selection, updated from the URL when the URL changed; warns about unreadable parameters."""
    params = st.query_params.to_dict()
    current = st.session_state.get(_STATE, Selection())
    if params != st.session_state.get(_URL):
        every = {k: st.query_params.get_all(k) for k in st.query_params}  # to_dict() keeps only the last of repeated ones
        current, warnings = parse_query(every, current, known_epci, known_communes)
        st.session_state[_WARNINGS] = (warnings, current)
    warnings, issued_for = st.session_state.get(_WARNINGS, ([], None))
    notices = st.container()  # always there, so that warnings never shift (and remount) the map below
    if issued_for == current:  # shown until the user changes the selection, not only for one rerun
        for warning in warnings:
            notices.warning(warning, icon=":material/warning:")
    kept = [(text, level, current if issued is None else issued) for text, level, issued in st.session_state.get(_NOTICES, [])]
    kept = [notice for notice in kept if notice[2] == current]
    st.session_state[_NOTICES] = kept
    for text, level, _ in kept:
        getattr(notices, level)(text, icon=_ICONS[level])
    save(current)
    return current


_ICONS = {"error": ":material/block:", "warning": ":material/warning:", "info": ":material/info:"}


def notify(text: str, level: str = "error", on_next_selection: bool = False) -> None:
    """A message (French, Markdown) shown at the top of the pages until the selection changes.

    Used for refusals (a refused change leaves the selection as it was) and for notes on an accepted one.
    ``on_next_selection``: tied to the selection the page is about to read (a link's), not to the stored one.
    """
    if level not in _ICONS:
        raise ValueError(f"niveau de message inconnu : {level!r}")
    # the latest only: older ones are about earlier attempts
    st.session_state[_NOTICES] = [(text, level, None if on_next_selection else stored())]


def stored() -> Selection:
    """The session's selection as last saved (for callbacks, which run before the page reads the URL)."""
    return st.session_state.get(_STATE, Selection())


def save(sel: Selection) -> None:
    """Keep ``sel`` in the session and write it to the URL (only when it changed, to spare the browser history)."""
    st.session_state[_STATE] = sel
    query = sel.to_query()
    if (current := opened()) is not None:
        query[PROJECT_PARAM] = current.path.stem
    if (section := st.query_params.get(SECTION_PARAM)) is not None:  # the Diagnostic page's, kept as it is
        query[SECTION_PARAM] = section
    for kind, shape_id, text in sel.stored_shapes():
        try:
            store_shape(shape_id, text)
        except (OSError, GeometryError):  # read-only data folder, or over the size cap: the shape stays in this session only
            query.pop(kind, None)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state[_URL] = query


# --- the open project and its inventory -------------------------------------------------------------


@dataclass
class Opened:
    """The session's project and the file it is saved to."""

    project: Project
    path: Path


def opened() -> Opened | None:
    """The project open in this session, ``None`` without one."""
    return st.session_state.get(_PROJECT)


def inventory() -> EditableInventory | None:
    """This session's actor inventory (imported, started empty, or the open project's), ``None`` without one."""
    return st.session_state.get(_INVENTORY)


def set_inventory(editable: EditableInventory) -> None:
    st.session_state[_INVENTORY] = editable


def drop_inventory() -> None:
    """Remove the inventory from the session only (the open project's file is the autosave's business)."""
    st.session_state.pop(_INVENTORY, None)


def synced() -> tuple[Selection | None, object]:
    """The selection and the actors object last copied into (or loaded from) the open project."""
    return st.session_state.get(_SYNCED, (None, None))


def mark_synced() -> None:
    editable = inventory()
    st.session_state[_SYNCED] = (stored(), editable.inventory.actors if editable is not None else None)


def set_project_file(project: Project, path: Path) -> None:
    """``project`` becomes the session's project saved at ``path``; its name goes in the URL at once (a callback
    that switches projects must not let the previous run's URL reopen the previous one)."""
    st.session_state[_PROJECT] = Opened(project, Path(path))
    st.query_params[PROJECT_PARAM] = Path(path).stem


def load_project(project: Project, path: Path) -> None:
    """Make ``project`` the session's work: its active territory, its actors, its findings and profile.

    The one way a project enters a session (reload, « Ouvrir », import, a ``?projet=`` link). The
    project's actors become the inventory (``None`` without actors), the same object on both sides,
    so that the autosave sees nothing to write until the user changes something.
    """
    definition = project.territories.get(project.active)
    st.session_state[_PROJECT] = None  # the selection's URL is rewritten whole: without the previous project's name
    save(selection_of(definition) if definition else Selection())
    set_project_file(project, path)
    if project.actors is not None and len(project.actors):
        editable = from_stored(project.actors, project.name)
        project.actors = editable.inventory.actors
        set_inventory(editable)
    else:
        drop_inventory()
    mark_synced()


def close_project() -> None:
    """The session keeps its territory and inventory; the project and its name in the URL go."""
    st.session_state.pop(_PROJECT, None)
    st.session_state.pop(_SYNCED, None)
    if PROJECT_PARAM in st.query_params:
        del st.query_params[PROJECT_PARAM]


def csv_flavour() -> str:
    """The CSV flavour of the session's downloads (« standard » until the user picks another on any page)."""
    return st.session_state.get(_CSV_FLAVOUR, DEFAULT_CSV_FLAVOUR)


def set_csv_flavour(flavour: str) -> None:
    st.session_state[_CSV_FLAVOUR] = flavour
