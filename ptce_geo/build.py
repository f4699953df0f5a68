"""Assemble datasets into the reference tables and write them as one cache generation.

Priority for each dataset: files imported or downloaded now, then those kept from the previous
build, then the embedded default. Indicators: for each variable, the most recent vintage wins.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .cache import Generation, build_lock, data_dir, read_manifest
from .display import write_epci_display
from .errors import CacheError, SourceFileError
from .geometry import areas_km2, zone_of
from .income import COMPUTED, ESTIMATED, INCOME_IDS, estimate_by, fit_model, with_published
from .indicators import INDICATORS, VARIABLES, aggregate_by, coverage_by
from .passage import to_reference
from .sources.datasets import Dataset
from .sources.embedded import embedded_datasets
from .sources.supra import FRANCE_CODE
from .zoning_tables import write_zonings

__all__ = ["build_cache", "FileRecord"]


@dataclass
class FileRecord:
    """Where a dataset came from (manifest entry)."""

    origin: str  # EMBEDDED | IMPORTED | DOWNLOADED
    path: str
    sha256: str = ""
    size: int = 0
    url: str = ""
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


EMBEDDED, IMPORTED, DOWNLOADED = "embarqué", "importé", "téléchargé"


def embedded_pairs() -> list[tuple[Dataset, FileRecord]]:
    return [(ds, FileRecord(EMBEDDED, ds.origin)) for ds in embedded_datasets()]


def previous_pairs(root: Path) -> list[tuple[Dataset, FileRecord]]:
    """Imported or downloaded datasets of the current cache, to build upon."""
    manifest = read_manifest(root)
    if manifest is None:
        return []
    gen = Generation(root, manifest["generation"])
    pairs = []
    for entry in manifest.get("jeux", []):
        if entry["origine"] == EMBEDDED:
            continue
        table = gen.read(entry["id"], gen.source_path(entry["id"]), geo=entry["type"] == "contours")
        ds = Dataset(entry["type"], entry["id"], entry["libelle"], table, entry["millesime"], entry["fichier"],
                     variables=entry.get("variables") or {}, warnings=entry.get("avertissements") or [])
        pairs.append((ds, FileRecord(entry["origine"], entry["fichier"], entry["sha256"], entry["taille"], entry.get("url", ""),
                                         entry.get("date", ""))))
    return pairs


def file_record(path: Path, origin: str, url: str = "") -> FileRecord:
    data = path.read_bytes()
    return FileRecord(origin, str(path), hashlib.sha256(data).hexdigest(), len(data), url)


def _rank(ds: Dataset, rec: FileRecord) -> tuple:
    """Official files (imported or downloaded) before the embedded default, even without populations
    (the INSEE composition files have none: census populations are used then); then population, year."""
    has_pop = ds.kind == "communes" and ds.table["population"].notna().any()
    years = [int(y) for y in [ds.vintage[-4:]] if y.isdigit()]
    return (rec.origin != EMBEDDED, has_pop, years[0] if years else 0)


def _choose(datasets: list[tuple[Dataset, FileRecord]]) -> dict[str, tuple[Dataset, FileRecord]]:
    """One dataset per id (variables datasets keep one per id too); best rank wins, later wins ties."""
    chosen: dict[str, tuple[Dataset, FileRecord]] = {}
    for ds, rec in datasets:
        key = ds.id or ds.kind
        if key not in chosen or _rank(ds, rec) >= _rank(*chosen[key]):
            chosen[key] = (ds, rec)
    return chosen


def _communes(chosen: dict, warnings: list[str]) -> gpd.GeoDataFrame:
    base = chosen["cog_communes"][0].table.set_index("code_commune")
    contours = chosen["contours_communes"][0].table.drop_duplicates("code_commune").set_index("code_commune")
    extra = contours.index.difference(base.index)
    if len(extra):
        warnings.append(f"{len(extra)} contours sans commune dans la géographie de référence ignorés (ex. {', '.join(extra[:5])}).")
    geoms = contours.geometry.reindex(base.index)
    if base["population"].isna().all():
        warnings.append("Aucune population légale dans la géographie importée : population du recensement utilisée si disponible.")
    missing = base.index[geoms.isna()]
    if len(missing):
        warnings.append(f"{len(missing)} communes sans contour (ex. {', '.join(missing[:8])}) : hors carte et hors sélection par polygone.")
    communes = gpd.GeoDataFrame(base, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
    communes["surface_km2"] = areas_km2(communes.geometry, zone_of(communes.index.to_series()))
    communes.index.name = "code_commune"
    return communes


def _variables(chosen: dict, communes: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict, dict]:
    passage = chosen["passage"][0].table if "passage" in chosen else None
    reference = communes.index
    table = pd.DataFrame(index=reference)
    table["population"] = communes["population"]
    table["surface_km2"] = communes["surface_km2"]
    vintages: dict[str, dict] = {
        "population": {**chosen["cog_communes"][0].variables.get("population", {}), "source": chosen["cog_communes"][0].label},
        "surface_km2": {"annee": None, "millesime": chosen["contours_communes"][0].vintage, "source": "Calcul (projection par zone)"},
    }
    reports = {}
    datasets = sorted((d for d, _ in chosen.values() if d.kind == "variables"), key=lambda d: min(
        (v.get("annee") or 0) for v in d.variables.values()))
    for ds in datasets:
        mapped, report = to_reference(ds.table, reference, passage)
        reports[ds.id] = report.as_dict()
        for var, meta in ds.variables.items():
            if var not in VARIABLES:
                continue
            if var in vintages and (vintages[var].get("annee") or 0) > (meta.get("annee") or 0):
                continue
            table[var] = mapped[var]
            vintages[var] = {**meta, "source": ds.label, "dataset": ds.id}
    if table["population"].isna().all() and "pop_rp" in table:
        table["population"] = table["pop_rp"]
        communes["population"] = table["pop_rp"]
        vintages["population"] = {**vintages["pop_rp"]}
    return table, vintages, reports


def _epci(chosen: dict, communes: gpd.GeoDataFrame, warnings: list[str]) -> gpd.GeoDataFrame:
    info = chosen["cog_epci"][0].table.set_index("code_epci")
    members = communes[communes["code_epci"].notna()]
    unknown = members.loc[~members["code_epci"].isin(info.index), "code_epci"].unique()
    if len(unknown):
        warnings.append(f"{len(unknown)} EPCI cités par les communes mais absents de la liste des EPCI (ex. {', '.join(unknown[:5])}).")
    shapes = members[["code_epci", "geometry"]].dissolve(by="code_epci")
    stats = members.groupby("code_epci").agg(communes_total=("nom", "size"), population=("population", "sum"),
                                             surface_km2=("surface_km2", "sum"))
    epci = info.reindex(stats.index).join(stats)
    epci["nom"] = epci["nom"].fillna("EPCI " + epci.index.to_series())
    epci = gpd.GeoDataFrame(epci, geometry=shapes.geometry.reindex(epci.index), crs=4326)
    epci.index.name = "code_epci"
    empty = info.index.difference(stats.index)
    if len(empty):
        warnings.append(f"{len(empty)} EPCI de la liste sans aucune commune dans la géographie de référence (ex. {', '.join(empty[:5])}).")
    return epci


def _supra(chosen: dict) -> pd.DataFrame | None:
    """INSEE's published supra-communal Filosofi values of every recognised file (level, code, year), or ``None``."""
    tables = [ds.table for ds, _ in chosen.values() if ds.kind == "supra"]
    return pd.concat(tables, ignore_index=True) if tables else None


