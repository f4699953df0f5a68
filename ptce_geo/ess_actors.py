"""ESS establishments of a territory (Sirene), those missing from the actors' inventory, and what a SIRET tells of an actor.

An establishment is « in the inventory » when an actor carries its SIRET or its unit's SIREN (column
``siret``, when the inventory has one), or bears the same name once accents, case, punctuation and the
usual legal words (association, SCOP, SCIC…) are set aside. Only ESS establishments are kept from Sirene:
a SIRET outside that list is reported as such, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from .reference import Reference
from .sources.sirene import FAMILIES

__all__ = ["territory_establishments", "missing_from_inventory", "from_siret", "normalised_name"]

_LEGAL_WORDS = re.compile(r"\b(association|asso|assoc|scop|scic|sarl|sas|sa|cooperative|cooperatif|mutuelle|fondation|"
                          r"de|du|des|la|le|les|l|d|et)\b")
# legal category -> the inventory's type_structure (the other ESS families: « entreprise de l'ESS »)
_SCOP = {"5458", "5558", "5658"}
_TYPES = {"associations": "association", "cooperatives": "autre coopérative"}


def normalised_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_LEGAL_WORDS.sub(" ", text).split())


def territory_establishments(listing: pd.DataFrame, ref: Reference, members: pd.Index) -> pd.DataFrame:
    """The listed ESS establishments located in a member commune (Sirene codes through the passage table)."""
    if listing.empty:
        return listing
    lookup = ref.passage.set_index("code_ancien")["code_actuel"] if len(ref.passage) else pd.Series(dtype=str)
    codes = listing["code_commune"].where(listing["code_commune"].isin(ref.communes.index), listing["code_commune"].map(lookup))
    inside = listing.assign(code_commune=codes)[codes.isin(members).to_numpy()]
    return inside.reset_index(drop=True)


def missing_from_inventory(establishments: pd.DataFrame, actors: pd.DataFrame | None) -> pd.DataFrame:
    """The establishments no actor matches (by SIRET, SIREN or normalised name), with their family label."""
    if establishments.empty:
        return establishments
    known_names = set() if actors is None or "nom" not in actors else {normalised_name(n) for n in actors["nom"].dropna()}
    known_ids = set()
    if actors is not None and "siret" in actors:
        ids = actors["siret"].dropna().astype(str).str.replace(r"\D", "", regex=True)
        known_ids = set(ids) | set(ids.str[:9])
    names = establishments["nom"].fillna("").map(normalised_name)
    matched = establishments["siret"].isin(known_ids) | establishments["siren"].isin(known_ids) | (names.ne("") & names.isin(known_names))
    out = establishments[~matched.to_numpy()].copy()
    out["famille_libelle"] = out["famille"].map(FAMILIES).fillna(out["famille"])
    return out.reset_index(drop=True)


def from_siret(siret: str, listing: pd.DataFrame) -> dict | None:
    """``type_structure``, ``forme_juridique`` and ``ess`` of the actor whose SIRET is ``siret``; ``None`` when Sirene's ESS
    list does not hold it (not ESS, closed, or Sirene not loaded)."""
    digits = re.sub(r"\D", "", str(siret))
    if len(digits) != 14 or listing.empty:
        return None
    rows = listing[listing["siret"] == digits]
    if rows.empty:
        return None
    row = rows.iloc[0]
    category = str(row.get("categorie_juridique", ""))
    structure = "SCOP" if category in _SCOP else _TYPES.get(row["famille"], "entreprise de l'ESS")
    return {"type_structure": structure, "forme_juridique": f"{FAMILIES.get(row['famille'], row['famille'])} "
            f"(catégorie juridique INSEE {category})", "ess": "oui", "nom": row.get("nom", ""), "code_commune": row["code_commune"]}
