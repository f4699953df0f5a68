"""The project open in this session: its file, autosave, and what the Projet and home pages need.

A project is one GeoPackage in the projects folder (``data/projets/``, or ``$PTCE_GEO_PROJECTS_DIR``).
The open project lives in ``st.session_state`` with its path; its file name goes in the URL
(``?projet=…``) so that a reload reopens it. Opening a project loads its active territory into
the territory selection (``ui.state``) and its actors into ``st.session_state["actors_inventory"]``.

Every change is saved at once (atomic write, ``ptce_geo.project.save_project``). Other pages call
``autosave()`` once per run: it copies the territory and the actors into the project only when
they changed since the last sync, so merely viewing a page never writes. A save that finds the
file moved since it was opened (another tab) writes nothing; ``conflict_notice()`` then offers to
reload the file from disk or to save under another name.

The first half (folder, list, create, import, comparison tables) is pure and tested without a
browser; the second half moves data between the session, the project and its file.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import shapely
import streamlit as st

from ptce_geo.diagnostic import Diagnostic, diagnose
from ptce_geo.errors import ProjectError, PtceGeoError
from ptce_geo.indicators import INDICATORS
from ptce_geo.inventory import Inventory
from ptce_geo.project import (
    MATURITY_MARKERS,
    Project,
    ProjectConflictError,
    compare_snapshots,
    free_project_path,
    list_projects,
    open_project,
    project_info,
    project_path,
    save_project,
    snapshot_rows,
)
from ptce_geo.reference import Reference
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.workspace import project_inventory, set_territory, snapshot_content
from ui import loaders, state, territory
from ui.state import Selection

__all__ = [
    "PROJECTS_ENV", "QUERY_KEY", "ACTORS_KEY", "MAX_UPLOAD_MB", "DEFAULT_TERRITORY", "THEMES", "KINDS", "ACTION_LOGICS",
    "STAGES", "GOVERNANCE", "FUNCTIONS", "MARKER_SCALE", "Opened",
    "projects_dir", "catalogue", "create_project", "import_upload", "selection_of", "territory_comparison", "snapshot_table",
    "snapshot_diff", "markers_frame", "local_time", "md",
    "opened", "create_from_session", "activate", "open_path", "open_by_name", "restore", "close", "sync_url", "page_territory",
    "save", "autosave", "reload_from_disk", "save_as", "conflict_notice", "note", "show_notes", "candidate_diagnostic",
    "save_current_territory", "set_active", "delete_territory", "add_finding", "delete_findings", "update_profile", "take_snapshot",
]

PROJECTS_ENV = "PTCE_GEO_PROJECTS_DIR"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "projets"
QUERY_KEY = "projet"
ACTORS_KEY = "actors_inventory"
MAX_UPLOAD_MB = 50
DEFAULT_TERRITORY = "Territoire d'action"
THEMES = ("Emploi et activité", "Mobilité", "Logement", "Alimentation", "Transition écologique", "Santé et services",
          "Formation et insertion", "Foncier et locaux", "Culture et lien social", "Coopération entre acteurs", "Numérique")
KINDS = ("PTCE de territoire", "PTCE filière")
ACTION_LOGICS = ("interconnaissance et réseau", "accompagnement-incubation", "ingénierie et développement de projets")
STAGES = ("émergent", "en développement", "historique")
GOVERNANCE = ("aucune", "portage par une structure existante", "association", "SCIC")
FUNCTIONS = ("coordination", "animation", "ingénierie")
MARKER_SCALE = {0: "absent", 1: "amorcé", 2: "en cours", 3: "avancé", 4: "acquis"}
_EMPTY_REPORT_COLUMNS = ["ligne", "nom", "statut", "messages"]
_OPEN, _CONFLICT, _SYNC, _NOTES, _URL = "project_open", "project_conflict", "project_synced", "project_notes", "_project_url"
_PARIS = ZoneInfo("Europe/Paris")
_FIGURE_LABELS = {"population": "population (habitants)", "surface_km2": "surface (km²)", "epci": "EPCI",
                  "epci_partiels": "EPCI partiels", "total": "nombre d'acteurs"}


@dataclass
class Opened:
    """The session's project and the file it is saved to."""

    project: Project
    path: Path


