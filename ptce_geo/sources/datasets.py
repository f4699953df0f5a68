"""Recognise each official dataset by its columns and turn it into a canonical table.

A dataset is recognised from its header, not its file name, so renamed downloads and the
copies in ``../shared/data`` are read alike. Each canonical table is keyed by the code of its
own geography; ``passage.py`` moves it onto the reference geography.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..codes import normalize_commune_codes
from ..errors import SourceFileError
from ..indicators import VARIABLES
from .census_series import SERIES_SEP, check_geography, period_columns, recognise_census_series
from .domain import negative, rate_outside, reject
from .tables import to_number

__all__ = ["Dataset", "SPECS", "recognise", "join_filosofi_parts", "EXPECTED_HEADERS"]

# header cells that identify a header row in xlsx files with title rows
EXPECTED_HEADERS = ("CODGEO", "code_insee", "Code_insee", "insee_com", "EPCI", "DEP", "REG", "COM", "code", "epci_siren", "code_ancien")


@dataclass
class Dataset:
    """A canonical table and what is known of it."""

    kind: str  # communes | epci | departements | regions | passage | variables
    id: str  # dataset id in the manifest
    label: str
    table: pd.DataFrame
    vintage: str
    origin: str
    variables: dict[str, dict] = field(default_factory=dict)  # variable -> {"annee": int, "millesime": str}
    warnings: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # values out of their domain set missing (domain.Rejection)

    @property
    def rows(self) -> int:
        return len(self.table)


def _year_from(name: str) -> int | None:
    """The last year in the file name: ``AAV2020_au_01-01-2025.xlsx`` is the 2025 geography."""
    years = re.findall(r"(20\d\d)", name.rsplit("/", 1)[-1])
    return int(years[-1]) if years else None


def _codes(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    codes = normalize_commune_codes(frame[column])
    bad = frame.loc[codes.isna(), column]
    bad = bad[bad.astype(str).str.strip() != ""]
    if len(bad) > max(10, 0.01 * len(frame)):
        raise SourceFileError(f"{name} : {len(bad)} codes commune invalides dans « {column} » (ex. {', '.join(map(str, bad[:5]))})"
                              + _other_geography(bad) + ".")
    return codes


def _other_geography(bad: pd.Series) -> str:
    """What the invalid codes look like, when they are the codes of another geography (départements, EPCI, IRIS)."""
    text = bad.astype(str).str.strip()
    for pattern, what in ((r"\d{1,2}|2[AB]|97\d", "des départements ou des régions"), (r"\d{9}", "des EPCI (SIREN) ou des IRIS"),
                          (r"\d[\dAB]\d{7}", "des IRIS")):
        if text.str.fullmatch(pattern).mean() > 0.9:
            return f" : ce sont les codes {what}, fichier d'une autre géographie que les communes"
    return ""


def _dedupe(table: pd.DataFrame, key: str, name: str, warnings: list[str]) -> pd.DataFrame:
    dup = table[key].duplicated(keep="first")
    if dup.any():
        warnings.append(f"{name} : {int(dup.sum())} codes en double ignorés (ex. {', '.join(table.loc[dup, key].astype(str)[:5])}).")
    return table[~dup & table[key].notna()]


def _require(frame: pd.DataFrame, columns: list[str], name: str, label: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceFileError(f"{name} : colonnes manquantes pour « {label} » : {', '.join(missing)}.")


# --- reference geography -----------------------------------------------------------------

def _decoupage_communes(frame: pd.DataFrame, name: str) -> Dataset:
    _require(frame, ["code_insee", "nom", "type", "dep", "reg", "epci_siren", "population"], name, "communes")
    current = frame[(frame["type"] == "commune-actuelle") & (frame.get("zone", "") != "com")]
    year = _year_from(name)
    warnings: list[str] = []
    table = pd.DataFrame({
        "code_commune": _codes(current, "code_insee", name),
        "nom": current["nom"],
        "code_dep": current["dep"],
        "code_reg": current["reg"],
        "code_epci": current["epci_siren"].where(current["epci_siren"].str.fullmatch(r"\d{9}"), None),
        "population": to_number(current["population"]),
    })
    table = _dedupe(table, "code_commune", name, warnings)
    ds = Dataset("communes", "cog_communes", "Communes (COG) et appartenance aux EPCI", table.reset_index(drop=True),
                 f"COG {year}" if year else "COG (millésime inconnu)", name, warnings=warnings)
    ds.variables["population"] = {"annee": (year - 3) if year else None,
                                  "millesime": f"Populations légales {year - 3} (en vigueur au 1er janvier {year})" if year else "inconnu"}
    return ds


def _insee_composition(frame: pd.DataFrame, name: str) -> Dataset:
    """INSEE table d'appartenance or Intercommunalité composition sheet (no population)."""
    warnings: list[str] = []
    table = pd.DataFrame({
        "code_commune": _codes(frame, "CODGEO", name),
        "nom": frame["LIBGEO"],
        "code_dep": frame["DEP"],
        "code_reg": frame["REG"],
        "code_epci": frame["EPCI"].where(frame["EPCI"].str.fullmatch(r"\d{9}"), None),
        "population": float("nan"),
    })
    table = _dedupe(table, "code_commune", name, warnings)
    year = _year_from(name)
    return Dataset("communes", "cog_communes", "Communes (INSEE) et appartenance aux EPCI", table.reset_index(drop=True),
                   f"géographie au 1er janvier {year}" if year else "géographie (millésime inconnu)", name, warnings=warnings)


