"""Page logic with Streamlit's AppTest (no browser): URL parameters, the territory panel, bad input, Diagnostic, Export."""

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest

from ptce_geo.csvsafe import to_csv_bytes
from ptce_geo.diagnostic import diagnose
from ptce_geo.export import tables
from ptce_geo.territory import TerritoryDefinition, build_territory
from tests.conftest import needs_shared
from ui.links import section_slug
from ui.panels import EDGE_BOXES_MAX, boxed_edge, toggle_communes
from ui.state import Selection, encode_rings

ROOT = Path(__file__).resolve().parent.parent
TERRITOIRE = str(ROOT / "app_pages" / "1_Territoire.py")
DIAGNOSTIC = str(ROOT / "app_pages" / "2_Diagnostic.py")
EXPORT = str(ROOT / "app_pages" / "3_Export.py")
AMIENS, VAL_DE_SOMME = "248000531", "248000499"  # a communauté d'agglomération and a communauté de communes, neighbours
SEA = {"type": "Polygon", "coordinates": [[[-8.0, 45.0], [-7.5, 45.0], [-7.5, 45.5], [-8.0, 45.5], [-8.0, 45.0]]]}
NEAR_AMIENS = {"type": "Polygon", "coordinates": [[[2.20, 49.85], [2.40, 49.85], [2.40, 49.95], [2.20, 49.95], [2.20, 49.85]]]}


@pytest.fixture
def shared_app(shared_root, monkeypatch):
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(shared_root))
    st.cache_resource.clear()
    yield shared_root
    st.cache_resource.clear()


