"""Heavy read-only objects, loaded once per server process (``st.cache_resource``)."""

from __future__ import annotations

import streamlit as st

from ptce_geo.reference import Reference, load_reference


@st.cache_resource(show_spinner="Chargement des données de référence…")
def reference() -> Reference:
    return load_reference()
