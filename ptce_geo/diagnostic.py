"""The diagnostic baseline of a territory: summary, EPCI parts, disparities, rural/urban, alerts.

Every indicator goes through ``indicators.aggregate_by`` (counts summed, ratios recomputed from
summed numerators and denominators, medians approximated and flagged), once for the whole
territory, once per EPCI part and once per commune; département, région and France values are
the reference's pre-aggregated comparisons, so all levels follow the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, partial

import numpy as np
import pandas as pd

from . import alerts as _alerts
from ._groups import tally, tally_arrays
from ._spatial import commune_index
from .alerts import Alert, AlertParams, alerts_table
from .disparity import commune_values, marginal_parts, max_min_ratio, theil_split, weighted_cv
from .errors import TerritoryError
from .income import COMPUTED, ESTIMATED, INCOME_IDS, IncomeModel, estimate_codes, fit_model
from .indicators import AAV_CATEGORIES, DENSITY_GROUPS, DENSITY_LEVELS, INDICATORS, aggregate_by, coverage_by
from .qpv import QpvSummary, qpv_summary
from .reference import FETCH_HINT, Reference
from .rural_urban import RuralUrban, rural_urban
from .sources.domain import hors_domaine
from .sources.supra import FRANCE_CODE
from .territory import Territory
from .trends import COLUMNS as TREND_COLUMNS
from .trends import territory_trends
from .zonings import ZoningParams, Zonings, territory_zonings, zoning_alerts

__all__ = ["Diagnostic", "diagnose", "income_model", "is_low_coverage", "figure_note", "census_vintages", "mixed_vintages_note",
           "NO_EPCI"]

NO_EPCI = ""  # group key of the communes without EPCI (four single-commune islands)
_IDS = [ind.id for ind in INDICATORS]


@dataclass
class Diagnostic:
    """Tables of the diagnostic baseline (French column names, index = code), ready to show or export."""

    territory: Territory
    params: AlertParams
    overview: dict  # key figures of the territory
    summary: pd.DataFrame  # one row per indicator: territory, comparisons, coverage, source, vintage
    zones: pd.DataFrame  # départements and régions touched
    communes: pd.DataFrame  # one row per member commune with its indicators
    epci: pd.DataFrame  # one row per EPCI part, indicators on the part inside
    disparities: pd.DataFrame  # one row per main indicator
    rural_urban: RuralUrban
    alerts: list[Alert]
    coverage: pd.DataFrame  # share of population with known inputs: indicator x (territoire, EPCI…)
    sources: pd.DataFrame  # datasets in use
    missing: list[str]  # indicators absent from the loaded data
    fetch_hint: str = FETCH_HINT
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    zonings: Zonings | None = None  # bassins de vie, zones d'emploi, AAV, FRR touched (ptce_geo.zonings)
    zoning_params: ZoningParams = field(default_factory=ZoningParams)
    qpv: QpvSummary | None = None  # quartiers prioritaires and population living in them (ptce_geo.qpv); None without contours
    # how to compute ``trends`` (ptce_geo.trends), called on first use: only the Diagnostic page and the exports show
    # them, and a click on the Territoire map should not wait for them (~0.1 s); ``None``: no trends
    trends_source: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def trends(self) -> pd.DataFrame:
        """Long table of dated values (``ptce_geo.trends``): territory, EPCI parts, départements, régions, France."""
        return self.trends_source() if self.trends_source is not None else pd.DataFrame(columns=TREND_COLUMNS)

    @property
    def alerts_table(self) -> pd.DataFrame:
        return alerts_table(self.alerts)


def is_low_coverage(coverage: float, min_coverage: float) -> bool:
    """A figure resting on less than ``min_coverage`` of its population (persons for income) is marked, never shown bare."""
    return bool(pd.notna(coverage) and coverage < min_coverage)


def figure_note(method: str, coverage: float, min_coverage: float, error: str = "") -> str:
    """What a figure's reader must know next to it: « estimé ± 0,9 pt », « publié INSEE », « couverture 72 % » (empty when
    summed from complete data); ``error`` (``income.error_note``) follows an estimate only."""
    parts = [f"{method} {error}" if error and method == ESTIMATED else method] if method and method != COMPUTED else []
    if is_low_coverage(coverage, min_coverage):
        parts.append(f"couverture {coverage:.0%}".replace("%", " %"))
    return " ; ".join(parts)


def census_vintages(summary: pd.DataFrame, ids: list[str] | None = None) -> dict[str, list[str]]:
    """Census vintage (« RP 2021 ») -> labels of the available indicators (of ``ids``, default all) resting on it, most
    recent first; an evolution (« RP 2021 / RP 2015 ») counts under its latest date."""
    rows = summary[summary["disponible"]] if ids is None else summary.loc[[i for i in ids if i in summary.index]]
    out: dict[str, list[str]] = {}
    for label, millesime in zip(rows["libelle"], rows["millesime"], strict=True):
        years = re.findall(r"RP (\d{4})", str(millesime))
        if years:
            out.setdefault(f"RP {max(years)}", []).append(str(label).lower())
    return dict(sorted(out.items(), reverse=True))


def mixed_vintages_note(summary: pd.DataFrame, ids: list[str] | None = None) -> str:
    """A French warning listing the census vintages a table puts side by side (empty when it uses one only)."""
    groups = census_vintages(summary, ids)
    if len(groups) < 2:
        return ""
    parts = " ; ".join(f"{vintage} : {', '.join(labels)}" for vintage, labels in groups.items())
    return (f"Attention, ce tableau mêle {len(groups)} millésimes du recensement — {parts}. Un rapport entre indicateurs de "
            "millésimes différents (ex. emplois d'un recensement pour la population d'un autre) suppose que le territoire a peu "
            "changé entre ces dates.")


class _Lookups:
    """Plain dicts and arrays derived once per reference: per-request pandas lookups on Arrow strings cost milliseconds."""

    def __init__(self, ref: Reference) -> None:
        self.available = {ind.id: ref.available(ind) for ind in INDICATORS}
        epci = pd.DataFrame(ref.epci.drop(columns="geometry"))
        self.epci_nom, self.epci_type = epci["nom"].to_dict(), epci["type"].to_dict()
        self.epci_total, self.epci_population = epci["communes_total"].to_dict(), epci["population"].to_dict()
        # communes of each EPCI, département, région: a territory holding them all takes that level's income value
        self.totals = {"epci": self.epci_total, "departement": ref.communes["code_dep"].value_counts().to_dict(),
                       "region": ref.communes["code_reg"].value_counts().to_dict()}
        self.names = {"departement": ref.departements["nom"].to_dict(), "region": ref.regions["nom"].to_dict()}
        self.levels: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        self.cover: dict[str, np.ndarray] = {}
        self.methods: dict[str, np.ndarray] = {}
        for level in ("departement", "region", "france", "epci"):
            frame = ref.level(level)
            table = frame.reindex(columns=_IDS).astype("float64")
            self.levels[level] = ({code: i for i, code in enumerate(table.index)}, table.to_numpy())
            self.cover[level] = frame.reindex(columns=[f"couverture_{i}" for i in _IDS]).astype("float64").to_numpy()
            self.methods[level] = frame.reindex(columns=[f"methode_{i}" for i in _IDS]).fillna(COMPUTED).to_numpy(dtype=object)
        self.income = income_model(ref)
        self.populations = {level: ref.level(level)["population"].to_dict() for level in ("departement", "region")}
        self.ok = np.array([self.available[i] for i in _IDS])
        self.summary_text = _summary_text(ref, self.available)

    @classmethod
    def of(cls, ref: Reference) -> _Lookups:
        return ref.derived("diagnostic_lookups", lambda: cls(ref))


def _vintage_text(ref: Reference, variables: tuple[str, ...], key: str) -> str:
    values = [ref.vintages.get(v, {}).get(key) or "" for v in variables]
    return " / ".join(dict.fromkeys(v for v in values if v))


def income_model(ref: Reference) -> IncomeModel | None:
    """The income estimator fitted on every commune of ``ref`` (once per reference), ``None`` without Filosofi."""
    def fit() -> IncomeModel | None:
        variables = ref.variables
        ok = "med_niveau_vie" in variables and variables["med_niveau_vie"].notna().any()
        return fit_model(variables, ref.communes["code_dep"].reindex(variables.index)) if ok else None

    return ref.derived("income_model", fit)


def _income(model: IncomeModel | None, look: _Lookups, key: pd.Series, level: str = "epci") -> pd.DataFrame | None:
    """Estimated median and poverty rate per group of the territory's communes (``model`` taken on them); a group holding
    every commune of its EPCI, département or région (``level``) takes that level's value, published by INSEE when of the
    same year (``with_published`` at build time). ``None`` without Filosofi data."""
    if model is None:
        return None
    codes, groups = pd.factorize(key.to_numpy(dtype=object), sort=True)  # as estimate_by, with the group sizes at hand
    columns, index = estimate_codes(model, codes, len(groups)), pd.Index(groups, name=key.name)
    if level not in look.totals:
        return pd.DataFrame(columns, index=index).assign(**{f"methode_{column}": ESTIMATED for column in INCOME_IDS})
    rows, values = look.levels[level]
    counts = np.bincount(codes[codes >= 0], minlength=len(groups)).tolist()
    names = groups.tolist()
    whole = np.array([code in rows and look.totals[level].get(code) == n for code, n in zip(names, counts, strict=True)], dtype=bool)
    at = np.array([rows[code] if ok else 0 for code, ok in zip(names, whole.tolist(), strict=True)], dtype=np.intp)
    methods = {}
    for column in INCOME_IDS:
        i = _IDS.index(column)
        columns[column] = np.where(whole, values[at, i], columns[column])
        columns[f"couverture_{column}"] = np.where(whole, look.cover[level][at, i], columns[f"couverture_{column}"])
        methods[f"methode_{column}"] = np.where(whole, look.methods[level][at, i], ESTIMATED)
    return pd.DataFrame({**columns, **methods}, index=index)


def _territory_income_key(look: _Lookups, communes: pd.DataFrame, epci_key: pd.Series) -> tuple[pd.Series, str]:
    """The group the whole territory forms, for ``_income``: the EPCI, département or région whose communes it holds
    all and only (Paris alone is the département 75, not the Métropole du Grand Paris), else the territory itself.
    ``communes``: the territory's rows of the reference's communes (their own département and région codes)."""
    for level in ("epci", "departement", "region"):
        key = epci_key if level == "epci" else communes["code_dep" if level == "departement" else "code_reg"]
        codes = key.unique()
        if len(codes) == 1 and pd.notna(codes[0]) and look.totals[level].get(codes[0]) == len(key):
            return key, level
    return pd.Series("territoire", index=communes.index), "territoire"


def _summary_text(ref: Reference, available: dict[str, bool]) -> pd.DataFrame:
    """The summary's columns that do not depend on the territory (label, unit, source, vintage, note), once per reference."""
    rows = [{"indicateur": ind.id, "libelle": ind.label, "theme": ind.theme, "unite": ind.unit, "type": ind.kind,
             "approximatif": ind.approximate, "disponible": available[ind.id],
             "source": _vintage_text(ref, ind.variables, "source"), "millesime": _vintage_text(ref, ind.variables, "millesime"),
             "note": ind.notes if available[ind.id] else f"Données absentes : {FETCH_HINT}"} for ind in INDICATORS]
    return pd.DataFrame(rows).set_index("indicateur")


