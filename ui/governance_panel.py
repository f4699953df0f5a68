"""The « Gouvernance et modèle économique » tab of the Projet page, and its alerts next to the collective's on the Acteurs page.

Formalisation, governance bodies and place are profile fields; technical functions and funding lines are tables of the
open project. Rules, checks and alerts come from ``ptce_geo.collective`` (governance, functions, funding); this module
shows them and saves each change at once. A refused entry is explained in French next to its form and nothing saved is
touched. Today's date is read here, once, and passed to the rules.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ptce_geo.collective import functions, funding, governance
from ptce_geo.errors import PtceGeoError
from ptce_geo.fr_format import MISSING, count, fr_number, fr_percent, yes_no
from ptce_geo.project import Project
from ui import project, state
from ui.permanent_panel import actor_names
from ui.project import md

__all__ = ["governance_tab", "collective_alerts", "today"]

_FLASH = "gov_flash"
_BOXES = {"alerte": (st.error, ":material/error:"), "vigilance": (st.warning, ":material/warning:"), "info": (st.info, ":material/info:")}
_YES_NO = (True, False)


def today() -> date:
    """Today in Paris: the day the funding rules are applied to."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def _flash(where: str, kind: str, text: str) -> None:
    st.session_state[_FLASH] = (where, kind, text)


def _show_flash(where: str) -> None:
    flash = st.session_state.get(_FLASH)
    if flash and flash[0] == where:
        st.session_state.pop(_FLASH)
        {"error": st.error, "success": st.success}[flash[1]](md(flash[2]))


def _show_alerts(alerts: pd.DataFrame) -> None:
    for row in alerts.itertuples(index=False):
        box, icon = _BOXES.get(row.niveau, _BOXES["info"])
        box(f"**{md(row.niveau.capitalize())}** — {md(row.message)}  \n{md(row.chiffres)}", icon=icon)


def _alerts(p: Project, on: date) -> pd.DataFrame:
    return governance.alerts(functions.read(p.tables.get(functions.LAYER)), funding.read(p.tables.get(funding.LAYER)), actor_names(p), on)


def collective_alerts() -> None:
    """The open project's function and funding alerts, where the Acteurs page shows the collective's other alerts."""
    opened = state.opened()
    if opened is not None:
        _show_alerts(_alerts(opened.project, today()).query("niveau != 'info'"))


# --- profile fields: formalisation, bodies, place ---------------------------------------------------------

def _profile_widget(p: Project, key: str, field: str, default: object) -> dict:
    """Keyword arguments tying a widget to one profile field (value from the project, saved on change, error shown)."""
    st.session_state[key] = p.profile.get(field, default)

    def change() -> None:
        try:
            project.update_profile(field, st.session_state[key])
        except PtceGeoError as exc:
            _flash("profil", "error", str(exc))

    return {"key": key, "on_change": change}


def _choices(values: tuple, current: object) -> list:
    return [*values, current] if current is not None and current not in values else list(values)  # another version's value is kept


def _formalisation(p: Project, names: list[str]) -> None:
    st.markdown("**Formalisation et instances de gouvernance**")
    st.caption("Trois niveaux de formalisation, qui sont des étapes possibles et non une progression obligée ; les instances de "
               "concertation existent quelle que soit la forme juridique et ne la remplacent pas (guide de l'Institut Godin, 2025, "
               "« Gouvernance et formalisation »).")
    st.radio("Niveau de formalisation", _choices(governance.FORMALISATION, p.profile.get("formalisation")), index=None,
             **_profile_widget(p, "gov_formalisation", "formalisation", None))
    st.selectbox("Structure qui porte la démarche", names, index=None, accept_new_options=True, placeholder="Choisir ou saisir…",
                 help="La structure membre qui porte le PTCE, ou l'association ou la SCIC créée pour lui.",
                 **_profile_widget(p, "gov_porteuse", "structure_porteuse", None))
    st.multiselect("Instances de gouvernance", governance.BODIES, placeholder="Choisir…",
                   **_profile_widget(p, "gov_instances", "instances", []))


def _place(p: Project, names: list[str]) -> None:
    st.markdown("**Le lieu**")
    st.caption("Un lieu et un tiers-lieu sont deux choses : le guide de l'Institut Godin (2025, « Le lieu ») invite à ne pas "
               "confondre PTCE et tiers-lieu, tout en tirant parti de leur articulation.")
    st.radio("La démarche dispose-t-elle d'un lieu ?", _YES_NO, index=None, horizontal=True, format_func=yes_no,
             **_profile_widget(p, "gov_lieu", "lieu", None))
    if p.profile.get("lieu") is not True:
        return
    st.text_input("Où (adresse, commune)", max_chars=200, **_profile_widget(p, "gov_lieu_adresse", "lieu_adresse", ""))
    st.selectbox("Mis à disposition par", names, index=None, accept_new_options=True, placeholder="Choisir ou saisir…",
                 **_profile_widget(p, "gov_lieu_par", "lieu_fourni_par", None))
    st.radio("À quelles conditions", _choices(governance.PLACE_TERMS, p.profile.get("lieu_modalites")), index=None,
             **_profile_widget(p, "gov_lieu_modalites", "lieu_modalites", None))
    st.radio("Ce lieu est-il un tiers-lieu ?", _YES_NO, index=None, horizontal=True, format_func=yes_no,
             **_profile_widget(p, "gov_tiers_lieu", "tiers_lieu", None))


