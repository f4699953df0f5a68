"""Actor inventory: read a CSV/XLSX, validate it row by row, place actors, export them safely.

Nothing is dropped silently: ``validate_actors`` returns one report row per input row (accepted,
fixed, refused, with French messages), and good rows are kept when others are refused. Personal
contact data (e-mails, phone numbers, contact persons) is not needed for a territorial diagnostic:
it is reported and dropped unless the caller asks to keep it (GDPR data minimisation).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from ..csvsafe import FORMULA_PREFIXES, to_csv_bytes
from ..errors import ActorError, PtceGeoError
from ..fr_format import count, fr_int, plural
from ..sources.sirene import SireneStore
from . import _actor_places as places
from ._actor_read import csv_rows, decode, is_workbook, table_from_rows, workbook_rows
from ._actor_siret import check_sirets
from .actor_schema import (
    ACTOR_COLUMNS,
    COLUMNS,
    CONTACT_STATUSES,
    ESS_KINDS,
    INPUT_COLUMNS,
    INTERESTS,
    INVOLVEMENT_LEVELS,
    KINDS,
    NOT_INVOLVED,
    PERSONAL_COLUMNS,
    SIAE,
    Match,
    fold,
    match_column,
    match_contact,
    match_interest,
    match_involvement,
    match_kind,
    match_theme,
    parse_ess,
    split_list,
)

__all__ = [
    "STATUSES",
    "PLACEMENTS",
    "INVOLVEMENT_COLOURS",
    "KIND_COLOURS",
    "Geocoder",
    "read_actors",
    "validate_actors",
    "place_actors",
    "actor_template_csv",
    "TEXT_CODES",
    "actor_template_xlsx",
    "actors_to_csv_bytes",
    "actor_popup_html",
    "report_counts",
]

STATUSES = ("accepté", "corrigé", "refusé")
PLACEMENTS = ("coordonnées", "adresse (BAN)", "commune", "non placé")
INVOLVEMENT_COLOURS = dict(zip(INVOLVEMENT_LEVELS, ("#b2182b", "#ef8a62", "#67a9cf", "#2166ac", "#999999"), strict=True))
KIND_COLOURS = dict(zip(KINDS, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#b2df8a", "#e6ab02", "#a6761d", "#1f78b4",
                               "#6a3d9a", "#cab2d6", "#fb9a99", "#17becf", "#666666"), strict=True))
PERSONAL_NAMES = tuple(c.name for c in PERSONAL_COLUMNS)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+33\s?(?:\(0\)\s?)?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_DERIVED = {"code epci", "placement", "placement note", "ligne", "geometry"}  # written by us, recomputed on import
_FREE_TEXT = ("nom", "forme_juridique", "thematiques", "competences", "problematiques", "vision", "adresse")


class Geocoder(Protocol):
    """What ``place_actors`` needs from a geocoder (``ptce_geo.geocode.BanGeocoder`` is one)."""

    def geocode(self, addresses: pd.DataFrame, progress: Callable[[float, str], None] | None = None) -> pd.DataFrame: ...


# --- reading ---------------------------------------------------------------------------------------

def read_actors(source: str | Path | bytes, name: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """Raw text table of an inventory file (CSV ``,``/``;``, UTF-8/cp1252/UTF-16, or XLSX/XLS).

    The index is the line (or sheet row) number of each row in the file; headers are kept as written.
    ``attrs['notes']`` says what was detected (encoding, separator, sheet, header row, blank rows); a workbook
    is read one sheet at a time (``sheet``, or the one revealing the most inventory columns) and the notes
    name the other sheets holding actors; ``attrs['feuilles']`` lists the sheets holding actors: the one read,
    then the others in the workbook's order (empty for a CSV).
    """
    if isinstance(source, bytes | bytearray):
        data, name = bytes(source), name or "fichier"
    else:
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ActorError(f"{name} : lecture impossible ({exc.strerror}).") from exc
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise ActorError(f"{name} : le fichier est vide.")
    notes: list[str] = []
    sheets: list[str] = []
    if is_workbook(data):
        rows, lines, chosen, others, with_actors = workbook_rows(data, name, sheet)
        notes.append(f"feuille « {chosen} » lue" + (f" (autres feuilles ignorées : {', '.join(others)})" if others else ""))
        if with_actors:
            listed = ", ".join(f"« {s} » ({n} ligne{'s' if n > 1 else ''})" for s, n in with_actors)
            notes.append(f"ATTENTION : d'autres feuilles contiennent des acteurs et n'ont pas été lues : {listed} "
                         "(importez-les une à une ou réunissez-les en une feuille)")
        sheets = [chosen, *(s for s, _ in with_actors)]
    else:
        text, encoding = decode(data, name)
        rows, lines, sep = csv_rows(text, name)
        notes.append(f"encodage {encoding}, séparateur « {'tabulation' if sep == chr(9) else sep} »")
    frame = table_from_rows(rows, lines, name, notes)
    frame.attrs["feuilles"] = sheets
    return frame


# --- validation ------------------------------------------------------------------------------------

class _Log:
    """Messages and status of every row, filled by each check in turn."""

    def __init__(self, n: int) -> None:
        self.messages: list[list[str]] = [[] for _ in range(n)]
        self.status = np.zeros(n, dtype=np.int8)  # 0 accepted, 1 fixed, 2 refused

    def fix(self, i: int, message: str) -> None:
        self.messages[i].append(message)
        self.status[i] = max(self.status[i], 1)

    def warn(self, i: int, message: str) -> None:
        self.messages[i].append(f"attention : {message}")

    def refuse(self, i: int, message: str) -> None:
        self.messages[i].append(f"refusé : {message}")
        self.status[i] = 2


def _map_columns(headers: list[str], notes: list[str]) -> dict[str, str]:
    """Canonical name -> header. A header spelled exactly as the canonical name wins over a synonym."""
    found: dict[str, list[str]] = {}
    unknown = []
    for header in headers:
        canon = match_column(str(header))
        if canon is None and fold(header) not in _DERIVED:
            unknown.append(str(header))
        if canon is None:
            continue
        found.setdefault(canon, []).append(header)
    mapping = {}
    for canon, heads in found.items():
        heads.sort(key=lambda h: fold(h) != fold(canon))
        mapping[canon] = heads[0]
        if len(heads) > 1:
            notes.append(f"plusieurs colonnes pour « {canon} » : « {heads[0]} » lue, "
                         f"{plural(len(heads) - 1, 'ignorée', 'ignorées')} : {', '.join(heads[1:])}")
    if unknown:
        notes.append(f"colonnes non reconnues, ignorées : {', '.join(unknown)}")
    return mapping


def _texts(raw: pd.DataFrame, mapping: dict[str, str], names: tuple[str, ...]) -> dict[str, list[str | None]]:
    """Stripped text per canonical column (None for blanks); the ``'`` our exports put before a formula
    character is removed, so an exported inventory re-imports unchanged (it is neutralised again on export)."""
    out = {}
    for canon in names:
        if canon in mapping:
            col = raw[mapping[canon]].astype("string").str.strip()
            col = col.str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
            out[canon] = col.astype(object).where(col.notna() & (col != ""), None).tolist()
        else:
            out[canon] = [None] * len(raw)
    return out


def _check_names(v: dict, log: _Log) -> None:
    for i, name in enumerate(v["nom"]):
        if not name:
            log.refuse(i, "nom manquant")
        elif name.lstrip(" ").startswith(FORMULA_PREFIXES[:4]):
            log.warn(i, f"le nom commence par « {name.lstrip()[0]} » : il sera neutralisé (préfixe ') dans les exports CSV")


def _check_kinds(v: dict, log: _Log, has_ess: bool) -> None:
    kinds, forms, ess = [], list(v["forme_juridique"]), []
    for i, (text, ess_text) in enumerate(zip(v["type_structure"], v["ess"], strict=True)):
        kind = None
        if text:
            match = match_kind(text)
            kind = match.value or "autre"
            if match.value is None:
                log.fix(i, f"type de structure « {text} » non reconnu : classé « autre » (attendu : {', '.join(KINDS)})")
                forms[i] = forms[i] or text
            elif not match.exact:
                log.fix(i, f"type de structure « {text} » classé « {kind} »")
                forms[i] = forms[i] or match.legal_form
        value = parse_ess(ess_text) if ess_text else None
        if ess_text and value is None:
            log.fix(i, f"ESS « {ess_text} » non compris (oui/non attendu) : laissé vide")
        if value is None:
            value = _ess_from_kind(kind, forms[i])
            if value is not None and has_ess and not ess_text:
                log.fix(i, f"ESS {'oui' if value else 'non'} déduit du type « {kind} »")
            elif kind == SIAE:
                log.warn(i, "structure d'insertion : son appartenance à l'ESS n'est pas déduite du type, à préciser (ESS oui/non)")
        elif kind == "entreprise" and value:
            kind = "entreprise de l'ESS"
            log.fix(i, "entreprise déclarée ESS : classée « entreprise de l'ESS »")
        elif kind in ESS_KINDS and not value:
            log.warn(i, f"une structure « {kind} » relève de l'ESS par la loi du 31 juillet 2014 : vérifier « ESS non »")
        kinds.append(kind)
        ess.append(value)
    v["type_structure"], v["forme_juridique"], v["ess"] = kinds, forms, ess


def _ess_from_kind(kind: str | None, form: str | None) -> bool | None:
    if kind in ESS_KINDS or (form and fold(form).split()[:1] in (["mutuelle"], ["fondation"])):
        return True
    if kind in ("entreprise", "collectivité", "établissement public"):
        return False
    return None


def _check_involvement(v: dict, log: _Log, present: bool) -> None:
    levels = []
    for i, text in enumerate(v["implication"]):
        if not text:
            if present:
                log.fix(i, f"implication non renseignée : « {NOT_INVOLVED} » retenu")
            levels.append(NOT_INVOLVED)
            continue
        contact = match_contact(text)
        if contact.value is not None:  # a prospect: its status of contact, in none of the four spaces yet
            log.fix(i, f"« {text} » est un statut de contact, pas un espace d'implication : noté en statut de contact "
                       f"« {contact.value} », implication laissée vide")
            v["statut_contact"][i] = v["statut_contact"][i] or contact.value
            levels.append(None)
            continue
        match = match_involvement(text)
        if match.value is None:
            log.refuse(i, f"niveau d'implication « {text} » inconnu (attendu : {', '.join(INVOLVEMENT_LEVELS)})")
        elif not match.exact:
            log.fix(i, f"implication « {text} » lue comme « {match.value} »")
        levels.append(match.value)
    v["implication"] = levels


def _check_contacts(v: dict, log: _Log) -> None:
    out = []
    for i, text in enumerate(v["statut_contact"]):
        match = match_contact(text) if text else Match(None)
        if text and match.value is None:
            log.fix(i, f"statut de contact « {text} » non reconnu, gardé tel quel (attendu : {', '.join(CONTACT_STATUSES)})")
        elif text and not match.exact:
            log.fix(i, f"statut de contact « {text} » lu comme « {match.value} »")
        out.append(match.value or text or None)
    v["statut_contact"] = out


def _check_interests(v: dict, log: _Log) -> None:
    out = []
    for i, text in enumerate(v["interet"]):
        kept = []
        for item in split_list(text):
            match = match_interest(item)
            if match.value is None:
                log.fix(i, f"intérêt « {item} » non reconnu, non retenu (attendu : {' ; '.join(INTERESTS)})")
            else:
                if not match.exact:
                    log.fix(i, f"intérêt « {item} » lu comme « {match.value} »")
                if match.value not in kept:
                    kept.append(match.value)
        if len(kept) > 1:  # the guide grades interest: one level per actor, the highest named
            best = max(kept, key=INTERESTS.index)
            log.fix(i, f"plusieurs intérêts ({' ; '.join(kept)}) : un seul niveau par acteur, le plus élevé retenu « {best} »")
            kept = [best]
        out.append(kept[0] if kept else None)
    v["interet"] = out


def _check_lists(v: dict, log: _Log) -> None:
    for col in ("thematiques", "competences", "problematiques"):
        out = []
        for i, text in enumerate(v[col]):
            items: dict[str, str] = {}
            for item in split_list(text):
                value = item
                if col == "thematiques":
                    match = match_theme(item)
                    value = match.value
                    if not match.exact:
                        log.fix(i, f"thématique « {item} » rangée sous « {value} »")
                items.setdefault(fold(value), value)
            out.append("; ".join(items.values()) or None)
        v[col] = out


def _scrub_personal(v: dict, log: _Log, keep: bool) -> int:
    """Remove e-mails and phone numbers typed in free-text cells; returns how many cells were touched."""
    touched = 0
    for col in _FREE_TEXT:
        cells = pd.Series(v[col], dtype="str")
        suspect = (cells.str.contains(_EMAIL) | cells.str.contains(_PHONE)).fillna(False)
        for i in np.flatnonzero(suspect.to_numpy()):
            text = v[col][i]
            found = [label for label, rx in (("courriel", _EMAIL), ("numéro de téléphone", _PHONE)) if rx.search(text)]
            touched += 1
            if keep:
                log.warn(i, f"{' et '.join(found)} dans « {col} » (donnée personnelle conservée à la demande)")
            else:
                v[col][i] = _PHONE.sub("[téléphone retiré]", _EMAIL.sub("[courriel retiré]", text))
                log.fix(i, f"{' et '.join(found)} retiré de « {col} » (donnée personnelle non nécessaire, RGPD)")
    return touched


def _check_coordinates(v: dict, log: _Log) -> tuple[np.ndarray, np.ndarray]:
    lat, bad_lat = places.read_coordinates(pd.Series(v["latitude"], dtype="object"))
    lon, bad_lon = places.read_coordinates(pd.Series(v["longitude"], dtype="object"))
    lat, lon = lat.to_numpy().copy(), lon.to_numpy().copy()
    both = ~np.isnan(lat) & ~np.isnan(lon)
    ok = both & places.in_france(lon, lat)
    swapped = both & ~ok & places.in_france(lat, lon)
    projected = both & ~ok & ~swapped & places.looks_projected(lon, lat)
    for i in np.flatnonzero(bad_lat.to_numpy() | bad_lon.to_numpy()):
        log.refuse(i, f"coordonnées illisibles (latitude « {v['latitude'][i] or ''} », longitude « {v['longitude'][i] or ''} »)")
    for i in np.flatnonzero(np.isnan(lat) ^ np.isnan(lon)):
        if not (bad_lat.iloc[i] or bad_lon.iloc[i]):
            log.fix(i, "coordonnée incomplète (latitude ou longitude seule) : ignorée")
    for i in np.flatnonzero(swapped):
        log.fix(i, f"latitude et longitude inversées : corrigées en latitude {lon[i]:.5f}, longitude {lat[i]:.5f}")
    for i in np.flatnonzero(projected):
        log.refuse(i, f"coordonnées ({v['latitude'][i]}, {v['longitude'][i]}) en mètres (Lambert-93 ?) : "
                      "donner latitude et longitude WGS84 en degrés décimaux")
    for i in np.flatnonzero(both & ~ok & ~swapped & ~projected):
        log.refuse(i, f"coordonnées hors de France (latitude {lat[i]:g}, longitude {lon[i]:g})")
    lat[swapped], lon[swapped] = lon[swapped].copy(), lat[swapped].copy()
    keep = ok | swapped
    return np.where(keep, lat, np.nan), np.where(keep, lon, np.nan)


def _check_communes(v: dict, log: _Log, communes: gpd.GeoDataFrame, departements: pd.DataFrame | None,
                    lat: np.ndarray, lon: np.ndarray) -> list[str | None]:
    index = places.commune_index(communes, departements)
    codes: list[str | None] = []
    for i in range(len(lat)):
        res = index.resolve(v["code_commune"][i], v["commune"][i], v["departement"][i], v["code_postal"][i])
        for msg in res.fixes:
            log.fix(i, msg)
        for msg in res.warnings:
            log.warn(i, msg)
        if res.error:
            log.refuse(i, res.error)
        codes.append(res.code)
    code_arr = np.array(codes, dtype=object)
    has_xy = ~np.isnan(lat)
    missing = np.flatnonzero(has_xy & pd.isna(code_arr) & (log.status < 2))
    if len(missing):
        found = places.communes_at(communes, lon[missing], lat[missing])
        for i, code in zip(missing, found, strict=True):
            if code is None:
                log.warn(i, "le point n'est dans aucune commune du référentiel (en mer ou à l'étranger ?)")
            else:
                codes[i] = code
                log.fix(i, f"commune déduite des coordonnées : {index.label(code)}")
    check = np.flatnonzero(has_xy & ~pd.isna(code_arr) & (log.status < 2))
    if len(check):
        near = places.near_commune(communes, code_arr[check], lon[check], lat[check])
        for i in check[~near]:
            log.warn(i, f"le point ({lat[i]:.5f}, {lon[i]:.5f}) est à plus d'environ 1 km de la commune {index.label(codes[i])}")
    return codes


def _check_duplicates(names: list[str | None], codes: list[str | None], lines: list[int], log: _Log) -> None:
    first: dict[tuple[str, str | None], int] = {}
    by_name: dict[str, int] = {}
    for i, (name, code) in enumerate(zip(names, codes, strict=True)):
        if log.status[i] == 2 or not name:
            continue
        key = fold(name)
        if (key, code) in first:
            log.refuse(i, f"doublon de la ligne {lines[first[(key, code)]]} (même nom, même commune)")
            continue
        if key in by_name:
            log.warn(i, f"même nom que la ligne {lines[by_name[key]]}, dans une autre commune : vérifier qu'il ne s'agit pas d'un doublon")
        first[(key, code)] = i
        by_name.setdefault(key, i)


def validate_actors(raw: pd.DataFrame, communes: gpd.GeoDataFrame, *, departements: pd.DataFrame | None = None,
                    keep_personal: bool = False, sirene: SireneStore | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check every row of ``raw`` against the schema and the reference ``communes``.

    Returns ``(actors, report)``: ``actors`` holds the accepted and fixed rows in the canonical
    columns (``ACTOR_COLUMNS``, index = file line), not yet placed; ``report`` has one row per input
    row (``ligne, nom, statut, messages``) and ``report.attrs['notes']`` the file-level notes.
    ``departements`` (optional) lets a département be given by name. ``sirene`` (the cache's Sirene tables,
    ``None`` when absent) fills the type, legal form and ESS status an actor with a SIRET left empty.
    """
    if not isinstance(raw, pd.DataFrame):
        raise ActorError(f"table d'acteurs attendue, reçu {type(raw).__name__}.")
    notes = list(raw.attrs.get("notes", []))
    mapping = _map_columns(list(raw.columns), notes)
    if "nom" not in mapping:
        raise ActorError(f"colonne du nom introuvable parmi : {', '.join(map(str, raw.columns))} (attendu : {', '.join(INPUT_COLUMNS)}).")
    v = _texts(raw, mapping, INPUT_COLUMNS + PERSONAL_NAMES)
    log = _Log(len(raw))
    lines = [int(x) for x in raw.index] if pd.api.types.is_integer_dtype(raw.index) else list(range(2, len(raw) + 2))
    for line, cells in raw.attrs.get("cellules_en_trop", {}).items():
        if line in lines:
            log.refuse(lines.index(line), f"{cells} cellules pour {raw.attrs.get('largeur', '?')} colonnes (séparateur dans un texte "
                                          "sans guillemets ?)")
    _check_names(v, log)
    check_sirets(v, log, sirene, lines, notes)  # before the kinds: what Sirene fills is then read like typed values
    _check_kinds(v, log, "ess" in mapping)
    if "ess" not in mapping:
        notes.append("colonne ESS absente : ESS déduit du type de structure quand il est connu")
    _check_contacts(v, log)  # before the involvement, which moves a prospect's « à contacter » there
    _check_involvement(v, log, "implication" in mapping)
    if "implication" not in mapping:
        notes.append(f"colonne implication absente : tous les acteurs sont « {NOT_INVOLVED} »")
    _check_interests(v, log)
    _check_lists(v, log)
    personal = [mapping[c] for c in PERSONAL_NAMES if c in mapping]
    touched = _scrub_personal(v, log, keep_personal)
    if personal:
        notes.append(f"données personnelles {'conservées à la demande' if keep_personal else 'non conservées (RGPD)'} : "
                     f"{plural(len(personal), 'colonne', 'colonnes')} {', '.join(personal)}")
    if touched and not keep_personal:
        notes.append(f"{count(touched, 'cellule de texte contenait', 'cellules de texte contenaient')} un courriel ou un téléphone : "
                     f"{plural(touched, 'retiré', 'retirés')}")
    lat, lon = _check_coordinates(v, log)
    codes = _check_communes(v, log, communes, departements, lat, lon)
    _check_duplicates(v["nom"], codes, lines, log)
    actors = _actors_frame(v, codes, lat, lon, communes, bool(keep_personal and personal), lines)
    return actors[log.status < 2], _report(v["nom"], lines, log, notes)


