"""The open project seen from the pages: open, autosave, conflicts, and the actions of the Projet page.

The project's state is owned by ``ui.state`` (the project, its territory selection, its inventory);
this module moves data between that owner, the project file and the pages. The rules come from
``ptce_geo.collective`` (projects folder, findings, profile, what an autosave may write); this module
decides none of them.

Every change is saved at once (atomic write). Pages call ``autosave()`` once per run: it copies the
territory and the actors into the project only when they changed since the last sync, so merely
viewing a page never writes, and an empty inventory never replaces the actors the file holds. A save
that finds the file moved since it was opened (another tab) writes nothing; ``conflict_notice()``
then offers to reload the file from disk or to save under another name.
"""

from __future__ import annotations

import html
import json
import math
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ptce_geo.collective.editing import from_stored
from ptce_geo.collective.profile import marker_scores, set_profile_field
from ptce_geo.collective.projects import (
    DEFAULT_TERRITORY,
    create_project,
    projects_dir,
    remove_findings,
    remove_territory,
    snapshot_label,
)
from ptce_geo.collective.projects import add_finding as add_project_finding
from ptce_geo.collective.sync import InventoryWipeError, decide_actors, save_collective
from ptce_geo.collective.tables import registered
from ptce_geo.diagnostic import Diagnostic, diagnose
from ptce_geo.errors import ProjectError, PtceGeoError
from ptce_geo.fr_format import decimals_for_unit, fr_number, yes_no
from ptce_geo.indicators import INDICATORS
from ptce_geo.project import MATURITY_MARKERS, Project, ProjectConflictError, compare_snapshots, open_project, project_path, snapshot_rows
from ptce_geo.reference import Reference
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.workspace import project_inventory, set_territory, snapshot_content
from ui import loaders, state, territory

__all__ = [
    "territory_comparison", "snapshot_table", "snapshot_diff", "markers_frame", "local_time", "md",
    "create_from_session", "open_loaded", "open_path", "open_by_name", "restore", "close", "sync_url", "page_territory",
    "save", "autosave", "held_back", "reload_actors", "clear_actors", "reload_from_disk", "save_as", "conflict_notice", "note", "show_notes",
    "candidate_diagnostic", "save_current_territory", "set_active", "delete_territory", "add_finding", "delete_findings",
    "update_profile", "take_snapshot",
]

_CONFLICT, _NOTES = "project_conflict", "project_notes"
_PARIS = ZoneInfo("Europe/Paris")
_FIGURE_LABELS = {"population": "population (habitants)", "surface_km2": "surface (km²)", "epci": "EPCI",
                  "epci_partiels": "EPCI partiels", "total": "nombre d'acteurs"}


# --- pure helpers ---------------------------------------------------------------------------------


def md(text: object) -> str:
    """User text shown as Markdown: no HTML, no Markdown syntax of its own."""
    return html.escape(str(text), quote=False).translate({ord(c): f"\\{c}" for c in "*_`[]#|~$"})


def local_time(stamp: str) -> str:
    """``2025-11-26T14:03:00+00:00`` -> ``26/11/2025 15:03`` (Paris time); dates alone are kept as dates."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if len(str(stamp)) <= 10:
        return moment.strftime("%d/%m/%Y")
    return (moment.astimezone(_PARIS) if moment.tzinfo else moment).strftime("%d/%m/%Y %H:%M")


def _number(value: object, decimals: int = 1, whole: bool = False) -> str:
    """French number text (narrow no-break space, decimal comma); lists joined; missing values as a dash. ``whole``: a
    count, rounded to a whole number even when stored as a weighted float."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if not isinstance(value, int | float):
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return fr_number(value, 0 if whole or float(value).is_integer() else decimals)


def _key_figures(diag: Diagnostic) -> dict[str, str]:
    o = diag.overview
    levels = pd.Series([a.level for a in diag.alerts], dtype="object").value_counts()
    figures = {
        "Communes": _number(o["communes"]),
        "Population (habitants)": _number(round(o["population"])),
        "Surface (km²)": _number(round(o["surface_km2"])),
        "Densité (hab./km²)": _number(o["densite"]),
        "EPCI (dont partiels)": f"{o['epci']} ({o['epci_partiels']})",
        "Départements": ", ".join(o["departements"]),
        "Part de la population rurale (%)": _number(o["part_population_rurale"] * 100),
        "Alertes (dont niveau alerte)": f"{len(diag.alerts)} ({int(levels.get('alerte', 0))})",
    }
    summary = diag.summary
    for ind in INDICATORS:
        if ind.main and ind.id in summary.index:
            row = summary.loc[ind.id]
            figures[f"{ind.label} ({ind.unit})"] = _number(row["valeur_territoire"]) if row["disponible"] else "—"
    return figures


