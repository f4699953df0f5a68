"""Exports of a diagnostic: CSV (standard or French Excel), GeoJSON, GeoPackage, sources file, zip.

Spreadsheets execute cells starting with ``= + - @`` (and tab / carriage return): every text
cell is neutralised with a leading apostrophe, while numeric columns stay numbers. The French
Excel flavour (``;``, decimal comma, UTF-8 BOM) is encoded here because ``DataFrame.to_csv()``
without a path ignores ``encoding``.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .alerts import AlertParams
from .cache import atomic_write_bytes
from .csvsafe import FLAVOURS, check_flavour, to_csv_bytes
from .diagnostic import Diagnostic, mixed_vintages_note
from .errors import PtceGeoError
from .fr_format import fr_number, fr_percent, yes_no
from .income import MEASURED_ERROR, METHOD
from .indicators import DENSITY_LEVELS, KIND_LABELS, indicator
from .qpv import qpv_sentences, synthesis_rows
from .reference import FETCH_HINT
from .zonings import COLUMNS as ZONING_COLUMNS
from .zonings import zonings_markdown

__all__ = ["FLAVOURS", "to_csv_bytes", "tables", "geo_layers", "sources_text", "thresholds_table", "write_diagnostic", "export_zip", "zip_files"]
_GEO_COLUMNS = ["nom", "code_epci", "code_dep", "population", "surface_km2", "part_surface", "selected_by"]
_DISPARITY_COLUMNS = {"n_epci": "n_epci", "parties_marginales": "parties_marginales",
                      "min": "min_epci", "epci_min": "epci_min", "max": "max_epci", "epci_max": "epci_max",
                      "ratio_max_min": "ratio_max_min", "ecart_max_min": "ecart_max_min", "cv_pondere": "cv_pondere",
                      "theil": "theil", "theil_inter_epci": "theil_inter_epci", "theil_intra_epci": "theil_intra_epci",
                      "part_inter_epci": "part_theil_inter_epci", "base_theil": "base_theil"}


def _overview_rows(diag: Diagnostic) -> pd.DataFrame:
    o, zones = diag.overview, diag.zones
    places = {level: " ; ".join(f"{r.code} {r.nom} ({r.part_du_territoire:.0%} de la population)".replace("%", " %")
                                for r in zones[zones["niveau"] == level].itertuples()) for level in ("departement", "region")}
    rows = [
        ("definition", "Définition du territoire", o["definition"]),
        ("millesime_geographie", "Géographie de référence", o["millesime_geographie"]),
        ("communes", "Communes", o["communes"]),
        ("population", f"Population ({o['millesime_population']})", o["population"]),
        ("surface_km2", "Surface (km²)", o["surface_km2"]),
        ("densite", "Densité (hab./km²)", o["densite"]),
        ("epci", "EPCI touchés", o["epci"]),
        ("epci_partiels", "EPCI partiellement inclus", o["epci_partiels"]),
        ("departements", "Départements touchés", places["departement"]),
        ("regions", "Régions touchées", places["region"]),
        ("diametre_km", "Plus grande distance entre deux points du territoire (km)", o["diametre_km"]),
        ("part_population_rurale", "Part de la population en commune rurale (densité 5 à 7)", o["part_population_rurale"]),
        ("part_population_urbaine", "Part de la population en commune urbaine (densité 1 à 4)", o["part_population_urbaine"]),
        ("indice_heterogeneite_7_niveaux", "Indice d'hétérogénéité rural/urbain, 7 niveaux (0 à 1)", o["indice_heterogeneite_7_niveaux"]),
        ("indice_heterogeneite_3_groupes", "Indice d'hétérogénéité rural/urbain, 3 groupes (0 à 1)", o["indice_heterogeneite_3_groupes"]),
    ]
    rows += [("note_rural_urbain", "Note sur la répartition rurale/urbaine", note) for note in diag.rural_urban.notes]
    rows = [(k, label, None if isinstance(v, float) and np.isnan(v) else v) for k, label, v in rows]
    return pd.DataFrame(rows, columns=["cle", "libelle", "valeur"]).astype({"valeur": object})


def _rural_urban_rows(diag: Diagnostic) -> pd.DataFrame:
    mix = diag.rural_urban
    frames = []
    for name, frame in (("densite_7_niveaux", mix.levels), ("densite_3_groupes", mix.groups), ("aav_2020", mix.aav)):
        if len(frame):
            part = frame.reset_index().drop(columns=["groupe"], errors="ignore")
            part.insert(0, "classement", name)
            part["code"] = part["code"].astype(str)
            frames.append(part)
    columns = ["classement", "code", "libelle", "communes", "population", "part_population", "surface_km2", "part_surface"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def census_columns(diag: Diagnostic) -> dict[str, str]:
    """Indicator id -> column name carrying its census year(s): ``pop_rp_rp2021``, ``evol_pop_rp2015_2021``.

    RP 2021 and RP 2018 figures sit side by side in the same tables: the year is in the column name.
    """
    out = {}
    for ind, millesime in diag.summary["millesime"].items():
        years = sorted(set(re.findall(r"RP (\d{4})", str(millesime))))
        if years:
            out[ind] = f"{ind}_rp{'_'.join(years)}"
    return out


def _as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as a reader should see them: ``-0.0`` as ``0.0`` (IEEE: ``-0.0 + 0.0`` is ``+0.0``) and booleans as
    ``oui``/``non`` (never ``True``/``False``), in typed columns and in cells of mixed text columns."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(yes_no)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col] + 0.0
        elif out[col].dtype == object:
            out[col] = out[col].map(lambda v: v + 0.0 if isinstance(v, float) else yes_no(v) if isinstance(v, bool) else v)
    return out


def tables(diag: Diagnostic) -> dict[str, pd.DataFrame]:
    """The CSV tables by file stem, as written. Shares (``part_*``, ``couverture``) are fractions from 0 to 1."""
    summary = diag.summary.join(diag.disparities.drop(columns="libelle").rename(columns=_DISPARITY_COLUMNS))
    summary["type"] = summary["type"].map(lambda kind: KIND_LABELS.get(kind, kind))
    at = list(summary.columns).index("source")
    order = [c for c in summary.columns if c not in _DISPARITY_COLUMNS.values()]
    order = order[:at] + list(_DISPARITY_COLUMNS.values()) + order[at:]
    years = census_columns(diag)
    out = {
        "resume": _overview_rows(diag),
        "communes": diag.communes.rename(columns=years).reset_index(),
        "epci": diag.epci.rename(columns=years).reset_index(),
        "synthese": pd.concat([summary[order].reset_index(), synthesis_rows(diag.qpv)], ignore_index=True),
        "alertes": diag.alerts_table,
        "rural_urbain": _rural_urban_rows(diag),
        "zonages": diag.zonings.table if diag.zonings is not None else pd.DataFrame(columns=ZONING_COLUMNS),
        "tendances": diag.trends,
    }
    if diag.qpv is not None:
        out["qpv"] = diag.qpv.table
    if diag.territory.definition.polygon is not None:
        out["communes_coupees"] = diag.territory.edge.reset_index()
    return {stem: _as_written(frame) for stem, frame in out.items()}


def geo_layers(diag: Diagnostic) -> dict[str, gpd.GeoDataFrame]:
    """``territoire`` (outline, one feature) and ``communes`` (members), EPSG:4326."""
    t, o = diag.territory, diag.overview
    outline = gpd.GeoDataFrame({
        "definition": [o["definition"]], "communes": [o["communes"]], "population": [o["population"]],
        "surface_km2": [o["surface_km2"]], "epci": [o["epci"]], "millesime_geographie": [o["millesime_geographie"]],
    }, geometry=[t.geometry], crs=4326)
    communes = t.communes[_GEO_COLUMNS + ["geometry"]].rename(columns={"selected_by": "selection"}).reset_index()
    level = diag.communes["densite_niveau"].reindex(t.communes.index)
    communes["densite_niveau"] = level.to_numpy(dtype="float64", na_value=np.nan)
    communes["densite_libelle"] = level.map(DENSITY_LEVELS, na_action="ignore").astype(object).to_numpy()
    return {"territoire": outline, "communes": gpd.GeoDataFrame(communes, geometry="geometry", crs=4326)}


def _table_md(frame: pd.DataFrame) -> str:
    cells = frame.astype(str).apply(lambda s: s.str.replace("|", "/", regex=False).str.replace("\n", " ", regex=False))
    head = "| " + " | ".join(cells.columns) + " |\n|" + "---|" * len(cells.columns) + "\n"
    return head + "".join("| " + " | ".join(row) + " |\n" for row in cells.itertuples(index=False))


# column headings of the tables of sources.md, in words for people
_SOURCE_HEADINGS = {"jeu": "Jeu", "libelle": "Libellé", "millesime": "Millésime", "origine": "Origine", "fichier": "Fichier", "date": "Date",
                    "hors_domaine": "Hors domaine", "indicateur": "Indicateur", "source": "Source", "couverture": "Couverture",
                    "approximatif": "Approximatif"}


def sources_text(diag: Diagnostic, command: str | None = None) -> str:
    """Markdown: date, command, territory, datasets with vintages, per-indicator sources, methods, thresholds."""
    t, s = diag.territory, diag.summary
    per_indicator = s[["libelle", "source", "millesime", "couverture", "approximatif"]].reset_index()
    per_indicator["couverture"] = per_indicator["couverture"].map(fr_percent)
    per_indicator["approximatif"] = per_indicator["approximatif"].map({True: "oui", False: "non"})
    per_indicator = per_indicator.rename(columns=_SOURCE_HEADINGS)
    datasets = diag.sources.assign(date=diag.sources["date"].astype(str).str[:10])  # the day: a full timestamp cannot wrap
    if "hors_domaine" in datasets and not datasets["hors_domaine"].astype(bool).any():
        datasets = datasets.drop(columns="hors_domaine")
    datasets = datasets.rename(columns=_SOURCE_HEADINGS)
    lines = [
        "# Diagnostic territorial — sources, millésimes et méthodes", "",
        f"- Date du calcul : {diag.created} (UTC)",
        f"- Commande : `{command}`" if command else "- Commande : (appel de la bibliothèque ptce_geo)",
        f"- Territoire : {diag.overview['definition']} Définition complète : `territoire.json`.",
        f"- Géographie de référence : {t.geography_vintage} ; population : {diag.overview['millesime_population']}.", "",
        "## Jeux de données en service", "", _table_md(datasets), "",
        "## Indicateurs : source et millésime", "", _table_md(per_indicator), "",
    ]
    if diag.missing:
        lines += ["## Indicateurs manquants", "", ", ".join(diag.missing) + ".", "", f"Pour les obtenir : `{FETCH_HINT}`", ""]
    if t.warnings or diag.rural_urban.notes:
        lines += ["## Avertissements", ""] + [f"- {w}" for w in t.warnings + diag.rural_urban.notes] + [""]
    lines += _quality_lines(diag)
    p = diag.params
    lines += [
        "## Méthodes", "",
        "- **Parts** (colonnes `part_*`, `couverture`, `part_population`, `part_surface`) : fractions de 0 à 1 dans tous les CSV ;",
        "  les taux et parts d'indicateurs (unité « % » dans `synthese.csv`) sont en pourcentage, de 0 à 100.",
        "- Chiffres du recensement : l'année est dans le nom de colonne (`pop_rp_rp2021`, `logements_rp2018`) de `communes.csv` et",
        "  `epci.csv`, et dans la colonne `millesime` de `synthese.csv`."
        + (f" {mixed_vintages_note(diag.summary)}" if mixed_vintages_note(diag.summary) else ""),
        "- Comptes sommés ; taux et parts recalculés à partir des numérateurs et dénominateurs sommés (jamais une moyenne de taux),",
        "  sur les communes où les deux sont connus (voir la couverture) ; évolutions annuelles à partir des populations sommées.",
        "- Médiane du niveau de vie et taux de pauvreté : **publiés INSEE** pour un EPCI entier, un département, une région ou la "
        "France métropolitaine quand la valeur publiée est du millésime des communes (jamais de millésimes mélangés) ; sinon "
        f"**{METHOD}** ; {MEASURED_ERROR}. Colonnes `methode_*` et `couverture_*` de `synthese.csv` : méthode et couverture de "
        "chaque colonne (couverture : part de la population dont la commune publie la valeur ; 100 % pour une valeur publiée).",
        "- Sélection par polygone : une commune est retenue si au moins la part choisie de sa surface (mesurée en Lambert-93, ou dans la",
        "  projection de son département d'outre-mer) est dans le polygone ; les communes coupées sont listées dans `communes_coupees.csv`.",
        "- Disparités entre parties d'EPCI : rapport max/min, coefficient de variation pondéré par la population, indice de Theil T",
        "  calculé sur les valeurs communales pondérées par le dénominateur de l'indicateur, décomposé exactement en part inter-EPCI",
        "  et intra-EPCI (base de chaque indice dans `synthese.csv`, colonne `base_theil`).",
        "- Tendances (`tendances.csv` : indicateur, niveau, code, libellé, année ou période, valeur, unité, source, millésime) : chaque",
        "  millésime du recensement, de l'état civil et de Filosofi ramené sur la géographie de référence par la table de passage ;",
        "  variation de population = solde naturel (naissances − décès de la période) + solde migratoire apparent (le reste, comme",
        "  l'INSEE : il comprend aussi les écarts de mesure entre recensements) ; médiane du niveau de vie et taux de pauvreté estimés",
        "  de la même façon à chaque date et à chaque niveau (aucun changement de méthode dans une évolution). Une valeur dont les",
        "  communes connues pèsent moins de 99 % de la population le dit dans `millesime` (couverture).",
        "- Indice d'hétérogénéité rural/urbain : entropie de Shannon normalisée des parts de population par niveau de densité",
        "  (0 = toute la population dans un niveau, 1 = population également répartie).", "",
        "## Seuils des alertes", "", _table_md(thresholds_table(p)), "",
    ]
    lines += zonings_markdown(diag.zonings, diag.zoning_params)
    lines += ["## Quartiers prioritaires (QPV)", ""]
    if diag.qpv is None:
        lines += ["- " + synthesis_rows(None)["note"].iloc[0] + ".", ""]
    else:
        lines += [*(f"- {sentence}" for sentence in qpv_sentences(diag.qpv)),
                  "- `qpv.csv` : un quartier par ligne (commune de rattachement, EPCI, coupé ou non, population) ; un quartier à cheval "
                  "sur une commune hors du territoire est « coupé » : listé, sa population n'est pas comptée (elle n'est pas connue "
                  "de part et d'autre). Lignes `population_qpv` et `part_population_qpv` de `synthese.csv`.", ""]
    return "\n".join(lines)


def thresholds_table(p: AlertParams) -> pd.DataFrame:
    """The alert thresholds as a table for people: what is measured, when it alerts, in French figures and units."""
    rows = [("Territoire trop vaste", "Nombre de communes", f"plus de {fr_number(p.max_communes)}"),
            ("Territoire trop vaste", "Départements touchés", f"plus de {fr_number(p.max_departements)}"),
            ("Territoire trop vaste", "Plus grande distance entre deux points", f"plus de {fr_number(p.max_diameter_km)} km"),
            ("Mixité rurale/urbaine", "Part de la population rurale et part urbaine", f"chacune au moins {fr_percent(p.mixed_min_share)}"),
            ("Couverture incomplète", "Part de la population où l'indicateur est connu", f"moins de {fr_percent(p.min_coverage)}")]
    rows += [("Disparité forte entre EPCI", indicator(ind_id).label,
              f"rapport max/min d'au moins {fr_number(ratio, 2)} ou coefficient de variation pondéré d'au moins {fr_number(cv, 2)}")
             for ind_id, (ratio, cv) in p.disparity.items()]
    return pd.DataFrame(rows, columns=["Alerte", "Mesure", "Seuil"])


def _quality_lines(diag: Diagnostic) -> list[str]:
    """Values set missing because out of their domain, and stale commune contours of the territory."""
    lines = ["## Données invraisemblables mises à l'écart", ""]
    rejected = diag.sources[diag.sources.get("hors_domaine", pd.Series(dtype=str)).fillna("").ne("")] if len(diag.sources) else diag.sources
    lines += [f"- {r.jeu} : {r.hors_domaine}" for r in rejected.itertuples()] or ["- Aucune valeur hors domaine (taux hors de 0 à 100, "
                                                                                  "comptes ou médianes négatifs, recensement à 0)."]
    stale = diag.territory.communes.get("contour_perime", pd.Series(dtype=bool)).fillna(False).astype(bool)
    codes = sorted(stale.index[stale])
    lines += [f"- Contours périmés dans le territoire (moins de la moitié de la superficie officielle INSEE) : {', '.join(codes)}."
              if codes else "- Aucun contour communal périmé dans le territoire.", ""]
    return lines


def _files(diag: Diagnostic, flavour: str, command: str | None, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every export file name -> content (``extra``: more files, e.g. the actor inventory's)."""
    check_flavour(flavour)
    files = {f"{stem}.csv": to_csv_bytes(frame, flavour) for stem, frame in tables(diag).items()}
    layers = geo_layers(diag)
    with tempfile.TemporaryDirectory(prefix="ptce_export_") as tmp:
        folder = Path(tmp)
        for name, layer in layers.items():
            path = folder / f"{name}.geojson"
            pyogrio.write_dataframe(layer, path, driver="GeoJSON", layer=name, RFC7946="YES")
            files[f"{name}.geojson"] = path.read_bytes()
            pyogrio.write_dataframe(layer, folder / "territoire.gpkg", driver="GPKG", layer=name, promote_to_multi=True,
                                    append=name != "territoire")
        files["territoire.gpkg"] = (folder / "territoire.gpkg").read_bytes()
    definition = {"definition": diag.territory.definition.to_dict(), "millesime_geographie": diag.territory.geography_vintage}
    files["territoire.json"] = json.dumps(definition, ensure_ascii=False, indent=1).encode("utf-8")
    files["sources.md"] = sources_text(diag, command).encode("utf-8")
    return {**files, **(extra or {})}


def write_diagnostic(diag: Diagnostic, out_dir: Path | str, flavour: str = "standard", command: str | None = None,
                     extra: dict[str, bytes] | None = None) -> list[Path]:
    """Write every export file into ``out_dir`` (created if needed); returns the paths written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PtceGeoError(f"{out} existe et n'est pas un dossier : choisissez un autre dossier de sortie.")
    written = []
    for name, data in _files(diag, flavour, command, extra).items():
        atomic_write_bytes(out / name, data)
        (out / name).chmod(0o644)  # the temporary file was private
        written.append(out / name)
    return written


def zip_files(files: Mapping[str, bytes], stamp: datetime | None = None) -> bytes:
    """``files`` in one ZIP archive, every member dated ``stamp`` (now by default). With a given stamp the same files
    give the same bytes, so a download button built on them keeps its address when the page reruns."""
    when = (stamp or datetime.now()).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            member = zipfile.ZipInfo(name, date_time=when)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16  # readable once extracted, as writestr(name) would give
            archive.writestr(member, data)
    return buffer.getvalue()


def export_zip(diag: Diagnostic, flavour: str = "standard", command: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """All export files in one zip archive (for a download button)."""
    return zip_files(_files(diag, flavour, command, extra))
