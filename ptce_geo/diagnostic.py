"""The diagnostic baseline of a territory: summary, EPCI parts, disparities, rural/urban, alerts.

Every indicator goes through ``indicators.aggregate_by`` (counts summed, ratios recomputed from
summed numerators and denominators, medians approximated and flagged), once for the whole
territory, once per EPCI part and once per commune; département, région and France values are
the reference's pre-aggregated comparisons, so all levels follow the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from . import alerts as _alerts
from ._groups import tally
from ._spatial import diameter_km
from .alerts import Alert, AlertParams, alerts_table
from .disparity import commune_values, max_min_ratio, theil_split, weighted_cv
from .indicators import AAV_CATEGORIES, DENSITY_GROUPS, DENSITY_LEVELS, INDICATORS, aggregate_by, coverage_by
from .reference import FETCH_HINT, Reference
from .rural_urban import RuralUrban, rural_urban
from .territory import Territory

__all__ = ["Diagnostic", "diagnose", "NO_EPCI"]

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

    @property
    def alerts_table(self) -> pd.DataFrame:
        return alerts_table(self.alerts)


def _available(ref: Reference) -> dict[str, bool]:
    """Indicator id -> loaded or not (scans all communes once per reference, then kept)."""
    if "available" not in ref._derived:
        ref._derived["available"] = {ind.id: ref.available(ind) for ind in INDICATORS}
    return ref._derived["available"]


def _vintage_text(ref: Reference, variables: tuple[str, ...], key: str) -> str:
    values = [ref.vintages.get(v, {}).get(key) or "" for v in variables]
    return " / ".join(dict.fromkeys(v for v in values if v))


def _summary(ref: Reference, table: pd.DataFrame, deps: list[str], regs: list[str]) -> pd.DataFrame:
    whole = pd.Series("territoire", index=table.index)
    value = aggregate_by(table, whole, ref.vintages).reindex(columns=_IDS).iloc[0]
    cover = coverage_by(table, whole).reindex(columns=_IDS).iloc[0]
    rows = []
    for ind in INDICATORS:
        ok = _available(ref)[ind.id]
        rows.append({
            "indicateur": ind.id, "libelle": ind.label, "theme": ind.theme, "unite": ind.unit, "type": ind.kind,
            "approximatif": ind.approximate, "disponible": ok, "valeur_territoire": value[ind.id] if ok else np.nan,
            "couverture": float(cover[ind.id]) if ok else 0.0,
            "source": _vintage_text(ref, ind.variables, "source"), "millesime": _vintage_text(ref, ind.variables, "millesime"),
            "note": ind.notes if ok else f"Données absentes : {FETCH_HINT}",
        })
    summary = pd.DataFrame(rows).set_index("indicateur")
    columns = {}
    for level, codes in (("departement", deps), ("region", regs), ("france", ["FR"])):
        values = ref.level(level).reindex(index=codes, columns=_IDS).astype("float64")
        for code in codes:
            columns["france" if level == "france" else f"{level}_{code}"] = values.loc[code]
    comparisons = pd.DataFrame(columns)
    comparisons[~summary["disponible"].to_numpy()] = np.nan
    at = summary.columns.get_loc("couverture") + 1
    return pd.concat([summary.iloc[:, :at], comparisons, summary.iloc[:, at:]], axis=1).rename_axis("indicateur")


def _zones(ref: Reference, communes: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for level, key, names in (("departement", "code_dep", ref.departements["nom"]), ("region", "code_reg", ref.regions["nom"])):
        totals = ref.level(level)["population"]
        grouped = tally(communes[key], population_dans_territoire=communes["population"])
        grouped = grouped.rename(columns={"communes": "communes_dans_territoire"})
        grouped = grouped.sort_values("population_dans_territoire", ascending=False, kind="stable")
        frames.append(pd.DataFrame({
            "niveau": level, "code": grouped.index, "nom": names.reindex(grouped.index).to_numpy(),
            "communes_dans_territoire": grouped["communes_dans_territoire"].to_numpy(),
            "population_dans_territoire": grouped["population_dans_territoire"].to_numpy(),
            "part_du_territoire": (grouped["population_dans_territoire"] / communes["population"].sum()).to_numpy(),
            "part_de_la_zone": (grouped["population_dans_territoire"] / totals.reindex(grouped.index)).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def _epci(ref: Reference, communes: pd.DataFrame, table: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    inside = tally(key, population_dans_territoire=communes["population"]).rename(columns={"communes": "communes_dans_territoire"})
    info = ref.epci.reindex(inside.index)
    out = pd.DataFrame(index=pd.Index(inside.index, name="code_epci"))
    out["nom"] = info["nom"].fillna("Communes sans EPCI").to_numpy()
    out["type"] = info["type"].fillna("").to_numpy()
    out["communes_dans_territoire"] = inside["communes_dans_territoire"]
    out["communes_total"] = info["communes_total"].fillna(inside["communes_dans_territoire"]).astype("int64").to_numpy()
    out["part_communes"] = out["communes_dans_territoire"] / out["communes_total"]
    out["population_dans_territoire"] = inside["population_dans_territoire"]
    out["population_totale"] = info["population"].fillna(inside["population_dans_territoire"]).to_numpy()
    out["part_population"] = out["population_dans_territoire"] / out["population_totale"].where(out["population_totale"] > 0)
    out["partiel"] = out["communes_dans_territoire"] < out["communes_total"]
    values = aggregate_by(table, key, ref.vintages).reindex(index=out.index, columns=_IDS)
    missing = [i for i, ok in _available(ref).items() if not ok]
    values[missing] = np.nan
    out = pd.concat([out, values.drop(columns="population")], axis=1)  # population = population_dans_territoire
    return out.sort_values(["population_dans_territoire"], ascending=False)


def _disparities(ref: Reference, table: pd.DataFrame, key: pd.Series, epci: pd.DataFrame) -> pd.DataFrame:
    """Max/min and weighted CV across the EPCI parts (communes without EPCI left out); Theil over communes."""
    parts = epci[epci.index != NO_EPCI]
    rows = []
    for ind in INDICATORS:
        if not ind.main or not _available(ref)[ind.id]:
            continue
        values = parts[ind.id].dropna()
        pair = commune_values(table, ind)
        split = theil_split(pair[0], pair[1], key) if pair else None
        rows.append({
            "indicateur": ind.id, "libelle": ind.label, "n_epci": len(values),
            "min": values.min() if len(values) else np.nan, "epci_min": parts.at[values.idxmin(), "nom"] if len(values) else "",
            "max": values.max() if len(values) else np.nan, "epci_max": parts.at[values.idxmax(), "nom"] if len(values) else "",
            "ratio_max_min": max_min_ratio(values), "ecart_max_min": values.max() - values.min() if len(values) else np.nan,
            "cv_pondere": weighted_cv(values, parts.loc[values.index, "population_dans_territoire"]),
            "theil": split.total if split else np.nan, "theil_inter_epci": split.between if split else np.nan,
            "theil_intra_epci": split.within if split else np.nan, "part_inter_epci": split.between_share if split else np.nan,
            "base_theil": _theil_basis(ind) if split else "non défini (valeurs pouvant être négatives ou simple compte)",
        })
    columns = ["libelle", "n_epci", "min", "epci_min", "max", "epci_max", "ratio_max_min", "ecart_max_min", "cv_pondere", "theil",
               "theil_inter_epci", "theil_intra_epci", "part_inter_epci", "base_theil"]
    return pd.DataFrame(rows, columns=["indicateur", *columns]).set_index("indicateur")


def _theil_basis(ind) -> str:
    if ind.kind == "median":
        return f"médianes communales ({ind.numerator}) pondérées par {ind.weight}"
    return f"valeurs communales {ind.numerator}/{ind.denominator} pondérées par {ind.denominator}"


def _communes(ref: Reference, territory: Territory, table: pd.DataFrame) -> pd.DataFrame:
    src = territory.communes
    out = pd.DataFrame(index=src.index)
    out["nom"] = src["nom"]
    out["code_epci"] = src["code_epci"]
    out["nom_epci"] = ref.epci["nom"].reindex(src["code_epci"]).to_numpy()
    out["code_dep"], out["code_reg"] = src["code_dep"], src["code_reg"]
    out["population"], out["surface_km2"] = src["population"], src["surface_km2"]
    out["part_surface"], out["selection"] = src["part_surface"], src["selected_by"]
    level = pd.to_numeric(table["densite_niveau"], errors="coerce").astype("Int64") if "densite_niveau" in table else \
        pd.Series(pd.NA, index=src.index, dtype="Int64")
    out["densite_niveau"] = level
    out["densite_libelle"] = level.map(DENSITY_LEVELS, na_action="ignore").astype("string")
    out["densite_groupe"] = level.map(DENSITY_GROUPS, na_action="ignore").astype("string")
    aav = pd.to_numeric(table["aav_categorie"], errors="coerce").astype("Int64").astype("string") if "aav_categorie" in table else \
        pd.Series(pd.NA, index=src.index, dtype="string")
    out["aav_categorie"] = aav
    out["aav_libelle"] = aav.map(AAV_CATEGORIES, na_action="ignore").astype("string")
    values = aggregate_by(table, pd.Series(table.index, index=table.index), ref.vintages).reindex(index=src.index, columns=_IDS)
    return pd.concat([out, values.drop(columns="population")], axis=1)


def diagnose(ref: Reference, territory: Territory, params: AlertParams | None = None) -> Diagnostic:
    """The full diagnostic baseline of ``territory`` (built against ``ref``)."""
    if not isinstance(territory, Territory):
        raise TypeError(f"diagnose : Territory attendu, reçu {type(territory).__name__}.")
    params = params if params is not None else AlertParams()
    if not isinstance(params, AlertParams):
        raise TypeError(f"diagnose : AlertParams attendu, reçu {type(params).__name__}.")
    if territory.geography_vintage != ref.geography_vintage:
        raise ValueError(f"Territoire construit sur la géographie « {territory.geography_vintage} », référence en "
                         f"« {ref.geography_vintage} » : reconstruisez-le avec build_territory.")
    communes = territory.communes
    table = ref.variables.reindex(communes.index)
    key = communes["code_epci"].fillna(NO_EPCI).astype("str")
    zones = _zones(ref, communes)
    deps = zones.loc[zones["niveau"] == "departement", "code"].tolist()
    regs = zones.loc[zones["niveau"] == "region", "code"].tolist()
    summary = _summary(ref, table, deps, regs)
    epci = _epci(ref, communes, table, key)
    disparities = _disparities(ref, table, key, epci)
    mix = rural_urban(table)
    population, area = float(communes["population"].sum()), float(communes["surface_km2"].sum())
    overview = {
        "definition": territory.definition.describe(), "communes": len(communes), "population": population, "surface_km2": area,
        "densite": population / area if area > 0 else float("nan"), "epci": int((epci.index != NO_EPCI).sum()),
        "epci_partiels": int(epci["partiel"].sum()), "departements": deps, "regions": regs,
        "diametre_km": diameter_km(communes.geometry.dropna().to_numpy()),
        "millesime_geographie": ref.geography_vintage, "millesime_population": ref.vintages.get("population", {}).get("millesime", ""),
        **mix.figures(),
    }
    coverage = coverage_by(table, key).T.reindex(_IDS)
    coverage.insert(0, "territoire", summary["couverture"])
    alerts = (_alerts.size_alert(overview, params) + _alerts.epci_alerts(epci) + _alerts.disparity_alerts(disparities, params)
              + _alerts.mixed_alert(mix.figures(), mix.available, params) + _alerts.data_alerts(summary, params, FETCH_HINT))
    sources = pd.DataFrame([{"jeu": j["id"], "libelle": j["libelle"], "millesime": j["millesime"], "origine": j["origine"],
                             "fichier": j["fichier"], "date": j.get("date", "")} for j in ref.manifest.get("jeux", [])])
    return Diagnostic(territory, params, overview, summary, zones, _communes(ref, territory, table), epci, disparities, mix, alerts,
                      coverage, sources, [i for i, ok in _available(ref).items() if not ok])