def _actors_frame(v: dict, codes: list, lat: np.ndarray, lon: np.ndarray, communes: gpd.GeoDataFrame, personal: bool,
                  lines: list[int]) -> pd.DataFrame:
    code_s = pd.Series(codes, dtype="str")
    ref = communes[["nom", "code_dep", "code_epci"]].reindex(code_s.fillna("").to_numpy())
    data = {c: pd.Series(v[c], dtype="str") for c in ACTOR_COLUMNS if c in v}
    data.update(ess=pd.Series(v["ess"], dtype="boolean"), code_commune=code_s,
                commune=pd.Series(ref["nom"].to_numpy(), dtype="str"), departement=pd.Series(ref["code_dep"].to_numpy(), dtype="str"),
                code_epci=pd.Series(ref["code_epci"].to_numpy(), dtype="str"), latitude=pd.Series(lat, dtype="float64"),
                longitude=pd.Series(lon, dtype="float64"), placement=pd.Series([None] * len(lat), dtype="str"),
                placement_note=pd.Series([None] * len(lat), dtype="str"))
    if personal:
        data.update({c: pd.Series(v[c], dtype="str") for c in PERSONAL_NAMES if any(x is not None for x in v[c])})
    frame = pd.DataFrame(data)[[c for c in ACTOR_COLUMNS + PERSONAL_NAMES if c in data]]
    frame.index = pd.Index(lines, name="ligne", dtype="int64")
    return frame


