"""Accueil : ce que fait l'outil et les données chargées, avec leurs sources et millésimes."""

import pandas as pd
import streamlit as st

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
