"""The « Collectif » block of the Acteurs page: interest × involvement, compétences, problématiques, visions.

Displays what ``ptce_geo.collective.analysis`` computes; no rule is decided here.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ptce_geo.collective import analysis
from ptce_geo.collective.actor_schema import INTERESTS
from ptce_geo.fr_format import D3_LOCALE
from ui import governance_panel, state

__all__ = ["collective_panel"]

_SOURCE = "Niveaux d'intérêt et espaces d'implication : guide de l'Institut Godin (2025), chapitre « Le collectif »."


def _interest_chart(table: pd.DataFrame) -> alt.Chart:
    long = table[table["implication"] != "total"].melt("implication", [*INTERESTS, analysis.UNKNOWN], "intérêt", "acteurs")
    order = list(table["implication"][table["implication"] != "total"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("implication:N", sort=order, title="Espace d'implication"),
        x=alt.X("acteurs:Q", title="Acteurs", axis=alt.Axis(format="d")),
        color=alt.Color("intérêt:N", sort=[*INTERESTS, analysis.UNKNOWN], title="Niveau d'intérêt",
                        legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=["implication:N", "intérêt:N", "acteurs:Q"])


_LABELS = {"implication": "Espace d'implication", "nom": "Structure", "interet": "Intérêt", "interet_attendu": "Intérêt attendu",
           "ecart": "Écart", "ligne": "Ligne", "competence": "Compétence", "problematique": "Problématique", "acteurs": "Acteurs",
           "impliques": "Dont impliqués", "part_pct": "Part des acteurs (%)", "thematique": "Thématique",
           "acteurs_concernes": "Acteurs concernés", "porte_par": "Soulevée par", "competences_disponibles": "Compétences disponibles",
           "acteurs_ressources": "Acteurs ressources", "couverture": "Couverture", "vision": "Vision", "constats_partages": "Constats partagés"}


def _show(frame: pd.DataFrame, where=st) -> None:
    where.dataframe(frame.rename(columns=_LABELS), hide_index=True, width="stretch")


def _findings() -> pd.DataFrame | None:
    opened = state.opened()
    return opened.project.findings if opened is not None else None


def collective_panel(actors: pd.DataFrame) -> None:
    """Interest × involvement (table, chart, actors off the guide's pairing, drift alert), frequencies, crossing, visions."""
    st.caption(_SOURCE)
    for alert in analysis.drift_alerts(actors):
        st.error(f"{alert['message']} ({alert['chiffres']})")
    governance_panel.collective_alerts()  # the open project's technical functions and funding
    table = analysis.interest_involvement(actors)
    left, right = st.columns(2)
    _show(table, left)
    right.altair_chart(_interest_chart(table).configure(locale=D3_LOCALE), width="stretch")  # French numbers
    off = analysis.off_correspondence(actors)
    st.markdown("**Acteurs hors de la correspondance intérêt / espace décrite par le guide**")
    st.caption("« en deçà » : intérêt plus étroit que ce que l'espace suppose ; « au-delà » : acteur qui pourrait prendre une place "
               "plus large.")
    if off.empty:
        st.write("Aucun.")
    else:
        _show(off)
    skills, needs = st.columns(2)
    skills.markdown("**Compétences**")
    _show(analysis.frequencies(actors, "competences"), skills)
    needs.markdown("**Problématiques**")
    _show(analysis.frequencies(actors, "problematiques"), needs)
    st.markdown("**Problématiques et compétences disponibles, par thématique**")
    st.caption("Une problématique est couverte quand un autre acteur impliqué de la même thématique déclare au moins une compétence ; "
               "« Constats partagés » compte les constats du projet ouvert sur cette thématique.")
    _show(analysis.needs_and_competences(actors, _findings()))
    st.markdown("**Visions, par thématique**")
    _show(analysis.visions_by_theme(actors))
