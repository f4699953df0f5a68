"""A PTCE project: one GeoPackage file that holds the whole diagnostic and its history.

Layers (readable in QGIS as they are): ``territoires`` (outline of each candidate territory),
``acteurs`` (points). Attribute tables: ``ptce_meta`` (application id, schema version, revision),
``definitions`` (how each territory was built, JSON), ``constats`` (shared findings, with the actors
who raised and share them), ``profil`` (PTCE profile, JSON values), ``instantanes`` (dated snapshots
of the baseline, JSON), and every table of the collective registered in ``collective.tables``
(groups, activity projects, meetings, contacts…), written and read generically (``Project.tables``).
Schema 3 added those tables; a schema 2 file opens with them empty and is saved as schema 3.

Saves are atomic (temporary file + rename). Each save increments a revision stored in the
file; saving over a file whose revision moved since it was opened is a conflict, never a silent
overwrite (two browser tabs on one project).

A file is read defensively: broken or deeply nested JSON, non-numeric metadata and foreign
GeoPackages raise ``ProjectError`` in French, never a bare traceback. Names become safe file names
(``MAX_NAME_CHARS`` characters, file stem cut at ``MAX_STEM_BYTES`` bytes so that the lock and
temporary names stay under the 255-byte limit of file systems). A save removes what an interrupted
one left behind: temporary files older than ``STALE_TEMP_S``, lock files older than ``STALE_LOCK_S``.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from filelock import FileLock, Timeout
from pathvalidate import sanitize_filename

from ._jsonsafe import too_deep
from .collective import tables as collective_tables
from .collective.actor_schema import canonical_theme
from .collective.governance import upgrade_profile
from .errors import CollectiveError, ProjectError, os_reason

__all__ = [
    "SCHEMA_VERSION",
    "APPLICATION",
    "PROFILE_DEFAULTS",
    "OLD_PROFILE_VALUES",
    "MATURITY_MARKERS",
    "Project",
    "ProjectConflictError",
    "save_project",
    "open_project",
    "project_path",
    "free_project_path",
    "check_project_name",
    "list_projects",
    "project_info",
    "snapshot_rows",
    "compare_snapshots",
    "clean_stale_files",
    "MAX_NAME_CHARS",
    "MAX_STEM_BYTES",
    "MAX_JSON_DEPTH",
]

APPLICATION = "ptce-geo"
SCHEMA_VERSION = 3
_SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_NAME_CHARS = 100
MAX_STEM_BYTES = 150  # + ".gpkg.lock" or the temporary ".<stem>.XXXXXXXX.gpkg": under 255 bytes
MAX_JSON_DEPTH = 32  # a territory definition with a MultiPolygon nests 6 levels
STALE_TEMP_S = 3_600.0
STALE_LOCK_S = 86_400.0

# the six markers of maturity of the Institut Godin guide (2025, « Maturité des PTCE »), in its order and close to its words
MATURITY_MARKERS: dict[str, str] = {
    "besoins": "Identification et construction des besoins du territoire",
    "pluralite": "Pluralité et hétérogénéité des parties prenantes",
    "structuration": "Structuration du collectif autour de la démarche et de ses axes de développement",
    "implication": "Implication des parties prenantes",
    "realisations": "Concrétisations du pôle en projets",
    "modelisation": "Capacité à conscientiser et modéliser l'action pour l'essaimer",
}
# no preset answer: a field nobody filled stays unanswered (None, no marker scored)
PROFILE_DEFAULTS: dict[str, object] = {
    "type_ptce": None,  # "PTCE de territoire" ou "PTCE filière"
    "logiques_action": [],  # interconnaissance et réseau, accompagnement-incubation, ingénierie et développement de projets
    "logique_dominante": "",
    "stade": None,  # émergent / existant / historique (guide de l'Institut Godin, 2025)
    "marqueurs": {},  # auto-évaluation 0 (absent) à 4 (acquis), échelle propre à l'application ; absent = non évalué
    # the guide's three levels of formalisation, and the governance bodies apart from them (collective.governance)
    "formalisation": None,
    "structure_porteuse": None,
    "instances": [],
    "lieu": None,  # a place, and apart from it whether that place is a tiers-lieu
    "lieu_adresse": None,
    "lieu_fourni_par": None,
    "lieu_modalites": None,
    "tiers_lieu": None,
}
# values written by older versions, read in the guide's words
OLD_PROFILE_VALUES: dict[str, dict[str, str]] = {"stade": {"en développement": "existant"}}
# souleve_par: the actor (structure name) who raised the finding; partage_par: the actors sharing it ("; "-separated)
FINDING_COLUMNS = ["id", "texte", "theme", "auteur", "date", "communes", "epci", "souleve_par", "partage_par"]
SNAPSHOT_COLUMNS = ["id", "date", "libelle", "territoire", "contenu"]


class ProjectConflictError(ProjectError):
    """The file was saved elsewhere (another tab) since this project was opened: nothing was written."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Project:
    """Everything a PTCE diagnostic holds, independent of the file it lives in."""

    name: str
    territories: dict[str, dict] = field(default_factory=dict)  # territory name -> TerritoryDefinition dict
    outlines: dict[str, shapely.Geometry] = field(default_factory=dict)  # territory name -> geometry (EPSG:4326)
    active: str = ""
    communes: gpd.GeoDataFrame | None = None  # communes of the active territory (part_surface, indicators…)
    actors: gpd.GeoDataFrame | None = None
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))
    profile: dict = field(default_factory=lambda: json.loads(json.dumps(PROFILE_DEFAULTS)))
    snapshots: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SNAPSHOT_COLUMNS))
    tables: dict[str, pd.DataFrame] = field(default_factory=collective_tables.empty_tables)  # layer -> collective table
    geography_vintage: str = ""
    created: str = field(default_factory=_now)
    revision: int = 0

    def add_finding(self, texte: str, theme: str = "", auteur: str = "", date: str | None = None,
                    communes: list[str] | None = None, epci: list[str] | None = None, souleve_par: str = "",
                    partage_par: list[str] | None = None) -> None:
        """A shared finding (constat partagé); empty text, or an actor absent from the inventory, is refused."""
        if not texte or not texte.strip():
            raise ProjectError("Un constat partagé doit avoir un texte.")
        names = set() if self.actors is None or "nom" not in self.actors else set(self.actors["nom"].astype(str))
        unknown = [a for a in [souleve_par, *(partage_par or [])] if a and a not in names]
        if unknown:
            raise CollectiveError(f"Constat non enregistré : acteur absent de l'inventaire : « {unknown[0]} ».")
        next_id = int(pd.to_numeric(self.findings["id"]).max()) + 1 if len(self.findings) else 1
        row = {"id": next_id, "texte": texte.strip(), "theme": theme, "auteur": auteur, "date": date or _now()[:10],
               "communes": ",".join(communes or []), "epci": ",".join(epci or []), "souleve_par": souleve_par,
               "partage_par": collective_tables.join_items(partage_par or [])}
        self.findings = pd.concat([self.findings, pd.DataFrame([row])], ignore_index=True)

    def add_snapshot(self, libelle: str, contenu: dict, date: str | None = None) -> None:
        """A dated copy of the baseline (any JSON-able content: indicators, actor counts, markers)."""
        next_id = int(pd.to_numeric(self.snapshots["id"]).max()) + 1 if len(self.snapshots) else 1
        row = {"id": next_id, "date": date or _now(), "libelle": libelle, "territoire": self.active,
               "contenu": json.dumps(contenu, ensure_ascii=False, default=str)}
        self.snapshots = pd.concat([self.snapshots, pd.DataFrame([row])], ignore_index=True)


