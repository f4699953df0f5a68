"""Blocks of the Diagnostic page: summary with comparisons, EPCI table and disparity chart, rural/urban, alerts, sources.

Only display: every figure comes from ``ptce_geo.diagnostic.Diagnostic``. Numbers are written
the French way (``12 345,6``); charts are Altair (shipped with Streamlit), coloured with the
same colour-blind-safe palette as the maps.
"""

from __future__ import annotations

import itertools
import re

import altair as alt
import pandas as pd
import streamlit as st

from ptce_geo.alerts import EPCI_TYPE_LABELS, Alert
from ptce_geo.diagnostic import NO_EPCI, Diagnostic, figure_note, mixed_vintages_note
from ptce_geo.disparity import MARGINAL_LABEL, MARGINAL_MAX_POPULATION, MARGINAL_MAX_SHARE
from ptce_geo.export import sources_text
from ptce_geo.fr_format import D3_LOCALE, count, fr_int, fr_number, fr_percent, fr_value, yes_no
from ptce_geo.income import ERROR_LEGEND, error_note
from ptce_geo.indicators import DENSITY_LEVELS, indicator
from ptce_geo.mapping import DENSITY_COLORS
from ui.links import SECTION_PARAM, section_slug
from ui.panels import md, md_multiline

__all__ = ["linked_section", "link_section",
           "key_figures", "alerts_line", "summary_table", "epci_table", "disparity_chart", "disparity_table", "rural_urban",
           "alerts", "sources", "EXPLANATIONS"]

# level -> (st function, icon, badge colour); Material icons ship with Streamlit (no emoji font needed)
_LEVEL_STYLE = {"alerte": ("error", ":material/error:", "red"), "vigilance": ("warning", ":material/warning:", "orange"),
                "info": ("info", ":material/info:", "blue")}
BAR_COLOR, TERRITORY_COLOR, FRANCE_COLOR = "#2c7fb8", "#d95f02", "#525252"


def linked_section(titles: list[str], default: str) -> str:
    """The section a link or a reload asks for (``?rubrique=``, ``section_slug``), else ``default``; an unknown one is
    said and ignored."""
    wanted = st.query_params.get(SECTION_PARAM)
    by_slug = {section_slug(title): title for title in titles}
    if wanted is None or wanted in by_slug:
        return by_slug.get(wanted, default)
    st.warning(f"Paramètre d'URL « {SECTION_PARAM} » ignoré : « {md(wanted[:60])} » n'est pas une rubrique du diagnostic "
               f"({', '.join(by_slug)}).", icon=":material/warning:")
    return default


def link_section(title: str) -> None:
    """The section shown, written in the URL (``?rubrique=``), so that a link or a reload opens it."""
    if st.query_params.get(SECTION_PARAM) != (slug := section_slug(title)):
        st.query_params[SECTION_PARAM] = slug


def _noted(text: str, note: str) -> str:
    return f"{text} ({note})" if note and text and text != "—" else text


def key_figures(diag: Diagnostic) -> None:
    o = diag.overview
    cols = st.columns(6)
    cols[0].metric("Communes", fr_int(o["communes"]))
    cols[1].metric("Population", fr_int(o["population"]), help=o["millesime_population"] or None)
    cols[2].metric("Surface (km²)", fr_number(o["surface_km2"]))
    cols[3].metric("Densité (hab./km²)", fr_value(o["densite"], "hab./km²", with_unit=False))
    cols[4].metric("EPCI", fr_int(o["epci"]), help=f"dont {o['epci_partiels']} en partie seulement" if o["epci_partiels"] else None)
    cols[5].metric("Diamètre (km)", fr_number(o["diametre_km"]), help="Plus grande distance entre deux points du territoire")


def alerts_line(diag: Diagnostic) -> None:
    if not diag.alerts:
        st.success("Aucune alerte sur ce territoire.", icon=":material/check_circle:")
        return
    counts = pd.Series([a.level for a in diag.alerts]).value_counts()
    parts = [f":{_LEVEL_STYLE[level][2]}-badge[{count(counts[level], level, level + 's')}]" for level in ("alerte", "vigilance", "info")
             if level in counts]
    st.markdown(f"**{count(len(diag.alerts), 'alerte', 'alertes')}** : " + " · ".join(parts) + " — détail dans la rubrique *Alertes*.")