def run(path: str, **params) -> AppTest:
    at = AppTest.from_file(path, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def territoire_part(at: AppTest, part: str) -> AppTest:
    """The Territoire page's panel switched to ``part`` (its segmented control: only the part shown is built)."""
    at.button_group(key="ter_onglet").set_value(part)
    return at.run()


def diagnostic_section(epci: str, section: str, timeout: float = 90) -> AppTest:
    """The Diagnostic page on ``epci`` (a link), then on its section ``section`` (the segmented control's choice)."""
    at = AppTest.from_file(DIAGNOSTIC, default_timeout=timeout)
    at.query_params["epci"] = epci
    at.run()
    at.session_state["diag_onglet"] = section
    return at.run()


def warnings_of(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def errors_of(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def query(at: AppTest, key: str) -> str:
    value = at.query_params.get(key, "")
    return value[-1] if isinstance(value, list) else value


def test_home_shows_counts(app_data):
    at = run(str(ROOT / "app.py"))
    assert not at.exception
    values = metrics(at)
    assert values["Communes"] == "34\u202f875" and values["EPCI"] == "1\u202f253"


def test_url_selection_is_restored(app_data):
    at = run(TERRITOIRE, epci="200054781,243300316", seuil="30")
    assert not at.exception and "Paramètre" not in warnings_of(at)
    sel = at.session_state["selection"]
    assert sel.epci == ("200054781", "243300316") and sel.min_share == 0.3
    assert at.multiselect(key="ter_epci").value == ["200054781", "243300316"]
    assert any("SIREN 243300316" in m.value for m in at.markdown)


def test_garbage_url_parameters_give_a_french_warning_and_keep_the_state(app_data):
    at = run(TERRITOIRE, epci="200054781")
    at.query_params["epci"] = "n'importe-quoi"
    at.query_params["seuil"] = "beaucoup"
    at.query_params["fichier"] = "../../etc/passwd"
    at.run()
    assert not at.exception
    text = warnings_of(at)
    assert "SIREN d'EPCI invalide" in text and "« seuil » ignoré" in text and "« fichier » ignoré" in text
    assert at.session_state["selection"] == Selection(epci=("200054781",))


def test_the_map_opens_as_the_server_prepared_it(app_data):
    """The server prepares the EPCI map in ``DEFAULT_INDICATOR`` and ``DEFAULT_CLASSES`` before any page
    (``ui.loaders.prepare_first_map``): the page must open on that very map, or the preparation is lost."""
    from ptce_geo.mapping import DEFAULT_CLASSES, DEFAULT_INDICATOR

    at = run(TERRITOIRE)
    assert at.selectbox(key="ter_indicator").value == DEFAULT_INDICATOR
    assert at.selectbox(key="ter_classes").value == DEFAULT_CLASSES


def test_picking_epci_writes_the_url(app_data):
    at = run(TERRITOIRE)
    at.multiselect(key="ter_epci").set_value(["243300316"]).run()
    assert not at.exception
    assert at.session_state["selection"].epci == ("243300316",)
    assert query(at, "epci") == "243300316"


def test_commune_inputs_keep_valid_codes_and_explain_the_others(app_data):
    at = run(TERRITOIRE)
    territoire_part(at, "Communes")
    at.text_input(key="ter_communes").input("75056, 1001, 99999, abc").run()
    assert not at.exception
    assert at.session_state["selection"].communes == ("75056", "01001")
    text = warnings_of(at)
    assert "99999" in text and "Code commune INSEE invalide : « abc »" in text
    assert query(at, "communes") == "75056,01001"


@pytest.mark.parametrize("code, commune", [("75101", "75056"), ("69389", "69123"), ("13216", "13055")])
def test_an_arrondissement_in_the_url_gives_its_commune_with_a_note(app_data, code, commune):
    at = run(TERRITOIRE, communes=code)
    assert not at.exception and "absents" not in warnings_of(at)
    assert at.session_state["selection"].communes == (code,)
    assert metrics(at)["Communes"] == "1"
    assert f"arrondissement municipal {code} rattaché à sa commune {commune}" in warnings_of(at)


def test_an_arrondissement_typed_in_the_commune_list_is_kept(app_data):
    at = run(TERRITOIRE)
    territoire_part(at, "Communes")
    at.text_input(key="ter_communes").input("75120, 75121").run()
    assert not at.exception
    assert at.session_state["selection"].communes == ("75120",)
    text = warnings_of(at)
    assert "75121" in text and "arrondissement municipal 75120 rattaché à sa commune 75056 (Paris)" in text


def test_url_warnings_stay_until_the_selection_changes(app_data):
    at = run(TERRITOIRE, epci="200054781,abc")
    assert "abc" in warnings_of(at)
    at.run()  # e.g. the map component's first message
    assert "abc" in warnings_of(at)
    at.multiselect(key="ter_epci").set_value([]).run()
    assert warnings_of(at) == ""


def test_territory_at_a_glance_with_two_epci_of_different_types(app_data, embedded):
    at = run(TERRITOIRE, epci=f"{AMIENS},{VAL_DE_SOMME}")
    assert not at.exception
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME])))
    values = metrics(at)
    assert values["Communes"] == str(diag.overview["communes"]) and values["EPCI"] == "2"
    assert values["Alertes"] == str(len(diag.alerts)) and "EPCI_TYPES_MULTIPLES" in [a.code for a in diag.alerts]
    assert at.radio(key="ter_vue").value == "territoire"  # a link opens on its territory


def test_empty_page_invites_to_build_a_territory(app_data):
    at = run(TERRITOIRE)
    assert not at.exception and "Aucun territoire" in " ".join(i.value for i in at.info)
    assert at.radio(key="ter_vue").value == "france"


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    widget = next(w for w in territoire_part(at, "Dessin ou contour").file_uploader if "contour" in w.label)
    widget.set_value((name, content, "application/octet-stream"))
    return at.run()


def test_uploaded_file_that_is_not_geojson_is_refused_and_the_territory_kept(app_data):
    at = run(TERRITOIRE, epci=AMIENS)
    before = metrics(at)["Communes"]
    upload(at, "notes.txt", b"ceci n'est pas un GeoJSON")
    assert not at.exception
    text = errors_of(at)
    assert "notes.txt" in text and "refusé" in text and "fichier géographique illisible" in text and "conservé" in text
    assert at.session_state["selection"] == Selection(epci=(AMIENS,)) and metrics(at)["Communes"] == before


def test_a_huge_file_is_refused_with_the_limit_in_french(app_data):
    at = run(TERRITOIRE, epci=AMIENS)
    upload(at, "enorme.geojson", b" " * 6_000_000)
    text = errors_of(at)
    assert "enorme.geojson" in text and "6,0 Mo" in text and "limite est de 5 Mo" in text
    assert at.session_state["selection"] == Selection(epci=(AMIENS,))