def snapshot_rows(project: Project) -> list[dict]:
    """Snapshots with their content decoded, oldest first."""
    rows = project.snapshots.sort_values("date").to_dict("records")
    return [{**r, "contenu": _loads(r["contenu"], f"instantané « {r.get('libelle', '')} »", project.name)} for r in rows]


def _loads(text: object, what: str, name: str) -> object:
    """JSON stored in a project table, or ``ProjectError`` naming the table and the file."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:
        detail = "imbrication trop profonde" if isinstance(exc, RecursionError) else "JSON illisible"
        raise ProjectError(f"{name} : {what} : {detail} ; fichier abîmé ou modifié à la main.") from None
    if too_deep(value, MAX_JSON_DEPTH):
        raise ProjectError(f"{name} : {what} : imbrication trop profonde (plus de {MAX_JSON_DEPTH} niveaux) ; fichier refusé.")
    return value


def _flatten(content: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in content.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name} / "))
        else:
            out[name] = value
    return out


def compare_snapshots(before: dict, after: dict) -> pd.DataFrame:
    """What changed between two snapshot contents: one row per figure, with the difference for numbers."""
    old, new = _flatten(before), _flatten(after)
    rows = []
    for key in list(dict.fromkeys([*old, *new])):
        a, b = old.get(key), new.get(key)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        rows.append({"element": key, "avant": a, "apres": b, "ecart": (b - a) if numeric else None,
                     "change": a != b})
    return pd.DataFrame(rows, columns=["element", "avant", "apres", "ecart", "change"])


def project_path(folder: Path | str, name: str) -> Path:
    """The file of project ``name`` in ``folder``; the name never becomes a raw path (no ``../``, no reserved names)."""
    name = check_project_name(name)
    safe = sanitize_filename(name.replace("/", "_").replace("\\", "_"), platform="universal", replacement_text="_")
    safe = safe.lstrip(".").strip() or "projet"
    safe = safe.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore").rstrip(" .") or "projet"
    path = (Path(folder) / f"{safe}.gpkg").resolve()
    if path.parent != Path(folder).resolve():
        raise ProjectError(f"Nom de projet refusé : « {name} ».")
    return path


def check_project_name(name: str) -> str:
    """The name, stripped; ``ProjectError`` for an empty name, control characters (NUL…) or more than ``MAX_NAME_CHARS``."""
    if not isinstance(name, str) or not name.strip():
        raise ProjectError("Le nom du projet est vide.")
    name = unicodedata.normalize("NFC", name.strip())
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ProjectError("Le nom du projet contient des caractères de contrôle (tabulation, retour à la ligne, caractère nul…) : "
                           "retirez-les.")
    if len(name) > MAX_NAME_CHARS:
        raise ProjectError(f"Nom de projet trop long ({len(name)} caractères, {MAX_NAME_CHARS} au plus).")
    return name


def free_project_path(folder: Path | str, name: str) -> Path:
    """``project_path(folder, name)``, or ``name (2)``, ``name (3)``… when that file exists: nothing is ever overwritten."""
    first = project_path(folder, name)
    for path in itertools.chain([first], (project_path(folder, f"{first.stem[:200]} ({n})") for n in range(2, 1000))):
        if not path.exists():
            return path
    raise ProjectError(f"Aucun nom libre pour le projet « {name} » dans le dossier des projets.")


def list_projects(folder: Path | str) -> list[Path]:
    folder = Path(folder)
    return sorted(p for p in folder.glob("*.gpkg") if not p.name.startswith(".")) if folder.is_dir() else []


def project_info(path: Path | str) -> dict[str, object]:
    """What a project list shows, read from the metadata table only (fast): name, last save, revision, active territory.

    Raises ``ProjectError`` for a file that is not a ptce-geo project.
    """
    path = Path(path)
    meta = _read_meta(path)
    return {"fichier": path.stem, "nom": meta.get("nom", path.stem), "modifie_le": meta.get("modifie_le", ""),
            "revision": _revision(meta, path.name), "territoire_actif": meta.get("territoire_actif", ""),
            "millesime_geographie": meta.get("millesime_geographie", "")}


# --- writing -------------------------------------------------------------------------------

def _meta_rows(project: Project) -> pd.DataFrame:
    meta = {"application": APPLICATION, "schema_version": str(SCHEMA_VERSION), "nom": project.name, "cree_le": project.created,
            "modifie_le": _now(), "revision": str(project.revision + 1), "territoire_actif": project.active,
            "millesime_geographie": project.geography_vintage}
    return pd.DataFrame({"cle": list(meta), "valeur": list(meta.values())})


def _as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Attribute tables are stored as text (ids as integers) so empty tables keep their columns."""
    out = frame.reindex(columns=columns).copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col]).astype("int64") if col == "id" else out[col].fillna("").astype(str)
    return out


