"""Projet : créer, ouvrir ou importer un projet (un fichier GeoPackage), puis ses territoires candidats, ses constats
partagés, le profil du PTCE et ses instantanés datés. Chaque modification est enregistrée aussitôt."""

from datetime import date

import altair as alt
import streamlit as st

from ptce_geo.collective import profile, projects
from ptce_geo.collective.evidence import marker_evidence
from ptce_geo.errors import ProjectError
from ptce_geo.fr_format import D3_LOCALE
from ptce_geo.project import MATURITY_MARKERS, project_path
from ptce_geo.project_export import project_zip
from ui import dossier, governance_panel, loaders, permanent_panel, project, state, uploads
from ui.project import md

st.set_page_config(page_title="Projet — ptce-geo", page_icon="🗺️", layout="wide")
st.title("Projet")

ref = loaders.reference()
project.restore()
project.autosave(show=False)  # what other pages changed (territory, actors) since the last save
project.sync_url()
project.show_notes()
project.conflict_notice()
current = state.opened()


def attempt(action, *args, success: str = "") -> None:
    """Run a project action in a callback; its French error (or success, once saved) is shown on the next run."""
    try:
        saved = action(*args)
    except ProjectError as exc:
        project.note("error", str(exc))
    else:
        if success and saved is not False:
            project.note("success", success)


def create() -> None:
    name = st.session_state["prj_new_name"]
    attempt(project.create_from_session, name, st.session_state.get("prj_new_replace", False), success=f"Projet « {name} » créé.")
    st.session_state["prj_new_replace"] = False


def upload() -> None:
    file = st.session_state.get("prj_upload")
    if file is None:
        return
    try:
        imported, path = projects.import_project_file(projects.projects_dir(), file.getvalue(), file.name)
    except ProjectError as exc:
        project.note("error", f"Fichier refusé — {exc} Aucun projet n'a été modifié.")
        return
    project.open_loaded(imported, path)
    project.note("success", f"Projet « {imported.name} » importé dans le dossier des projets ({path.name}).")


# --- create / open / import ---------------------------------------------------------------------------
with st.expander("Créer, ouvrir ou importer un projet", expanded=current is None):
    c_new, c_open, c_upload = st.columns(3, gap="large")
    with c_new:
        st.markdown("**Nouveau projet**")
        name = st.text_input("Nom du projet", key="prj_new_name", max_chars=120, placeholder="ex. PTCE du Val de Loue")
        exists = False
        if name.strip():
            try:
                exists = project_path(projects.projects_dir(), name).exists()
            except ProjectError as exc:
                st.warning(md(exc))
        if exists:
            st.warning(f"Un projet « {md(name.strip())} » existe déjà.")
            st.checkbox("Remplacer le projet existant", key="prj_new_replace")
        st.button("Créer le projet", key="prj_create", type="primary", on_click=create, disabled=not name.strip())
        st.caption("Le projet reprend le territoire et les acteurs en cours, s'il y en a.")
    with c_open:
        st.markdown("**Projets du dossier**")
        listed = projects.catalogue()
        if not listed:
            st.caption("Aucun projet enregistré pour l'instant.")
        for row in listed:
            label = f"{md(row['nom'])} · {project.local_time(row['modifie_le'])}" if not row["erreur"] else md(row["fichier"])
            left, right = st.columns([3, 1])
            left.markdown(label, help=row["erreur"] or (f"Territoire actif : {row['territoire_actif']}" if row["territoire_actif"] else None))
            right.button("Ouvrir", key=f"prj_open_{row['fichier']}", on_click=project.open_by_name, args=(row["fichier"],),
                         disabled=bool(row["erreur"]))
    with c_upload:
        st.markdown("**Importer un fichier de projet**")
        uploads.file_uploader(f"Fichier .gpkg d'un projet ptce-geo ({projects.MAX_UPLOAD_MB} Mo au plus)", type=["gpkg"], key="prj_upload",
                              limit_mb=projects.MAX_UPLOAD_MB, on_change=upload)
        st.caption("Un fichier étranger ou abîmé est refusé ; un projet existant n'est jamais écrasé (l'import prend un nom libre).")

if current is None:
    st.info("Aucun projet ouvert : créez-en un, ouvrez-en un du dossier ou importez un fichier. "
            "Un projet garde le territoire, les acteurs, les constats partagés, le profil du PTCE et des instantanés datés.")
    st.stop()

