"""Display blocks of the Acteurs page: import, report, map with the « add an actor » form, editor, summary, export.

Every text that comes from the inventory is shown through ``st.dataframe`` (plain text cells) or
``actors.md`` (Markdown with HTML and formatting characters made inert); map strings are escaped by
``ptce_geo.collective.actors_map``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from datetime import date, datetime, time
from functools import partial

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ptce_geo.collective import editing
from ptce_geo.collective.actor_schema import COLUMNS, INTERESTS, INVOLVEMENT_LEVELS, KINDS, NOT_INVOLVED, PERSONAL_COLUMNS, THEMES
from ptce_geo.collective.actors import STATUSES, actor_template_csv, actor_template_xlsx, report_counts
from ptce_geo.collective.actors_map import (
    COLOUR_BY,
    actor_legend_html,
    actors_base_map,
    clicked_point_layer,
    filter_actors,
    filter_options,
    marker_rows,
    markers_layer,
)
from ptce_geo.collective.editing import EditableInventory
from ptce_geo.collective.inventory import Inventory, inventory_files, summarise_inventory
from ptce_geo.errors import PtceGeoError
from ptce_geo.export import zip_files
from ptce_geo.fr_format import count, fr_number
from ptce_geo.geocode import BanGeocoder
from ptce_geo.mapping import BASEMAPS, DEFAULT_BASEMAP
from ptce_geo.reference import Reference
from ui import actors, ess_panel, exports, loaders, project, uploads
from ui.maps import MAX_OUTLINED_COMMUNES
from ui.state import opened
from ui.territory import Current

__all__ = ["import_panel", "start_panel", "overview", "map_panel", "report_panel", "editor_panel", "summary_panel", "export_panel", "export_bytes",
           "alerts_panel", "summarised", "clear_button", "keeping_panel"]

GDPR_NOTE = ("Courriels, téléphones et noms de personnes ne sont pas nécessaires au diagnostic : ils sont retirés à l'import "
             "(minimisation des données, RGPD). Ne les conservez que si vous en avez besoin et que les personnes en sont informées.")
BAN_NOTE = ("Envoie les adresses des acteurs sans coordonnées à l'API Adresse (BAN, api-adresse.data.gouv.fr) : nécessite "
            "Internet. Sans cette option, un acteur sans coordonnées est placé dans sa commune.")
SIRET_HELP = ("14 chiffres (9 pour un SIREN), espaces admis. Avec les tables Sirene (python -m ptce_geo data update --only sirene), "
              "le type, la forme juridique et l'ESS laissés vides sont remplis depuis Sirene ; rien de ce qui est saisi n'est remplacé.")
MAP_KEY, _CLICK, _FLASH, _READ, _ERROR, _SUMMARY = "act_carte", "act_clic", "_act_flash", "_act_fichier_lu", "_act_erreur", "_act_summary"
_EXPORTS = "_act_exports"  # (inventory, (flavour, day), (files, zip)): the export bytes of the last inventory shown
_COUNT_LABELS = {"modalite": "Modalité", "acteurs": "Acteurs", "impliques": "Impliqués", "part_pct": "Part (%)"}
_DIGITS = {"indice_diversite": 2}  # decimals of a float column shown in a table; 1 otherwise


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _geocoder() -> BanGeocoder | None:
    return BanGeocoder() if st.session_state.get("act_ban") else None


def _progress(text: str):
    bar = st.progress(0.0, text=text)

    def update(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    return bar, update


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)


def _show_flash() -> None:
    """The last action's outcome, in a container that is always there: elements above the map never come and go,
    which would shift the map's position in the page and make Streamlit mount it again."""
    slot = st.container()
    kind, text = st.session_state.pop(_FLASH, (None, None))
    if kind:
        {"success": slot.success, "warning": slot.warning, "error": slot.error}.get(kind, slot.info)(text)


def _counts_text(state: EditableInventory) -> str:
    counts = report_counts(state.inventory.report)
    return ", ".join(count(counts[status], f"{label}e", f"{label}es") for status, label in
                     (("accepté", "accepté"), ("corrigé", "corrigé"), ("refusé", "refusé")))


