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

from .cache import Generation, atomic_write_bytes, build_lock, data_dir, epci_layer_path, read_manifest
from .display import DisplayLayer, epci_display, epci_display_path
from .errors import CacheError, SourceFileError
from .geometry import areas_km2, zone_of
from .income import COMPUTED, ESTIMATED, INCOME_IDS, estimate_by, fit_model, with_published
from .indicators import INDICATORS, VARIABLES, aggregate_by, coverage_by
from .passage import to_reference, with_arrondissements
from .qpv import population_warnings, qpv_warnings
from .series_tables import LEVELS_FILE, MODELS_FILE, SERIES_FILE, build_series, income_models, level_trends, models_from
from .sources.datasets import Dataset
from .sources.domain import CENSUS_RULE, STALE_RATIO, census_zero, reject, stale_contour
from .sources.embedded import embedded_datasets
from .sources.supra import FRANCE_CODE
from .zoning_tables import write_zonings

__all__ = ["build_cache", "FileRecord", "PARTIAL_RATIO", "is_partial"]

# A dataset with fewer rows than this share of the one in service is partial (a 10-row communes list, 5 contours);
# checked for the kinds below whose key column can complete a partial file
PARTIAL_RATIO = 0.9
_KEYS = {"communes": "code_commune", "contours": "code_commune", "variables": "code_commune", "epci": "code_epci",
         "departements": "code_dep", "regions": "code_reg", "passage": "code_ancien"}
# passage tables differ in scope by nature (COG: communes déléguées only; Etalab: every former code): never « partial »
_GUARDED = frozenset(_KEYS) - {"passage"}


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
        table = gen.read(entry["id"], gen.source_path(entry["id"]), geo=entry["type"] in ("contours", "qpv"))
        ds = Dataset(entry["type"], entry["id"], entry["libelle"], table, entry["millesime"], entry["fichier"],
                     variables=entry.get("variables") or {}, warnings=entry.get("avertissements") or [],
                     rejected=[r for r in entry.get("valeurs_hors_domaine") or [] if r["rule"] != CENSUS_RULE])
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


def is_partial(rows: int, rows_in_service: int) -> bool:
    """Whether a dataset of ``rows`` rows would shrink the one in service below ``PARTIAL_RATIO`` of its rows."""
    return rows < PARTIAL_RATIO * rows_in_service


def _complete(base: Dataset, part: Dataset) -> Dataset:
    """``part``'s rows over ``base``'s: the rows ``part`` lacks are kept from the dataset in service."""
    key = _KEYS[part.kind]
    table = pd.concat([base.table, part.table], ignore_index=True).drop_duplicates(key, keep="last").reset_index(drop=True)
    if part.kind == "contours":
        table = gpd.GeoDataFrame(table, geometry="geometry", crs=4326)
    note = f"{part.origin} : {part.rows} lignes importées avec --partial, les {len(table) - part.rows} autres gardées de « {base.origin} »."
    return Dataset(part.kind, part.id, part.label, table, part.vintage, part.origin, {**base.variables, **part.variables},
                   part.warnings + [note], part.rejected)


def _guard_partial(layers: list, new: list, allow_partial: bool) -> list:
    """Refuse (or, when asked, complete) a new dataset that would replace a much larger one in service."""
    in_service = _choose(layers)
    winners = {id(ds) for ds, _ in _choose(layers + new).values()}
    refused, out = [], []
    for ds, rec in new:
        base = in_service.get(ds.id or ds.kind)
        if ds.kind not in _GUARDED or id(ds) not in winners or base is None or not is_partial(ds.rows, base[0].rows):
            out.append((ds, rec))
        elif allow_partial:
            out.append((_complete(base[0], ds), rec))
        else:
            refused.append(f"{ds.origin} : {ds.rows} lignes pour « {ds.label} », qui en compte {base[0].rows} en service")
    if refused:
        raise SourceFileError("Fichier partiel refusé, il remplacerait un jeu national : " + " ; ".join(refused)
                              + f" (moins de {PARTIAL_RATIO:.0%} des lignes). Le cache précédent reste en service. ".replace("%", " %")
                              + "Pour compléter le jeu en service avec ces seules lignes : data import --partial.")
    return out


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


