"""Where an actor is: commune resolution (code or name) and coordinate checks (plumbing of ``actors``).

Names are matched on a folded key (« St-Jean » = « Saint-Jean », articles and accents ignored).
About 1,500 commune names are shared by several communes (« Sainte-Colombe » 12 times), so a name
alone is not enough: the département (column or postcode) decides, otherwise the row is refused
with the candidates rather than placed in the wrong région.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..codes import arrondissement_commune, normalize_commune_code
from ..errors import CodeError
from ..geometry import FRANCE_BOUNDS
from .actor_schema import fold

__all__ = ["Resolution", "CommuneIndex", "commune_index", "name_key", "read_coordinates", "in_france", "looks_projected", "communes_at",
           "near_commune", "commune_points", "COMMUNE_TOLERANCE_DEG"]

# a point this close to its declared commune (in degrees, ≈ 1 km north-south) is not reported:
# the embedded outlines are simplified and town-hall points sit near borders
COMMUNE_TOLERANCE_DEG = 0.01
_ARTICLES = {"l", "le", "la", "les"}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_PLM = re.compile(r"^(paris|lyon|marseille)\s+\d{1,2}\s*(?:e|er|eme|ieme)?(?:\s+arrondissement)?$")
_DEP_IN_NAME = re.compile(r"\s*\((\d{1,3}|2[ABab])\)\s*$")
_CEDEX = re.compile(r"\s+cedex(?:\s+\d+)?$")
_CODE_LIKE = re.compile(r"^\s*(?:\d{3,5}(?:\.0+)?|2[ABab]\d{3})\s*$")
_DEP_CODE = re.compile(r"^\s*(\d{1,3}|2[ABab])(?:\s*(?:[-–(]|$))")


def name_key(name: object) -> str:
    """Folded commune name with « St »/« Ste » expanded and arrondissements / CEDEX removed."""
    key = _CEDEX.sub("", fold(name))
    key = " ".join(_ABBREVIATIONS.get(t, t) for t in key.split())
    plm = _PLM.match(key)
    return plm.group(1) if plm else key


def _loose(key: str) -> str:
    tokens = key.split()
    return " ".join(tokens[1:]) if len(tokens) > 1 and tokens[0] in _ARTICLES else key


@dataclass
class Resolution:
    """Outcome for one row: the commune code (or None) and what to tell the user."""

    code: str | None = None
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


class CommuneIndex:
    """Name and code lookups over the reference communes, memoised per distinct input."""

    def __init__(self, communes: pd.DataFrame, departements: pd.DataFrame | None = None) -> None:
        self.names = communes["nom"].astype(str)
        self.deps = communes["code_dep"].astype(str)
        self.codes = set(communes.index)
        self.exact: dict[str, list[str]] = defaultdict(list)
        self.loose: dict[str, list[str]] = defaultdict(list)
        for code, name in self.names.items():
            key = name_key(name)
            self.exact[key].append(code)
            self.loose[_loose(key)].append(code)
        self.dep_codes = set(self.deps)
        self.dep_names = {fold(n): c for c, n in departements["nom"].items()} if departements is not None else {}
        self._memo: dict[tuple, Resolution] = {}
        self._suggested = 0

    def new_file(self) -> None:
        """Forget per-file state: the suggestion budget, and the memo when it grows large."""
        self._suggested = 0
        if len(self._memo) > 200_000:
            self._memo.clear()

    def label(self, code: str) -> str:
        return f"{code} ({self.names[code]}, {self.deps[code]})"

    # --- départements --------------------------------------------------------------------------
    def departments(self, text: str | None) -> tuple[set[str] | None, str | None]:
        """Département codes meant by ``text`` (« 45 », « 1 », « Loiret », « 45 - Loiret »), and a warning."""
        if not text:
            return None, None
        match = _DEP_CODE.match(text)
        if match:
            code = match.group(1).upper()
            code = code.zfill(2) if code.isdigit() and len(code) == 1 else code
            found = {"2A", "2B"} if code == "20" else {code}
            if found & self.dep_codes:
                return found, None
        key = fold(re.sub(r"^\s*\S+\s*[-–]\s*", "", text)) if match else fold(text)
        if key in self.dep_names:
            return {self.dep_names[key]}, None
        return None, f"département « {text} » non reconnu : ignoré"

    @staticmethod
    def postcode_departments(text: str | None) -> set[str] | None:
        """Likely départements of a postcode (a hint only: a few postcodes cross département lines)."""
        digits = re.sub(r"\D", "", text or "")
        if len(digits) == 4:
            digits = "0" + digits
        if len(digits) != 5:
            return None
        if digits.startswith("97"):
            return {digits[:3]}
        return {"2A", "2B"} if digits.startswith("20") else {digits[:2]}

    # --- communes ------------------------------------------------------------------------------
    def resolve(self, code_text: str | None, name_text: str | None, dep_text: str | None = None, postcode: str | None = None) -> Resolution:
        key = (code_text, name_text, dep_text, postcode)
        if key not in self._memo:
            self._memo[key] = self._resolve(*key)
        return self._memo[key]

    def _resolve(self, code_text, name_text, dep_text, postcode) -> Resolution:
        out = Resolution()
        deps, dep_warning = self.departments(dep_text)
        if dep_warning:
            out.warnings.append(dep_warning)
        if not code_text and name_text and _CODE_LIKE.match(name_text):
            code_text, name_text = name_text, None
        if code_text:
            self._by_code(out, code_text, name_text, deps)
            return out
        if name_text:
            hint = _DEP_IN_NAME.search(name_text)
            if hint and deps is None:
                deps, _ = self.departments(hint.group(1))
                name_text = name_text[: hint.start()]
            self._by_name(out, name_text, deps, self.postcode_departments(postcode))
        return out

    def _by_code(self, out: Resolution, code_text: str, name_text: str | None, deps: set[str] | None) -> None:
        try:
            code = normalize_commune_code(code_text)
        except CodeError:
            if name_text:
                out.warnings.append(f"code commune « {code_text} » invalide : la commune est cherchée par son nom")
                self._by_name(out, name_text, deps, None)
            else:
                out.error = f"code commune « {code_text} » invalide (5 caractères attendus, ex. 45208 ou 2A004)"
            return
        if code not in self.codes:
            plm = arrondissement_commune(code)
            if plm is None:
                out.error = f"code commune « {code_text} » inconnu dans le référentiel (commune fusionnée ou code erroné ?)"
                return
            out.fixes.append(f"arrondissement {code} rattaché à la commune {self.label(plm)}")
            code = plm
        elif code != code_text.strip():
            out.fixes.append(f"code commune « {code_text} » complété en {code}")
        out.code = code
        if name_text and name_key(name_text) not in (name_key(self.names[code]), _loose(name_key(self.names[code]))) \
                and _loose(name_key(name_text)) != _loose(name_key(self.names[code])):
            out.warnings.append(f"le nom « {name_text} » ne correspond pas au code {self.label(code)} : le code est retenu")
        if deps and self.deps[code] not in deps:
            out.warnings.append(f"la commune {self.label(code)} n'est pas dans le département indiqué ({', '.join(sorted(deps))})")

    def _candidates(self, name_text: str) -> list[str]:
        key = name_key(name_text)
        return self.exact.get(key) or self.loose.get(key) or self.loose.get(_loose(key)) or []

    def _by_name(self, out: Resolution, name_text: str, deps: set[str] | None, soft_deps: set[str] | None) -> None:
        cands = self._candidates(name_text)
        if not cands:
            out.error = f"commune « {name_text} » introuvable dans le référentiel" + self._suggest(name_text)
            return
        chosen = None
        if len(cands) == 1:
            chosen = cands[0]
            if deps and self.deps[chosen] not in deps:
                out.warnings.append(f"la commune {self.label(chosen)} n'est pas dans le département indiqué ({', '.join(sorted(deps))})")
        else:
            for hint in (deps, soft_deps):
                in_dep = [c for c in cands if hint and self.deps[c] in hint]
                if len(in_dep) == 1:
                    chosen = in_dep[0]
                    break
                if in_dep:
                    cands = in_dep
        if chosen is None:
            listed = ", ".join(self.label(c) for c in cands[:12]) + (" …" if len(cands) > 12 else "")
            out.error = (f"commune « {name_text} » ambiguë : {len(cands)} communes portent ce nom, préciser le département "
                         f"(colonne departement) ou le code INSEE — {listed}")
            return
        out.code = chosen
        out.fixes.append(f"commune « {name_text} » résolue en {self.label(chosen)}")

    def _suggest(self, name_text: str) -> str:
        """« vouliez-vous dire … » for the first few hundred distinct unknown names (difflib is slow)."""
        self._suggested += 1
        key = name_key(name_text)
        if self._suggested > 300 or not key:
            return ""
        pool = [k for k in self.exact if k[:1] == key[:1]]
        close = difflib.get_close_matches(key, pool, n=3, cutoff=0.85)
        labels = [self.label(c) for k in close for c in self.exact[k][:2]]
        return f" (vouliez-vous dire : {', '.join(labels)} ?)" if labels else ""


_INDEXES: dict[int, tuple[weakref.ref, int, CommuneIndex]] = {}


def commune_index(communes: pd.DataFrame, departements: pd.DataFrame | None = None) -> CommuneIndex:
    """The index of ``communes``, built once per reference table (≈ 0.5 s) and reused while it lives.

    The UI revalidates after every edit of the table: rebuilding the name index each time is waste.
    """
    key = id(communes) ^ (id(departements) << 1)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0]() is communes and cached[1] == len(communes):
        index = cached[2]
    else:
        index = CommuneIndex(communes, departements)
        _INDEXES[key] = (weakref.ref(communes, lambda _: _INDEXES.pop(key, None)), len(communes), index)
    index.new_file()
    return index


# --- coordinates -----------------------------------------------------------------------------------

def read_coordinates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Floats from text (decimal comma, ``°``, spaces accepted) and a mask of non-empty unreadable cells."""
    text = values.astype("string").str.strip().str.replace("°", "", regex=False).str.replace("\u00a0", "", regex=False)
    text = text.str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    return numbers, (text.notna() & numbers.isna()).fillna(False).astype(bool)