def _write(project: Project, path: Path) -> None:
    if project.territories:
        names = list(project.territories)
        outlines = gpd.GeoDataFrame({"nom": names, "actif": [n == project.active for n in names]},
                                    geometry=[project.outlines.get(n) for n in names], crs=4326)
        pyogrio.write_dataframe(outlines, path, layer="territoires", promote_to_multi=True)
        pyogrio.write_dataframe(pd.DataFrame({"nom": names, "definition": [json.dumps(project.territories[n]) for n in names]}),
                                path, layer="definitions")
    if project.communes is not None and len(project.communes):
        pyogrio.write_dataframe(project.communes.reset_index(), path, layer="communes", promote_to_multi=True)
    if project.actors is not None and len(project.actors):
        pyogrio.write_dataframe(project.actors, path, layer="acteurs")
    pyogrio.write_dataframe(_as_text(project.findings, FINDING_COLUMNS), path, layer="constats")
    pyogrio.write_dataframe(pd.DataFrame({"cle": list(project.profile),
                                          "valeur": [json.dumps(v, ensure_ascii=False) for v in project.profile.values()]}),
                            path, layer="profil")
    pyogrio.write_dataframe(_as_text(project.snapshots, SNAPSHOT_COLUMNS), path, layer="instantanes")
    specs = collective_tables.registered()
    for layer, frame in {**collective_tables.empty_tables(), **project.tables}.items():
        pyogrio.write_dataframe(collective_tables.to_storage(specs.get(layer), frame), path, layer=layer)
    pyogrio.write_dataframe(_meta_rows(project), path, layer="ptce_meta")


