"""Zoning tables of a cache generation: each reference commune's zone in every zoning, and the zones' names.

Built with the cache from the chosen ``zonage_*`` and ``noms_*`` datasets: codes of an older geography
go through the passage table (a merged commune takes the zone of the part that kept its code, else of
the first part); commune codes unknown to the reference, and zone codes without a name, are reported
as build warnings naming the file. A cache built without zoning files has empty tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["ZONING_IDS", "zoning_tables", "write_zonings", "read_zonings", "ZONINGS_FILE", "ZONE_NAMES_FILE"]

ZONING_IDS = ("bv2022", "ze2020", "aav2020", "frr")
ZONINGS_FILE, ZONE_NAMES_FILE = "zonages", "zonages_noms"


def _examples(values) -> str:
    return ", ".join(map(str, list(values)[:5]))


def _to_reference(table: pd.DataFrame, reference: pd.Index, passage: pd.DataFrame | None) -> tuple[pd.Series, list[str]]:
    """Zone code by reference commune, and the commune codes that could not be placed."""
    codes = table["code_commune"]
    lookup = passage.set_index("code_ancien")["code_actuel"] if passage is not None and len(passage) else pd.Series(dtype=str)
    direct = codes.isin(reference)
    target = codes.where(direct, codes.map(lookup))
    target = target.where(target.isin(reference))
    unknown = sorted(codes[target.isna()].astype(str))
    work = pd.DataFrame({"target": target, "own": direct, "code_zone": table["code_zone"]})[target.notna()]
    work = work.sort_values("own", ascending=False, kind="stable").drop_duplicates("target")
    return work.set_index("target")["code_zone"].reindex(reference), unknown


def zoning_tables(chosen: dict, reference: pd.Index, passage: pd.DataFrame | None,
                  warnings: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(zone of each reference commune per zoning, zone names) from the chosen datasets; problems go to ``warnings``."""
    zonings = pd.DataFrame(index=reference)
    names = []
    for zoning in ZONING_IDS:
        if f"zonage_{zoning}" not in chosen:
            continue
        ds = chosen[f"zonage_{zoning}"][0]
        zone, unknown = _to_reference(ds.table, reference, passage)
        if unknown:
            warnings.append(f"{ds.origin} : {len(unknown)} codes commune inconnus de la géographie de référence ignorés "
                            f"pour le zonage {zoning} (ex. {_examples(unknown)}).")
        zonings[zoning] = zone.astype("string")
        named = chosen[f"noms_{zoning}"][0].table if f"noms_{zoning}" in chosen else pd.DataFrame({"code": [], "nom": []})
        nameless = sorted(set(zone.dropna()) - set(named["code"]))
        if nameless:
            warnings.append(f"{ds.origin} : {len(nameless)} codes de zone sans nom dans la liste des zones pour le zonage {zoning} "
                            f"(ex. {_examples(nameless)}) : ils sont affichés sous leur code.")
        names.append(named.assign(zonage=zoning)[["zonage", "code", "nom"]])
    zonings.index.name = "code_commune"
    frame = pd.concat(names, ignore_index=True) if names else pd.DataFrame({"zonage": [], "code": [], "nom": []}, dtype="string")
    return zonings, frame.astype("string")


def write_zonings(gen, chosen: dict, reference: pd.Index, warnings: list[str]) -> None:
    """Write both zoning tables into the cache generation ``gen``."""
    passage = chosen["passage"][0].table if "passage" in chosen else None
    zonings, names = zoning_tables(chosen, reference, passage, warnings)
    gen.write(ZONINGS_FILE, zonings)
    gen.write(ZONE_NAMES_FILE, names)


def read_zonings(gen) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both zoning tables of ``gen``; empty for a cache built before zonings existed."""
    path: Path = gen.path(ZONINGS_FILE)
    if not path.exists():
        return pd.DataFrame(), pd.DataFrame({"zonage": [], "code": [], "nom": []}, dtype="string")
    return gen.read(ZONINGS_FILE), gen.read(ZONE_NAMES_FILE)