def _report(names: list, lines: list[int], log: _Log, notes: list[str]) -> pd.DataFrame:
    report = pd.DataFrame({
        "ligne": pd.Series(lines, dtype="int64"),
        "nom": pd.Series(names, dtype="str"),
        "statut": pd.Series(np.array(STATUSES, dtype=object)[log.status], dtype="str"),
        "messages": pd.Series([" ; ".join(sorted(m, key=lambda x: not x.startswith("refusé"))) for m in log.messages], dtype="str"),
    })
    report.attrs["notes"] = notes
    return report


def report_counts(report: pd.DataFrame) -> dict[str, int]:
    """Rows per status, all statuses present (``{"accepté": 8, "corrigé": 3, "refusé": 1}``)."""
    counts = report["statut"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


# --- placement -------------------------------------------------------------------------------------

def place_actors(actors: pd.DataFrame, communes: gpd.GeoDataFrame, geocoder: Geocoder | None = None,
                 progress: Callable[[float, str], None] | None = None, *, min_score: float = 0.5) -> gpd.GeoDataFrame:
    """Actors with a point each and how it was obtained (``placement``, ``placement_note``).

    Order of preference: the given coordinates; the address through ``geocoder`` (BAN) when one is
    passed (``None`` keeps everything offline) and its score reaches ``min_score`` in the declared
    commune; else a point inside the commune (``representative_point`` of its outline). ``progress``
    receives ``(fraction, text)``, as ``st.progress`` does.
    """
    out = actors.copy()
    for col in ("placement", "placement_note"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="str")
    lat, lon = out["latitude"].astype("float64"), out["longitude"].astype("float64")
    has_xy = lat.notna() & lon.notna()
    out.loc[has_xy, "placement"] = "coordonnées"
    with_address = ~has_xy & out["adresse"].notna()
    if with_address.any() and geocoder is not None:
        _place_by_address(out, with_address, communes, geocoder, progress, min_score)
    elif with_address.any():
        out.loc[with_address, "placement_note"] = "adresse non géocodée (géocodage BAN non demandé)"
    rest = out["placement"].isna() & out["code_commune"].notna()
    if rest.any():
        points = places.commune_points(communes, out.loc[rest, "code_commune"])
        placed = points["latitude"].notna()
        idx = points.index[placed]
        out.loc[idx, "latitude"] = points.loc[placed, "latitude"]
        out.loc[idx, "longitude"] = points.loc[placed, "longitude"]
        out.loc[idx, "placement"] = "commune"
        out.loc[idx, "placement_note"] = _join_note(out.loc[idx, "placement_note"], "point à l'intérieur de la commune")
        out.loc[points.index[~placed], "placement_note"] = "contour de la commune absent du référentiel"
    unplaced = out["placement"].isna()
    out.loc[unplaced, "placement"] = "non placé"
    out.loc[unplaced & out["placement_note"].isna(), "placement_note"] = "ni coordonnées, ni adresse géocodée, ni commune"
    if progress is not None:
        progress(1.0, f"Placement terminé : {count(int((~unplaced).sum()), 'acteur placé', 'acteurs placés')} sur {fr_int(len(out))}")
    geometry = gpd.points_from_xy(out["longitude"], out["latitude"], crs="EPSG:4326")
    geometry[unplaced.to_numpy()] = None
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def _join_note(notes: pd.Series, text: str) -> pd.Series:
    return notes.fillna("").map(lambda n: f"{n} ; {text}" if n else text).astype("str")


def _place_by_address(out: pd.DataFrame, mask: pd.Series, communes: gpd.GeoDataFrame, geocoder: Geocoder,
                      progress: Callable[[float, str], None] | None, min_score: float) -> None:
    query = out.loc[mask, ["adresse", "code_commune", "code_postal"]]
    failure = None
    try:
        found = geocoder.geocode(query, progress=progress)
    except PtceGeoError as exc:
        found = getattr(exc, "partial", None)
        failure = str(exc)
        found = found if isinstance(found, pd.DataFrame) else pd.DataFrame(index=query.index[:0])
    found = found.reindex(query.index)
    score = pd.to_numeric(found.get("score"), errors="coerce") if "score" in found else pd.Series(np.nan, index=query.index)
    flat, flon = (pd.to_numeric(found.get(c), errors="coerce") if c in found else pd.Series(np.nan, index=query.index)
                  for c in ("latitude", "longitude"))
    city = found["citycode"] if "citycode" in found else pd.Series(pd.NA, index=query.index, dtype="str")
    declared = query["code_commune"]
    located = flat.notna() & flon.notna() & pd.Series(places.in_france(flon.to_numpy(), flat.to_numpy()), index=query.index)
    same_city = declared.isna() | (city.astype("str") == declared)
    good = located & (score >= min_score) & same_city.fillna(False)
    notes = pd.Series("adresse non trouvée par la BAN", index=query.index, dtype="str")
    weak = located & (score < min_score)
    elsewhere = located & ~same_city.fillna(False)
    notes[weak] = score[weak].map(lambda s: f"adresse trouvée avec un score trop faible ({s:.2f})")
    notes[elsewhere] = city[elsewhere].map(lambda c: f"adresse trouvée dans une autre commune ({c})")
    if failure:
        notes[flat.isna()] = f"géocodage interrompu : {failure}"
    label = found["label"].astype("str").fillna("") if "label" in found else pd.Series("", index=query.index)
    notes[good] = [f"score {s:.2f} — {lab}".rstrip(" —") for s, lab in zip(score[good], label[good], strict=True)]
    idx = good[good].index
    out.loc[idx, "latitude"] = flat[good]
    out.loc[idx, "longitude"] = flon[good]
    out.loc[idx, "placement"] = "adresse (BAN)"
    out.loc[query.index, "placement_note"] = notes
    fill = good & declared.isna() & city.isin(communes.index).fillna(False)
    if fill.any():
        codes = city[fill]
        ref = communes.loc[codes.to_numpy(), ["nom", "code_dep", "code_epci"]]
        out.loc[codes.index, "code_commune"] = codes.to_numpy()
        out.loc[codes.index, "commune"] = ref["nom"].to_numpy()
        out.loc[codes.index, "departement"] = ref["code_dep"].to_numpy()
        out.loc[codes.index, "code_epci"] = ref["code_epci"].to_numpy()


# --- templates and exports -------------------------------------------------------------------------

_EXAMPLES = (
    {"nom": "Exemple – Ressourcerie du Montargois", "type_structure": "association", "forme_juridique": "association loi 1901",
     "ess": "oui", "thematiques": "réemploi; emploi-insertion", "competences": "collecte; réparation; vente solidaire",
     "problematiques": "locaux trop petits; gisement mal connu", "vision": "Un territoire où rien ne se jette sans avoir servi deux fois.",
     "implication": "noyau dur", "interet": "agir pour l'intérêt collectif du territoire", "commune": "Montargis",
     "departement": "45", "code_postal": "45200"},
    {"nom": "Exemple – SCIC Énergies du Royans", "type_structure": "SCIC", "forme_juridique": "SCIC SAS", "ess": "oui",
     "thematiques": "énergie", "competences": "centrales solaires citoyennes", "problematiques": "accès au foncier",
     "implication": "cellule de pilotage", "interet": "investir une thématique ou une filière", "commune": "Saint-Jean-en-Royans",
     "departement": "26", "latitude": "45.0194", "longitude": "5.2911"},
    {"nom": "Exemple – Boulangerie des Halles", "type_structure": "entreprise", "forme_juridique": "SARL", "ess": "non",
     "thematiques": "alimentation", "competences": "fabrication; circuits courts", "implication": "groupe projet",
     "interet": "développer son activité", "commune": "", "code_commune": "45004", "adresse": "1 place de la Mairie"},
    {"nom": "Exemple – Communauté de communes", "type_structure": "collectivité", "forme_juridique": "EPCI", "ess": "non",
     "thematiques": "mobilité; habitat", "implication": "non impliqué", "interet": "agir pour l'intérêt collectif du territoire",
     "commune": "Amilly", "departement": "Loiret"},
)


def _template_frame() -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c, "") for c in INPUT_COLUMNS} for row in _EXAMPLES], columns=list(INPUT_COLUMNS))