def test_an_uploaded_polygon_selecting_nothing_is_refused(app_data):
    at = run(TERRITOIRE, epci=AMIENS)
    upload(at, "mer.geojson", json.dumps(SEA).encode())
    text = errors_of(at)
    assert "mer.geojson" in text and "ne recouvre aucune commune" in text and "Le territoire précédent est conservé" in text
    assert at.session_state["selection"] == Selection(epci=(AMIENS,))


def test_an_uploaded_polygon_joins_the_territory_and_survives_a_reload(app_data, embedded):
    at = run(TERRITOIRE)
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"nom": "<b>x</b>"}, "geometry": NEAR_AMIENS}]}
    upload(at, "perimetre.geojson", json.dumps(feature).encode())
    assert not at.exception and errors_of(at) == ""
    sel = at.session_state["selection"]
    assert sel.upload_name == "perimetre.geojson" and sel.polygon is not None
    expected = build_territory(embedded, TerritoryDefinition(polygon=NEAR_AMIENS))
    assert metrics(at)["Communes"] == str(len(expected.communes))
    shape_id = query(at, "fichier")
    assert len(shape_id) == 20 and (app_data / "formes" / f"{shape_id}.json").exists()
    again = run(TERRITOIRE, fichier=shape_id)  # a reload or a shared link: a new session with the URL only
    assert again.session_state["selection"].upload_name == "perimetre.geojson"
    assert metrics(again)["Communes"] == str(len(expected.communes))
    assert any("perimetre.geojson" in m.value for m in again.markdown)


def test_a_self_intersecting_drawing_is_repaired_with_a_warning(app_data):
    at = run(TERRITOIRE, polygone="2.2,49.85;2.4,49.95;2.4,49.85;2.2,49.95")  # a bow tie
    assert not at.exception and at.button_group(key="ter_onglet").value == "Dessin ou contour"  # a drawn link opens on it
    assert "se recoupe" in warnings_of(at) and int(metrics(at)["Communes"]) > 0


def test_a_link_with_epci_and_a_drawing_opens_on_the_epci_and_keeps_its_part_after_a_drawing(app_data):
    at = run(TERRITOIRE, epci=AMIENS, polygone="2.2,49.85;2.4,49.85;2.4,49.95;2.2,49.95")
    assert at.button_group(key="ter_onglet").value == "EPCI"
    at = run(TERRITOIRE)
    assert at.button_group(key="ter_onglet").value == "EPCI"
    at.query_params["polygone"] = "2.2,49.85;2.4,49.85;2.4,49.95;2.2,49.95"  # as a drawing does
    at.session_state["selection"] = Selection(drawings=(((2.2, 49.85), (2.4, 49.85), (2.4, 49.95), (2.2, 49.95)),))
    assert at.run().button_group(key="ter_onglet").value == "EPCI" and int(metrics(at)["Communes"]) > 0  # drawn, not moved


def test_a_drawing_in_the_sea_from_a_link_says_why_in_french(app_data):
    at = run(TERRITOIRE, polygone="-8,45;-7.5,45;-7.5,45.5;-8,45.5")
    assert not at.exception and "ne recouvre aucune commune" in errors_of(at)


def test_moving_the_threshold_to_an_empty_territory_is_refused(app_data, embedded):
    inner = embedded.communes.geometry["80021"].buffer(-0.003).simplify(0.001)  # most of Amiens, no whole commune
    inner = max(getattr(inner, "geoms", [inner]), key=lambda g: g.area)
    ring = tuple((round(x, 5), round(y, 5)) for x, y in inner.exterior.coords[:-1])
    at = run(TERRITOIRE, polygone=encode_rings((ring,)))
    assert not at.exception and errors_of(at) == "" and metrics(at)["Communes"] == "1"
    territoire_part(at, "Dessin ou contour")
    at.slider(key="ter_seuil").set_value(100).run()
    assert "Changement du seuil refusé" in errors_of(at) and "Sélection vide" in errors_of(at)
    assert at.session_state["selection"].min_share == 0.5 and at.slider(key="ter_seuil").value == 50