def _census_zeros(ds: Dataset, mapped: pd.DataFrame, legal: pd.Series, warnings: list[str]) -> None:
    """Every census variable of ``ds`` set missing where its population is 0 but the legal population positive."""
    if "pop_rp" not in mapped or "pop_rp" not in ds.variables:
        return
    names = [v for v in ds.variables if v in mapped and (ds.variables[v].get("millesime") or "").startswith("RP")]
    codes = mapped.index.to_series()
    _, refused = reject(mapped["pop_rp"], census_zero(mapped["pop_rp"], legal), codes, ", ".join(names),
                        CENSUS_RULE, ds.origin)
    if refused is not None:
        mapped.loc[refused.codes, names] = float("nan")
        ds.rejected = ds.rejected + [refused.as_dict()]
        warnings.append(refused.message())


def _variables(chosen: dict, communes: gpd.GeoDataFrame, warnings: list[str]) -> tuple[pd.DataFrame, dict, dict]:
    passage = chosen["passage"][0].table if "passage" in chosen else None
    reference = communes.index
    table = pd.DataFrame(index=reference)
    table["population"] = communes["population"]
    table["surface_km2"] = communes["surface_km2"]
    vintages: dict[str, dict] = {
        "population": {**chosen["cog_communes"][0].variables.get("population", {}), "source": chosen["cog_communes"][0].label},
        "surface_km2": {"annee": None, "millesime": _surface_vintage(chosen, reference),
                        "source": f"Calcul (projection par zone) sur « {chosen['contours_communes'][0].label} »"},
    }
    reports = {}
    datasets = sorted((d for d, _ in chosen.values() if d.kind == "variables"), key=lambda d: min(
        (v.get("annee") or 0) for v in d.variables.values()))
    for ds in datasets:
        mapped, report = to_reference(ds.table, reference, passage)
        reports[ds.id] = report.as_dict()
        _census_zeros(ds, mapped, communes["population"], warnings)
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
    else:
        vintages["population"] = _checked_legal_vintage(table, vintages)
    return table, vintages, reports


LEGAL_MATCH = 0.99  # share of communes whose legal population equals a census population for its year to be taken as read


def _checked_legal_vintage(table: pd.DataFrame, vintages: dict) -> dict:
    """The legal population's year read from the data: the census year whose municipal population it equals.

    A legal population of year N is the census population of year N; when no loaded census matches, the
    year given by the file stays, marked « non vérifié ».
    """
    meta = dict(vintages["population"])
    legal = table["population"]
    for var in ("pop_rp", "pop_rp_ancienne"):
        if var not in table or not (year := (vintages.get(var) or {}).get("annee")):
            continue
        both = legal.notna() & table[var].notna() & legal.gt(0)
        if both.sum() and ((legal[both] - table.loc[both, var]).abs() < 0.5).mean() >= LEGAL_MATCH:
            return {**meta, "annee": int(year), "millesime": f"Populations légales {year} (vérifié : égales au recensement {year})"}
    if meta.get("millesime") and "non vérifié" not in meta["millesime"]:
        meta["millesime"] += " ; millésime non vérifié par les données (déduit de la source ou du nom du fichier)"
    return meta


def _surface_vintage(chosen: dict, reference: pd.Index) -> str:
    """The geography (a date) of the contours the surfaces are measured on, not a file name."""
    contours = chosen["contours_communes"][0]
    if contours.vintage.startswith("fichier ") and contours.table["code_commune"].isin(reference).sum() >= 0.99 * len(reference):
        return f"contours alignés sur la géographie de référence ({chosen['cog_communes'][0].vintage})"
    return f"contours : {contours.vintage}"