def _summary(ref: Reference, look: _Lookups, communes: pd.DataFrame, table: pd.DataFrame, zones: pd.DataFrame,
             epci_key: pd.Series, model: IncomeModel | None) -> pd.DataFrame:
    whole = pd.Series("territoire", index=table.index)
    value = aggregate_by(table, whole, ref.vintages).reindex(columns=_IDS).to_numpy(dtype="float64", copy=True)[0]
    cover = coverage_by(table, whole).reindex(columns=_IDS).to_numpy(dtype="float64", copy=True)[0]
    method = np.full(len(_IDS), COMPUTED, dtype=object)
    income = _income(model, look, *_territory_income_key(look, communes, epci_key))
    if income is not None and len(income):
        for column in INCOME_IDS:
            at = _IDS.index(column)
            value[at], cover[at] = income[column].iloc[0], income[f"couverture_{column}"].iloc[0]
            method[at] = income[f"methode_{column}"].iloc[0]
    ok, text = look.ok, look.summary_text
    mask = np.where(ok, 1.0, np.nan)
    columns, extra = {}, {}
    for level, code in [*zip(zones["niveau"].tolist(), zones["code"].tolist(), strict=True), ("france", FRANCE_CODE)]:
        rows_of, values = look.levels[level]
        name = "france" if level == "france" else f"{level}_{code}"
        known = code in rows_of
        columns[name] = values[rows_of[code]] * mask if known else np.full(len(_IDS), np.nan)
        extra[f"couverture_{name}"] = look.cover[level][rows_of[code]] * mask if known else np.full(len(_IDS), np.nan)
        extra[f"methode_{name}"] = np.where(known & ok, look.methods[level][rows_of[code]] if known else "", "")
    own = {"valeur_territoire": np.where(ok, value, np.nan), "couverture": np.where(ok, cover, 0.0),
           "methode": [m if available else "" for m, available in zip(method.tolist(), ok.tolist(), strict=True)]}
    at = text.columns.get_loc("disponible") + 1
    head, tail = ({c: text[c].array for c in part} for part in (text.columns[:at], text.columns[at:]))
    return pd.DataFrame({**head, **own, **columns, **extra, **tail}, index=text.index)  # one constructor, no concatenation