def test_commune_search_adds_and_excludes(app_data):
    at = run(TERRITOIRE, epci=AMIENS)
    territoire_part(at, "Communes")
    at.text_input(key="ter_cherche").input("amiens").run()
    at.button(key="ter_exclure_80021").click().run()
    assert at.session_state["selection"].excluded == ("80021",)
    at.text_input(key="ter_cherche").input("Abbeville").run()
    at.button(key="ter_ajouter_80001").click().run()
    assert at.session_state["selection"].communes == ("80001",) and query(at, "communes") == "80001"


def test_cut_communes_are_boxes_ticked_by_their_share_and_toggled_one_by_one(app_data, embedded):
    """Each commune cut by the drawing is a box, ticked when at least half of it lies in the polygon (the default
    threshold): shares from geopandas in Lambert-93, communes within a point of the threshold left out."""
    polygon = shapely.geometry.shape(NEAR_AMIENS)
    communes = gpd.GeoDataFrame(geometry=embedded.communes.geometry, crs=4326).to_crs(2154)
    shape = gpd.GeoSeries([polygon], crs=4326).to_crs(2154).iloc[0]
    shares = communes.intersection(shape).area / communes.area
    cut = shares[(shares > 0.001) & (shares < 0.999)]
    at = territoire_part(run(TERRITOIRE, polygone=encode_rings((tuple(polygon.exterior.coords[:-1]),))), "Dessin ou contour")
    boxes = {box.key.removeprefix("ter_coupee_"): box for box in at.checkbox if box.key.startswith("ter_coupee_")}
    assert set(boxes) == set(cut.index)
    clear = cut[(cut - 0.5).abs() > 0.01]
    assert {code: boxes[code].value for code in clear.index} == {code: bool(share >= 0.5) for code, share in clear.items()}
    assert all(f"({code}) — " in boxes[code].label and "dans le polygone" in boxes[code].label for code in boxes)
    outside, inside = clear[clear < 0.5].idxmax(), clear[clear >= 0.5].idxmin()  # the nearest to the threshold on each side
    at.checkbox(key=f"ter_coupee_{outside}").check().run()
    assert at.session_state["selection"].communes == (outside,) and at.checkbox(key=f"ter_coupee_{outside}").value is True
    at.checkbox(key=f"ter_coupee_{inside}").uncheck().run()
    assert at.session_state["selection"].excluded == (inside,) and at.checkbox(key=f"ter_coupee_{inside}").value is False
    at.checkbox(key=f"ter_coupee_{outside}").uncheck().run()
    assert at.session_state["selection"].communes == () and at.checkbox(key=f"ter_coupee_{outside}").value is False


def test_a_large_drawing_boxes_the_communes_nearest_the_threshold_and_says_so(app_data, embedded):
    """A 2° square cuts about 270 communes: only ``EDGE_BOXES_MAX`` get a box, the nearest to the threshold by a
    geopandas share; a caption says the others follow the threshold."""
    ring = ((2.0, 47.5), (4.0, 47.5), (4.0, 49.5), (2.0, 49.5))
    polygon = shapely.geometry.Polygon(ring)
    communes = gpd.GeoDataFrame(geometry=embedded.communes.geometry, crs=4326).to_crs(2154)
    shares = communes.intersection(gpd.GeoSeries([polygon], crs=4326).to_crs(2154).iloc[0]).area / communes.area
    cut = shares[(shares > 0.001) & (shares < 0.999)]
    assert len(cut) > EDGE_BOXES_MAX + 50
    at = territoire_part(run(TERRITOIRE, polygone=encode_rings((ring,))), "Dessin ou contour")
    boxed = {box.key.removeprefix("ter_coupee_") for box in at.checkbox if box.key.startswith("ter_coupee_")}
    assert len(boxed) == EDGE_BOXES_MAX
    distance = (cut - 0.5).abs().sort_values()
    assert set(distance.index[:EDGE_BOXES_MAX - 3]) <= boxed and not boxed & set(distance.index[EDGE_BOXES_MAX + 3:])
    assert any("autres suivent le seuil" in c.value for c in at.caption)