def _memo(name: str, source: object, key: tuple, compute, memo: MutableMapping | None = None):
    """``compute()`` kept in the session (or ``memo``) while ``source`` is the same object and ``key`` is equal
    (reruns on clicks are cheap)."""
    memo = st.session_state if memo is None else memo
    cached = memo.get(name)
    if cached is not None and cached[0] is source and cached[1] == key:
        return cached[2]
    value = compute()
    memo[name] = (source, key, value)
    return value


def _reset_view() -> None:
    for key in (_CLICK, "act_new_lat", "act_new_lon", "act_f_types", "act_f_impl", "act_f_them", _SUMMARY):
        st.session_state.pop(key, None)


# --- import ----------------------------------------------------------------------------------------

def _import(ref: Reference, upload, sheet: str | None = None, rerun: bool = True) -> None:
    """Import ``upload`` (its ``sheet`` for a workbook, default the library's best guess); ``rerun=False`` in a callback."""
    data = upload.getvalue()
    if len(data) > actors.MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"Fichier trop volumineux ({len(data) / 1e6:.0f} Mo) : {actors.MAX_UPLOAD_MB} Mo au plus.")
        return
    bar, progress = _progress(f"Import de {upload.name}…")
    try:
        state = editing.import_inventory(ref, data, upload.name, keep_personal=bool(st.session_state.get("act_personnel")),
                                        geocoder=_geocoder(), progress=progress, sheet=sheet, sirene=ess_panel.current_store())
    except PtceGeoError as exc:
        bar.empty()
        st.session_state[_READ] = upload.file_id
        st.session_state[_ERROR] = (upload.file_id, f"Import impossible : {actors.md(exc)}")
        return
    bar.empty()
    st.session_state[_READ] = upload.file_id
    _reset_view()
    actors.store(state)
    read = f" (feuille « {actors.md(state.sheets[0])} »)" if len(state.sheets) > 1 else ""
    _flash("success" if not state.inventory.refused else "warning",
           f"{actors.md(upload.name)}{read} importé : {_counts_text(state)}.")
    if rerun:
        st.rerun()  # the page is drawn again with the new inventory (and the import block folded)


def _sheet_chooser(ref: Reference, upload, state: EditableInventory | None) -> str | None:
    """A workbook with several sheets of actors: which one to read (only then shown). The sheet read, else ``None``."""
    if state is None or len(state.sheets) < 2 or st.session_state.get(_READ) != upload.file_id:
        return None
    st.session_state["act_feuille"] = state.sheets[0]
    st.selectbox("Feuille du classeur à lire", sorted(state.sheets), key="act_feuille",
                 help="Le classeur contient plusieurs feuilles d'acteurs ; une seule est lue à la fois. "
                      "Changer de feuille annule les modifications faites ici.",
                 on_change=lambda: _import(ref, upload, st.session_state["act_feuille"], rerun=False), placeholder="Choisir…")
    return state.sheets[0]


def import_panel(ref: Reference) -> None:
    """Templates, the uploader and its options; a new file is imported at once (with a progress bar)."""
    state = actors.stored()
    with st.expander("Importer un inventaire (CSV ou XLSX)", expanded=state is None):
        st.markdown("Une ligne par structure. Colonnes reconnues avec tolérance (« Nom de la structure », « Niveau d'implication », "
                    "« Code INSEE »…) ; partez du modèle pour être sûr.")
        c1, c2 = st.columns(2)
        c1.download_button("Modèle CSV (Excel français)", data=partial(actor_template_csv, "excel-fr"), file_name="modele_acteurs.csv",
                           mime="text/csv", key="act_modele_csv", on_click="ignore", icon=":material/download:")
        c2.download_button("Modèle XLSX (listes déroulantes)", data=actor_template_xlsx, file_name="modele_acteurs.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="act_modele_xlsx",
                           on_click="ignore", icon=":material/download:")
        st.checkbox("Conserver les données personnelles (courriels, téléphones, contacts)", key="act_personnel", help=GDPR_NOTE)
        st.caption(GDPR_NOTE)
        st.checkbox("Géocoder les adresses en ligne (API Adresse)", key="act_ban", help=BAN_NOTE)
        upload = uploads.file_uploader(f"Fichier des acteurs : CSV (« ; » ou « , », UTF-8 ou Windows) ou XLSX, {actors.MAX_UPLOAD_MB} Mo au plus",
                                       type=["csv", "txt", "tsv", "xlsx", "xls"], key="act_fichier", limit_mb=actors.MAX_UPLOAD_MB)
        if upload is not None:
            if upload.file_id != st.session_state.get(_READ):
                _import(ref, upload)
            sheet = _sheet_chooser(ref, upload, actors.stored())
            error_for, error = st.session_state.get(_ERROR, (None, ""))
            if error_for == upload.file_id:  # shown as long as this file is in the uploader
                st.error(error)
            elif st.button("Relire le fichier avec ces options (annule les modifications faites ici)", key="act_relire"):
                _import(ref, upload, sheet)


