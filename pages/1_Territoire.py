"""Territoire : choisir les EPCI (liste ou clic sur la carte), ajouter ou exclure des communes, dessiner un polygone."""

from dataclasses import replace

import streamlit as st

from ptce_geo.mapping import BASEMAPS, DEFAULT_BASEMAP
from ui import loaders, maps, panels, state

st.set_page_config(page_title="Territoire — ptce-geo", page_icon="🗺️", layout="wide")
st.title("Territoire d'action")

ref = loaders.reference()
sel = state.selection(ref.epci.index, ref.communes.index)
names = ref.epci["nom"]

left, right = st.columns([3, 2], gap="medium")
with left:
    indicators = loaders.mappable_indicators()
    c1, c2, c3 = st.columns([3, 1, 2])
    choices = [None] + [i.id for i in indicators]
    ind_id = c1.selectbox("Indicateur de la carte", choices, key="ter_indicator", format_func=panels.indicator_label(ref, indicators),
                          index=choices.index("densite_pop") if "densite_pop" in choices else 0)
    k = c2.selectbox("Classes", [3, 4, 5, 6, 7], index=2, key="ter_classes")
    basemap = c3.selectbox("Fond de carte", list(BASEMAPS), key="ter_basemap", index=list(BASEMAPS).index(DEFAULT_BASEMAP),
                           format_func=lambda b: BASEMAPS[b].label,
                           help="« Aucun » fonctionne hors ligne ; Plan IGN et OpenStreetMap chargent des tuiles depuis Internet.")
    maps.epci_map(sel, ind_id, basemap, k)
    st.caption("Cliquez sur un EPCI pour l'ajouter ou le retirer. Outils en haut à gauche : dessiner un polygone ou un rectangle.")

with right:
    st.session_state["ter_epci"] = list(sel.epci)
    st.multiselect("EPCI du territoire (nom ou SIREN)", list(names.sort_values().index), key="ter_epci",
                   format_func=lambda code: f"{names.get(code, code)} — {code}", placeholder="Tapez un nom ou un SIREN…",
                   on_change=lambda: state.save(replace(state.stored(), epci=tuple(st.session_state["ter_epci"]))))
    panels.selection_summary(ref, sel)
    if sel.epci:
        st.button("Centrer la carte sur les EPCI", key="ter_zoom_epci", on_click=maps.zoom_to,
                  args=(tuple(ref.epci.loc[list(sel.epci)].total_bounds),))
    if sel.drawings:
        st.markdown(f"**Polygone dessiné** : {panels.drawing_text(sel)}")
        b1, b2 = st.columns(2)
        b1.button("Effacer le dessin", key="ter_clear_drawing", on_click=maps.clear_drawing)
        b2.button("Centrer sur le dessin", key="ter_zoom_drawing", on_click=maps.zoom_to, args=(sel.polygon.bounds,))
    st.session_state["ter_seuil"] = round(sel.min_share * 100)
    st.slider("Part minimale de la surface d'une commune dans le polygone (%)", 0, 100, step=5, key="ter_seuil",
              help="Une commune coupée par le polygone n'est retenue qu'au-delà de cette part de sa surface.",
              on_change=lambda: state.save(replace(state.stored(), min_share=st.session_state["ter_seuil"] / 100)))
    with st.expander("Communes ajoutées ou exclues (codes INSEE)", expanded=bool(sel.communes or sel.excluded)):
        panels.commune_lists(ref, sel)

if sel.is_empty:
    st.info("Aucun territoire pour l'instant : choisissez des EPCI, ajoutez des communes ou dessinez un polygone.")
else:
    st.caption("Le calcul du territoire (communes retenues, parts de surface) et son diagnostic arrivent avec la page Diagnostic.")