def _disk_revision(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        return _revision(_read_meta(path), path.name)
    except ProjectError:
        return None


def _whole(meta: dict[str, str], key: str, default: int, name: str) -> int:
    value = meta.get(key) or default
    try:
        return int(value)
    except (TypeError, ValueError):
        label = {"revision": "révision", "schema_version": "version de schéma"}.get(key, key)
        raise ProjectError(f"{name} : {label} « {str(value)[:40]} » illisible (nombre entier attendu) ; fichier abîmé.") from None


def _revision(meta: dict[str, str], name: str) -> int:
    return _whole(meta, "revision", 0, name)


def clean_stale_files(folder: Path | str, now: float | None = None) -> list[Path]:
    """Remove the temporary files of interrupted saves (``STALE_TEMP_S``) and unused lock files (``STALE_LOCK_S``).

    A lock file is rewritten at each acquisition, so its age is the time since the last save; it is
    removed only while held here (never under a running save). Returns what was removed.
    """
    folder, now = Path(folder), time.time() if now is None else now
    removed = []
    for path in [*folder.glob(".*.gpkg"), *folder.glob(".*.tmp"), *folder.glob("*.gpkg.lock")]:
        try:
            age = now - path.stat().st_mtime
            if path.suffix == ".lock":
                if age <= STALE_LOCK_S:
                    continue
                with FileLock(str(path), timeout=0):
                    path.unlink(missing_ok=True)
            elif age > STALE_TEMP_S:
                path.unlink(missing_ok=True)
            else:
                continue
        except (OSError, Timeout):
            continue
        removed.append(path)
    return removed


def save_project(project: Project, path: Path | str, force: bool = False) -> Path:
    """Write ``project`` atomically to ``path``; refuses to overwrite a newer save (conflict) unless ``force``.

    A file that is not a ptce-geo project is never overwritten.
    """
    path = Path(path)
    if len(path.name.encode("utf-8")) + len(".lock") > 255 or "\x00" in str(path):
        raise ProjectError(f"Nom de fichier de projet trop long ou invalide : « {path.name[:60]}… ».")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_files(path.parent)
        return _save_locked(project, path, force)
    except OSError as exc:
        raise ProjectError(f"{path} : écriture impossible ({os_reason(exc)}). Rien n'a été modifié.") from exc


def _save_locked(project: Project, path: Path, force: bool) -> Path:
    with FileLock(str(path) + ".lock", timeout=30):
        if path.exists():
            try:
                _read_meta(path)
            except ProjectError as exc:
                raise ProjectError(f"{path.name} existe et n'est pas un projet ptce-geo : il ne sera pas écrasé.") from exc
        disk = _disk_revision(path)
        if disk is not None and disk != project.revision and not force:
            raise ProjectConflictError(
                f"Conflit : « {path.name} » a été enregistré ailleurs (révision {disk}, la vôtre part de la révision "
                f"{project.revision}). Rechargez le projet ou enregistrez sous un autre nom."
            )
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            _write(project, Path(tmp))
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    project.revision += 1
    return path


# --- reading -------------------------------------------------------------------------------

def _read_meta(path: Path, name: str | None = None) -> dict[str, str]:
    name = name or path.name
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise ProjectError(f"{name} : lecture impossible ({os_reason(exc)}).") from exc
    if head != _SQLITE_MAGIC:
        raise ProjectError(f"{name} : ce n'est pas un fichier GeoPackage de projet ptce-geo.")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT cle, valeur FROM ptce_meta LIMIT 1000").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"{name} : GeoPackage corrompu ou étranger (pas de métadonnées ptce-geo : {exc}).") from exc
    try:
        meta = {str(k): "" if v is None else str(v) for k, v in rows}
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"{name} : table des métadonnées ptce-geo illisible.") from exc
    if meta.get("application") != APPLICATION:
        raise ProjectError(f"{name} : ce GeoPackage n'a pas été créé par ptce-geo.")
    return meta


