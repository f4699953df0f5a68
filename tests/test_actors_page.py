"""The Acteurs page: session logic of ``ui.actors`` on the real reference, map layers, and the page with AppTest.

Communes (embedded reference): Montargis 45208 and Amilly 45004 in the CA Montargoise (SIREN 244500203,
the EPCI of the PTCE Gâtinais Montargois); Strasbourg 67482 is outside that territory.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.actors import actor_template_xlsx
from ptce_geo.actors_map import actor_layer, actors_base_map, filter_actors, filter_options, point_ranks
from ptce_geo.errors import ActorError
from ptce_geo.inventory import inventory_files
from ptce_geo.mapping import Assets
from ui import actors

ROOT = Path(__file__).resolve().parent.parent
HEADER = "nom;type_structure;implication;commune;thematiques;latitude;longitude"
MONTARGOISE = "244500203"
# a name carrying a script, a row with latitude and longitude swapped, a formula name, an unknown level
BAD = (f"{HEADER}\n"
       "<script>window.__pwned=1</script>;asso;noyau dur;45208;réemploi;;\n"
       "Atelier inversé;SCIC;cellule de pilotage;45004;mobilité;2.7335;47.9975\n"
       '=HYPERLINK("http://x");entreprise;groupe projet;45208;réemploi;;\n'
       "Banque du coin;entreprise;très motivé;67482;finance;;\n")


def load(embedded, text: str | bytes, name: str = "acteurs.csv", **kw) -> actors.ActorState:
    return actors.import_inventory(embedded, text.encode("utf-8") if isinstance(text, str) else text, name, **kw)


def status(state: actors.ActorState) -> dict[int, str]:
    return state.inventory.report.set_index("ligne")["statut"].to_dict()


# --- import -------------------------------------------------------------------------------------------

def test_import_keeps_every_row_and_refused_rows_stay_editable(embedded):
    state = load(embedded, BAD)
    assert status(state) == {2: "corrigé", 3: "corrigé", 4: "accepté", 5: "refusé"}
    assert state.table.index.tolist() == [2, 3, 4, 5]  # refused row 5 is in the table, as written
    assert state.table.loc[5, "implication"] == "très motivé" and state.table.loc[5, "commune"] == "67482"
    assert state.table.loc[2, "type_structure"] == "association"  # validated values for kept rows
    assert (state.table.loc[3, "latitude"], state.table.loc[3, "longitude"]) == ("47.9975", "2.7335")  # swap corrected
    placed = state.inventory.actors
    assert placed.loc[3, "placement"] == "coordonnées" and placed.loc[2, "placement"] == "commune"
    assert "latitude et longitude inversées" in state.inventory.report.set_index("ligne").loc[3, "messages"]


def test_cp1252_semicolon_file(embedded):
    text = f"{HEADER}\nCoopérative Éole, énergie;SCIC;noyau dur;Montargis;énergie, mobilité;;\n"
    state = load(embedded, text.encode("cp1252"))
    assert "cp1252" in state.notes[0] and "« ; »" in state.notes[0]
    assert state.inventory.actors["nom"].tolist() == ["Coopérative Éole, énergie"]
    assert state.table.loc[2, "thematiques"] == "énergie; mobilité"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n"])
def test_empty_file_is_an_error(embedded, data):
    with pytest.raises(ActorError, match="vide"):
        load(embedded, data, "vide.csv")


def test_xlsx_with_several_sheets(embedded):
    book = openpyxl.load_workbook(io.BytesIO(actor_template_xlsx()))
    book.move_sheet("Aide", offset=-1)  # the help sheet first: the actors sheet is still found
    buffer = io.BytesIO()
    book.save(buffer)
    state = load(embedded, buffer.getvalue(), "modele.xlsx")
    assert "« Acteurs »" in state.notes[0] and len(state.inventory.actors) == 4 and state.inventory.refused == 0


def test_personal_data_dropped_unless_kept(embedded):
    text = "nom;commune;courriel\nAtelier;45208;jean@example.org\n"
    assert "courriel" not in load(embedded, text).table.columns
    kept = load(embedded, text, keep_personal=True)
    assert kept.table.loc[2, "courriel"] == "jean@example.org"


# --- editing ------------------------------------------------------------------------------------------

def test_fixing_a_refused_row_keeps_the_others(embedded):
    state = load(embedded, BAD)
    table = state.table.copy()
    table.loc[5, "implication"] = "groupe thématique"
    new = actors.revalidate(embedded, state, table)
    assert status(new) == {2: "corrigé", 3: "corrigé", 4: "accepté", 5: "corrigé"}
    report = new.inventory.report.set_index("ligne")
    assert report.loc[5, "messages"] == "ESS non déduit du type « entreprise »"
    assert "latitude et longitude inversées" in report.loc[3, "messages"]  # unchanged rows keep their first messages
    assert new.inventory.actors.loc[5, "code_commune"] == "67482" and new.revision == state.revision + 1
    assert new.inventory.actors.geometry.notna().all()


class CountingGeocoder:
    """Stands for the BAN: one point in Amilly for any address, and counts what it was asked."""

    def __init__(self):
        self.asked: list[str] = []

    def geocode(self, addresses, progress=None):
        self.asked += addresses["adresse"].tolist()
        return pd.DataFrame({"latitude": 47.9830, "longitude": 2.7690, "score": 0.9, "citycode": "45004", "label": "Amilly"},
                            index=addresses.index)


def test_unchanged_rows_keep_their_placement(embedded):
    geocoder = CountingGeocoder()
    state = load(embedded, "nom;commune;adresse\nÉpicerie;45004;1 rue de la Paix\nAtelier;45208;\n", geocoder=geocoder)
    assert geocoder.asked == ["1 rue de la Paix"] and state.inventory.actors.loc[2, "placement"] == "adresse (BAN)"
    table = state.table.copy()
    table.loc[3, "type_structure"] = "SCOP"
    new = actors.revalidate(embedded, state, table, geocoder=geocoder)
    assert geocoder.asked == ["1 rue de la Paix"]  # not sent again
    assert new.inventory.actors.loc[2, "placement"] == "adresse (BAN)" and new.inventory.actors.loc[3, "type_structure"] == "SCOP"


def test_homonym_refused_then_fixed_with_its_departement(embedded):
    state = load(embedded, "nom;commune\nFerme;Sainte-Colombe\n")
    assert status(state) == {2: "refusé"} and "Sainte-Colombe" in state.inventory.report["messages"].iloc[0]
    table = state.table.copy()
    table.loc[2, "departement"] = "69"
    new = actors.revalidate(embedded, state, table)
    assert status(new) == {2: "corrigé"} and new.inventory.actors.loc[2, "code_commune"] == "69189"  # corrigé: no level given


def test_deleting_every_row(embedded):
    state = load(embedded, BAD)
    new = actors.revalidate(embedded, state, state.table.iloc[:0])
    assert new.inventory.report.empty and new.inventory.actors.empty and new.table.empty


def test_deleting_a_row_frees_its_duplicate(embedded):
    state = load(embedded, "nom;commune\nRessourcerie;45208\nressourcerie;45208\n")
    assert status(state) == {2: "accepté", 3: "refusé"}
    new = actors.revalidate(embedded, state, state.table.drop(index=[2]))
    assert status(new) == {3: "corrigé"} and new.inventory.actors.index.tolist() == [3]
    assert new.inventory.report["messages"].iloc[0] == "implication non renseignée : « non impliqué » retenu"  # no column in the file


def test_rows_added_in_the_editor_get_new_line_numbers(embedded):
    state = load(embedded, "nom;commune\nRessourcerie;45208\n")
    added = pd.concat([state.table, pd.DataFrame({"nom": ["Jardin"], "commune": ["Châlette-sur-Loing"]}, index=[None])])
    new = actors.revalidate(embedded, state, added)
    assert new.table.index.tolist() == [2, 3] and new.inventory.actors.loc[3, "code_commune"] == "45068"
    assert (new.table.dtypes == "str").all()


def test_actor_added_from_a_map_click(embedded):
    state = actors.empty_state(embedded)
    table = actors.append_actor(state.table, {"nom": "Recyclerie", "type_structure": "association", "thematiques": ["réemploi", "couture"],
                                              "latitude": 47.99781, "longitude": 2.73339, "inconnu": "x"})
    new = actors.revalidate(embedded, state, table)
    row = new.inventory.actors.iloc[0]
    assert new.table.index.tolist() == [2] and row["code_commune"] == "45208" and row["thematiques"] == "réemploi; couture"
    assert "commune déduite des coordonnées" in new.inventory.report["messages"].iloc[0]
    again = actors.revalidate(embedded, new, actors.append_actor(new.table, {"nom": "Île", "latitude": 40.7, "longitude": -74.0}))
    assert status(again) == {2: "corrigé", 3: "refusé"}  # refused, reported, kept in the table to be fixed


def test_twenty_thousand_rows_edit_stays_linear(embedded):
    """Import, then change one row of 20,000: only that row is placed again (a quadratic step would show here)."""
    import importlib.util
    import time

    spec = importlib.util.spec_from_file_location("bench_actors", ROOT / "bench" / "bench_actors.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    state = load(embedded, bench.make_inventory(embedded.communes, 20_000), "gros.csv")
    assert len(state.table) == 20_000 and state.inventory.refused >= 20
    table = state.table.copy()
    first = state.inventory.actors.index[0]
    table.loc[first, "nom"] = "Renommée"
    start = time.perf_counter()
    new = actors.revalidate(embedded, state, table)
    elapsed = time.perf_counter() - start
    assert new.inventory.actors.loc[first, "nom"] == "Renommée" and len(new.inventory.report) == 20_000
    kept = new.inventory.actors.index.drop(first).intersection(state.inventory.actors.index)
    assert new.inventory.actors.loc[kept, "geometry"].equals(state.inventory.actors.loc[kept, "geometry"])
    assert actor_layer(new.inventory.actors).marker_count == 5000  # capped: MAX_MARKERS
    assert elapsed < 20, f"{elapsed:.1f} s"  # ~3 s alone


# --- map ----------------------------------------------------------------------------------------------

def test_map_escapes_names_everywhere(embedded):
    state = load(embedded, BAD)
    layer = actor_layer(state.inventory.actors, "implication")
    m = actors_base_map(Assets.local(), "aucun", (2.6, 47.9, 2.8, 48.1), None, "type_structure")
    layer.add_to(m)
    page = m.get_root().render()
    assert layer.marker_count == 3
    assert "<script>window.__pwned" not in page and "window.__pwned=1</script>" not in page
    assert "\\u0026lt;script\\u0026gt;window.__pwned=1\\u0026lt;/script\\u0026gt;" in page  # escaped HTML, inlined as JSON
    assert "cdn.jsdelivr" not in page and "/app/static/vendor/leaflet/leaflet.js" in page


def test_filters_and_spread(embedded):
    actors_ = load(embedded, BAD).inventory.actors
    options = filter_options(actors_)
    assert options["implication"] == ["noyau dur", "cellule de pilotage", "groupe projet"] and options["thematiques"][0] == "réemploi"
    assert filter_actors(actors_, themes=["REEMPLOI"]).index.tolist() == [2, 4]
    assert filter_actors(actors_, kinds=["SCIC"], levels=["noyau dur"]).empty
    assert point_ranks([48.0, 48.0, 47.0, 48.0000001], [2.7, 2.7, 2.0, 2.7]).tolist() == [0, 1, 0, 2]


# --- exports ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flavour", ["standard", "excel-fr"])
def test_formula_name_neutralised_in_every_csv(embedded, flavour):
    state = load(embedded, BAD)
    territory = embedded.communes.index[embedded.communes["code_epci"] == MONTARGOISE].tolist()
    files = inventory_files(actors.with_summary(state.inventory, embedded, territory), flavour)
    assert {"acteurs.csv", "acteurs_rapport.csv", "acteurs_alertes.csv"} <= set(files)
    assert "'=HYPERLINK" in files["acteurs.csv"].decode("utf-8")
    for name, data in files.items():
        lines = data.decode("utf-8-sig").splitlines()
        assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line.replace(",", ";").split(";")), name


# --- the page (AppTest) ---------------------------------------------------------------------------------

def page(**params) -> AppTest:
    """The Acteurs page reached from the app (so that links to other pages resolve)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("pages/4_Acteurs.py").run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="act_fichier").set_value((name, data, "text/csv"))
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.info, at.warning, at.error, at.success) for e in kind)


