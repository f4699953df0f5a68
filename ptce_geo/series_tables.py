"""Series tables of a cache generation: every census, civil-status and Filosofi vintage on the reference geography.

The indicators table keeps one vintage per variable (the most recent); trends need them all. Built with
the cache from every imported or downloaded variables dataset, including those whose main variables
lost to a more recent file (Filosofi 2019 next to 2021), and from the previous cache's series, so the
trend grows with each import. For each ``<serie>@<period>`` column the richest dataset of that date wins
(most columns of that year), a later layer on ties. Each file goes through the passage table; a file
whose codes mostly do not match the reference geography is refused, naming it (the previous cache
stays in service). Prepared here once: the income model of each Filosofi year (same estimator at
every date) and the trends of every département, région and France.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import SourceFileError
from .income import IncomeModel, fit_model
from .passage import to_reference
from .sources.census_series import SERIES_SEP, series_name
from .sources.supra import FRANCE_CODE
from .trends import Groups, trends_by

__all__ = ["SERIES_FILE", "LEVELS_FILE", "MODELS_FILE", "GEOGRAPHY_MATCH", "build_series", "income_models", "models_from",
           "level_trends", "INCOME_INPUTS"]

SERIES_FILE, LEVELS_FILE, MODELS_FILE = "series", "tendances_niveaux", "revenus_modeles"
GEOGRAPHY_MATCH = 0.9  # share of a file's commune codes that must reach the reference geography (directly or by passage)
_DERIVED = {"pop_rp": "pop_rp", "pop_rp_ancienne": "pop_rp", "emplois": "emplois", "emplois_anciens": "emplois",
            "pop_1564": "pop_1564", "actifs_1564": "actifs_1564", "chomeurs_1564": "chomeurs_1564"}
INCOME_INPUTS = ("med_niveau_vie", "d1_niveau_vie", "d9_niveau_vie", "nb_menages_fisc", "nb_pers_menages_fisc", "pers_pauvres",
                 "pers_couv_pauvrete")
_MODEL_FIELDS = ("weight", "population", "log_median", "spread_low", "spread_high", "poor", "median_published", "poverty_published")
_MIN_ROWS = 100  # below, a file is a partial complement: its codes are not a geography


def _columns_of(ds) -> dict[str, tuple[str, dict]]:
    """Series column -> (column of ``ds.table``, its vintage) for one variables dataset."""
    out = {}
    for var, meta in ds.variables.items():
        year = meta.get("annee")
        if SERIES_SEP in var:
            out[var] = (var, meta)
        elif year and (serie := _DERIVED.get(var) or (var if var in INCOME_INPUTS else None)):
            out[series_name(serie, year)] = (var, meta)
    return {k: v for k, v in out.items() if v[0] in ds.table.columns}


def _winners(datasets: list) -> dict[str, tuple[int, str, dict]]:
    """Series column -> (dataset position, source column, vintage): the richest dataset of that date, later on ties."""
    best: dict[str, tuple[tuple, int, str, dict]] = {}
    for position, ds in enumerate(datasets):
        columns = _columns_of(ds)
        per_year = pd.Series([meta.get("annee") for _, meta in columns.values()]).value_counts().to_dict()
        for name, (source, meta) in columns.items():
            score = (per_year.get(meta.get("annee"), 0), position)
            if name not in best or score >= best[name][0]:
                best[name] = (score, position, source, meta)
    return {name: (position, source, meta) for name, (_, position, source, meta) in best.items()}


def _check_geography(ds, report, reference_vintage: str) -> None:
    rows = report.kept + report.mapped + len(report.unmatched)
    if rows < _MIN_ROWS or (report.kept + report.mapped) >= GEOGRAPHY_MATCH * rows:
        return
    share = f"{(report.kept + report.mapped) / rows:.0%}".replace("%", " %")
    raise SourceFileError(f"{ds.origin} : fichier d'une autre géographie : {share} seulement de ses {rows} codes commune correspondent à la "
                          f"géographie de référence ({reference_vintage}), même par la table de passage (ex. codes inconnus : "
                          f"{', '.join(report.unmatched[:5])}). Fichier refusé ; le cache précédent reste en service.")


def _mapped(ds, picks: dict[str, str], reference: pd.Index, passage, reference_vintage: str) -> pd.DataFrame:
    """The picked columns of ``ds`` (series column -> source column) on the reference geography, one passage per date."""
    out = pd.DataFrame(index=reference)
    by_period: dict[str, dict[str, str]] = {}
    for name, source in picks.items():
        serie, _, period = name.partition(SERIES_SEP)
        by_period.setdefault(period, {})[source] = serie
    for period, renames in by_period.items():
        frame = ds.table[["code_commune", *renames]].rename(columns=renames)
        mapped, report = to_reference(frame, reference, passage)
        _check_geography(ds, report, reference_vintage)
        for serie in renames.values():
            out[series_name(serie, period)] = mapped[serie].to_numpy(dtype="float64", na_value=np.nan)
    return out


def build_series(datasets: Iterable, previous: tuple[pd.DataFrame, dict] | None, reference: pd.Index, passage: pd.DataFrame | None,
                 legal: pd.Series, legal_meta: dict, reference_vintage: str) -> tuple[pd.DataFrame, dict]:
    """(series table indexed by the reference codes, column -> vintage) from ``datasets`` (variables datasets, lowest
    priority first) over ``previous`` (the last cache's series, kept for dates no dataset gives any more).

    ``legal`` is the reference population, a dated point of the series when ``legal_meta`` gives its year and it is a
    legal population (an official file, not the census fallback nor the embedded estimate: empty ``legal_meta`` then)."""
    datasets = list(datasets)
    winners = _winners(datasets)
    parts = []
    for position, ds in enumerate(datasets):
        picks = {name: source for name, (pos, source, _) in winners.items() if pos == position}
        if picks:
            parts.append(_mapped(ds, picks, reference, passage, reference_vintage))
    meta = {name: {**vintage, "serie": name.partition(SERIES_SEP)[0], "periode": name.partition(SERIES_SEP)[2],
                   "source": datasets[pos].label, "dataset": datasets[pos].id, "fichier": datasets[pos].origin}
            for name, (pos, _, vintage) in winners.items()}
    year = legal_meta.get("annee")
    if year and "dataset" not in legal_meta and legal.notna().any():
        name = series_name("population_legale", year)
        parts.append(pd.DataFrame({name: legal.reindex(reference).to_numpy(dtype="float64", na_value=np.nan)}, index=reference))
        meta[name] = {"annee": int(year), "serie": "population_legale", "periode": str(year), "millesime": legal_meta.get("millesime", ""),
                      "source": legal_meta.get("source", "")}
    if previous is not None:
        old, old_meta = previous
        keep = [c for c in old.columns if c not in meta and c in old_meta]
        if keep:
            frame = old[keep].rename_axis("code_commune").reset_index()
            moved = [to_reference(frame[["code_commune", c]].rename(columns={c: c.partition(SERIES_SEP)[0]}), reference, passage)[0]
                     for c in keep]
            parts.append(pd.DataFrame({c: m.iloc[:, 0].to_numpy() for c, m in zip(keep, moved, strict=True)}, index=reference))
            meta.update({c: old_meta[c] for c in keep})
    table = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=reference)
    table = table[sorted(table.columns)]
    table.index.name = "code_commune"
    return table, {c: meta[c] for c in table.columns}


def income_models(series: pd.DataFrame, population: pd.Series, area: pd.Series) -> tuple[pd.DataFrame, dict[str, float]]:
    """The income model of every Filosofi date of ``series`` (fitted once here), as a table and thresholds by date."""
    columns, thresholds = {}, {}
    for column in series.columns:
        serie, _, period = column.partition(SERIES_SEP)
        if serie != "med_niveau_vie" or series[column].isna().all():
            continue
        inputs = {s: series[series_name(s, period)] for s in INCOME_INPUTS if series_name(s, period) in series}
        table = pd.DataFrame({**inputs, "population": population.reindex(series.index)}, index=series.index)
        model = fit_model(table, area.reindex(series.index))
        for field in _MODEL_FIELDS:
            columns[series_name(field, period)] = np.asarray(getattr(model, field), dtype="float64")
        thresholds[period] = model.threshold
    return pd.DataFrame(columns, index=series.index), thresholds


def models_from(table: pd.DataFrame, thresholds: dict[str, float]) -> dict[str, IncomeModel]:
    """The income models stored by ``income_models`` (aligned on ``table``'s rows)."""
    out = {}
    for period, threshold in thresholds.items():
        arrays = {f: table[series_name(f, period)].to_numpy(dtype="float64") for f in _MODEL_FIELDS}
        for flag in ("median_published", "poverty_published"):
            arrays[flag] = arrays[flag] > 0.5
        out[period] = IncomeModel(**arrays, threshold=float(threshold))
    return out


def level_trends(series: pd.DataFrame, meta: dict, communes: pd.DataFrame, names: dict[str, dict[str, str]],
                 models: dict[str, IncomeModel]) -> pd.DataFrame:
    """Trends of every département, région and France (income: France métropolitaine, INSEE's national perimeter)."""
    legal = communes["population"].reindex(series.index)
    dep = communes["code_dep"].reindex(series.index)
    metro = ~dep.astype("string").str.startswith("97").fillna(True)
    frames = []
    for niveau, key, income_rows in (("departement", dep, None), ("region", communes["code_reg"].reindex(series.index), None),
                                     ("france", pd.Series(FRANCE_CODE, index=series.index), metro.to_numpy(dtype=bool))):
        groups = Groups.of(niveau, key.astype(object), names.get(niveau, {}), legal)
        frames.append(trends_by(series, meta, groups, models, income_rows))
    return pd.concat(frames, ignore_index=True)