def _flag_stale(communes: gpd.GeoDataFrame, variables: pd.DataFrame, warnings: list[str]) -> list[str]:
    """Column ``contour_perime``: the polygon covers less than ``STALE_RATIO`` of INSEE's official surface (domain.stale_contour)."""
    official = variables["surface_officielle_km2"] if "surface_officielle_km2" in variables else pd.Series(float("nan"), index=communes.index)
    communes["contour_perime"] = stale_contour(communes["surface_km2"], official).to_numpy()
    codes = sorted(communes.index[communes["contour_perime"]].astype(str))
    if codes:
        share = f"{STALE_RATIO:.0%}".replace("%", " %")
        warnings.append(f"{len(codes)} contours communaux couvrent moins de {share} de la superficie officielle INSEE (d'au moins 1 km²) "
                        + f"(contour périmé : surface, densité et sélection par polygone faussées) : {', '.join(codes[:30])}"
                        + (" …" if len(codes) > 30 else "") + ".")
    return codes


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


def _previous_series(root: Path) -> tuple[pd.DataFrame, dict] | None:
    """The series of the cache in service (kept for dates no file gives any more), ``None`` when it has none."""
    manifest = read_manifest(root)
    if not manifest or not manifest.get("series"):
        return None
    gen = Generation(root, manifest["generation"])
    path = gen.path(SERIES_FILE)
    return (gen.read(SERIES_FILE), manifest["series"]) if path.exists() else None


def _series(layers: list, previous: tuple | None, communes: gpd.GeoDataFrame, chosen: dict, vintages: dict,
            deps: pd.DataFrame, regs: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], dict]:
    """Series, income models and comparator trends (``series_tables``) and their manifest entries."""
    datasets = [ds for ds, rec in layers if ds.kind == "variables" and rec.origin != EMBEDDED]
    passage = chosen["passage"][0].table if "passage" in chosen else None
    legal = vintages.get("population", {}) if chosen["cog_communes"][1].origin != EMBEDDED else {}  # embedded: an estimate of about 2017
    series, meta = build_series(datasets, previous, communes.index, passage, communes["population"], legal,
                                chosen["cog_communes"][0].vintage)
    models, thresholds = income_models(series, communes["population"], communes["code_dep"])
    names = {"departement": deps["nom"].to_dict(), "region": regs["nom"].to_dict(), "france": {FRANCE_CODE: "France"}}
    levels = level_trends(series, meta, communes, names, models_from(models, thresholds))
    return {SERIES_FILE: series, MODELS_FILE: models, LEVELS_FILE: levels}, {"series": meta, "series_revenus": thresholds}


