"""Rural/urban make-up of a territory from INSEE's communal density grid and the AAV 2020 zoning.

Shares of population and area are taken over whole communes. The heterogeneity index is the
normalised Shannon entropy of the population shares (Pielou's evenness): 0 when everybody lives
in one density level, 1 when the population is spread evenly over the 7 levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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


def _shares(key: pd.Series, pop: np.ndarray, area: np.ndarray, order: list, labels: dict) -> pd.DataFrame:
    """Communes, population and area per category of ``key``, in ``order`` (absent categories at 0)."""
    pos = pd.Index(order).get_indexer(key.to_numpy(dtype=object))
    ok = pos >= 0
    n = len(order)
    population = np.bincount(pos[ok], weights=pop[ok], minlength=n)
    surface = np.bincount(pos[ok], weights=area[ok], minlength=n)
    return pd.DataFrame({
        "libelle": [labels[k] for k in order], "communes": np.bincount(pos[ok], minlength=n),
        "population": population, "part_population": population / pop.sum() if pop.sum() > 0 else np.nan,
        "surface_km2": surface, "part_surface": surface / area.sum() if area.sum() > 0 else np.nan,
    }, index=pd.Index(order, name="code"))


def rural_urban(table: pd.DataFrame) -> RuralUrban:
    """Rural/urban figures of the communes in ``table`` (``population``, ``surface_km2``, optional grid and AAV columns)."""
    pop = np.nan_to_num(table["population"].to_numpy(dtype="float64", na_value=np.nan), nan=0.0)
    area = np.nan_to_num(table["surface_km2"].to_numpy(dtype="float64", na_value=np.nan), nan=0.0)
    notes: list[str] = []
    aav = pd.DataFrame()
    if "aav_categorie" in table and table["aav_categorie"].notna().any():
        cat = pd.to_numeric(table["aav_categorie"], errors="coerce").astype("Int64").astype("string")
        aav = _shares(cat, pop, area, list(AAV_CATEGORIES), AAV_CATEGORIES)
    else:
        notes.append("Catégories du zonage en aires d'attraction des villes (AAV 2020) absentes des données chargées.")
    if "densite_niveau" not in table or table["densite_niveau"].isna().all():
        notes.append("Grille communale de densité absente des données chargées : répartition rurale/urbaine non calculable.")
        return RuralUrban(False, pd.DataFrame(), pd.DataFrame(), aav, notes=notes)
    level = pd.to_numeric(table["densite_niveau"], errors="coerce").astype("Int64")
    known = level.notna()
    levels = _shares(level, pop, area, list(DENSITY_LEVELS), DENSITY_LEVELS)
    levels.insert(1, "groupe", [DENSITY_GROUPS[k] for k in levels.index])
    groups = _shares(level.map(DENSITY_GROUPS, na_action="ignore"), pop, area, _GROUP_ORDER, {g: g for g in _GROUP_ORDER})
    total = pop.sum()
    known_share = float(pop[known.to_numpy(dtype=bool)].sum() / total) if total > 0 else 0.0
    if known_share < 1.0:
        unknown = int((~known).sum())
        notes.append(f"Niveau de densité inconnu pour {unknown} commune(s) ({1 - known_share:.1%} de la population) : parts calculées "
                     "sur toute la population, elles ne totalisent donc pas 100 %.".replace("%)", " %)"))
    rural = float(levels.loc[list(RURAL_LEVELS), "part_population"].sum())
    urban = float(levels.loc[[k for k in DENSITY_LEVELS if k not in RURAL_LEVELS], "part_population"].sum())
    return RuralUrban(True, levels, groups, aav, rural, urban, evenness(levels["population"], len(DENSITY_LEVELS)),
                      evenness(groups["population"], len(_GROUP_ORDER)), known_share, notes)
