"""The indicator catalogue and the one aggregation rule set every level uses.

Communes carry *variables* (counts, medians, categories). *Indicators* are computed from
summed variables for any group of communes: counts are summed, ratios are recomputed from
summed numerators and denominators (never a mean of rates), growth rates from summed
populations at two dates, medians approximated by a weighted median and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Variable",
    "Indicator",
    "VARIABLES",
    "INDICATORS",
    "KIND_LABELS",
    "DENSITY_LEVELS",
    "DENSITY_GROUPS",
    "AAV_CATEGORIES",
    "indicator",
    "aggregate",
    "aggregate_by",
    "coverage_by",
    "density_group",
    "weighted_medians",
]


@dataclass(frozen=True)
class Variable:
    """A per-commune value held in the indicators table."""

    id: str
    label: str
    kind: str  # "count" | "median" | "category"


# how each kind of indicator is computed, in words for people (exports write these, not the code's names)
KIND_LABELS = {"count": "effectif (somme)", "ratio": "taux (rapport des sommes)", "growth": "évolution annuelle moyenne",
               "median": "médiane"}


@dataclass(frozen=True)
class Indicator:
    """A value computed for any group of communes, with its aggregation rule."""

    id: str
    label: str
    unit: str
    kind: str  # "count" | "ratio" | "growth" | "median"
    theme: str
    numerator: str
    denominator: str | None = None
    scale: float = 1.0
    weight: str | None = None  # for medians: the weight of the approximate aggregate
    main: bool = False  # part of the disparity measures
    notes: str = ""

    @property
    def variables(self) -> tuple[str, ...]:
        names = [self.numerator] + ([self.denominator] if self.denominator else [])
        return tuple(names) + ((self.weight,) if self.weight else ())

    @property
    def approximate(self) -> bool:
        return self.kind == "median"


VARIABLES: dict[str, Variable] = {
    v.id: v
    for v in [
        Variable("population", "Population municipale (référence)", "count"),
        Variable("surface_km2", "Surface (km²)", "count"),
        Variable("surface_officielle_km2", "Superficie officielle publiée par l'INSEE (km²)", "count"),
        Variable("pop_rp", "Population (recensement, date récente)", "count"),
        Variable("pop_rp_ancienne", "Population (recensement, date ancienne)", "count"),
        Variable("menages", "Ménages", "count"),
        Variable("pop_1564", "Population de 15 à 64 ans", "count"),
        Variable("actifs_1564", "Actifs de 15 à 64 ans", "count"),
        Variable("chomeurs_1564", "Chômeurs de 15 à 64 ans", "count"),
        Variable("nb_menages_fisc", "Ménages fiscaux", "count"),
        Variable("nb_pers_menages_fisc", "Personnes des ménages fiscaux", "count"),
        Variable("med_niveau_vie", "Médiane du niveau de vie (€)", "median"),
        Variable("d1_niveau_vie", "1er décile du niveau de vie (€)", "median"),
        Variable("d9_niveau_vie", "9e décile du niveau de vie (€)", "median"),
        Variable("pers_pauvres", "Personnes sous le seuil de pauvreté (60 %)", "count"),
        Variable("pers_couv_pauvrete", "Personnes des ménages fiscaux où le taux de pauvreté est publié", "count"),
        Variable("emplois", "Emplois au lieu de travail", "count"),
        Variable("emplois_salaries", "Emplois salariés au lieu de travail", "count"),
        Variable("emplois_anciens", "Emplois au lieu de travail (date ancienne)", "count"),
        Variable("etab_total", "Établissements actifs (INSEE, CLAP/Flores)", "count"),
        Variable("etab_agriculture", "Établissements : agriculture", "count"),
        Variable("etab_industrie", "Établissements : industrie", "count"),
        Variable("etab_construction", "Établissements : construction", "count"),
        Variable("etab_commerce_services", "Établissements : commerce, transports, services", "count"),
        Variable("etab_admin_sante_social", "Établissements : administration, enseignement, santé, action sociale", "count"),
        Variable("logements", "Logements", "count"),
        Variable("logements_vacants", "Logements vacants", "count"),
        Variable("res_secondaires", "Résidences secondaires et logements occasionnels", "count"),
        Variable("densite_niveau", "Grille communale de densité (7 niveaux)", "category"),
        Variable("aav_categorie", "Catégorie de la commune dans le zonage en aires d'attraction des villes 2020", "category"),
    ]
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("population", "Population municipale", "habitants", "count", "Population", "population", main=False),
    Indicator("densite_pop", "Densité de population", "hab./km²", "ratio", "Population", "population", "surface_km2", main=True),
    Indicator("pop_rp", "Population au recensement", "habitants", "count", "Population", "pop_rp"),
    Indicator(
        "evol_pop", "Évolution annuelle moyenne de la population", "%/an", "growth", "Population",
        "pop_rp", "pop_rp_ancienne", scale=100.0, main=True,
    ),
    Indicator("part_1564", "Part des 15-64 ans", "%", "ratio", "Population", "pop_1564", "pop_rp", 100.0),
    Indicator("menages", "Ménages", "ménages", "count", "Population", "menages"),
    Indicator(
        "taille_menages", "Population par ménage (population totale / ménages)", "hab./ménage", "ratio", "Population", "pop_rp", "menages",
        notes="Pas la taille moyenne des ménages de l'INSEE (population des ménages / ménages) : les fichiers du comparateur ne "
              "publient pas la population des ménages ; la population totale compte aussi les personnes hors ménage "
              "(internats, maisons de retraite, casernes…), d'où une valeur un peu plus élevée.",
    ),
    Indicator("actifs_1564", "Actifs de 15 à 64 ans", "actifs", "count", "Emploi", "actifs_1564"),
    Indicator("chomeurs_1564", "Chômeurs de 15 à 64 ans", "chômeurs", "count", "Emploi", "chomeurs_1564"),
    Indicator(
        "taux_chomage", "Taux de chômage des 15-64 ans (recensement)", "%", "ratio", "Emploi",
        "chomeurs_1564", "actifs_1564", 100.0, main=True,
    ),
    Indicator("taux_activite", "Taux d'activité des 15-64 ans", "%", "ratio", "Emploi", "actifs_1564", "pop_1564", 100.0),
    Indicator("emplois", "Emplois au lieu de travail", "emplois", "count", "Emploi", "emplois"),
    Indicator(
        "evol_emplois", "Évolution annuelle moyenne de l'emploi", "%/an", "growth", "Emploi",
        "emplois", "emplois_anciens", scale=100.0,
    ),
    Indicator("part_emplois_salaries", "Part des emplois salariés", "%", "ratio", "Emploi", "emplois_salaries", "emplois", 100.0),
    Indicator(
        "med_niveau_vie", "Médiane du niveau de vie", "€/an", "median", "Revenus", "med_niveau_vie",
        weight="nb_pers_menages_fisc", main=True,
        notes="Publiée par l'INSEE pour un EPCI, un département, une région ou la France métropolitaine quand le millésime est "
              "celui des communes ; sinon estimée sur toutes les communes (mélange des distributions communales, voir la méthode).",
    ),
    Indicator(
        "taux_pauvrete", "Taux de pauvreté (seuil 60 %)", "%", "ratio", "Revenus", "pers_pauvres",
        "pers_couv_pauvrete", 100.0, main=True,
        notes="Publié par l'INSEE pour un EPCI, un département, une région ou la France métropolitaine quand le millésime est "
              "celui des communes ; sinon estimé sur toutes les communes (taux publiés, modèle ailleurs) : voir méthode et couverture.",
    ),
    Indicator("etab_total", "Établissements actifs", "établissements", "count", "Économie", "etab_total"),
    Indicator("part_etab_agriculture", "Part des établissements agricoles", "%", "ratio", "Économie", "etab_agriculture", "etab_total", 100.0),
    Indicator("part_etab_industrie", "Part des établissements industriels", "%", "ratio", "Économie", "etab_industrie", "etab_total", 100.0),
    Indicator(
        "part_etab_construction", "Part des établissements de la construction", "%", "ratio", "Économie",
        "etab_construction", "etab_total", 100.0,
    ),
    Indicator(
        "part_etab_commerce_services", "Part des établissements commerce, transports, services", "%", "ratio",
        "Économie", "etab_commerce_services", "etab_total", 100.0,
    ),
    Indicator(
        "part_etab_admin_sante_social", "Part des établissements administration, enseignement, santé, social", "%",
        "ratio", "Économie", "etab_admin_sante_social", "etab_total", 100.0,
    ),
    Indicator("logements", "Logements", "logements", "count", "Logement", "logements"),
    Indicator(
        "taux_logements_vacants", "Taux de logements vacants", "%", "ratio", "Logement", "logements_vacants",
        "logements", 100.0, main=True,
    ),
    Indicator("part_res_secondaires", "Part des résidences secondaires", "%", "ratio", "Logement", "res_secondaires", "logements", 100.0),
)

_BY_ID = {ind.id: ind for ind in INDICATORS}
_INDICATOR_IDS = [ind.id for ind in INDICATORS]

DENSITY_LEVELS: dict[int, str] = {
    1: "Grands centres urbains",
    2: "Centres urbains intermédiaires",
    3: "Petites villes",
    4: "Ceintures urbaines",
    5: "Bourgs ruraux",
    6: "Rural à habitat dispersé",
    7: "Rural à habitat très dispersé",
}
# INSEE's official 3-level grouping of the 7-level grid (urbain dense / intermédiaire / rural).
DENSITY_GROUPS: dict[int, str] = {1: "Urbain dense", 2: "Urbain intermédiaire", 3: "Urbain intermédiaire",
                                  4: "Urbain intermédiaire", 5: "Rural", 6: "Rural", 7: "Rural"}
AAV_CATEGORIES: dict[str, str] = {
    "11": "Commune-centre",
    "12": "Autre commune du pôle principal",
    "13": "Commune d'un pôle secondaire",
    "20": "Commune de la couronne",
    "30": "Commune hors attraction des villes",
}


def indicator(indicator_id: str) -> Indicator:
    """The catalogue entry for ``indicator_id`` (``KeyError`` names the unknown id)."""
    try:
        return _BY_ID[indicator_id]
    except KeyError:
        raise KeyError(f"Indicateur inconnu : {indicator_id}") from None


def density_group(level: float | int | None) -> str | None:
    """Official 3-level group of a 7-level density code (rural = levels 5 to 7)."""
    if level is None or pd.isna(level):
        return None
    return DENSITY_GROUPS.get(int(level))


def _group_codes(key: pd.Series, index: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Integer group of each row (-1 for a missing key) and the sorted group keys."""
    if not key.index.equals(index):
        key = key.reindex(index)
    codes, uniques = pd.factorize(key.to_numpy(dtype=object), sort=True)  # object array: 10x faster than Arrow strings here
    return codes, pd.Index(uniques, name=key.name, dtype=key.dtype)


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _columns(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The catalogue's variables present in ``table`` as float arrays, converted in one block."""
    position = {name: i for i, name in enumerate(table.columns)}  # plain dict: look-ups in an Arrow-string index cost ~0.2 ms
    names = [v for v in VARIABLES if v in position and VARIABLES[v].kind != "category"]
    if len(position) == len(table.columns) and all(dtype == np.float64 for dtype in table.dtypes):
        block = table.to_numpy(dtype="float64")[:, [position[v] for v in names]]  # the reference's table: its own block
    else:
        block = table[names].to_numpy(dtype="float64", na_value=np.nan)
    return {name: block[:, i] for i, name in enumerate(names)}


def _frame(columns: dict[str, np.ndarray], ids: list[str], index: pd.Index) -> pd.DataFrame:
    """One float column per id of ``ids`` (NaN where ``columns`` has none), as a single block: ~60 arrays given one by
    one cost more than their computation."""
    block = np.full((len(index), len(ids)), np.nan)
    for j, name in enumerate(ids):
        if name in columns:
            block[:, j] = columns[name]
    return pd.DataFrame(block, index=index, columns=ids)


def _group_sum(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Sum of the known values of each group; NaN for a group with none (pandas' ``min_count=1``)."""
    ok = (codes >= 0) & ~np.isnan(values)
    total = np.bincount(codes[ok], weights=values[ok], minlength=size)
    return np.where(np.bincount(codes[ok], minlength=size) > 0, total, np.nan)


def _group_sums(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """``_group_sum`` of every column of ``values`` at once: one ``bincount`` over (group, column) cells, fed row after row
    as the per-column ones are, where an unknown value adds 0.0 (leaving any sum unchanged): the same sums, bit for bit."""
    rows = codes >= 0
    values, codes = values[rows], codes[rows]
    width = values.shape[1]
    known = ~np.isnan(values)
    cells = (codes[:, None] * width + np.arange(width)).ravel()
    total = np.bincount(cells, weights=np.where(known, values, 0.0).ravel(), minlength=size * width).reshape(size, width)
    count = np.bincount(cells, weights=known.ravel(), minlength=size * width).reshape(size, width)
    return np.where(count > 0, total, np.nan)


def _group_weighted_medians(values: np.ndarray, weights: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Per group: the first value, in increasing order, at which the cumulated weight reaches half the total."""
    out = np.full(size, np.nan)
    ok = (codes >= 0) & ~np.isnan(values) & ~np.isnan(weights) & (weights > 0)
    if not ok.any():
        return out
    c, v, w = codes[ok], values[ok], weights[ok]
    order = np.lexsort((v, c))  # stable: by group, then value
    c, v, w = c[order], v[order], w[order]
    start = np.r_[0, np.flatnonzero(np.diff(c)) + 1]
    length = np.diff(np.r_[start, len(c)])
    within = pd.Series(w).groupby(c).cumsum().to_numpy()  # per group, from zero: exact whatever the groups before
    half = np.repeat(within[start + length - 1] / 2.0, length)
    rows = np.where(within >= half, np.arange(len(c)), len(c))
    out[c[start]] = v[np.minimum.reduceat(rows, start)]
    return out


def weighted_medians(values: pd.Series, weights: pd.Series, key: pd.Series) -> pd.Series:
    """Weighted median of ``values`` per group, vectorised (sort, cumulate, first half-crossing)."""
    codes, groups = _group_codes(key, values.index)
    medians = _group_weighted_medians(_floats(values), _floats(weights.reindex(values.index)), codes, len(groups))
    known = ~np.isnan(medians)
    return pd.Series(medians[known], index=groups[known], dtype="float64")


def _span(vintages: dict[str, dict] | None, newer: str, older: str) -> float | None:
    """Years between the two dates of a growth indicator, from the variables' vintages."""
    years = [(vintages or {}).get(v, {}).get("annee") for v in (newer, older)]
    if not all(years) or int(years[0]) <= int(years[1]):
        return None
    return float(int(years[0]) - int(years[1]))


def aggregate_by(table: pd.DataFrame, keys: pd.Series | str, vintages: dict[str, dict] | None = None) -> pd.DataFrame:
    """Indicators (columns) for each group of communes (rows).

    ``table`` holds per-commune variables; ``keys`` gives each commune's group (a column name or an
    aligned Series). A ratio sums its numerator and denominator over the communes where both are
    known, so a secret cell never biases it; coverage is reported separately (``coverage_by``).
    Computed with numpy group sums: a diagnostic calls this per request.
    """
    key = table[keys] if isinstance(keys, str) else keys
    codes, groups = _group_codes(key, table.index)
    size = len(groups)
    columns = _columns(table)
    out: dict[str, np.ndarray] = {}
    for ind in INDICATORS:
        if ind.kind == "median" and ind.numerator in columns and ind.weight in columns:
            out[ind.id] = _group_weighted_medians(columns[ind.numerator], columns[ind.weight], codes, size)
    counts = [ind for ind in INDICATORS if ind.kind == "count" and ind.numerator in columns]
    if counts:
        sums = _group_sums(np.column_stack([columns[ind.numerator] for ind in counts]), codes, size)
        out.update({ind.id: sums[:, j] for j, ind in enumerate(counts)})
    pairs = [ind for ind in INDICATORS if ind.kind in ("ratio", "growth") and ind.numerator in columns and ind.denominator in columns]
    if pairs:  # every ratio at once: numerator and denominator summed over the communes where both are known
        num = np.column_stack([columns[ind.numerator] for ind in pairs])
        den = np.column_stack([columns[ind.denominator] for ind in pairs])
        both = ~np.isnan(num) & ~np.isnan(den)
        num_sum = _group_sums(np.where(both, num, np.nan), codes, size)
        den_sum = _group_sums(np.where(both, den, np.nan), codes, size)
        den_sum = np.where(den_sum > 0, den_sum, np.nan)
        for j, ind in enumerate(pairs):
            if ind.kind == "ratio":
                out[ind.id] = num_sum[:, j] / den_sum[:, j] * ind.scale
            elif (span := _span(vintages, ind.numerator, ind.denominator)) is not None:
                out[ind.id] = ((num_sum[:, j] / den_sum[:, j]) ** (1.0 / span) - 1.0) * ind.scale
    return _frame(out, _INDICATOR_IDS, groups)


def coverage_by(table: pd.DataFrame, keys: pd.Series | str) -> pd.DataFrame:
    """Share of each group's population (reference) for which each indicator's inputs are known."""
    key = table[keys] if isinstance(keys, str) else keys
    codes, groups = _group_codes(key, table.index)
    size = len(groups)
    pop = np.nan_to_num(_floats(table["population"]), nan=0.0)
    total = _group_sum(pop, codes, size)
    total = np.where(total > 0, total, np.nan)
    known_rows = {v: ~np.isnan(values) for v, values in _columns(table).items()}
    measured = [ind for ind in INDICATORS if all(v in known_rows for v in ind.variables)]
    out = {ind.id: np.where(np.isnan(total), np.nan, 0.0) for ind in INDICATORS}
    if measured:  # the population whose inputs are known, every indicator at once
        known = np.column_stack([np.logical_and.reduce([known_rows[v] for v in ind.variables]) for ind in measured])
        shares = np.nan_to_num(_group_sums(np.where(known, pop[:, None], 0.0), codes, size), nan=0.0) / total[:, None]
        out.update({ind.id: shares[:, j] for j, ind in enumerate(measured)})
    return _frame(out, list(out), groups)


def aggregate(table: pd.DataFrame, vintages: dict[str, dict] | None = None) -> pd.Series:
    """Indicators of one group of communes (all rows of ``table``)."""
    key = pd.Series("territoire", index=table.index)
    result = aggregate_by(table, key, vintages)
    if result.empty:
        return pd.Series(np.nan, index=[i.id for i in INDICATORS], dtype="float64")
    return result.iloc[0]
