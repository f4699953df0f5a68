"""Thematic groups and project groups of the collective: members from the inventory, theme, facilitator, rhythm.

The guide (Institut Godin 2025, « Le collectif ») names two working spaces below the noyau dur and the
cellule de pilotage: the groupe thématique (actors investing one theme of the PTCE) and the groupe
projet (actors investing one project). An actor may sit in several groups; the facilitator is a
structure of the inventory (personal data stays at the level of structures).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .tables import ACTORS, Field, Table, register, split_items

__all__ = ["GROUPS", "GROUP_KINDS", "memberships"]

GROUP_KINDS = ("groupe thématique", "groupe projet")

GROUPS = register(Table("groupes", "Groupes", (
    Field("nom", "Nom du groupe", required=True),
    Field("type", "Type de groupe", required=True, choices=GROUP_KINDS),
    Field("theme", "Thématique"),
    Field("animateur", "Structure animatrice", refers=ACTORS),
    Field("rythme", "Rythme des réunions"),
    Field("membres", "Membres", kind="list", refers=ACTORS),
    Field("date_creation", "Date de création", kind="date"),
    Field("notes", "Notes"),
), doc="Groupes thématiques et groupes projet du collectif, leurs membres (structures de l'inventaire), animateur et rythme."))


def memberships(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per structure sitting in at least one group: how many groups, and which (an actor may be in several)."""
    frame = tables.get(GROUPS.layer, GROUPS.empty())
    pairs = [(name, g["nom"]) for g in frame.to_dict("records") for name in split_items(g["membres"])]
    long = pd.DataFrame(pairs, columns=["acteur", "groupe"])
    out = long.groupby("acteur", sort=True)["groupe"].agg(groupes="count", noms=lambda s: "; ".join(sorted(s)))
    return out.reset_index()
