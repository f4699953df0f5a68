"""How a territory sits against the zonings public policy uses: bassins de vie 2022, zones d'emploi 2020,
aires d'attraction des villes 2020 and the France Ruralités Revitalisation classes.

For each zone touched: the share of the territory's population living in it, and the share of the
zone's own population inside the territory (below 1, the territory cuts the zone). Populations are
the reference communes' (the same as the diagnostic's), so zone totals and territory parts add up.
The alert ``ZONAGES_COUPES`` flags a territory whose population lives, beyond its main zone, in
bassins de vie or zones d'emploi that lie mostly outside it: it is then turned towards other poles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from .alerts import Alert
from .fr_format import count, fr_percent, fr_share

__all__ = ["ZONINGS", "Zoning", "ZoningParams", "Zonings", "territory_zonings", "outside_share", "zoning_alerts",
           "zone_outlines", "zonings_markdown", "outside_sentence", "ABSENT_HINT", "COLUMNS", "NO_AAV"]

ABSENT_HINT = "python -m ptce_geo data import DOSSIER (table d'appartenance géographique de l'INSEE, liste FRR) ou data update"


@dataclass(frozen=True)
class Zoning:
    """One zoning: id, label, singular and plural nouns, whether its zones are places (a share of a zone means something),
    and whether its noun is feminine (for agreement in sentences)."""

    id: str
    label: str
    noun: str
    plural: str
    places: bool
    feminine: bool = False


ZONINGS: dict[str, Zoning] = {z.id: z for z in (
    Zoning("bv2022", "Bassins de vie 2022", "bassin de vie", "bassins de vie", True),
    Zoning("ze2020", "Zones d'emploi 2020", "zone d'emploi", "zones d'emploi", True, feminine=True),
    Zoning("aav2020", "Aires d'attraction des villes 2020", "aire d'attraction", "aires d'attraction", True, feminine=True),
    Zoning("frr", "France Ruralités Revitalisation", "classement FRR", "classements FRR", False),
)}
NO_AAV = "000"  # « Commune hors attraction des villes »: a class, not a place
COLUMNS = ["zonage", "code", "nom", "communes_dans_territoire", "communes_zone", "population_dans_territoire", "population_zone",
           "part_du_territoire", "part_de_la_zone", "coupee"]


@dataclass
class ZoningParams:
    """Thresholds of the ``ZONAGES_COUPES`` alert (see the README, « Zonages »).

    A zone is *mostly outside* when less than ``zone_inside_min`` of its population lives in the territory.
    Leaving aside the zone holding most of the territory's population (a territory smaller than its zone
    d'emploi is normal), the alert is raised when at least ``vigilance_share`` of the territory's population
    lives in zones mostly outside (level ``vigilance``), ``alert_share`` for level ``alerte``.
    """

    zone_inside_min: float = 0.5  # « mostly outside »: less than half of the zone's population in the territory
    # a third of the inhabitants turned towards other poles; calibrated on the 1,255 EPCI of 2026 taken as territories:
    # BV 19 %, ZE 9 % of them reach it (most EPCI are drawn around their bassins); half of them: BV 5 %, ZE 0.7 %
    vigilance_share: float = 0.33
    alert_share: float = 0.50
    zonings: tuple[str, ...] = ("bv2022", "ze2020")

    def __post_init__(self) -> None:
        problems = [f"{name} : part entre 0 et 1 attendue, reçu {getattr(self, name)!r}"
                    for name in ("zone_inside_min", "vigilance_share", "alert_share")
                    if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), int | float)
                    or not 0 < getattr(self, name) <= 1]
        if not problems and self.alert_share < self.vigilance_share:
            problems.append(f"alert_share ({self.alert_share}) inférieur à vigilance_share ({self.vigilance_share})")
        problems += [f"zonings : zonage inconnu {z!r}" for z in self.zonings if z not in ZONINGS or not ZONINGS[z].places]
        if problems:
            raise ValueError("Paramètres de l'alerte sur les zonages invalides : " + " ; ".join(problems))


@dataclass
class Zonings:
    """The territory against each zoning: one row per zone touched (``COLUMNS``), zonings present, notes."""

    table: pd.DataFrame
    present: list[str]
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # zoning -> (source, vintage)
    notes: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return bool(self.present)

    def of(self, zoning: str) -> pd.DataFrame:
        return self.table[self.table["zonage"] == zoning]


class _Lookups:
    """Per reference, once: each commune's zone as an integer per zoning, zone totals, names, sources."""

    def __init__(self, ref) -> None:
        self.index = {code: i for i, code in enumerate(ref.communes.index)}
        population = ref.communes["population"].to_numpy(dtype="float64", na_value=np.nan)
        population = np.nan_to_num(population)
        self.zonings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        names = ref.zone_names
        self.names = {z: dict(zip(part["code"], part["nom"], strict=True)) for z, part in names.groupby("zonage")} if len(names) else {}
        for zoning in ZONINGS:
            if zoning not in ref.zonings.columns or ref.zonings[zoning].isna().all():
                continue
            codes = ref.zonings[zoning].reindex(ref.communes.index).to_numpy(dtype=object, na_value=None)
            ids, uniques = pd.factorize(codes, use_na_sentinel=True)
            n = len(uniques)
            valid = ids >= 0
            self.zonings[zoning] = (ids, np.asarray(uniques, dtype=object), np.bincount(ids[valid], minlength=n),
                                    np.bincount(ids[valid], weights=population[valid], minlength=n))
        jeux = {j["id"]: j for j in ref.manifest.get("jeux", [])}
        self.sources = {z: (jeux[f"zonage_{z}"]["libelle"], jeux[f"zonage_{z}"]["millesime"]) for z in self.zonings
                        if f"zonage_{z}" in jeux}

    @classmethod
    def of(cls, ref) -> _Lookups:
        return ref.derived("zoning_lookups", lambda: cls(ref))


