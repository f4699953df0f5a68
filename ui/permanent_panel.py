"""The « diagnostic permanent » of the open project: groups, activity projects, meetings, contacts and the widening.

Forms call ``ptce_geo.collective.tables`` (which checks every row and refuses in French) and save
the project at once; this module only draws. Structures are picked from the project's inventory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ptce_geo.collective import tables as ct
from ptce_geo.collective.activities import ACTIVITIES, CARRYING, INNOVATION_CRITERIA, STATUSES, activity_counts, activity_points, criteria_counts
from ptce_geo.collective.actor_schema import CONTACT_STATUSES, INVOLVEMENT_LEVELS, THEMES, canonical_theme
from ptce_geo.collective.actors_map import activity_layer, actor_layer, actor_legend_html, actors_base_map
from ptce_geo.collective.groups import GROUP_KINDS, GROUPS, memberships
from ptce_geo.collective.meetings import CONTACTS, MEETING_KINDS, MEETINGS, actor_history, contact_status, widening
from ptce_geo.errors import ProjectError
from ptce_geo.fr_format import count, fr_number
from ptce_geo.project import Project
from ui import loaders, project, state
from ui.project import md

__all__ = ["groups_tab", "activities_tab", "meetings_tab", "references_warning", "actor_names"]

_RHYTHMS = ("hebdomadaire", "mensuel", "trimestriel", "semestriel", "ponctuel")
_WIDENING_LABELS = {"date": "Date", "acteurs_suivis": "Structures suivies", "acteurs_rencontres": "Structures rencontrées",
                    "acteurs_impliques": "Structures impliquées"}


def actor_names(p: Project) -> list[str]:
    """Names of the project's structures, as the tables refer to them."""
    if p.actors is None or "nom" not in p.actors:
        return []
    return sorted(dict.fromkeys(p.actors["nom"].dropna().astype(str)), key=str.casefold)


def _finding_ids(p: Project) -> list[int]:
    return [int(i) for i in pd.to_numeric(p.findings["id"]).tolist()]


def _finding_label(p: Project) -> Callable[[int], str]:
    texts = dict(zip(pd.to_numeric(p.findings["id"]).astype(int), p.findings["texte"].astype(str), strict=True))
    return lambda i: f"n° {i} — {texts.get(i, '?')[:70]}"


def _change(action: Callable[[dict], dict], success: str) -> None:
    """Apply ``action`` to the open project's tables and save; a refusal is shown in French and nothing changes."""
    p = state.opened().project
    try:
        p.tables = action(p.tables)
    except ProjectError as exc:
        project.note("error", str(exc))
        return
    if project.save():
        project.note("success", success)


def _add(layer: str, values: dict, success: str) -> None:
    p = state.opened().project
    _change(lambda t: ct.add_row(t, layer, values, actor_names(p), _finding_ids(p)), success)


def _column(f: ct.Field) -> object:
    """The editor column of a field: a list for a closed single value, numbers as numbers, the rest as text."""
    if f.choices and f.kind != "list":
        return st.column_config.SelectboxColumn(f.label, options=list(f.choices), required=f.required)
    if f.kind in ("float", "int"):
        return st.column_config.NumberColumn(f.label, format="%.1f" if f.kind == "float" else "%d", min_value=f.minimum, max_value=f.maximum)
    if f.kind == "bool":
        return st.column_config.CheckboxColumn(f.label)
    hint = {"list": "plusieurs valeurs séparées par « ; »", "date": "date AAAA-MM-JJ"}.get(f.kind)
    return st.column_config.TextColumn(f.label, help=hint, required=f.required)