def _migrate(meta: dict[str, str], layers: dict[str, pd.DataFrame], path: Path) -> None:
    """Bring an older file's tables to the current schema (in memory; saved on the next save)."""
    version = _whole(meta, "schema_version", 1, path.name)
    if version > SCHEMA_VERSION:
        raise ProjectError(f"{path.name} : créé par une version plus récente de ptce-geo (schéma {version}) ; mettez l'application à jour.")
    if version < 2:
        # schema 1 stored findings without epci/communes and the profile as a single JSON row
        findings = layers.get("constats")
        if findings is not None:
            for col in ("communes", "epci"):
                if col not in findings:
                    findings[col] = ""
        profile = layers.get("profil")
        if profile is not None and list(profile.columns) == ["profil"]:
            decoded = _loads(profile["profil"].iloc[0], "profil", path.name) if len(profile) else {}
            if not isinstance(decoded, dict):
                raise ProjectError(f"{path.name} : profil illisible (objet JSON attendu).")
            layers["profil"] = pd.DataFrame({"cle": list(decoded), "valeur": [json.dumps(v, ensure_ascii=False) for v in decoded.values()]})
    # schema 2 -> 3: the collective's tables and the findings' souleve_par/partage_par did not exist; ``_assemble``
    # adds them empty (every registered table, every finding column), so nothing else changes