def _comparison_columns(diag: Diagnostic) -> dict[str, str]:
    """Summary column -> heading: « Somme (80) », « Hauts-de-France (32) », « France »."""
    names = {f"{row.niveau}_{row.code}": f"{row.nom} ({row.code})" for row in diag.zones.itertuples()}
    return {c: ("France" if c == "france" else names.get(c, c)) for c in diag.summary.columns
            if c == "france" or c.startswith(("departement_", "region_"))}


def summary_table(diag: Diagnostic) -> None:
    """Every available indicator: territory, départements, régions, France, coverage, source and vintage."""
    s = diag.summary[diag.summary["disponible"]]
    comparisons = _comparison_columns(diag)
    rows = []
    floor = diag.params.min_coverage
    for ind, r in s.iterrows():
        row = {"Thème": r["theme"], "Indicateur": r["libelle"], "Millésime": r["millesime"], "Source": r["source"],
               "Territoire": _noted(fr_value(r["valeur_territoire"], r["unite"]),
                                    figure_note(r["methode"], r["couverture"], floor, error_note(ind, "territoire")))}
        row.update({heading: _noted(fr_value(r[col], r["unite"]), figure_note(r[f"methode_{col}"], r[f"couverture_{col}"], floor,
                                                                               error_note(ind, col.split("_")[0])))
                    for col, heading in comparisons.items()})
        row["Couverture"] = fr_percent(r["couverture"])
        rows.append(row)
    # vintage and source next to the indicator, not past the comparison columns where a 1024 px window never shows them;
    # the indicator stays pinned while the table scrolls sideways
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=min(40 + 35 * len(rows), 720),
                 column_config={"Thème": st.column_config.TextColumn(width="small"),
                                "Indicateur": st.column_config.TextColumn(pinned=True, width="medium"),
                                "Source": st.column_config.TextColumn(width="small", help="Source de l'indicateur (texte entier au survol)")})
    st.caption("Couverture : part de la population des communes où l'indicateur est connu (secret statistique ; 100 % pour une "
               f"valeur publiée par l'INSEE). Toute valeur couverte à moins de {fr_percent(floor)} porte sa "
               "couverture entre parenthèses. Taux recalculés à partir des numérateurs et dénominateurs sommés. Médiane du niveau de "
               "vie et taux de pauvreté : « publié INSEE » pour un EPCI, un département, une région ou la France métropolitaine quand "
               "l'INSEE publie la valeur du même millésime que les communes, ou pour un territoire qui en réunit toutes les communes, "
               f"sinon « estimé » sur toutes les communes (méthode dans « Sources et méthodes ») ; {ERROR_LEGEND}.")
    mixed = mixed_vintages_note(diag.summary)
    if mixed:
        st.warning(mixed, icon=":material/history:")
    if diag.missing:
        labels = ", ".join(diag.summary.loc[diag.missing, "libelle"].str.lower())
        st.info(f"**{len(diag.missing)} indicateurs absents des données chargées** ({md(labels)}). Pour les obtenir : "
                f"`{diag.fetch_hint}`", icon=":material/info:")


def _main_indicators(diag: Diagnostic) -> list[str]:
    return [i for i in diag.disparities.index if i in diag.epci.columns]


def epci_table(diag: Diagnostic) -> None:
    """One row per EPCI part: how much of it is inside, and its main indicators (numbers sortable, shown in French)."""
    e = diag.epci
    inds = _main_indicators(diag)
    table = pd.DataFrame({
        "EPCI": e["nom"].astype(str), "SIREN": e.index.astype(str),
        "Type": [EPCI_TYPE_LABELS.get(t, t) for t in e["type"].astype(str)],
        "Communes dans le territoire": e["communes_dans_territoire"].astype(int), "Communes de l'EPCI": e["communes_total"].astype(int),
        "Population dans le territoire": e["population_dans_territoire"].astype("float64"),
        "Part de la population de l'EPCI": e["part_population"].astype("float64"),
        "Partie marginale": [MARGINAL_LABEL if m else "" for m in e["partie_marginale"].to_numpy(dtype=bool)],
    })
    units = {}
    for ind_id in inds:
        ind = indicator(ind_id)
        # the vintage's short form (« RP 2021 », « Populations légales 2023 »): RP 2021 next to RP 2018 is visible here,
        # its full wording stays in the synthesis table
        vintage = str(diag.summary.at[ind_id, "millesime"]).split(" (")[0].split(" ;")[0] if ind_id in diag.summary.index else ""
        heading = f"{ind.label} ({ind.unit}{', ' + vintage if vintage else ''})"
        table[heading] = e[ind_id].astype("float64").to_numpy()
        units[heading] = ind.unit
    table.loc[table["SIREN"] == NO_EPCI, ["EPCI", "SIREN"]] = ["Communes sans EPCI", "—"]
    formats = {"Population dans le territoire": lambda v: fr_value(v), "Part de la population de l'EPCI": fr_percent,
               **{h: (lambda v, u=u: fr_value(v, u, with_unit=False)) for h, u in units.items()}}
    st.dataframe(table.style.format(formats), hide_index=True, width="stretch")
    mixed = mixed_vintages_note(diag.summary, inds)
    if mixed:
        st.warning(mixed, icon=":material/history:")
    if "methode_med_niveau_vie" in e:
        published = int((e["methode_med_niveau_vie"] == "publié INSEE").sum())
        st.caption(f"Médiane du niveau de vie et taux de pauvreté : {count(published, 'EPCI entier', 'EPCI entiers')} avec la valeur "
                   f"publiée par l'INSEE, {count(len(e) - published, 'estimé', 'estimés')} sur toutes leurs communes dans le territoire "
                   "(voir « Sources et méthodes »).")


