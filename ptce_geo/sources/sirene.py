"""INSEE's Sirene stock files, streamed into the per-commune counts of ESS establishments.

Two passes, never loading a file whole: the legal units (``StockUniteLegale``) give the ESS units
(``economieSocialeSolidaireUniteLegale == "O"``) and their legal category; then the establishments
(``StockEtablissement``) are read in chunks of ``CHUNK_ROWS`` rows, only the needed columns, and each
active one (``etatAdministratifEtablissement == "A"``) is counted per commune and NAF rev. 2 section,
and, for those of an ESS unit, per family, employer status and size band, and listed with its
location. Files: the official CSV zips (UTF-8, ``,``), a bare CSV, or INSEE's parquet layout.

Output (``<cache>/sirene/``, replaced in one switch; a failed update leaves the previous one in service):
``etablissements_actifs.parquet`` (code_commune, section, n), ``ess.parquet`` (code_commune, famille,
employeur, tranche, section, n), ``ess_liste.parquet`` (one row per ESS establishment) and ``sirene.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import Transformer

from ..errors import SourceFileError
from ..fr_format import fr_int

__all__ = ["UNIT_COLUMNS", "ESTABLISHMENT_COLUMNS", "CHUNK_ROWS", "family_of", "section_of", "size_band", "aggregate",
           "read_sirene_store", "SireneStore", "to_wgs84", "sirene_dir", "FAMILIES", "COOPERATIVE_CODES", "MUTUAL_CODES", "SIZE_BANDS", "SECTIONS"]

CHUNK_ROWS = 500_000
UNIT_COLUMNS = ("siren", "categorieJuridiqueUniteLegale", "economieSocialeSolidaireUniteLegale", "denominationUniteLegale")
ESTABLISHMENT_COLUMNS = ("siren", "siret", "codeCommuneEtablissement", "etatAdministratifEtablissement",
                         "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
                         "caractereEmployeurEtablissement", "trancheEffectifsEtablissement",
                         "coordonneeLambertAbscisseEtablissement", "coordonneeLambertOrdonneeEtablissement",
                         "enseigne1Etablissement", "denominationUsuelleEtablissement")

# ESS family from INSEE's catégorie juridique (niveau III, 4 digits), codes and labels as in INSEE's nomenclature
# table `nmcl_cj` embedded in INSEE's own repository InseeFr/ARC
# (arc-core/src/test/resources/BdDTest/script_test_fonctionnel_sirene.sql), identical for these codes to the copy in
# MTES-MCT/camino-api (src/tools/api-insee/definitions/categories-juridiques.ts). Families:
# - associations: every 92xx (niveau II « Association loi 1901 ou assimilé »: 9210 non déclarée … 9260 droit local);
# - fondations: 93xx (9300 Fondation);
# - mutuelles: 8210 Mutuelle, 8250 Assurance mutuelle agricole, 8290 Autre organisme mutualiste, 6411 Société
#   d'assurance à forme mutuelle;
# - coopératives: every code whose INSEE label names a cooperative, plus the cooperative and mutual-credit banks
#   (51xx « société coopérative commerciale particulière », 6100 caisse d'épargne et de prévoyance, 6595 caisse
#   locale de crédit mutuel, 6596 caisse de crédit agricole mutuel) and the SICA (intérêt collectif agricole),
#   counted with cooperatives in the INSEE/CRESS perimeter of the social economy;
# - sociétés commerciales de l'ESS: any other commercial company (52xx-58xx);
# - autres: any other ESS unit (GIE, civil company, groupement de coopération sanitaire, 9900 …).
FAMILIES = {"associations": "Associations", "cooperatives": "Coopératives", "mutuelles": "Mutuelles", "fondations": "Fondations",
            "societes_ess": "Sociétés commerciales de l'ESS", "autres": "Autres organismes de l'ESS"}
COOPERATIVE_CODES = frozenset({
    "5191", "5192", "5193", "5194", "5195", "5196",  # caution mutuelle, banque populaire, crédit maritime, crédit mutuel…
    "5203", "5307", "5309",  # SNC, SCS, SCA coopératives
    "5432", "5443", "5451", "5453", "5454", "5455", "5458", "5459", "5460",  # SARL: SICA, coopératives
    "5532", "5543", "5547", "5551", "5552", "5553", "5554", "5555", "5558", "5559", "5560",  # SA à conseil d'administration
    "5632", "5643", "5647", "5651", "5652", "5653", "5654", "5655", "5658", "5659", "5660",  # SA à directoire
    "6100", "6316", "6317", "6318",  # caisse d'épargne et de prévoyance, CUMA, coopérative agricole, union
    "6532", "6543", "6551", "6554", "6558", "6560",  # sociétés civiles: SICA, coopératives
    "6595", "6596",  # caisse locale de crédit mutuel, caisse de crédit agricole mutuel
})
MUTUAL_CODES = frozenset({"6411", "8210", "8250", "8290"})
# trancheEffectifs code -> band (NN: non-employing unit; 00: no employee at year end)
SIZE_BANDS = {"0": "0 salarié ou non renseigné", "1-9": "1 à 9 salariés", "10-49": "10 à 49 salariés",
              "50-249": "50 à 249 salariés", "250+": "250 salariés ou plus"}
_TRANCHES = {"01": "1-9", "02": "1-9", "03": "1-9", "11": "10-49", "12": "10-49", "21": "50-249", "22": "50-249", "31": "50-249",
             "32": "250+", "41": "250+", "42": "250+", "51": "250+", "52": "250+", "53": "250+"}
# NAF rev. 2 division (2 digits) -> section
SECTIONS = {"A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (45, 47), "H": (49, 53),
            "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68), "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85),
            "Q": (86, 88), "R": (90, 93), "S": (94, 96), "T": (97, 98), "U": (99, 99)}
_DIVISION_SECTION = np.full(100, "", dtype=object)
for _section, (_low, _high) in SECTIONS.items():
    _DIVISION_SECTION[_low:_high + 1] = _section
UNKNOWN_SECTION = "?"

Progress = Callable[[str, int, float | None], None]  # (file label, rows read, fraction done or None)


def family_of(categories: pd.Series) -> pd.Series:
    """ESS family of each legal category code (see ``FAMILIES``)."""
    code = categories.fillna("").astype(str).str.strip().str.zfill(4)
    division = pd.to_numeric(code.str[:2], errors="coerce")
    out = pd.Series("autres", index=code.index, dtype=object)
    out[division.between(52, 58)] = "societes_ess"
    out[code.str[:2] == "92"] = "associations"
    out[code.str[:2] == "93"] = "fondations"
    out[code.isin(MUTUAL_CODES)] = "mutuelles"
    out[code.isin(COOPERATIVE_CODES)] = "cooperatives"
    return out


def section_of(activity: pd.Series, nomenclature: pd.Series) -> pd.Series:
    """NAF rev. 2 section of each activity code (``88.99B`` -> Q); ``?`` for another nomenclature or an unreadable code."""
    division = pd.to_numeric(activity.fillna("").astype(str).str[:2], errors="coerce")
    ok = division.notna() & nomenclature.fillna("").astype(str).str.upper().eq("NAFREV2")
    sections = np.full(len(activity), UNKNOWN_SECTION, dtype=object)
    sections[ok.to_numpy()] = _DIVISION_SECTION[division[ok].astype(int).to_numpy()]
    sections[sections == ""] = UNKNOWN_SECTION
    return pd.Series(sections, index=activity.index)


def size_band(tranche: pd.Series) -> pd.Series:
    return tranche.fillna("").astype(str).str.strip().map(_TRANCHES).fillna("0")


# --- streaming readers ---------------------------------------------------------------------------

def _missing(columns: list[str], needed: tuple[str, ...], name: str, label: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise SourceFileError(f"{name} : colonnes manquantes pour {label} : {', '.join(missing)} "
                              f"(colonnes lues : {', '.join(columns[:8])}{'…' if len(columns) > 8 else ''}). "
                              "Le jeu Sirene précédent reste en service.")


def _parquet_chunks(path: Path, needed: tuple[str, ...], label: str, progress: Progress | None) -> Iterator[pd.DataFrame]:
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise SourceFileError(f"{path.name} : fichier parquet illisible ou tronqué ({exc}). Le jeu Sirene précédent reste en service.") from exc
    _missing(handle.schema_arrow.names, needed, path.name, label)
    total, done = handle.metadata.num_rows, 0
    try:
        for batch in handle.iter_batches(batch_size=CHUNK_ROWS, columns=list(needed)):
            frame = batch.to_pandas()
            done += len(frame)
            if progress:
                progress(label, done, done / total if total else None)
            yield frame
    except (pa.ArrowException, OSError) as exc:
        raise SourceFileError(f"{path.name} : fichier parquet tronqué ou corrompu après {done} lignes ({exc}). "
                              "Le jeu Sirene précédent reste en service.") from exc


def _csv_chunks(stream, size: int | None, name: str, needed: tuple[str, ...], label: str,
                progress: Progress | None) -> Iterator[pd.DataFrame]:
    header = stream.readline().decode("utf-8-sig").strip().split(",")
    header = [h.strip('"') for h in header]
    _missing(header, needed, name, label)
    done = 0
    try:
        reader = pd.read_csv(stream, names=header, usecols=list(needed), dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS,
                             encoding="utf-8", engine="c")
        for frame in reader:
            done += len(frame)
            if progress:
                progress(label, done, stream.tell() / size if size else None)
            yield frame
    except (zipfile.BadZipFile, EOFError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceFileError(f"{name} : fichier tronqué ou corrompu après {done} lignes ({exc}). "
                              "Le jeu Sirene précédent reste en service.") from exc


def _chunks(path: Path, needed: tuple[str, ...], label: str, progress: Progress | None) -> Iterator[pd.DataFrame]:
    """The file's rows, ``needed`` columns only, ``CHUNK_ROWS`` at a time, as text (parquet columns keep their types)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        yield from _parquet_chunks(path, needed, label, progress)
        return
    if magic.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceFileError(f"{path.name} : archive zip tronquée ou corrompue ({exc}). Le jeu Sirene précédent reste en service.") from exc
        with archive:
            members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
            if not members:
                raise SourceFileError(f"{path.name} : aucun fichier CSV dans l'archive.")
            with archive.open(members[0]) as stream:
                yield from _csv_chunks(stream, members[0].file_size, f"{path.name}/{members[0].filename}", needed, label, progress)
        return
    with path.open("rb") as stream:
        yield from _csv_chunks(stream, path.stat().st_size, path.name, needed, label, progress)


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _siren_numbers(column: pd.Series) -> np.ndarray:
    """SIREN as int64 (9 digits fit): a compact key for 1.5 M ESS units; unreadable ones become -1."""
    return pd.to_numeric(column, errors="coerce").fillna(-1).astype("int64").to_numpy()


