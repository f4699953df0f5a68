"""Display blocks shared by pages: labels, French numbers, the territory at a glance, and the Territoire inputs.

Every input goes through a callback that builds the new selection and hands it to
``territory.apply``: a change whose territory cannot be built is refused with a French message
and the previous territory stays.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import shapely
import streamlit as st
from streamlit.errors import StreamlitAPIException

from ptce_geo.codes import normalize_commune_code
from ptce_geo.errors import PtceGeoError
from ptce_geo.fr_format import count, fr_int, fr_number, fr_percent, fr_value
from ptce_geo.geometry import polygonal
from ptce_geo.indicators import Indicator
from ptce_geo.reference import Reference
from ptce_geo.territory import polygon_from_file
from ui import loaders, state, territory, uploads

__all__ = [
    "MAX_UPLOAD_MB", "md", "md_multiline", "indicator_label", "selection_summary",
    "drawing_text", "commune_lists", "page_link", "toggle_communes", "glance", "banner", "describe", "edge_communes", "upload_contour",
    "commune_search", "search_communes", "boxed_edge", "EDGE_BOXES_MAX",
]

MAX_UPLOAD_MB = 5  # an imported contour; Streamlit's uploader itself refuses beyond uploads.hard_limit (50 MB)
_UPLOAD_VERSION = "_ter_upload_version"
EDGE_ROWS_SHOWN, EDGE_LIST_HEIGHT = 8, 320  # beyond 8 cut communes, their list scrolls within 320 px
EDGE_BOXES_MAX = 40  # boxes drawn after a drawing: 266 of them (a 2° square) cost the browser ~0.9 s more per run




def md(text: object) -> str:
    """Dataset or user text shown as Markdown: no HTML, no Markdown syntax of its own."""
    return html.escape(str(text), quote=False).translate({ord(c): f"\\{c}" for c in "*_`[]#|~$<>"})


_md = md  # former name


def indicator_label(ref: Reference, indicators: list[Indicator]) -> Callable[[str | None], str]:
    """``format_func`` for an indicator select box: label, unit and vintage."""
    labels = {i.id: f"{i.label} ({i.unit}) — {ref.source_of(i)[1] or 'millésime inconnu'}" for i in indicators}
    return lambda ind_id: "Aucun (contours seuls)" if ind_id is None else labels.get(ind_id, ind_id)


def selection_summary(ref: Reference, sel: state.Selection) -> None:
    """The selected EPCI: name, SIREN, type, communes, population."""
    if not sel.epci:
        st.caption("Aucun EPCI sélectionné.")
        return
    rows = ref.epci.reindex(list(sel.epci))
    st.markdown(f"**{len(rows)} EPCI choisi{'s' if len(rows) > 1 else ''}**\n\n" + "\n".join(
        f"- **{md(row.nom)}** — SIREN {code} · {md(row.type)} · {fr_int(row.communes_total)} communes · {fr_int(row.population)} hab."
        for code, row in rows.iterrows()
    ))


def drawing_text(sel: state.Selection) -> str:
    """``1 forme, 5 sommets`` (a closed ring's repeated first point is not counted)."""
    shapes = len(sel.drawings)
    return f"{shapes} forme{'s' if shapes > 1 else ''}, {sel.vertex_count} sommets"


# --- the territory at a glance ------------------------------------------------------------------


def page_link(page: str, label: str, icon: str | None = None) -> None:
    """``st.page_link``, or the label alone when the page is unknown (a page run on its own, e.g. by AppTest)."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"{label} : page « {page.split('/')[-1].split('_', 1)[-1].removesuffix('.py')} » du menu.")


def glance(current: territory.Current, link: bool = True) -> None:
    """Communes, population, EPCI and alerts of the current territory (dashes, and why, when there is none).

    The four metrics are always drawn: the browser loads their component with the page, so the first
    territory's figures show at once instead of after a placeholder.
    """
    diag = current.diagnostic
    o = diag.overview if diag is not None else {}
    # the population (six or seven digits and a help icon) gets the wider column: « 180 … » was cut off 1024 px wide
    c2, c1 = st.columns([3, 2])
    c3, c4 = st.columns([3, 2])
    if diag is None:
        for column, label in zip((c2, c1, c3, c4), ("Population", "Communes", "EPCI", "Alertes"), strict=True):
            column.metric(label, "—")
        if current.error:
            st.error(md_multiline(current.error), icon=":material/block:")
        else:
            st.info("Aucun territoire pour l'instant : choisissez des EPCI, dessinez un polygone, importez un contour ou ajoutez des communes.")
        return
    levels = pd.Series([a.level for a in diag.alerts], dtype="object").value_counts()
    c1.metric("Communes", fr_int(o["communes"]))
    c2.metric("Population", fr_int(o["population"]), help=o["millesime_population"] or None)
    c3.metric("EPCI", fr_int(o["epci"]), help=f"dont {o['epci_partiels']} en partie seulement" if o["epci_partiels"] else None)
    c4.metric("Alertes", fr_int(len(diag.alerts)),
              help=", ".join(f"{n} {level}" for level, n in levels.items()) or "aucune alerte")
    deps = ", ".join(o["departements"])
    st.caption(f"{fr_number(o['surface_km2'])} km² · {fr_value(o['densite'], 'hab./km²')} · "
               f"département{'s' if len(o['departements']) > 1 else ''} {deps} · diamètre {fr_number(o['diametre_km'])} km")
    for warning in current.territory.warnings:
        st.warning(md(warning), icon=":material/warning:")
    if link:
        page_link("app_pages/2_Diagnostic.py", "Voir le diagnostic complet", ":material/analytics:")


def md_multiline(text: str) -> str:
    """A library message with ``\\n- `` lists, as Markdown (each line escaped, the list kept)."""
    lines = []
    for line in str(text).split("\n"):
        bullet = line.startswith("- ")
        lines.append(("- " if bullet else "") + md(line[2:] if bullet else line))
    return "\n".join(lines)


def banner(current: territory.Current) -> bool:
    """One line naming the territory at the top of a page, with a link to change it; ``False`` when there is none."""
    if current.definition is None or current.error:
        if current.error:
            st.error(md_multiline(current.error), icon=":material/block:")
        else:
            st.info("Aucun territoire défini : commencez par la page Territoire (EPCI, dessin, contour importé ou communes).")
        page_link("app_pages/1_Territoire.py", "Définir le territoire", ":material/map:")
        return False
    o = current.diagnostic.overview
    left, right = st.columns([4, 1])
    left.markdown(f"**Territoire** : {md(describe(current))} — {fr_int(o['communes'])} communes, {fr_int(o['population'])} habitants.")
    with right:
        page_link("app_pages/1_Territoire.py", "Modifier le territoire", ":material/map:")
    return True


def describe(current: territory.Current, listed: int = 3) -> str:
    """« CA Amiens Métropole, CC du Val de Somme + polygone (seuil 50 %) + 2 communes, moins 1 commune »."""
    d = current.definition
    names = loaders.reference().epci["nom"]
    parts = []
    if d.epci:
        shown = [str(names.get(c, c)) for c in d.epci[:listed]]
        parts.append(", ".join(shown) + (f" et {len(d.epci) - listed} autres EPCI" if len(d.epci) > listed else ""))
    if d.polygon is not None:
        parts.append(f"polygone (seuil {fr_number(100 * d.min_share)} %)")
    if d.communes:
        parts.append(f"{len(d.communes)} commune{'s' if len(d.communes) > 1 else ''} ajoutée{'s' if len(d.communes) > 1 else ''}")
    text = " + ".join(parts)
    if d.exclude:
        text += f", moins {len(d.exclude)} commune{'s' if len(d.exclude) > 1 else ''} exclue{'s' if len(d.exclude) > 1 else ''}"
    return text


# --- building the territory -----------------------------------------------------------------------


def _codes_changed(widget: str, attr: str, known: pd.Index) -> None:
    codes, problems = state.parse_codes(st.session_state[widget], normalize_commune_code, known, "Communes")
    st.session_state[f"{widget}_problemes"] = problems
    label = "Liste des communes ajoutées" if attr == "communes" else "Liste des communes exclues"
    territory.apply(replace(state.stored(), **{attr: codes}), label)


def commune_lists(ref: Reference, sel: state.Selection) -> None:
    """Text inputs for communes added to or excluded from the territory (INSEE codes, validated)."""
    for widget, attr, label in (("ter_communes", "communes", "Communes ajoutées"), ("ter_exclues", "excluded", "Communes exclues")):
        st.session_state[widget] = ", ".join(getattr(sel, attr))
        st.text_input(label, key=widget, on_change=_codes_changed, args=(widget, attr, ref.accepted_commune_codes()),
                      placeholder="ex. 01001, 2A004")
        for problem in st.session_state.pop(f"{widget}_problemes", []):
            st.warning(problem)


def _fold(text: str) -> str:
    """Lower case without accents, hyphens as spaces: « Saint-Étienne » and « saint etienne » match."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").replace("'", " ").split())