def territory_comparison(diagnostics: dict[str, Diagnostic | str], active: str = "") -> pd.DataFrame:
    """Key figures and main indicators of each candidate territory side by side (text cells, French number format).

    A territory that could not be built (``str`` instead of a diagnostic) shows its message in a first row.
    """
    columns = {}
    for name, diag in diagnostics.items():
        title = f"{name} (actif)" if name == active else name
        columns[title] = {"Diagnostic": diag} if isinstance(diag, str) else {"Diagnostic": "ok", **_key_figures(diag)}
    table = pd.DataFrame(columns).fillna("—")
    if (table.loc["Diagnostic"] == "ok").all():
        table = table.drop(index="Diagnostic")
    table.index.name = "Élément"
    return table


def snapshot_table(project: Project) -> pd.DataFrame:
    """Snapshots, oldest first: id, date (Paris time), label, territory."""
    rows = project.snapshots.sort_values("date")
    return pd.DataFrame({"id": pd.to_numeric(rows["id"]).astype("int64"), "Date": rows["date"].map(local_time),
                         "Libellé": rows["libelle"], "Territoire": rows["territoire"]}).reset_index(drop=True)


def _element_label(element: str) -> str:
    indicators = {i.id: f"{i.label} ({i.unit})" for i in INDICATORS}
    head, _, tail = element.partition(" / ")
    if head == "indicateurs":
        return f"Indicateur — {indicators.get(tail, tail)}"
    if head == "marqueurs":
        return f"Marqueur — {MATURITY_MARKERS.get(tail, tail)}"
    if head == "collectif":
        layer, _, item = tail.partition(" / ")
        spec = registered().get(layer)
        return f"Collectif — {spec.label if spec else layer} : {'nombre' if item == 'lignes' else item}"
    names = {"territoire": "Territoire", "acteurs": "Acteurs", "alertes": "Alertes"}
    tail = _FIGURE_LABELS.get(tail, tail)
    return f"{names.get(head, head)} — {tail}" if tail else names.get(head, head)


def snapshot_diff(project: Project, before_id: int, after_id: int, changed_only: bool = True) -> pd.DataFrame:
    """What changed between two snapshots of ``project``: element, before, after, difference (text cells, each figure
    with the decimals of its unit: counts whole, never « 1 234,56 emplois » nor « -0,0 »)."""
    contents = {int(r["id"]): r["contenu"] for r in snapshot_rows(project)}
    if before_id not in contents or after_id not in contents:
        raise ProjectError("Instantané introuvable dans le projet.")
    diff = compare_snapshots(contents[before_id], contents[after_id])
    if changed_only:
        diff = diff[diff["change"]]
    decimals = [_decimals(e, b if a is None else a) for e, a, b in zip(diff["element"], diff["avant"], diff["apres"], strict=True)]
    return pd.DataFrame({
        "Élément": diff["element"].map(_element_label),
        "Avant": [_number(v, d, whole=d == 0) for v, d in zip(diff["avant"], decimals, strict=True)],
        "Après": [_number(v, d, whole=d == 0) for v, d in zip(diff["apres"], decimals, strict=True)],
        # the difference of the figures as shown: 1 234,56 -> 1 240,4 emplois reads « 1 235 », « 1 240 », « +5 »
        "Écart": [None if e is None or pd.isna(e) else _signed(round(b, d) - round(a, d), d)
                  for e, a, b, d in zip(diff["ecart"], diff["avant"], diff["apres"], decimals, strict=True)],
    }).reset_index(drop=True)


def _decimals(element: str, value: object) -> int:
    """Decimals of a snapshot figure: an indicator's unit decides; the surface to 0.1 km²; every other figure is a count."""
    head, _, tail = element.partition(" / ")
    if head == "indicateurs":
        units = {i.id: i.unit for i in INDICATORS}
        return decimals_for_unit(units.get(tail, ""), value if isinstance(value, int | float) else None)
    return 1 if tail == "surface_km2" else 0


