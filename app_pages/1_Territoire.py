"""Territoire : choisir des EPCI (liste ou clic sur la carte), dessiner ou importer un contour, ajouter ou exclure des communes."""

import streamlit as st

from ui import data_stack, first_map, map_files

st.set_page_config(page_title="Territoire — ptce-geo", page_icon="🗺️", layout="wide")
st.title("Territoire d'action")
layer_url = map_files.prefetch()  # the browser downloads the EPCI outlines while the server imports and reads what follows
left, right = st.columns([3, 2], gap="medium")
with left:
    controls = st.container()  # the map's options, written once the page has read the reference
    fresh = first_map.fresh_session()
    sent = first_map.send(layer_url) if fresh else None  # a new session's map, saved by an earlier start: sent now
if sent:
    first_map.wait_painted()  # the browser draws it with the machine to itself
first_map.RELEASED.set()  # ui.serve's preparation may go on

data_stack.load()  # after the first map on purpose (~1 s of imports on a server's first page), one thread at a time
from dataclasses import replace  # noqa: E402

from ptce_geo.mapping import BASEMAPS, DEFAULT_BASEMAP, DEFAULT_CLASSES, DEFAULT_INDICATOR  # noqa: E402
from ui import loaders, maps, panels, project, state, territory, zonings_panel  # noqa: E402

ref = loaders.reference()
sel, current = project.page_territory(ref)
bounds = territory.bounds(current)
names = ref.epci["nom"].to_dict()  # a dict: 1,253 labels per run, 30 µs each through a pandas Series

PARTS = ["EPCI", "Dessin ou contour", "Communes"]


def panel() -> None:
    """The territory at a glance, then how to build it: EPCI, drawing or imported contour, communes."""
    panels.glance(current)
    if bounds:
        st.button("Centrer la carte sur le territoire", key="ter_zoom", on_click=maps.recentre, args=(bounds,))
    # a link or a reload of a drawn or imported territory opens on its drawing (the default only applies to a new page)
    first = PARTS[1] if sel.polygon is not None and not sel.epci else PARTS[0]
    # A segmented control, not st.tabs: only the part shown is built and sent. Hidden tabs were rendered anyway, and
    # re-rendering them after each click or drawing took the browser about 0.3 s (see bench/bench_map_browser.py).
    part = st.segmented_control("Construire le territoire", PARTS, key="ter_onglet", default=first, required=True,
                                label_visibility="collapsed", wrap=True)  # in a column, 1024 px wide: « Communes » below
    if part == "EPCI":
        st.session_state["ter_epci"] = list(sel.epci)
        st.multiselect("EPCI du territoire (nom ou SIREN)", sorted(names, key=names.get), key="ter_epci",
                       format_func=lambda code: f"{names.get(code, code)} — {code}", placeholder="Tapez un nom ou un SIREN…",
                       on_change=lambda: territory.apply(replace(state.stored(), epci=tuple(st.session_state["ter_epci"])), "Choix des EPCI"))
        panels.selection_summary(ref, sel)
    elif part == "Dessin ou contour":
        if sel.drawings:
            st.markdown(f"**Polygone dessiné** : {panels.drawing_text(sel)}")
            if sel.self_intersecting:
                st.warning("Le contour dessiné se recoupe (« nœud papillon ») : il a été réparé en surfaces valides. "
                           "Vérifiez-le sur la carte, ou effacez-le et redessinez-le.", icon=":material/warning:")
            st.button("Effacer le dessin", key="ter_clear_drawing", on_click=maps.clear_drawing)
        else:
            st.caption("Aucun dessin : utilisez les outils en haut à gauche de la carte.")
        panels.upload_contour(sel)
        st.session_state["ter_seuil"] = max(5, round(sel.min_share * 100))
        st.slider("Part minimale de la surface d'une commune dans le polygone (%)", 5, 100, step=5, key="ter_seuil",
                  disabled=sel.polygon is None,
                  help="Une commune coupée par le polygone n'est retenue qu'au-delà de cette part de sa surface.",
                  on_change=lambda: territory.apply(replace(state.stored(), min_share=st.session_state["ter_seuil"] / 100),
                                                    "Changement du seuil"))
        panels.edge_communes(ref, sel, current)
    else:
        panels.commune_search(current)
        panels.commune_lists(ref, sel)


def carte() -> None:
    """The map of EPCI with its options (above it, in ``controls``)."""
    with controls:
        ind_id, k, basemap, view, zoning_layers, frr_key = options()
    shown = maps.epci_map(sel, current, ind_id, basemap, k, view, extra=zoning_layers, extra_keys=[frr_key], sent=sent)
    if fresh and shown is not None:
        first_map.save(layer_url, *shown)  # for the next starts
    st.caption("Cliquez sur un EPCI pour l'ajouter ou le retirer. Outils en haut à gauche de la carte : dessiner un polygone ou un "
               "rectangle (cliquez sur le premier point pour fermer le polygone).")


def options() -> tuple:
    """The map's options: indicator, classes, background, view; the zonings' layers and key."""
    indicators = loaders.mappable_indicators()
    # two rows, so that no choice is cut off (« Densité de population (h », « Aucun (hors l ») even 1024 px wide
    c1, c2 = st.columns([4, 1])
    c3, c4 = st.columns(2)
    choices = [None] + [i.id for i in indicators]
    ind_id = c1.selectbox("Indicateur de la carte", choices, key="ter_indicator", format_func=panels.indicator_label(ref, indicators),
                          index=choices.index(DEFAULT_INDICATOR) if DEFAULT_INDICATOR in choices else 0, placeholder="Choisir…")
    k = c2.selectbox("Classes", [3, 4, 5, 6, 7], index=[3, 4, 5, 6, 7].index(DEFAULT_CLASSES), key="ter_classes", placeholder="Choisir…")
    basemap = c3.selectbox("Fond de carte", list(BASEMAPS), key="ter_basemap", index=list(BASEMAPS).index(DEFAULT_BASEMAP),
                           format_func=lambda b: BASEMAPS[b].label,
                           help="« Aucun » fonctionne hors ligne ; Plan IGN et OpenStreetMap chargent des tuiles depuis Internet.",
                           placeholder="Choisir…")
    if "ter_vue" not in st.session_state:  # a link or a reload opens on its territory
        st.session_state["ter_vue"] = "territoire" if bounds else "france"
    view = c4.radio("Carte", list(maps.VIEWS), key="ter_vue", format_func=maps.VIEWS.get, on_change=maps.set_view, args=("ter_vue", bounds),
                    help="« France entière » montre toute la métropole, Corse comprise ; « Autour du territoire » centre la carte sur "
                         "le territoire. Les boutons en haut à droite de la carte mènent à chaque département d'outre-mer.")
    return ind_id, k, basemap, view, *zonings_panel.map_layers(current)


# Order of computation, not of layout: on a page's first run the map goes first (it is what the user waits for);
# after a click or a drawing the panel goes first, its figures reaching the browser before the map's payload.
first_run = "ter_indicator" not in st.session_state  # a widget's key: dropped when the user leaves the page
for column, block in ((left, carte), (right, panel)) if first_run else ((right, panel), (left, carte)):
    with column:
        block()