def _income(variables: pd.DataFrame, communes: gpd.GeoDataFrame, vintages: dict, supra: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Per level: median and poverty rate, published by INSEE when of the commune figures' year, estimated otherwise.

    France is France métropolitaine here, the perimeter of INSEE's national value.
    """
    if "med_niveau_vie" not in variables or variables["med_niveau_vie"].isna().all():
        return {}
    model = fit_model(variables, communes["code_dep"].reindex(variables.index))
    year = vintages.get("med_niveau_vie", {}).get("annee")
    metro = ~communes["code_dep"].reindex(variables.index).astype("string").str.startswith("97").fillna(True)
    keys = {"departement": communes["code_dep"], "region": communes["code_reg"], "epci": communes["code_epci"],
            "france": pd.Series(FRANCE_CODE, index=communes.index).where(metro)}
    out = {}
    for level, key in keys.items():
        published = supra[supra["niveau"] == level] if supra is not None else None
        out[level] = with_published(estimate_by(model, key.reindex(variables.index)), published, year)
    return out


def _comparisons(variables: pd.DataFrame, communes: gpd.GeoDataFrame, deps: pd.DataFrame, regs: pd.DataFrame,
                 epci: gpd.GeoDataFrame, vintages: dict, supra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicators of every département, région, EPCI and France, with ``couverture_<id>`` and ``methode_<id>`` per indicator."""
    income = _income(variables, communes, vintages, supra)
    frames = []
    for level, key, names in (("departement", communes["code_dep"], deps.set_index("code_dep")["nom"]),
                              ("region", communes["code_reg"], regs.set_index("code_reg")["nom"]),
                              ("epci", communes["code_epci"], epci["nom"]),
                              ("france", pd.Series(FRANCE_CODE, index=communes.index), pd.Series({FRANCE_CODE: "France"}))):
        key = key.reindex(variables.index)
        agg = aggregate_by(variables, key, vintages)
        cover = coverage_by(variables, key).reindex(agg.index)
        method = pd.DataFrame({f"methode_{i.id}": COMPUTED for i in INDICATORS}, index=agg.index)
        if level in income:
            est = income[level].reindex(agg.index)
            for column in INCOME_IDS:
                agg[column] = est[column]
                cover[column] = est[f"couverture_{column}"]
                method[f"methode_{column}"] = est[f"methode_{column}"].fillna(ESTIMATED)
        agg = pd.concat([agg, cover.add_prefix("couverture_"), method], axis=1)
        agg.insert(0, "nom", names.reindex(agg.index).to_numpy())
        agg.insert(0, "code", agg.index.astype(str))
        agg.insert(0, "niveau", level)
        frames.append(agg.reset_index(drop=True))
    return pd.concat(frames, ignore_index=True)


def _store_sources(gen: Generation, chosen: dict) -> None:
    """Keep each imported or downloaded dataset so a later import adds to it instead of replacing it."""
    for ds, rec in chosen.values():
        if rec.origin != EMBEDDED:
            gen.write(ds.id, ds.table, gen.source_path(ds.id))


def build_cache(new: list[tuple[Dataset, FileRecord]], root: Path | str | None = None, keep_previous: bool = True) -> dict:
    """Build and commit a cache generation from ``new`` datasets over the previous ones and the embedded default.

    Returns the manifest. On any error the previous cache stays in use.
    """
    root = data_dir(root)
    started = time.perf_counter()
    with build_lock(root):
        layers = embedded_pairs() + (previous_pairs(root) if keep_previous else []) + list(new)
        chosen = _choose(layers)
        for required in ("cog_communes", "cog_epci", "contours_communes", "cog_departements", "cog_regions"):
            if required not in chosen:
                raise SourceFileError(f"Jeu de données indispensable absent : {required}.")
        warnings = [w for ds, _ in chosen.values() for w in ds.warnings]
        communes = _communes(chosen, warnings)
        variables, vintages, reports = _variables(chosen, communes)
        epci = _epci(chosen, communes, warnings)
        deps = chosen["cog_departements"][0].table.set_index("code_dep")
        regs = chosen["cog_regions"][0].table.set_index("code_reg")
        comparisons = _comparisons(variables, communes, deps.reset_index(), regs.reset_index(), epci, vintages, _supra(chosen))
        gen = Generation.new(root)
        try:
            gen.write("communes", communes)
            gen.write("epci", epci)
            write_epci_display(gen, epci, communes)
            gen.write("departements", deps)
            gen.write("regions", regs)
            gen.write("variables", variables)
            gen.write("comparaisons", comparisons)
            write_zonings(gen, chosen, communes.index, warnings)
            if "passage" in chosen:
                gen.write("passage", chosen["passage"][0].table)
            _store_sources(gen, chosen)
            manifest = {
                "construit_le": datetime.now(UTC).isoformat(timespec="seconds"),
                "duree_construction_s": round(time.perf_counter() - started, 2),
                "jeux": [_entry(ds, rec) for ds, rec in chosen.values()],
                "variables": vintages,
                "comptes": {"communes": len(communes), "epci": len(epci), "departements": len(deps), "regions": len(regs),
                            "communes_sans_contour": int(communes.geometry.isna().sum()),
                            "communes_sans_epci": int(communes["code_epci"].isna().sum())},
                "passage": reports,
                "avertissements": warnings,
            }
            gen.commit(manifest)
        except BaseException:
            gen.discard()
            raise
    return read_manifest(root) or {}


def _entry(ds: Dataset, rec: FileRecord) -> dict:
    return {"id": ds.id or ds.kind, "type": ds.kind, "libelle": ds.label, "millesime": ds.vintage, "lignes": ds.rows,
            "origine": rec.origin, "fichier": rec.path, "date": rec.date, "sha256": rec.sha256, "taille": rec.size, "url": rec.url,
            "variables": ds.variables, "avertissements": ds.warnings}


def ensure_cache(root: Path | str | None = None) -> dict:
    """The current manifest, building the embedded default first when no cache exists."""
    root = data_dir(root)
    manifest = read_manifest(root)
    if manifest is None:
        build_cache([], root)
        manifest = read_manifest(root)
    if manifest is None:
        raise CacheError(f"{root} : le cache n'a pas pu être construit.")
    return manifest