def _signed(value: object, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = fr_number(value, decimals)
    return ("+" if value > 0 and text.strip("0,") else "") + text  # never « +0,00 » nor « -0,00 » (fr_number drops that sign)


def markers_frame(profile: dict) -> pd.DataFrame:
    """The six maturity markers with their self-assessed score (0–4), for the chart."""
    return pd.DataFrame(marker_scores(profile), columns=["Marqueur", "Score", "Niveau"])


# --- session ------------------------------------------------------------------------------------------


def note(kind: str, text: str) -> None:
    """A message shown once, on the next run (callbacks run before the page draws)."""
    st.session_state.setdefault(_NOTES, []).append((kind, text))


def show_notes() -> None:
    """The messages noted since the last run (user names inside are shown as text, never as Markdown)."""
    for kind, text in st.session_state.pop(_NOTES, []):
        getattr(st, kind)(md(text))


def open_loaded(project: Project, path: Path) -> None:
    """``project`` (read from ``path``) becomes the session's work: territory, actors, findings, profile."""
    state.load_project(project, path)
    st.session_state.pop(_CONFLICT, None)


def open_path(path: Path) -> Project:
    """Read the project file at ``path`` and load it into the session."""
    project = open_project(path)
    open_loaded(project, path)
    return project


def open_by_name(stem: str) -> None:
    """The « Ouvrir » buttons (home and Projet pages): the project ``stem`` of the projects folder, read from disk again."""
    try:
        project = open_path(project_path(projects_dir(), stem))
        note("success", f"Projet « {project.name} » ouvert.")
    except ProjectError as exc:
        note("error", str(exc))


def restore(territory_page: bool = False) -> None:
    """Open the project named in the URL (``?projet=``) when it is not the session's project: a reload or a shared link.

    Switching projects in a callback (open, import, save under another name) writes the new name at once,
    so the URL of the previous run never reopens the previous project. What the link gave (a refusal, the project
    winning over the link's territory) is said on the page it opens: at the top of a ``territory_page`` (until the
    selection changes, so that the map's first rerun does not hide it), else once on the next run (the Projet page).
    """

    def tell(kind: str, text: str) -> None:
        if territory_page:
            state.notify(md(text), kind, on_next_selection=True)
        else:
            note(kind, text)

    name = st.query_params.get(state.PROJECT_PARAM)
    current = state.opened()
    if not name or (current is not None and name == current.path.stem):
        return
    try:
        path = project_path(projects_dir(), name)
        if current is not None and current.path == path:
            return
        if not path.exists():
            raise ProjectError(f"Le projet « {name} » n'existe pas (ou plus) dans le dossier des projets.")
        conflict = state.link_conflict({k: st.query_params.get(k) for k in st.query_params})
        open_path(path)
        if conflict:
            tell("info", conflict)
    except ProjectError as exc:
        tell("error", str(exc))
        del st.query_params[state.PROJECT_PARAM]


def close() -> None:
    state.close_project()
    st.session_state.pop(_CONFLICT, None)


def sync_url() -> None:
    """The Projet page's URL names the open project (and nothing else), so that a reload reopens it."""
    current = state.opened()
    wanted = {state.PROJECT_PARAM: current.path.stem} if current else {}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def save(force: bool = False, clear: bool = False) -> bool:
    """Save the open project now; a conflict (file saved elsewhere) is kept for ``conflict_notice`` and nothing is written.

    ``clear`` is the user's confirmation that the project's actors may be removed (« Vider l'inventaire »).
    """
    current = state.opened()
    if current is None:
        return False
    try:
        save_collective(current.project, current.path, force=force, clear_actors=clear)
    except ProjectConflictError as exc:
        st.session_state[_CONFLICT] = str(exc)
        return False
    except (ProjectError, OSError) as exc:
        note("error", str(exc) if isinstance(exc, InventoryWipeError) else f"Enregistrement impossible : {exc}")
        return False
    st.session_state.pop(_CONFLICT, None)
    return True


def _sync_territory(project: Project) -> bool:
    sel, _ = state.synced()
    now = state.stored()
    if now == sel or now.is_empty:  # an emptied selection never erases the project's territory
        return False
    result = territory.current(now)
    if result.territory is None:  # cannot be built: keep the project's territory, retry on the next change
        return False
    set_territory(project, project.active or DEFAULT_TERRITORY, result.territory)
    return True


def _sync_actors(project: Project) -> bool:
    editable = state.inventory()
    decision = decide_actors(project.actors, editable.inventory.actors if editable is not None else None, state.synced()[1])
    if decision.write:
        project.actors = decision.actors
    return decision.write


def autosave(show: bool = True) -> bool:
    """Copy the session's territory and actors into the open project when they changed, and save it.

    Call once per run, after the page has read its state. Returns ``True`` when the file is up to
    date (or no project is open: ``False``). With ``show``, a conflict is reported where it is called.
    """
    current = state.opened()
    if current is None:
        return False
    changed = _sync_territory(current.project)
    changed = _sync_actors(current.project) or changed
    state.mark_synced()
    ok = save() if changed else _CONFLICT not in st.session_state
    if show:
        conflict_notice()
    return ok


def held_back() -> int:
    """Actors the open project keeps although the session's inventory is empty (0 without a project)."""
    current = state.opened()
    if current is None:
        return 0
    editable = state.inventory()
    return decide_actors(current.project.actors, editable.inventory.actors if editable is not None else None).held_back


def reload_actors() -> None:
    """The open project's actors become the session's inventory again (after the session's was emptied)."""
    current = state.opened()
    if current is not None and current.project.actors is not None and len(current.project.actors):
        editable = from_stored(current.project.actors, current.project.name)
        current.project.actors = editable.inventory.actors
        state.set_inventory(editable)
        state.mark_synced()


def clear_actors() -> bool:
    """The user confirmed « Vider l'inventaire »: the session's inventory goes, and the open project's actors with it."""
    state.drop_inventory()
    current = state.opened()
    if current is None:
        return True
    decision = decide_actors(current.project.actors, None, clear_confirmed=True)
    if not decision.write:
        state.mark_synced()
        return True
    previous = current.project.actors
    current.project.actors = None
    if not save(clear=True):
        current.project.actors = previous  # not written (conflict): the file and the project still hold them
        return False
    state.mark_synced()
    return True


def page_territory(ref: Reference, save_now: bool = True) -> tuple[state.Selection, territory.Current]:
    """The start of every territory page, in the order that matters: reopen the project named in the URL,
    read the selection (URL or session), save the open project if the territory changed (``save_now``),
    then the territory and its diagnostic."""
    restore(territory_page=True)
    sel = state.selection(ref.epci.index, ref.accepted_commune_codes())
    if save_now:
        autosave()
    return sel, territory.current(sel)


def reload_from_disk() -> None:
    current = state.opened()
    try:
        project = open_path(current.path)
        note("success", f"Projet « {project.name} » rechargé depuis le disque (révision {project.revision}).")
    except ProjectError as exc:
        note("error", str(exc))


def save_as(name: str) -> bool:
    """Save the open project (with its unsaved changes) as a new project ``name``; an existing name is refused."""
    current = state.opened()
    try:
        path = project_path(projects_dir(), name)
        if path.exists():
            raise ProjectError(f"Un projet « {path.stem} » existe déjà : choisissez un autre nom.")
        current.project.name = name.strip()
        save_collective(current.project, path)
    except ProjectError as exc:
        note("error", str(exc))
        return False
    state.set_project_file(current.project, path)
    st.session_state.pop(_CONFLICT, None)
    note("success", f"Projet enregistré sous « {path.stem} ».")
    return True


def conflict_notice() -> None:
    """The conflict message with its two ways out: reload the file, or save this tab's version under another name."""
    message = st.session_state.get(_CONFLICT)
    current = state.opened()
    if not message or current is None:
        return
    with st.container(border=True):
        st.error(f"{md(message)} Rien n'a été écrasé ; les modifications de cet onglet sont gardées ici mais pas enregistrées.",
                 icon="⚠️")
        c1, c2 = st.columns(2)
        c1.button("Recharger le projet depuis le disque", key="prj_conflict_reload", on_click=reload_from_disk,
                  help="Reprend la version enregistrée ; les modifications de cet onglet sont abandonnées.")
        st.session_state.setdefault("prj_conflict_name", f"{current.project.name} (copie)")
        c2.text_input("Enregistrer cette version sous un autre nom", key="prj_conflict_name")
        c2.button("Enregistrer sous ce nom", key="prj_conflict_save_as",
                  on_click=lambda: save_as(st.session_state["prj_conflict_name"]))


# --- actions of the Projet page: each saves at once and returns False when the save failed (conflict) --------


@st.cache_resource(max_entries=16, show_spinner="Diagnostic des territoires du projet…")
def _candidate(generation: str, definition_json: str) -> Diagnostic | str:
    ref = loaders.reference()
    try:
        return diagnose(ref, build_territory(ref, TerritoryDefinition.from_json(definition_json)))
    except PtceGeoError as exc:
        return str(exc)


def candidate_diagnostic(project: Project, name: str) -> Diagnostic | str:
    """Diagnostic of the project's territory ``name`` rebuilt on the current reference (or why it cannot be)."""
    generation = loaders.reference().manifest.get("generation", "")
    return _candidate(generation, json.dumps(project.territories[name], sort_keys=True))


def create_from_session(name: str, replace: bool = False) -> Project:
    """A new project from the work in progress (the session's territory and actors, if any), saved and opened.

    With a territory, the project starts with a first dated snapshot « Création du projet ».
    """
    project = Project(name=(name or "").strip())
    editable = state.inventory()
    if editable is not None and len(editable.inventory.actors):
        project.actors = editable.inventory.actors
    sel = state.stored()
    result = territory.current(sel) if not sel.is_empty else None
    if result is not None and result.territory is not None:
        set_territory(project, DEFAULT_TERRITORY, result.territory)
        placed = project_inventory(loaders.reference(), project, result.territory)
        project.add_snapshot("Création du projet", snapshot_content(result.diagnostic, placed, project))
    path = create_project(projects_dir(), project, replace=replace)
    state.set_project_file(project, path)
    st.session_state.pop(_CONFLICT, None)
    state.mark_synced()
    if path.stem != project.name:  # a reserved (CON…), too long or unsafe file name, normalised by the library
        note("info", f"Le projet a été enregistré sous le nom « {path.stem} » (fichier {path.name}) : « {project.name} » "
                     "ne peut pas servir tel quel de nom de fichier.")
    return project


def save_current_territory(name: str) -> bool:
    """Store the session's territory in the open project as ``name``; it becomes the active territory."""
    current = state.opened()
    if not name or not name.strip():
        raise ProjectError("Donnez un nom au territoire.")
    sel = state.stored()
    if sel.is_empty:
        raise ProjectError("Aucun territoire en cours : définissez-le sur la page Territoire.")
    result = territory.current(sel)
    if result.territory is None:
        raise ProjectError(result.error or "Le territoire en cours ne peut pas être construit.")
    set_territory(current.project, name.strip(), result.territory)
    state.mark_synced()
    return save()


def set_active(name: str) -> bool:
    """Make the candidate ``name`` the active territory (rebuilt on the current reference) and load it in the session."""
    current = state.opened()
    diag = candidate_diagnostic(current.project, name)
    if isinstance(diag, str):
        raise ProjectError(diag)
    set_territory(current.project, name, diag.territory)
    definition = current.project.territories[name]
    state.save(state.selection_of(definition))
    state.mark_synced()
    return save()


def delete_territory(name: str) -> bool:
    remove_territory(state.opened().project, name)
    return save()


def add_finding(texte: str, theme: str | None, auteur: str, date: str, communes: list[str], epci: list[str],
                souleve_par: str | None = None, partage_par: list[str] | None = None) -> bool:
    add_project_finding(state.opened().project, texte, theme, auteur, date, communes, epci, souleve_par, partage_par)
    return save()


def delete_findings(ids: list[int]) -> bool:
    remove_findings(state.opened().project, ids)
    return save()


def update_profile(key: str, value: object) -> bool:
    """Change one profile field (``marqueurs/<clé>`` for a maturity marker) and save."""
    set_profile_field(state.opened().project, key, value)
    return save()


def take_snapshot(label: str) -> bool:
    """A dated snapshot of the active territory's baseline, actors and markers."""
    project = state.opened().project
    if project.active not in project.territories:
        raise ProjectError("Le projet n'a pas encore de territoire : enregistrez d'abord le territoire actuel.")
    diag = candidate_diagnostic(project, project.active)
    if isinstance(diag, str):
        raise ProjectError(diag)
    inventory = project_inventory(loaders.reference(), project, diag.territory)
    project.add_snapshot(snapshot_label(label, datetime.now(_PARIS)), snapshot_content(diag, inventory, project))
    return save()