# --- tables: functions, funding --------------------------------------------------------------------------

def _store(layer: str, frame: pd.DataFrame, where: str, success: str) -> None:
    opened = state.opened()
    previous = opened.project.tables.get(layer)
    opened.project.tables[layer] = frame
    if project.save():
        _flash(where, "success", success)
    elif previous is not None:  # not written (conflict): the project in memory stays as the file
        opened.project.tables[layer] = previous


def _add_function() -> None:
    s, p = st.session_state, state.opened().project
    try:
        table = functions.add(functions.read(p.tables.get(functions.LAYER)), actor_names(p), s["gov_f_fonction"], s["gov_f_titulaire"],
                              s["gov_f_structure"] or "", s["gov_f_etp"], s["gov_f_note"])
    except PtceGeoError as exc:
        _flash("fonctions", "error", f"Fonction non ajoutée — {exc}")
        return
    _store(functions.LAYER, table, "fonctions", f"Fonction « {s['gov_f_fonction']} » ajoutée.")
    for key in ("gov_f_etp", "gov_f_note"):
        s[key] = ""


def _functions(p: Project, names: list[str]) -> None:
    st.markdown("**Fonctions techniques**")
    st.caption("Coordination, animation et ingénierie (guide de l'Institut Godin, 2025, « Fonctions techniques ») : qui les "
               "assure, dans quelle structure et pour quel temps, en équivalents temps plein (ETP). Les fonctions sont rattachées à "
               "des structures de l'inventaire, jamais à des personnes.")
    legacy = p.profile.get("fonctions") or []
    if legacy:
        st.caption(f"Ancien profil : fonctions déclarées assurées, sans titulaire ni temps : {md(', '.join(map(str, legacy)))}. "
                   "Saisissez-les ci-dessous avec la structure qui les tient.")
    table = functions.read(p.tables.get(functions.LAYER))
    summary = functions.summary(table)
    st.dataframe(pd.DataFrame({"Fonction": summary["fonction"], "Titulaires": summary["titulaires"].map(str),
                               "Temps (ETP)": summary["etp"].map(lambda v: fr_number(v, 2)),
                               "Temps inconnu": summary["etp_inconnu"].map(lambda n: count(n, "ligne", "lignes") if n else "")}),
                 hide_index=True, width="stretch")
    if not names:
        st.info("Ajoutez d'abord les acteurs sur la page Acteurs : une fonction est tenue par une structure de l'inventaire.")
    else:
        with st.form("gov_function_form", border=True):
            c1, c2, c3, c4 = st.columns([1, 2, 2, 1])
            c1.selectbox("Fonction", functions.FUNCTIONS, key="gov_f_fonction", placeholder="Choisir…")
            c2.selectbox("Tenue par (acteur)", names, index=None, key="gov_f_titulaire", placeholder="Choisir…")
            c3.selectbox("Dans la structure", [functions.OWN_STRUCTURE, *names], index=None, key="gov_f_structure", placeholder="Choisir…",
                         help="La structure qui porte le poste : un membre, ou la structure propre du PTCE.")
            c4.text_input("Temps (ETP)", key="gov_f_etp", placeholder="ex. 0,5")
            st.text_input("Remarque (facultatif)", key="gov_f_note", max_chars=200)
            st.form_submit_button("Ajouter la fonction", on_click=_add_function, type="primary")
    _show_flash("fonctions")
    if not table.empty:
        shown = pd.DataFrame({"n°": table["id"].map(str), "Fonction": table["fonction"], "Tenue par": table["titulaire"],
                              "Structure": table["structure"].replace("", MISSING),
                              "Temps (ETP)": table["etp"].map(lambda v: fr_number(v, 2)), "Remarque": table["note"]})
        st.dataframe(shown, hide_index=True, width="stretch")
        _delete_picker("gov_f_del", table, lambda r: f"n° {r.id} — {r.fonction}, {r.titulaire}", functions.LAYER, functions.remove,
                       "fonctions")


def _delete_picker(key: str, table: pd.DataFrame, label, layer: str, remove, where: str) -> None:
    labels = {int(r.id): label(r) for r in table.itertuples(index=False)}
    d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
    d1.selectbox("Ligne à supprimer", list(labels), index=None, key=key, format_func=labels.get, placeholder="Choisir…")

    def delete() -> None:
        chosen = st.session_state.get(key)
        if chosen is not None:
            _store(layer, remove(table, [chosen]), where, f"Ligne n° {chosen} supprimée.")
            st.session_state[key] = None

    d2.button("Supprimer", key=f"{key}_btn", icon=":material/delete:", on_click=delete)