def start_panel(ref: Reference) -> None:
    """What to do when there is no inventory yet."""
    _show_flash()
    if project.held_back():
        return  # the project keeps actors: ``keeping_panel`` says so, an empty start would only hide them
    st.info("Aucun inventaire pour l'instant : importez un fichier ci-dessus (partez du modèle), "
            "ou commencez un inventaire vide et ajoutez les acteurs en cliquant sur la carte.")
    if st.button("Commencer un inventaire vide", key="act_vide"):
        actors.store(editing.empty_inventory(ref))
        st.rerun()


def overview(state: EditableInventory) -> None:
    """Counts of the report and of the map, one line."""
    _show_flash()
    counts = report_counts(state.inventory.report)
    placed = int(state.inventory.actors.geometry.notna().sum()) if len(state.inventory.actors) else 0
    cols = st.columns(5)
    cols[0].metric("Lignes", len(state.inventory.report), help=f"Source : {state.name}")
    cols[1].metric("Acceptées", counts["accepté"])
    cols[2].metric("Corrigées", counts["corrigé"], help="Gardées après correction : voir le rapport")
    cols[3].metric("Refusées", counts["refusé"], help="Non retenues : corrigez-les dans l'onglet « Modifier le tableau »")
    cols[4].metric("Sur la carte", placed, help="Acteurs placés (coordonnées, adresse ou commune)")


# --- map and the « add an actor » form -------------------------------------------------------------

def _on_map_click() -> None:
    clicked = (st.session_state.get(MAP_KEY) or {}).get("last_clicked")
    if isinstance(clicked, dict) and clicked.get("lat") is not None and clicked.get("lng") is not None:
        lat, lon = round(float(clicked["lat"]), 6), round(float(clicked["lng"]), 6)
        st.session_state[_CLICK] = (lat, lon)
        st.session_state["act_new_lat"], st.session_state["act_new_lon"] = lat, lon


def _filter(container, label: str, options: list[str], key: str) -> list[str]:
    if key in st.session_state:  # values no longer present (after an edit) are dropped rather than refused
        st.session_state[key] = [v for v in st.session_state[key] if v in options]
    return container.multiselect(label, options, key=key, placeholder="Tous")


def _bounds(state: EditableInventory, current: Current) -> tuple[float, float, float, float] | None:
    if current.territory is not None and len(current.territory.communes):
        return tuple(float(b) for b in current.territory.communes.total_bounds)
    placed = state.inventory.actors.geometry.dropna() if len(state.inventory.actors) else None
    if placed is None or placed.empty:
        return None
    return tuple(round(float(b), 2) for b in placed.total_bounds)  # rounded: a new actor rarely moves the view


