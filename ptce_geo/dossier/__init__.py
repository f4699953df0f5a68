"""The diagnostic dossier: one self-contained HTML file (charts and maps embedded, A4 print CSS) and its PDF.

``build_html`` assembles the sections from the library's public objects (``diagnose()``, an
``Inventory``, a ``Project``) so changes to the diagnostic flow into the dossier; ``write_dossier``
picks the form from the file extension (``.html`` or ``.pdf``).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..cache import atomic_write_bytes
from ..collective.inventory import Inventory
from ..diagnostic import NO_EPCI, Diagnostic
from ..errors import PtceGeoError
from ..project import Project
from ..qpv import qpv_sentences
from ..reference import Reference
from . import maps, sections
from .pdf import PDF_HINT, html_to_pdf

__all__ = ["build_html", "html_to_pdf", "dossier_bytes", "write_dossier", "output_form", "territory_name", "FORMS", "PDF_HINT"]

FORMS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
_ENV = Environment(loader=PackageLoader("ptce_geo.dossier", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def _fr_date(day: date) -> str:
    return f"{day.day}{'er' if day.day == 1 else ''} {_MONTHS[day.month - 1]} {day.year}"


def territory_name(diag: Diagnostic, project: Project | None = None) -> str:
    """A readable name: the project's, the EPCI's when the territory is whole EPCI, else « N communes autour de X »."""
    if project is not None:
        return f"{project.name} — {project.active}" if project.active else project.name
    d, parts = diag.territory.definition, diag.epci[diag.epci.index != NO_EPCI]
    if d.epci and not d.communes and not d.polygon and not d.exclude and len(parts) <= 3:
        return " + ".join(parts["nom"].astype(str))
    main = diag.communes.dropna(subset=["population"]).sort_values("population", ascending=False)
    around = f" autour de {main['nom'].iloc[0]}" if len(main) else ""
    return f"Territoire de {diag.overview['communes']} communes{around}"


def _vintages(diag: Diagnostic) -> list[tuple[str, str]]:
    o = diag.overview
    out = [("Géographie", o["millesime_geographie"]), ("Population", o.get("millesime_population", "") or "—")]
    for row in diag.sources.to_dict("records"):
        if str(row.get("jeu", "")).startswith("insee"):
            out.append((str(row.get("libelle", row["jeu"])), str(row.get("millesime", ""))))
    return out


def _grouped(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    themes: dict[str, list[dict]] = {}
    for row in rows:
        themes.setdefault(row["theme"], []).append(row)
    return list(themes.items())


def build_html(ref: Reference, diag: Diagnostic, inventory: Inventory | None = None, project: Project | None = None, *,
               title: str | None = None, today: date | None = None) -> str:
    """The dossier as one HTML document (UTF-8 text, nothing to fetch)."""
    if not isinstance(diag, Diagnostic):
        raise TypeError(f"build_html : Diagnostic attendu, reçu {type(diag).__name__}.")
    name = title or territory_name(diag, project)
    base = maps.map_base(ref, diag)
    cols = sections.comparators(diag)
    zones = diag.zones
    shown = {c for c, _ in cols}
    others = [f"{r.nom} ({r.code})" for r in zones.itertuples() if f"{r.niveau}_{r.code}" not in shown]
    context = {
        "title": name, "date": _fr_date(today or date.today()), "definition": sections.short_definition(diag.overview["definition"], 240),
        "css": (Path(__file__).parent / "templates" / "dossier.css").read_text(encoding="utf-8"),
        "title_map": maps.territory_map(base, name), "vintages": _vintages(diag), "key_figures": sections.key_figures(diag),
        "indicators": _grouped(sections.indicator_rows(diag)), "comparator_heads": [h for _, h in cols],
        "more_zones": ", ".join(others), "comparison_figure": sections.comparison_figure(diag),
        "missing_indicators": ", ".join(diag.summary.loc[[i for i in diag.missing if i in diag.summary.index], "libelle"].str.lower()),
        "fetch_hint": diag.fetch_hint, "epci": sections.epci_section(diag), "rural": sections.rural_urban_section(diag, base),
        "alerts": sections.alert_items(diag.alerts), "actors": sections.actors_section(inventory, base),
        "project": sections.project_section(project), "sources": sections.sources_section(diag),
        "qpv": " ".join(qpv_sentences(diag.qpv)) if diag.qpv is not None else "",
    }
    return _ENV.get_template("dossier.html.j2").render(**context)


def output_form(out: Path | str) -> str:
    """``html`` or ``pdf`` from the extension of ``out``, after checking the file can be written (before any work)."""
    path = Path(out)
    form = FORMS.get(path.suffix.lower())
    if form is None:
        raise PtceGeoError(f"Extension inconnue « {path.suffix or '(aucune)'} » pour {path.name} : choisissez un fichier .html ou .pdf.")
    if path.is_dir():
        raise PtceGeoError(f"{path} est un dossier : donnez un nom de fichier .html ou .pdf.")
    if not path.parent.is_dir():
        raise PtceGeoError(f"Le dossier {path.parent} n'existe pas : créez-le ou choisissez un autre chemin de sortie.")
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PtceGeoError(f"Impossible d'écrire dans {path.parent} (droits insuffisants) : choisissez un autre chemin de sortie.")
    return form


def dossier_bytes(html: str, form: str) -> bytes:
    """The dossier in ``form`` (``html`` or ``pdf``)."""
    if form == "html":
        return html.encode("utf-8")
    if form == "pdf":
        return html_to_pdf(html)
    raise PtceGeoError(f"Forme de dossier inconnue « {form} » : html ou pdf.")


def write_dossier(html: str, out: Path | str) -> Path:
    """Write the dossier to ``out``; its extension chooses HTML or PDF. French errors for a bad path."""
    path = Path(out)
    data = dossier_bytes(html, output_form(path))
    try:
        atomic_write_bytes(path, data)
        path.chmod(0o644)
    except OSError as exc:
        raise PtceGeoError(f"Impossible d'écrire {path} ({exc.strerror or exc}) : choisissez un dossier où vous avez le droit d'écrire.") from exc
    return path
