"""Acteurs : importer l'inventaire, lire le rapport, corriger le tableau, ajouter un acteur sur la carte, voir la synthèse, exporter."""

import streamlit as st

from ui import actor_panels as panels
from ui import actors, collective_panel, ess_panel, loaders, project

st.set_page_config(page_title="Acteurs — ptce-geo", page_icon="🤝", layout="wide")
st.title("Inventaire des acteurs")

ref = loaders.reference()
_, current = project.page_territory(ref, save_now=False)  # saved below, once the inventory is read
project.show_notes()

panels.import_panel(ref)
inventory = actors.stored()
project.autosave()  # the open project follows the inventory (import, clear)
panels.keeping_panel(inventory)  # where the inventory lives: this session only, or the open project
if inventory is None:
    panels.start_panel(ref)
    st.stop()

inventory = panels.summarised(ref, inventory, current)
panels.overview(inventory)
panels.map_panel(ref, inventory, current)
ess_panel.suggestions(ref, inventory.inventory.actors, current.territory.communes.index if current.territory is not None else None)

report, edit, summary, collective, export = st.tabs(["Rapport d'import", "Modifier le tableau", "Synthèse du territoire", "Collectif",
                                                     "Exporter"], key="act_onglet")
with report:
    panels.report_panel(inventory)
with edit:
    panels.editor_panel(ref, inventory)
with summary:
    panels.summary_panel(inventory, current)
with collective:
    collective_panel.collective_panel(inventory.inventory.actors)
with export:
    panels.export_panel(inventory)
    panels.clear_button()
project.autosave(show=False)  # edits and actors added on the map during this run