def test_boxed_cut_communes_at_the_limit_and_those_changed_by_hand_first():
    edge = pd.DataFrame({"part_surface": [0.9, 0.55, 0.5, 0.3, 0.1]}, index=["A", "B", "C", "D", "E"])
    assert boxed_edge(edge, Selection(), most=5).index.tolist() == ["A", "B", "C", "D", "E"]  # all, up to the limit
    assert boxed_edge(edge, Selection(), most=4).index.tolist() == ["A", "B", "C", "D"]  # E is the farthest from 0.5
    assert boxed_edge(edge, Selection(), most=2).index.tolist() == ["B", "C"]
    assert boxed_edge(edge, Selection(excluded=("A",), communes=("E",)), most=3).index.tolist() == ["A", "C", "E"]
    assert boxed_edge(edge, Selection(min_share=0.3), most=1).index.tolist() == ["D"]


def test_toggling_cut_communes_uses_the_lists_only_when_needed():
    sel = Selection(epci=("E",), communes=("B",), excluded=("C",))
    by_rule = {"A": True, "B": False, "C": True, "D": False}
    out = toggle_communes(sel, {"A": False, "B": False, "C": True, "D": True}, by_rule)
    assert out.excluded == ("A",) and out.communes == ("D",)


def test_diagnostic_page_without_territory_points_to_territoire(app_data):
    for page in (DIAGNOSTIC, EXPORT):
        at = run(page)
        assert not at.exception and "Aucun territoire" in " ".join(i.value for i in at.info)


def test_diagnostic_page_shows_figures_alerts_and_sources(app_data, embedded):
    at = run(DIAGNOSTIC, epci=f"{AMIENS},{VAL_DE_SOMME}")
    assert not at.exception
    assert metrics(at)["EPCI"] == "2" and at.button_group(key="diag_onglet").options[:7] == ["Synthèse", "Trajectoire", "EPCI et disparités",
                                                                             "Rural / urbain", "Zonages", "Alertes", "Sources"]
    summary = at.dataframe[0].value
    assert {"Territoire", "France", "Somme (80)", "Couverture", "Millésime"} <= set(summary.columns)
    assert "Population municipale" in set(summary["Indicateur"])
    at.session_state["diag_onglet"] = "Trajectoire"
    at.run()
    assert not at.exception and "Aucune série chargée" in " ".join(i.value for i in at.info)  # embedded data: said, with the command
    at.session_state["diag_onglet"] = "Alertes"
    at.run()
    assert "2 EPCI de 2 types différents" in warnings_of(at)
    at.session_state["diag_onglet"] = "Rural / urbain"
    at.run()
    assert "Grille communale de densité absente" in " ".join(i.value for i in at.info)  # embedded data: said, with the command
    at.session_state["diag_onglet"] = "Sources"
    at.run()
    assert not at.exception and any("Jeu" in df.value.columns for df in at.dataframe)
    at.session_state["diag_onglet"] = "EPCI et disparités"
    at.run()
    assert not at.exception and list(at.dataframe[0].value["SIREN"]) == [AMIENS, VAL_DE_SOMME]


def test_the_diagnostic_section_is_in_the_link(app_data, embedded):
    """?rubrique= opens its section and the section chosen is written back (a link or a reload opens it again); an
    unknown one is said and ignored; the territory's own parameters stay; other pages keep it, without a warning."""
    assert [section_slug(t) for t in ("Synthèse", "EPCI et disparités", "Rural / urbain", "ESS")] == [
        "synthese", "epci-et-disparites", "rural-urbain", "ess"]
    at = run(DIAGNOSTIC, epci=AMIENS, rubrique="alertes")
    assert not at.exception and at.button_group(key="diag_onglet").value == "Alertes"
    at.button_group(key="diag_onglet").set_value("Rural / urbain").run()
    assert at.query_params["rubrique"] == "rural-urbain" and at.query_params["epci"] == AMIENS
    at = run(DIAGNOSTIC, epci=AMIENS, rubrique="tableau")
    assert at.button_group(key="diag_onglet").value == "Synthèse"
    assert "« rubrique » ignoré : « tableau » n'est pas une rubrique du diagnostic (synthese, trajectoire," in warnings_of(at)
    assert at.query_params["rubrique"] == "synthese" and at.query_params["epci"] == AMIENS
    at = run(TERRITOIRE, epci=AMIENS, rubrique="alertes")  # kept for the way back to the Diagnostic page
    assert not at.exception and "inconnu" not in warnings_of(at) and at.query_params["rubrique"] == "alertes"


