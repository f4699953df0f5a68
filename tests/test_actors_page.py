"""The Acteurs page: map layers and exports on the real reference, and the page with AppTest.

Communes (embedded reference): Montargis 45208 and Amilly 45004 in the CA Montargoise (SIREN 244500203,
the EPCI of the PTCE Gâtinais Montargois); Strasbourg 67482 is outside that territory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.collective.actors_map import actor_layer, actors_base_map, filter_actors, filter_options, point_ranks
from ptce_geo.collective.inventory import inventory_files, summarise_inventory
from ptce_geo.mapping import Assets
from tests.test_collective_editing import BAD, MONTARGOISE, load, status

ROOT = Path(__file__).resolve().parent.parent


# --- map ----------------------------------------------------------------------------------------------

def test_map_escapes_names_everywhere(embedded):
    state = load(embedded, BAD)
    layer = actor_layer(state.inventory.actors, "implication")
    m = actors_base_map(Assets.local(), "aucun", (2.6, 47.9, 2.8, 48.1), None)
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
    files = inventory_files(summarise_inventory(state.inventory, embedded, territory), flavour)
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
    return at.switch_page("app_pages/4_Acteurs.py").run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="act_fichier").set_value((name, data, "text/csv"))
    return at.run()


def held(at: AppTest):
    """The session's inventory, as its owner (``ui.state``) keeps it."""
    return at.session_state["actors_inventory"]


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.info, at.warning, at.error, at.success) for e in kind)


def test_page_without_inventory_offers_import_and_empty_start(app_data):
    at = page()
    assert not at.exception
    assert "Aucun inventaire" in texts(at)
    at.button(key="act_vide").click().run()
    assert not at.exception and len(held(at).inventory.actors) == 0
    assert "Aucun territoire défini" in texts(at)


def test_page_import_report_map_and_summary(app_data):
    at = upload(page(epci=MONTARGOISE), "acteurs.csv", BAD.encode("cp1252", errors="replace"))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Lignes"], metrics["Acceptées"], metrics["Corrigées"], metrics["Refusées"], metrics["Sur la carte"]) == ("4", "1", "2", "1", "3")
    inventory = held(at).inventory
    assert inventory.summary is not None and "epci_sans_acteur" not in set(inventory.summary.alerts["code"])
    assert "Aucune structure" not in texts(at) and "Thématiques portées par un seul acteur" in texts(at)
    report = at.dataframe[0].value
    assert report["statut"].tolist() == ["corrigé", "corrigé", "accepté", "refusé"]
    at.multiselect(key="act_rapport_statut").set_value(["refusé"]).run()
    assert at.dataframe[0].value["ligne"].tolist() == [5]
    at.multiselect(key="act_f_types").set_value(["entreprise"]).run()
    assert not at.exception and any("1 acteur sur la carte (1 retenu par les filtres sur 3)" in c.value for c in at.caption)


def test_page_lets_the_user_choose_among_several_sheets_of_actors(app_data):
    from tests.test_actor_files import _two_sheets
    from tests.test_hostile_files import ACTORS, make_xlsx

    at = upload(page(), "acteurs.xlsx", _two_sheets())
    assert not at.exception and held(at).inventory.actors["nom"].tolist() == ["Recyclerie"]
    chooser = at.selectbox(key="act_feuille")
    assert chooser.options == ["Acteurs", "Lyon"] and chooser.value == "Acteurs"
    chooser.set_value("Lyon").run()
    assert not at.exception
    assert held(at).inventory.actors["nom"].tolist() == ["Acteur 2", "Acteur 3", "Acteur 4"]
    assert at.selectbox(key="act_feuille").value == "Lyon" and "(feuille « Lyon ») importé" in texts(at)
    at = upload(page(), "une.xlsx", make_xlsx({"Acteurs": ACTORS, "Notes": ACTORS.replace("nom", "remarque")}))
    assert not at.exception and len(held(at).inventory.actors) == 1
    assert not [s for s in at.selectbox if s.key == "act_feuille"]  # one sheet of actors: nothing to choose


