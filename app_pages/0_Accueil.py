"""Accueil (page par défaut de app.py) : ce que fait l'outil, les projets enregistrés et les données chargées, avec leurs sources et millésimes."""

import pandas as pd
import streamlit as st

from ptce_geo.collective.projects import catalogue
from ptce_geo.fr_format import count, fr_int
from ui import project, state
from ui.loaders import reference

st.title("ptce-geo — diagnostic territorial des PTCE")
st.markdown(
    "Définissez le **territoire d'action** d'un Pôle territorial de coopération économique, "
    "obtenez son **diagnostic de base** (indicateurs INSEE, disparités entre EPCI, hétérogénéité rurale/urbaine) "
    "et partagez-le."
)

GLOSSARY = {
    "PTCE": "Pôle territorial de coopération économique : entreprises de l'ESS, entreprises classiques, collectivités, "
            "associations et chercheurs qui coopèrent sur un territoire.",
    "ESS": "économie sociale et solidaire (associations, coopératives, mutuelles, fondations, entreprises agréées ESUS).",
    "EPCI": "établissement public de coopération intercommunale à fiscalité propre : communauté de communes, "
            "d'agglomération, communauté urbaine ou métropole, identifié par son numéro SIREN.",
    "COG": "Code officiel géographique de l'INSEE : les codes des communes (5 caractères) et leur millésime.",
    "RP": "recensement de la population de l'INSEE (RP2021 : millésime 2021) ; ses comptes sont des estimations pondérées.",
    "AAV": "aire d'attraction d'une ville (INSEE, 2020) : un pôle de population et d'emploi et les communes dont au "
           "moins 15 % des actifs y travaillent.",
    "QPV": "quartier prioritaire de la politique de la ville.",
}

ref = reference()
counts = ref.manifest.get("comptes", {})
c1, c2, c3 = st.columns(3)
c1.metric("Communes", fr_int(counts.get("communes", 0)))
c2.metric("EPCI", fr_int(counts.get("epci", 0)))
c3.metric("Géographie", ref.geography_vintage)
if st.button("Commencer : définir le territoire", type="primary", key="home_start"):
    st.switch_page("app_pages/1_Territoire.py")

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
        st.switch_page("app_pages/5_Projet.py", query_params={state.PROJECT_PARAM: row["fichier"]})
if st.button("Créer, ouvrir ou importer un projet", key="home_projects"):
    st.switch_page("app_pages/5_Projet.py")

st.subheader("Données chargées")
st.dataframe(
    pd.DataFrame([{"Jeu de données": j["libelle"], "Origine": j["origine"], "Millésime": j["millesime"], "Lignes": fr_int(j["lignes"]),
                   "Source": j.get("url") or j["fichier"], "Date": j.get("date", "")[:10]} for j in ref.manifest.get("jeux", [])]),
    hide_index=True, width="stretch",
)
missing = ref.missing_indicators()
if missing:
    st.warning(
        f"{count(len(missing), 'indicateur manque', 'indicateurs manquent')} avec les données chargées "
        f"({', '.join(i.label for i in missing[:5])}{'…' if len(missing) > 5 else ''}). Sans eux, le territoire se construit "
        "(contours, EPCI, population) mais le diagnostic reste partiel.", icon=":material/warning:")
with st.expander("Obtenir les indicateurs INSEE", expanded=bool(missing)):
    st.markdown(
        "Dans un terminal, depuis le dossier du projet, puis relancez `streamlit run app.py` :\n\n"
        "- en ligne, téléchargement des fichiers officiels (INSEE, Etalab) : `python -m ptce_geo data update`\n"
        "- hors ligne, fichiers officiels déjà téléchargés dans un dossier : `python -m ptce_geo data import DOSSIER`\n"
        "- jeux en service, avec leur origine et leur millésime : `python -m ptce_geo data status`")
with st.expander("Glossaire des sigles"):
    st.markdown("\n".join(f"- **{acronym}** : {meaning}" for acronym, meaning in GLOSSARY.items()))