@st.cache_resource(show_spinner=False)
def _commune_index(generation: str) -> pd.DataFrame:
    communes = loaders.reference().communes
    return pd.DataFrame({"nom": communes["nom"].astype(str), "dep": communes["code_dep"].astype(str),
                         "cle": [_fold(n) for n in communes["nom"]]}, index=communes.index)


def search_communes(query: str, limit: int = 8) -> pd.DataFrame:
    """Communes whose name starts with (then contains) ``query``, accents ignored; or the commune of an INSEE code."""
    table = _commune_index(loaders.reference().manifest.get("generation", ""))
    text = query.strip()
    if text.upper() in table.index:
        return table.loc[[text.upper()]]
    key = _fold(text)
    if len(key) < 2:
        return table.iloc[:0]
    starts = table[table["cle"].str.startswith(key)]
    contains = table[table["cle"].str.contains(key, regex=False) & ~table.index.isin(starts.index)]
    return pd.concat([starts.sort_values("cle"), contains.sort_values("cle")]).head(limit)


def _set_commune(code: str, inside: bool) -> None:
    """Search result button: add the commune (listed) or exclude it."""
    sel = state.stored()
    communes = [c for c in sel.communes if c != code] + ([code] if inside else [])
    excluded = [c for c in sel.excluded if c != code] + ([] if inside else [code])
    territory.apply(replace(sel, communes=tuple(communes), excluded=tuple(excluded)), "Ajout" if inside else "Exclusion")


