"""Export : la base du diagnostic en une archive zip ou fichier par fichier, CSV standard ou Excel français."""

import streamlit as st

from ptce_geo.fr_format import fr_number
from ui import exports, loaders, panels, project

st.set_page_config(page_title="Export — ptce-geo", page_icon="📦", layout="wide")
st.title("Export de la base du diagnostic")

ref = loaders.reference()
_, current = project.page_territory(ref)
if panels.banner(current):
    flavour = exports.flavour_choice("exp_format")
    data, files, notes = exports.archive(current, flavour)
    suffix = "" if flavour == "standard" else "_excel-fr"
    short = "CSV standard" if flavour == "standard" else "CSV Excel français"
    st.download_button(f"Télécharger tout (zip, {short}, {fr_number(len(data) / 1e6, 2)} Mo)", data, file_name=f"diagnostic_territoire{suffix}.zip",
                       mime="application/zip", type="primary", key="exp_zip", on_click=exports.downloaded,
                       args=("zip",))
    st.caption("Fichiers préparés une seule fois pour ce territoire et ce format : cliquer de nouveau télécharge les mêmes fichiers. "
               "Toutes les cellules de texte commençant par = + - @ sont neutralisées (pas de formule exécutée à l'ouverture).")
    for note in notes:
        st.caption(panels.md(note))
    st.subheader("Fichier par fichier")
    for name, content in files.items():
        c1, c2, c3 = st.columns([2, 5, 1], vertical_alignment="center")
        c1.download_button(name, content, file_name=name, mime=exports.mime_of(name), key=f"exp_{name}", on_click=exports.downloaded,
                           args=(name,), width="stretch")
        c2.caption(exports.DESCRIPTIONS.get(name, ""))
        c3.caption(f"{fr_number(len(content) / 1000, 1)} ko")