def test_page_without_inventory_offers_import_and_empty_start(app_data):
    at = page()
    assert not at.exception
    assert "Aucun inventaire" in texts(at)
    at.button(key="act_vide").click().run()
    assert not at.exception and len(at.session_state["actors_inventory"].actors) == 0
    assert "Aucun territoire défini" in texts(at)


def test_page_import_report_map_and_summary(app_data):
    at = upload(page(epci=MONTARGOISE), "acteurs.csv", BAD.encode("cp1252", errors="replace"))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Lignes"], metrics["Acceptées"], metrics["Corrigées"], metrics["Refusées"], metrics["Sur la carte"]) == ("4", "1", "2", "1", "3")
    inventory = at.session_state["actors_inventory"]
    assert inventory.summary is not None and "epci_sans_acteur" not in set(inventory.summary.alerts["code"])
    assert "Aucune structure" not in texts(at) and "Thématiques portées par un seul acteur" in texts(at)
    report = at.dataframe[0].value
    assert report["statut"].tolist() == ["corrigé", "corrigé", "accepté", "refusé"]
    at.multiselect(key="act_rapport_statut").set_value(["refusé"]).run()
    assert at.dataframe[0].value["ligne"].tolist() == [5]
    at.multiselect(key="act_f_types").set_value(["entreprise"]).run()
    assert not at.exception and any("1 acteur(s) sur la carte (1 retenus par les filtres sur 3)" in c.value for c in at.caption)