def map_panel(ref: Reference, state: EditableInventory, current: Current) -> None:
    """Filters, the map (territory outlines, actors coloured by choice) and the form filled by a click."""
    left, right = st.columns([3, 1], gap="medium")
    inventory = state.inventory.actors
    options = _memo("_act_options", inventory, (), partial(filter_options, inventory))
    with left:
        c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 2])
        colour_by = c1.selectbox("Couleur des points", list(COLOUR_BY), format_func=lambda k: COLOUR_BY[k][0], key="act_couleur",
                                 placeholder="Choisir…")
        kinds = _filter(c2, "Types de structure", options["type_structure"], "act_f_types")
        levels = _filter(c3, "Implication", options["implication"], "act_f_impl")
        themes = _filter(c4, "Thématiques", options["thematiques"], "act_f_them")
        basemap = c5.selectbox("Fond de carte", list(BASEMAPS), key="act_basemap", index=list(BASEMAPS).index(DEFAULT_BASEMAP),
                               format_func=lambda b: BASEMAPS[b].label, help="« Aucun » fonctionne hors ligne.", placeholder="Choisir…")
        filters = (tuple(kinds), tuple(levels), tuple(themes))
        shown = _memo("_act_shown", inventory, filters, partial(filter_actors, inventory, kinds, levels, themes))
        rows = _memo("_act_markers", inventory, (colour_by, *filters), partial(marker_rows, shown, colour_by))
        layer = markers_layer(rows)
        assets, missing = loaders.map_assets()
        if missing:
            st.warning("Bibliothèques cartographiques locales absentes (lancez `npm ci`) : la carte les charge depuis Internet.")
        outlines = None
        if current.territory is not None and 0 < len(current.territory.communes) <= MAX_OUTLINED_COMMUNES:
            outlines = loaders.commune_outlines(tuple(current.territory.communes.index))
        m = actors_base_map(assets, basemap, _bounds(state, current), outlines)
        click = st.session_state.get(_CLICK) or (None, None)
        st_folium(m, key=MAP_KEY, height=540, use_container_width=True, returned_objects=["last_clicked"],
                  feature_group_to_add=[layer, clicked_point_layer(*click)], on_change=_on_map_click)
        st.html(actor_legend_html(colour_by))  # under the map, never over it
        unplaced = int(shown.geometry.isna().sum()) if len(shown) else 0
        text = f"{count(layer.marker_count, 'acteur', 'acteurs')} sur la carte"
        if len(shown) != len(inventory):
            text += f" ({count(len(shown), 'retenu', 'retenus')} par les filtres sur {_n(len(inventory))})"
        if unplaced:
            text += f" ; {_n(unplaced)} sans position (ni coordonnées, ni adresse géocodée, ni commune)"
        if layer.marker_count < len(shown) - unplaced:
            text += f" ; {_n(len(shown) - unplaced)} placés, seuls les {_n(layer.marker_count)} premiers sont dessinés : affinez les filtres"
        st.caption(text + ". Cliquez sur un point pour sa fiche, ailleurs sur la carte pour placer un nouvel acteur. "
                   "Les acteurs placés au même point (même commune, sans coordonnées) sont disposés en spirale autour de ce point.")
    with right:
        _add_form(ref, options)


def _add_actor(ref: Reference) -> None:
    ss = st.session_state
    name = (ss.get("act_new_nom") or "").strip()
    lat, lon = ss.get("act_new_lat"), ss.get("act_new_lon")
    if not name:
        _flash("error", "Nouvel acteur : donnez le nom de la structure.")
        return
    if lat is None or lon is None:
        _flash("error", "Nouvel acteur : cliquez sur la carte pour le placer (ou saisissez latitude et longitude).")
        return
    state = actors.stored() or editing.empty_inventory(ref)
    fields = {"nom": name, "siret": ss.get("act_new_siret"), "type_structure": ss.get("act_new_type"), "implication": ss.get("act_new_impl"),
              "thematiques": ss.get("act_new_themes") or [], "interet": ss.get("act_new_interet") or [],
              "latitude": float(lat), "longitude": float(lon)}
    table = editing.append_actor(state.table, fields)
    line = int(table.index.max())
    try:
        new = editing.revalidate(ref, state, table, geocoder=None, sirene=ess_panel.current_store())
    except PtceGeoError as exc:
        _flash("error", f"Nouvel acteur non ajouté : {actors.md(exc)}")
        return
    actors.store(new)
    row = new.inventory.report.set_index("ligne").loc[line]
    detail = f" — {actors.md(row['messages'])}" if isinstance(row["messages"], str) and row["messages"] else ""
    kind = {"accepté": "success", "corrigé": "success"}.get(row["statut"], "warning")
    _flash(kind, f"« {actors.md(name)} » ajouté (ligne {line}) : {row['statut']}{detail}")
    ss["act_new_nom"], ss["act_new_siret"], ss["act_new_type"], ss["act_new_themes"], ss["act_new_interet"] = "", "", None, [], []
    ss[_CLICK], ss["act_new_lat"], ss["act_new_lon"] = None, None, None


