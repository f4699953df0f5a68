"""Formalisation, governance bodies and the place of a PTCE, in the words of the guide of the Institut Godin (2025).

The guide (« Gouvernance et formalisation ») separates two things the old profile mixed in one answer:
- the *formalisation*, three levels that are stages a dynamic may go through, not a ladder to climb: carried by an existing
  structure or without legal form / an association / a structure with an economic and territorial dimension, often a SCIC;
- the *governance bodies* (steering committee, working groups, informal spaces of the noyau dur…), which exist whatever the
  legal form: the guide insists that bodies of concertation do not amount to a legal structure.
The guide (« Le lieu ») also separates a place — often lent or let at a moderate rent by a local authority — from a tiers-lieu,
and warns against confusing a PTCE with a tiers-lieu: the place is recorded (where, who provides it, on what terms) and
whether it is a tiers-lieu is a separate answer. Nothing is preset: an unanswered field stays None.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from ..errors import ProjectError
from . import functions, funding
from ._records import ALERT_COLUMNS

__all__ = ["FORMALISATION", "BODIES", "PLACE_TERMS", "PLACE_KEYS", "YES_NO_KEYS", "OLD_GOVERNANCE", "check_field",
           "upgrade_profile", "alerts"]

FORMALISATION = ("portage par une structure existante ou sans formalisation juridique", "association",
                 "structure à dimension économique et territoriale (SCIC…)")
BODIES = ("comité de pilotage", "groupes de travail par thème ou par projet", "espaces informels du noyau dur", "assemblée générale",
          "conseil d'administration ou collège", "autre instance")
PLACE_TERMS = ("mise à disposition gratuite", "location à loyer modéré", "location au prix du marché", "propriété du PTCE ou d'un membre",
               "autre")
PLACE_KEYS = ("lieu", "lieu_adresse", "lieu_fourni_par", "lieu_modalites", "tiers_lieu")
YES_NO_KEYS = ("lieu", "tiers_lieu")  # True, False or None (unanswered)
# the single « gouvernance » answer of schema 2, read as a formalisation level (« aucune » is « sans formalisation juridique »)
OLD_GOVERNANCE = {"aucune": FORMALISATION[0], "portage par une structure existante": FORMALISATION[0], "association": FORMALISATION[1],
                  "SCIC": FORMALISATION[2]}
_SEVERITY = {"alerte": 0, "vigilance": 1, "info": 2}
_CHOICES = {"formalisation": FORMALISATION, "lieu_modalites": PLACE_TERMS}


def check_field(key: str, value: object) -> object:
    """The value to store for one governance or place field of the profile; a value outside the vocabulary is refused."""
    if key in YES_NO_KEYS:
        if value is not None and not isinstance(value, bool):
            raise ProjectError(f"Réponse illisible pour « {key} » : « {value} » (oui, non ou sans réponse attendu).")
        return value
    if key in _CHOICES:
        if value in (None, ""):
            return None
        if value not in _CHOICES[key]:
            raise ProjectError(f"Valeur inconnue pour « {key} » : « {value} » (attendu : {', '.join(_CHOICES[key])}).")
        return value
    if key == "instances":
        chosen = [value] if isinstance(value, str) else list(value or [])
        unknown = [v for v in chosen if v not in BODIES]
        if unknown:
            raise ProjectError(f"Instance de gouvernance inconnue : « {unknown[0]} » (attendu : {', '.join(BODIES)}).")
        return chosen
    answer = "" if value is None else str(value).strip()
    return answer or None


def upgrade_profile(profile: dict) -> dict:
    """A profile written by schema 2, in today's fields.

    « gouvernance » becomes « formalisation » (an unknown value is kept as written); a tiers-lieu answered « oui » means a
    place exists. The old list « fonctions » (functions said to be held, without holder nor time) is kept as written: the
    functions table does not invent holders for it, the page shows it beside the table.
    """
    out = dict(profile)
    old = out.pop("gouvernance", None)
    if old is not None and out.get("formalisation") is None:
        out["formalisation"] = OLD_GOVERNANCE.get(old, old)
    if out.get("tiers_lieu") is True and out.get("lieu") is None:
        out["lieu"] = True
    return out


def alerts(functions_table: pd.DataFrame, funding_table: pd.DataFrame, actors: Iterable[str], on: date) -> pd.DataFrame:
    """The alerts of the technical functions and of the economic model on ``on``, most serious first."""
    frames = [f for f in (functions.alerts(functions_table, actors), funding.alerts(funding_table, on)) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("niveau", key=lambda s: s.map(_SEVERITY), kind="stable").reset_index(drop=True)
