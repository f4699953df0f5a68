"""The trajectory of any group of communes: long tables of dated values computed from the series table.

Pure (data in, data out). ``series`` holds one column per ``<serie>@<period>`` on the reference
geography (``series_tables.py`` builds it with the cache); ``meta`` gives each column's vintage and
source. For every group of communes (``key``):

- population at each census date (and the legal population), summed; annual change between two dates;
- over a period with births and deaths (``naissances@a-b``, ``deces@a-b``): the change split into the
  natural balance (births − deaths) and the *apparent* migration balance (the rest, as INSEE names
  it: it also absorbs census measurement differences); annual rates as INSEE computes them, the natural
  rate being the mean yearly balance over the mean population, the migration rate the difference to
  the total rate;
- jobs, unemployment and activity rates at each census date (ratios of sums over communes where both
  terms are known);
- median niveau de vie and poverty rate at each Filosofi date, **by the same estimator at every date and
  every level** (``income.estimate_by``), so no change of method hides in a trend;
- age structure and ageing when an age file was imported.

A value resting on less than 99 % of the group's legal population says its coverage in ``millesime``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .income import METHOD, IncomeModel, estimate_codes
from .sources.census_series import AGE_SERIES, SERIES_SEP
from .sources.supra import FRANCE_CODE

if TYPE_CHECKING:
    from .reference import Reference

__all__ = ["COLUMNS", "TREND_INDICATORS", "TrendIndicator", "Groups", "trends_by", "territory_trends", "as_index", "age_available", "FULL_COVERAGE",
           "MIGRATION_NOTE"]

COLUMNS = ["indicateur", "niveau", "code", "libelle", "annee", "valeur", "unite", "source", "millesime"]
FULL_COVERAGE = 0.99
MIGRATION_NOTE = ("solde migratoire apparent (INSEE) : variation de la population moins le solde naturel ; il comprend aussi "
                  "les écarts de mesure entre deux recensements")


@dataclass(frozen=True)
class TrendIndicator:
    id: str
    label: str
    unit: str


TREND_INDICATORS: dict[str, TrendIndicator] = {t.id: t for t in [
    TrendIndicator("population", "Population", "habitants"),
    TrendIndicator("taux_evolution_annuel", "Évolution annuelle moyenne de la population", "%/an"),
    TrendIndicator("variation_population", "Variation de la population", "habitants"),
    TrendIndicator("solde_naturel", "Solde naturel (naissances − décès)", "habitants"),
    TrendIndicator("solde_migratoire_apparent", "Solde migratoire apparent", "habitants"),
    TrendIndicator("taux_solde_naturel", "Évolution annuelle due au solde naturel", "%/an"),
    TrendIndicator("taux_solde_migratoire_apparent", "Évolution annuelle due au solde migratoire apparent", "%/an"),
    TrendIndicator("emplois", "Emplois au lieu de travail", "emplois"),
    TrendIndicator("taux_chomage", "Taux de chômage des 15-64 ans (recensement)", "%"),
    TrendIndicator("taux_activite", "Taux d'activité des 15-64 ans", "%"),
    TrendIndicator("med_niveau_vie", "Médiane du niveau de vie", "€/an"),
    TrendIndicator("taux_pauvrete", "Taux de pauvreté (seuil 60 %)", "%"),
    TrendIndicator("part_0014", "Part des 0-14 ans", "%"),
    TrendIndicator("part_1529", "Part des 15-29 ans", "%"),
    TrendIndicator("part_3044", "Part des 30-44 ans", "%"),
    TrendIndicator("part_4559", "Part des 45-59 ans", "%"),
    TrendIndicator("part_6074", "Part des 60-74 ans", "%"),
    TrendIndicator("part_75p", "Part des 75 ans ou plus", "%"),
    TrendIndicator("part_65p", "Part des 65 ans ou plus", "%"),
    TrendIndicator("indice_vieillissement", "Indice de vieillissement (65 ans ou plus pour 100 moins de 20 ans)", "pour 100"),
]}
_AGE_BANDS = ("0014", "1529", "3044", "4559", "6074", "75p")


@dataclass
class Groups:
    """Communes (rows of the series table) grouped for one level: integer group per row, group codes and labels."""

    niveau: str
    codes: np.ndarray  # group of each row, -1 = left out
    keys: list[str]
    labels: list[str]
    legal: np.ndarray  # legal population per row (the basis of coverage)

    @classmethod
    def of(cls, niveau: str, key: pd.Series, labels: dict[str, str], legal: pd.Series) -> Groups:
        codes, uniques = pd.factorize(key.to_numpy(dtype=object), sort=True)
        keys = [str(k) for k in uniques]
        return cls(niveau, codes, keys, [labels.get(k, k) for k in keys], np.nan_to_num(legal.to_numpy(dtype="float64", na_value=np.nan)))

    @property
    def size(self) -> int:
        return len(self.keys)

    def sum(self, values: np.ndarray) -> np.ndarray:
        ok = (self.codes >= 0) & ~np.isnan(values)
        total = np.bincount(self.codes[ok], weights=values[ok], minlength=self.size)
        return np.where(np.bincount(self.codes[ok], minlength=self.size) > 0, total, np.nan)

    def coverage(self, known: np.ndarray) -> np.ndarray:
        ok = self.codes >= 0
        total = np.bincount(self.codes[ok], weights=self.legal[ok], minlength=self.size)
        inside = np.bincount(self.codes[ok], weights=self.legal[ok] * known[ok], minlength=self.size)
        return np.divide(inside, total, out=np.ones(self.size), where=total > 0)


def _split(column: str) -> tuple[str, str]:
    serie, _, period = column.partition(SERIES_SEP)
    return serie, period


def _index(series: pd.DataFrame) -> dict[str, dict[str, str]]:
    """serie -> {period -> column}."""
    out: dict[str, dict[str, str]] = {}
    for column in series.columns:
        if SERIES_SEP in column:
            serie, period = _split(column)
            out.setdefault(serie, {})[period] = column
    return out


class _Rows:
    """Accumulates long rows as plain lists (one DataFrame at the end: building one per block costs milliseconds)."""

    def __init__(self, groups: Groups, columns: dict[str, list] | None = None) -> None:
        self.groups = groups
        self.columns: dict[str, list] = columns if columns is not None else {c: [] for c in COLUMNS}

    def extend(self, ind: str, period: str, values: np.ndarray, source: str, notes: list[str]) -> None:
        keep = ~np.isnan(values)
        if not keep.any():
            return
        g, cols = self.groups, self.columns
        at = np.flatnonzero(keep)
        cols["indicateur"] += [ind] * len(at)
        cols["niveau"] += [g.niveau] * len(at)
        cols["code"] += [g.keys[i] for i in at]
        cols["libelle"] += [g.labels[i] for i in at]
        cols["annee"] += [period] * len(at)
        cols["valeur"] += values[at].tolist()
        cols["unite"] += [TREND_INDICATORS[ind].unit] * len(at)
        cols["source"] += [source] * len(at)
        cols["millesime"] += [notes[i] for i in at]

    def add(self, ind: str, period: str, values: np.ndarray, known: np.ndarray, source: str, millesime: str) -> None:
        cover = self.groups.coverage(known)
        notes = [millesime if c >= FULL_COVERAGE else f"{millesime} ; couverture {100 * c:.0f} %".replace(".", ",") for c in cover]
        self.extend(ind, period, values, source, notes)


def _arrays(series: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    block = series[columns].to_numpy(dtype="float64", na_value=np.nan) if columns else np.empty((len(series), 0))
    return {c: block[:, i] for i, c in enumerate(columns)}


def _vintage(meta: dict, *columns: str) -> tuple[str, str]:
    sources = dict.fromkeys(meta.get(c, {}).get("source", "") for c in columns)
    vintages = dict.fromkeys(meta.get(c, {}).get("millesime", "") for c in columns)
    return " ; ".join(s for s in sources if s), ", ".join(v for v in vintages if v)


def _ratio(num: np.ndarray, den: np.ndarray, groups: Groups, scale: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    both = ~np.isnan(num) & ~np.isnan(den)
    n, d = groups.sum(np.where(both, num, np.nan)), groups.sum(np.where(both, den, np.nan))
    return np.divide(n, d, out=np.full(groups.size, np.nan), where=d > 0) * scale, both


def _population(rows: _Rows, index: dict, values: dict, meta: dict) -> None:
    census = index.get("pop_rp", {})
    for serie in ("pop_rp", "population_legale"):
        for period, column in sorted(index.get(serie, {}).items()):
            if serie == "population_legale" and period in census:
                continue  # the census figure of the same year
            x = values[column]
            rows.add("population", period, rows.groups.sum(x), ~np.isnan(x), *_vintage(meta, column))


def _periods(index: dict) -> list[tuple[int, int]]:
    """Consecutive census dates, plus every period with births and deaths."""
    years = sorted(int(p) for p in index.get("pop_rp", {}))
    pairs = set(zip(years, years[1:], strict=False))
    for period in index.get("naissances", {}):
        if period in index.get("deces", {}) and (m := re.fullmatch(r"(\d{4})-(\d{4})", period)):
            pairs.add((int(m.group(1)), int(m.group(2))))
    return sorted(pairs)


def _change(rows: _Rows, index: dict, values: dict, meta: dict) -> None:
    pops = index.get("pop_rp", {})
    g = rows.groups
    for a, b in _periods(index):
        if str(a) not in pops or str(b) not in pops:
            continue
        pa, pb = values[pops[str(a)]], values[pops[str(b)]]
        period, n = f"{a}-{b}", float(b - a)
        births, deaths = index.get("naissances", {}).get(period), index.get("deces", {}).get(period)
        known = ~np.isnan(pa) & ~np.isnan(pb)
        if births and deaths:
            known &= ~np.isnan(values[births]) & ~np.isnan(values[deaths])
        sa, sb = g.sum(np.where(known, pa, np.nan)), g.sum(np.where(known, pb, np.nan))
        total_rate = (np.power(np.divide(sb, sa, out=np.full(g.size, np.nan), where=sa > 0), 1.0 / n) - 1.0) * 100.0
        census = _vintage(meta, pops[str(a)], pops[str(b)])
        rows.add("taux_evolution_annuel", period, total_rate, known, *census)
        if not (births and deaths):
            continue
        source, vintage = _vintage(meta, pops[str(a)], pops[str(b)], births, deaths)
        natural = g.sum(np.where(known, values[births] - values[deaths], np.nan))
        change = sb - sa
        natural_rate = natural / n / ((sa + sb) / 2.0) * 100.0
        rows.add("variation_population", period, change, known, source, vintage)
        rows.add("solde_naturel", period, natural, known, source, vintage)
        rows.add("solde_migratoire_apparent", period, change - natural, known, f"{source} ; {MIGRATION_NOTE}", vintage)
        rows.add("taux_solde_naturel", period, natural_rate, known, source, vintage)
        rows.add("taux_solde_migratoire_apparent", period, total_rate - natural_rate, known, f"{source} ; {MIGRATION_NOTE}", vintage)


def _labour(rows: _Rows, index: dict, values: dict, meta: dict) -> None:
    g = rows.groups
    for period, column in sorted(index.get("emplois", {}).items()):
        rows.add("emplois", period, g.sum(values[column]), ~np.isnan(values[column]), *_vintage(meta, column))
    for ind, num, den in (("taux_chomage", "chomeurs_1564", "actifs_1564"), ("taux_activite", "actifs_1564", "pop_1564")):
        for period, column in sorted(index.get(num, {}).items()):
            if (other := index.get(den, {}).get(period)) is not None:
                value, known = _ratio(values[column], values[other], g)
                rows.add(ind, period, value, known, *_vintage(meta, column, other))


def _stacked(models: dict[str, IncomeModel], codes: list[np.ndarray]) -> tuple[IncomeModel, np.ndarray, list[tuple[str, int, int]]]:
    """One model over every (date, grouping), rows repeated and group codes offset: the bisection then runs once for all
    (per call, its 48 steps cost far more than the rows)."""
    parts, stacked, spans, offset = [], [], [], 0
    for period, model in sorted(models.items()):
        for grouping, c in enumerate(codes):
            size = int(c.max()) + 1 if len(c) else 0
            parts.append(model)
            stacked.append(np.where(c >= 0, c + offset, -1))
            spans.append((period, grouping, offset))
            offset += size
    fields = ("weight", "population", "log_median", "spread_low", "spread_high", "poor", "median_published", "poverty_published")
    model = IncomeModel(**{f: np.concatenate([getattr(m, f) for m in parts]) for f in fields}, threshold=0.0)
    return model, np.concatenate(stacked), spans


def _income(rows: list[_Rows], models: dict[str, IncomeModel], mask: np.ndarray | None) -> None:
    codes = [r.groups.codes if mask is None else np.where(mask, r.groups.codes, -1) for r in rows]
    model, stacked, spans = _stacked(models, codes)
    est = estimate_codes(model, stacked, int(stacked.max()) + 1 if len(stacked) else 0)
    for period, grouping, offset in spans:
        out, g = rows[grouping], rows[grouping].groups
        source = f"INSEE, Filosofi {period} (communes) ; {METHOD} (même méthode à chaque date et à chaque niveau)"
        if g.niveau == "france":
            source += " ; France métropolitaine, périmètre des valeurs nationales de l'INSEE"
        for ind in ("med_niveau_vie", "taux_pauvrete"):
            values = est[ind][offset:offset + g.size]
            cover = est[f"couverture_{ind}"][offset:offset + g.size]
            if len(values) < g.size:  # groups without any row in the income mask
                values = np.r_[values, np.full(g.size - len(values), np.nan)]
                cover = np.r_[cover, np.full(g.size - len(cover), np.nan)]
            notes = [f"Filosofi {period} ; communes publiant la valeur : {100 * c:.0f} % de la population".replace(".", ",")
                     if c == c else f"Filosofi {period}" for c in cover]
            out.extend(ind, period, values, source, notes)


def _age(rows: _Rows, index: dict, values: dict, meta: dict) -> None:
    g = rows.groups
    bands = {b: index.get(AGE_SERIES[b.upper()], {}) for b in _AGE_BANDS}
    for period in sorted(set.intersection(*(set(p) for p in bands.values()))):
        columns = [bands[b][period] for b in _AGE_BANDS]
        total = np.sum([values[c] for c in columns], axis=0)
        vintage = _vintage(meta, *columns)
        for band, column in zip(_AGE_BANDS, columns, strict=True):
            value, known = _ratio(values[column], total, g)
            rows.add(f"part_{band}", period, value, known, *vintage)
        old = index.get("pop_65p", {}).get(period)
        young = index.get("pop_0019", {}).get(period)
        if old:
            value, known = _ratio(values[old], total, g)
            rows.add("part_65p", period, value, known, *vintage)
        if old and young:
            value, known = _ratio(values[old], values[young], g)
            rows.add("indice_vieillissement", period, value, known, *_vintage(meta, old, young))


def age_available(series: pd.DataFrame) -> bool:
    """Whether an age-structure file was imported (one complete set of bands at some date)."""
    index = _index(series)
    bands = [set(index.get(AGE_SERIES[b.upper()], {})) for b in _AGE_BANDS]
    return bool(set.intersection(*bands))


def _trend_columns(series: pd.DataFrame, meta: dict, groupings: list[Groups], models: dict[str, IncomeModel] | None,
                   income_rows: np.ndarray | None) -> dict[str, list]:
    index = _index(series)
    values = _arrays(series, [c for c in series.columns if SERIES_SEP in c])
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    rows = [_Rows(grouping, columns) for grouping in groupings]
    for out in rows:
        _population(out, index, values, meta)
        _change(out, index, values, meta)
        _labour(out, index, values, meta)
    if models:
        _income(rows, models, income_rows)
    for out in rows:
        _age(out, index, values, meta)
    return columns


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame(columns, columns=COLUMNS).astype({"valeur": "float64"})


def trends_by(series: pd.DataFrame, meta: dict, groups: Groups | list[Groups], models: dict[str, IncomeModel] | None = None,
              income_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Long table (``COLUMNS``) of every trend indicator for every group of each grouping in ``groups``.

    ``series`` rows are the communes grouped; ``models`` (Filosofi date -> income model taken on the same rows)
    add income, over the rows where ``income_rows`` is true (all by default).
    """
    return _frame(_trend_columns(series, meta, groups if isinstance(groups, list) else [groups], models, income_rows))