def _rows(zoning: Zoning, look: _Lookups, positions: np.ndarray, population: np.ndarray) -> list[tuple]:
    ids, uniques, n_total, pop_total = look.zonings[zoning.id]
    k = ids[positions]
    inside = k >= 0
    n_in = np.bincount(k[inside], minlength=len(uniques))
    pop_in = np.bincount(k[inside], weights=population[inside], minlength=len(uniques))
    total = population.sum()
    names = look.names.get(zoning.id, {})
    rows = []
    touched = np.flatnonzero(n_in)
    for i in touched[np.argsort(-pop_in[touched], kind="stable")]:  # most populated part first
        code = uniques[i]
        place = zoning.places and code != NO_AAV
        share_zone = pop_in[i] / pop_total[i] if place and pop_total[i] > 0 else np.nan
        rows.append((zoning.id, code, names.get(code, f"Zone {code}"), int(n_in[i]), int(n_total[i]), pop_in[i], pop_total[i],
                     pop_in[i] / total if total > 0 else np.nan, share_zone, bool(place and n_in[i] < n_total[i])))
    if not inside.all():
        missing = population[~inside].sum()
        rows.append((zoning.id, "", "Commune sans zone connue", int((~inside).sum()), 0, missing, np.nan,
                     missing / total if total > 0 else np.nan, np.nan, False))
    return rows


def territory_zonings(ref, communes: pd.DataFrame) -> Zonings:
    """How the member ``communes`` (index = code, column ``population``) sit against each zoning loaded in ``ref``."""
    look = _Lookups.of(ref)
    present = [z for z in ZONINGS if z in look.zonings]
    notes = []
    absent = [ZONINGS[z].label for z in ZONINGS if z not in look.zonings]
    if absent:
        notes.append(f"Zonages absents des données chargées ({', '.join(absent)}) : {ABSENT_HINT}")
    positions = np.fromiter((look.index.get(c, -1) for c in communes.index.tolist()), dtype="int64", count=len(communes))
    known = positions >= 0
    population = np.nan_to_num(communes["population"].to_numpy(dtype="float64", na_value=np.nan))[known]
    rows = [row for z in present for row in _rows(ZONINGS[z], look, positions[known], population)]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return Zonings(table, present, {z: look.sources[z] for z in present if z in look.sources}, notes)


def outside_share(table: pd.DataFrame, zoning: str, params: ZoningParams) -> tuple[float, np.ndarray]:
    """Share of the territory's population living, beyond its main zone, in zones mostly outside it; those zones' rows."""
    of_territory = table["part_du_territoire"].to_numpy(dtype="float64", na_value=np.nan)
    of_zone = table["part_de_la_zone"].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero((table["zonage"].to_numpy(dtype=object) == zoning) & ~np.isnan(of_zone))
    if not len(rows):
        return 0.0, rows
    main = rows[np.argmax(of_territory[rows])]
    outside = rows[(rows != main) & (of_zone[rows] < params.zone_inside_min)]
    return float(of_territory[outside].sum()), outside