def in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each point falls in the box of metropolitan France or of a DROM (``FRANCE_BOUNDS``)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    inside = np.zeros(lon.shape, dtype=bool)
    for xmin, ymin, xmax, ymax in FRANCE_BOUNDS.values():
        inside |= (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
    return inside


def looks_projected(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values that look like Lambert-93 metres (x ≈ 0.1–1.3 M, y ≈ 6.0–7.2 M), in either order."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")

    def box(a, b):
        return (a > 5e4) & (a < 1.3e6) & (b > 6.0e6) & (b < 7.2e6)

    return box(x, y) | box(y, x)


def communes_at(communes: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Code of the commune containing each point (None when at sea or abroad); spatial index, then exact test."""
    out = np.full(len(lon), None, dtype=object)
    if len(lon) == 0:
        return out
    points = shapely.points(lon, lat)
    hits, poly = communes.sindex.query(points, predicate="intersects")
    codes = communes.index.to_numpy()
    first = ~pd.Series(hits).duplicated().to_numpy()
    out[hits[first]] = codes[poly[first]]
    return out


def near_commune(communes: gpd.GeoDataFrame, codes: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each point lies in (or within ``COMMUNE_TOLERANCE_DEG`` of) its commune; True when unknown."""
    geoms = communes.geometry.reindex(pd.Index(codes, dtype=object)).to_numpy()
    known = ~pd.isna(geoms)
    out = np.ones(len(codes), dtype=bool)
    if known.any():
        out[known] = shapely.dwithin(geoms[known], shapely.points(lon[known], lat[known]), COMMUNE_TOLERANCE_DEG)
    return out


def commune_points(communes: gpd.GeoDataFrame, codes: pd.Series) -> pd.DataFrame:
    """A point inside each commune (``representative_point``, never outside a concave outline), by row."""
    unique = pd.Index(codes.dropna().unique())
    geoms = communes.geometry.reindex(unique)
    has = geoms.notna() & ~geoms.is_empty
    points = gpd.GeoSeries(geoms[has], crs=communes.crs).representative_point()
    table = pd.DataFrame({"longitude": points.x, "latitude": points.y}).reindex(unique)
    return table.reindex(codes.to_numpy()).set_index(codes.index)