def _ess_units(path: Path, progress: Progress | None) -> pd.DataFrame:
    """ESS legal units: siren (int64 index) -> famille, categorie_juridique (categoricals), nom."""
    parts = []
    for chunk in _chunks(path, UNIT_COLUMNS, "unités légales", progress):
        ess = chunk[_text(chunk["economieSocialeSolidaireUniteLegale"]).eq("O")]
        parts.append(pd.DataFrame({"famille": family_of(ess["categorieJuridiqueUniteLegale"]).astype("category").to_numpy(),
                                   "categorie_juridique": _text(ess["categorieJuridiqueUniteLegale"]).astype("category").to_numpy(),
                                   "nom": _text(ess["denominationUniteLegale"]).to_numpy()},
                                  index=pd.Index(_siren_numbers(ess["siren"]), name="siren")))
    if not parts:
        return pd.DataFrame({"famille": [], "categorie_juridique": [], "nom": []}, index=pd.Index([], dtype="int64", name="siren"))
    units = pd.concat(parts)
    units = units[~units.index.duplicated()]
    return units.astype({"famille": "category", "categorie_juridique": "category"})


_LIST_SCHEMA = pa.schema([(c, pa.string()) for c in ("siret", "siren", "code_commune", "famille", "categorie_juridique", "employeur",
                                                      "tranche", "section", "activite", "nom")]
                         + [(c, pa.float64()) for c in ("x", "y", "lon", "lat")])
