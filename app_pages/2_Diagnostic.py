"""Diagnostic : chiffres clés, synthèse comparée, trajectoire, EPCI et disparités, rural/urbain, alertes, sources."""

import streamlit as st

from ui import dossier, ess_panel, loaders, maps, panels, project, report, trends_panel, zonings_panel

st.set_page_config(page_title="Diagnostic — ptce-geo", page_icon="📊", layout="wide")
st.title("Diagnostic du territoire")

ref = loaders.reference()
_, current = project.page_territory(ref)
if panels.banner(current):
    diag = current.diagnostic
    report.key_figures(diag)
    report.alerts_line(diag)
    tabs = st.tabs(["Synthèse", "Trajectoire", "EPCI et disparités", "Rural / urbain", "Zonages", "Alertes", "Sources", "ESS"],
                   key="diag_onglet", on_change="rerun")
    summary, trajectory, epci, mix, zonings, alerts, sources, ess = tabs
    if summary.open:
        with summary:
            report.summary_table(diag)
    if trajectory.open:
        with trajectory:
            trends_panel.block(diag)
    if epci.open:
        with epci:
            report.epci_table(diag)
            report.disparity_chart(diag)
            report.disparity_table(diag)
    if mix.open:
        with mix:
            report.rural_urban(diag, maps.density_map)
    if zonings.open:
        with zonings:
            zonings_panel.block(diag)
            zonings_panel.qpv_block(ref, diag)
    if alerts.open:
        with alerts:
            report.alerts(diag)
    if sources.open:
        with sources:
            report.sources(diag)
    if ess.open:
        with ess:
            ess_panel.block(ref, diag)
    dossier.for_diagnostic(diag, current.definition.to_json())
    panels.page_link("app_pages/3_Export.py", "Télécharger la base du diagnostic (CSV, GeoJSON, GeoPackage)", ":material/download:")