def _show(spec: ct.Table, frame: pd.DataFrame, key: str) -> None:
    """The table, editable in place; « Enregistrer les modifications » checks every row before anything is saved."""
    if frame.empty:
        st.caption(f"{spec.label} : aucune ligne pour l'instant.")
        return
    config = {"id": st.column_config.NumberColumn("n°", format="%d", disabled=True), **{f.name: _column(f) for f in spec.fields}}
    edited = st.data_editor(frame, hide_index=True, width="stretch", column_config=config, num_rows="fixed", key=f"{key}_editor")
    if st.button("Enregistrer les modifications", key=f"{key}_save", disabled=edited.equals(frame)):
        p = state.opened().project
        try:
            p.tables = ct.replace_rows(p.tables, spec.layer, edited, actor_names(p), _finding_ids(p))
        except ProjectError as exc:
            st.error(md(exc))  # the edits stay in the table, to be fixed
            return
        if project.save():
            project.note("success", f"{spec.label} : modifications enregistrées.")
        st.session_state.pop(f"{key}_editor", None)
        st.rerun()


def _delete(spec: ct.Table, frame: pd.DataFrame, key: str) -> None:
    if frame.empty:
        return
    labels = {int(r["id"]): f"n° {r['id']} — {r.get('nom') or r.get('objet') or r.get('acteur') or r.get('date')}" for r in frame.to_dict("records")}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox("Ligne à supprimer", list(labels), format_func=labels.get, key=f"{key}_del", placeholder="Choisir…")
    right.button("Supprimer", key=f"{key}_del_btn", icon=":material/delete:",
                 on_click=lambda: _change(lambda t: ct.delete_rows(t, spec.layer, [st.session_state[f"{key}_del"]]),
                                          f"{spec.label} : ligne supprimée."))


def references_warning(p: Project) -> None:
    """References to structures or findings no longer in the project (deleted or renamed): the rows are kept, the user fixes them."""
    gone = ct.dangling(p.tables, actor_names(p), _finding_ids(p))
    if len(gone):
        listed = "; ".join(f"{r.table} {r.ligne}, « {r.colonne} » : {r.valeur}" for r in gone.head(6).itertuples())
        st.warning(md(f"{count(len(gone), 'référence', 'références')} à une structure ou un constat absent du projet "
                      f"(supprimé ou renommé dans l'inventaire) : {listed}. Les lignes sont gardées telles quelles."))


def _no_actors(names: list[str]) -> bool:
    if not names:
        st.info("Le projet n'a pas encore d'acteurs : importez ou saisissez l'inventaire sur la page Acteurs.")
    return not names


# --- groups ---------------------------------------------------------------------------------------------

def _add_group() -> None:
    s = st.session_state
    _add(GROUPS.layer, {"nom": s["grp_nom"], "type": s["grp_type"], "theme": canonical_theme(s["grp_theme"] or ""),
                        "animateur": s["grp_anim"] or "", "rythme": s["grp_rythme"] or "", "membres": ct.join_items(s["grp_membres"]),
                        "date_creation": s["grp_date"].isoformat() if s["grp_date"] else ""}, f"Groupe « {s['grp_nom'].strip()} » ajouté.")