_KEYS = ["code_commune", "famille", "employeur", "tranche", "section"]


def _listed(sub: pd.DataFrame, unit: pd.DataFrame, commune: pd.Series, section: pd.Series) -> pd.DataFrame:
    """One row per active ESS establishment of the chunk, in ``_LIST_SCHEMA``'s columns."""
    rows = pd.DataFrame({
        "siret": _text(sub["siret"]).str.zfill(14).to_numpy(), "siren": _text(sub["siren"]).str.zfill(9).to_numpy(),
        "code_commune": commune.to_numpy(), "famille": unit["famille"].astype(str).to_numpy(),
        "categorie_juridique": unit["categorie_juridique"].astype(str).to_numpy(),
        "employeur": _text(sub["caractereEmployeurEtablissement"]).map({"O": "oui", "N": "non"}).fillna("inconnu").to_numpy(),
        "tranche": size_band(sub["trancheEffectifsEtablissement"]).to_numpy(), "section": section.to_numpy(),
        "activite": _text(sub["activitePrincipaleEtablissement"]).to_numpy(), "nom": _name(unit["nom"].to_numpy(), sub),
        "x": pd.to_numeric(sub["coordonneeLambertAbscisseEtablissement"], errors="coerce").to_numpy(dtype=float),
        "y": pd.to_numeric(sub["coordonneeLambertOrdonneeEtablissement"], errors="coerce").to_numpy(dtype=float)})
    rows["lon"], rows["lat"] = to_wgs84(rows["x"].to_numpy(), rows["y"].to_numpy(), rows["code_commune"])
    return rows