def test_page_empty_file_gives_a_french_error(app_data):
    at = upload(page(), "vide.csv", b"")
    assert not at.exception and "le fichier est vide" in " ".join(e.value for e in at.error)
    assert "actors_inventory" not in at.session_state


def test_page_edit_then_validate(app_data):
    at = upload(page(), "acteurs.csv", BAD.encode())
    revision = at.session_state["actors_state"].revision
    key = f"act_editeur_{revision}"
    at.session_state[key] = {"edited_rows": {3: {"implication": "groupe thématique"}},
                             "added_rows": [{"nom": "Jardin", "commune": "Châlette-sur-Loing"}], "deleted_rows": [0]}
    at.run()
    at.button(key="act_valider").click().run()
    assert not at.exception
    state = at.session_state["actors_state"]
    assert status(state) == {3: "corrigé", 4: "accepté", 5: "corrigé", 6: "corrigé"}
    assert "1 ligne(s) supprimée(s)" in texts(at)


def test_page_add_actor_with_the_form(app_data):
    at = page()
    at.button(key="act_vide").click().run()
    at.session_state["act_new_lat"], at.session_state["act_new_lon"] = 47.99781, 2.73339
    at.run()
    at.text_input(key="act_new_nom").input("<b>Recyclerie</b>")
    at.selectbox(key="act_new_impl").select("noyau dur")
    submit = next(b for b in at.button if b.label == "Ajouter l'acteur")
    submit.click().run()
    assert not at.exception
    inventory = at.session_state["actors_inventory"]
    assert inventory.actors["nom"].tolist() == ["<b>Recyclerie</b>"] and inventory.actors["code_commune"].tolist() == ["45208"]
    assert "« &lt;b&gt;Recyclerie&lt;/b&gt; » ajouté (ligne 2)" in texts(at)
    assert at.session_state["act_new_lat"] is None and at.text_input(key="act_new_nom").value == ""