def _zones(look: _Lookups, communes: pd.DataFrame) -> pd.DataFrame:
    """Départements then régions touched, most populated first, with their share of the territory and of themselves."""
    population = communes["population"].to_numpy(dtype="float64", na_value=np.nan)
    total = np.nansum(population)
    rows = []
    for level, key in (("departement", "code_dep"), ("region", "code_reg")):
        groups, counts = tally_arrays(communes[key], population=population)
        order = np.argsort(-counts["population"], kind="stable")  # most populated first, ties by code (pandas' stable sort)
        for code, n, pop in zip(groups[order].tolist(), counts["communes"][order].tolist(), counts["population"][order].tolist(),
                                strict=True):
            whole = look.populations[level].get(code, np.nan)
            rows.append((level, code, look.names[level].get(code, ""), int(n), pop, pop / total if total else np.nan,
                         pop / whole if whole else np.nan))
    return pd.DataFrame(rows, columns=["niveau", "code", "nom", "communes_dans_territoire", "population_dans_territoire",
                                       "part_du_territoire", "part_de_la_zone"])


def _epci(ref: Reference, look: _Lookups, communes: pd.DataFrame, table: pd.DataFrame, key: pd.Series,
          model: IncomeModel | None) -> pd.DataFrame:
    """One row per EPCI part, most populated first (ties: by code), built at once in that order: concatenating and
    sorting the ~70 columns afterwards cost more than computing them."""
    inside = tally(key, population=communes["population"].to_numpy(dtype="float64", na_value=np.nan))
    values = aggregate_by(table, key, ref.vintages).reindex(columns=_IDS)
    income = _income(model, look, key)
    # the three tables group the same key the same way (sorted codes); aligned again only if they ever differ
    values = values if values.index.equals(inside.index) else values.reindex(inside.index)
    income = income if income is None or income.index.equals(inside.index) else income.reindex(inside.index)
    block = values.to_numpy(dtype="float64", copy=True)
    if income is not None:
        for column in INCOME_IDS:
            block[:, _IDS.index(column)] = income[column].to_numpy(dtype="float64", na_value=np.nan)
    block[:, ~look.ok] = np.nan
    n_in, pop_in = inside["communes"].to_numpy(), inside["population"].to_numpy()
    order = np.argsort(-pop_in, kind="stable")  # pandas' stable descending sort (populations are never NaN here)
    codes = [inside.index[i] for i in order]
    n_in, pop_in, block = n_in[order], pop_in[order], block[order]
    total = np.array([look.epci_total.get(c, n) for c, n in zip(codes, n_in, strict=True)], dtype="int64")
    pop_total = np.array([look.epci_population.get(c, p) for c, p in zip(codes, pop_in, strict=True)], dtype="float64")
    index = pd.Index(codes, name="code_epci", dtype="str")
    columns = {
        "nom": [look.epci_nom.get(c, "Communes sans EPCI") for c in codes], "type": [look.epci_type.get(c, "") for c in codes],
        "communes_dans_territoire": n_in, "communes_total": total, "part_communes": n_in / total,
        "population_dans_territoire": pop_in, "population_totale": pop_total,
        "part_population": np.divide(pop_in, pop_total, out=np.full(len(codes), np.nan), where=pop_total > 0),
        "partiel": n_in < total,
        "partie_marginale": marginal_parts(pop_in, pop_total, n_in < total),
        # population = population_dans_territoire
        **{ind: block[:, j] for j, ind in enumerate(_IDS) if ind != "population"},
    }
    if income is not None:
        columns.update({f"methode_{c}": income[f"methode_{c}"].take(order).set_axis(index) for c in INCOME_IDS})
    return pd.DataFrame(columns, index=index)


