"""The current territory and its diagnostic, computed once per definition and shared by every page.

Results are cached by the definition's JSON (``st.cache_resource``: a Territory holds geometries,
re-pickling it on each rerun would cost more than the diagnostic itself). A definition that
cannot be built (a polygon selecting nothing, unknown codes) gives a French message; the user's
selection is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
import streamlit as st

from ptce_geo.diagnostic import Diagnostic, diagnose
from ptce_geo.errors import PtceGeoError
from ptce_geo.territory import Territory, TerritoryDefinition, build_territory
from ui import loaders
from ui.state import Selection

__all__ = ["Current", "definition_of", "current"]


@dataclass(frozen=True)
class Current:
    """What the pages show: the territory and its diagnostic, or why there is none."""

    definition: TerritoryDefinition | None
    territory: Territory | None = None
    diagnostic: Diagnostic | None = None
    error: str = ""


def definition_of(sel: Selection) -> TerritoryDefinition:
    polygon = shapely.geometry.mapping(sel.polygon) if sel.polygon is not None else None
    return TerritoryDefinition(epci=list(sel.epci), communes=list(sel.communes), exclude=list(sel.excluded), polygon=polygon,
                               min_share=sel.min_share)


@st.cache_resource(max_entries=16, show_spinner="Calcul du diagnostic…")
def _compute(generation: str, definition_json: str) -> Current:
    ref = loaders.reference()
    definition = TerritoryDefinition.from_json(definition_json)
    try:
        territory = build_territory(ref, definition)
        return Current(definition, territory, diagnose(ref, territory))
    except PtceGeoError as exc:
        return Current(definition, error=str(exc))


def current(sel: Selection) -> Current:
    """Territory and diagnostic of ``sel`` (``Current(None)`` when nothing is selected)."""
    if sel.is_empty:
        return Current(None)
    generation = loaders.reference().manifest.get("generation", "")
    return _compute(generation, definition_of(sel).to_json())