def actor_template_csv(flavour: str = "excel-fr") -> bytes:
    """The inventory template (French column names, four example rows to replace) as CSV bytes."""
    return to_csv_bytes(_template_frame(), flavour)


TEXT_CODES = ("siret", "code_commune", "departement", "code_postal")  # template columns whose cells are text, not numbers


def actor_template_xlsx() -> bytes:
    """The template as a workbook: sheet « Acteurs » (with drop-down lists, codes typed as text) and sheet « Aide » (one
    line per column)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Acteurs"
    frame = _template_frame()
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for j, name in enumerate(frame.columns):
        sheet.column_dimensions[sheet.cell(1, j + 1).column_letter].width = 38 if name in ("nom", "vision", "interet") else 20
    for name in TEXT_CODES:  # typed as text: Excel would turn 01000 into 1000 and a SIRET into 7,32829E+13
        column = frame.columns.get_loc(name) + 1
        sheet.column_dimensions[sheet.cell(1, column).column_letter].number_format = "@"  # the rows to come
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):  # the examples, replaced by typing
            cell.number_format = "@"
    for name, values in (("type_structure", KINDS), ("implication", INVOLVEMENT_LEVELS), ("ess", ("oui", "non"))):
        letter = sheet.cell(1, frame.columns.get_loc(name) + 1).column_letter
        check = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False)
        check.add(f"{letter}2:{letter}5000")
        sheet.add_data_validation(check)
    help_sheet = book.create_sheet("Aide")
    help_sheet.append(["Colonne", "Contenu"])
    for col in COLUMNS:
        help_sheet.append([col.name, col.label])
    help_sheet.append(["", "Ne saisissez ni courriel, ni téléphone, ni nom de personne : le diagnostic n'en a pas besoin (RGPD)."])
    help_sheet.append(["", "Les lignes « Exemple – … » sont à remplacer par vos acteurs."])
    help_sheet.column_dimensions["A"].width = 18
    help_sheet.column_dimensions["B"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def actors_to_csv_bytes(actors: pd.DataFrame, flavour: str = "standard") -> bytes:
    """``acteurs.csv``: canonical columns, ESS as oui/non, formula cells neutralised (see ``csvsafe``)."""
    frame = pd.DataFrame(actors.drop(columns=[c for c in ("geometry",) if c in actors.columns]))
    if "ess" in frame:
        frame["ess"] = frame["ess"].map({True: "oui", False: "non"}).astype("str")
    for col in ("latitude", "longitude"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").round(6)  # 0.1 m: enough, and stable diffs
    columns = [c for c in ACTOR_COLUMNS + PERSONAL_NAMES if c in frame.columns]
    return to_csv_bytes(frame[columns], flavour)


# --- map popup -------------------------------------------------------------------------------------

_POPUP_FIELDS = (("siret", "SIRET"), ("type_structure", "Type"), ("forme_juridique", "Forme juridique"), ("ess", "ESS"),
                 ("implication", "Implication"),
                 ("interet", "Intérêt"), ("thematiques", "Thématiques"), ("competences", "Compétences"), ("commune", "Commune"),
                 ("adresse", "Adresse"), ("placement", "Placement"))


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "oui" if value else "non"
    return str(value)


def actor_popup_html(row: Mapping | pd.Series) -> str:
    """Popup HTML for one actor; every user string goes through ``html.escape`` (a name may hold ``<script>``)."""
    name = html.escape(_text(row.get("nom")) or "(sans nom)", quote=True)
    parts = [f"<b>{name}</b>"]
    for key, label in _POPUP_FIELDS:
        value = _text(row.get(key))
        if value:
            parts.append(f"{html.escape(label)} : {html.escape(value, quote=True)}")
    return '<div class="ptce-acteur">' + "<br>".join(parts) + "</div>"