def groups_tab(p: Project) -> None:
    """Thematic and project groups: add one, list them, who sits in several."""
    names = actor_names(p)
    st.caption("Le guide distingue le groupe thématique (une thématique du PTCE) et le groupe projet (un projet précis) ; "
               "une structure peut siéger dans plusieurs groupes.")
    if _no_actors(names):
        return
    with st.form("grp_form", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        c1.text_input("Nom du groupe", key="grp_nom", max_chars=120)
        c2.selectbox("Type de groupe", GROUP_KINDS, key="grp_type", placeholder="Choisir…")
        c3.selectbox("Thématique", THEMES, index=None, key="grp_theme", accept_new_options=True, placeholder="Choisir ou saisir…")
        d1, d2, d3 = st.columns(3)
        d1.selectbox("Structure animatrice", names, index=None, key="grp_anim", placeholder="Choisir…")
        d2.selectbox("Rythme des réunions", _RHYTHMS, index=None, key="grp_rythme", accept_new_options=True, placeholder="Choisir ou saisir…")
        d3.date_input("Date de création", value=None, key="grp_date", format="DD/MM/YYYY")
        st.multiselect("Membres (structures de l'inventaire)", names, key="grp_membres", placeholder="Choisir…")
        st.form_submit_button("Ajouter le groupe", on_click=_add_group, type="primary")
    frame = p.tables.get(GROUPS.layer, GROUPS.empty())
    if len(frame):
        listed = ", ".join(f"{r['nom']} ({count(len(ct.split_items(r['membres'])), 'membre', 'membres')})" for r in frame.head(12).to_dict("records"))
        st.markdown(md(f"{count(len(frame), 'groupe', 'groupes')} : {listed}{' …' if len(frame) > 12 else ''}."))
    _show(GROUPS, frame, "grp")
    _delete(GROUPS, frame, "grp")
    several = memberships(p.tables)
    several = several[several["groupes"] >= 2]
    if len(several):
        st.markdown("**Structures présentes dans plusieurs groupes**")
        st.dataframe(several.rename(columns={"acteur": "Structure", "groupes": "Groupes", "noms": "Lesquels"}), hide_index=True)


# --- activity projects ------------------------------------------------------------------------------------

def _number_or_blank(value: object) -> object:
    return "" if value is None else value


def _add_activity() -> None:
    s = st.session_state
    _add(ACTIVITIES.layer, {
        "nom": s["act_p_nom"], "statut": s["act_p_statut"], "theme": canonical_theme(s["act_p_theme"] or ""),
        "portage": s["act_p_portage"] or "", "porteur": s["act_p_porteur"] or "", "partenaires": ct.join_items(s["act_p_part"]),
        "groupe": _number_or_blank(s["act_p_groupe"]), "besoin": s["act_p_besoin"], "constats": ct.join_items(s["act_p_constats"]),
        "criteres_innovation": ct.join_items(s["act_p_criteres"]), "activites": s["act_p_activites"],
        "emplois": _number_or_blank(s["act_p_emplois"]),
        "date_debut": s["act_p_debut"].isoformat() if s["act_p_debut"] else "", "date_fin": s["act_p_fin"].isoformat() if s["act_p_fin"] else "",
        "longitude": _number_or_blank(s["act_p_lon"]), "latitude": _number_or_blank(s["act_p_lat"]),
    }, f"Projet d'activité « {s['act_p_nom'].strip()} » ajouté.")


def activities_tab(p: Project) -> None:
    """Activity projects: add one (status, carrier, partners, need and findings, social-innovation criteria, results, place)."""
    names = actor_names(p)
    st.caption("Projets d'activité du PTCE, portés en direct par une structure du collectif ou par un porteur accompagné "
               "(guide de l'Institut Godin, 2025). Les critères d'innovation sociale reprennent ceux du guide.")
    if _no_actors(names):
        return
    groups = p.tables.get(GROUPS.layer, GROUPS.empty())
    group_names = dict(zip(groups["id"].astype(int), groups["nom"], strict=True))
    with st.form("act_p_form", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        c1.text_input("Nom du projet", key="act_p_nom", max_chars=120)
        c2.selectbox("Statut", STATUSES, key="act_p_statut", placeholder="Choisir…")
        c3.selectbox("Thématique", THEMES, index=None, key="act_p_theme", accept_new_options=True, placeholder="Choisir ou saisir…")
        d1, d2, d3 = st.columns(3)
        d1.selectbox("Portage", CARRYING, index=None, key="act_p_portage", placeholder="Choisir…")
        d2.selectbox("Structure porteuse", names, index=None, key="act_p_porteur", placeholder="Choisir…")
        d3.selectbox("Groupe projet", list(group_names), index=None, key="act_p_groupe", format_func=lambda i: group_names.get(i, str(i)),
                     placeholder="Aucun")
        st.multiselect("Partenaires", names, key="act_p_part", placeholder="Choisir…")
        e1, e2 = st.columns(2)
        e1.text_area("Besoin auquel il répond", key="act_p_besoin", max_chars=500, height=68)
        e2.multiselect("Constats partagés liés", _finding_ids(p), key="act_p_constats", format_func=_finding_label(p), placeholder="Choisir…")
        st.multiselect("Critères d'innovation sociale remplis", INNOVATION_CRITERIA, key="act_p_criteres", placeholder="Choisir…")
        f1, f2, f3, f4 = st.columns(4)
        f1.text_input("Activités créées", key="act_p_activites", max_chars=300)
        f2.number_input("Emplois créés (ETP)", value=None, step=0.5, key="act_p_emplois")
        f3.date_input("Début", value=None, key="act_p_debut", format="DD/MM/YYYY")
        f4.date_input("Fin", value=None, key="act_p_fin", format="DD/MM/YYYY")
        g1, g2 = st.columns(2)
        g1.number_input("Latitude (WGS 84)", value=None, format="%.5f", key="act_p_lat")
        g2.number_input("Longitude (WGS 84)", value=None, format="%.5f", key="act_p_lon")
        st.form_submit_button("Ajouter le projet d'activité", on_click=_add_activity, type="primary")
    frame = p.tables.get(ACTIVITIES.layer, ACTIVITIES.empty())
    _show(ACTIVITIES, frame, "act_p")
    _delete(ACTIVITIES, frame, "act_p")
    _activity_map(p)
    if len(frame):
        left, right = st.columns(2)
        counts = activity_counts(p.tables).assign(emplois_etp=lambda f: f["emplois_etp"].map(lambda v: fr_number(v, 1)))
        left.dataframe(counts.rename(columns={"statut": "Statut", "projets": "Projets", "emplois_etp": "Emplois (ETP)"}), hide_index=True)
        right.dataframe(criteria_counts(p.tables).rename(columns={"critere": "Critère d'innovation sociale", "projets": "Projets"}),
                        hide_index=True)


def _activity_map(p: Project) -> None:
    """The placed activity projects (dark rings) over the project's actors, on a background that works offline."""
    points = activity_points(p.tables)
    if points.empty:
        return
    assets, _ = loaders.map_assets()
    actors = p.actors if p.actors is not None else None
    both = [points.total_bounds] + ([actors.total_bounds] if actors is not None and len(actors) else [])
    bounds = (min(b[0] for b in both), min(b[1] for b in both), max(b[2] for b in both), max(b[3] for b in both))
    layers = [activity_layer(points)] + ([actor_layer(actors)] if actors is not None and len(actors) else [])
    st_folium(actors_base_map(assets, "aucun", bounds), key="act_p_map", height=380, use_container_width=True, returned_objects=[],
              feature_group_to_add=layers[::-1])
    if actors is not None and len(actors):
        st.html(actor_legend_html("implication"))
    st.caption(f"{count(len(points), 'projet d’activité placé', 'projets d’activité placés')} (anneaux sombres) parmi les acteurs "
               "(couleur : implication ; forme : type de structure).")


# --- meetings and contacts ----------------------------------------------------------------------------------

def _add_meeting() -> None:
    s = st.session_state
    _add(MEETINGS.layer, {"date": s["mtg_date"].isoformat() if s["mtg_date"] else "", "type": s["mtg_type"], "objet": s["mtg_objet"],
                          "participants": ct.join_items(s["mtg_part"]), "themes": ct.join_items(canonical_theme(t) for t in s["mtg_themes"]),
                          "constats": ct.join_items(s["mtg_constats"])}, "Rencontre ajoutée au journal.")


def _add_contact() -> None:
    s = st.session_state
    _add(CONTACTS.layer, {"acteur": s["ctc_acteur"] or "", "date": s["ctc_date"].isoformat() if s["ctc_date"] else "",
                          "statut": s["ctc_statut"] or "", "implication": s["ctc_impl"] or "", "note": s["ctc_note"]},
         "Changement de statut enregistré.")


def _widening_chart(frame: pd.DataFrame) -> alt.Chart:
    long = frame.rename(columns=_WIDENING_LABELS).melt("Date", var_name="Série", value_name="Structures")
    return alt.Chart(long).mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("Date:T", title=None, axis=alt.Axis(format="%d/%m/%Y")), y=alt.Y("Structures:Q", axis=alt.Axis(format="d")),
        color=alt.Color("Série:N", title=None), tooltip=["Date:T", "Série:N", "Structures:Q"]).properties(height=240)


def meetings_tab(p: Project) -> None:
    """The dated log of meetings, each structure's contact status with its history, and the widening of the collective."""
    names = actor_names(p)
    st.caption("Le diagnostic permanent du guide : des rencontres individuelles ou collectives, datées, qui élargissent le "
               "collectif. Seules les structures sont nommées (pas de données personnelles).")
    if _no_actors(names):
        return
    with st.form("mtg_form", clear_on_submit=True):
        c1, c2, c3 = st.columns([1, 1, 2])
        c1.date_input("Date", value=date.today(), key="mtg_date", format="DD/MM/YYYY")
        c2.selectbox("Type de rencontre", MEETING_KINDS, key="mtg_type", placeholder="Choisir…")
        c3.text_input("Objet", key="mtg_objet", max_chars=200)
        st.multiselect("Structures participantes", names, key="mtg_part", placeholder="Choisir…")
        d1, d2 = st.columns(2)
        d1.multiselect("Thématiques abordées", THEMES, key="mtg_themes", accept_new_options=True, placeholder="Choisir ou saisir…")
        d2.multiselect("Constats produits", _finding_ids(p), key="mtg_constats", format_func=_finding_label(p), placeholder="Choisir…")
        st.form_submit_button("Ajouter la rencontre", on_click=_add_meeting, type="primary")
    meetings = p.tables.get(MEETINGS.layer, MEETINGS.empty()).sort_values(["date", "id"], ascending=False)
    if len(meetings):
        last = meetings.iloc[0]
        about = f" : {last['objet']}" if last["objet"] else ""
        st.markdown(md(f"{count(len(meetings), 'rencontre', 'rencontres')} au journal ; la dernière, {last['type']}, le "
                       f"{date.fromisoformat(last['date']).strftime('%d/%m/%Y')}{about} "
                       f"({count(len(ct.split_items(last['participants'])), 'structure', 'structures')})."))
    _show(MEETINGS, meetings, "mtg")
    _delete(MEETINGS, meetings, "mtg")

    st.markdown("**Statut de contact et espace d'implication : un changement daté**")
    with st.form("ctc_form", clear_on_submit=True):
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Structure", names, index=None, key="ctc_acteur", placeholder="Choisir…")
        c2.date_input("Date", value=date.today(), key="ctc_date", format="DD/MM/YYYY")
        c3.selectbox("Statut de contact", CONTACT_STATUSES, index=None, key="ctc_statut", placeholder="Inchangé")
        c4.selectbox("Espace d'implication", INVOLVEMENT_LEVELS, index=None, key="ctc_impl", placeholder="Inchangé")
        st.text_input("Note (sans donnée personnelle)", key="ctc_note", max_chars=200)
        st.form_submit_button("Enregistrer le changement", on_click=_add_contact)
    status = contact_status(p.tables)
    if len(status):
        st.dataframe(status.rename(columns={"acteur": "Structure", "statut": "Statut", "statut_depuis": "Depuis le", "implication": "Implication",
                                            "implication_depuis": "Implication depuis le", "entrees": "Entrées"}), hide_index=True, width="stretch")
        chosen = st.selectbox("Historique d'une structure", status["acteur"].tolist(), key="ctc_history", placeholder="Choisir…")
        st.dataframe(actor_history(p.tables, chosen).rename(columns={"date": "Date", "statut": "Statut", "implication": "Implication",
                                                                     "rencontre": "Rencontre"}), hide_index=True, width="stretch")
    grow = widening(p.tables)
    if len(grow):
        st.markdown("**Élargissement du collectif**")
        left, right = st.columns([1, 2])
        left.dataframe(grow.rename(columns=_WIDENING_LABELS), hide_index=True)
        right.altair_chart(_widening_chart(grow), width="stretch")
        st.caption("Suivies : structures ayant au moins une entrée au journal ; rencontrées : présentes à une rencontre ou au statut "
                   "« rencontré » ; impliquées : dernier espace d'implication noté à cette date parmi les quatre du guide.")
