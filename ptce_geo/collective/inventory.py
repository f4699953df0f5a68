"""The actor side of a diagnostic in one call: read, validate, place, summarise, export.

The command line, the Acteurs page and projects all go through here, so an inventory is read
and judged the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..csvsafe import to_csv_bytes
from ..reference import Reference
from ..sources.sirene import SireneStore
from .actors import Geocoder, actors_to_csv_bytes, place_actors, read_actors, validate_actors
from .actors_summary import ActorSummary, summarise_actors
from .analysis import collective_tables

__all__ = ["Inventory", "load_inventory", "summarise_inventory", "inventory_files"]


@dataclass
class Inventory:
    """Placed actors (EPSG:4326 points), the row-by-row report, and (once a territory is known) the summary."""

    actors: gpd.GeoDataFrame
    report: pd.DataFrame
    summary: ActorSummary | None = None

    @property
    def refused(self) -> int:
        return int((self.report["statut"] == "refusé").sum())


def load_inventory(ref: Reference, source: str | Path | bytes, name: str | None = None, *, keep_personal: bool = False,
                   geocoder: Geocoder | None = None, progress: Callable[[float, str], None] | None = None,
                   sirene: SireneStore | None = None) -> Inventory:
    """Read and validate an inventory file, then place each accepted actor (coordinates, BAN address, or commune);
    ``sirene`` (the cache's Sirene tables) fills what an actor's SIRET tells."""
    raw = read_actors(source, name)
    actors, report = validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=keep_personal, sirene=sirene)
    return Inventory(place_actors(actors, ref.communes, geocoder=geocoder, progress=progress), report)


def summarise_inventory(inventory: Inventory, ref: Reference, territory_communes: list[str]) -> Inventory:
    """The inventory with its summary for one territory (counts, plurality, blind spots, alerts)."""
    summary = summarise_actors(inventory.actors, territory_communes, ref.communes, ref.epci)
    return Inventory(inventory.actors, inventory.report, summary)


def inventory_files(inventory: Inventory, flavour: str = "standard", findings: pd.DataFrame | None = None) -> dict[str, bytes]:
    """``acteurs.csv``, the validation report, every summary table and the collective's readings
    (interest × involvement, compétences, problématiques and their crossing by theme with ``findings``, visions)."""
    files = {"acteurs.csv": actors_to_csv_bytes(inventory.actors, flavour),
             "acteurs_rapport.csv": to_csv_bytes(inventory.report, flavour)}
    if inventory.summary is not None:
        files.update({f"{stem}.csv": to_csv_bytes(table, flavour) for stem, table in inventory.summary.tables().items()})
    files.update({f"{stem}.csv": to_csv_bytes(table, flavour) for stem, table in collective_tables(inventory.actors, findings).items()})
    return files
