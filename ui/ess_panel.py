"""The « ESS » tab of the Diagnostic page and the ESS suggestions of the Acteurs page (display only).

Figures come from ``ptce_geo.ess`` and ``ptce_geo.ess_actors`` over the Sirene tables kept in the cache
(``data update --only sirene``); without them both say « Sirene : données absentes ».
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ptce_geo.cache import data_dir
from ptce_geo.diagnostic import Diagnostic
from ptce_geo.ess import ABSENT, DIMENSIONS, UNCHECKED, commune_counts, ess_weight
from ptce_geo.ess_actors import missing_from_inventory, territory_establishments
from ptce_geo.fr_format import fr_int, fr_percent
from ptce_geo.reference import Reference
from ptce_geo.sources.sirene import SireneStore, read_sirene_store, sirene_dir
from ui import maps

__all__ = ["block", "suggestions", "current_store"]


@st.cache_resource(show_spinner="Lecture des tables Sirene…")
def _store(root: str, stamp: float) -> SireneStore | None:
    return read_sirene_store(root)


def current_store() -> SireneStore | None:
    """The cache's Sirene tables (read again when ``data update --only sirene`` replaces them), ``None`` when absent."""
    root = data_dir()
    meta = sirene_dir(root) / "sirene.json"
    return _store(str(root), meta.stat().st_mtime) if meta.exists() else None


def _source(store: SireneStore) -> str:
    files = ", ".join(f["url"] for f in store.meta.get("fichiers", []))
    return f"Source : INSEE, stock Sirene téléchargé le {store.meta.get('date', '?')[:10]} ({files})."


def block(ref: Reference, diag: Diagnostic) -> None:
    """ESS weight of the territory, its EPCI parts and comparators; by family, sector, employer, size band."""
    store = current_store()
    if store is None:
        st.info(ABSENT, icon=":material/info:")
        return
    counts = ref.derived(f"ess_counts:{store.meta.get('date')}", lambda: commune_counts(store, ref))
    weight = ess_weight(counts, ref, diag.territory.communes.index, store.meta.get("date", ""))
    st.caption(UNCHECKED)
    overview = weight.overview()
    st.dataframe(pd.DataFrame({"Niveau": overview.index, "Établissements actifs": overview["actifs"].map(fr_int),
                               "dont ESS": overview["ess"].map(fr_int), "Part de l'ESS": overview["part_ess"].map(fr_percent)}),
                 hide_index=True, width="stretch")
    dimension = st.selectbox("Répartition par", list(DIMENSIONS), format_func=DIMENSIONS.get, key="diag_ess_dimension", placeholder="Choisir…")
    long = weight.by(dimension)
    if not long.empty:
        long["valeur"] = [f"{fr_int(n)} ({fr_percent(p, 1)})" for n, p in zip(long["ess"], long["part"], strict=True)]
        table = long.pivot_table(index="libelle", columns="niveau", values="valeur", aggfunc="first", sort=False)
        st.dataframe(table[[c for c in overview.index if c in table.columns]], width="stretch")
        st.caption("Entre parenthèses : part des établissements actifs du niveau"
                   + (" dans la même section d'activité." if dimension == "section" else "."))
    st.caption(_source(store))
    located = territory_establishments(store.listing, ref, diag.territory.communes.index)
    maps.ess_map(located, tuple(diag.territory.communes.index), _source(store))


def suggestions(ref: Reference, actors: pd.DataFrame | None, members: pd.Index | None) -> None:
    """ESS establishments of the territory that no actor of the inventory matches."""
    with st.expander("Structures de l'ESS du territoire absentes de l'inventaire (Sirene)"):
        store = current_store()
        if store is None:
            st.info(ABSENT, icon=":material/info:")
            return
        if members is None:
            st.info("Aucun territoire défini : les suggestions portent sur les communes du territoire.")
            return
        missing = missing_from_inventory(territory_establishments(store.listing, ref, members), actors)
        st.caption(f"{fr_int(len(missing))} établissements actifs d'unités légales de l'ESS sans acteur correspondant "
                   "(même SIRET ou SIREN dans la colonne « siret » de l'inventaire, ou même nom). " + UNCHECKED)
        if len(missing):
            st.dataframe(missing[["nom", "famille_libelle", "siret", "code_commune", "activite"]].rename(columns={
                "nom": "Nom", "famille_libelle": "Famille", "siret": "SIRET", "code_commune": "Commune", "activite": "Activité (NAF)"}),
                hide_index=True, width="stretch")
