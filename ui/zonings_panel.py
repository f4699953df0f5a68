"""The « Zonages » block of the Diagnostic page and the optional zoning layers of the Territoire map.

Only display: the figures come from ``ptce_geo.zonings`` through the diagnostic; outlines are dissolved
by the library for the zones touched only, and kept with the reference.
"""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from ptce_geo.diagnostic import Diagnostic
from ptce_geo.fr_format import fr_int, fr_share, plural
from ptce_geo.frr_map import frr_around, frr_key_html, frr_layer, within_budget
from ptce_geo.mapping import zoning_layer
from ptce_geo.qpv import absent_message, qpv_sentences
from ptce_geo.reference import Reference
from ptce_geo.zonings import ABSENT_HINT, NO_AAV, ZONINGS, outside_sentence, outside_share, zone_outlines
from ui import loaders
from ui.panels import md
from ui.territory import Current

__all__ = ["block", "qpv_block", "map_layers"]

_MAP_ZONINGS = ("bv2022", "ze2020", "aav2020")
_COLOR_NAMES = {"bv2022": "violet, tirets courts", "ze2020": "vert, tirets longs", "aav2020": "jaune, pointillés"}


def _zone_table(part: pd.DataFrame, places: bool) -> pd.DataFrame:
    table = pd.DataFrame({
        "Zone": part["nom"], "Code": part["code"],
        "Communes dans le territoire": [f"{fr_int(n)} / {fr_int(t)}" if t else fr_int(n)
                                        for n, t in zip(part["communes_dans_territoire"], part["communes_zone"], strict=True)],
        "Population dans le territoire": part["population_dans_territoire"].map(fr_int),
        "Part du territoire": part["part_du_territoire"].map(fr_share),
    })
    if places:
        table["Part de la zone dans le territoire"] = part["part_de_la_zone"].map(fr_share)
        table["Coupée"] = part["coupee"].map({True: "oui", False: "non"})
    return table


def block(diag: Diagnostic) -> None:
    """Per zoning: zones touched, share of the territory in each, share of each zone inside; sources."""
    zonings = diag.zonings
    if zonings is None or not zonings.available:
        st.info(f"Zonages absents : {ABSENT_HINT}", icon=":material/info:")
        return
    for note in zonings.notes:
        st.caption(md(note))
    for zoning_id in zonings.present:
        zoning, part = ZONINGS[zoning_id], zonings.of(zoning_id)
        real = part[part["code"] != ""]
        cut = int(real["coupee"].sum())
        count = (f"zones touchées : {len(real)}, dont {cut} {plural(cut, 'coupée', 'coupées')} par le territoire" if zoning.places
                 else f"classes présentes : {len(real)}")
        st.markdown(f"**{zoning.label}** — {count}")
        if zoning.places and zoning_id in diag.zoning_params.zonings:
            share, outside = outside_share(zonings.table, zoning_id, diag.zoning_params)
            st.caption(outside_sentence(share, len(outside), zoning, diag.zoning_params.zone_inside_min))
        st.dataframe(_zone_table(part, zoning.places), hide_index=True, width="stretch")
        source = zonings.sources.get(zoning_id)
        if source:
            st.caption(md(f"Source : {source[0]} ({source[1]})."))


def qpv_block(ref: Reference, diag: Diagnostic) -> None:
    """Quartiers prioritaires (QPV 2024) attached to a member commune; population in QPV when a population table is loaded."""
    st.markdown("**Quartiers prioritaires de la politique de la ville (QPV)**")
    summary = diag.qpv
    if summary is None:
        st.info(absent_message(ref), icon=":material/info:")
        return
    for sentence in qpv_sentences(summary):
        st.caption(md(sentence))
    if not summary.count:
        return
    known = summary.population is not None
    table = summary.table.assign(coupe=summary.table["coupe"].map({True: "oui", False: ""}),
                                 nom_epci=summary.table["code_epci"].map(diag.epci["nom"]),
                                 population=summary.table["population"].map(fr_int))
    columns = {"code_qp": "Code", "nom": "Quartier", "code_commune": "Commune", "nom_epci": "EPCI", "coupe": "Coupé par le territoire",
               **({"population": "Population"} if known else {})}
    st.dataframe(table[list(columns)].rename(columns=columns), hide_index=True, width="stretch")
    parts = summary.by_epci()
    if known and len(parts) > 1:
        st.caption("Par partie d'EPCI (chaque quartier sous l'EPCI de sa commune de rattachement ; quartiers coupés non comptés) :")
        st.dataframe(pd.DataFrame({"EPCI": parts.index.map(diag.epci["nom"]), "Quartiers": parts["quartiers"],
                                   "dont coupés": parts["coupes"], "Population en QPV": parts["population"].map(fr_int)}),
                     hide_index=True, width="stretch")


def _frr_layer(current: Current, zonings) -> tuple[list[folium.FeatureGroup], str]:
    """The territory's classed communes and those around it, by FRR class, and its key; the margin is dropped, then
    the layer, when the outlines would exceed ``FRR_BUDGET``."""
    if "frr" not in zonings.present or current.territory is None:
        return [], ""
    ref = loaders.reference()
    inside, around = frr_around(ref.communes, ref.zonings["frr"], tuple(current.territory.communes.index))
    if (fitted := within_budget(inside, around, loaders.commune_outlines)) is None:
        st.caption("Classement France Ruralités Revitalisation non affiché : territoire trop vaste pour rester léger sur la carte.")
        return [], ""
    classes, geoms, margin = fitted
    source, vintage = zonings.sources.get("frr", ("", ""))
    return [frr_layer(geoms, classes)], frr_key_html(classes, source, vintage, margin)


def map_layers(current: Current) -> tuple[list[folium.FeatureGroup], str]:
    """The checkbox « Zonages sur la carte » and, when ticked, the outlines of the zones the territory touches and the
    FRR classes of its communes; the second item is the FRR key (HTML for the page under the map, "" when not drawn)."""
    diag = current.diagnostic
    zonings = diag.zonings if diag is not None else None
    if zonings is None or not zonings.available:
        st.checkbox("Zonages sur la carte", key="ter_zonages", disabled=True, help=f"Zonages absents : {ABSENT_HINT}")
        return [], ""
    if not st.checkbox("Zonages sur la carte", key="ter_zonages",
                       help="Contours des bassins de vie, zones d'emploi et aires d'attraction des villes que le territoire touche ; "
                            "classement France Ruralités Revitalisation des communes du territoire et alentour."):
        return [], ""
    ref = loaders.reference()
    shown = [z for z in _MAP_ZONINGS if z in zonings.present]
    outlines = {z: zone_outlines(ref, z, tuple(c for c in zonings.of(z)["code"] if c and c != NO_AAV)) for z in shown}
    if shown:
        st.caption("Contours sur la carte — " + " · ".join(f"{ZONINGS[z].label} : {_COLOR_NAMES[z]}" for z in shown))
    frr, key = _frr_layer(current, zonings)
    return [zoning_layer(outlines), *frr], key
