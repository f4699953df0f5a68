"""The projects folder and the rules of a project's content: create, import, findings, candidate territories.

A project is one GeoPackage (``ptce_geo.project``) in the projects folder (``data/projets/``, or
``$PTCE_GEO_PROJECTS_DIR``). These rules hold for the Projet page and the command line alike.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..errors import ProjectError
from ..project import Project, free_project_path, list_projects, open_project, project_info, project_path, save_project
from .actor_schema import THEMES, canonical_theme

__all__ = ["PROJECTS_ENV", "MAX_UPLOAD_MB", "DEFAULT_TERRITORY", "FINDING_THEMES", "projects_dir", "catalogue", "create_project",
           "import_project_file", "add_finding", "remove_findings", "remove_territory", "snapshot_label"]

PROJECTS_ENV = "PTCE_GEO_PROJECTS_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "projets"
MAX_UPLOAD_MB = 50
DEFAULT_TERRITORY = "Territoire d'action"
FINDING_THEMES = THEMES  # one vocabulary with the actors' themes, so that findings and actors can be crossed


def projects_dir() -> Path:
    """The server-side projects folder: ``$PTCE_GEO_PROJECTS_DIR`` or ``data/projets/``."""
    return Path(os.environ.get(PROJECTS_ENV) or DEFAULT_DIR).resolve()


def catalogue(folder: Path | None = None) -> list[dict]:
    """The projects of ``folder`` (default: the projects folder), last saved first; unreadable files say why."""
    rows = []
    for path in list_projects(folder or projects_dir()):
        try:
            rows.append({**project_info(path), "erreur": ""})
        except ProjectError as exc:
            rows.append({"fichier": path.stem, "nom": path.stem, "modifie_le": "", "revision": 0, "territoire_actif": "",
                         "millesime_geographie": "", "erreur": str(exc)})
    return sorted(rows, key=lambda r: r["modifie_le"], reverse=True)


def create_project(folder: Path, project: Project, replace: bool = False) -> Path:
    """Save a new ``project`` in ``folder`` under its (safe) name; an existing project is replaced only if ``replace``.

    A file that is not a ptce-geo project is never replaced (``save_project`` refuses it).
    """
    if not project.name or not project.name.strip():
        raise ProjectError("Donnez un nom au projet.")
    path = project_path(folder, project.name)
    if path.exists() and not replace:
        raise ProjectError(f"Un projet « {path.stem} » existe déjà : cochez « Remplacer le projet existant » "
                           "ou choisissez un autre nom.")
    return save_project(project, path, force=replace)


def import_project_file(folder: Path, data: bytes, filename: str) -> tuple[Project, Path]:
    """Copy an uploaded project file into ``folder``; foreign, corrupt or oversized files are refused.

    Nothing is overwritten: when the name is taken the copy becomes ``nom (2)``.
    """
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise ProjectError(f"{filename} : fichier trop volumineux ({len(data) / 1024 / 1024:.0f} Mo ; maximum {MAX_UPLOAD_MB} Mo).")
    if not filename.lower().endswith(".gpkg"):
        raise ProjectError(f"{filename} : un projet est un fichier GeoPackage (.gpkg).")
    project = open_project(data, filename)
    path = free_project_path(folder, project.name or Path(filename).stem)
    if path.stem != project_path(folder, project.name or Path(filename).stem).stem:
        project.name = path.stem
    save_project(project, path)
    return project, path


def add_finding(project: Project, texte: str, theme: str | None, auteur: str | None, date: str,
                communes: list[str], epci: list[str], souleve_par: str | None = None, partage_par: list[str] | None = None) -> None:
    """A shared finding, its author's name trimmed; ``souleve_par``/``partage_par``: structures of the inventory (an empty
    text or an unknown structure is refused by ``Project.add_finding``)."""
    project.add_finding(texte, theme=canonical_theme(theme or ""), auteur=(auteur or "").strip(), date=date, communes=communes, epci=epci,
                        souleve_par=souleve_par or "", partage_par=[a for a in partage_par or [] if a != souleve_par])


def remove_findings(project: Project, ids: list[int]) -> None:
    findings = project.findings
    project.findings = findings[~pd.to_numeric(findings["id"]).isin(ids)].reset_index(drop=True)


def remove_territory(project: Project, name: str) -> None:
    """Remove a candidate territory; the active one cannot be removed (the pages show it)."""
    if name == project.active:
        raise ProjectError("Le territoire actif ne peut pas être supprimé : activez d'abord un autre territoire.")
    project.territories.pop(name, None)
    project.outlines.pop(name, None)


def snapshot_label(label: str | None, now: datetime) -> str:
    """The label of a snapshot: the user's, or « Instantané du JJ/MM/AAAA »."""
    return (label or "").strip() or f"Instantané du {now:%d/%m/%Y}"
