"""« Dossier » downloads (HTML and PDF) of the Diagnostic and Projet pages.

The dossier takes seconds to draw, so it is built only when a button is clicked (Streamlit runs
the ``data`` callable then) and kept by ``st.cache_data`` under a key made of the reference
generation, the territory definition, the inventory and the project state: a second click, or a
rerun, sends the same bytes without drawing anything again; any change makes a new dossier.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st
from pathvalidate import sanitize_filename

from ptce_geo.collective.inventory import Inventory, summarise_inventory
from ptce_geo.diagnostic import Diagnostic
from ptce_geo.dossier import PDF_HINT, build_html, dossier_bytes, territory_name
from ptce_geo.errors import PtceGeoError
from ptce_geo.project import Project
from ui import loaders, state

__all__ = ["buttons", "for_diagnostic", "for_project", "inventory_key", "project_key", "dossier_file", "pdf_available"]

_MIME = {"html": "text/html", "pdf": "application/pdf"}


def inventory_key(inventory: Inventory | None) -> str:
    """Content digest of the actors (empty without an inventory)."""
    if inventory is None or inventory.actors is None:
        return ""
    actors = inventory.actors
    digest = hashlib.sha256(pd.util.hash_pandas_object(pd.DataFrame(actors.drop(columns="geometry")).astype(str), index=True).to_numpy())
    digest.update(b"".join(g.wkb if g is not None else b"" for g in actors.geometry))
    return digest.hexdigest()


def project_key(project: Project | None) -> str:
    """Content digest of what the dossier shows of a project (name, active territory, findings, profile, snapshots)."""
    if project is None:
        return ""
    content = [project.name, project.active, project.territories.get(project.active), project.findings.astype(str).to_dict("records"),
               project.profile, project.snapshots.astype(str).to_dict("records")]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@st.cache_data(max_entries=8, show_spinner=False)
def dossier_file(generation: str, definition_json: str, inventory_digest: str, project_digest: str, form: str, _diag: Diagnostic,
                 _inventory: Inventory | None, _project: Project | None) -> bytes:
    """The dossier's bytes, once per (data, territory, inventory, project, form)."""
    ref = loaders.reference()
    inventory = _inventory
    if inventory is not None:
        try:
            inventory = summarise_inventory(inventory, ref, list(_diag.territory.communes.index))
        except (PtceGeoError, ValueError, KeyError):  # the dossier is produced anyway, its actor part says what is missing
            inventory = None
    return dossier_bytes(build_html(ref, _diag, inventory, _project), form)


@st.cache_resource
def pdf_available() -> str:
    """Empty when WeasyPrint renders here, else the French reason."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"PDF indisponible sur ce serveur ({exc}) : {PDF_HINT}. Le dossier HTML s'imprime en PDF depuis le navigateur."
    return ""


def buttons(diag: Diagnostic, definition_json: str, project: Project | None, key: str) -> None:
    """Two download buttons, « Dossier (HTML) » and « Dossier (PDF) », for this territory, inventory and project."""
    editable = state.inventory()
    inventory = editable.inventory if editable is not None else None
    generation = loaders.reference().manifest.get("generation", "")
    keys = (generation, definition_json, inventory_key(inventory), project_key(project))
    stem = sanitize_filename(f"dossier - {territory_name(diag, project)}", max_len=80) or "dossier"
    missing_pdf = pdf_available()
    html_col, pdf_col = st.columns(2)
    for col, form, label in ((html_col, "html", "Dossier (HTML)"), (pdf_col, "pdf", "Dossier (PDF)")):
        col.download_button(
            label, icon=":material/description:", key=f"{key}_dossier_{form}", on_click="ignore", mime=_MIME[form],
            file_name=f"{stem}.{form}", disabled=form == "pdf" and bool(missing_pdf),
            data=lambda form=form: dossier_file(*keys, form, diag, inventory, project), width="stretch",
            help=missing_pdf if form == "pdf" and missing_pdf else
            "Document à présenter : carte, chiffres clés comparés, graphiques, alertes expliquées, acteurs, projet, sources. "
            "Préparé au clic (quelques secondes), puis gardé tant que rien ne change.")
    st.caption("Le dossier fonctionne hors ligne (cartes et graphiques inclus) et s'imprime en A4. "
               + ("Acteurs inclus. " if inventory is not None else "Sans inventaire d'acteurs (page Acteurs). ")
               + ("Projet inclus." if project is not None else "Sans projet ouvert (page Projet)."))


def for_diagnostic(diag: Diagnostic, definition_json: str) -> None:
    """Diagnostic page: the session's territory, with the session's inventory and the open project if any."""
    opened = state.opened()
    buttons(diag, definition_json, opened.project if opened is not None else None, key="diag")


def for_project(project_: Project) -> None:
    """Projet page: the project's active territory (rebuilt on the current reference), its actors and history."""
    from ui import project

    if not project_.active or project_.active not in project_.territories:
        st.info("Le dossier se prépare dès que le projet a un territoire (page Territoire, puis « Enregistrer » ici).")
        return
    diag = project.candidate_diagnostic(project_, project_.active)
    if isinstance(diag, str):
        st.warning(f"Dossier indisponible : {diag}")
        return
    buttons(diag, json.dumps(project_.territories[project_.active], sort_keys=True), project_, key="prj")