def zoning_alerts(zonings: Zonings | None, params: ZoningParams | None = None) -> list[Alert]:
    """``ZONAGES_COUPES``: a large part of the population in bassins de vie / zones d'emploi mostly outside the territory."""
    params = params or ZoningParams()
    if zonings is None:
        return []
    hits = []
    for zoning in params.zonings:
        if zoning not in zonings.present:
            continue
        share, outside = outside_share(zonings.table, zoning, params)
        if share >= params.vigilance_share:
            hits.append((ZONINGS[zoning], share, zonings.table.iloc[outside]))
    if not hits:
        return []
    parts = []
    for zoning, share, outside in hits:
        listed = ", ".join(f"{r.nom} ({fr_percent(r.part_de_la_zone)} de sa population dans le territoire)"
                           for r in outside.head(5).itertuples())
        more = f" et {len(outside) - 5} autres" if len(outside) > 5 else ""
        noun = zoning.noun if len(outside) == 1 else zoning.plural
        parts.append(f"{fr_percent(share)} de sa population vit dans {len(outside)} {noun} surtout hors du territoire ({listed}{more})")
    level = "alerte" if any(share >= params.alert_share for _, share, _ in hits) else "vigilance"
    message = (f"Le territoire coupe des espaces de vie : {' ; '.join(parts)}. Seuils : moins de {fr_percent(params.zone_inside_min)} "
               f"de la population de la zone dans le territoire, hors zone principale ; vigilance à {fr_percent(params.vigilance_share)}, "
               f"alerte à {fr_percent(params.alert_share)}. Ces habitants vivent et travaillent surtout tournés vers d'autres pôles : "
               "associez les acteurs de ces zones, ajoutez leurs communes ou resserrez le périmètre.")
    figures = {"seuil_part_de_la_zone": params.zone_inside_min, "seuil_vigilance": params.vigilance_share,
               "seuil_alerte": params.alert_share}
    for zoning, share, outside in hits:
        figures[zoning.id] = {"part_population_zones_surtout_hors": round(share, 4),
                              "zones": [{"code": r.code, "nom": r.nom, "part_du_territoire": round(float(r.part_du_territoire), 4),
                                         "part_de_la_zone": round(float(r.part_de_la_zone), 4)} for r in outside.itertuples()]}
    return [Alert("ZONAGES_COUPES", level, message, figures)]


def outside_sentence(share: float, n: int, zoning: Zoning, zone_inside_min: float) -> str:
    """The caption of ``outside_share``, agreeing with the number ``n`` of zones mostly outside (0, 1, several)."""
    e, limit = ("e" if zoning.feminine else ""), fr_percent(zone_inside_min)
    inside = f"moins de {limit} de sa population dans le territoire"
    if n == 0:
        return f"Hors zone principale, aucun habitant ne vit dans un{e} {zoning.noun} situé{e} surtout hors du territoire ({inside})."
    where = f"{count(n, zoning.noun, zoning.plural)} situé{e}{'s' if n > 1 else ''} surtout hors du territoire"
    return f"Hors zone principale, {fr_share(share)} de la population vit dans {where} ({f'chacun{e} avec ' if n > 1 else ''}{inside})."


def zone_outlines(ref, zoning: str, codes: list[str] | tuple[str, ...], tolerance_deg: float = 5e-4) -> pd.Series:
    """Outline of each zone of ``codes`` (index = code), dissolved from the commune polygons on first use, then kept.

    Only the zones asked for are dissolved (a few tens of ms each), and simplified by ~50 m in degrees
    for display: figures never use these outlines.
    """
    memo: dict = ref.derived("zone_outlines", dict)
    missing = [c for c in codes if (zoning, c) not in memo]
    if missing and zoning in ref.zonings.columns:
        members = ref.zonings[zoning].reindex(ref.communes.index).to_numpy(dtype=object, na_value=None)
        geoms = ref.communes.geometry
        for code in missing:
            parts = geoms[members == code].dropna().to_numpy()
            bad = ~shapely.is_valid(parts)
            parts[bad] = shapely.make_valid(parts[bad])
            shape = shapely.union_all(parts) if len(parts) else None
            if shape is not None:
                shape = shapely.simplify(shape, tolerance_deg, preserve_topology=True)
            memo[(zoning, code)] = shape
    return pd.Series({c: memo.get((zoning, c)) for c in codes}, dtype=object).dropna()


def zonings_markdown(zonings: Zonings | None, params: ZoningParams | None = None) -> list[str]:
    """The « Zonages » section of ``sources.md``: sources, method, alert thresholds."""
    params = params or ZoningParams()
    lines = ["## Zonages", ""]
    if zonings is None or not zonings.available:
        return lines + [f"Zonages absents : `{ABSENT_HINT}`.", ""]
    lines += [f"- {ZONINGS[z].label} : {src} ({vintage})." for z, (src, vintage) in zonings.sources.items()]
    lines += [*(f"- {note}" for note in zonings.notes),
              "- `zonages.csv` : une ligne par zone touchée ; `part_du_territoire` = population de la zone dans le territoire / population",
              "  du territoire ; `part_de_la_zone` = population de la zone dans le territoire / population de toute la zone (populations",
              "  des communes de la géographie de référence) ; `coupee` : la zone n'est qu'en partie dans le territoire.",
              f"- Alerte ZONAGES_COUPES ({', '.join(ZONINGS[z].label.lower() for z in params.zonings)}) : hors de la zone principale, "
              f"population vivant dans des zones dont moins de {params.zone_inside_min:.0%} de la population est dans le territoire ;"
              .replace("%", " %"),
              f"  vigilance dès {params.vigilance_share:.0%}, alerte dès {params.alert_share:.0%} de la population du territoire."
              .replace("%", " %"), ""]
    return lines