def _write_epci_map_files(gen: Generation, epci: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> None:
    """The France-wide map's inputs, prepared here once instead of at each server's first map: the simplified EPCI
    outlines with each EPCI's label point (``lat``, ``lon``), and the outlines file the browser fetches."""
    from .map_overlays import label_points  # folium-based modules: loaded by a build, not by every cache reader
    from .national_layer import layer_asset

    frame = epci_display(epci, communes)
    frame = frame.join(label_points(frame.geometry))
    gen.write("epci_display", frame, epci_display_path(gen.root, gen.name))
    atomic_write_bytes(epci_layer_path(gen.root, gen.name), layer_asset(DisplayLayer(frame)))


def _store_sources(gen: Generation, chosen: dict) -> None:
    """Keep each imported or downloaded dataset so a later import adds to it instead of replacing it."""
    for ds, rec in chosen.values():
        if rec.origin != EMBEDDED:
            gen.write(ds.id, ds.table, gen.source_path(ds.id))


def build_cache(new: list[tuple[Dataset, FileRecord]], root: Path | str | None = None, keep_previous: bool = True,
                allow_partial: bool = False) -> dict:
    """Build and commit a cache generation from ``new`` datasets over the previous ones and the embedded default.

    A new dataset with fewer than ``PARTIAL_RATIO`` of the rows of the one in service is refused
    (``SourceFileError``), or with ``allow_partial`` completes it. Returns the manifest. On any error
    the previous cache stays in use.
    """
    root = data_dir(root)
    started = time.perf_counter()
    with build_lock(root):
        layers = embedded_pairs() + (previous_pairs(root) if keep_previous else [])
        previous_series = _previous_series(root) if keep_previous else None
        layers += _guard_partial(layers, list(new), allow_partial)
        chosen = _choose(layers)
        for required in ("cog_communes", "cog_epci", "contours_communes", "cog_departements", "cog_regions"):
            if required not in chosen:
                raise SourceFileError(f"Jeu de données indispensable absent : {required}.")
        warnings = [w for ds, _ in chosen.values() for w in ds.warnings]
        communes = _communes(chosen, warnings)
        variables, vintages, reports = _variables(chosen, communes, warnings)
        rejected = [r for ds, _ in chosen.values() for r in ds.rejected]
        stale = _flag_stale(communes, variables, warnings)
        epci = _epci(chosen, communes, warnings)
        deps = chosen["cog_departements"][0].table.set_index("code_dep")
        regs = chosen["cog_regions"][0].table.set_index("code_reg")
        comparisons = _comparisons(variables, communes, deps.reset_index(), regs.reset_index(), epci, vintages, _supra(chosen))
        trend_tables, trend_manifest = _series(layers, previous_series, communes, chosen, vintages, deps, regs)
        gen = Generation.new(root)
        try:
            gen.write("communes", communes)
            gen.write("epci", epci)
            _write_epci_map_files(gen, epci, communes)
            gen.write("departements", deps)
            gen.write("regions", regs)
            gen.write("variables", variables)
            gen.write("comparaisons", comparisons)
            write_zonings(gen, chosen, communes.index, warnings)
            for stem, frame in trend_tables.items():
                gen.write(stem, frame)
            passage = with_arrondissements(chosen["passage"][0].table if "passage" in chosen else None)
            if "qpv2024" in chosen:
                warnings += qpv_warnings(chosen["qpv2024"][0].table, communes.index, passage, chosen["qpv2024"][0].origin)
            if "qpv_population" in chosen:
                contours = chosen["qpv2024"][0].table if "qpv2024" in chosen else None
                warnings += population_warnings(chosen["qpv_population"][0].table, contours, chosen["qpv_population"][0].origin)
            gen.write("passage", passage)
            _store_sources(gen, chosen)
            manifest = {
                "construit_le": datetime.now(UTC).isoformat(timespec="seconds"),
                "duree_construction_s": round(time.perf_counter() - started, 2),
                "jeux": [_entry(ds, rec) for ds, rec in chosen.values()],
                "variables": vintages,
                "comptes": {"communes": len(communes), "epci": len(epci), "departements": len(deps), "regions": len(regs),
                            "communes_sans_contour": int(communes.geometry.isna().sum()),
                            "communes_sans_epci": int(communes["code_epci"].isna().sum()),
                            "contours_perimes": len(stale), "valeurs_hors_domaine": sum(r["nb"] for r in rejected)},
                "contours_perimes": stale,
                "valeurs_hors_domaine": rejected,
                "passage": reports,
                "avertissements": warnings,
                **trend_manifest,
            }
            gen.commit(manifest)
        except BaseException:
            gen.discard()
            raise
    return read_manifest(root) or {}


def _entry(ds: Dataset, rec: FileRecord) -> dict:
    return {"id": ds.id or ds.kind, "type": ds.kind, "libelle": ds.label, "millesime": ds.vintage, "lignes": ds.rows,
            "origine": rec.origin, "fichier": rec.path, "date": rec.date, "sha256": rec.sha256, "taille": rec.size, "url": rec.url,
            "variables": ds.variables, "avertissements": ds.warnings, "valeurs_hors_domaine": ds.rejected}


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
