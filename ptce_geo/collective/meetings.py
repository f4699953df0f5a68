"""The « diagnostic permanent » of the guide: a dated log of meetings and the history of each actor's contact status.

The guide (Institut Godin 2025, conclusion) describes PTCE listening to their territory through individual
and collective meetings, which widen the collective over time. Meetings list their participants
(structures of the inventory), themes and the shared findings they produced; each dated change of an
actor's contact status or space of involvement is one row of ``contacts``.
"""

from __future__ import annotations

from .actor_schema import CONTACT_STATUSES, INVOLVEMENT_LEVELS
from .tables import ACTORS, FINDINGS, Field, Table, register

__all__ = ["MEETINGS", "CONTACTS", "MEETING_KINDS"]

MEETING_KINDS = ("individuelle", "collective")

MEETINGS = register(Table("rencontres", "Rencontres", (
    Field("date", "Date", kind="date", required=True),
    Field("type", "Type de rencontre", required=True, choices=MEETING_KINDS),
    Field("objet", "Objet"),
    Field("participants", "Structures participantes", kind="list", required=True, refers=ACTORS),
    Field("themes", "Thématiques", kind="list"),
    Field("groupe", "Groupe (n°)", kind="int", refers="groupes"),
    Field("constats", "Constats produits (n°)", kind="list", refers=FINDINGS),
    Field("notes", "Notes"),
), doc="Journal daté des rencontres individuelles et collectives (diagnostic permanent) : structures présentes, thèmes, "
       "constats produits."))

CONTACTS = register(Table("contacts", "Suivi des contacts", (
    Field("acteur", "Structure", required=True, refers=ACTORS),
    Field("date", "Date", kind="date", required=True),
    Field("statut", "Statut de contact", choices=CONTACT_STATUSES),
    Field("implication", "Espace d'implication", choices=INVOLVEMENT_LEVELS),
    Field("note", "Note"),
), any_of=("statut", "implication"),
   doc="Historique daté du statut de contact et de l'espace d'implication de chaque structure (élargissement du collectif)."))