def disparity_chart(diag: Diagnostic) -> None:
    """Bars of one indicator per EPCI part, with the territory's and France's values as lines."""
    inds = _main_indicators(diag)
    if not inds:
        st.info("Aucun indicateur socio-économique chargé : pas de disparités à montrer.")
        return
    ind_id = st.selectbox("Indicateur", inds, key="diag_disparite", format_func=lambda i: f"{indicator(i).label} ({indicator(i).unit})",
                          index=inds.index("taux_chomage") if "taux_chomage" in inds else 0, placeholder="Choisir…")
    ind = indicator(ind_id)
    parts = diag.epci[diag.epci.index != NO_EPCI]
    names = parts["nom"].astype(str).to_numpy(dtype=object)
    marginal = parts["partie_marginale"].to_numpy(dtype=bool)
    names[marginal] = [f"{n} ({MARGINAL_LABEL}, hors disparités)" for n in names[marginal]]
    data = pd.DataFrame({"EPCI": names, "valeur": parts[ind_id].astype("float64").to_numpy(),
                         "population": parts["population_dans_territoire"].astype("float64").to_numpy()}).dropna(subset=["valeur"])
    if data.empty:
        st.info("Valeur inconnue pour toutes les parties d'EPCI (secret statistique).")
        return
    data["texte"] = [fr_value(v, ind.unit) for v in data["valeur"]]
    data["habitants"] = [fr_int(v) for v in data["population"]]
    refs = pd.DataFrame({"repere": ["Territoire", "France"],
                         "valeur": [diag.summary.at[ind_id, "valeur_territoire"], diag.summary.at[ind_id, "france"]]}).dropna()
    refs["texte"] = [fr_value(v, ind.unit) for v in refs["valeur"]]
    title = f"{ind.label} ({ind.unit})"
    bars = alt.Chart(data).mark_bar(color=BAR_COLOR).encode(
        x=alt.X("valeur:Q", title=title), y=alt.Y("EPCI:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("EPCI:N"), alt.Tooltip("texte:N", title=ind.label), alt.Tooltip("habitants:N", title="Habitants dans le territoire")])
    rules = alt.Chart(refs).mark_rule(strokeWidth=2, strokeDash=[6, 3]).encode(
        x="valeur:Q", color=alt.Color("repere:N", title="Repère", scale=alt.Scale(domain=["Territoire", "France"],
                                                                                 range=[TERRITORY_COLOR, FRANCE_COLOR])),
        tooltip=[alt.Tooltip("repere:N", title="Repère"), alt.Tooltip("texte:N", title=ind.label)])
    st.markdown(f"**{md(title)} par EPCI** (partie dans le territoire)")
    # height by step, no chart title: Streamlit counts a title or a bottom legend in a fixed height, leaving no room for the bars
    st.altair_chart((bars + rules).properties(height=alt.Step(30)).configure_axis(labelFontSize=12).configure(locale=D3_LOCALE),
                    width="stretch")
    if len(data) < 2:
        st.caption("Un seul EPCI : pas de disparité entre EPCI à mesurer.")


def disparity_table(diag: Diagnostic) -> None:
    d = diag.disparities
    if d.empty:
        return
    rows = []
    for ind_id, r in d.iterrows():
        unit = indicator(ind_id).unit
        rows.append({"Indicateur": r["libelle"], "EPCI comparés": int(r["n_epci"]),
                     "Minimum": f"{fr_value(r['min'], unit)} ({r['epci_min']})" if r["epci_min"] else "—",
                     "Maximum": f"{fr_value(r['max'], unit)} ({r['epci_max']})" if r["epci_max"] else "—",
                     "Rapport max/min": fr_value(r["ratio_max_min"], "", False) if pd.isna(r["ratio_max_min"]) else fr_number(r["ratio_max_min"], 2),
                     "Coefficient de variation pondéré": "—" if pd.isna(r["cv_pondere"]) else fr_number(r["cv_pondere"], 2),
                     "Part inter-EPCI du Theil": fr_percent(r["part_inter_epci"])})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Rapport max/min et coefficient de variation pondéré par la population entre parties d'EPCI ; indice de Theil sur les "
               "valeurs communales, décomposé entre EPCI (part inter) et à l'intérieur des EPCI. Les taux d'évolution n'ont ni rapport "
               "ni coefficient de variation." + _marginal_note(d))


def _marginal_note(d: pd.DataFrame) -> str:
    n = int(d["parties_marginales"].max()) if "parties_marginales" in d and len(d) else 0
    label = "parties marginales" if n > 1 else MARGINAL_LABEL
    return (f" {n} {label} d'EPCI (moins de {fr_int(MARGINAL_MAX_POPULATION)} habitants et de "
            f"{fr_number(100 * MARGINAL_MAX_SHARE)} % de la population de leur EPCI) hors de ces mesures et des alertes.") if n else ""


def _stacked_bars(levels: pd.DataFrame) -> alt.Chart:
    rows = []
    for code, r in levels.iterrows():
        for measure, share, value in (("Population", r["part_population"], fr_int(r["population"]) + " hab."),
                                      ("Surface", r["part_surface"], f"{fr_number(r['surface_km2'])} km²")):
            rows.append({"mesure": measure, "niveau": f"{code}. {r['libelle']}", "ordre": int(code), "part": float(share),
                         "texte": f"{fr_percent(share, 1)} ({value})", "communes": int(r["communes"])})
    data = pd.DataFrame(rows)
    domain = [f"{code}. {label}" for code, label in DENSITY_LEVELS.items()]
    return alt.Chart(data).mark_bar().encode(
        # the bar is the whole territory: the axis stops at 100 % (a sum of rounded shares may pass it by a hair)
        x=alt.X("part:Q", stack="zero", title="Part du territoire", axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
                scale=alt.Scale(domain=[0, 1], nice=False, clamp=True)),
        y=alt.Y("mesure:N", title=None, sort=["Population", "Surface"]),
        color=alt.Color("niveau:N", title="Niveau de densité (INSEE)", scale=alt.Scale(domain=domain, range=list(DENSITY_COLORS.values())),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=260)),
        order=alt.Order("ordre:Q"),
        tooltip=[alt.Tooltip("niveau:N", title="Niveau"), alt.Tooltip("mesure:N", title="Mesure"), alt.Tooltip("texte:N", title="Part"),
                 alt.Tooltip("communes:Q", title="Communes")],
    ).properties(height=alt.Step(36))