def _disparities(look: _Lookups, table: pd.DataFrame, key: pd.Series, epci: pd.DataFrame) -> pd.DataFrame:
    """Max/min and weighted CV across the EPCI parts (communes without EPCI and marginal parts left out); Theil over communes.

    Growth rates get neither a max/min ratio nor a CV: a ratio or a spread relative to a mean of
    +0.1 %/an against -0.3 %/an means nothing; their gap (``ecart_max_min``, in points) stays.
    """
    real = epci[epci.index != NO_EPCI]
    parts = real[~real["partie_marginale"].to_numpy(dtype=bool)]
    names = parts["nom"].to_numpy(dtype=object)
    weights = parts["population_dans_territoire"].to_numpy(dtype="float64")
    groups = pd.factorize(key.to_numpy(dtype=object))[0]
    rows = []
    for ind in INDICATORS:
        if not ind.main or not look.available[ind.id]:
            continue
        values = parts[ind.id].to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(values)
        pair = commune_values(table, ind)
        split = theil_split(pair[0], pair[1], groups) if pair else None
        lo, hi = (int(np.nanargmin(values)), int(np.nanargmax(values))) if known.any() else (None, None)
        relative = ind.kind != "growth"
        rows.append({
            "indicateur": ind.id, "libelle": ind.label, "n_epci": int(known.sum()), "parties_marginales": len(real) - len(parts),
            "min": values[lo] if lo is not None else np.nan, "epci_min": names[lo] if lo is not None else "",
            "max": values[hi] if hi is not None else np.nan, "epci_max": names[hi] if hi is not None else "",
            "ratio_max_min": max_min_ratio(values) if relative else np.nan,
            "ecart_max_min": values[hi] - values[lo] if lo is not None else np.nan,
            "cv_pondere": weighted_cv(values, weights) if relative else np.nan,
            "theil": split.total if split else np.nan, "theil_inter_epci": split.between if split else np.nan,
            "theil_intra_epci": split.within if split else np.nan, "part_inter_epci": split.between_share if split else np.nan,
            "base_theil": _theil_basis(ind) if split else "non défini (valeurs pouvant être négatives ou simple compte)",
        })
    columns = ["libelle", "n_epci", "parties_marginales",
               "min", "epci_min", "max", "epci_max", "ratio_max_min", "ecart_max_min", "cv_pondere", "theil",
               "theil_inter_epci", "theil_intra_epci", "part_inter_epci", "base_theil"]
    if not rows:
        return pd.DataFrame(rows, columns=["indicateur", *columns]).set_index("indicateur")
    # by columns: a frame from a list of dicts costs ~1 ms here
    return pd.DataFrame({c: [row[c] for row in rows] for c in columns}, index=pd.Index([row["indicateur"] for row in rows], name="indicateur"))


