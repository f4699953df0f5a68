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


def _events(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (date, actor): a contact change (status, involvement) or a meeting attended, by date then entry order."""
    contacts = tables.get("contacts", CONTACTS.empty())
    meetings = tables.get("rencontres", MEETINGS.empty())
    rows = [{"date": r["date"], "acteur": r["acteur"], "statut": r["statut"], "implication": r["implication"], "rencontre": "",
             "ordre": (1, int(r["id"]))} for r in contacts.to_dict("records")]
    rows += [{"date": r["date"], "acteur": name, "statut": MET, "implication": "", "rencontre": f"rencontre {r['type']} n° {r['id']}"
              + (f" : {r['objet']}" if r["objet"] else ""), "ordre": (0, int(r["id"]))}
             for r in meetings.to_dict("records") for name in split_items(r["participants"])]
    frame = pd.DataFrame(rows, columns=["date", "acteur", "statut", "implication", "rencontre", "ordre"])
    return frame.sort_values(["date", "ordre"], kind="stable").reset_index(drop=True)


def actor_history(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The dated history of one structure: contact changes and meetings attended, oldest first."""
    events = _events(tables)
    return events[events["acteur"] == name].drop(columns=["acteur", "ordre"]).reset_index(drop=True)


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
    recorded up to that date is one of the guide's four spaces)."""
    events = _events(tables)
    rows, followed, met, involvement = [], set(), set(), {}
    for day, group in events.groupby("date", sort=True):
        for e in group.itertuples(index=False):
            followed.add(e.acteur)
            if e.statut == MET:
                met.add(e.acteur)
            if e.implication:
                involvement[e.acteur] = e.implication
        rows.append({"date": day, "acteurs_suivis": len(followed), "acteurs_rencontres": len(met),
                     "acteurs_impliques": sum(v in INVOLVED_LEVELS for v in involvement.values())})
    return pd.DataFrame(rows, columns=WIDENING_COLUMNS)
