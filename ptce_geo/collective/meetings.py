"""The « diagnostic permanent » of the guide: a dated log of meetings and the history of each actor's contact status.

The guide (Institut Godin 2025, conclusion) describes PTCE listening to their territory through individual
and collective meetings, which widen the collective over time. Meetings list their participants
(structures of the inventory), themes and the shared findings they produced; each dated change of an
actor's contact status or space of involvement is one row of ``contacts``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .actor_schema import CONTACT_STATUSES, INVOLVED_LEVELS, INVOLVEMENT_LEVELS
from .tables import ACTORS, FINDINGS, Field, Table, register, split_items

__all__ = ["MEETINGS", "CONTACTS", "MEETING_KINDS", "MET", "contact_status", "actor_history", "widening", "WIDENING_COLUMNS"]

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

MET = "rencontré"
WIDENING_COLUMNS = ["date", "acteurs_suivis", "acteurs_rencontres", "acteurs_impliques"]


_EVENT_COLUMNS = ["date", "acteur", "statut", "implication", "rencontre"]


def _events(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (date, actor): a meeting attended or a contact change (status, involvement); on one date, meetings
    first, then contact changes, each in entry order (contact changes recorded after a meeting win)."""
    contacts = tables.get("contacts", CONTACTS.empty())
    meetings = tables.get("rencontres", MEETINGS.empty())
    attended = meetings.assign(acteur=meetings["participants"].map(split_items).astype(object)).explode("acteur")
    attended = attended[attended["acteur"].notna()]
    about = attended["objet"].map(lambda o: f" : {o}" if o else "")
    met = pd.DataFrame({"date": attended["date"], "acteur": attended["acteur"], "statut": MET, "implication": "",
                        "rencontre": "rencontre " + attended["type"] + " n° " + attended["id"].astype(str) + about,
                        "kind": 0, "id": attended["id"]})
    changes = contacts[["date", "acteur", "statut", "implication", "id"]].assign(rencontre="", kind=1)
    frame = pd.concat([met, changes], ignore_index=True) if len(met) else changes
    frame = frame.sort_values(["date", "kind", "id"], kind="stable") if len(frame) else frame
    return frame.reindex(columns=_EVENT_COLUMNS).astype(str).reset_index(drop=True)


def actor_history(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The dated history of one structure: contact changes and meetings attended, oldest first."""
    events = _events(tables)
    return events[events["acteur"] == name].drop(columns=["acteur"]).reset_index(drop=True)


def contact_status(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per structure followed: its latest contact status and latest space of involvement (each with its date), and how
    many dated entries it has. A meeting attended counts as « rencontré » on its date."""
    events = _events(tables)
    out = []
    for name, rows in events.groupby("acteur", sort=True):
        status = rows[rows["statut"] != ""].tail(1)
        involved = rows[rows["implication"] != ""].tail(1)
        out.append({"acteur": name, "statut": status["statut"].iloc[0] if len(status) else "",
                    "statut_depuis": status["date"].iloc[0] if len(status) else "",
                    "implication": involved["implication"].iloc[0] if len(involved) else "",
                    "implication_depuis": involved["date"].iloc[0] if len(involved) else "", "entrees": len(rows)})
    return pd.DataFrame(out, columns=["acteur", "statut", "statut_depuis", "implication", "implication_depuis", "entrees"])


def widening(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How the collective widens: at each date of the log, the structures followed so far (any entry), met so far (a
    meeting attended or the status « rencontré » once reached), and involved on that date (latest space of involvement
    recorded up to that date is one of the guide's four spaces). One pass over the log in date order."""
    events = _events(tables)
    rows, followed, met, involvement, involved = [], set(), set(), {}, 0
    columns = (events[c].tolist() for c in ("date", "acteur", "statut", "implication"))  # lists: iterating Arrow strings is slow
    for day, name, status, level in zip(*columns, strict=True):
        if not rows or rows[-1][0] != day:
            rows.append([day, 0, 0, 0])
        followed.add(name)
        if status == MET:
            met.add(name)
        if level:
            involved += (level in INVOLVED_LEVELS) - (involvement.get(name) in INVOLVED_LEVELS)
            involvement[name] = level
        rows[-1][1:] = [len(followed), len(met), involved]
    return pd.DataFrame(rows, columns=WIDENING_COLUMNS)
