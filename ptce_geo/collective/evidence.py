"""What the app holds next to each self-assessed maturity marker: figures, not a score.

The six markers of the guide (Institut Godin 2025) are self-assessed on the app's own 0–4 scale; the
coordinator sees beside each one what the project's tables say: plurality index and kinds of the
involved actors (« pluralité »), involvement counts (« implication »), groups and collective meetings
(« structuration »), activity projects by status (« concrétisations »), shared findings and how many
are shared by several structures (« besoins »). Nothing is held for « modélisation »: it says so.
"""

from __future__ import annotations

import pandas as pd

from ..fr_format import count, fr_number
from ..project import Project
from .activities import ACTIVITIES, STATUSES
from .actor_schema import INVOLVED_LEVELS, INVOLVEMENT_LEVELS
from .actors_summary import diversity_index
from .groups import GROUP_KINDS, GROUPS
from .meetings import MEETINGS
from .tables import split_items

__all__ = ["marker_evidence", "shared_by"]


def shared_by(findings: pd.DataFrame) -> pd.Series:
    """Per finding, the number of distinct structures linked to it (the one who raised it and those sharing it)."""
    if findings.empty:
        return pd.Series(dtype="int64")
    return findings.apply(lambda r: len({*split_items(r.get("souleve_par")), *split_items(r.get("partage_par"))}), axis=1).astype("int64")


def _actors(project: Project) -> pd.DataFrame:
    return project.actors if project.actors is not None else pd.DataFrame(columns=["nom", "type_structure", "implication"])


def _plurality(actors: pd.DataFrame) -> str:
    involved = actors[actors["implication"].isin(INVOLVED_LEVELS)] if "implication" in actors else actors.iloc[:0]
    kinds = involved["type_structure"].dropna() if "type_structure" in involved else pd.Series(dtype="object")
    if kinds.empty:
        return "Aucun acteur impliqué dont le type est connu."
    counts = kinds.value_counts()
    listed = ", ".join(f"{k} {fr_number(n)}" for k, n in counts.items())
    return (f"Indice de pluralité des impliqués : {fr_number(diversity_index(kinds), 2)} (0 = un seul type, 1 = tous les types "
            f"à parts égales) ; {count(len(counts), 'type', 'types')} : {listed}.")


def _involvement(actors: pd.DataFrame) -> str:
    levels = actors["implication"].value_counts() if "implication" in actors else pd.Series(dtype="int64")
    parts = [f"{level} {fr_number(levels.get(level, 0))}" for level in INVOLVEMENT_LEVELS]
    involved = int(sum(levels.get(level, 0) for level in INVOLVED_LEVELS))
    return f"{count(involved, 'acteur impliqué', 'acteurs impliqués')} sur {fr_number(len(actors))} : " + ", ".join(parts) + "."


def marker_evidence(project: Project) -> dict[str, str]:
    """Marker key (as in ``MATURITY_MARKERS``) -> one French sentence of what the project holds for it."""
    actors, tables = _actors(project), project.tables
    groups = tables.get(GROUPS.layer, GROUPS.empty())
    meetings = tables.get(MEETINGS.layer, MEETINGS.empty())
    activities = tables.get(ACTIVITIES.layer, ACTIVITIES.empty())
    findings = project.findings
    shared = int((shared_by(findings) >= 2).sum())
    by_status = activities["statut"].value_counts()
    statuses = ", ".join(f"{s} {fr_number(by_status.get(s, 0))}" for s in STATUSES)
    jobs = activities["emplois"].sum()
    by_kind = groups["type"].value_counts()
    return {
        "besoins": (f"{count(len(findings), 'constat partagé', 'constats partagés')}, dont {fr_number(shared)} "
                    f"porté{'s' if shared > 1 else ''} par au moins deux structures ; "
                    f"{count(findings['theme'].replace('', pd.NA).nunique(), 'thème', 'thèmes')}."),
        "pluralite": _plurality(actors),
        "structuration": (f"{count(len(groups), 'groupe', 'groupes')} ("
                          + ", ".join(f"{k} {fr_number(by_kind.get(k, 0))}" for k in GROUP_KINDS) + ") ; "
                          f"{count(int((meetings['type'] == 'collective').sum()), 'rencontre collective', 'rencontres collectives')}."),
        "implication": _involvement(actors),
        "realisations": (count(len(activities), "projet d'activité", "projets d'activité") + f" ({statuses}) ; "
                         f"{fr_number(jobs, 1)} emploi(s) ETP déclaré(s)."),
        "modelisation": "L'application ne tient aucune donnée sur ce marqueur : à apprécier par le collectif.",
    }