def _add_form(ref: Reference, options: dict[str, list[str]]) -> None:
    st.markdown("**Ajouter un acteur**")
    click = st.session_state.get(_CLICK)
    st.caption("Point choisi sur la carte." if click else "Cliquez sur la carte à l'emplacement de la structure.")
    with st.form("act_ajout", border=True):
        st.text_input("Nom de la structure", key="act_new_nom", max_chars=200)
        st.text_input("SIRET ou SIREN (facultatif)", key="act_new_siret", max_chars=40, placeholder="ex. 732 829 320 00074",
                      help=SIRET_HELP)
        st.selectbox("Type de structure", KINDS, index=None, key="act_new_type", placeholder="Choisir…")
        st.selectbox("Implication dans le PTCE", INVOLVEMENT_LEVELS, index=INVOLVEMENT_LEVELS.index(NOT_INVOLVED), key="act_new_impl",
                     placeholder="Choisir…")
        themes = list(dict.fromkeys([*THEMES, *options["thematiques"]]))
        st.multiselect("Thématiques", themes, key="act_new_themes", accept_new_options=True, placeholder="Choisir ou saisir…")
        st.multiselect("Intérêt", INTERESTS, key="act_new_interet", placeholder="Choisir…")
        c1, c2 = st.columns(2)
        c1.number_input("Latitude", value=None, min_value=-90.0, max_value=90.0, format="%.5f", key="act_new_lat")
        c2.number_input("Longitude", value=None, min_value=-180.0, max_value=180.0, format="%.5f", key="act_new_lon")
        st.form_submit_button("Ajouter l'acteur", type="primary", on_click=_add_actor, args=(ref,))


# --- report and editing ----------------------------------------------------------------------------

def report_panel(state: EditableInventory) -> None:
    """File notes, then one line per row of the file (never a row dropped silently), filtered by status."""
    report = state.inventory.report
    notes = list(dict.fromkeys([*state.notes, *report.attrs.get("notes", [])]))
    if notes:
        st.markdown("\n".join(f"- {actors.md(n)}" for n in notes))
    statuses = st.multiselect("Statuts affichés", list(STATUSES), default=list(STATUSES), key="act_rapport_statut", placeholder="Choisir…")
    shown = report[report["statut"].isin(statuses)]
    st.caption(f"{count(len(shown), 'ligne affichée', 'lignes affichées')} sur {_n(len(report))} : {_counts_text(state)}.")
    st.dataframe(shown, hide_index=True, width="stretch", height=min(38 + 35 * max(len(shown), 1), 460),
                 column_config={"ligne": st.column_config.NumberColumn("Ligne", format="%d", width="small"),
                                "nom": st.column_config.TextColumn("Nom"), "statut": st.column_config.TextColumn("Statut", width="small"),
                                "messages": st.column_config.TextColumn("Messages", width="large")})


_EDITOR_LABELS = {"nom": "Nom", "siret": "SIRET", "type_structure": "Type de structure", "forme_juridique": "Forme juridique", "ess": "ESS",
                  "thematiques": "Thématiques", "competences": "Compétences", "problematiques": "Problématiques", "vision": "Vision",
                  "implication": "Implication", "interet": "Intérêt", "commune": "Commune", "code_commune": "Code commune",
                  "departement": "Département", "code_postal": "Code postal", "adresse": "Adresse", "latitude": "Latitude",
                  "longitude": "Longitude"}
_ENUMS = {"type_structure": list(KINDS), "implication": list(INVOLVEMENT_LEVELS), "ess": ["oui", "non"]}


def _editor_config(table: pd.DataFrame) -> dict:
    """French headers, the schema's help under each, drop-down lists for the enumerations; the status is read-only."""
    helps = {c.name: c.label for c in (*COLUMNS, *PERSONAL_COLUMNS)}
    config: dict = {"statut": st.column_config.TextColumn("Statut", disabled=True, width="small", pinned=True)}
    for name in table.columns.drop("statut"):
        label, help_ = _EDITOR_LABELS.get(name, helps.get(name, name)), helps.get(name)
        if name in _ENUMS:
            config[name] = st.column_config.SelectboxColumn(label, options=_ENUMS[name], help=help_)
        else:
            config[name] = st.column_config.TextColumn(label, help=help_, pinned=name == "nom",
                                                       width="small" if name in ("ess", "latitude", "longitude", "departement") else None)
    return config