def _share_table(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    return pd.DataFrame({label: frame["libelle"].astype(str), "Communes": [fr_int(v) for v in frame["communes"]],
                         "Population": [fr_int(v) for v in frame["population"]],
                         "Part de la population": [fr_percent(v, 1) for v in frame["part_population"]],
                         "Surface (km²)": [fr_number(v) for v in frame["surface_km2"]],
                         "Part de la surface": [fr_percent(v, 1) for v in frame["part_surface"]]})


def rural_urban(diag: Diagnostic, density_map) -> None:
    """Stacked bars by density level, the map of the levels, the 3 groups and the AAV categories."""
    mix = diag.rural_urban
    if not mix.available:
        st.info("Répartition rurale/urbaine non calculable avec les données chargées : " + " ".join(md(n) for n in mix.notes)
                + f" Pour l'obtenir : `{diag.fetch_hint}`", icon=":material/info:")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Population en commune rurale", fr_percent(mix.rural_share), help="Niveaux 5 à 7 de la grille communale de densité")
    c2.metric("Population en commune urbaine", fr_percent(mix.urban_share), help="Niveaux 1 à 4")
    c3.metric("Hétérogénéité (0 à 1)", fr_number(mix.heterogeneity, 2),
              help="Entropie normalisée des parts de population sur les 7 niveaux : 0 = un seul niveau, 1 = population également répartie")
    st.altair_chart(_stacked_bars(mix.levels).configure(locale=D3_LOCALE), width="stretch")
    left, right = st.columns([3, 2])
    with left:
        density_map(diag)
    with right:
        st.dataframe(_share_table(mix.groups, "Groupe"), hide_index=True, width="stretch")
        if len(mix.aav):
            st.markdown("**Aires d'attraction des villes (2020)**")
            st.dataframe(_share_table(mix.aav, "Catégorie"), hide_index=True, width="stretch")
    for note in mix.notes:
        st.caption(md(note))


EXPLANATIONS: dict[str, str] = {
    "EPCI_TYPES_MULTIPLES": "Communautés de communes, d'agglomération, urbaines et métropoles n'ont ni les mêmes compétences obligatoires "
                            "ni la même fiscalité : un PTCE qui les réunit conventionne avec chacune.",
    "EPCI_PARTIELS": "Un EPCI coupé par le territoire agit et publie ses données sur tout son périmètre : ses élus doivent accepter "
                     "un projet qui n'en couvre qu'une partie, et ses chiffres ne décrivent pas exactement la partie retenue.",
    "DISPARITE_FORTE": "Le rapport max/min et le coefficient de variation pondéré par la population comparent les parties d'EPCI ; "
                       "les seuils sont proches du 9e décile des écarts entre EPCI voisins en France.",
    "MIXITE_RURAL_URBAIN": "Grille communale de densité de l'INSEE : niveaux 1 à 4 urbains, 5 à 7 ruraux. Les parts sont celles de la "
                           "population des communes entières.",
    "TERRITOIRE_TROP_VASTE": "Nombre de communes, de départements touchés et plus grande distance entre deux points du territoire.",
    "INDICATEURS_MANQUANTS": "Les données embarquées ne contiennent que les contours, la population et l'appartenance aux EPCI ; les "
                             "indicateurs INSEE s'ajoutent par import ou téléchargement des fichiers officiels.",
    "COUVERTURE_INCOMPLETE": "L'INSEE ne diffuse pas certaines valeurs des petites communes (secret statistique) : l'indicateur est "
                             "calculé sur les communes renseignées, qui ne représentent qu'une part de la population.",
    "ZONAGES_COUPES": "Bassins de vie (accès aux équipements et services courants) et zones d'emploi (où les actifs résident et "
                      "travaillent) de l'INSEE ; la zone principale du territoire est laissée de côté. Détail zone par zone dans "
                      "la rubrique Zonages et dans zonages.csv.",
}


_FIGURE_LABELS = {"departements": "Départements touchés", "seuil_departements": "Seuil de départements", "diametre_km": "Diamètre (km)",
                  "seuil_diametre_km": "Seuil de diamètre (km)", "code_epci": "SIREN", "communes_total": "Communes de l'EPCI",
                  "cv_pondere": "Coefficient de variation pondéré", "ratio_max_min": "Rapport max/min", "unite": "Unité",
                  "theil_part_inter_epci": "Part inter-EPCI du Theil", "parties_marginales_ecartees": "Parties marginales écartées"}


def _label(key: object) -> str:
    """``nombre_epci`` -> ``Nombre EPCI``: a figure's key read as words."""
    if key in _FIGURE_LABELS:
        return _FIGURE_LABELS[key]
    text = re.sub(r"\bepci\b", "EPCI", str(key).replace("_", " "))
    return text[:1].upper() + text[1:]


def _is_share(key: object) -> bool:
    return str(key).startswith(("part_", "couverture", "seuil_part", "theil_part")) or key == "seuil_vigilance"


def _indicator_names(value: list) -> list[str] | None:
    try:
        return [indicator(v).label for v in value]
    except (KeyError, TypeError):
        return None


def _figure_text(value: object, key: object = "") -> str:
    """A figure as words: French numbers, shares as percentages, oui/non, indicator names, lists and pairs joined,
    mappings as « clé : valeur » (never JSON)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float):
        if pd.isna(value):
            return "—"
        if _is_share(key) and 0 <= value <= 1:
            return fr_percent(value, 1)
        if float(value).is_integer():
            return fr_number(value)
        text = fr_number(value, 4 if abs(value) < 1 else 2)
        return text.rstrip("0").rstrip(",") if "," in text else text
    if isinstance(value, dict):
        return " ; ".join(f"{_label(k) if not str(k).isdigit() else k} : {_figure_text(v, k)}" for k, v in value.items()) or "—"
    if isinstance(value, tuple) and len(value) == 2:
        return f"{_figure_text(value[0])} et {_figure_text(value[1])}"
    if isinstance(value, list | tuple):
        return ", ".join(_indicator_names(value) or [_figure_text(v) for v in value]) or "—"
    return str(value)


def _inner(label: str) -> str:
    """A label inside a sentence: lower-case first letter, acronyms (SIREN, EPCI) kept."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _figures(alert: Alert) -> pd.DataFrame:
    rows = []
    for key, value in alert.figures.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows += [{"Chiffre": f"{_label(key)} — {v.get('nom') or v.get('code_epci') or i + 1}",
                      "Valeur": " ; ".join(f"{_inner(_label(k))} : {_figure_text(x, k)}" for k, x in v.items() if k != "nom")}
                     for i, v in enumerate(value)]
        else:
            rows.append({"Chiffre": _label(key), "Valeur": _figure_text(value, key)})
    return pd.DataFrame(rows)


def alerts(diag: Diagnostic) -> None:
    """Each alert with its level, message, figures and what it means."""
    if not diag.alerts:
        st.success("Aucune alerte sur ce territoire.", icon=":material/check_circle:")
        return
    order = {"alerte": 0, "vigilance": 1, "info": 2}
    for alert in sorted(diag.alerts, key=lambda a: order.get(a.level, 3)):
        kind, icon, _ = _LEVEL_STYLE.get(alert.level, _LEVEL_STYLE["info"])
        getattr(st, kind)(f"**{alert.level.capitalize()}** — {md_multiline(alert.message)}", icon=icon)
        with st.expander(f"Chiffres et explication ({alert.code})"):
            if alert.code in EXPLANATIONS:
                st.markdown(EXPLANATIONS[alert.code])
            st.dataframe(_figures(alert), hide_index=True, width="stretch")


def sources(diag: Diagnostic) -> None:
    """Datasets in use with their vintages, the source of each indicator, methods and alert thresholds."""
    st.markdown("**Jeux de données en service**")
    table = diag.sources.rename(columns={"jeu": "Jeu", "libelle": "Libellé", "millesime": "Millésime", "origine": "Origine",
                                         "fichier": "Fichier", "date": "Date", "hors_domaine": "Hors domaine"})
    if "Date" in table:
        table["Date"] = table["Date"].astype(str).str[:10]
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown("**Indicateurs : source, millésime, méthode et couverture de chaque colonne**")
    s = diag.summary
    table = pd.DataFrame({"Indicateur": s["libelle"], "Disponible": s["disponible"].map({True: "oui", False: "non"}),
                          "Source": s["source"], "Millésime": s["millesime"], "Méthode": s["methode"],
                          "Couverture territoire": [fr_percent(v) for v in s["couverture"]]})
    for col, heading in _comparison_columns(diag).items():
        table[f"Couverture {heading}"] = [fr_percent(v) for v in s[f"couverture_{col}"]]
        table[f"Méthode {heading}"] = s[f"methode_{col}"].to_numpy()
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(f"Géographie de référence : {diag.territory.geography_vintage}. Diagnostic calculé le {diag.created[:10]}.")
    with st.expander("Méthodes et seuils des alertes (fichier sources.md de l'export)"):
        # the file's own headings (# …) would be page-sized titles inside a small box: three levels down
        _markdown_boxed(re.sub(r"^(#{1,3}) ", lambda m: "#" * (len(m.group(1)) + 3) + " ", sources_text(diag), flags=re.MULTILINE))


def _markdown_boxed(text: str) -> None:
    """Markdown whose tables become data frames: a Markdown table wider than the box would overflow it (measured 818 px
    in a 562 px box), a data frame scrolls inside its own frame."""
    for is_table, lines in itertools.groupby(text.splitlines(), key=lambda line: line.startswith("|")):
        block = list(lines)
        if not is_table:
            st.markdown("\n".join(block))
            continue
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block]
        st.dataframe(pd.DataFrame(rows[2:], columns=rows[0]), hide_index=True, width="stretch")
