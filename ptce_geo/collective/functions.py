"""The PTCE's technical functions: who holds coordination, animation and ingénierie, in which structure, for how much time.

The guide of the Institut Godin (2025, « Fonctions techniques ») sees the people in charge of these three functions as a
condition of a PTCE's success, and observes that coordination and animation are nearly always there while ingénierie
(needs analysis, feasibility, writing projects, financial and legal engineering) is the one that tends to be dropped:
``alerts`` therefore warns when no ingénierie time is recorded. Personal data stays at the level of structures: a function
is held by an actor of the inventory (a structure), never by a named person.

One row per (function, holder): ``titulaire`` is the actor whose staff does the work, ``structure`` the structure that carries
the post (an actor of the inventory, or the PTCE's own structure once it is formalised), ``etp`` the time in full-time
equivalents (≥ 0; empty when unknown).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..errors import CollectiveError
from ..fr_format import count, fr_number
from ._records import ALERT_COLUMNS, actor, alert, append_checked, nonnegative, text, without_ids
from .tables import ACTORS, Field, Table, check_rows, read_table, register

__all__ = ["LAYER", "SPEC", "FUNCTIONS", "INGENIERIE", "OWN_STRUCTURE", "GUIDE", "empty", "read", "add", "remove", "summary",
           "alerts"]

FUNCTIONS = ("coordination", "animation", "ingénierie")  # the guide's three dimensions, in its order
INGENIERIE = "ingénierie"
OWN_STRUCTURE = "structure propre du PTCE"  # the post is carried by the PTCE's association or SCIC, not by a member
LAYER = "fonctions"  # the layer of the project GeoPackage and the CSV of ``project export``
GUIDE = "guide de l'Institut Godin (2025), chapitre « Fonctions techniques »"
SPEC = register(Table(LAYER, "Fonctions techniques", (
    Field("fonction", "Fonction", required=True, choices=FUNCTIONS),
    Field("titulaire", "Tenue par", required=True, refers=ACTORS),
    Field("structure", "Structure qui porte le poste"),  # an actor or OWN_STRUCTURE: checked by ``add``
    Field("etp", "Temps (ETP)", kind="float", minimum=0, total=True),
    Field("note", "Remarque"),
), doc="Fonctions techniques du PTCE (coordination, animation, ingénierie) : structure qui les tient, structure qui porte "
       "le poste, temps en équivalents temps plein (vide : inconnu)."))


def empty() -> pd.DataFrame:
    return SPEC.empty()


def read(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The table as stored in a project (``Project.tables``), with every column and its type."""
    return SPEC.empty() if frame is None else read_table(SPEC, frame)


def add(table: pd.DataFrame, actors: Iterable[str], fonction: str, titulaire: str, structure: str = "", etp: object = None,
        note: str = "") -> pd.DataFrame:
    """``table`` with one more row; the holder and the structure must be actors of the inventory (``actors``: their names)."""
    if fonction not in FUNCTIONS:
        raise CollectiveError(f"Fonction technique inconnue : « {fonction} » (attendu : {', '.join(FUNCTIONS)}).")
    names = set(actors)
    holder = actor(titulaire, names, "le titulaire de la fonction")
    carrier = text(structure)
    if carrier != OWN_STRUCTURE:
        carrier = actor(carrier, names, "la structure qui porte le poste", required=False)
    time = nonnegative(etp, "Temps consacré", " ETP")
    row = {"fonction": fonction, "titulaire": holder, "structure": carrier, "etp": time, "note": text(note)}
    return append_checked(SPEC, table, row, lambda rows: check_rows(SPEC, rows, {ACTORS: names}))


def remove(table: pd.DataFrame, ids: Iterable[int]) -> pd.DataFrame:
    return without_ids(table, ids)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per function, in the guide's order: holders, total time (FTE, over the rows where it is known), rows of unknown time."""
    rows = []
    for name in FUNCTIONS:
        part = table[table["fonction"] == name]
        known = part["etp"].dropna()
        rows.append({"fonction": name, "titulaires": int(part["titulaire"].nunique()), "etp": float(known.sum()) if len(known) else None,
                     "etp_inconnu": int(part["etp"].isna().sum())})
    return pd.DataFrame(rows, columns=["fonction", "titulaires", "etp", "etp_inconnu"])


def _missing_actors(table: pd.DataFrame, names: set[str]) -> list[dict]:
    out = []
    for role, column in (("titulaire", "titulaire"), ("structure porteuse", "structure")):
        gone = sorted({v for v in table[column] if v and v != OWN_STRUCTURE and v not in names})
        if gone:
            out.append(alert("fonction_acteur_absent", "alerte", f"{role} : {', '.join(gone)}",
                             f"Une fonction technique est rattachée à un acteur qui n'est plus dans l'inventaire ({role}) : "
                             "la ligne est gardée ; rajoutez l'acteur ou corrigez la fonction."))
    return out


def alerts(table: pd.DataFrame, actors: Iterable[str]) -> pd.DataFrame:
    """``code, niveau, chiffres, message``: ingénierie missing (no row, or no time above 0), actors no longer in the inventory.

    Nothing is said about ingénierie while no function at all is recorded: unanswered is not « absent ».
    """
    out = _missing_actors(table, set(actors))
    if table.empty:
        out.append(alert("fonctions_non_renseignees", "info", "0 fonction renseignée",
                         "Les fonctions techniques (coordination, animation, ingénierie) ne sont pas encore renseignées."))
        return pd.DataFrame(out, columns=list(ALERT_COLUMNS))
    eng = table[table["fonction"] == INGENIERIE]
    time = eng["etp"]
    if eng.empty or (time.notna().all() and not (time > 0).any()):
        held = summary(table).set_index("fonction")
        figures = " ; ".join(f"{name} : {count(held.loc[name, 'titulaires'], 'titulaire', 'titulaires')}, "
                             f"{fr_number(held.loc[name, 'etp'], 2) if pd.notna(held.loc[name, 'etp']) else '—'} ETP"
                             for name in FUNCTIONS)
        out.append(alert("ingenierie_absente", "vigilance", figures,
                         "Aucun temps d'ingénierie n'est assuré : le " + GUIDE + " observe que coordination et animation sont "
                         "presque toujours présentes et que l'ingénierie (analyse des besoins, études de faisabilité, montage et "
                         "écriture des projets, ingénierie financière et juridique) est la fonction le plus souvent délaissée."))
    return pd.DataFrame(out, columns=list(ALERT_COLUMNS))
