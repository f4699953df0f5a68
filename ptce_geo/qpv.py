"""The quartiers prioritaires de la politique de la ville (QPV 2024) of a territory, and the population living in them.

A QPV is listed when one of the communes it lies on (``communes``, brought onto the reference geography)
is a member; it is « coupé » when one of them is not (a QPV may straddle communes). The ANCT contour
file carries no population: it comes from a table of the population of each QPV imported apart
(``sources.qpv_population``, joined on ``code_qp``). The population in QPV sums the QPV wholly inside;
the cut ones are listed apart and never split (the share of a QPV's inhabitants on each side is not
known). A QPV on two member communes is one row, counted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .codes import normalize_commune_codes
from .fr_format import count, fr_int, fr_percent, plural
from .sources.qpv_files import QPV_ID
from .sources.qpv_population import QPV_POPULATION_ID

__all__ = ["QpvSummary", "Placement", "territory_qpv", "qpv_summary", "read_qpv_table", "qpv_warnings", "population_warnings", "absent_message",
           "qpv_sentences", "synthesis_rows", "ABSENT", "NO_POPULATION", "CONTOURS_NEEDED"]

ABSENT = ("QPV : données absentes. Pour les obtenir : python -m ptce_geo data update --only qpv "
          "(contours 2024 des quartiers prioritaires, ANCT)")
NO_POPULATION = ("population en QPV : données absentes (le fichier des contours de l'ANCT ne la porte pas ; l'INSEE la publie "
                 "dans « Données sur les quartiers 2024 de la politique de la ville » : en tirer une table code du QPV ; population "
                 "(CSV ou XLSX) et l'importer avec python -m ptce_geo data import FICHIER --millesime ANNÉE)")
CONTOURS_NEEDED = ("les contours des QPV sont nécessaires pour placer les quartiers dans les communes : "
                   "python -m ptce_geo data update --only qpv")


@dataclass
class QpvSummary:
    """The QPV of a territory: one row per QPV (code_qp, nom, code_commune, code_epci, coupe, population), the population of
    the QPV wholly inside when a population table is loaded (the cut ones are not split), its source and vintage."""

    table: pd.DataFrame
    population: float | None
    vintage: str
    population_source: str = ""
    population_vintage: str = ""
    territory_population: float = float("nan")

    @property
    def count(self) -> int:
        return len(self.table)

    @property
    def cut(self) -> int:
        return int(self.table["coupe"].sum())

    @property
    def share(self) -> float:
        """Population in QPV wholly inside / population of the territory (NaN without population data)."""
        if self.population is None or not self.territory_population > 0:
            return float("nan")
        return self.population / self.territory_population

    @property
    def unknown(self) -> list[str]:
        """QPV wholly inside whose population the loaded table does not give (left out of the sum)."""
        if self.population is None:
            return []
        whole = self.table[~self.table["coupe"]]
        return whole.loc[whole["population"].isna(), "code_qp"].tolist()

    def by_epci(self) -> pd.DataFrame:
        """Per EPCI part (the EPCI of the commune each QPV is attached to): quartiers, coupés, population of the whole ones."""
        table = self.table.assign(entier=~self.table["coupe"],
                                  population_entiers=self.table["population"].where(~self.table["coupe"]))
        out = table.groupby("code_epci", sort=True).agg(quartiers=("code_qp", "size"), coupes=("coupe", "sum"),
                                                        population=("population_entiers", "sum"))
        if self.population is None:
            out["population"] = float("nan")
        return out


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
    """The QPV kept in the cache generation ``gen`` (``None`` when no QPV file was imported or downloaded), with a
    ``population`` column when a table of the population of each QPV was imported too."""
    path = gen.source_path(QPV_ID)
    if not path.exists():
        return None
    qpv = gen.read(QPV_ID, path, geo=True)
    population = gen.source_path(QPV_POPULATION_ID)
    if population.exists():
        values = gen.read(QPV_POPULATION_ID, population).set_index("code_qp")["population"]
        qpv = qpv.assign(population=qpv["code_qp"].map(values).astype("float64"))
    return qpv


def population_warnings(population: pd.DataFrame, contours: pd.DataFrame | None, origin: str) -> list[str]:
    """Build warnings of a QPV population table: contours absent (kept, but nothing to place), codes the contours do not
    know (ignored), QPV of the contours the table leaves without population."""
    if contours is None:
        return [f"{origin} : table de population des QPV gardée, mais {CONTOURS_NEEDED}."]
    known = pd.Index(contours["code_qp"])
    unknown = population.loc[~population["code_qp"].isin(known), "code_qp"]
    out = []
    if len(unknown):
        out.append(f"{origin} : {len(unknown)} codes de QPV inconnus des contours des QPV (ANCT) ignorés "
                   f"(ex. {', '.join(unknown.astype(str)[:5])}).")
    missing = known.difference(population["code_qp"])
    if len(missing):
        out.append(f"{origin} : {len(missing)} QPV des contours sans population dans la table (ex. {', '.join(missing[:5])}) : "
                   "hors de la somme de la population en QPV.")
    return out


def absent_message(ref) -> str:
    """Why no QPV are shown: no contours; a population table imported alone is said to be kept, waiting for them."""
    entry = ref.dataset(QPV_POPULATION_ID)
    if not entry:
        return ABSENT
    return f"{ABSENT}. La table de population des QPV importée ({entry['fichier']}) est gardée : {CONTOURS_NEEDED}."


@dataclass(frozen=True)
class Placement:
    """Where the QPV lie, on the reference geography, independent of any territory (computed once per reference): each
    listed commune's code with the position of its QPV, and each QPV's attached commune (``None`` when unknown)."""

    listed: pd.Series  # reference code of each listed commune (NaN when unknown), aligned with ``rows``
    rows: np.ndarray  # position of the QPV of each listed commune
    attached: pd.Series  # reference code of each QPV's attached commune (NaN when unknown), by position

    @classmethod
    def of(cls, qpv: gpd.GeoDataFrame, reference: pd.Index, passage: pd.DataFrame) -> Placement:
        lists = (qpv["communes"] if "communes" in qpv.columns else qpv["code_commune"]).reset_index(drop=True)
        codes = lists.fillna("").astype(str).str.split(",").explode()
        listed = _to_reference(normalize_commune_codes(codes.str.strip()).astype(object), reference, passage)
        attached = _to_reference(qpv["code_commune"].reset_index(drop=True).astype(object), reference, passage)
        return cls(listed.reset_index(drop=True), codes.index.to_numpy(dtype="int64"), attached)


def territory_qpv(qpv: gpd.GeoDataFrame | None, members: pd.Index, passage: pd.DataFrame, vintage: str = "",
                  epci: pd.Series | None = None, placement: Placement | None = None) -> QpvSummary | None:
    """The QPV lying on a member commune of the territory; ``None`` when no QPV data is loaded. ``epci``: the EPCI of each
    member commune (index = commune code), to split the figures per EPCI part; ``placement``: ``Placement.of(qpv, the
    reference's communes, passage)`` kept with the reference (else computed on the members)."""
    if qpv is None:
        return None
    placement = placement if placement is not None else Placement.of(qpv, members, passage)
    member = placement.listed.isin(members).to_numpy()
    on_members = np.bincount(placement.rows, weights=member, minlength=len(qpv))
    listed = np.bincount(placement.rows, minlength=len(qpv))
    attached = placement.attached.where(placement.attached.isin(members))
    keep = (on_members > 0) | attached.notna().to_numpy()
    whole = (on_members == listed) & attached.notna().to_numpy()
    known = "population" in qpv.columns
    commune = attached[keep].fillna(pd.Series(qpv["code_commune"].to_numpy(dtype=object)[keep], index=attached.index[keep]))
    table = pd.DataFrame({
        "code_qp": qpv["code_qp"].to_numpy(dtype=object)[keep], "nom": qpv["nom"].to_numpy(dtype=object)[keep],
        "code_commune": commune.to_numpy(dtype=object),
        "code_epci": commune.map(epci).to_numpy(dtype=object) if epci is not None else None, "coupe": ~whole[keep],
        "population": qpv["population"].to_numpy(dtype="float64")[keep] if known else np.nan,
    }).sort_values("code_qp").reset_index(drop=True)
    population = float(table.loc[~table["coupe"], "population"].sum()) if known else None
    return QpvSummary(table, population, vintage)


def qpv_summary(ref, communes: pd.DataFrame) -> QpvSummary | None:
    """The QPV of the territory whose member communes are ``communes`` (``code_epci``, ``population``), with the source and
    vintage of the population table and the territory's population for the share; ``None`` without QPV contours."""
    if ref.qpv is None:
        return None
    placement = ref.derived("qpv_placement", lambda: Placement.of(ref.qpv, ref.communes.index, ref.passage))
    summary = territory_qpv(ref.qpv, communes.index, ref.passage, ref.dataset(QPV_ID).get("millesime", ""),
                            communes["code_epci"], placement)
    entry = ref.dataset(QPV_POPULATION_ID)
    if entry and summary.population is not None:
        summary.population_source = f"{entry['libelle']} ; fichier {Path(entry['fichier']).name}"
        summary.population_vintage = entry["millesime"]
    summary.territory_population = float(communes["population"].sum())
    return summary


def qpv_sentences(summary: QpvSummary) -> list[str]:
    """What the app, ``sources.md`` and the dossier say of the QPV of a territory, in French, one place: quartiers and
    cut ones; population in QPV and its share, the cut ones' population not counted and said so; source and vintage."""
    cut = f", dont {count(summary.cut, 'coupé', 'coupés')} par le territoire" if summary.cut else ""
    out = [f"{summary.vintage} : {count(summary.count, 'quartier prioritaire', 'quartiers prioritaires')} dans le territoire{cut}."]
    if summary.population is None:
        return [*out, f"{NO_POPULATION[0].upper()}{NO_POPULATION[1:]}."]
    cut_codes = summary.table.loc[summary.table["coupe"], "code_qp"].tolist()
    text = (f"Population en QPV : {fr_int(summary.population)} habitants, {fr_percent(summary.share, 1)} de la population du "
            "territoire (quartiers entièrement dans le territoire)")
    if cut_codes:
        text += (f" ; {count(len(cut_codes), 'quartier coupé', 'quartiers coupés')} non {plural(len(cut_codes), 'compté', 'comptés')}"
                 f" ({', '.join(cut_codes)}) : à cheval sur une commune hors du territoire, leur population n'est pas répartie")
    out.append(text + ".")
    if summary.unknown:
        out.append(f"Population inconnue dans la table pour {count(len(summary.unknown), 'quartier', 'quartiers')} du territoire "
                   f"({', '.join(summary.unknown[:10])}) : hors de la somme.")
    out.append(f"Source de la population : {summary.population_source} ({summary.population_vintage}).")
    return out


def synthesis_rows(summary: QpvSummary | None) -> pd.DataFrame:
    """The two rows ``synthese.csv`` gives the QPV (population in QPV, its share in % of the territory's), in its columns;
    not available (with the reason in ``note``) without contours or without a population table."""
    known = summary is not None and summary.population is not None
    cut = summary.table.loc[summary.table["coupe"], "code_qp"].tolist() if summary is not None else []
    note = (ABSENT if summary is None else f"{NO_POPULATION[0].upper()}{NO_POPULATION[1:]}" if not known else
            "Quartiers entièrement dans le territoire" + (f" ; coupés, non comptés : {', '.join(cut)}" if cut else "")
            + (f" ; population inconnue : {', '.join(summary.unknown)}" if summary.unknown else ""))
    common = {"theme": "Zonages", "approximatif": False, "disponible": known, "couverture": 1.0 if known else 0.0,
              "methode": "calculé" if known else "", "source": summary.population_source if known else "",
              "millesime": f"{summary.population_vintage} ; contours {summary.vintage}" if known else "", "note": note}
    return pd.DataFrame([
        {"indicateur": "population_qpv", "libelle": "Population en QPV", "unite": "habitants", "type": "effectif (somme)",
         "valeur_territoire": summary.population if known else float("nan"), **common},
        {"indicateur": "part_population_qpv", "libelle": "Part de la population en QPV", "unite": "%",
         "type": "taux (rapport des sommes)", "valeur_territoire": 100 * summary.share if known else float("nan"), **common},
    ])
