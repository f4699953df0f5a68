"""Small display blocks shared by pages: labels, the selection summary, commune code inputs."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from ptce_geo.codes import normalize_commune_code
from ptce_geo.indicators import Indicator
from ptce_geo.reference import Reference
from ui import state

__all__ = ["indicator_label", "selection_summary", "drawing_text", "commune_lists", "fr_int"]


def fr_int(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def indicator_label(ref: Reference, indicators: list[Indicator]) -> Callable[[str | None], str]:
    """``format_func`` for an indicator select box: label, unit and vintage."""
    labels = {i.id: f"{i.label} ({i.unit}) — {ref.source_of(i)[1] or 'millésime inconnu'}" for i in indicators}
    return lambda ind_id: "Aucun (contours seuls)" if ind_id is None else labels.get(ind_id, ind_id)


def selection_summary(ref: Reference, sel: state.Selection) -> None:
    """The selected EPCI (name, SIREN, communes, population) and their totals."""
    if not sel.epci:
        st.caption("Aucun EPCI sélectionné.")
        return
    rows = ref.epci.reindex(list(sel.epci))
    vintage = ref.vintages.get("population", {}).get("millesime", "")
    c1, c2 = st.columns(2)
    c1.metric("Communes", fr_int(rows["communes_total"].sum()), help="Communes membres des EPCI sélectionnés")
    c2.metric("Population", fr_int(rows["population"].sum()), help=f"Population municipale — {vintage}" if vintage else None)
    st.markdown(f"**{len(rows)} EPCI**\n\n" + "\n".join(
        f"- **{_md(row.nom)}** — SIREN {code} · {_md(row.type)} · {fr_int(row.communes_total)} communes · {fr_int(row.population)} hab."
        for code, row in rows.iterrows()
    ))


def _md(text: object) -> str:
    """Dataset text shown as Markdown: no HTML, no Markdown syntax of its own."""
    return html.escape(str(text), quote=False).translate({ord(c): f"\\{c}" for c in "*_`[]#|~$"})


def drawing_text(sel: state.Selection) -> str:
    """``1 forme, 5 sommets`` (a closed ring's repeated first point is not counted)."""
    shapes = len(sel.drawings)
    return f"{shapes} forme{'s' if shapes > 1 else ''}, {sel.vertex_count} sommets"


def _codes_changed(widget: str, attr: str, known: pd.Index) -> None:
    codes, problems = state.parse_codes(st.session_state[widget], normalize_commune_code, known, "Communes")
    st.session_state[f"{widget}_problemes"] = problems
    state.save(replace(state.stored(), **{attr: codes}))


def commune_lists(ref: Reference, sel: state.Selection) -> None:
    """Text inputs for communes added to or excluded from the territory (INSEE codes, validated)."""
    for widget, attr, label in (("ter_communes", "communes", "Communes ajoutées"), ("ter_exclues", "excluded", "Communes exclues")):
        st.session_state[widget] = ", ".join(getattr(sel, attr))
        st.text_input(label, key=widget, on_change=_codes_changed, args=(widget, attr, ref.communes.index),
                      placeholder="ex. 01001, 2A004")
        for problem in st.session_state.pop(f"{widget}_problemes", []):
            st.warning(problem)
