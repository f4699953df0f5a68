"""The PTCE profile: its vocabulary (kinds, action logics, stages, marker scale) and its changes.

The words follow the guide of the Institut Godin (2025): maturity stages émergent / existant / historique,
its six maturity markers. The guide names the markers without scoring them: the 0-4 scale is the app's own.
Values are stored as written in the project file; a value written by another version of the tool is kept,
never dropped (``project.OLD_PROFILE_VALUES`` reads the old « en développement » as « existant »).
Nothing is preset: an unanswered field stays unanswered. Formalisation, governance bodies and the place are checked
against the vocabulary of ``governance``; the technical functions are a table of their own (``functions``).
"""

from __future__ import annotations

from ..errors import ProjectError
from ..project import MATURITY_MARKERS, Project
from .governance import check_field

__all__ = ["KINDS", "ACTION_LOGICS", "STAGES", "GOVERNANCE_KEYS", "MARKER_SCALE", "MARKER_SCALE_NOTE", "NOT_SCORED", "MARKER_PREFIX",
           "set_profile_field",
           "marker_scores"]

KINDS = ("PTCE de territoire", "PTCE filière")
ACTION_LOGICS = ("interconnaissance et réseau", "accompagnement-incubation", "ingénierie et développement de projets")
STAGES = ("émergent", "existant", "historique")  # the guide's word is « existant » (Institut Godin 2025)
GOVERNANCE_KEYS = ("formalisation", "structure_porteuse", "instances", "lieu", "lieu_adresse", "lieu_fourni_par", "lieu_modalites",
                   "tiers_lieu")
MARKER_SCALE = {0: "absent", 1: "amorcé", 2: "en cours", 3: "avancé", 4: "acquis"}
MARKER_SCALE_NOTE = ("Échelle de 0 à 4 propre à l'application : le guide de l'Institut Godin (2025) décrit les six marqueurs "
                     "sans leur donner de note.")
NOT_SCORED = "non évalué"
MARKER_PREFIX = "marqueurs/"  # ``marqueurs/<clé>`` names one maturity marker


def set_profile_field(project: Project, key: str, value: object) -> None:
    """Change one profile field of ``project`` (``marqueurs/<clé>`` for a maturity marker, scored 0 to 4).

    Lists are stored as lists; a dominant logic that is no longer among the chosen logics is reset.
    """
    profile = project.profile
    if key.startswith(MARKER_PREFIX):
        marker = key.removeprefix(MARKER_PREFIX)
        if marker not in MATURITY_MARKERS:
            raise ProjectError(f"Marqueur de maturité inconnu : « {marker} ».")
        try:
            score = int(value)
        except (TypeError, ValueError):
            raise ProjectError(f"Score du marqueur « {marker} » illisible : « {value} » (entier de 0 à 4 attendu).") from None
        if score not in MARKER_SCALE:
            raise ProjectError(f"Score du marqueur « {marker} » hors de l'échelle : {score} (0 à 4 attendu).")
        profile.setdefault("marqueurs", {})[marker] = score
        return
    if key in GOVERNANCE_KEYS:
        profile[key] = check_field(key, value)
        return
    profile[key] = list(value) if isinstance(value, list | tuple) else value
    if key == "logiques_action" and profile.get("logique_dominante") not in (*profile["logiques_action"], ""):
        profile["logique_dominante"] = ""


def marker_scores(profile: dict) -> list[tuple[str, int | None, str]]:
    """(label, score, level) of the six maturity markers, in the guide's order (an unscored marker: None, « non évalué »)."""
    scores = profile.get("marqueurs") or {}
    out = []
    for key, label in MATURITY_MARKERS.items():
        value = scores.get(key)
        score = None if value is None or value == "" else int(value)
        out.append((label, score, NOT_SCORED if score is None else MARKER_SCALE.get(score, "")))
    return out
