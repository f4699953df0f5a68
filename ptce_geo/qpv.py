"""The quartiers prioritaires de la politique de la ville (QPV 2024) of a territory.

A QPV is listed when one of the communes it lies on (``communes``, brought onto the reference geography)
is a member; it is « coupé » when one of them is not (a QPV may straddle communes). The ANCT contour
file carries no population: the population living in QPV is given only when a ``population`` column is
present (INSEE's population of each QPV, not read: the layout of INSEE's file could not be checked
here), summed over the QPV wholly inside, the cut ones listed apart and never split. The diagnostic
says « population en QPV : données absentes » otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from .codes import normalize_commune_codes
from .sources.qpv_files import QPV_ID

__all__ = ["QpvSummary", "territory_qpv", "read_qpv_table", "qpv_warnings", "ABSENT", "NO_POPULATION"]

ABSENT = ("QPV : données absentes. Pour les obtenir : python -m ptce_geo data update --only qpv "
          "(contours 2024 des quartiers prioritaires, ANCT)")
NO_POPULATION = ("population en QPV : données absentes (le fichier des contours de l'ANCT ne la porte pas ; l'INSEE la publie "
                 "dans « Données sur les quartiers 2024 de la politique de la ville », fichier que l'application ne lit pas encore)")


@dataclass
class QpvSummary:
    """The QPV of a territory: one row per QPV (code_qp, nom, code_commune, coupe), the population of the QPV wholly
    inside when known (the cut ones are not split)."""

    table: pd.DataFrame
    population: float | None
    vintage: str

    @property
    def count(self) -> int:
        return len(self.table)

    @property
    def cut(self) -> int:
        return int(self.table["coupe"].sum())


def _to_reference(codes: pd.Series, reference: pd.Index, passage: pd.DataFrame) -> pd.Series:
    lookup = passage.set_index("code_ancien")["code_actuel"] if len(passage) else pd.Series(dtype=str)
    target = codes.where(codes.isin(reference), codes.map(lookup))
    return target.where(target.isin(reference))


def qpv_warnings(table: pd.DataFrame, reference: pd.Index, passage: pd.DataFrame | None, origin: str) -> list[str]:
    """A build warning naming the file when QPV are attached to commune codes the reference does not know."""
    passage = passage if passage is not None else pd.DataFrame({"code_ancien": [], "code_actuel": []})
    unknown = table.loc[_to_reference(table["code_commune"], reference, passage).isna(), "code_commune"]
    if unknown.empty:
        return []
    return [f"{origin} : {len(unknown)} QPV rattachés à des codes commune inconnus de la géographie de référence, ignorés "
            f"(ex. {', '.join(unknown.astype(str).unique()[:5])})."]


def read_qpv_table(gen) -> gpd.GeoDataFrame | None:
    """The QPV kept in the cache generation ``gen`` (``None`` when no QPV file was imported or downloaded)."""
    path = gen.source_path(QPV_ID)
    return gen.read(QPV_ID, path, geo=True) if path.exists() else None


def _membership(qpv: gpd.GeoDataFrame, members: pd.Index, passage: pd.DataFrame) -> pd.DataFrame:
    """Per QPV: whether any / every commune it lies on is a member (the attached commune when no list is given)."""
    lists = qpv["communes"] if "communes" in qpv.columns else qpv["code_commune"]
    codes = lists.fillna("").astype(str).str.split(",").explode()
    known = _to_reference(normalize_commune_codes(codes.str.strip()).astype(object), members, passage).notna()
    grouped = known.groupby(level=0)
    return pd.DataFrame({"any": grouped.any(), "all": grouped.all()}).reindex(qpv.index, fill_value=False)


def territory_qpv(qpv: gpd.GeoDataFrame | None, members: pd.Index, passage: pd.DataFrame, vintage: str = "") -> QpvSummary | None:
    """The QPV lying on a member commune of the territory; ``None`` when no QPV data is loaded."""
    if qpv is None:
        return None
    membership = _membership(qpv, members, passage)
    attached = _to_reference(qpv["code_commune"], members, passage)
    keep = membership["any"] | attached.notna()
    inside = qpv[keep].assign(code_commune=attached[keep].fillna(qpv["code_commune"][keep]),
                              coupe=~(membership["all"][keep] & attached[keep].notna()))
    whole = inside[~inside["coupe"]]
    population = float(whole["population"].sum()) if "population" in inside.columns else None
    table = pd.DataFrame(inside[["code_qp", "nom", "code_commune", "coupe"]]).sort_values("code_qp").reset_index(drop=True)
    return QpvSummary(table, population, vintage)
