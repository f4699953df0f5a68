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
    panes = {  # section title -> what it shows; only the chosen section is drawn
        "Synthèse": lambda: report.summary_table(diag),
        "Trajectoire": lambda: trends_panel.block(diag),
        "EPCI et disparités": lambda: (report.epci_table(diag), report.disparity_chart(diag), report.disparity_table(diag)),
        "Rural / urbain": lambda: report.rural_urban(diag, maps.density_map),
        "Zonages": lambda: (zonings_panel.block(diag), zonings_panel.qpv_block(ref, diag)),
        "Alertes": lambda: report.alerts(diag),
        "Sources": lambda: report.sources(diag),
        "ESS": lambda: ess_panel.block(ref, diag),
    }
    # A segmented control, not st.tabs: a tab that reruns the page is disabled while its content is stale, and the
    # browser then drops the keyboard focus to the page body (Streamlit 1.67); a control button keeps it.
    section = st.segmented_control("Rubrique du diagnostic", list(panes), key="diag_onglet", required=True,
                                   default=report.linked_section(list(panes), "Synthèse"), label_visibility="collapsed")
    report.link_section(section)
    panes[section]()
    dossier.for_diagnostic(diag, current.definition.to_json())
    panels.page_link("app_pages/3_Export.py", "Télécharger la base du diagnostic (CSV, GeoJSON, GeoPackage)", ":material/download:")