p = current.project
st.markdown(f"### {md(p.name)}")
info, actions = st.columns([1, 1])
vintage = f" · {md(p.geography_vintage)}" if p.geography_vintage else ""
info.caption(f"Fichier `{md(current.path.name)}` · révision {p.revision}{vintage} · enregistré automatiquement à chaque modification.")
if p.geography_vintage and p.geography_vintage != ref.geography_vintage:
    info.warning(f"Projet enregistré avec la géographie {md(p.geography_vintage)} ; les territoires sont recalculés sur "
                 f"{md(ref.geography_vintage)}.")
b1, b3, b2 = actions.columns(3)
b1.download_button("Télécharger (.gpkg)", icon=":material/download:", data=current.path.read_bytes, file_name=current.path.name,
                   mime="application/geopackage+sqlite3", key="prj_download", on_click="ignore")
b3.download_button("Tables (CSV)", icon=":material/table:", data=lambda: project_zip(p, source=current.path.name),
                   file_name=f"{current.path.stem}_tables.zip", mime="application/zip", key="prj_tables_zip", on_click="ignore",
                   help="Chaque table du projet en CSV (acteurs, groupes, projets d'activité, rencontres, contacts, constats, profil…) "
                        "et sources.md ; comme `python -m ptce_geo project export`.")
b2.button("Fermer le projet", key="prj_close", icon=":material/close:", on_click=project.close)
with actions:
    dossier.for_project(p)

tab_ter, tab_find, tab_prof, tab_gov, tab_groups, tab_acts, tab_meet, tab_snap = st.tabs(
    ["Territoires", "Constats partagés", "Profil du PTCE", "Gouvernance et modèle économique", "Groupes", "Projets d'activité",
     "Rencontres et contacts", "Instantanés"], key="prj_onglet")

# --- territories -------------------------------------------------------------------------------------
with tab_ter:
    if p.territories:
        names = list(p.territories)
        st.session_state["prj_active"] = p.active if p.active in names else names[0]
        st.radio("Territoire actif (celui des pages Territoire et Diagnostic)", names, key="prj_active", horizontal=True,
                 on_change=lambda: attempt(project.set_active, st.session_state["prj_active"]))
        diagnostics = {n: project.candidate_diagnostic(p, n) for n in names}
        comparison = project.territory_comparison(diagnostics, p.active)
        st.dataframe(comparison, width="stretch", height=36 * (len(comparison) + 1) + 3,
                     column_config={"_index": st.column_config.TextColumn("Élément", width="large")})
        others = [n for n in names if n != p.active]
        if others:
            d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
            d1.selectbox("Territoire candidat à supprimer", others, key="prj_del_territory", placeholder="Choisir…")
            d2.button("Supprimer", key="prj_del_territory_btn",
                      on_click=lambda: attempt(project.delete_territory, st.session_state["prj_del_territory"]))
    else:
        st.info("Le projet n'a pas encore de territoire.")
    st.markdown("**Enregistrer le territoire actuel sous…**")
    sel = state.stored()
    if sel.is_empty:
        st.caption("Aucun territoire en cours : définissez-le sur la page Territoire.")
        st.page_link("app_pages/1_Territoire.py", label="Définir le territoire", icon="🗺️")
    else:
        st.caption("Le territoire en cours (page Territoire) est enregistré sous ce nom et devient le territoire actif : "
                   "les modifications suivantes s'y appliquent, les autres candidats restent tels quels.")
        t1, t2 = st.columns([3, 1], vertical_alignment="bottom")
        t1.text_input("Nom du territoire candidat", key="prj_territory_name", max_chars=80, placeholder="ex. Variante avec la CC voisine")
        t2.button("Enregistrer", key="prj_territory_save",
                  on_click=lambda: attempt(project.save_current_territory, st.session_state["prj_territory_name"],
                                           success="Territoire enregistré dans le projet."))

