"""Every table of a project file as CSV (``python -m ptce_geo project export``), with a ``sources.md`` saying what each holds.

Territories, actors, findings, profile, snapshots and every table registered in ``collective.tables``
(groups, activity projects, meetings, contacts, and whatever else is declared there) go through the
safe CSV writer (``csvsafe``): a structure named ``=HYPERLINK(…)`` cannot run in a spreadsheet.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .cache import atomic_write_bytes
from .collective import tables as collective_tables
from .collective.actors import actors_to_csv_bytes
from .csvsafe import check_flavour, to_csv_bytes
from .errors import PtceGeoError
from .project import FINDING_COLUMNS, SCHEMA_VERSION, SNAPSHOT_COLUMNS, Project

__all__ = ["project_tables", "project_files", "write_project_tables", "project_zip"]

_CORE_DOCS = {
    "territoires": "Territoires candidats : nom, territoire actif, définition (JSON : mode, EPCI, communes, polygone).",
    "acteurs": "Inventaire des acteurs (structures), placés en WGS 84 ; pas de données personnelles sauf choix explicite.",
    "constats": "Constats partagés : texte, thématique, date, communes et EPCI concernés, structure qui l'a soulevé, "
                "structures qui le partagent.",
    "profil": "Profil du PTCE : une ligne par réponse (vide = non renseigné) ; marqueurs auto-évalués de 0 à 4, échelle propre "
              "à l'application.",
    "instantanes": "Instantanés datés du diagnostic (contenu JSON).",
}


def _text(value: object) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None or value == {} else str(value)


def _profile_rows(profile: dict) -> pd.DataFrame:
    """One row per answer; a dict (the markers) gives one row per key, and one empty row when nothing is answered."""
    rows = [{"cle": f"{key} / {sub}", "valeur": _text(v)} for key, value in profile.items() if isinstance(value, dict)
            for sub, v in value.items()]
    rows += [{"cle": key, "valeur": _text(value)} for key, value in profile.items() if not isinstance(value, dict) or not value]
    return pd.DataFrame(rows, columns=["cle", "valeur"])


def project_tables(project: Project) -> dict[str, pd.DataFrame]:
    """Each table of ``project`` under its CSV stem (actors apart: their own writer keeps the canonical columns)."""
    names = list(project.territories)
    out = {"territoires": pd.DataFrame({"nom": names, "actif": [n == project.active for n in names],
                                        "definition": [json.dumps(project.territories[n], ensure_ascii=False) for n in names]}),
           "constats": project.findings.reindex(columns=FINDING_COLUMNS).fillna(""),
           "profil": _profile_rows(project.profile),
           "instantanes": project.snapshots.reindex(columns=SNAPSHOT_COLUMNS)}
    out.update({**collective_tables.empty_tables(), **project.tables})
    return out


def _sources(project: Project, counts: dict[str, int], source: str) -> str:
    specs = collective_tables.registered()
    lines = [f"# Projet « {project.name} » — tables exportées", "",
             f"- Fichier du projet : {source}", f"- Schéma : version {SCHEMA_VERSION}, révision {project.revision}",
             f"- Créé le : {project.created}", f"- Exporté le : {datetime.now(UTC).isoformat(timespec='seconds')}",
             f"- Millésime de la géographie : {project.geography_vintage or 'non renseigné'}",
             "- Les structures sont désignées par leur nom (colonne « nom » de acteurs.csv) ; les listes sont séparées par « ; ».",
             "", "| fichier | lignes | contenu |", "|---|---|---|"]
    for stem, n in counts.items():
        doc = _CORE_DOCS.get(stem) or (specs[stem].doc if stem in specs else "Table écrite par une version plus récente de ptce-geo.")
        lines.append(f"| {stem}.csv | {n} | {doc} |")
    for layer, spec in specs.items():
        lines += ["", f"## {layer}.csv — {spec.label}", "", "| colonne | libellé | type | obligatoire | renvoie à |", "|---|---|---|---|---|"]
        lines += [f"| {f.name} | {f.label} | {f.kind} | {'oui' if f.required else 'non'} | {f.refers} |" for f in spec.fields]
    return "\n".join(lines) + "\n"


def project_files(project: Project, flavour: str = "standard", source: str = "") -> dict[str, bytes]:
    """File name -> bytes: one CSV per table (``acteurs.csv`` even when empty) and ``sources.md``."""
    check_flavour(flavour)
    frames = project_tables(project)
    actors = project.actors if project.actors is not None else pd.DataFrame(columns=["nom"])
    files = {"acteurs.csv": actors_to_csv_bytes(actors, flavour)}
    files.update({f"{stem}.csv": to_csv_bytes(frame, flavour) for stem, frame in frames.items()})
    counts = {"acteurs": len(actors), **{stem: len(frame) for stem, frame in frames.items()}}
    files["sources.md"] = _sources(project, counts, source or project.name).encode("utf-8")
    return files


def write_project_tables(project: Project, out_dir: Path | str, flavour: str = "standard", source: str = "") -> list[Path]:
    """Write ``project_files`` into ``out_dir`` (created if needed); returns the paths written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PtceGeoError(f"{out} existe et n'est pas un dossier : choisissez un autre dossier de sortie.")
    written = []
    for name, data in project_files(project, flavour, source).items():
        atomic_write_bytes(out / name, data)
        (out / name).chmod(0o644)
        written.append(out / name)
    return written


def project_zip(project: Project, flavour: str = "standard", source: str = "") -> bytes:
    """``project_files`` in one zip archive (the Projet page's download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in project_files(project, flavour, source).items():
            archive.writestr(name, data)
    return buffer.getvalue()