# --- pure helpers ---------------------------------------------------------------------------------


def md(text: object) -> str:
    """User text shown as Markdown: no HTML, no Markdown syntax of its own."""
    return html.escape(str(text), quote=False).translate({ord(c): f"\\{c}" for c in "*_`[]#|~$"})


def projects_dir() -> Path:
    """The server-side projects folder: ``$PTCE_GEO_PROJECTS_DIR`` or ``data/projets/``."""
    return Path(os.environ.get(PROJECTS_ENV) or DEFAULT_DIR).resolve()


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


def catalogue(folder: Path | None = None) -> list[dict]:
    """The projects of ``folder`` (default: the projects folder), last saved first; unreadable files say why."""
    rows = []
    for path in list_projects(folder or projects_dir()):
        try:
            rows.append({**project_info(path), "erreur": ""})
        except ProjectError as exc:
            rows.append({"fichier": path.stem, "nom": path.stem, "modifie_le": "", "revision": 0, "territoire_actif": "",
                         "millesime_geographie": "", "erreur": str(exc)})
    return sorted(rows, key=lambda r: r["modifie_le"], reverse=True)


def create_project(folder: Path, project: Project, replace: bool = False) -> Path:
    """Save a new ``project`` in ``folder`` under its (safe) name; an existing project is replaced only if ``replace``.

    A file that is not a ptce-geo project is never replaced (``save_project`` refuses it).
    """
    path = project_path(folder, project.name)
    if path.exists() and not replace:
        raise ProjectError(f"Un projet « {path.stem} » existe déjà : cochez « Remplacer le projet existant » "
                           "ou choisissez un autre nom.")
    return save_project(project, path, force=replace)


def import_upload(folder: Path, data: bytes, filename: str) -> tuple[Project, Path]:
    """Copy an uploaded project file into ``folder``; foreign, corrupt or oversized files are refused.

    Nothing is overwritten: when the name is taken the copy becomes ``nom (2)``.
    """
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise ProjectError(f"{filename} : fichier trop volumineux ({len(data) / 1024 / 1024:.0f} Mo ; maximum {MAX_UPLOAD_MB} Mo).")
    if not filename.lower().endswith(".gpkg"):
        raise ProjectError(f"{filename} : un projet est un fichier GeoPackage (.gpkg).")
    project = open_project(data, filename)
    path = free_project_path(folder, project.name or Path(filename).stem)
    if path.stem != project_path(folder, project.name or Path(filename).stem).stem:
        project.name = path.stem
    save_project(project, path)
    return project, path


def selection_of(definition: dict) -> Selection:
    """The territory selection (``ui.state``) describing a stored definition; a polygon keeps its outer rings."""
    d = TerritoryDefinition.from_dict(definition)
    rings: list[tuple[tuple[float, float], ...]] = []
    if d.polygon:
        for part in shapely.get_parts(shapely.geometry.shape(d.polygon)):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                rings.append(tuple((round(x, 6), round(y, 6)) for x, y, *_ in part.exterior.coords[:-1]))
    return Selection(epci=d.epci, communes=d.communes, excluded=d.exclude, min_share=d.min_share, drawings=tuple(rings))


