"""Rural/urban make-up of a territory from INSEE's communal density grid and the AAV 2020 zoning.

Shares of population and area are taken over whole communes. The heterogeneity index is the
normalised Shannon entropy of the population shares (Pielou's evenness): 0 when everybody lives
in one density level, 1 when the population is spread evenly over the 7 levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .fr_format import count, fr_percent
from .indicators import AAV_CATEGORIES, DENSITY_GROUPS, DENSITY_LEVELS

__all__ = ["RuralUrban", "rural_urban", "evenness", "RURAL_LEVELS"]

RURAL_LEVELS = (5, 6, 7)  # INSEE: levels 1-4 urban, 5-7 rural
_GROUP_ORDER = list(dict.fromkeys(DENSITY_GROUPS.values()))


@dataclass
class RuralUrban:
    """Population and area by density level, by 3-level group, by AAV category; rural vs urban shares."""

    available: bool
    levels: pd.DataFrame
    groups: pd.DataFrame
    aav: pd.DataFrame
    rural_share: float = float("nan")
    urban_share: float = float("nan")
    heterogeneity: float = float("nan")  # 7 levels
    heterogeneity_groups: float = float("nan")  # 3 groups
    known_share: float = 0.0  # share of the population whose density level is known
    notes: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {"part_population_rurale": self.rural_share, "part_population_urbaine": self.urban_share,
                "indice_heterogeneite_7_niveaux": self.heterogeneity, "indice_heterogeneite_3_groupes": self.heterogeneity_groups,
                "part_population_niveau_connu": self.known_share}


def evenness(shares: pd.Series | np.ndarray, categories: int) -> float:
    """Normalised Shannon entropy of ``shares`` over ``categories`` classes (0 = all in one, 1 = even)."""
    p = np.asarray(shares, dtype="float64")
    p = p[np.isfinite(p) & (p > 0)]
    if not len(p) or categories < 2:
        return float("nan")
    p = p / p.sum()
    return float(-(p * np.log(p)).sum() / np.log(categories))


def _shares(pos: np.ndarray, pop: np.ndarray, area: np.ndarray, order: list, labels: dict) -> pd.DataFrame:
    """Communes, population and area per category (``pos``: index in ``order``, -1 unknown); absent categories at 0."""
    ok = pos >= 0
    n = len(order)
    population = np.bincount(pos[ok], weights=pop[ok], minlength=n)
    surface = np.bincount(pos[ok], weights=area[ok], minlength=n)
    return pd.DataFrame({
        "libelle": [labels[k] for k in order], "communes": np.bincount(pos[ok], minlength=n),
        "population": population, "part_population": population / pop.sum() if pop.sum() > 0 else np.nan,
        "surface_km2": surface, "part_surface": surface / area.sum() if area.sum() > 0 else np.nan,
    }, index=pd.Index(order, name="code"))


def _positions(values: np.ndarray, codes: list[int]) -> np.ndarray:
    """Index of each numeric category code in ``codes`` (-1 when unknown or missing)."""
    lookup = np.full(max(codes) + 1, -1)
    lookup[codes] = np.arange(len(codes))
    known = np.isfinite(values) & (values >= 0) & (values <= max(codes)) & (values == np.round(values))
    return np.where(known, lookup[np.where(known, values, 0).astype(int)], -1)


def _floats(table: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def rural_urban(table: pd.DataFrame) -> RuralUrban:
    """Rural/urban figures of the communes in ``table`` (``population``, ``surface_km2``, optional grid and AAV columns)."""
    pop = np.nan_to_num(_floats(table, "population"), nan=0.0)
    area = np.nan_to_num(_floats(table, "surface_km2"), nan=0.0)
    notes: list[str] = []
    aav = pd.DataFrame()
    if "aav_categorie" in table and table["aav_categorie"].notna().any():
        categories = list(AAV_CATEGORIES)
        aav = _shares(_positions(_floats(table, "aav_categorie"), [int(c) for c in categories]), pop, area, categories, AAV_CATEGORIES)
    else:
        notes.append("Catégories du zonage en aires d'attraction des villes (AAV 2020) absentes des données chargées.")
    if "densite_niveau" not in table or table["densite_niveau"].isna().all():
        notes.append("Grille communale de densité absente des données chargées : répartition rurale/urbaine non calculable.")
        return RuralUrban(False, pd.DataFrame(), pd.DataFrame(), aav, notes=notes)
    level = _positions(_floats(table, "densite_niveau"), list(DENSITY_LEVELS))
    levels = _shares(level, pop, area, list(DENSITY_LEVELS), DENSITY_LEVELS)
    levels.insert(1, "groupe", [DENSITY_GROUPS[k] for k in levels.index])
    to_group = np.array([_GROUP_ORDER.index(DENSITY_GROUPS[k]) for k in DENSITY_LEVELS])
    groups = _shares(np.where(level >= 0, to_group[level], -1), pop, area, _GROUP_ORDER, {g: g for g in _GROUP_ORDER})
    total = pop.sum()
    known_share = float(pop[level >= 0].sum() / total) if total > 0 else 0.0
    if known_share < 1.0:
        unknown = int((level < 0).sum())
        notes.append(f"Niveau de densité inconnu pour {count(unknown, 'commune', 'communes')} ({fr_percent(1 - known_share, 1)} de la "
                     "population) : parts calculées sur toute la population, elles ne totalisent donc pas 100 %.")
    shares = levels["part_population"].to_numpy()
    rural = float(shares[[k - 1 for k in RURAL_LEVELS]].sum())
    urban = float(shares[[k - 1 for k in DENSITY_LEVELS if k not in RURAL_LEVELS]].sum())
    return RuralUrban(True, levels, groups, aav, rural, urban, evenness(levels["population"], len(DENSITY_LEVELS)),
                      evenness(groups["population"], len(_GROUP_ORDER)), known_share, notes)
