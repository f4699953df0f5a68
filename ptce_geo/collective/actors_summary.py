"""What the actor inventory tells the diagnostic: counts, plurality of the collective, blind spots, alerts.

*Plurality* is measured on the collective — actors involved in the PTCE (noyau dur, cellule de
pilotage, groupes) — because a PTCE is by law (loi du 31 juillet 2014, art. 9) a grouping of ESS
enterprises with classic companies and local authorities; the same figures for the whole inventory
are given next to it. The diversity index is Shannon's entropy of the kinds of structure divided by
``ln(14)``, the entropy of the fourteen kinds of ``KINDS`` in equal numbers: 0 = one kind only, 1 = all
kinds equally represented. Shannon rather than Simpson because it weighs rare kinds more (the single local
authority of a collective of associations counts), and dividing by the possible kinds rather
than by the kinds present (Pielou) keeps richness in the measure: two kinds half and half give 0.26,
not a perfect 1. Alerts have the form of the territorial ones: ``code, niveau, chiffres, message``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..alerts import LEVELS  # same levels as the territorial alerts
from ..errors import ActorError, TerritoryError
from ..fr_format import count, fr_int, fr_number
from .actor_schema import INVOLVED_LEVELS, INVOLVEMENT_LEVELS, KINDS, fold, split_list
from .analysis import drift_alerts

__all__ = ["ActorSummary", "summarise_actors", "diversity_index", "ALERT_COLUMNS", "LEVELS", "LOW_DIVERSITY"]

ALERT_COLUMNS = ("code", "niveau", "chiffres", "message")
LOW_DIVERSITY = 0.35  # below: about two kinds or fewer in practice (two equal kinds = 0.26, three = 0.42)
UNKNOWN = "non renseigné"
_NEEDED = ("nom", "type_structure", "ess", "thematiques", "implication", "code_commune")


@dataclass
class ActorSummary:
    """The actor side of the diagnostic; ``tables()`` gives each table with its export file name."""

    by_kind: pd.DataFrame
    by_ess: pd.DataFrame
    by_theme: pd.DataFrame
    by_involvement: pd.DataFrame
    plurality: pd.DataFrame
    by_epci: pd.DataFrame
    epci_without_actor: pd.DataFrame
    communes_without_actor: pd.DataFrame
    outside: pd.DataFrame
    single_actor_themes: pd.DataFrame
    alerts: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: table}`` for the diagnostic export (``acteurs_par_type.csv``…)."""
        return {"acteurs_par_type": self.by_kind, "acteurs_par_ess": self.by_ess, "acteurs_par_thematique": self.by_theme,
                "acteurs_par_implication": self.by_involvement, "acteurs_pluralite": self.plurality, "acteurs_par_epci": self.by_epci,
                "acteurs_epci_sans_acteur": self.epci_without_actor, "acteurs_communes_sans_acteur": self.communes_without_actor,
                "acteurs_hors_territoire": self.outside, "acteurs_thematiques_isolees": self.single_actor_themes,
                "acteurs_alertes": self.alerts}


def diversity_index(kinds: pd.Series, n_kinds: int = len(KINDS)) -> float:
    """Shannon entropy of ``kinds`` over ``ln(n_kinds)``, in [0, 1]; NaN when no kind is known."""
    counts = kinds.dropna().value_counts()
    total = counts.sum()
    if total == 0:
        return float("nan")
    entropy = -sum((c / total) * math.log(c / total) for c in counts if c)
    return round(entropy / math.log(n_kinds), 4)


def _count(values: pd.Series, involved: pd.Series, order: list[str]) -> pd.DataFrame:
    values = values.fillna(UNKNOWN)
    table = pd.DataFrame({"acteurs": values.value_counts(), "impliques": values[involved].value_counts()}).fillna(0).astype("int64")
    extra = [m for m in table.index if m not in order]
    table = table.reindex(order + sorted(extra, key=lambda m: (-table.loc[m, "acteurs"], m)), fill_value=0)
    if UNKNOWN in table.index and table.loc[UNKNOWN, "acteurs"] == 0:
        table = table.drop(index=UNKNOWN)
    total = max(int(values.size), 1)
    table["part_pct"] = (100 * table["acteurs"] / total).round(1)
    return table.rename_axis("modalite").reset_index()