def commune_search(current: territory.Current) -> None:
    """Find a commune by name and add it to, or exclude it from, the territory."""
    query = st.text_input("Chercher une commune", key="ter_cherche", placeholder="nom ou code INSEE, ex. Amiens, 80021")
    if not query.strip():
        return
    found = search_communes(query)
    if found.empty:
        st.caption("Aucune commune ne correspond.")
        return
    members = set(current.territory.communes.index) if current.territory is not None else set()
    for code, row in found.iterrows():
        c1, c2 = st.columns([3, 1])
        inside = code in members
        c1.markdown(f"{md(row.nom)} ({row.dep}) — {code}" + (" · *dans le territoire*" if inside else ""))
        if inside:
            c2.button("Exclure", key=f"ter_exclure_{code}", on_click=_set_commune, args=(code, False))
        else:
            c2.button("Ajouter", key=f"ter_ajouter_{code}", on_click=_set_commune, args=(code, True))


def toggle_communes(sel: state.Selection, wanted: dict[str, bool], by_rule: dict[str, bool]) -> state.Selection:
    """``sel`` with each commune of ``wanted`` in (True) or out (False) of the territory.

    ``by_rule[code]``: the commune is in without the lists (its EPCI is chosen or the polygon holds
    enough of it). In: drop it from the exclusions, and list it only if no rule takes it. Out: drop
    it from the added communes, and exclude it only if a rule takes it.
    """
    communes, excluded = list(sel.communes), list(sel.excluded)
    for code, inside in wanted.items():
        communes = [c for c in communes if c != code]
        excluded = [c for c in excluded if c != code]
        if inside and not by_rule.get(code, False):
            communes.append(code)
        elif not inside and by_rule.get(code, False):
            excluded.append(code)
    return replace(sel, communes=tuple(communes), excluded=tuple(excluded))


def _edge_ticked(widget: str, code: str, by_rule: bool) -> None:
    """A cut commune ticked in or out of the territory."""
    wanted = {code: bool(st.session_state[widget])}
    territory.apply(toggle_communes(state.stored(), wanted, {code: by_rule}), "Modification des communes coupées")


def boxed_edge(edge: pd.DataFrame, sel: state.Selection, most: int = EDGE_BOXES_MAX) -> pd.DataFrame:
    """The cut communes given a box: all of them up to ``most``, else those already ticked in or out by hand, then those
    whose share is nearest the threshold (the ones a user may want to change), in ``edge``'s order."""
    if len(edge) <= most:
        return edge
    by_hand = edge.index.isin(sel.communes) | edge.index.isin(sel.excluded)
    distance = (edge["part_surface"] - sel.min_share).abs().where(~by_hand, -1.0)
    return edge[edge.index.isin(distance.nsmallest(most).index)]