@needs_shared
def test_trajectory_tab_on_real_data_charts_the_trends_and_says_the_age_file_is_missing(shared_app):
    at = run(DIAGNOSTIC, epci=f"{AMIENS},{VAL_DE_SOMME}")
    at.session_state["diag_onglet"] = "Trajectoire"
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Population" in text and "Médiane du niveau de vie" in text and "Taux de chômage" in text
    assert "Structure par âge : fichier absent, importer" in " ".join(i.value for i in at.info)  # no age file in ../shared/data
    balances = at.dataframe[0].value
    assert list(balances.columns) == ["Variation de la population", "Solde naturel (naissances − décès)", "Solde migratoire apparent"]
    assert "Territoire" in balances.index and "France" in balances.index


@needs_shared
def test_diagnostic_on_real_data_shows_disparities_and_rural_urban(shared_app):
    at = run(DIAGNOSTIC, epci=f"{AMIENS},{VAL_DE_SOMME}")
    at.session_state["diag_onglet"] = "EPCI et disparités"
    at.run()
    assert not at.exception
    epci = at.dataframe[0].value
    assert list(epci["SIREN"]) == [AMIENS, VAL_DE_SOMME]
    assert "Taux de chômage des 15-64 ans (recensement) (%, RP 2021)" in epci.columns  # census years shown
    assert "Taux de logements vacants (%, RP 2018)" in epci.columns
    assert any("Rapport max/min" in df.value.columns for df in at.dataframe)
    at.session_state["diag_onglet"] = "Rural / urbain"
    at.run()
    assert not at.exception and "Population en commune rurale" in metrics(at)
    assert any("Groupe" in df.value.columns for df in at.dataframe)


def zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_export_zip_matches_the_library_and_is_built_once(app_data, embedded, monkeypatch):
    import ui.exports

    calls = []
    original = ui.exports.export_zip
    monkeypatch.setattr(ui.exports, "export_zip", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    at = run(EXPORT, epci=f"{AMIENS},{VAL_DE_SOMME}")
    assert not at.exception
    diag = diagnose(embedded, build_territory(embedded, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME])))
    labels = {b.label for b in at.download_button}
    assert {"resume.csv", "synthese.csv", "epci.csv", "alertes.csv", "territoire.gpkg", "sources.md"} <= labels
    for _ in range(2):  # a double click: same file, a French note, nothing recomputed
        at.download_button(key="exp_zip").click().run()
    assert calls == ["standard"]
    assert "déjà téléchargé" in " ".join(t.value for t in at.toast)
    at.radio(key="exp_format").set_value("excel-fr").run()
    assert calls == ["standard", "excel-fr"]
    from ui import exports, territory

    current = territory.Current(diag.territory.definition, diag.territory, diag)
    data, files, _ = exports.archive(current, "excel-fr")
    assert calls == ["standard", "excel-fr"]  # the same definition and flavour: the archive the page built
    expected = tables(diag)
    for stem in ("resume", "synthese", "epci", "communes", "alertes"):
        assert files[f"{stem}.csv"] == to_csv_bytes(expected[stem], "excel-fr")
    assert zip_files(data)["synthese.csv"].startswith(b"\xef\xbb\xbf")


def test_export_joins_the_actor_inventory_when_the_acteurs_page_loaded_one(app_data, embedded):
    from ptce_geo.collective.editing import import_inventory

    inventory = import_inventory(embedded, b"nom;code_commune\nAsso du Val;80021\n=HYPERLINK(1);80001\n", "acteurs.csv")
    at = AppTest.from_file(EXPORT, default_timeout=90)
    at.query_params["epci"] = AMIENS
    at.session_state["actors_inventory"] = inventory
    at.run()
    assert not at.exception
    labels = {b.label for b in at.download_button}
    assert {"acteurs.csv", "acteurs_rapport.csv"} <= labels
    assert any("2 acteurs" in c.value for c in at.caption)


def test_the_background_warm_up_projects_the_communes_before_the_first_drawing(embedded_root):
    """The first polygon used to pay ~1 s projecting every commune (measured: 1.14 s, 0.08 s once warmed)."""
    from ptce_geo._spatial import commune_index
    from ptce_geo.reference import load_reference
    from ui.loaders import _warm_up

    ref = load_reference(embedded_root)
    _warm_up(ref)
    assert {"_projected", "_hulls"} <= set(vars(commune_index(ref)))
