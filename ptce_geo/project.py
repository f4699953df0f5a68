"""A PTCE project: one GeoPackage file that holds the whole diagnostic and its history.

Layers (readable in QGIS as they are): ``territoires`` (outline of each candidate territory),
``acteurs`` (points). Attribute tables: ``ptce_meta`` (application id, schema version, revision),
``definitions`` (how each territory was built, JSON), ``constats`` (shared findings), ``profil``
(PTCE profile, JSON values) and ``instantanes`` (dated snapshots of the baseline, JSON).

Saves are atomic (temporary file + rename). Each save increments a revision stored in the
file; saving over a file whose revision moved since it was opened is a conflict, never a silent
overwrite (two browser tabs on one project).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from filelock import FileLock
from pathvalidate import sanitize_filename

from .errors import ProjectError

__all__ = [
    "SCHEMA_VERSION",
    "APPLICATION",
    "PROFILE_DEFAULTS",
    "MATURITY_MARKERS",
    "Project",
    "ProjectConflictError",
    "save_project",
    "open_project",
    "project_path",
    "free_project_path",
    "list_projects",
    "project_info",
    "snapshot_rows",
    "compare_snapshots",
]

APPLICATION = "ptce-geo"
SCHEMA_VERSION = 2
_SQLITE_MAGIC = b"SQLite format 3\x00"

MATURITY_MARKERS: dict[str, str] = {
    "besoins": "Besoins du territoire identifiés",
    "pluralite": "Pluralité des parties prenantes",
    "structuration": "Structuration du collectif",
    "implication": "Implication des parties prenantes",
    "realisations": "Projets réalisés",
    "modelisation": "Capacité à modéliser et essaimer la démarche",
}
PROFILE_DEFAULTS: dict[str, object] = {
    "type_ptce": "PTCE de territoire",  # ou "PTCE filière"
    "logiques_action": [],  # interconnaissance et réseau, accompagnement-incubation, ingénierie et développement de projets
    "logique_dominante": "",
    "stade": "émergent",  # émergent / en développement / historique
    "marqueurs": {key: 0 for key in MATURITY_MARKERS},  # auto-évaluation 0 (absent) à 4 (acquis)
    "gouvernance": "aucune",  # portage par une structure existante / association / SCIC / aucune
    "fonctions": [],  # coordination, animation, ingénierie
    "tiers_lieu": False,
}
FINDING_COLUMNS = ["id", "texte", "theme", "auteur", "date", "communes", "epci"]
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
    geography_vintage: str = ""
    created: str = field(default_factory=_now)
    revision: int = 0

    def add_finding(self, texte: str, theme: str = "", auteur: str = "", date: str | None = None,
                    communes: list[str] | None = None, epci: list[str] | None = None) -> None:
        """A shared finding (constat partagé); empty text is refused."""
        if not texte or not texte.strip():
            raise ProjectError("Un constat partagé doit avoir un texte.")
        next_id = int(pd.to_numeric(self.findings["id"]).max()) + 1 if len(self.findings) else 1
        row = {"id": next_id, "texte": texte.strip(), "theme": theme, "auteur": auteur, "date": date or _now()[:10],
               "communes": ",".join(communes or []), "epci": ",".join(epci or [])}
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
    return [{**r, "contenu": json.loads(r["contenu"])} for r in rows]


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
    if not name or not name.strip():
        raise ProjectError("Le nom du projet est vide.")
    safe = sanitize_filename(name.strip().replace("/", "_").replace("\\", "_"), platform="universal", replacement_text="_")
    safe = safe.lstrip(".").strip() or "projet"
    path = (Path(folder) / f"{safe}.gpkg").resolve()
    if path.parent != Path(folder).resolve():
        raise ProjectError(f"Nom de projet refusé : « {name} ».")
    return path


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
            "revision": int(meta.get("revision", 0) or 0), "territoire_actif": meta.get("territoire_actif", ""),
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
    pyogrio.write_dataframe(_meta_rows(project), path, layer="ptce_meta")


def _disk_revision(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        meta = _read_meta(path)
    except ProjectError:
        return None
    return int(meta.get("revision", 0))


def save_project(project: Project, path: Path | str, force: bool = False) -> Path:
    """Write ``project`` atomically to ``path``; refuses to overwrite a newer save (conflict) unless ``force``.

    A file that is not a ptce-geo project is never overwritten.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
        raise ProjectError(f"{name} : lecture impossible ({exc.strerror}).") from exc
    if head != _SQLITE_MAGIC:
        raise ProjectError(f"{name} : ce n'est pas un fichier GeoPackage de projet ptce-geo.")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT cle, valeur FROM ptce_meta").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"{name} : GeoPackage corrompu ou étranger (pas de métadonnées ptce-geo : {exc}).") from exc
    meta = dict(rows)
    if meta.get("application") != APPLICATION:
        raise ProjectError(f"{name} : ce GeoPackage n'a pas été créé par ptce-geo.")
    return meta


def _migrate(meta: dict[str, str], layers: dict[str, pd.DataFrame], path: Path) -> None:
    """Bring an older file's tables to the current schema (in memory; saved on the next save)."""
    version = int(meta.get("schema_version", 1))
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
            decoded = json.loads(profile["profil"].iloc[0]) if len(profile) else {}
            layers["profil"] = pd.DataFrame({"cle": list(decoded), "valeur": [json.dumps(v, ensure_ascii=False) for v in decoded.values()]})


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
    project = Project(name=meta.get("nom", path.stem), active=meta.get("territoire_actif", ""),
                      geography_vintage=meta.get("millesime_geographie", ""), created=meta.get("cree_le", _now()),
                      revision=int(meta.get("revision", 0)))
    if "definitions" in layers:
        project.territories = {r["nom"]: json.loads(r["definition"]) for r in layers["definitions"].to_dict("records")}
    if "territoires" in layers:
        outlines = layers["territoires"]
        project.outlines = dict(zip(outlines["nom"], outlines.geometry, strict=True))
    if "communes" in layers:
        project.communes = layers["communes"].set_index("code_commune") if "code_commune" in layers["communes"] else layers["communes"]
    if "acteurs" in layers:
        project.actors = layers["acteurs"]
    if "constats" in layers:
        project.findings = layers["constats"].reindex(columns=FINDING_COLUMNS).fillna("")
        project.findings["id"] = pd.to_numeric(project.findings["id"]).astype("int64")
    if "profil" in layers:
        stored = {r["cle"]: json.loads(r["valeur"]) for r in layers["profil"].to_dict("records")}
        project.profile = {**json.loads(json.dumps(PROFILE_DEFAULTS)), **stored}
    if "instantanes" in layers:
        project.snapshots = layers["instantanes"].reindex(columns=SNAPSHOT_COLUMNS)
        project.snapshots["id"] = pd.to_numeric(project.snapshots["id"]).astype("int64")
    return project