def _add_funding() -> None:
    s, p = st.session_state, state.opened().project
    try:
        table = funding.add(funding.read(p.tables.get(funding.LAYER)), s["gov_m_source"], s["gov_m_montant"], s["gov_m_debut"],
                            s["gov_m_fin"], s["gov_m_echeance"], s["gov_m_nature"], s["gov_m_poste"], s["gov_m_note"])
    except PtceGeoError as exc:
        _flash("financements", "error", f"Financement non ajouté — {exc}")
        return
    _store(funding.LAYER, table, "financements", f"Financement « {s['gov_m_source'].strip()} » ajouté.")
    for key in ("gov_m_source", "gov_m_montant", "gov_m_note"):
        s[key] = ""
    for key in ("gov_m_debut", "gov_m_fin", "gov_m_echeance", "gov_m_nature"):
        s[key] = None
    s["gov_m_poste"] = False


def _economy_figures(table: pd.DataFrame, on: date) -> None:
    share = funding.own_share(table, on)
    post = funding.coordination_funding(table, on)
    m1, m2, m3 = st.columns(3)
    m1.metric("Part des ressources propres", fr_percent(share.share, 1),
              help=f"Sur {count(share.counted, 'financement en cours', 'financements en cours')} le {on:%d/%m/%Y}, chaque montant étalé "
                   f"sur sa période (montant ÷ jours × {funding.DAYS_PER_YEAR}) ; {count(share.left_out, 'ligne', 'lignes')} sans "
                   "montant, nature ou période complète non comptée(s).")
    m2.metric("Poste de coordination : financé par an", f"{fr_number(post.per_year)}\u00a0€" if post.running else MISSING,
              help=f"{count(post.lines, 'ligne', 'lignes')} de financement du poste, dont {post.running} en cours.")
    end = "sans date de fin" if post.open_ended else (f"{post.ends:%d/%m/%Y}" if post.ends else MISSING)
    m3.metric("Financement du poste jusqu'au", end)


def _funding_table(table: pd.DataFrame) -> pd.DataFrame:
    def day(value: str) -> str:
        return f"{date.fromisoformat(value):%d/%m/%Y}" if value else MISSING

    return pd.DataFrame({"n°": table["id"].map(str), "Source": table["source"], "Nature": table["nature"].replace("", MISSING),
                         "Montant (€)": table["montant"].map(fr_number), "Début": table["debut"].map(day), "Fin": table["fin"].map(day),
                         "Échéance": table["echeance"].map(day), "Poste de coordination": table["poste_coordination"].map(yes_no),
                         "Remarque": table["note"]})


def _economy(p: Project, on: date) -> None:
    st.markdown("**Modèle économique**")
    st.caption("Financements (source, montant, période, échéance), part des ressources propres et financement du poste de "
               f"coordination ; une alerte prévient {funding.END_ALERT_MONTHS} mois avant la fin d'un financement et "
               f"{funding.DEADLINE_ALERT_DAYS} jours avant une échéance (seuils de l'application). Guide de l'Institut Godin (2025), "
               "« Modèle économique ».")
    table = funding.read(p.tables.get(funding.LAYER))
    _economy_figures(table, on)
    with st.form("gov_funding_form", border=True):
        c1, c2, c3 = st.columns([2, 2, 1])
        c1.text_input("Source (financeur, dispositif)", key="gov_m_source", max_chars=160, placeholder="ex. Région, dispositif PTCE")
        c2.selectbox("Nature", funding.NATURES, index=None, key="gov_m_nature", placeholder="Choisir…")
        c3.text_input("Montant (€)", key="gov_m_montant", placeholder="ex. 40 000")
        d1, d2, d3, d4 = st.columns(4)
        d1.date_input("Début", value=None, key="gov_m_debut", format="DD/MM/YYYY")
        d2.date_input("Fin", value=None, key="gov_m_fin", format="DD/MM/YYYY")
        d3.date_input("Échéance (renouvellement, bilan…)", value=None, key="gov_m_echeance", format="DD/MM/YYYY")
        d4.checkbox("Finance le poste de coordination", key="gov_m_poste")
        st.text_input("Remarque (facultatif)", key="gov_m_note", max_chars=200)
        st.form_submit_button("Ajouter le financement", on_click=_add_funding, type="primary")
    _show_flash("financements")
    if not table.empty:
        st.dataframe(_funding_table(table), hide_index=True, width="stretch")
        _delete_picker("gov_m_del", table, lambda r: f"n° {r.id} — {r.source}", funding.LAYER, funding.remove, "financements")


def governance_tab(p: Project) -> None:
    """Alerts, formalisation and bodies, place, technical functions, economic model of the open project ``p``."""
    on = today()
    names = actor_names(p)
    alerts = _alerts(p, on)
    st.markdown("**Alertes**")
    if alerts.empty:
        st.success("Aucune alerte sur les fonctions techniques et le modèle économique.")
    _show_alerts(alerts)
    _show_flash("profil")
    left, right = st.columns(2, gap="large")
    with left:
        _formalisation(p, names)
    with right:
        _place(p, names)
    st.divider()
    _functions(p, names)
    st.divider()
    _economy(p, on)