def open_project(source: Path | str | bytes, name: str = "projet.gpkg") -> Project:
    """Read a project file (path or uploaded bytes); foreign, truncated or corrupt files are refused."""
    if isinstance(source, bytes):
        fd, tmp = tempfile.mkstemp(suffix=".gpkg")
        with os.fdopen(fd, "wb") as handle:
            handle.write(source)
        try:
            return open_project(Path(tmp), name)
        finally:
            Path(tmp).unlink(missing_ok=True)
    path = Path(source)
    name = path.name if name == "projet.gpkg" else name
    meta = _read_meta(path, name)
    try:
        available = {row[0] for row in pyogrio.list_layers(path)}
        layers = {layer: pyogrio.read_dataframe(path, layer=layer) for layer in available if layer != "ptce_meta"}
    except Exception as exc:  # pyogrio raises DataSourceError on truncated files
        raise ProjectError(f"{name} : GeoPackage tronqué ou corrompu ({exc}).") from exc
    _migrate(meta, layers, path)
    try:
        return _assemble(meta, layers, path, name)
    except ProjectError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a table altered outside ptce-geo
        raise ProjectError(f"{name} : contenu du projet illisible ({type(exc).__name__} : {str(exc)[:120]}) ; "
                           "fichier abîmé ou modifié par un autre outil.") from exc


def _assemble(meta: dict[str, str], layers: dict[str, pd.DataFrame], path: Path, name: str) -> Project:
    """The project held by the tables read from ``path``; every stored JSON value is checked here, once."""
    project = Project(name=meta.get("nom", path.stem), active=meta.get("territoire_actif", ""),
                      geography_vintage=meta.get("millesime_geographie", ""), created=meta.get("cree_le", _now()),
                      revision=_revision(meta, name))
    if "definitions" in layers:
        project.territories = {str(r["nom"]): _loads(r["definition"], f"définition du territoire « {r['nom']} »", name)
                               for r in layers["definitions"].to_dict("records")}
        bad = [n for n, d in project.territories.items() if not isinstance(d, dict)]
        if bad:
            raise ProjectError(f"{name} : définition du territoire « {bad[0]} » illisible (objet JSON attendu).")
    if "territoires" in layers:
        outlines = layers["territoires"]
        project.outlines = dict(zip(outlines["nom"], outlines.geometry, strict=True))
    if "communes" in layers:
        project.communes = layers["communes"].set_index("code_commune") if "code_commune" in layers["communes"] else layers["communes"]
    if "acteurs" in layers:
        project.actors = layers["acteurs"]
    if "constats" in layers:
        project.findings = layers["constats"].reindex(columns=FINDING_COLUMNS).astype(object).fillna("")
        project.findings["id"] = pd.to_numeric(project.findings["id"]).astype("int64")
        project.findings["theme"] = project.findings["theme"].map(canonical_theme)  # themes of older versions, shared spelling
    if "profil" in layers:
        stored = {str(r["cle"]): _loads(r["valeur"], f"profil (« {r['cle']} »)", name) for r in layers["profil"].to_dict("records")}
        stored = {k: OLD_PROFILE_VALUES.get(k, {}).get(v, v) if isinstance(v, str) else v for k, v in stored.items()}
        project.profile = upgrade_profile({**json.loads(json.dumps(PROFILE_DEFAULTS)), **stored})
    if "instantanes" in layers:
        project.snapshots = layers["instantanes"].reindex(columns=SNAPSHOT_COLUMNS)
        project.snapshots["id"] = pd.to_numeric(project.snapshots["id"]).astype("int64")
        for row in project.snapshots.itertuples(index=False):
            _loads(row.contenu, f"instantané « {row.libelle} »", name)
    project.tables = _collective(layers)
    return project


def _collective(layers: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every registered table (empty when the file has none) and, unchanged, any other table a newer version wrote."""
    specs = collective_tables.registered()
    out = collective_tables.empty_tables()
    for layer, frame in layers.items():
        if layer in specs:
            out[layer] = collective_tables.read_table(specs[layer], frame)
        elif layer not in collective_tables.CORE_LAYERS:
            out[layer] = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore").fillna("").astype(str)
    return out