_EPCI_TYPES = {"METRO": "METRO", "MET69": "METRO", "ME": "METRO", "CC": "CC", "CA": "CA", "CU": "CU"}


def _epci(frame: pd.DataFrame, name: str) -> Dataset:
    if "epci_siren" in frame:
        code, nom, typ = frame["epci_siren"], frame["epci_nom"], frame["epci_type"]
    else:
        code, nom, typ = frame["EPCI"], frame["LIBEPCI"], frame["NATURE_EPCI"]
    table = pd.DataFrame({"code_epci": code.str.strip(), "nom": nom, "type": typ.str.strip().map(_EPCI_TYPES).fillna(typ)})
    table = table[table["code_epci"].str.fullmatch(r"\d{9}")]
    warnings: list[str] = []
    table = _dedupe(table, "code_epci", name, warnings)
    year = _year_from(name)
    return Dataset("epci", "cog_epci", "EPCI à fiscalité propre", table.reset_index(drop=True),
                   f"EPCI au 1er janvier {year}" if year else "EPCI (millésime inconnu)", name, warnings=warnings)


def _metro_drom(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the overseas collectivities (COM): INSEE indicators do not cover them."""
    return frame[frame["zone"].isin(["metro", "drom"])] if "zone" in frame else frame


def _departements(frame: pd.DataFrame, name: str) -> Dataset:
    frame = _metro_drom(frame)
    if "region" in frame:
        table = pd.DataFrame({"code_dep": frame["code"], "nom": frame["nom"], "code_reg": frame["region"]})
    else:
        table = pd.DataFrame({"code_dep": frame["DEP"], "nom": frame["LIBELLE"], "code_reg": frame["REG"]})
    return Dataset("departements", "cog_departements", "Départements", table.reset_index(drop=True),
                   f"COG {_year_from(name) or ''}".strip(), name)


def _regions(frame: pd.DataFrame, name: str) -> Dataset:
    frame = _metro_drom(frame)
    table = pd.DataFrame({"code_reg": frame["code"], "nom": frame["nom"]}) if "code" in frame else \
        pd.DataFrame({"code_reg": frame["REG"], "nom": frame["LIBELLE"]})
    return Dataset("regions", "cog_regions", "Régions", table.reset_index(drop=True), f"COG {_year_from(name) or ''}".strip(), name)


def _passage(frame: pd.DataFrame, name: str) -> Dataset:
    new_col = next(c for c in frame.columns if c.startswith("code_") and c != "code_ancien")
    table = pd.DataFrame({"code_ancien": normalize_commune_codes(frame["code_ancien"]), "code_actuel": normalize_commune_codes(frame[new_col])})
    table = table.dropna().drop_duplicates("code_ancien")
    return Dataset("passage", "passage", "Table de passage des anciens codes commune", table.reset_index(drop=True),
                   f"vers la géographie {_year_from(new_col) or ''}".strip(), name)


def _cog_passage(frame: pd.DataFrame, name: str) -> Dataset:
    """INSEE COG commune list (v_commune_AAAA): communes déléguées and associées point to their commune."""
    old = frame[frame["TYPECOM"].isin(["COMD", "COMA"]) & frame["COMPARENT"].str.strip().ne("")]
    table = pd.DataFrame({"code_ancien": normalize_commune_codes(old["COM"]), "code_actuel": normalize_commune_codes(old["COMPARENT"])})
    table = table.dropna()
    table = table[table["code_ancien"] != table["code_actuel"]].drop_duplicates("code_ancien")
    year = _year_from(name)
    return Dataset("passage", "passage", "Communes déléguées et associées vers leur commune (COG)", table.reset_index(drop=True),
                   f"vers la géographie {year or ''}".strip(), name)


# --- indicators ----------------------------------------------------------------------------

# comparateur de territoires: (regex on the INSEE column, variable); the 2-digit year is captured
_COMPARATEUR = [
    (r"P(\d\d)_POP", "pop_rp"),
    (r"P(\d\d)_MEN", "menages"),
    (r"P(\d\d)_LOG", "logements"),
    (r"P(\d\d)_LOGVAC", "logements_vacants"),
    (r"P(\d\d)_RSECOCC", "res_secondaires"),
    (r"P(\d\d)_EMPLT", "emplois"),
    (r"P(\d\d)_EMPLT_SAL", "emplois_salaries"),
    (r"P(\d\d)_POP1564", "pop_1564"),
    (r"P(\d\d)_CHOM1564", "chomeurs_1564"),
    (r"P(\d\d)_ACT1564", "actifs_1564"),
    (r"NBMENFISC(\d\d)", "nb_menages_fisc"),
    (r"MED(\d\d)", "med_niveau_vie"),
    (r"ETTOT(\d\d)", "etab_total"),
    (r"ETAZ(\d\d)", "etab_agriculture"),
    (r"ETBE(\d\d)", "etab_industrie"),
    (r"ETFZ(\d\d)", "etab_construction"),
    (r"ETGU(\d\d)", "etab_commerce_services"),
    (r"ETOQ(\d\d)", "etab_admin_sante_social"),
]
_OLDER = {"pop_rp": "pop_rp_ancienne", "emplois": "emplois_anciens"}
# establishments (ETxx): INSEE's establishment statistics (CLAP, then Flores since the 2017 data), not Sirene
_MILLESIME = {"nb_menages_fisc": "Filosofi", "med_niveau_vie": "Filosofi"}


def _variables_frame(frame: pd.DataFrame, code_col: str, name: str, columns: dict[str, tuple[str, int, str]]) -> Dataset:
    """Common tail: numeric columns keyed by commune code, vintages recorded per variable."""
    decimal = frame.attrs.get("decimal", ".")
    table = pd.DataFrame({"code_commune": _codes(frame, code_col, name)})
    variables, rejected = {}, []
    for var, (col, year, millesime) in columns.items():
        values = pd.Series(to_number(frame[col], decimal).to_numpy(), index=table.index)
        if SERIES_SEP in var or (var in VARIABLES and VARIABLES[var].kind in ("count", "median")):
            values, refused = reject(values, negative(values), table["code_commune"], var, "sous zéro", name)
            rejected += [refused] if refused else []
        table[var] = values
        variables[var] = {"annee": year, "millesime": millesime}
    warnings: list[str] = [r.message() for r in rejected]
    table = _dedupe(table, "code_commune", name, warnings)
    return Dataset("variables", "", "", table.reset_index(drop=True), "", name, variables=variables, warnings=warnings,
                   rejected=[r.as_dict() for r in rejected])


def _comparateur(frame: pd.DataFrame, name: str) -> Dataset:
    columns: dict[str, tuple[str, int, str]] = {}
    for pattern, var in _COMPARATEUR:
        found = sorted(((int(m.group(1)), c) for c in frame.columns if (m := re.fullmatch(pattern, c))), reverse=True)
        if not found:
            continue
        year, col = found[0]
        kind = _MILLESIME.get(var, "CLAP/Flores fin" if var.startswith("etab") else "RP")
        columns[var] = (col, 2000 + year, f"{kind} {2000 + year}")
        if var in _OLDER and len(found) > 1:
            old_year, old_col = found[-1]
            columns[_OLDER[var]] = (old_col, 2000 + old_year, f"RP {2000 + old_year}")
    if "pop_rp" not in columns:
        raise SourceFileError(f"{name} : colonne de population (Pxx_POP) introuvable.")
    columns["surface_officielle_km2"] = ("SUPERF", columns["pop_rp"][1], "Superficie INSEE (géographie de l'édition du comparateur)")
    columns.update(period_columns(list(frame.columns)))
    ds = _variables_frame(frame[~frame["CODGEO"].str.match(r"^(751\d\d|6938\d|132\d\d)$")], "CODGEO", name, columns)
    pop_year = columns["pop_rp"][1]
    ds.id, ds.label, ds.vintage = "insee_comparateur", "INSEE, base du comparateur de territoires", f"RP {pop_year}"
    return ds


def _rp_extract(frame: pd.DataFrame, name: str) -> Dataset:
    """Comparateur 2024 extract (one row per commune; Paris/Lyon/Marseille only as arrondissements)."""
    spec = {"population_(20\\d\\d)": "pop_rp", "menages_(20\\d\\d)": "menages", "pop_15_64_totale_(20\\d\\d)": "pop_1564",
            "pop_15_64_chomage_(20\\d\\d)": "chomeurs_1564", "pop_15_64_active_(20\\d\\d)": "actifs_1564"}
    columns: dict[str, tuple[str, int, str]] = {}
    for pattern, var in spec.items():
        found = sorted(((int(m.group(1)), c) for c in frame.columns if (m := re.fullmatch(pattern, c))), reverse=True)
        if found:
            columns[var] = (found[0][1], found[0][0], f"RP {found[0][0]}")
            if var == "pop_rp" and len(found) > 1:
                columns["pop_rp_ancienne"] = (found[-1][1], found[-1][0], f"RP {found[-1][0]}")
    if "superficie_km2" in frame and "pop_rp" in columns:
        columns["surface_officielle_km2"] = ("superficie_km2", columns["pop_rp"][1], "Superficie INSEE (géographie de l'extrait)")
    frame = frame.copy()
    arm = frame["commune_type"].eq("ARM") & frame["insee_parente"].fillna("").ne("")
    frame.loc[arm, "insee_com"] = frame.loc[arm, "insee_parente"]
    decimal = frame.attrs.get("decimal", ".")
    numeric = pd.DataFrame({c: to_number(frame[c], decimal) for c, _, _ in columns.values()})
    numeric["insee_com"] = frame["insee_com"].to_numpy()
    summed = numeric.groupby("insee_com", sort=False).sum(min_count=1).reset_index().astype(str)
    summed.attrs["decimal"] = "."
    ds = _variables_frame(summed, "insee_com", name, columns)
    ds.id, ds.label, ds.vintage = "insee_rp_extrait", "INSEE, comparateur de territoires (extrait)", f"RP {columns['pop_rp'][1]}"
    ds.warnings.append(f"{name} : Paris, Lyon et Marseille reconstitués en sommant leurs arrondissements ({int(arm.sum())} lignes).")
    return ds


def _filosofi(frame: pd.DataFrame, name: str) -> Dataset:
    med = next(c for c in frame.columns if re.fullmatch(r"MED\d\d", c))
    yy = int(med[3:])
    year = 2000 + yy
    decimal = frame.attrs.get("decimal", ".")
    tp60 = to_number(frame.get(f"TP60{yy:02d}", pd.Series("", index=frame.index)), decimal)
    tp60, bad_rates = reject(tp60, rate_outside(tp60), frame["CODGEO"], f"TP60{yy:02d}", "hors de 0 à 100 %", name)
    pers = to_number(frame.get(f"NBPERSMENFISC{yy:02d}", pd.Series("", index=frame.index)), decimal)
    extra = frame[["CODGEO"]].copy()
    extra["__pauvres"] = (tp60 * pers / 100.0).astype(str)
    extra["__couv"] = pers.where(tp60.notna()).astype(str)
    merged = pd.concat([frame.reset_index(drop=True), extra.drop(columns="CODGEO").reset_index(drop=True)], axis=1)
    merged.attrs["decimal"] = decimal
    columns = {"med_niveau_vie": (med, year, f"Filosofi {year}"), "pers_pauvres": ("__pauvres", year, f"Filosofi {year}"),
               "pers_couv_pauvrete": ("__couv", year, f"Filosofi {year}")}
    for col, var in ((f"NBMENFISC{yy:02d}", "nb_menages_fisc"), (f"NBPERSMENFISC{yy:02d}", "nb_pers_menages_fisc"),
                     (f"D1{yy:02d}", "d1_niveau_vie"), (f"D9{yy:02d}", "d9_niveau_vie")):
        if col in frame:
            columns[var] = (col, year, f"Filosofi {year}")
    # the "__" helper columns are already '.'-decimal strings; re-read them with the file's mark is harmless
    ds = _variables_frame(merged[~merged["CODGEO"].str.match(r"^(751\d\d|6938\d|132\d\d)$")], "CODGEO", name, columns)
    ds.id, ds.label, ds.vintage = "insee_filosofi", "INSEE, Filosofi (revenus disponibles et pauvreté)", f"Filosofi {year}"
    if bad_rates is not None:
        ds.rejected.insert(0, bad_rates.as_dict())
        ds.warnings.insert(0, bad_rates.message())
    return ds


def _densite(frame: pd.DataFrame, name: str) -> Dataset:
    year = _year_from(name)
    ds = _variables_frame(frame, "CODGEO", name, {"densite_niveau": ("DENS", year, f"Grille de densité {year or ''}".strip())})
    bad = ds.table["densite_niveau"].notna() & ~ds.table["densite_niveau"].isin(range(1, 8))
    if bad.any():
        raise SourceFileError(f"{name} : niveaux de densité hors de 1 à 7 ({int(bad.sum())} communes).")
    ds.id, ds.label, ds.vintage = "insee_grille_densite", "INSEE, grille communale de densité (7 niveaux)", \
        f"Grille de densité {year or '(millésime inconnu)'}"
    return ds


def _zonages(frame: pd.DataFrame, name: str) -> Dataset:
    year = _year_from(name)
    ds = _variables_frame(frame, "CODGEO", name, {"aav_categorie": ("CATEAAV2020", year, "Zonage en aires d'attraction des villes 2020")})
    ds.id, ds.label = "insee_aav2020", "INSEE, zonage en aires d'attraction des villes 2020 (catégorie communale)"
    ds.vintage = f"géographie {year}" if year else "AAV 2020"
    return ds


@dataclass(frozen=True)
class Spec:
    """How to recognise one dataset from its columns."""

    required: frozenset[str]
    build: Callable[[pd.DataFrame, str], Dataset]
    forbidden: frozenset[str] = frozenset()


SPECS: tuple[Spec, ...] = (
    Spec(frozenset({"code_insee", "epci_siren", "type"}), _decoupage_communes),
    Spec(frozenset({"epci_siren", "epci_nom", "epci_type"}), _epci, frozenset({"code_insee"})),
    Spec(frozenset({"EPCI", "LIBEPCI", "NATURE_EPCI"}), _epci, frozenset({"CODGEO"})),
    Spec(frozenset({"code", "region", "nom", "chefLieu"}), _departements),
    # ARR / CTCD: the COG's arrondissement and collectivité files share the département / région header
    Spec(frozenset({"DEP", "REG", "LIBELLE", "CHEFLIEU"}), _departements, frozenset({"COM", "ARR"})),
    Spec(frozenset({"code", "nom", "chefLieu"}), _regions, frozenset({"region"})),
    Spec(frozenset({"REG", "LIBELLE", "CHEFLIEU"}), _regions, frozenset({"DEP", "COM", "CTCD"})),
    Spec(frozenset({"code_ancien"}), _passage),
    Spec(frozenset({"TYPECOM", "COM", "COMPARENT"}), _cog_passage),
    Spec(frozenset({"CODGEO", "DENS"}), _densite),
    Spec(frozenset({"CODGEO", "CATEAAV2020"}), _zonages, frozenset({"COM"})),
    Spec(frozenset({"CODGEO", "LIBGEO", "DEP", "REG", "EPCI"}), _insee_composition, frozenset({"CATEAAV2020", "COM"})),
    Spec(frozenset({"insee_com", "commune_type", "insee_parente"}), _rp_extract),
    Spec(frozenset({"CODGEO", "SUPERF"}), _comparateur),
    Spec(frozenset({"CODGEO", "NBMENFISC21"}), _filosofi, frozenset({"SUPERF"})),
)
_FILOSOFI_ANY = re.compile(r"MED\d\d")


_FILO_DISP = re.compile(r"FILO(20\d\d)_DISP_(PAUVRES_)?COM\b", re.IGNORECASE)


def join_filosofi_parts(tables: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
    """Join the two halves of INSEE's Filosofi communes zip so ``recognise`` reads them as one dataset.

    Since 2018 the official zip holds the distribution (``FILOyyyy_DISP_COM``: NBMENyy, NBPERSyy, Q2yy =
    median niveau de vie) and the poverty rates (``FILOyyyy_DISP_PAUVRES_COM``: TP60yy) in two CSVs, next
    to declared-income files (``DEC``) that are not the niveau de vie. Each DISP pair is joined on CODGEO
    under the comparateur's names (MEDyy, NBMENFISCyy, NBPERSMENFISCyy, TP60yy); other tables pass unchanged.
    """
    parts: dict[str, dict[str, tuple[str, pd.DataFrame]]] = {}
    out = []
    for name, frame in tables:
        match = _FILO_DISP.search(name.rsplit("/", 1)[-1])
        if match and "CODGEO" in frame.columns:
            parts.setdefault(match.group(1), {})["pauvres" if match.group(2) else "disp"] = (name, frame)
        else:
            out.append((name, frame))
    for year, pair in parts.items():
        if "disp" not in pair:
            out.append(pair["pauvres"])
            continue
        yy = year[2:]
        name, disp = pair["disp"]
        joined = disp.rename(columns=lambda c: str(c).strip())
        joined = joined.rename(columns={f"Q2{yy}": f"MED{yy}", f"NBMEN{yy}": f"NBMENFISC{yy}", f"NBPERS{yy}": f"NBPERSMENFISC{yy}"})
        poor = pair.get("pauvres", ("", pd.DataFrame()))[1].rename(columns=lambda c: str(c).strip())
        if f"TP60{yy}" in poor.columns and f"TP60{yy}" not in joined.columns:
            joined = joined.merge(poor[["CODGEO", f"TP60{yy}"]].drop_duplicates("CODGEO"), on="CODGEO", how="left")
            joined[f"TP60{yy}"] = joined[f"TP60{yy}"].fillna("")
        joined.attrs["decimal"] = disp.attrs.get("decimal", ".")
        out.append((name, joined))
    return out


def recognise(frame: pd.DataFrame, name: str) -> Dataset | None:
    """The canonical dataset in ``frame``, or ``None`` when no known dataset matches its header."""
    from .supra import is_other_zoning, recognise_supra  # supra builds on this module's Dataset

    frame = frame.rename(columns=lambda c: str(c).strip())
    cols = set(frame.columns)
    if frame.empty:
        raise SourceFileError(f"{name} : aucune ligne de données.")
    if is_other_zoning(name):
        return None
    if (supra := recognise_supra(frame, name)) is not None:
        return supra
    check_geography(frame, name)
    if (series := recognise_census_series(frame, name, _variables_frame)) is not None:
        return series
    for spec in SPECS:
        if spec.required <= cols and not (spec.forbidden & cols):
            return spec.build(frame, name)
    if "CODGEO" in cols and "SUPERF" not in cols and any(_FILOSOFI_ANY.fullmatch(c) for c in cols):
        return _filosofi(frame, name)
    return None