def edge_communes(ref: Reference, sel: state.Selection, current: territory.Current) -> None:
    """Communes cut by the polygon, with the share of their area inside; one box each to include or exclude it.

    Check boxes, not a table editor: the editor's grid cost the browser about 0.35 s each time a drawing made it
    appear, and it is drawn on a canvas that screen readers cannot read; a box is read, and ticked with the keyboard.
    """
    if current.territory is None or sel.polygon is None:
        return
    edge = current.territory.edge
    if edge.empty:
        st.caption("Aucune commune coupée par le polygone.")
        return
    inside = int(edge["dans_territoire"].sum())
    st.markdown(f"**{count(len(edge), 'commune coupée', 'communes coupées')} par le polygone** "
                f"({count(inside, 'retenue', 'retenues')}) — cochez ou décochez pour inclure ou exclure.")
    names = ref.epci["nom"]
    shown = boxed_edge(edge, sel)
    if len(shown) < len(edge):
        st.caption(f"Seules les {fr_int(len(shown))} communes dont la part est la plus proche du seuil "
                   f"({fr_percent(sel.min_share)}), et celles déjà modifiées, sont listées : les {fr_int(len(edge) - len(shown))} "
                   "autres suivent le seuil. La partie « Communes » ajoute ou exclut n'importe quelle commune.")
    rows = zip(shown.index, shown["nom"], shown["part_surface"], shown["population"], shown["code_epci"], shown["dans_territoire"],
               strict=True)
    with st.container(height=EDGE_LIST_HEIGHT if len(shown) > EDGE_ROWS_SHOWN else "content", border=len(shown) > EDGE_ROWS_SHOWN):
        for code, name, share, population, epci, kept in rows:
            widget = f"ter_coupee_{code}"
            st.session_state[widget] = bool(kept)  # the box shows the territory as it is now, whatever was ticked before
            label = f"{md(name)} ({code}) — {fr_percent(share, 1)} dans le polygone · {fr_int(population)} hab. · {md(names.get(epci, ''))}"
            st.checkbox(label, key=widget, on_change=_edge_ticked, args=(widget, code, bool(share >= sel.min_share or epci in sel.epci)))


def _uploaded(widget: str) -> None:
    file = st.session_state.get(widget)
    st.session_state[_UPLOAD_VERSION] = st.session_state.get(_UPLOAD_VERSION, 0) + 1  # empty the uploader: the panel shows the result
    if file is None:
        return
    name = str(file.name)
    size = file.size
    refused = f"**Fichier « {md(name)} » refusé** : "
    kept = "\n\nLe territoire précédent est conservé."
    if size > MAX_UPLOAD_MB * 1_000_000:
        state.notify(f"{refused}il pèse {fr_number(size / 1e6, 1)} Mo, la limite est de {MAX_UPLOAD_MB} Mo. Simplifiez le contour "
                     "(QGIS : Vecteur › Outils de géométrie › Simplifier) ou enregistrez-le en GeoJSON sans attributs superflus." + kept)
        return
    try:
        geometry, warnings = polygon_from_file(file.getvalue(), name)
        shape = polygonal(shapely.set_precision(shapely.geometry.shape(geometry), 1e-7))
    except (PtceGeoError, ValueError, TypeError, shapely.errors.GEOSException) as exc:
        state.notify(f"{refused}{md(exc)} Un fichier GeoJSON (ou GeoPackage, Shapefile zippé) contenant un polygone est attendu." + kept)
        return
    if shape is None:
        state.notify(f"{refused}aucune surface dans le fichier (points ou lignes seulement)." + kept)
        return
    new = replace(state.stored(), upload=shapely.to_geojson(shape), upload_name=name)
    if territory.apply(new, f"Contour importé « {md(name)} »") and warnings:
        state.notify("**Contour importé** : " + " ".join(md(w) for w in warnings), "info")


def _remove_upload() -> None:
    territory.apply(replace(state.stored(), upload="", upload_name=""), "Retrait du contour importé")


def upload_contour(sel: state.Selection) -> None:
    """Import a contour file (GeoJSON…, at most ``MAX_UPLOAD_MB``); its polygon joins the drawing."""
    if sel.upload:
        shape = state.upload_geometry(sel.upload)
        vertices = shapely.get_num_coordinates(shape) if shape is not None else 0
        st.markdown(f"**Contour importé** : {md(sel.upload_name)} ({fr_int(vertices)} sommets)")
        st.button("Retirer le contour importé", key="ter_retirer_fichier", on_click=_remove_upload)
    widget = f"ter_fichier_{st.session_state.get(_UPLOAD_VERSION, 0)}"
    uploads.file_uploader(f"Importer un contour (GeoJSON, {MAX_UPLOAD_MB} Mo au plus)", key=widget, limit_mb=MAX_UPLOAD_MB,
                          on_change=_uploaded, args=(widget,),
                          help="Polygone du territoire exporté de QGIS ou d'un autre outil : GeoJSON (tout système de coordonnées "
                               "déclaré ; Lambert-93 reconnu), GeoPackage ou Shapefile zippé. Il s'ajoute au dessin.")