def as_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Dated values as an index (base 100 at each entity's first date), for comparing sizes on one chart."""
    out = frame.copy()
    out["an"] = out["annee"].str[:4].astype(int)
    out = out.sort_values("an", kind="stable")
    first = out.groupby(["niveau", "code"])["valeur"].transform("first")
    out["indice"] = out["valeur"] / first * 100.0
    return out


def territory_trends(ref: Reference, communes: pd.DataFrame, parts: pd.Series, part_labels: dict[str, str],
                     zones: pd.DataFrame) -> pd.DataFrame:
    """Trends of the territory (``communes``), of each EPCI part (``parts``: group of each commune) and of the
    comparators (``zones``: ``niveau``/``code`` of the départements and régions touched, plus France), prepared
    with the cache. Empty when the cache has no series."""
    if ref.series.empty:
        return pd.DataFrame(columns=COLUMNS)
    positions = ref.series.index.get_indexer(communes.index)
    inside = positions >= 0
    rows = ref.series.iloc[positions[inside]]
    legal = communes["population"][inside]
    models = {period: model.take(positions[inside]) for period, model in ref.trend_models().items()}
    whole = pd.Series("territoire", index=rows.index, dtype=object)
    groupings = [Groups.of("territoire", whole, {"territoire": "Territoire"}, legal),
                 Groups.of("epci", parts[inside].astype(object), part_labels, legal)]
    columns = _trend_columns(rows, ref.series_meta, groupings, models, None)
    by_zone = ref.derived("trend_levels_by_zone", lambda: {key: part.to_dict("list") for key, part in
                                                           ref.trend_levels[COLUMNS].groupby(["niveau", "code"])})
    for key in [*zones[["niveau", "code"]].itertuples(index=False, name=None), ("france", FRANCE_CODE)]:
        for column, values in by_zone.get(tuple(key), {}).items():
            columns[column] += values
    return _frame(columns)