def _theil_basis(ind) -> str:
    if ind.kind == "median":
        return f"médianes communales ({ind.numerator}) pondérées par {ind.weight}"
    return f"valeurs communales {ind.numerator}/{ind.denominator} pondérées par {ind.denominator}"


def _labels(values: np.ndarray, labels: dict) -> np.ndarray:
    """Label of each numeric category code (``None`` when unknown)."""
    out = np.full(len(values), None, dtype=object)
    for code, label in labels.items():
        out[values == float(code)] = label
    return out


def _communes(ref: Reference, look: _Lookups, territory: Territory, table: pd.DataFrame) -> pd.DataFrame:
    src = territory.communes
    nan = np.full(len(src), np.nan)
    level = table["densite_niveau"].to_numpy(dtype="float64", na_value=np.nan) if "densite_niveau" in table else nan
    aav = table["aav_categorie"].to_numpy(dtype="float64", na_value=np.nan) if "aav_categorie" in table else nan
    values = aggregate_by(table, pd.Series(table.index, index=table.index), ref.vintages).reindex(columns=_IDS).to_numpy()
    return pd.DataFrame({
        "nom": src["nom"], "code_epci": src["code_epci"], "nom_epci": [look.epci_nom.get(c) for c in src["code_epci"]],
        "code_dep": src["code_dep"], "code_reg": src["code_reg"], "population": src["population"], "surface_km2": src["surface_km2"],
        "part_surface": src["part_surface"], "selection": src["selected_by"],
        "contour_perime": src["contour_perime"].fillna(False).astype(bool) if "contour_perime" in src else False,
        "densite_niveau": pd.array(np.where(np.isnan(level), None, level), dtype="Int64"),
        "densite_libelle": _labels(level, DENSITY_LEVELS), "densite_groupe": _labels(level, DENSITY_GROUPS),
        "aav_categorie": _labels(aav, {k: k for k in AAV_CATEGORIES}), "aav_libelle": _labels(aav, AAV_CATEGORIES),
        # the indicators of each commune (its own group, in the table's order), in the same constructor: no concatenation
        **{ind: values[:, j] for j, ind in enumerate(_IDS) if ind != "population"},
    }, index=src.index)