def test_page_empty_file_gives_a_french_error(app_data):
    at = upload(page(), "vide.csv", b"")
    assert not at.exception and "le fichier est vide" in " ".join(e.value for e in at.error)
    assert "actors_inventory" not in at.session_state


def test_page_edit_then_validate(app_data):
    at = upload(page(), "acteurs.csv", BAD.encode())
    revision = held(at).revision
    key = f"act_editeur_{revision}"
    at.session_state[key] = {"edited_rows": {3: {"implication": "groupe thématique"}},
                             "added_rows": [{"nom": "Jardin", "commune": "Châlette-sur-Loing"}], "deleted_rows": [0]}
    at.run()
    at.button(key="act_valider").click().run()
    assert not at.exception
    state = held(at)
    assert status(state) == {3: "corrigé", 4: "accepté", 5: "corrigé", 6: "corrigé"}
    assert "1 ligne supprimée" in texts(at)


def add_with_form(at, name: str, siret: str = "", impl: str = "") -> None:
    """Fill the « Ajouter un acteur » form at a point in Montargis (45208) and submit it."""
    at.session_state["act_new_lat"], at.session_state["act_new_lon"] = 47.99781, 2.73339
    at.run()
    at.text_input(key="act_new_nom").input(name)
    if siret:
        at.text_input(key="act_new_siret").input(siret)
    if impl:
        at.selectbox(key="act_new_impl").select(impl)
    next(b for b in at.button if b.label == "Ajouter l'acteur").click().run()


def test_page_add_actor_with_the_form(app_data):
    at = page()
    at.button(key="act_vide").click().run()
    add_with_form(at, "<b>Recyclerie</b>", impl="noyau dur")
    assert not at.exception
    inventory = held(at).inventory
    assert inventory.actors["nom"].tolist() == ["<b>Recyclerie</b>"] and inventory.actors["code_commune"].tolist() == ["45208"]
    assert "« &lt;b&gt;Recyclerie&lt;/b&gt; » ajouté (ligne 2)" in texts(at)
    assert at.session_state["act_new_lat"] is None and at.text_input(key="act_new_nom").value == ""


def test_export_bytes_are_built_once_per_inventory_flavour_and_day(embedded):
    from datetime import date, datetime, time

    from ptce_geo.export import zip_files
    from ui.actor_panels import export_bytes

    inventory = load(embedded, BAD).inventory
    memo: dict = {}
    day = date(2026, 11, 27)
    files, archive = export_bytes(inventory, "standard", day, memo)
    assert files == inventory_files(inventory, "standard")
    assert archive == zip_files(inventory_files(inventory, "standard"), datetime.combine(day, time()))
    assert export_bytes(inventory, "standard", day, memo)[1] is archive  # unchanged rerun: nothing built
    assert export_bytes(inventory, "excel-fr", day, memo)[0]["acteurs.csv"] == inventory_files(inventory, "excel-fr")["acteurs.csv"]
    assert export_bytes(inventory, "standard", date(2026, 11, 28), memo)[1] != archive  # the zip's dates follow the day
    summarised = summarise_inventory(inventory, embedded, embedded.communes.index[embedded.communes["code_epci"] == MONTARGOISE].tolist())
    assert "acteurs_alertes.csv" in export_bytes(summarised, "standard", day, memo)[0]  # a new inventory object: built again


def test_page_reruns_reuse_the_export_bytes_until_the_inventory_changes(app_data):
    at = upload(page(), "acteurs.csv", BAD.encode())
    first = at.session_state["_act_exports"]
    at.run()
    assert at.session_state["_act_exports"][2] is first[2]
    at.radio(key="act_export_format").set_value("excel-fr" if first[1][0] == "standard" else "standard").run()
    assert not at.exception and at.session_state["_act_exports"][2] is not first[2]
    flavoured = at.session_state["_act_exports"]
    at.session_state[f"act_editeur_{held(at).revision}"] = {"edited_rows": {3: {"implication": "groupe thématique"}}}
    at.run()
    at.button(key="act_valider").click().run()
    assert not at.exception and at.session_state["_act_exports"][2] is not flavoured[2]
    assert at.session_state["_act_exports"][0] is held(at).inventory