def _number(value: object, decimals: int = 1) -> str:
    """French number text (narrow no-break space, decimal comma); lists joined; missing values as a dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    text = f"{value:,.{decimals if value != int(value) else 0}f}"
    return text.replace(",", "\u202f").replace(".", ",")


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
    names = {"territoire": "Territoire", "acteurs": "Acteurs", "alertes": "Alertes"}
    tail = _FIGURE_LABELS.get(tail, tail)
    return f"{names.get(head, head)} — {tail}" if tail else names.get(head, head)


def snapshot_diff(project: Project, before_id: int, after_id: int, changed_only: bool = True) -> pd.DataFrame:
    """What changed between two snapshots of ``project``: element, before, after, difference (text cells)."""
    contents = {int(r["id"]): r["contenu"] for r in snapshot_rows(project)}
    if before_id not in contents or after_id not in contents:
        raise ProjectError("Instantané introuvable dans le projet.")
    diff = compare_snapshots(contents[before_id], contents[after_id])
    if changed_only:
        diff = diff[diff["change"]]
    return pd.DataFrame({
        "Élément": diff["element"].map(_element_label), "Avant": diff["avant"].map(_number), "Après": diff["apres"].map(_number),
        "Écart": [_signed(v) for v in diff["ecart"]],
    }).reset_index(drop=True)


def _signed(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return ("+" if value > 0 else "") + _number(value, 2)


def markers_frame(profile: dict) -> pd.DataFrame:
    """The six maturity markers with their self-assessed score (0–4), for the chart."""
    scores = profile.get("marqueurs", {})
    return pd.DataFrame({"Marqueur": list(MATURITY_MARKERS.values()),
                         "Score": [int(scores.get(k, 0) or 0) for k in MATURITY_MARKERS],
                         "Niveau": [MARKER_SCALE.get(int(scores.get(k, 0) or 0), "") for k in MATURITY_MARKERS]})


# --- session ------------------------------------------------------------------------------------------


def opened() -> Opened | None:
    return st.session_state.get(_OPEN)


def note(kind: str, text: str) -> None:
    """A message shown once, on the next run (callbacks run before the page draws)."""
    st.session_state.setdefault(_NOTES, []).append((kind, text))


def show_notes() -> None:
    """The messages noted since the last run (user names inside are shown as text, never as Markdown)."""
    for kind, text in st.session_state.pop(_NOTES, []):
        getattr(st, kind)(md(text))


def _mark_synced() -> None:
    inventory = st.session_state.get(ACTORS_KEY)
    st.session_state[_SYNC] = (state.stored(), inventory.actors if inventory is not None else None)


def _load_territory(project: Project) -> None:
    """The active territory becomes the session's selection (what the Territoire and Diagnostic pages show)."""
    definition = project.territories.get(project.active)
    state.save(selection_of(definition) if definition else Selection())


def _set_open(project: Project, path: Path) -> None:
    """``project`` becomes the session's project, and its name goes in the URL at once (see ``restore``)."""
    st.session_state[_OPEN] = Opened(project, Path(path))
    st.session_state.pop(_CONFLICT, None)
    st.query_params[QUERY_KEY] = Path(path).stem
    st.session_state[_URL] = st.session_state[state.PROJECT_KEY] = Path(path).stem


def activate(project: Project, path: Path) -> None:
    """Make ``project`` the session's project and load its territory and actors into the session."""
    _load_territory(project)  # rewrites the whole URL: before the project's name is added to it
    _set_open(project, path)
    if project.actors is not None and len(project.actors):
        st.session_state[ACTORS_KEY] = Inventory(project.actors, pd.DataFrame(columns=_EMPTY_REPORT_COLUMNS))
    else:
        st.session_state.pop(ACTORS_KEY, None)
    _mark_synced()


def open_path(path: Path) -> Project:
    project = open_project(path)
    activate(project, path)
    return project


def open_by_name(stem: str) -> None:
    """Callback of the « Ouvrir » buttons: the project ``stem`` of the projects folder."""
    try:
        project = open_path(project_path(projects_dir(), stem))
        note("success", f"Projet « {project.name} » ouvert.")
    except ProjectError as exc:
        note("error", str(exc))


def restore() -> None:
    """Open the project named in the URL (``?projet=``) when the URL names another one than this session last wrote.

    That is a reload or a shared link. Switching projects in a callback (open, import, save under another name)
    writes the new name at once, so the URL of the previous run never reopens the previous project.
    """
    name = st.query_params.get(QUERY_KEY)
    if not name or name == st.session_state.get(_URL):
        return
    current = opened()
    try:
        path = project_path(projects_dir(), name)
        if current is not None and current.path == path:
            return
        if not path.exists():
            raise ProjectError(f"Le projet « {name} » n'existe pas (ou plus) dans le dossier des projets.")
        conflict = state.link_conflict({k: st.query_params.get(k) for k in st.query_params})
        open_path(path)
        if conflict:
            note("info", conflict)  # the Projet page
            state.notify(conflict, "info")  # the territory pages
    except ProjectError as exc:
        note("error", str(exc))
        del st.query_params[QUERY_KEY]


