"""Accueil : ce que fait l'outil, les projets enregistrés et les données chargées, avec leurs sources et millésimes."""

import pandas as pd
import streamlit as st

from ptce_geo.collective.projects import catalogue
from ui import project, state
from ui.loaders import reference

st.set_page_config(page_title="ptce-geo — diagnostic territorial", page_icon="🗺️", layout="wide")
st.title("ptce-geo — diagnostic territorial des PTCE")
st.markdown(
    "Définissez le **territoire d'action** d'un Pôle territorial de coopération économique, "
    "obtenez son **diagnostic de base** (indicateurs INSEE, disparités entre EPCI, hétérogénéité rurale/urbaine) "
    "et partagez-le."
)

ref = reference()
counts = ref.manifest.get("comptes", {})
c1, c2, c3 = st.columns(3)
c1.metric("Communes", f"{counts.get('communes', 0):,}".replace(",", " "))
c2.metric("EPCI", f"{counts.get('epci', 0):,}".replace(",", " "))
c3.metric("Géographie", ref.geography_vintage)
if st.button("Commencer : définir le territoire", type="primary", key="home_start"):
    st.switch_page("pages/1_Territoire.py")

st.subheader("Projets")
opened = state.opened()
if opened is not None:
    st.caption(f"Projet ouvert : **{project.md(opened.project.name)}**")
listed = catalogue()
if not listed:
    st.caption("Aucun projet enregistré pour l'instant : un projet garde le territoire, les acteurs, les constats partagés, "
               "le profil du PTCE et des instantanés datés dans un fichier GeoPackage.")
for row in listed:
    name, saved, open_col = st.columns([4, 3, 1], vertical_alignment="center")
    name.markdown(f"**{project.md(row['nom'])}**" + (f" — territoire actif : {project.md(row['territoire_actif'])}"
                                                     if row["territoire_actif"] else ""))
    saved.caption(f"⚠️ {project.md(row['erreur'])}" if row["erreur"]
                  else f"enregistré le {project.local_time(row['modifie_le'])} · révision {row['revision']}")
    if open_col.button("Ouvrir", key=f"home_open_{row['fichier']}", disabled=bool(row["erreur"])):
        project.open_by_name(row["fichier"])  # read from disk again even if this session had it open
        st.switch_page("pages/5_Projet.py", query_params={state.PROJECT_PARAM: row["fichier"]})
if st.button("Créer, ouvrir ou importer un projet", key="home_projects"):
    st.switch_page("pages/5_Projet.py")

st.subheader("Données chargées")
st.dataframe(
    pd.DataFrame([{"Jeu de données": j["libelle"], "Origine": j["origine"], "Millésime": j["millesime"], "Lignes": j["lignes"],
                   "Source": j.get("url") or j["fichier"], "Date": j.get("date", "")[:10]} for j in ref.manifest.get("jeux", [])]),
    hide_index=True, width="stretch",
)
missing = ref.missing_indicators()
if missing:
    st.warning(
        f"{len(missing)} indicateurs manquent avec les données embarquées ({', '.join(i.label for i in missing[:5])}…). "
        "Pour les obtenir : `python -m ptce_geo data update` (en ligne) ou `python -m ptce_geo data import DOSSIER` (fichiers téléchargés)."
    )