def editor_panel(ref: Reference, state: EditableInventory) -> None:
    """The whole table (refused rows too) in ``st.data_editor``; « Valider » checks every row again."""
    st.caption("Modifiez les cellules, ajoutez des lignes en bas ou supprimez-en (cochez à gauche, puis la corbeille), puis validez : "
               "tout le tableau est vérifié à nouveau. Les lignes refusées peuvent être corrigées ici.")
    status = state.inventory.report.set_index("ligne")["statut"]
    view = state.table.copy()
    view.insert(0, "statut", status.reindex(view.index).astype("str"))
    key = f"{actors.EDITOR_PREFIX}{state.revision}"
    edited = st.data_editor(view.astype(object).fillna(""), key=key, num_rows="dynamic", width="stretch", height=420,
                            column_config=_editor_config(view))
    edits = st.session_state.get(key) or {}
    pending = sum(len(edits.get(k) or ()) for k in ("edited_rows", "added_rows", "deleted_rows"))
    if st.button(f"Valider les modifications ({pending})" if pending else "Valider les modifications", type="primary",
                 key="act_valider", disabled=not pending):
        bar, progress = _progress("Vérification du tableau…")
        try:
            new = editing.revalidate(ref, state, edited.drop(columns=["statut"]), geocoder=_geocoder(), progress=progress,
                                     sirene=ess_panel.current_store())
        except PtceGeoError as exc:
            bar.empty()
            st.error(f"Validation impossible : {actors.md(exc)}")
            return
        bar.empty()
        removed = len(set(state.table.index) - set(new.table.index))
        actors.store(new)
        _flash("success" if not new.inventory.refused else "warning", f"Tableau vérifié : {_counts_text(new)}"
               + (f" ; {count(removed, 'ligne supprimée', 'lignes supprimées')}" if removed else "") + ".")
        st.rerun()


# --- summary for the territory ---------------------------------------------------------------------

def summarised(ref: Reference, state: EditableInventory, current: Current) -> EditableInventory:
    """``state`` with the summary for the current territory (computed again only when the actors or the territory change)."""
    if current.territory is None:
        if state.inventory.summary is not None:
            state = replace(state, inventory=Inventory(state.inventory.actors, state.inventory.report))
            actors.store(state)
        st.session_state.pop(_SUMMARY, None)
        return state
    codes = tuple(current.territory.communes.index)
    memo = st.session_state.get(_SUMMARY)
    if state.inventory.summary is None or memo is None or memo[0] is not state.inventory.actors or memo[1] != codes:
        state = replace(state, inventory=summarise_inventory(state.inventory, ref, list(codes)))
        actors.store(state)
        st.session_state[_SUMMARY] = (state.inventory.actors, codes)
    return state


def alerts_panel(alerts: pd.DataFrame) -> None:
    """Alerts as the territorial ones: level, figures, message (most serious first)."""
    if alerts.empty:
        st.success("Aucune alerte sur l'inventaire des acteurs.")
        return
    boxes = {"alerte": (st.error, ":material/error:"), "vigilance": (st.warning, ":material/warning:"), "info": (st.info, ":material/info:")}
    for row in alerts.itertuples(index=False):
        box, icon = boxes.get(row.niveau, boxes["info"])
        box(f"**{actors.md(row.niveau.capitalize())}** — {actors.md(row.message)}  \n{actors.md(row.chiffres)}", icon=icon)


def _table(frame: pd.DataFrame, labels: dict | None = None, height: int | None = None) -> None:
    """A summary table with French labels; decimal numbers as French text (Streamlit's number formats print a dot)."""
    config = {k: (v if not isinstance(v, str) else st.column_config.Column(v)) for k, v in (labels or {}).items()}
    frame = frame.copy()
    for col in frame.columns[[pd.api.types.is_float_dtype(t) for t in frame.dtypes]]:
        frame[col] = [fr_number(v, _DIGITS.get(col, 1)) for v in frame[col]]
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config,
                 height=height or min(38 + 35 * max(len(frame), 1), 400))