def close() -> None:
    st.session_state.pop(_OPEN, None)
    st.session_state.pop(state.PROJECT_KEY, None)
    st.session_state.pop(_CONFLICT, None)
    st.session_state.pop(_SYNC, None)


def sync_url() -> None:
    """The Projet page's URL names the open project (and nothing else), so that a reload reopens it."""
    current = opened()
    wanted = {QUERY_KEY: current.path.stem} if current else {}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_URL] = wanted.get(QUERY_KEY)


def save(force: bool = False) -> bool:
    """Save the open project now; a conflict (file saved elsewhere) is kept for ``conflict_notice`` and nothing is written."""
    current = opened()
    if current is None:
        return False
    try:
        save_project(current.project, current.path, force=force)
    except ProjectConflictError as exc:
        st.session_state[_CONFLICT] = str(exc)
        return False
    except (ProjectError, OSError) as exc:
        note("error", f"Enregistrement impossible : {exc}")
        return False
    st.session_state.pop(_CONFLICT, None)
    return True


def _sync_territory(project: Project) -> bool:
    sel, _ = st.session_state.get(_SYNC, (None, None))
    now = state.stored()
    if now == sel or now.is_empty:  # an emptied selection never erases the project's territory
        return False
    result = territory.current(now)
    if result.territory is None:  # cannot be built: keep the project's territory, retry on the next change
        return False
    set_territory(project, project.active or DEFAULT_TERRITORY, result.territory)
    return True


def _sync_actors(project: Project) -> bool:
    _, synced = st.session_state.get(_SYNC, (None, None))
    inventory = st.session_state.get(ACTORS_KEY)
    actors = inventory.actors if inventory is not None else None
    if actors is synced:
        return False
    if actors is None:
        changed = project.actors is not None
        project.actors = None
        return changed
    if project.actors is not None and actors.equals(project.actors):
        return False
    project.actors = actors
    return True


def autosave(show: bool = True) -> bool:
    """Copy the session's territory and actors into the open project when they changed, and save it.

    Call once per run, after the page has read its state. Returns ``True`` when the file is up to
    date (or no project is open: ``False``). With ``show``, a conflict is reported where it is called.
    """
    current = opened()
    if current is None:
        return False
    changed = _sync_territory(current.project)
    changed = _sync_actors(current.project) or changed
    _mark_synced()
    ok = save() if changed else _CONFLICT not in st.session_state
    if show:
        conflict_notice()
    return ok


def page_territory(ref: Reference, save_now: bool = True) -> tuple[Selection, territory.Current]:
    """The start of every territory page, in the order that matters: reopen the project named in the URL,
    read the selection (URL or session), save the open project if the territory changed (``save_now``),
    then the territory and its diagnostic."""
    restore()
    sel = state.selection(ref.epci.index, ref.communes.index)
    if save_now:
        autosave()
    return sel, territory.current(sel)


def reload_from_disk() -> None:
    current = opened()
    try:
        project = open_path(current.path)
        note("success", f"Projet « {project.name} » rechargé depuis le disque (révision {project.revision}).")
    except ProjectError as exc:
        note("error", str(exc))


def save_as(name: str) -> bool:
    """Save the open project (with its unsaved changes) as a new project ``name``; an existing name is refused."""
    current = opened()
    try:
        path = project_path(projects_dir(), name)
        if path.exists():
            raise ProjectError(f"Un projet « {path.stem} » existe déjà : choisissez un autre nom.")
        current.project.name = name.strip()
        save_project(current.project, path)
    except ProjectError as exc:
        note("error", str(exc))
        return False
    _set_open(current.project, path)
    note("success", f"Projet enregistré sous « {path.stem} ».")
    return True


