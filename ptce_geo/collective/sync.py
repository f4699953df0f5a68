"""What an autosave may copy into a project, and the guard that keeps a project's actors from being wiped.

A page saves the open project after each change. An inventory that is empty, or was never loaded,
must not replace the actors the project file holds: that takes an explicit action of the user
(« Vider l'inventaire », confirmed). ``decide_actors`` is the autosave's rule; ``save_collective``
checks the file itself before writing, so that no caller can skip the rule.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from ..errors import ProjectError
from ..project import Project, save_project

__all__ = ["InventoryWipeError", "ActorsDecision", "actor_count", "decide_actors", "stored_actor_count", "save_collective"]


class InventoryWipeError(ProjectError):
    """Saving would replace the actors held in the project file by an empty inventory the user did not ask for."""


@dataclass(frozen=True)
class ActorsDecision:
    """What the autosave does with the actors: ``write`` them (``actors``, ``None`` to remove them) or not.

    ``held_back`` counts the project's actors kept although the session's inventory is empty.
    """

    write: bool
    actors: gpd.GeoDataFrame | None = None
    held_back: int = 0


def actor_count(actors: gpd.GeoDataFrame | None) -> int:
    return 0 if actors is None else len(actors)


def decide_actors(stored: gpd.GeoDataFrame | None, current: gpd.GeoDataFrame | None, synced: object = None,
                  *, clear_confirmed: bool = False) -> ActorsDecision:
    """The autosave's rule for the actors of a project holding ``stored``, the session holding ``current``.

    ``synced`` is the actors object last copied (or loaded): the same object means nothing changed in
    the session. An empty or absent ``current`` never replaces stored actors unless ``clear_confirmed``.
    """
    if actor_count(current) == 0:
        if actor_count(stored) == 0:
            return ActorsDecision(False)
        if not clear_confirmed:
            return ActorsDecision(False, held_back=actor_count(stored))
        return ActorsDecision(True, None)
    if current is synced or (stored is not None and current.equals(stored)):
        return ActorsDecision(False)
    return ActorsDecision(True, current)


def stored_actor_count(path: Path | str) -> int:
    """Actors in the project file at ``path`` (0 for a missing file or one without an ``acteurs`` layer)."""
    path = Path(path)
    if not path.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(con.execute('SELECT count(*) FROM "acteurs"').fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def save_collective(project: Project, path: Path | str, *, force: bool = False, clear_actors: bool = False) -> Path:
    """``save_project``, refusing to write a project without actors over a file that holds some (``InventoryWipeError``)
    unless ``clear_actors`` says the user asked for it."""
    held = stored_actor_count(path)
    if held and not actor_count(project.actors) and not clear_actors:
        raise InventoryWipeError(f"Enregistrement refusé : le projet « {Path(path).stem} » contient {held} acteur(s) et "
                                 "l'inventaire de cette session est vide. Pour retirer ces acteurs du projet, utilisez "
                                 "« Vider l'inventaire » et confirmez.")
    return save_project(project, path, force=force)
