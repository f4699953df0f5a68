"""ESS establishments of a territory: suggestions for the inventory, SIRET fill, map layer (escaped)."""

from __future__ import annotations

from urllib.parse import unquote

import folium
import pandas as pd
import shapely

from ptce_geo.ess_actors import from_siret, missing_from_inventory, territory_establishments
from ptce_geo.ess_map import ess_layer, ess_legend_html, ess_map
from ptce_geo.map_symbols import FAMILY_SHAPES
from ptce_geo.mapping import Assets
from ptce_geo.sources.sirene import FAMILIES

LISTING = pd.DataFrame({
    "siret": ["10000000100011", "10000000200012", "10000000300013", "10000000400014", "10000000500015"],
    "siren": ["100000001", "100000002", "100000003", "100000004", "100000005"],
    "code_commune": ["80021", "80021", "75101", "13055", "80021"],
    "famille": ["associations", "cooperatives", "mutuelles", "associations", "fondations"],
    "categorie_juridique": ["9220", "5458", "8210", "9220", "9300"],
    "nom": ["LES AMIS DU QUARTIER", "SCOP <script>alert(1)</script>", "MUTUELLE DE PARIS", "ASSO MARSEILLE", "FONDATION PICARDE"],
    "lat": [49.894, 49.90, 48.86, 43.30, None], "lon": [2.295, 2.30, 2.34, 5.37, None]})


def test_territory_keeps_member_communes_through_the_passage(embedded):
    inside = territory_establishments(LISTING, embedded, pd.Index(["80021", "75056"]))
    assert sorted(inside["siren"]) == ["100000001", "100000002", "100000003", "100000005"]
    assert inside.set_index("siren").loc["100000003", "code_commune"] == "75056"


def test_missing_from_inventory_matches_siret_siren_and_names():
    actors = pd.DataFrame({"nom": ["Association Les Amis de Quartier", "Autre"], "siret": [None, "100 000 002 00099"]})
    missing = missing_from_inventory(LISTING, actors)
    # 1: same name once legal words and accents are set aside; 2: same SIREN through another SIRET
    assert sorted(missing["siren"]) == ["100000003", "100000004", "100000005"]
    assert missing.set_index("siren").loc["100000005", "famille_libelle"] == "Fondations"
    assert len(missing_from_inventory(LISTING, None)) == len(LISTING)


def test_siret_fills_type_form_and_ess_status():
    assert from_siret("100 000 002 00012", LISTING)["type_structure"] == "SCOP"
    filled = from_siret("10000000100011", LISTING)
    assert filled["type_structure"] == "association" and filled["ess"] == "oui" and "9220" in filled["forme_juridique"]
    assert from_siret("10000000300013", LISTING)["type_structure"] == "entreprise de l'ESS"
    assert from_siret("10000000100012", LISTING) is None  # not in the ESS list
    assert from_siret("1000000010001", LISTING) is None  # 13 digits


def test_layer_escapes_names_and_skips_unlocated():
    layer = ess_layer(LISTING)
    assert layer.marker_count == 4
    html = folium.Map(tiles=None).add_child(layer).get_root().render()
    assert "\\u0026lt;script\\u0026gt;" in html and "<script>alert(1)</script>" not in html  # escaped, then a JS string
    assert ess_layer(LISTING, max_markers=2).marker_count == 2


def test_map_keys_only_the_families_shown_and_fits_the_territory():
    """Fondations has no located establishment: no key entry for it; the view is the outlines' extent."""
    outlines = pd.Series([shapely.box(2.2, 49.85, 2.35, 49.95), shapely.box(2.3, 48.8, 2.4, 48.9)], index=["80021", "75056"])
    html = ess_map(LISTING, outlines, Assets.local()).get_root().render()
    key = ess_legend_html(LISTING, note="Source : INSEE <b>")
    for family in ("associations", "cooperatives", "mutuelles"):
        assert FAMILIES[family] in key
        assert f'"{FAMILY_SHAPES[family]}"' in html  # each marker carries its family's shape
    assert FAMILIES["fondations"] not in key and FAMILIES["societes_ess"] not in key
    assert unquote(key).count("<polygon") + unquote(key).count("<circle") == 3  # a shape swatch per family shown
    assert "Source : INSEE &lt;b&gt;" in key
    assert "[[48.8, 2.2], [49.95, 2.4]]" in html