def conflict_notice() -> None:
    """The conflict message with its two ways out: reload the file, or save this tab's version under another name."""
    message = st.session_state.get(_CONFLICT)
    current = opened()
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
    if not name or not name.strip():
        raise ProjectError("Donnez un nom au projet.")
    project = Project(name=name.strip())
    inventory = st.session_state.get(ACTORS_KEY)
    if inventory is not None and len(inventory.actors):
        project.actors = inventory.actors
    sel = state.stored()
    result = territory.current(sel) if not sel.is_empty else None
    if result is not None and result.territory is not None:
        set_territory(project, DEFAULT_TERRITORY, result.territory)
        placed = project_inventory(loaders.reference(), project, result.territory)
        project.add_snapshot("Création du projet", snapshot_content(result.diagnostic, placed, project))
    _set_open(project, create_project(projects_dir(), project, replace=replace))
    _mark_synced()
    return project


def save_current_territory(name: str) -> bool:
    """Store the session's territory in the open project as ``name``; it becomes the active territory."""
    current = opened()
    if not name or not name.strip():
        raise ProjectError("Donnez un nom au territoire.")
    sel = state.stored()
    if sel.is_empty:
        raise ProjectError("Aucun territoire en cours : définissez-le sur la page Territoire.")
    result = territory.current(sel)
    if result.territory is None:
        raise ProjectError(result.error or "Le territoire en cours ne peut pas être construit.")
    set_territory(current.project, name.strip(), result.territory)
    _mark_synced()
    return save()


def set_active(name: str) -> bool:
    """Make the candidate ``name`` the active territory (rebuilt on the current reference) and load it in the session."""
    current = opened()
    diag = candidate_diagnostic(current.project, name)
    if isinstance(diag, str):
        raise ProjectError(diag)
    set_territory(current.project, name, diag.territory)
    _load_territory(current.project)
    _mark_synced()
    return save()


def delete_territory(name: str) -> bool:
    current = opened()
    if name == current.project.active:
        raise ProjectError("Le territoire actif ne peut pas être supprimé : activez d'abord un autre territoire.")
    current.project.territories.pop(name, None)
    current.project.outlines.pop(name, None)
    return save()


def add_finding(texte: str, theme: str | None, auteur: str, date: str, communes: list[str], epci: list[str]) -> bool:
    current = opened()
    current.project.add_finding(texte, theme=theme or "", auteur=(auteur or "").strip(), date=date, communes=communes, epci=epci)
    return save()


def delete_findings(ids: list[int]) -> bool:
    current = opened()
    findings = current.project.findings
    current.project.findings = findings[~pd.to_numeric(findings["id"]).isin(ids)].reset_index(drop=True)
    return save()


def update_profile(key: str, value: object) -> bool:
    """Change one profile field (``marqueurs/<clé>`` for a maturity marker) and save."""
    profile = opened().project.profile
    if key.startswith("marqueurs/"):
        profile.setdefault("marqueurs", {})[key.split("/", 1)[1]] = int(value)
    else:
        profile[key] = list(value) if isinstance(value, list | tuple) else value
        if key == "logiques_action" and profile.get("logique_dominante") not in (*profile["logiques_action"], ""):
            profile["logique_dominante"] = ""
    return save()


def take_snapshot(label: str) -> bool:
    """A dated snapshot of the active territory's baseline, actors and markers."""
    current = opened()
    project = current.project
    if project.active not in project.territories:
        raise ProjectError("Le projet n'a pas encore de territoire : enregistrez d'abord le territoire actuel.")
    diag = candidate_diagnostic(project, project.active)
    if isinstance(diag, str):
        raise ProjectError(diag)
    inventory = project_inventory(loaders.reference(), project, diag.territory)
    project.add_snapshot(label.strip() or f"Instantané du {datetime.now(_PARIS):%d/%m/%Y}", snapshot_content(diag, inventory, project))
    return save()