def _add(total: pd.DataFrame | None, part: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Running sum over chunks, kept as small as the distinct keys (never one table per chunk)."""
    part = part.groupby(keys, observed=True).size().rename("n").reset_index()
    if total is None:
        return part
    return pd.concat([total, part], ignore_index=True).groupby(keys, as_index=False, observed=True)["n"].sum()


def aggregate(units_path: Path, establishments_path: Path, folder: Path, progress: Progress | None = None) -> dict:
    """Stream both files: returns the two count tables and the path of ``ess_liste.parquet``, written into ``folder``
    chunk by chunk (the listing never sits whole in memory)."""
    units = _ess_units(Path(units_path), progress)
    totals = counts = None
    listing = Path(folder) / "ess_liste.parquet"
    with pq.ParquetWriter(listing, _LIST_SCHEMA) as writer:
        for chunk in _chunks(Path(establishments_path), ESTABLISHMENT_COLUMNS, "établissements", progress):
            active = chunk[_text(chunk["etatAdministratifEtablissement"]).eq("A")]
            commune = _text(active["codeCommuneEtablissement"])
            section = section_of(active["activitePrincipaleEtablissement"], active["nomenclatureActivitePrincipaleEtablissement"])
            totals = _add(totals, pd.DataFrame({"code_commune": commune.to_numpy(), "section": section.to_numpy()}),
                          ["code_commune", "section"])
            siren = _siren_numbers(active["siren"])
            ess = pd.Index(siren).isin(units.index)
            if not ess.any():
                continue
            rows = _listed(active[ess], units.loc[siren[ess]], commune[ess], section[ess])
            counts = _add(counts, rows[_KEYS], _KEYS)
            writer.write_table(pa.Table.from_pandas(rows, schema=_LIST_SCHEMA, preserve_index=False))
    empty = {k: pd.Series(dtype=str) for k in _KEYS}
    return {"etablissements_actifs": totals if totals is not None else pd.DataFrame({"code_commune": [], "section": [], "n": []}),
            "ess": counts if counts is not None else pd.DataFrame({**empty, "n": pd.Series(dtype="int64")}),
            "ess_liste": listing}


# INSEE gives each establishment's coordinates in the legal projection of its territory
_DROM_CRS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}


@lru_cache(maxsize=8)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def to_wgs84(x: np.ndarray, y: np.ndarray, communes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of Sirene's Lambert coordinates (Lambert-93 in metropolitan France, each DROM's own CRS)."""
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    epsg = communes.str[:3].map(_DROM_CRS).fillna(2154).astype(int).to_numpy()
    for code in np.unique(epsg):
        mask = epsg == code
        lon[mask], lat[mask] = _transformer(int(code)).transform(x[mask], y[mask])
    return lon, lat


def _name(unit_names: np.ndarray, sub: pd.DataFrame) -> np.ndarray:
    """The establishment's sign or usual name, else its unit's name."""
    own = _text(sub["enseigne1Etablissement"]).where(lambda s: s.ne(""), _text(sub["denominationUsuelleEtablissement"]))
    return np.where(own.to_numpy() != "", own.to_numpy(), unit_names)


# --- the store in the cache ------------------------------------------------------------------------

def sirene_dir(root: Path) -> Path:
    return Path(root) / "sirene"


def write_store(root: Path, tables: dict, meta: dict) -> None:
    """Write the tables (a DataFrame, or the path of a parquet file already written) into a temporary folder, then
    switch it in place of the previous one."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sirene-", dir=root))
    try:
        for name, table in tables.items():
            if isinstance(table, Path):
                shutil.move(table, tmp / f"{name}.parquet")
            else:
                table.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "sirene.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        final, old = sirene_dir(root), root / f".sirene-ancien-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class SireneStore:
    """The per-commune ESS tables and their provenance, as kept in the cache."""

    totals: pd.DataFrame
    ess: pd.DataFrame
    listing: pd.DataFrame
    meta: dict


def read_sirene_store(root: Path) -> SireneStore | None:
    """The Sirene tables of the cache at ``root``; ``None`` when Sirene was never fetched."""
    folder = sirene_dir(root)
    if not (folder / "sirene.json").exists():
        return None
    return SireneStore(pd.read_parquet(folder / "etablissements_actifs.parquet"), pd.read_parquet(folder / "ess.parquet"),
                       pd.read_parquet(folder / "ess_liste.parquet"), json.loads((folder / "sirene.json").read_text(encoding="utf-8")))


def print_progress(label: str, rows: int, fraction: float | None, _last: list = [0.0]) -> None:  # noqa: B006 - throttle state
    """Progress on stderr, at most every 2 seconds."""
    now = time.monotonic()
    if now - _last[0] < 2.0 and fraction not in (None, 1.0):
        return
    _last[0] = now
    share = f" ({round(fraction * 100)} %)" if fraction is not None else ""
    print(f"  Sirene, {label} : {fr_int(rows)} lignes lues{share}", file=sys.stderr, flush=True)
