"""Alerts on a candidate territory: the recurring problems field workers meet, each with its figures.

Every threshold is a field of ``AlertParams``. Defaults for disparities were calibrated on the
real data (COG 2026, RP 2021, Filosofi 2021): they sit near the 9th decile of the same measure
between two adjacent EPCI in France, so an alert flags a gap most neighbouring EPCI do not show.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import pandas as pd

from .disparity import MARGINAL_MAX_POPULATION, MARGINAL_MAX_SHARE
from .fr_format import count, fr_number, fr_percent, plural
from .indicators import indicator

__all__ = [
    "AlertParams", "Alert", "LEVELS", "EPCI_TYPE_LABELS", "DISPARITY_THRESHOLDS", "alerts_table",
    "epci_alerts", "disparity_alerts", "mixed_alert", "size_alert", "data_alerts",
]

LEVELS = ("info", "vigilance", "alerte")
_LISTED = 8  # EPCI named in a message; all are in the figures
EPCI_TYPE_LABELS = {"CC": "communauté de communes", "CA": "communauté d'agglomération", "CU": "communauté urbaine",
                    "METRO": "métropole"}
_EPCI_TYPE_PLURALS = {"CC": "communautés de communes", "CA": "communautés d'agglomération", "CU": "communautés urbaines",
                      "METRO": "métropoles"}
# indicator -> (max/min ratio, population-weighted CV) between EPCI parts; ~9th decile of adjacent EPCI pairs
DISPARITY_THRESHOLDS: dict[str, tuple[float, float]] = {
    "taux_chomage": (1.6, 0.25),
    "taux_pauvrete": (2.0, 0.30),
    "med_niveau_vie": (1.15, 0.10),
}


@dataclass
class AlertParams:
    """Alert thresholds (documented defaults; pass your own to tune them)."""

    max_communes: int = 150  # more communes: hard to identify with
    max_departements: int = 2  # more départements touched
    max_diameter_km: float = 60.0  # farther apart than about an hour's drive across
    mixed_min_share: float = 0.30  # rural AND urban each above this share of the population
    disparity: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DISPARITY_THRESHOLDS))
    min_coverage: float = 0.90  # an indicator known for less of the population is reported

    def __post_init__(self) -> None:
        problems = []
        for name in ("max_communes", "max_departements", "max_diameter_km"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                problems.append(f"{name} : nombre positif attendu, reçu {value!r}")
        for name in ("mixed_min_share", "min_coverage"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                problems.append(f"{name} : part entre 0 et 1 attendue, reçu {value!r}")
        for ind_id, pair in dict(self.disparity).items():
            try:
                indicator(ind_id)
            except KeyError:
                problems.append(f"disparity : indicateur inconnu {ind_id!r}")
            if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(v, int | float) and v > 0 for v in pair)):
                problems.append(f"disparity[{ind_id!r}] : couple (rapport max/min, coefficient de variation) positif attendu, reçu {pair!r}")
        if problems:
            raise ValueError("Paramètres d'alerte invalides : " + " ; ".join(problems))


@dataclass(frozen=True)
class Alert:
    """One alert: a stable code, a level (``info``, ``vigilance``, ``alerte``), a French message and its figures."""

    code: str
    level: str
    message: str
    figures: dict

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"Niveau d'alerte inconnu : {self.level!r} (attendu : {', '.join(LEVELS)}).")
        if not self.figures:
            raise ValueError(f"Alerte {self.code} sans chiffres.")


def alerts_table(alerts: list[Alert]) -> pd.DataFrame:
    """One row per alert: ``code``, ``niveau``, ``message``, ``chiffres`` (JSON)."""
    rows = [{"code": a.code, "niveau": a.level, "message": a.message,
             "chiffres": json.dumps(a.figures, ensure_ascii=False, default=_plain)} for a in alerts]
    return pd.DataFrame(rows, columns=["code", "niveau", "message", "chiffres"])


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


def _r(value: float, digits: int = 4) -> float | None:
    return None if pd.isna(value) else round(float(value), digits)


def epci_alerts(epci: pd.DataFrame) -> list[Alert]:
    """Several EPCI of different types; EPCI only partly inside the territory."""
    real = epci[epci.index != ""]
    out = []
    types = real["type"].value_counts()
    if len(types) >= 2:
        listed = ", ".join(f"{n} {(_EPCI_TYPE_PLURALS if n > 1 else EPCI_TYPE_LABELS).get(t, t)}" for t, n in types.items())
        out.append(Alert(
            "EPCI_TYPES_MULTIPLES", "vigilance",
            f"Le territoire réunit {len(real)} EPCI de {len(types)} types différents ({listed}) : compétences, fiscalité et "
            "gouvernance ne sont pas les mêmes ; prévoyez un interlocuteur et une délibération par EPCI.",
            {"nombre_epci": len(real), "types": {str(t): int(n) for t, n in types.items()},
             "epci": dict(zip(real.index, real["type"].astype(str), strict=True))}))
    columns = ["nom", "communes_dans_territoire", "communes_total", "part_population"]
    values = zip(real.index.tolist(), *(real[c].tolist() for c in columns), strict=True)  # plain lists: 20x faster than records
    rows = [dict(zip(["code_epci", *columns], row, strict=True)) for row, partial in zip(values, real["partiel"].tolist(), strict=True)
            if partial]
    if rows:
        listed = "; ".join(f"{row['nom']} ({count(row['communes_dans_territoire'], 'commune', 'communes')} sur {fr_number(row['communes_total'])}, "
                           f"{fr_percent(row['part_population'])} de sa population)" for row in rows[:_LISTED])
        listed += f" et {len(rows) - _LISTED} autres (voir epci.csv)" if len(rows) > _LISTED else ""
        out.append(Alert(
            "EPCI_PARTIELS", "vigilance",
            f"{len(rows)} EPCI seulement en partie dans le territoire : {listed}. Leurs politiques et leurs données portent sur "
            "tout leur périmètre : vérifiez qu'ils acceptent d'agir sur une partie, ou ajoutez ou retirez leurs communes.",
            {"epci_partiels": [{"code_epci": row["code_epci"], "nom": row["nom"], "communes_dans_territoire": int(row["communes_dans_territoire"]),
                                "communes_total": int(row["communes_total"]), "part_population": _r(row["part_population"])}
                               for row in rows]}))
    return out


def disparity_alerts(disparities: pd.DataFrame, params: AlertParams) -> list[Alert]:
    """Strong gap between EPCI parts on a socio-economic indicator: ratio max/min or weighted CV at or above its threshold.

    ``alerte`` when both are, ``vigilance`` when one is; needs two EPCI parts with a value (marginal
    parts are already out of ``disparities``).
    """
    out = []
    for ind_id, (max_ratio, max_cv) in params.disparity.items():
        if ind_id not in disparities.index:
            continue
        row = disparities.loc[ind_id]
        ratio, cv = row["ratio_max_min"], row["cv_pondere"]
        over = [pd.notna(ratio) and ratio >= max_ratio, pd.notna(cv) and cv >= max_cv]
        if row["n_epci"] < 2 or not any(over):
            continue
        ind = indicator(ind_id)
        digits = 0 if ind.unit.startswith("€") else 1
        marginal = int(row.get("parties_marginales", 0))
        aside = (f" {count(marginal, 'partie marginale', 'parties marginales')} d'EPCI (moins de {fr_number(MARGINAL_MAX_POPULATION)} "
                 f"habitants et de {fr_percent(MARGINAL_MAX_SHARE)} de leur EPCI) {plural(marginal, 'écartée', 'écartées')} "
                 "de la comparaison.") if marginal else ""
        out.append(Alert(
            "DISPARITE_FORTE", "alerte" if all(over) else "vigilance",
            f"Forte disparité de « {ind.label.lower()} » entre les parties d'EPCI : de {fr_number(row['min'], digits)} "
            f"({row['epci_min']}) à {fr_number(row['max'], digits)} ({row['epci_max']}), rapport {fr_number(ratio, 2)} "
            f"(seuil {fr_number(max_ratio, 2)}), coefficient de variation pondéré {fr_number(cv, 2)} (seuil {fr_number(max_cv, 2)}). "
            f"Les besoins ne sont pas les mêmes d'un EPCI à l'autre : lisez le diagnostic EPCI par EPCI.{aside}",
            {"indicateur": ind_id, "unite": ind.unit, "min": _r(row["min"]), "epci_min": row["epci_min"], "max": _r(row["max"]),
             "epci_max": row["epci_max"], "ratio_max_min": _r(ratio), "seuil_ratio": max_ratio, "cv_pondere": _r(cv),
             "seuil_cv": max_cv, "theil_part_inter_epci": _r(row["part_inter_epci"]), "parties_marginales_ecartees": marginal}))
    return out


def mixed_alert(figures: dict, available: bool, params: AlertParams) -> list[Alert]:
    """Rural and urban communes both carry a large share of the population."""
    rural, urban = figures["part_population_rurale"], figures["part_population_urbaine"]
    if not available or not (rural >= params.mixed_min_share and urban >= params.mixed_min_share):
        return []
    return [Alert(
        "MIXITE_RURAL_URBAIN", "vigilance",
        f"La population se partage entre communes rurales ({fr_percent(rural)}) et urbaines ({fr_percent(urban)}) selon la grille "
        f"de densité de l'INSEE (seuil {fr_percent(params.mixed_min_share)} chacune) : mobilité, services et acteurs diffèrent ; "
        "prévoyez des actions distinctes ou un fil commun explicite.",
        {"part_population_rurale": _r(rural), "part_population_urbaine": _r(urban), "seuil": params.mixed_min_share,
         "indice_heterogeneite_7_niveaux": _r(figures["indice_heterogeneite_7_niveaux"])})]


def size_alert(overview: dict, params: AlertParams) -> list[Alert]:
    """Too large to identify with: many communes, several départements, a long diameter."""
    n_dep = len(overview["departements"])
    checks = [
        (overview["communes"] > params.max_communes, f"{overview['communes']} communes (seuil {params.max_communes})"),
        (n_dep > params.max_departements, f"{n_dep} départements (seuil {params.max_departements})"),
        (overview["diametre_km"] > params.max_diameter_km,
         f"{fr_number(overview['diametre_km'])} km d'un bout à l'autre (seuil {fr_number(params.max_diameter_km)} km)"),
    ]
    over = [text for hit, text in checks if hit]
    if not over:
        return []
    return [Alert(
        "TERRITOIRE_TROP_VASTE", "alerte" if len(over) >= 2 else "vigilance",
        f"Territoire étendu, difficile à s'approprier par les habitants et les acteurs : {', '.join(over)}. "
        "Envisagez un périmètre resserré ou des antennes locales ; le bloc « Zonages » du diagnostic dit quels bassins de vie et "
        "zones d'emploi le territoire touche ou coupe.",
        {"communes": overview["communes"], "seuil_communes": params.max_communes, "departements": n_dep,
         "seuil_departements": params.max_departements, "diametre_km": _r(overview["diametre_km"], 1),
         "seuil_diametre_km": params.max_diameter_km})]


def data_alerts(summary: pd.DataFrame, params: AlertParams, fetch_hint: str) -> list[Alert]:
    """Indicators not loaded, or known for too small a share of the population (statistical secrecy)."""
    out = []
    # plain lists rather than row selections of the table (~1.5 ms each, on every new territory)
    codes, labels, cover = summary.index.tolist(), summary["libelle"].tolist(), summary["couverture"].tolist()
    available = summary["disponible"].tolist()
    missing = [i for i, ok in enumerate(available) if not ok]
    if missing:
        which = (f"seuls sont disponibles : {', '.join(label.lower() for label, ok in zip(labels, available, strict=True) if ok)}"
                 if len(missing) > _LISTED else ", ".join(labels[i].lower() for i in missing))
        out.append(Alert(
            "INDICATEURS_MANQUANTS", "info",
            f"{count(len(missing), 'indicateur', 'indicateurs')} sur {len(summary)} {plural(len(missing), 'absent', 'absents')} "
            f"des données chargées ({which}). Pour les obtenir : {fetch_hint}",
            {"indicateurs_manquants": [codes[i] for i in missing], "commande": fetch_hint}))
    if low := [i for i, ok in enumerate(available) if ok and cover[i] < params.min_coverage]:
        listed = ", ".join(f"{labels[i].lower()} ({fr_percent(cover[i])})" for i in low)
        out.append(Alert(
            "COUVERTURE_INCOMPLETE", "info",
            f"Indicateurs connus pour une partie seulement de la population (secret statistique, petites communes) : {listed}. "
            "Ils sont calculés sur les communes renseignées.",
            {"couverture": {codes[i]: _r(cover[i]) for i in low}, "seuil": params.min_coverage}))
    return out
