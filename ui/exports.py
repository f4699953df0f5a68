"""Export files of the current diagnostic, built once per (definition, CSV flavour, extra files) and kept.

A double click on a download button therefore sends the same bytes twice and recomputes
nothing. Extra files join the archive: the drawn or imported polygon (``polygone.geojson``,
so that the command written in ``sources.md`` can be replayed) and, when the session holds an actor
inventory (``ui.state.inventory``: imported on the Acteurs page or the open project's), the actor files for this territory.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile

import streamlit as st

from ptce_geo.collective.inventory import inventory_files, summarise_inventory
from ptce_geo.csvsafe import FLAVOURS
from ptce_geo.diagnostic import Diagnostic
from ptce_geo.errors import PtceGeoError
from ptce_geo.export import export_zip
from ptce_geo.territory import TerritoryDefinition
from ui import loaders, state, territory

__all__ = ["FLAVOUR_LABELS", "flavour_choice", "DESCRIPTIONS", "command_for", "extra_files", "archive", "downloaded", "mime_of"]

FLAVOUR_LABELS = {"standard": "Standard (séparateur virgule, point décimal, UTF-8)",
                  "excel-fr": "Excel français (point-virgule, virgule décimale, UTF-8 avec BOM)"}
FLAVOUR_HELP = ("« Excel français » s'ouvre directement dans Excel réglé en français ; les codes qu'Excel changerait en nombres "
                "(qui commencent par 0, comme 01001, ou de plus de 11 chiffres, comme un SIRET) y sont écrits =\"…\" pour rester "
                "tels quels. « Standard » convient aux autres outils (LibreOffice, QGIS, R, Python).")


def flavour_choice(key: str) -> str:
    """The CSV flavour radio, the same on every page: it starts from the session's choice and a change is kept for the
    session (``state.csv_flavour``)."""
    st.session_state[key] = state.csv_flavour()
    return st.radio("Format des fichiers CSV", FLAVOURS, key=key, format_func=FLAVOUR_LABELS.get, horizontal=True, help=FLAVOUR_HELP,
                    on_change=lambda: state.set_csv_flavour(st.session_state[key]))


DESCRIPTIONS = {
    "resume.csv": "Chiffres clés du territoire",
    "synthese.csv": "Chaque indicateur : territoire, départements, régions, France, disparités, couverture, source, millésime",
    "epci.csv": "Une ligne par EPCI touché (partie incluse) avec ses indicateurs",
    "communes.csv": "Une ligne par commune du territoire avec ses indicateurs",
    "rural_urbain.csv": "Grille de densité (7 niveaux, 3 groupes) et aires d'attraction des villes",
    "alertes.csv": "Alertes : code, niveau, message, chiffres",
    "zonages.csv": "Zonages : bassins de vie, zones d'emploi, aires d'attraction, FRR touchés, part de la population",
    "tendances.csv": "Tendances : population (soldes naturel et migratoire), emploi, chômage, activité, revenus, âges, par date, "
                     "pour le territoire, chaque EPCI et les comparaisons",
    "qpv.csv": "Quartiers prioritaires (QPV) du territoire : commune, EPCI, coupé ou non, population",
    "communes_coupees.csv": "Communes coupées par le polygone, avec leur part de surface",
    "territoire.geojson": "Contour du territoire (GeoJSON, WGS84)",
    "communes.geojson": "Communes du territoire (GeoJSON, WGS84)",
    "territoire.gpkg": "Contour et communes (GeoPackage, couches territoire et communes), pour QGIS",
    "territoire.json": "Définition du territoire (rechargeable)",
    "sources.md": "Sources, millésimes, méthodes et seuils des alertes",
    "polygone.geojson": "Polygone dessiné ou importé (pour rejouer la commande)",
    "acteurs.csv": "Inventaire des acteurs placés",
    "acteurs_rapport.csv": "Rapport de validation de l'inventaire, ligne par ligne",
}
_MIME = {".csv": "text/csv", ".geojson": "application/geo+json", ".gpkg": "application/geopackage+sqlite3", ".json": "application/json",
         ".md": "text/markdown", ".zip": "application/zip"}
_CLICKS = "_export_clicks"


def mime_of(name: str) -> str:
    return next((mime for ext, mime in _MIME.items() if name.endswith(ext)), "application/octet-stream")


def command_for(definition: TerritoryDefinition, flavour: str) -> str:
    """The command line giving the same files (the polygon being ``polygone.geojson`` of the archive)."""
    parts = ["python -m ptce_geo diagnose"]
    for option, codes in (("--epci", definition.epci), ("--communes", definition.communes), ("--exclude", definition.exclude)):
        if codes:
            parts.append(f"{option} {','.join(codes)}")
    if definition.polygon is not None:
        parts.append(f"--polygon polygone.geojson --min-share {definition.min_share:g}")
    if flavour == "excel-fr":
        parts.append("--excel-fr")
    return " ".join([*parts, "--out diagnostic"])


def extra_files(diag: Diagnostic, flavour: str) -> tuple[dict[str, bytes], list[str]]:
    """Files added to the standard export, and French notes about them (e.g. why the actors are missing)."""
    files, notes = {}, []
    definition = diag.territory.definition
    if definition.polygon is not None:
        feature = {"type": "Feature", "properties": {"min_share": definition.min_share}, "geometry": definition.polygon}
        files["polygone.geojson"] = json.dumps({"type": "FeatureCollection", "features": [feature]}, separators=(",", ":")).encode()
    editable = state.inventory()
    if editable is not None:
        inventory = editable.inventory
        try:
            summary = summarise_inventory(inventory, loaders.reference(), list(diag.territory.communes.index))
            files.update(inventory_files(summary, flavour))
            notes.append(f"Inventaire des acteurs joint : {len(inventory.actors)} acteurs placés.")
        except (PtceGeoError, ValueError, KeyError) as exc:  # the diagnostic stays downloadable whatever the inventory holds
            notes.append(f"Inventaire des acteurs non joint : {exc}")
    else:
        notes.append("Aucun inventaire des acteurs chargé (page Acteurs) : l'archive contient le diagnostic seul.")
    return files, notes


@st.cache_resource(max_entries=8, show_spinner="Préparation des fichiers…")
def _build(generation: str, definition_json: str, flavour: str, extra_key: str, _diag: Diagnostic,
           _extra: dict[str, bytes]) -> tuple[bytes, dict[str, bytes]]:
    data = export_zip(_diag, flavour, command_for(_diag.territory.definition, flavour), _extra)
    with zipfile.ZipFile(io.BytesIO(data)) as archive_file:
        files = {name: archive_file.read(name) for name in archive_file.namelist()}
    return data, files


def archive(current: territory.Current, flavour: str) -> tuple[bytes, dict[str, bytes], list[str]]:
    """The zip, each file in it, and notes; computed once per territory, flavour and extra files."""
    if flavour not in FLAVOURS:
        raise ValueError(f"Format CSV inconnu : {flavour!r}")
    extra, notes = extra_files(current.diagnostic, flavour)
    digest = hashlib.sha256()
    for name in sorted(extra):
        digest.update(name.encode() + b"\0" + hashlib.sha256(extra[name]).digest())
    generation = loaders.reference().manifest.get("generation", "")
    data, files = _build(generation, current.definition.to_json(), flavour, digest.hexdigest(), current.diagnostic, extra)
    return data, files, notes


def downloaded(name: str) -> None:
    """Download callback: a French note; a second click soon after says the same file was sent again, not recomputed."""
    clicks = st.session_state.setdefault(_CLICKS, {})
    now = time.monotonic()
    if now - clicks.get(name, -1e9) < 10:
        st.toast(f"« {name} » déjà téléchargé à l'instant : le même fichier est envoyé de nouveau, sans nouveau calcul.", icon=":material/info:")
    else:
        st.toast(f"Téléchargement de « {name} » lancé.", icon=":material/download:")
    clicks[name] = now
