"""The « Trajectoire » tab of the Diagnostic page: population and its balances, jobs, unemployment, income, ages.

Only display: every figure is a row of ``Diagnostic.trends`` (``ptce_geo.trends``). Charts are Altair with
French number formatting; each chart names its sources and vintages below it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ptce_geo.fr_format import D3_LOCALE, fr_value
from ptce_geo.income import error_note
from ptce_geo.reference import FETCH_HINT
from ptce_geo.trends import MIGRATION_NOTE, TREND_INDICATORS, as_index
from ui.panels import md

__all__ = ["block", "AGE_MISSING"]

AGE_MISSING = ("Structure par âge : fichier absent, importer le fichier INSEE « Évolution et structure de la population » "
               "(base-cc-evol-struct-pop, niveau communes) avec `python -m ptce_geo data import DOSSIER` ; les séries depuis 1968 "
               "(base-cc-serie-historique) allongent aussi la courbe de population.")
_TERRITORY, _FRANCE = "#d95f02", "#525252"
_PALETTE = ["#2c7fb8", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#7fcdbb", "#984ea3", "#a6cee3"]
_MAX_DEFAULT = 8


def _entities(trends: pd.DataFrame) -> pd.DataFrame:
    out = trends.copy()
    label = out["libelle"].astype(str)
    out["entite"] = label.where(~out["niveau"].eq("departement"), label + " (" + out["code"].astype(str) + ")")
    out.loc[out["niveau"].eq("region"), "entite"] = label + " (région)"
    out["an"] = out["annee"].astype(str).str[-4:].astype(int)
    out["texte"] = [fr_value(v, u) for v, u in zip(out["valeur"], out["unite"], strict=True)]
    return out


def _colors(names: list[str]) -> alt.Scale:
    others = iter(_PALETTE * 3)
    return alt.Scale(domain=names, range=[_TERRITORY if n == "Territoire" else _FRANCE if n == "France" else next(others) for n in names])


def _chosen(data: pd.DataFrame) -> list[str]:
    order = ["territoire", "epci", "departement", "region", "france"]
    names = list(dict.fromkeys(data.sort_values("niveau", key=lambda s: s.map(order.index), kind="stable")["entite"]))
    default = [n for n in names if not data.loc[data["entite"] == n, "niveau"].eq("epci").any()]
    default += [n for n in names if n not in default][: max(0, _MAX_DEFAULT - len(default))]
    return st.multiselect("Comparer", names, default=[n for n in names if n in default], key="diag_trajectoire_entites",
                          placeholder="Choisir des territoires…")


def _lines(data: pd.DataFrame, names: list[str], y: str, title: str, fmt: str) -> alt.Chart:
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("an:Q", title="Année", axis=alt.Axis(format="d", tickMinStep=1), scale=alt.Scale(zero=False)),
        y=alt.Y(f"{y}:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=fmt)),
        color=alt.Color("entite:N", title=None, scale=_colors(names), legend=alt.Legend(orient="bottom", columns=2, labelLimit=320)),
        tooltip=[alt.Tooltip("entite:N", title="Territoire"), alt.Tooltip("annee:N", title="Année"),
                 alt.Tooltip("texte:N", title="Valeur")])


def _show(chart: alt.Chart) -> None:
    st.altair_chart(chart.properties(height=300).configure(locale=D3_LOCALE), width="stretch")


def _sources(data: pd.DataFrame) -> None:
    pairs = data[["source", "millesime"]].drop_duplicates()
    sources = "; ".join(dict.fromkeys(pairs["source"].astype(str)))
    vintages = ", ".join(dict.fromkeys(pairs["millesime"].astype(str).str.split(" ; ").str[0]))
    st.caption(f"Source : {md(sources)}. Millésimes : {md(vintages)}.")


def _indicator_lines(data: pd.DataFrame, names: list[str], ind: str, indexed: bool = False) -> None:
    part = data[data["indicateur"] == ind]
    if part.empty:
        return
    meta = TREND_INDICATORS[ind]
    if indexed:
        part = as_index(part.drop(columns="an")).assign(texte=lambda f: [f"{t} (indice {v:.1f})".replace(".", ",")
                                                                         for t, v in zip(f["texte"], f["indice"], strict=True)])
        st.markdown(f"**{md(meta.label)}** (indice base 100 à la première date)")
        _show(_lines(part, names, "indice", "Indice (base 100)", ",.0f"))
    else:
        st.markdown(f"**{md(meta.label)}** ({md(meta.unit)})")
        _show(_lines(part, names, "valeur", meta.unit, ",.1f" if meta.unit != "€/an" else ",.0f"))
    _sources(part)


def _balances(data: pd.DataFrame, names: list[str]) -> None:
    parts = data[data["indicateur"].isin(["taux_solde_naturel", "taux_solde_migratoire_apparent"])]
    if parts.empty:
        st.info("Solde naturel et solde migratoire : naissances et décès de la période absents (ils viennent du comparateur de "
                "territoires ou des séries historiques de l'INSEE).")
        return
    period = st.selectbox("Période", sorted(parts["annee"].unique(), reverse=True), key="diag_trajectoire_periode", placeholder="Choisir…")
    parts = parts[parts["annee"] == period].assign(
        composante=lambda f: f["indicateur"].map({"taux_solde_naturel": "Solde naturel",
                                                 "taux_solde_migratoire_apparent": "Solde migratoire apparent"}))
    st.markdown(f"**Évolution annuelle moyenne de la population {md(period)}, par composante** (%/an)")
    chart = alt.Chart(parts).mark_bar().encode(
        y=alt.Y("entite:N", title=None, sort=names, axis=alt.Axis(labelLimit=320)),
        x=alt.X("valeur:Q", title="%/an", axis=alt.Axis(format=",.2f")),
        color=alt.Color("composante:N", title=None, scale=alt.Scale(domain=["Solde naturel", "Solde migratoire apparent"],
                                                                   range=["#2c7fb8", "#7fcdbb"]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("entite:N", title="Territoire"), alt.Tooltip("composante:N", title="Composante"),
                 alt.Tooltip("texte:N", title="Valeur")])
    st.altair_chart(chart.properties(height=alt.Step(26)).configure(locale=D3_LOCALE), width="stretch")
    counts = data[(data["annee"] == period) & data["indicateur"].isin(["variation_population", "solde_naturel", "solde_migratoire_apparent"])]
    table = counts.pivot_table(index="entite", columns="indicateur", values="texte", aggfunc="first").reindex(
        [n for n in names if n in set(counts["entite"])])
    table = table.reindex(columns=["variation_population", "solde_naturel", "solde_migratoire_apparent"]).rename(
        columns={k: TREND_INDICATORS[k].label for k in TREND_INDICATORS})
    st.dataframe(table, width="stretch")
    note = MIGRATION_NOTE[0].upper() + MIGRATION_NOTE[1:]
    st.caption(f"Les deux composantes s'additionnent : leur somme est l'évolution annuelle totale. {md(note)}.")
    _sources(parts)


def _age_structure(data: pd.DataFrame, names: list[str]) -> None:
    bands = {f"part_{b}": TREND_INDICATORS[f"part_{b}"].label.removeprefix("Part des ") for b in ("0014", "1529", "3044", "4559", "6074", "75p")}
    parts = data[data["indicateur"].isin(bands)]
    last = parts["an"].max()
    parts = parts[parts["an"] == last].assign(tranche=lambda f: f["indicateur"].map(bands))
    st.markdown(f"**Structure par âge en {last}** (% de la population)")
    chart = alt.Chart(parts).mark_bar().encode(
        y=alt.Y("entite:N", title=None, sort=names, axis=alt.Axis(labelLimit=320)),
        x=alt.X("valeur:Q", title="%", stack="zero", axis=alt.Axis(format=",.0f")),
        color=alt.Color("tranche:N", title=None, sort=list(bands.values()), scale=alt.Scale(scheme="yellowgreenblue"),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("indicateur:N"),
        tooltip=[alt.Tooltip("entite:N", title="Territoire"), alt.Tooltip("tranche:N", title="Tranche"), alt.Tooltip("texte:N", title="Part")])
    st.altair_chart(chart.properties(height=alt.Step(26)).configure(locale=D3_LOCALE), width="stretch")
    _sources(parts)


def block(diag) -> None:
    """The whole tab."""
    trends = diag.trends
    if trends is None or trends.empty:
        st.info(f"Aucune série chargée (recensement, état civil, Filosofi) : {FETCH_HINT}")
        return
    data = _entities(trends)
    names = _chosen(data)
    data = data[data["entite"].isin(names)]
    if data.empty:
        st.info("Choisissez au moins un territoire à comparer.")
        return
    st.subheader("Population")
    _indicator_lines(data, names, "population", indexed=True)
    _balances(data, names)
    st.subheader("Emploi, chômage, activité")
    _indicator_lines(data, names, "emplois", indexed=True)
    _indicator_lines(data, names, "taux_chomage")
    _indicator_lines(data, names, "taux_activite")
    st.subheader("Revenus et pauvreté")
    _indicator_lines(data, names, "med_niveau_vie")
    _indicator_lines(data, names, "taux_pauvrete")
    st.caption("Médiane et taux de pauvreté estimés de la même façon à chaque date et pour chaque territoire (y compris "
               "départements, régions et France métropolitaine, dont l'INSEE publie aussi les valeurs) : l'évolution ne mêle "
               "jamais une valeur publiée et une estimation. Les valeurs publiées sont dans la rubrique Synthèse. Erreur mesurée sur "
               f"2019 (écart absolu médian à la valeur publiée par l'INSEE) : {error_note('taux_pauvrete', 'epci')} et "
               f"{error_note('med_niveau_vie', 'epci')} pour un EPCI, {error_note('taux_pauvrete', 'france')} et "
               f"{error_note('med_niveau_vie', 'france')} pour la France métropolitaine (taux de pauvreté estimé 14,8 % contre "
               "14,5 % publié) ; non mesurable pour 2021, faute de valeurs supra-communales Filosofi 2021 dans les données chargées.")
    st.subheader("Âges")
    if data["indicateur"].str.startswith("part_").any():
        _age_structure(data, names)
        _indicator_lines(data, names, "part_65p")
        _indicator_lines(data, names, "indice_vieillissement")
    else:
        st.info(AGE_MISSING)
    st.caption("Toutes les valeurs, dates et sources : fichier `tendances.csv` de la page Export.")
