"""What the inventory says about the collective: interest × involvement, compétences, problématiques, visions.

The guide of the Institut Godin (2025, « Le collectif ») grades an actor's interest in three levels —
develop its own activity, invest a theme or a filière, act for the territory's collective interest —
and places each actor in one space of involvement: noyau dur, cellule de pilotage, groupe thématique,
groupe projet. Its descriptions pair the two scales: founders and steering members act for the
territory, a thematic group member invests its theme, a project group member comes for a project tied
to its own activity. ``EXPECTED_INTEREST`` writes that pairing down; ``off_correspondence`` lists the
actors away from it. The guide warns against a collective sliding toward actors who only want to grow
their own structure: ``drift_alerts`` raises it when, in the spaces that steer the démarche (noyau dur
and cellule de pilotage), the share of actors whose interest is « développer son activité » reaches
``DRIFT_SHARE_PCT`` (a threshold of this app, not of the guide).

The minimum diagnostic of the guide lists actors with their compétences, problématiques and visions;
``frequencies``, ``needs_and_competences`` and ``visions_by_theme`` read them. A problem raised by an
actor is « couvert » when another actor of the collective (an involved actor) working on the same theme
holds at least one compétence: the guide's complementarity; otherwise it is an unmet need.
Interest cells written by older versions may hold several levels: the highest one is read.
"""

from __future__ import annotations

import pandas as pd

from .actor_schema import INTERESTS, INVOLVED_LEVELS, canonical_theme, fold, split_list

__all__ = ["UNKNOWN", "EXPECTED_INTEREST", "DRIFT_SPACES", "DRIFT_SHARE_PCT", "DRIFT_CODE", "interest_level", "interest_involvement",
           "off_correspondence", "drift_alerts", "frequencies", "needs_and_competences", "visions_by_theme", "collective_tables"]

UNKNOWN = "non renseigné"
OWN_ACTIVITY, THEME_OR_FILIERE, TERRITORY = INTERESTS
# the interest the guide describes for each space of involvement (Institut Godin 2025, « Le collectif »)
EXPECTED_INTEREST = {"noyau dur": TERRITORY, "cellule de pilotage": TERRITORY, "groupe thématique": THEME_OR_FILIERE,
                     "groupe projet": OWN_ACTIVITY}
DRIFT_SPACES = ("noyau dur", "cellule de pilotage")
DRIFT_SHARE_PCT = 50.0  # alert when this share (or more) of the steering spaces only wants to develop its activity
DRIFT_CODE = "collectif_derive_interet_propre"
_RANK = {level: i for i, level in enumerate(INTERESTS)}


def interest_level(cell: object) -> str | None:
    """The one interest level of an actor: the highest level named in the cell (None when none is)."""
    levels = [item for item in split_list(cell) if item in _RANK]
    return max(levels, key=_RANK.__getitem__) if levels else None


def _interests(actors: pd.DataFrame) -> pd.Series:
    return actors["interet"].map(interest_level).fillna(UNKNOWN) if "interet" in actors else pd.Series(UNKNOWN, index=actors.index)