def summary_panel(state: EditableInventory, current: Current) -> None:
    """Counts, plurality, blind spots, actors outside, single-actor themes and alerts — for a defined territory."""
    if current.definition is None or current.territory is None:
        if current.error:
            st.warning(f"Le territoire ne peut pas être calculé : {actors.md(current.error)}")
        else:
            st.info("Aucun territoire défini : les comptes par EPCI, les zones blanches, les acteurs hors territoire et les alertes "
                    "se calculent sur le territoire d'action.")
        st.page_link("app_pages/1_Territoire.py", label="Définir le territoire d'action", icon=":material/map:")
        return
    summary = state.inventory.summary
    if summary is None:
        return
    st.markdown("**Alertes**")
    alerts_panel(summary.alerts)
    st.markdown("**Pluralité du collectif**")
    plural = summary.plurality.set_index("perimetre")
    row = plural.iloc[0]
    c = st.columns(4)
    c[0].metric("Acteurs impliqués", int(row["acteurs"]), help="Noyau dur, cellule de pilotage, groupes thématiques et projets")
    c[1].metric("Types de structure", int(row["types_differents"]), help=f"Sur {len(KINDS)} types possibles")
    c[2].metric("Indice de diversité", fr_number(row["indice_diversite"], 2),
                help=f"Entropie de Shannon des types divisée par ln({len(KINDS)}) : 0 = un seul type, 1 = les {len(KINDS)} types à parts égales")
    c[3].metric("Structures de l'ESS", int(row["acteurs_ess"]))
    _table(summary.plurality, {"perimetre": "Périmètre", "acteurs": "Acteurs", "types_differents": "Types différents",
                               "indice_diversite": "Indice de diversité", "type_dominant": "Type dominant",
                               "part_type_dominant_pct": "Part du type dominant (%)", "acteurs_ess": "Acteurs ESS"})
    left, right = st.columns(2)
    with left:
        st.markdown("**Par type de structure**")
        _table(summary.by_kind, _COUNT_LABELS)
        st.markdown("**Par niveau d'implication**")
        _table(summary.by_involvement, _COUNT_LABELS)
    with right:
        st.markdown("**ESS / hors ESS**")
        _table(summary.by_ess, _COUNT_LABELS)
        st.markdown("**Par thématique**")
        _table(summary.by_theme, _COUNT_LABELS, height=300)
    st.markdown("**Couverture du territoire**")
    _table(summary.by_epci, {"code_epci": "SIREN", "nom": "EPCI", "communes_territoire": "Communes", "population_territoire": "Population",
                             "acteurs": "Acteurs", "impliques": "Impliqués"})
    left, right = st.columns(2)
    with left:
        blank = summary.communes_without_actor
        st.markdown(f"**Communes sans acteur** ({len(blank)}, EPCI sans acteur : {len(summary.epci_without_actor)})")
        _table(blank, {"code_commune": "Code", "nom": "Commune", "code_epci": "EPCI", "population": "Population"}, height=300)
    with right:
        st.markdown(f"**Acteurs hors du territoire ou sans commune** ({len(summary.outside)})")
        _table(summary.outside, {"ligne": "Ligne", "motif": "Motif", "nom": "Nom", "type_structure": "Type", "implication": "Implication",
                                 "commune": "Commune", "code_commune": "Code"}, height=300)
    st.markdown(f"**Thématiques portées par un seul acteur** ({len(summary.single_actor_themes)})")
    _table(summary.single_actor_themes, {"thematique": "Thématique", "acteur": "Acteur"}, height=260)


# --- export ----------------------------------------------------------------------------------------

def _zip(inventory: Inventory, flavour: str) -> bytes:
    """Built when clicked (the editor's download), so its date is the click's."""
    return zip_files(inventory_files(inventory, flavour))


def export_bytes(inventory: Inventory, flavour: str, day: date, memo: MutableMapping | None = None) -> tuple[dict[str, bytes], bytes]:
    """Every export file and their zip, built once per inventory, CSV flavour and day, then kept in the session.

    The inventory is a new object after every change (import, edit, actor added, territory summary), so an
    unchanged rerun (a map click, a tab) costs a lookup instead of building every CSV and the zip again, and
    equal inputs give the same bytes (the downloads keep their address)."""
    def build() -> tuple[dict[str, bytes], bytes]:
        files = inventory_files(inventory, flavour)
        return files, zip_files(files, datetime.combine(day, time()))

    return _memo(_EXPORTS, inventory, (flavour, day), build, memo)


