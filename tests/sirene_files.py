"""Sirene stock files in INSEE's official layout, generated (no real Sirene file is available here).

Headers are those of INSEE's documentation of the stock files (« Description des fichiers du stock
Sirene », StockUniteLegale and StockEtablissement, 2024-2025 layout with the NAF 2025 columns):
every column present in the official order, UTF-8, ``,``-separated, one zip holding one CSV, codes as
text (leading zeros kept), empty cells for missing values. Used by the tests and by ``bench/bench_sirene.py``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["UNIT_HEADER", "ESTABLISHMENT_HEADER", "units_frame", "establishments_frame", "write_zip", "write_parquet"]

UNIT_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,sexeUniteLegale,"
    "prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,pseudonymeUniteLegale,"
    "identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,"
    "nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,"
    "nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,"
    "denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale").split(",")
ESTABLISHMENT_HEADER = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,"
    "etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,numeroVoieEtablissement,"
    "indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,"
    "typeVoieEtablissement,libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,codeCedexEtablissement,"
    "libelleCedexEtablissement,codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,"
    "coordonneeLambertAbscisseEtablissement,coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,"
    "numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,"
    "codePostal2Etablissement,libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,codePaysEtranger2Etablissement,"
    "libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,"
    "enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement").split(",")

_CATEGORIES = np.array(["9220", "9220", "9220", "9230", "9300", "8210", "5458", "6317", "5710", "5499", "1000", "5710"])
_NAF = np.array(["88.99B", "94.99Z", "85.59A", "56.10A", "47.11B", "01.11Z", "43.21A", "62.01Z", "86.21Z", "90.01Z", "68.20A", "10.71C"])
_TRANCHES = np.array(["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "", "53"])


def units_frame(n: int, seed: int = 0, ess_share: float = 0.25) -> pd.DataFrame:
    """``n`` legal units (siren 100000000 + i) in the official column order; about ``ess_share`` flagged ESS (« O »)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame("", index=range(n), columns=UNIT_HEADER)
    frame["siren"] = np.char.zfill((100_000_000 + np.arange(n)).astype(str), 9)
    frame["statutDiffusionUniteLegale"] = "O"
    frame["categorieJuridiqueUniteLegale"] = rng.choice(_CATEGORIES, n)
    frame["economieSocialeSolidaireUniteLegale"] = np.where(rng.random(n) < ess_share, "O", np.where(rng.random(n) < 0.5, "N", ""))
    frame["denominationUniteLegale"] = np.char.add("UNITE ", np.arange(n).astype(str))
    frame["etatAdministratifUniteLegale"] = "A"
    frame["nombrePeriodesUniteLegale"] = "1"
    return frame


def establishments_frame(n: int, units: int, communes: list[str], seed: int = 1) -> pd.DataFrame:
    """``n`` establishments of the first ``units`` legal units, spread over ``communes``, in the official column order."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame("", index=range(n), columns=ESTABLISHMENT_HEADER)
    siren = 100_000_000 + rng.integers(0, units, n)
    nic = np.char.zfill((rng.integers(1, 99_999, n)).astype(str), 5)
    frame["siren"] = siren.astype(str)
    frame["nic"] = nic
    frame["siret"] = np.char.add(siren.astype(str), nic)
    frame["statutDiffusionEtablissement"] = "O"
    frame["trancheEffectifsEtablissement"] = rng.choice(_TRANCHES, n)
    frame["nombrePeriodesEtablissement"] = "1"
    frame["codeCommuneEtablissement"] = rng.choice(np.array(communes), n)
    frame["coordonneeLambertAbscisseEtablissement"] = (rng.uniform(600_000, 700_000, n)).round(1).astype(str)
    frame["coordonneeLambertOrdonneeEtablissement"] = (rng.uniform(6_800_000, 6_900_000, n)).round(1).astype(str)
    frame["etatAdministratifEtablissement"] = np.where(rng.random(n) < 0.6, "A", "F")
    frame["activitePrincipaleEtablissement"] = rng.choice(_NAF, n)
    frame["nomenclatureActivitePrincipaleEtablissement"] = np.where(rng.random(n) < 0.95, "NAFRev2", "NAFRev1")
    frame["caractereEmployeurEtablissement"] = rng.choice(np.array(["O", "N", ""]), n)
    frame["enseigne1Etablissement"] = np.where(rng.random(n) < 0.3, "ENSEIGNE", "")
    return frame


def write_zip(path: Path, member: str, frames, header: list[str]) -> Path:
    """Stream ``frames`` (an iterable of DataFrames) into ``path`` as one zipped CSV, as INSEE ships the stock files."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open(member, "w", force_zip64=True) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for frame in frames:
            frame.to_csv(out, header=False, index=False, lineterminator="\n")
    return path


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path, index=False)
    return path