def interest_involvement(actors: pd.DataFrame) -> pd.DataFrame:
    """Actors counted by space of involvement (rows) and interest level (columns), with totals."""
    spaces = actors["implication"].fillna(UNKNOWN)
    table = pd.crosstab(spaces, _interests(actors))
    order = [*EXPECTED_INTEREST, *sorted(set(spaces) - set(EXPECTED_INTEREST))]
    table = table.reindex(index=order, columns=[*INTERESTS, UNKNOWN], fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.rename_axis(index="implication", columns=None).reset_index()


def off_correspondence(actors: pd.DataFrame) -> pd.DataFrame:
    """Involved actors whose interest differs from the one the guide pairs with their space.

    ``ecart`` says « en deçà » (less than the space expects: the drift the guide warns about) or
    « au-delà » (more: an actor who could take a wider part). Actors without an interest are left out.
    """
    level = _interests(actors)
    expected = actors["implication"].map(EXPECTED_INTEREST)
    known = expected.notna() & level.ne(UNKNOWN)
    gap = level[known].map(_RANK).astype("int64") - expected[known].map(_RANK).astype("int64")
    rows = actors.loc[gap.index[gap != 0]]
    out = pd.DataFrame({"nom": rows["nom"], "implication": rows["implication"], "interet": level[rows.index],
                        "interet_attendu": expected[rows.index],
                        "ecart": gap[gap != 0].map(lambda d: "en deçà" if d < 0 else "au-delà")})
    return out.rename_axis("ligne").reset_index()


def drift_alerts(actors: pd.DataFrame) -> list[dict]:
    """The drift alert (``code, niveau, chiffres, message``), or nothing: share of « développer son activité »
    among the actors of the noyau dur and the cellule de pilotage whose interest is known, ≥ ``DRIFT_SHARE_PCT``."""
    steering = actors["implication"].isin(DRIFT_SPACES)
    level = _interests(actors)[steering]
    known = level[level != UNKNOWN]
    if known.empty:
        return []
    own = int((known == OWN_ACTIVITY).sum())
    share = 100 * own / len(known)
    if share < DRIFT_SHARE_PCT:
        return []
    missing = len(level) - len(known)
    figures = (f"{own} sur {len(known)} acteurs du noyau dur et de la cellule de pilotage ({share:.0f} %, seuil {DRIFT_SHARE_PCT:.0f} %)"
               + (f" ; {missing} sans intérêt renseigné" if missing else ""))
    return [{"code": DRIFT_CODE, "niveau": "alerte", "chiffres": figures,
             "message": "La moitié ou plus des acteurs qui pilotent la démarche n'y viennent que pour développer leur propre activité : "
                        "le guide de l'Institut Godin (2025) met en garde contre ce glissement, l'enjeu étant d'inscrire les acteurs "
                        "dans un projet de développement du territoire."}]


def _long(actors: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per (actor line, item) of a multi-valued column; items grouped on their folded form."""
    rows = [(line, item) for line, text in actors[column].items() for item in split_list(text)] if column in actors else []
    long = pd.DataFrame(rows, columns=["ligne", "item"])
    long["key"] = long["item"].map(fold)
    long = long.drop_duplicates(["ligne", "key"])
    long["item"] = long["key"].map(long.groupby("key")["item"].first())
    return long


def frequencies(actors: pd.DataFrame, column: str) -> pd.DataFrame:
    """How many actors (and involved actors) name each item of ``column`` (compétences, problématiques…), most named first."""
    long = _long(actors, column)
    involved = actors["implication"].isin(INVOLVED_LEVELS)
    long["implique"] = involved.reindex(long["ligne"]).to_numpy(dtype=bool)
    table = long.groupby("item").agg(acteurs=("ligne", "size"), impliques=("implique", "sum")).astype("int64")
    table = table.reset_index().sort_values(["acteurs", "impliques", "item"], ascending=[False, False, True])
    table["part_pct"] = (100 * table["acteurs"] / max(len(actors), 1)).round(1)
    name = column.removesuffix("s")
    return table.rename(columns={"item": name}).reset_index(drop=True)


def _names(actors: pd.DataFrame, lines: list[int]) -> str:
    return "; ".join(sorted(dict.fromkeys(actors.loc[lines, "nom"].astype("str")), key=fold))


def needs_and_competences(actors: pd.DataFrame, findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each problem raised, by theme of the actors raising it, with the compétences other involved actors
    of that theme hold: ``couverture`` is « compétences disponibles », « besoin non couvert », or
    « thématique non renseignée » when the actor raising it names no theme. ``constats_partages``
    counts the project's shared findings on the same theme (actors and findings share one theme list)."""
    shared = (findings["theme"].map(canonical_theme).map(fold).value_counts() if findings is not None and len(findings)
              else pd.Series(dtype="int64"))
    themes, problems, skills = _long(actors, "thematiques"), _long(actors, "problematiques"), _long(actors, "competences")
    involved = set(actors.index[actors["implication"].isin(INVOLVED_LEVELS)])
    by_theme = themes.groupby("item")["ligne"].apply(set).to_dict()
    theme_of = themes.groupby("ligne")["item"].apply(list).to_dict()
    rows = []
    for (problem, theme), raisers in _problem_groups(problems, theme_of).items():
        helpers = sorted((by_theme.get(theme, set()) & involved) - set(raisers))
        offered = skills[skills["ligne"].isin(helpers)]
        offered_lines = sorted(set(offered["ligne"]))
        coverage = "thématique non renseignée" if theme == UNKNOWN else "compétences disponibles" if len(offered) else "besoin non couvert"
        rows.append({"thematique": theme, "problematique": problem, "acteurs_concernes": len(raisers),
                     "porte_par": _names(actors, raisers), "competences_disponibles": "; ".join(sorted(dict.fromkeys(offered["item"]))),
                     "acteurs_ressources": _names(actors, offered_lines), "couverture": coverage,
                     "constats_partages": int(shared.get(fold(theme), 0)) if theme != UNKNOWN else 0})
    columns = ["thematique", "problematique", "acteurs_concernes", "porte_par", "competences_disponibles", "acteurs_ressources", "couverture",
               "constats_partages"]
    out = pd.DataFrame(rows, columns=columns)
    out[["acteurs_concernes", "constats_partages"]] = out[["acteurs_concernes", "constats_partages"]].astype("int64")
    return out.sort_values(["thematique", "acteurs_concernes", "problematique"], ascending=[True, False, True]).reset_index(drop=True)


def _problem_groups(problems: pd.DataFrame, theme_of: dict[int, list[str]]) -> dict[tuple[str, str], list[int]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for line, problem in zip(problems["ligne"], problems["item"], strict=True):
        for theme in theme_of.get(line, [UNKNOWN]):
            groups.setdefault((problem, theme), []).append(line)
    return groups


def visions_by_theme(actors: pd.DataFrame) -> pd.DataFrame:
    """Every vision written, under each theme of its actor (« non renseigné » when it names none), by theme then name."""
    if "vision" not in actors:
        return pd.DataFrame(columns=["thematique", "nom", "implication", "vision"])
    with_vision = actors[actors["vision"].fillna("").astype("str").str.strip().ne("")]
    themes = _long(with_vision, "thematiques").groupby("ligne")["item"].apply(list).to_dict()
    rows = [{"thematique": theme, "nom": row["nom"], "implication": row["implication"], "vision": row["vision"]}
            for line, row in with_vision.iterrows() for theme in themes.get(line, [UNKNOWN])]
    out = pd.DataFrame(rows, columns=["thematique", "nom", "implication", "vision"])
    return out.sort_values(["thematique", "nom"], key=lambda s: s.map(fold)).reset_index(drop=True)


def collective_tables(actors: pd.DataFrame, findings: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """``{file stem: table}`` of this module's readings, for the diagnostic export (``acteurs_competences.csv``…)."""
    return {"acteurs_interet_implication": interest_involvement(actors), "acteurs_interet_ecarts": off_correspondence(actors),
            "acteurs_competences": frequencies(actors, "competences"), "acteurs_problematiques": frequencies(actors, "problematiques"),
            "acteurs_problematiques_competences": needs_and_competences(actors, findings), "acteurs_visions": visions_by_theme(actors)}