def diagnose(ref: Reference, territory: Territory, params: AlertParams | None = None,
             zoning_params: ZoningParams | None = None) -> Diagnostic:
    """The full diagnostic baseline of ``territory`` (built against ``ref``)."""
    if not isinstance(territory, Territory):
        raise TypeError(f"diagnose : Territory attendu, reçu {type(territory).__name__}.")
    params = params if params is not None else AlertParams()
    zoning_params = zoning_params if zoning_params is not None else ZoningParams()
    if not isinstance(params, AlertParams):
        raise TypeError(f"diagnose : AlertParams attendu, reçu {type(params).__name__}.")
    if territory.geography_vintage != ref.geography_vintage:
        raise TerritoryError(f"Territoire construit sur la géographie « {territory.geography_vintage} », référence en "
                         f"« {ref.geography_vintage} » : reconstruisez-le avec build_territory.")
    communes = territory.communes
    look = _Lookups.of(ref)
    table = ref.variables.reindex(communes.index)
    key = communes["code_epci"].fillna(NO_EPCI).astype("str")
    zones = _zones(look, communes)
    model = look.income.take(ref.variables.index.get_indexer(table.index)) if look.income is not None else None
    summary = _summary(ref, look, communes, table, zones, key, model)
    epci = _epci(ref, look, communes, table, key, model)
    disparities = _disparities(look, table, key, epci)
    mix = rural_urban(table)
    population, area = float(communes["population"].sum()), float(communes["surface_km2"].sum())
    overview = {
        "definition": territory.definition.describe(), "communes": len(communes), "population": population, "surface_km2": area,
        "densite": population / area if area > 0 else float("nan"), "epci": int((epci.index != NO_EPCI).sum()),
        "epci_partiels": int(epci["partiel"].sum()), "departements": zones.loc[zones["niveau"] == "departement", "code"].tolist(),
        "regions": zones.loc[zones["niveau"] == "region", "code"].tolist(),
        "diametre_km": commune_index(ref).diameter_km(ref.communes.index.get_indexer(communes.index)),
        "millesime_geographie": ref.geography_vintage, "millesime_population": ref.vintages.get("population", {}).get("millesime", ""),
        **mix.figures(),
    }
    coverage = coverage_by(table, key).T.reindex(_IDS)
    coverage.insert(0, "territoire", summary["couverture"])
    alerts = (_alerts.size_alert(overview, params) + _alerts.epci_alerts(epci) + _alerts.disparity_alerts(disparities, params)
              + _alerts.mixed_alert(mix.figures(), mix.available, params) + _alerts.data_alerts(summary, params, FETCH_HINT))
    zonings = territory_zonings(ref, communes)
    alerts += zoning_alerts(zonings, zoning_params)
    sources = pd.DataFrame([{"jeu": j["id"], "libelle": j["libelle"], "millesime": j["millesime"], "origine": j["origine"],
                             "fichier": j["fichier"], "date": j.get("date", ""), "hors_domaine": hors_domaine(j)}
                            for j in ref.manifest.get("jeux", [])])
    return Diagnostic(territory, params, overview, summary, zones, _communes(ref, look, territory, table), epci, disparities, mix,
                      alerts, coverage, sources, [i for i, ok in look.available.items() if not ok], zonings=zonings,
                      zoning_params=zoning_params, qpv=qpv_summary(ref, communes),
                      trends_source=partial(territory_trends, ref, communes, key, _part_labels(epci), zones))


def _part_labels(epci: pd.DataFrame) -> dict[str, str]:
    """Name of each EPCI part in the trends: the EPCI's, « (partie) » when only some of its communes are in."""
    return {code: f"{name} (partie)" if partial else str(name)
            for code, name, partial in zip(epci.index, epci["nom"], epci["partiel"].to_numpy(dtype=bool), strict=True)}