def _themes(actors: pd.DataFrame, involved: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [(line, item) for line, text in actors["thematiques"].items() for item in split_list(text)]
    long = pd.DataFrame(rows, columns=["ligne", "thematique"])
    if long.empty:
        empty = pd.DataFrame({"modalite": pd.Series(dtype="str"), "acteurs": pd.Series(dtype="int64"),
                              "impliques": pd.Series(dtype="int64"), "part_pct": pd.Series(dtype="float64")})
        return empty, pd.DataFrame({"thematique": pd.Series(dtype="str"), "acteur": pd.Series(dtype="str")})
    long["key"] = long["thematique"].map(fold)
    long = long.drop_duplicates(["ligne", "key"])
    label = long.groupby("key")["thematique"].first()
    long["thematique"] = long["key"].map(label)
    long["implique"] = involved.reindex(long["ligne"]).to_numpy()
    table = long.groupby("thematique").agg(acteurs=("ligne", "size"), impliques=("implique", "sum"))
    table = table.astype("int64").sort_values(["acteurs", "impliques"], ascending=False)
    table["part_pct"] = (100 * table["acteurs"] / max(len(actors), 1)).round(1)
    single = long[long["thematique"].isin(table.index[table["acteurs"] == 1])]
    isolated = pd.DataFrame({"thematique": single["thematique"].to_numpy(),
                             "acteur": actors["nom"].reindex(single["ligne"]).to_numpy()}).sort_values("thematique")
    return table.rename_axis("modalite").reset_index(), isolated.reset_index(drop=True)


def _plurality(actors: pd.DataFrame, involved: pd.Series) -> pd.DataFrame:
    rows = []
    for label, part in (("collectif (acteurs impliqués)", actors[involved]), ("inventaire (tous les acteurs)", actors)):
        kinds = part["type_structure"].dropna()
        top = kinds.value_counts()
        rows.append({"perimetre": label, "acteurs": len(part), "types_differents": int(kinds.nunique()),
                     "indice_diversite": diversity_index(kinds), "type_dominant": top.index[0] if len(top) else None,
                     "part_type_dominant_pct": round(100 * top.iloc[0] / len(kinds), 1) if len(top) else float("nan"),
                     "acteurs_ess": int(part["ess"].fillna(False).astype(bool).sum())})
    return pd.DataFrame(rows)


def _geography(actors: pd.DataFrame, involved: pd.Series, territory: list[str], communes: pd.DataFrame,
               epci: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    members = communes.loc[territory, ["nom", "code_epci", "population"]]
    per_commune = actors.groupby("code_commune").size()
    per_commune_inv = actors[involved].groupby("code_commune").size()
    members = members.assign(acteurs=per_commune.reindex(members.index, fill_value=0).astype("int64"),
                             impliques=per_commune_inv.reindex(members.index, fill_value=0).astype("int64"))
    blank = members[members["acteurs"] == 0].rename_axis("code_commune").reset_index()
    blank = blank[["code_commune", "nom", "code_epci", "population"]].sort_values("population", ascending=False, na_position="last")
    grouped = members.assign(code_epci=members["code_epci"].fillna("sans EPCI")).groupby("code_epci")
    by_epci = grouped.agg(communes_territoire=("nom", "size"), population_territoire=("population", "sum"),
                          acteurs=("acteurs", "sum"), impliques=("impliques", "sum"))
    by_epci.insert(0, "nom", epci["nom"].reindex(by_epci.index).fillna("communes sans EPCI (îles mono-communales)"))
    by_epci = by_epci.rename_axis("code_epci").reset_index().sort_values(["acteurs", "population_territoire"], ascending=[True, False])
    outside_mask = ~actors["code_commune"].isin(territory)
    outside = actors.loc[outside_mask, ["nom", "type_structure", "implication", "commune", "code_commune"]].copy()
    outside.insert(0, "motif", outside["code_commune"].isna().map({True: "non localisé", False: "hors territoire"}))
    return by_epci.reset_index(drop=True), by_epci[by_epci["acteurs"] == 0].reset_index(drop=True), blank.reset_index(drop=True), \
        outside.rename_axis("ligne").reset_index()


def _alert(code: str, niveau: str, chiffres: str, message: str) -> dict:
    return {"code": code, "niveau": niveau, "chiffres": chiffres, "message": message}


def _collective_alerts(actors: pd.DataFrame, involved: pd.Series, plurality: pd.DataFrame) -> list[dict]:
    n_inv = int(involved.sum())
    if n_inv == 0:
        return [_alert("collectif_aucun_implique", "alerte", f"0 acteur impliqué sur {fr_int(len(actors))}",
                       "Aucun acteur inventorié n'est impliqué dans le PTCE (noyau dur, cellule de pilotage ou groupes).")]
    collective = actors[involved]
    kinds = collective["type_structure"].dropna()
    out = []
    row = plurality.iloc[0]
    if n_inv >= 2 and kinds.nunique() == 1:
        out.append(_alert("collectif_un_seul_type", "alerte", f"1 type ({kinds.iloc[0]}) pour {fr_int(n_inv)} acteurs impliqués",
                          f"Le collectif n'est composé que de structures de type « {kinds.iloc[0]} » : la coopération "
                          "économique territoriale suppose des structures de natures différentes."))
    elif n_inv >= 3 and row["indice_diversite"] < LOW_DIVERSITY:
        out.append(_alert("collectif_peu_divers", "vigilance", f"indice de diversité {fr_number(row['indice_diversite'], 2)} "
                          f"({row['types_differents']} types, « {row['type_dominant']} » {fr_number(row['part_type_dominant_pct'])} %)",
                          "Le collectif est peu divers : un type de structure domine largement."))
    checks = (("collectif_sans_ess", "alerte", collective["ess"].fillna(False).astype(bool).sum() == 0,
               "Aucune structure de l'ESS n'est impliquée : un PTCE se constitue autour d'entreprises de l'ESS."),
              ("collectif_sans_collectivite", "vigilance", not (collective["type_structure"] == "collectivité").any(),
               "Aucune collectivité territoriale n'est impliquée dans le collectif."),
              ("collectif_sans_entreprise", "vigilance", not (collective["type_structure"] == "entreprise").any(),
               "Aucune entreprise hors ESS n'est impliquée : un PTCE associe entreprises de l'ESS et entreprises classiques."),
              ("noyau_dur_absent", "vigilance", not (collective["implication"] == "noyau dur").any(),
               "Des acteurs sont impliqués mais aucun n'est déclaré dans le noyau dur."))
    for code, niveau, failed, message in checks:
        if failed:
            out.append(_alert(code, niveau, f"0 sur {fr_int(n_inv)} acteurs impliqués", message))
    return out + (drift_alerts(collective) if "interet" in collective else [])


def _territory_alerts(actors: pd.DataFrame, by_epci: pd.DataFrame, blank: pd.DataFrame, outside: pd.DataFrame,
                      communes_total: int, population_total: float) -> list[dict]:
    out = []
    for _, row in by_epci[by_epci["acteurs"] == 0].iterrows():
        out.append(_alert("epci_sans_acteur", "vigilance",
                          f"0 acteur · {count(row['communes_territoire'], 'commune', 'communes')} · {fr_int(row['population_territoire'])} hab.",
                          f"{row['nom']} ({row['code_epci']}) n'a aucun acteur inventorié sur le territoire."))
    if len(blank):
        share = 100 * blank["population"].sum() / population_total if population_total else float("nan")
        out.append(_alert("communes_sans_acteur", "info", f"{count(len(blank), 'commune', 'communes')} sur {fr_int(communes_total)} "
                          f"({fr_number(share)} % de la population)",
                          "Communes du territoire sans aucun acteur inventorié (zones blanches)."))
    for motif, code, niveau, message in (("hors territoire", "acteurs_hors_territoire", "info",
                                          "Acteurs situés hors du territoire d'action (à confirmer ou à rattacher)."),
                                         ("non localisé", "acteurs_non_localises", "vigilance",
                                          "Acteurs sans commune : ils ne comptent pas dans la couverture du territoire.")):
        n = int((outside["motif"] == motif).sum())
        if n:
            out.append(_alert(code, niveau, f"{count(n, 'acteur', 'acteurs')} sur {fr_int(len(actors))}", message))
    return out


def summarise_actors(actors: pd.DataFrame, territory_communes: list[str], communes: pd.DataFrame, epci: pd.DataFrame) -> ActorSummary:
    """Counts by kind / ESS / theme / involvement, plurality, blind spots and alerts for one territory.

    ``actors`` is the output of ``validate_actors`` (or ``place_actors``); ``territory_communes`` the
    INSEE codes of the territory's communes; ``communes`` and ``epci`` the reference tables.
    """
    missing = [c for c in _NEEDED if c not in actors.columns]
    if missing:
        raise ActorError(f"table d'acteurs sans les colonnes : {', '.join(missing)}.")
    territory = list(dict.fromkeys(str(c) for c in territory_communes))
    unknown = [c for c in territory if c not in communes.index]
    if unknown:
        raise TerritoryError(f"codes communes inconnus du référentiel : {', '.join(unknown[:10])}" + (" …" if len(unknown) > 10 else ""))
    actors = actors[~actors.index.duplicated()] if actors.index.has_duplicates else actors
    involved = actors["implication"].isin(INVOLVED_LEVELS)
    by_theme, isolated = _themes(actors, involved)
    ess = actors["ess"].map({True: "ESS", False: "hors ESS"}).astype("str")
    plurality = _plurality(actors, involved)
    by_epci, epci_blank, blank, outside = _geography(actors, involved, territory, communes, epci)
    alerts: list[dict] = []
    if len(actors) == 0:
        alerts.append(_alert("acteurs_aucun", "alerte", "0 acteur", "L'inventaire des acteurs est vide."))
    else:
        alerts += _collective_alerts(actors, involved, plurality)
        alerts += _territory_alerts(actors, by_epci, blank, outside, len(territory),
                                    float(communes.loc[territory, "population"].sum()))
        if len(isolated):
            alerts.append(_alert("thematiques_isolees", "info", f"{count(len(isolated), 'thématique', 'thématiques')}",
                                 "Thématiques portées par un seul acteur : " + ", ".join(isolated["thematique"].head(15)) +
                                 (" …" if len(isolated) > 15 else "") + "."))
        n_unknown = int(actors["type_structure"].isna().sum())
        if n_unknown:
            alerts.append(_alert("type_non_renseigne", "info", f"{count(n_unknown, 'acteur', 'acteurs')}",
                                 "Type de structure non renseigné : ces acteurs ne comptent pas dans la pluralité."))
    order = {lvl: i for i, lvl in enumerate(reversed(LEVELS))}
    alerts_frame = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    alerts_frame = alerts_frame.sort_values("niveau", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return ActorSummary(
        by_kind=_count(actors["type_structure"], involved, list(KINDS) + [UNKNOWN]),
        by_ess=_count(ess, involved, ["ESS", "hors ESS", UNKNOWN]),
        by_theme=by_theme,
        by_involvement=_count(actors["implication"], involved, list(INVOLVEMENT_LEVELS)),
        plurality=plurality, by_epci=by_epci, epci_without_actor=epci_blank, communes_without_actor=blank, outside=outside,
        single_actor_themes=isolated, alerts=alerts_frame,
    )
