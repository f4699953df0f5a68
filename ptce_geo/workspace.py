"""Glue between a project file and the diagnostic: create a project from a territory, diagnose a
project, and take the dated snapshot that lets two dates be compared.
"""

from __future__ import annotations

import math

import pandas as pd

from .collective.editing import REPORT_COLUMNS
from .collective.inventory import Inventory, summarise_inventory
from .collective.tables import snapshot_summary
from .diagnostic import Diagnostic, diagnose
from .errors import ProjectError
from .project import Project
from .reference import Reference
from .territory import Territory, TerritoryDefinition, build_territory

__all__ = ["new_project", "set_territory", "project_territory", "project_inventory", "diagnose_project", "snapshot_content"]

_COMMUNE_COLUMNS = ["nom", "code_epci", "code_dep", "population", "part_surface", "selected_by"]


def set_territory(project: Project, name: str, territory: Territory) -> None:
    """Store (or replace) the candidate territory ``name`` and make it the active one."""
    if not name.strip():
        raise ProjectError("Le territoire doit avoir un nom.")
    project.territories[name] = territory.definition.to_dict()
    project.outlines[name] = territory.geometry
    project.active = name
    project.geography_vintage = territory.geography_vintage
    project.communes = territory.communes[[c for c in _COMMUNE_COLUMNS if c in territory.communes] + ["geometry"]]


def project_territory(ref: Reference, project: Project, name: str | None = None) -> Territory:
    """The territory ``name`` (default: the active one) rebuilt on the current reference."""
    name = name or project.active
    if name not in project.territories:
        raise ProjectError(f"Le projet « {project.name} » n'a pas de territoire « {name} ».")
    return build_territory(ref, TerritoryDefinition.from_dict(project.territories[name]))


def project_inventory(ref: Reference, project: Project, territory: Territory) -> Inventory | None:
    """The project's stored actors with their summary for ``territory`` (``None`` without actors)."""
    if project.actors is None or not len(project.actors):
        return None
    inventory = Inventory(project.actors, pd.DataFrame(columns=REPORT_COLUMNS))
    return summarise_inventory(inventory, ref, list(territory.communes.index))


def diagnose_project(ref: Reference, project: Project) -> tuple[Diagnostic, Inventory | None]:
    territory = project_territory(ref, project)
    return diagnose(ref, territory), project_inventory(ref, project, territory)


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def snapshot_content(diag: Diagnostic, inventory: Inventory | None, project: Project) -> dict:
    """What a dated snapshot keeps: key figures, indicator values, alerts, actor counts, maturity markers, and the
    collective's tables (rows, counts of each closed value, totals: ``collective.tables.snapshot_summary``)."""
    summary = diag.summary
    content = {
        "territoire": {k: _plain(diag.overview[k]) for k in ("communes", "population", "surface_km2", "epci", "epci_partiels")},
        "indicateurs": {i: _plain(v) for i, v in summary.loc[summary["disponible"], "valeur_territoire"].items()},
        "alertes": sorted(a.code for a in diag.alerts),
        "marqueurs": dict(project.profile.get("marqueurs", {})),
        "collectif": snapshot_summary(project.tables),
    }
    if inventory is not None and inventory.summary is not None:
        by_inv = inventory.summary.by_involvement
        content["acteurs"] = {"total": len(inventory.actors),
                              **{str(k): _plain(v) for k, v in by_inv.get("acteurs", pd.Series(dtype="int64")).items()}}
    return content


def new_project(ref: Reference, name: str, definition: TerritoryDefinition, inventory: Inventory | None = None,
                territory_name: str = "Territoire d'action") -> tuple[Project, Diagnostic]:
    """A project on one territory (and inventory), with its first dated snapshot."""
    territory = build_territory(ref, definition)
    project = Project(name=name)
    set_territory(project, territory_name, territory)
    if inventory is not None:
        project.actors = inventory.actors
        inventory = summarise_inventory(inventory, ref, list(territory.communes.index))
    diag = diagnose(ref, territory)
    project.add_snapshot("Création du projet", snapshot_content(diag, inventory, project))
    return project, diag