def export_panel(state: EditableInventory) -> None:
    """Each export file as a download, in the chosen CSV flavour; every text cell neutralised."""
    flavour = exports.flavour_choice("act_export_format")
    inventory = state.inventory
    names = ["acteurs.csv", "acteurs_rapport.csv"] + ([f"{stem}.csv" for stem in inventory.summary.tables()] if inventory.summary else [])
    # bytes, not callables built on click: the actors map's first value reruns the page after it is drawn, and a rerun
    # drops the files of deferred buttons (a click then got nothing); the same bytes keep the same address
    files, archive = export_bytes(inventory, flavour, date.today())
    st.download_button("Tout télécharger (ZIP)", data=archive, file_name="acteurs.zip", mime="application/zip",
                       key="act_dl_zip", on_click="ignore", type="primary", icon=":material/download:")
    cols = st.columns(3)
    for i, name in enumerate(names):
        cols[i % 3].download_button(name, data=files[name], file_name=name, mime="text/csv",
                                    key=f"act_dl_{name}", on_click="ignore", icon=":material/download:")
    if inventory.summary is None:
        st.caption("Les tableaux de synthèse (par type, zones blanches, alertes…) s'ajoutent une fois le territoire défini.")
    st.caption("Les cellules qui commencent par = + - @ sont précédées d'une apostrophe : un tableur ne les exécute pas.")


def _clear() -> None:
    if actors.clear():
        _reset_view()
        _flash("success", "Inventaire vidé.")


def clear_button() -> None:
    """Remove the inventory from the session, and from the open project's file (after a confirmation)."""
    current = opened()
    with st.popover("Vider l'inventaire", icon=":material/delete:"):
        if current is None:
            st.caption("L'inventaire, ses modifications et sa synthèse sont retirés de la session (exportez-les d'abord).")
        else:
            st.caption(f"L'inventaire est retiré de la session **et du projet « {actors.md(current.project.name)} »**, "
                       "qui est enregistré aussitôt (exportez-le d'abord).")
        st.button("Confirmer", key="act_vider", type="primary", on_click=_clear)


def _create_project() -> None:
    name = (st.session_state.get("act_projet_nom") or "").strip()
    try:
        created = project.create_from_session(name)
    except PtceGeoError as exc:
        _flash("error", f"Projet non créé : {actors.md(exc)}")
        return
    _flash("success", f"Projet « {actors.md(created.name)} » créé : l'inventaire y est enregistré à chaque modification.")


def keeping_panel(editable: EditableInventory | None) -> None:
    """Where the inventory lives. Without a project, only in this browser session: said before a reload loses it,
    with the two ways to keep it (a project, saved at each change; or the files). With a project whose actors
    are not in the session (emptied table), what the file still holds and the explicit way to remove them."""
    current = opened()
    if current is not None:
        held = project.held_back()
        if held:
            st.warning(f"L'inventaire de cette session est vide, mais le projet « {actors.md(current.project.name)} » garde "
                       f"{count(held, 'acteur', 'acteurs')} : le fichier ne change que si vous le confirmez.", icon=":material/warning:")
            c1, c2 = st.columns(2)
            c1.button(f"Reprendre les acteurs du projet ({_n(held)})", key="act_reprendre_projet", on_click=project.reload_actors)
            c2.button(f"Retirer aussi les acteurs du projet ({_n(held)})", key="act_retirer_projet", on_click=_clear)
        return
    if editable is None:
        return
    with st.container(border=True):
        st.warning("Cet inventaire n'existe que dans cette session du navigateur : **recharger la page ou fermer l'onglet le perd**. "
                   "Pour le garder, créez un projet (enregistré à chaque modification, rouvert par son lien) "
                   "ou téléchargez-le.", icon=":material/warning:")
        c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
        c1.text_input("Nom du projet", key="act_projet_nom", max_chars=120, placeholder="ex. PTCE du Val de Loue")
        c2.button("Créer un projet avec cet inventaire", key="act_creer_projet", type="primary", on_click=_create_project,
                  disabled=not (st.session_state.get("act_projet_nom") or "").strip())
        c3.download_button("Télécharger (ZIP)", data=partial(_zip, editable.inventory, "excel-fr"), file_name="acteurs.zip",
                           mime="application/zip", key="act_dl_session", on_click="ignore", icon=":material/download:")
