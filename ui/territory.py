"""The current territory and its diagnostic, computed once per definition and shared by every page.

Results are cached by the definition's JSON (``st.cache_resource``: a Territory holds geometries,
re-pickling it on each rerun would cost more than the diagnostic itself). A definition that
cannot be built (a polygon selecting nothing, unknown codes) gives a French message; the user's
selection is kept as it is. ``apply`` goes one step further for interactive changes: a change
whose territory cannot be built is refused, explained, and the previous territory stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import shapely
import streamlit as st

from ptce_geo.diagnostic import Diagnostic, diagnose
from ptce_geo.errors import PtceGeoError
from ptce_geo.territory import Territory, TerritoryDefinition, build_territory
from ui import loaders, state
from ui.state import Selection

__all__ = ["Current", "definition_of", "current", "apply", "bounds"]


@dataclass(frozen=True)
class Current:
    """What the pages show: the territory and its diagnostic, or why there is none."""

    definition: TerritoryDefinition | None
    territory: Territory | None = None
    diagnostic: Diagnostic | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.diagnostic is not None


@lru_cache(maxsize=32)
def _definition_json(sel: Selection) -> str:
    polygon = shapely.geometry.mapping(sel.polygon) if sel.polygon is not None else None
    return TerritoryDefinition(epci=list(sel.epci), communes=list(sel.communes), exclude=list(sel.excluded), polygon=polygon,
                               min_share=sel.min_share).to_json()


def definition_of(sel: Selection) -> TerritoryDefinition:
    """The library's definition of ``sel`` (the drawn and imported shapes united into one polygon)."""
    return TerritoryDefinition.from_json(_definition_json(sel))


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
    return _compute(generation, _definition_json(sel))


def apply(new: Selection, what: str) -> bool:
    """Save ``new`` unless its territory cannot be built: then keep the stored selection and say why (in French).

    ``what`` names the change for the message (« Dessin », « Contour importé »…). Emptying the
    selection is always allowed.
    """
    result = current(new)
    if result.error:
        state.notify(f"**{what} refusé** : {result.error}\n\nLe territoire précédent est conservé.")
        return False
    state.save(new)
    return True


def bounds(result: Current) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of the territory's communes, ``None`` without territory."""
    if result.territory is None or result.territory.communes.empty:
        return None
    return tuple(float(v) for v in result.territory.communes.total_bounds)
