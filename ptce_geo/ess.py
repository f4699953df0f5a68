"""The weight of the social and solidarity economy (ESS) in a territory, from INSEE's Sirene stock.

Counts are active establishments (``etatAdministratifEtablissement == "A"``) of legal units flagged ESS
by INSEE (``economieSocialeSolidaireUniteLegale == "O"``), by family (legal category), NAF rev. 2
section, employer status and size band; each share is over **all** active establishments of the same
place (and, by section, over the active establishments of that section). Levels: the territory, each
EPCI part inside it, the départements and régions it touches, France. Sirene commune codes go through
the passage table (arrondissements municipaux onto Paris, Lyon, Marseille; older codes onto their commune).
The figures were only checked on generated files in INSEE's layout, never on the real stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .reference import Reference
from .sources.sirene import FAMILIES, SIZE_BANDS, SireneStore

__all__ = ["commune_counts", "EssWeight", "ess_weight", "ABSENT", "UNCHECKED", "DIMENSIONS"]

ABSENT = ("Sirene : données absentes — aucun chiffre de l'ESS. Pour les obtenir : python -m ptce_geo data update --only sirene "
          "(stocks Sirene de l'INSEE, environ 3 Go à télécharger)")
UNCHECKED = ("Chiffres de l'ESS calculés depuis le stock Sirene (établissements actifs des unités légales « ESS » de l'INSEE) ; "
             "la chaîne de calcul n'a été vérifiée que sur des fichiers générés au format officiel, pas sur le stock réel.")
DIMENSIONS = {"famille": "Famille", "section": "Section d'activité (NAF rév. 2)", "employeur": "Employeur", "tranche": "Effectif salarié"}


def _reference_codes(codes: pd.Series, ref: Reference) -> pd.Series:
    lookup = ref.passage.set_index("code_ancien")["code_actuel"] if len(ref.passage) else pd.Series(dtype=str)
    known = codes.isin(ref.communes.index)
    target = codes.where(known, codes.map(lookup))
    return target.where(target.isin(ref.communes.index))


def commune_counts(store: SireneStore, ref: Reference) -> pd.DataFrame:
    """One row per reference commune: ``actifs``, ``actifs|section|X``, ``ess`` and ``ess|<dimension>|<category>`` counts."""
    totals = store.totals.assign(code_commune=_reference_codes(store.totals["code_commune"], ref)).dropna(subset=["code_commune"])
    ess = store.ess.assign(code_commune=_reference_codes(store.ess["code_commune"], ref)).dropna(subset=["code_commune"])
    parts = [totals.groupby("code_commune")["n"].sum().rename("actifs"),
             totals.pivot_table(index="code_commune", columns="section", values="n", aggfunc="sum").add_prefix("actifs|section|"),
             ess.groupby("code_commune")["n"].sum().rename("ess")]
    for dimension in DIMENSIONS:
        parts.append(ess.pivot_table(index="code_commune", columns=dimension, values="n", aggfunc="sum").add_prefix(f"ess|{dimension}|"))
    return pd.concat(parts, axis=1).reindex(ref.communes.index).fillna(0).astype("int64")


@dataclass
class EssWeight:
    """Counts per level (rows: niveau, code, nom) and the shares derived from them."""

    counts: pd.DataFrame  # index: level label; columns as in ``commune_counts`` plus niveau, code, nom
    vintage: str

    def overview(self) -> pd.DataFrame:
        """Per level: active establishments, ESS establishments, ESS share."""
        out = self.counts[["niveau", "code", "nom", "actifs", "ess"]].copy()
        out["part_ess"] = (out["ess"] / out["actifs"]).where(out["actifs"] > 0)
        return out

    def by(self, dimension: str) -> pd.DataFrame:
        """Long table: level, category, ESS count, share of the level's active establishments (by section: of that section's)."""
        rows = []
        prefix = f"ess|{dimension}|"
        for label, row in self.counts.iterrows():
            for column in [c for c in self.counts.columns if c.startswith(prefix)]:
                category = column[len(prefix):]
                base = row.get(f"actifs|section|{category}", 0) if dimension == "section" else row["actifs"]
                rows.append({"niveau": label, "categorie": category, "libelle": _label(dimension, category), "ess": int(row[column]),
                             "base": int(base), "part": row[column] / base if base else float("nan")})
        return pd.DataFrame(rows, columns=["niveau", "categorie", "libelle", "ess", "base", "part"])


def _label(dimension: str, category: str) -> str:
    if dimension == "famille":
        return FAMILIES.get(category, category)
    if dimension == "tranche":
        return SIZE_BANDS.get(category, category)
    if dimension == "employeur":
        return {"oui": "employeur", "non": "non employeur", "inconnu": "non renseigné"}.get(category, category)
    return "section inconnue ou ancienne nomenclature" if category == "?" else f"section {category}"


def _levels(ref: Reference, members: pd.Index) -> list[tuple[str, str, str, pd.Index]]:
    communes = ref.communes
    inside = communes.loc[members]
    levels = [("territoire", "", "Territoire", members)]
    for code, part in inside.groupby("code_epci").groups.items():
        name = ref.epci["nom"].get(code, code) if "nom" in ref.epci.columns else code
        levels.append(("epci", str(code), f"{name} (partie)", pd.Index(part)))
    for code in sorted(inside["code_dep"].dropna().unique()):
        levels.append(("departement", code, str(ref.departements["nom"].get(code, code)), communes.index[communes["code_dep"] == code]))
    for code in sorted(inside["code_reg"].dropna().unique()):
        levels.append(("region", code, str(ref.regions["nom"].get(code, code)), communes.index[communes["code_reg"] == code]))
    levels.append(("france", "", "France", communes.index))
    return levels


def ess_weight(counts: pd.DataFrame | None, ref: Reference, members: pd.Index, vintage: str = "") -> EssWeight | None:
    """ESS counts of the territory (``members``), its EPCI parts and its comparators; ``None`` without Sirene data."""
    if counts is None:
        return None
    rows, labels = [], []
    for level, code, name, communes in _levels(ref, members):
        summed = counts.loc[communes].sum()
        rows.append(pd.concat([pd.Series({"niveau": level, "code": code, "nom": name}), summed]))
        labels.append(name if level != "territoire" else "Territoire")
    return EssWeight(pd.DataFrame(rows, index=labels), vintage)