# --- shared findings ---------------------------------------------------------------------------------
with tab_find:
    communes = p.communes if p.communes is not None else None
    commune_names = communes["nom"].to_dict() if communes is not None and "nom" in communes else {}
    epci_codes = sorted(communes["code_epci"].dropna().unique()) if communes is not None and "code_epci" in communes else []
    epci_names = ref.epci["nom"].to_dict()

    def add_finding() -> None:
        s = st.session_state
        attempt(project.add_finding, s["prj_f_text"], s["prj_f_theme"], s["prj_f_author"], (s["prj_f_date"] or date.today()).isoformat(),
                s["prj_f_communes"], s["prj_f_epci"], s["prj_f_raised"], s["prj_f_shared"], success="Constat ajouté.")

    with st.form("prj_finding_form", clear_on_submit=True):
        st.text_area("Constat partagé", key="prj_f_text", max_chars=1000, height=80,
                     placeholder="ex. Les jeunes quittent le territoire faute de logements accessibles")
        f1, f2, f3 = st.columns(3)
        f1.selectbox("Thème", projects.FINDING_THEMES, index=None, key="prj_f_theme", accept_new_options=True, placeholder="Choisir ou saisir…")
        f2.text_input("Soulevé par", key="prj_f_author", max_chars=120, placeholder="personne, structure ou réunion")
        f3.date_input("Date", value=date.today(), key="prj_f_date", format="DD/MM/YYYY")
        g1, g2 = st.columns(2)
        g1.multiselect("Communes concernées (facultatif)", list(commune_names), key="prj_f_communes",
                       format_func=lambda c: f"{commune_names.get(c, c)} ({c})", placeholder="Communes du territoire actif")
        g2.multiselect("EPCI concernés (facultatif)", epci_codes, key="prj_f_epci", format_func=lambda c: f"{epci_names.get(c, c)} ({c})",
                       placeholder="EPCI du territoire actif")
        h1, h2 = st.columns(2)
        structures = permanent_panel.actor_names(p)
        h1.selectbox("Structure qui l'a soulevé (inventaire)", structures, index=None, key="prj_f_raised", placeholder="Aucune")
        h2.multiselect("Structures qui le partagent", structures, key="prj_f_shared", placeholder="Choisir…")
        st.form_submit_button("Ajouter le constat", on_click=add_finding, type="primary")

    findings = p.findings.sort_values(["date", "id"], ascending=False)
    if findings.empty:
        st.caption("Aucun constat pour l'instant.")
    elif findings["theme"].nunique() > 1:
        themes = sorted(t for t in findings["theme"].unique() if t)
        chosen = st.multiselect("Filtrer par thème", themes, key="prj_f_filter", placeholder="Tous les thèmes")
        findings = findings[findings["theme"].isin(chosen)] if chosen else findings

    def names(codes: str, lookup: dict) -> str:
        return ", ".join(lookup.get(c, c) for c in str(codes).split(",") if c)

    for row in findings.itertuples():
        about = ", ".join(filter(None, [names(row.communes, commune_names), names(row.epci, epci_names)]))
        raised = row.souleve_par and f"soulevé par la structure {row.souleve_par}"
        shared = row.partage_par and f"partagé par {row.partage_par}"
        meta = " · ".join(filter(None, [project.local_time(row.date), row.theme, row.auteur and f"soulevé par {row.auteur}", raised, shared,
                                        about and f"concerne {about}"]))
        text_col, delete_col = st.columns([6, 1], vertical_alignment="center")
        text_col.markdown(f"**n° {row.id}** — {md(row.texte)}  \n:gray[{md(meta)}]")
        delete_col.button("Supprimer", key=f"prj_f_del_{row.id}", icon=":material/delete:", type="tertiary", help="Supprimer ce constat",
                          on_click=lambda i=int(row.id): attempt(project.delete_findings, [i], success=f"Constat n° {i} supprimé."))

# --- PTCE profile ------------------------------------------------------------------------------------
with tab_prof:
    prof = p.profile

    def widget(key: str, profile_key: str) -> dict:
        """Keyword arguments tying a widget to one profile field (value from the project, saved on change)."""
        return {"key": key, "on_change": lambda: attempt(project.update_profile, profile_key, st.session_state[key])}

    def options(choices: tuple, value: object) -> list:
        return [*choices, value] if value is not None and value not in choices else list(choices)  # another version's value is kept

    left, right = st.columns([1, 1], gap="large")
    with left:
        st.session_state["prj_type"] = prof["type_ptce"]
        st.radio("Type de PTCE", options(profile.KINDS, prof["type_ptce"]), horizontal=True, **widget("prj_type", "type_ptce"))
        st.session_state["prj_stage"] = prof["stade"]
        st.radio("Stade de maturité", options(profile.STAGES, prof["stade"]), horizontal=True, **widget("prj_stage", "stade"))
        st.session_state["prj_logics"] = [v for v in prof["logiques_action"] if v in profile.ACTION_LOGICS]
        st.multiselect("Logiques d'action (cumulables)", profile.ACTION_LOGICS, placeholder="Choisir…", **widget("prj_logics", "logiques_action"))
        dominant = ["", *prof["logiques_action"]]
        st.session_state["prj_dominant"] = prof["logique_dominante"] if prof["logique_dominante"] in dominant else ""
        st.selectbox("Logique dominante", dominant, format_func=lambda v: v or "Aucune en particulier", **widget("prj_dominant", "logique_dominante"),
                     placeholder="Choisir…")
        st.caption("Formalisation, instances de gouvernance, lieu, fonctions techniques et financements : onglet "
                   "« Gouvernance et modèle économique ».")
    with right:
        st.markdown("**Auto-évaluation des six marqueurs de maturité**")
        st.caption(" · ".join(f"{k} {v}" for k, v in profile.MARKER_SCALE.items()) + " — " + profile.MARKER_SCALE_NOTE)
        evidence = marker_evidence(p)
        for key, label in MATURITY_MARKERS.items():
            st.session_state[f"prj_m_{key}"] = int(prof["marqueurs"].get(key, 0) or 0)
            st.slider(label, 0, 4, step=1, **widget(f"prj_m_{key}", f"marqueurs/{key}"))
            st.caption(f"Ce que le projet contient : {md(evidence[key])}")
        markers = project.markers_frame(prof)
        # the bars are hidden from screen readers (a bar of score 0 is an empty, unnamed SVG group): the chart's description
        # gives every score in words, and the sliders above carry them too
        chart = alt.Chart(markers, description="Marqueurs de maturité : " + " ; ".join(
            f"{r.Marqueur} : {r.Niveau}" if r.Niveau == profile.NOT_SCORED else f"{r.Marqueur} : {int(r.Score)} ({r.Niveau})"
            for r in markers.itertuples())).mark_bar(aria=False).encode(
            x=alt.X("Score:Q", scale=alt.Scale(domain=[0, 4]), axis=alt.Axis(tickCount=5, format="d")),
            y=alt.Y("Marqueur:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            tooltip=["Marqueur", "Score", "Niveau"],
        ).properties(height=220)
        st.altair_chart(chart.configure(locale=D3_LOCALE), width="stretch")

with tab_gov:
    governance_panel.governance_tab(p)

# --- groups, activity projects, meetings (the guide's « diagnostic permanent ») -------------------------
for tab, draw in ((tab_groups, permanent_panel.groups_tab), (tab_acts, permanent_panel.activities_tab),
                  (tab_meet, permanent_panel.meetings_tab)):
    with tab:
        permanent_panel.references_warning(p)
        draw(p)

# --- snapshots ---------------------------------------------------------------------------------------
with tab_snap:
    s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
    s1.text_input("Libellé de l'instantané", key="prj_snap_label", max_chars=120, placeholder="ex. Après le séminaire de juin")
    s2.button("Prendre un instantané", key="prj_snap", disabled=not p.territories,
              on_click=lambda: attempt(project.take_snapshot, st.session_state["prj_snap_label"], success="Instantané enregistré."))
    st.caption("Un instantané garde les chiffres clés du territoire actif, ses indicateurs et alertes, les effectifs d'acteurs, "
               "les marqueurs de maturité et les effectifs du collectif (groupes, projets d'activité par statut, emplois, rencontres, "
               "contacts), pour comparer deux dates.")
    snaps = project.snapshot_table(p)
    if snaps.empty:
        st.caption("Aucun instantané pour l'instant.")
    else:
        st.dataframe(snaps.drop(columns="id"), hide_index=True, width="stretch")
    if len(snaps) >= 2:
        ids = snaps["id"].tolist()
        labels = {r.id: f"{r.Date} — {r.Libellé}" for r in snaps.itertuples()}
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        before = c1.selectbox("Avant", ids, index=len(ids) - 2, key="prj_snap_before", format_func=labels.get, placeholder="Choisir…")
        after = c2.selectbox("Après", ids, index=len(ids) - 1, key="prj_snap_after", format_func=labels.get, placeholder="Choisir…")
        everything = c3.toggle("Tout montrer", key="prj_snap_all", help="Montrer aussi les éléments inchangés")
        diff = project.snapshot_diff(p, before, after, changed_only=not everything)
        if diff.empty:
            st.info("Rien n'a changé entre ces deux instantanés.")
        else:
            st.dataframe(diff, hide_index=True, width="stretch", height=min(36 * (len(diff) + 1) + 3, 720))
