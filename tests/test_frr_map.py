"""The France Ruralités Revitalisation layer of the Territoire map: which communes it draws, one style per class, its key;
and the Zonages caption agreeing with 0, 1 or several zones."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from ptce_geo.frr_map import FRR_PATTERNS, FRR_STYLES, UNCLASSED, collection_size, frr_around, frr_key_html, frr_layer, within_budget
from ptce_geo.map_overlays import NEIGHBOUR_MARGIN_DEG
from ptce_geo.mapping import light_outlines
from ptce_geo.sources.zoning_files import FRR_CLASSES
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.zonings import ZONINGS, outside_sentence
from tests.conftest import SHARED, needs_shared

FRR_CSV = SHARED / "anct_france_ruralites_revitalisation_2025" / "liste-communes-FRR-juillet2025.csv"
AMIENS, VAL_DE_SOMME = "248000531", "248000499"


def _raw_classes() -> pd.Series:
    """FRR code by commune code, read with plain pandas from the DGCL list."""
    raw = pd.read_csv(FRR_CSV, sep=";", dtype=str, usecols=[0, 3])
    return raw.set_index("Code_insee").iloc[:, 0].map(FRR_CLASSES)


def _write_frr(path, rows: dict[str, str]) -> pd.Series:
    """A small list in the DGCL layout; the classes read back with plain pandas."""
    path.write_text("Code_insee;Departement;Commune;Classement FRR et FRR+ au 10 juillet 2025;\n"
                    + "".join(f"{code};01;C{code};{label};\n" for code, label in rows.items()), encoding="utf-8")
    return pd.read_csv(path, sep=";", dtype=str).set_index("Code_insee").iloc[:, 2].map(FRR_CLASSES)


def test_every_frr_class_has_a_style_and_only_unclassed_is_left_undrawn():
    assert set(FRR_STYLES) == set(FRR_CLASSES.values())
    drawn = {code for code, style in FRR_STYLES.items() if style is not None}
    assert drawn == set(FRR_CLASSES.values()) - {UNCLASSED} == set(FRR_PATTERNS)
    fills = [FRR_STYLES[c]["fillColor"] for c in drawn]
    assert len(set(fills)) == len(drawn)  # one pattern per class: no two classes look alike
    assert all(f'id="{fill[5:-1]}"' in FRR_PATTERNS[c] for c, fill in zip(drawn, fills, strict=True))
    partial = {c for c in drawn if "dashArray" in FRR_STYLES[c]}
    assert partial == {"frr_partielle", "frr_beneficiaire_partielle"}  # a partial class: dashed outline


@needs_shared
def test_every_class_of_the_dgcl_list_has_a_style():
    labels = pd.read_csv(FRR_CSV, sep=";", dtype=str).iloc[:, 3].dropna().unique()
    assert len(labels) == 6
    for label in labels:  # a new class in the list fails here until it gets a style
        assert label in FRR_CLASSES and FRR_CLASSES[label] in FRR_STYLES, label


def _grid() -> gpd.GeoDataFrame:
    """Unit squares: the territory is a and b; c sits 0.1° from its extent, d exactly at the margin, e just beyond."""
    m = NEIGHBOUR_MARGIN_DEG
    boxes = {"a": (0, 0, 1, 1), "b": (1, 0, 2, 1), "c": (2.1, 0, 3, 1), "d": (0, 1 + m, 1, 2), "e": (-1 - 1e-6 - m, 0, -m - 1e-6, 1),
             "f": (2.1, 1.05, 3, 2)}
    return gpd.GeoDataFrame({"nom": list(boxes)}, geometry=[shapely.box(*b) for b in boxes.values()], index=list(boxes), crs=4326)


def test_the_layer_draws_the_classed_communes_of_the_territory_and_within_the_margin(tmp_path):
    classes = _write_frr(tmp_path / "frr.csv", {"a": "FRR+", "b": "Non classée", "c": "FRR socle", "d": "Classée FRR partiellement",
                                               "e": "FRR+", "f": "FRR bénéficiaire"})
    inside, around = frr_around(_grid(), classes, ["a", "b", "zz"])
    assert inside.to_dict() == {"a": "frr_plus"}  # b: non classée, not drawn; zz: unknown, skipped
    assert around.sort_index().to_dict() == {"c": "frr_socle", "d": "frr_partielle", "f": "frr_beneficiaire"}  # e: 1e-6° too far
    assert frr_around(_grid(), classes, []) [0].empty


@needs_shared
def test_the_communes_drawn_around_amiens_and_val_de_somme_match_the_dgcl_list(embedded):
    classes = _raw_classes()
    territory = build_territory(embedded, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME]))
    members = list(territory.communes.index)
    inside, around = frr_around(embedded.communes, classes, members)
    bounds = embedded.communes.geometry.bounds  # the same margin, from the boxes with plain pandas
    minx, miny, maxx, maxy = embedded.communes.geometry.loc[members].total_bounds
    m = NEIGHBOUR_MARGIN_DEG
    near = bounds[(bounds.minx <= maxx + m) & (bounds.maxx >= minx - m) & (bounds.miny <= maxy + m) & (bounds.maxy >= miny - m)].index
    expected = classes.reindex(near).dropna()
    expected = expected[expected != UNCLASSED]
    assert set(inside.index) == set(expected.index) & set(members) and len(inside) > 0
    assert set(around.index) == set(expected.index) - set(members) and len(around) > 0
    assert pd.concat([inside, around]).sort_index().equals(expected.sort_index())
    geoms = light_outlines(embedded.communes.geometry.reindex(list(inside.index) + list(around.index)))
    shown = pd.concat([inside, around])
    text = next(iter(frr_layer(geoms, shown)._children.values())).data
    data = json.loads(text)
    got = pd.Series([f["properties"]["k"] for f in data["features"]])
    assert got.value_counts().to_dict() == shown.reindex(geoms.index).value_counts().to_dict()
    assert collection_size(geoms, shown) == len(text)


def test_the_layer_skips_unclassed_and_unknown_classes_and_sizes_its_payload():
    grid = _grid()
    classes = pd.Series({"a": "frr_plus", "b": UNCLASSED, "c": "zone rouge", "d": "frr_beneficiaire_partielle"})
    layer = frr_layer(grid.geometry, classes)
    element = next(iter(layer._children.values()))
    data = json.loads(element.data)
    assert [f["properties"]["k"] for f in data["features"]] == ["frr_plus", "frr_beneficiaire_partielle"]
    assert collection_size(grid.geometry, classes) == len(element.data)
    assert not frr_layer(grid.geometry, pd.Series({"a": UNCLASSED}))._children  # nothing classed: an empty group


def test_the_margin_then_the_layer_are_dropped_beyond_the_budget():
    grid = _grid()
    inside, around = pd.Series({"a": "frr_plus"}), pd.Series({"c": "frr_socle", "d": UNCLASSED})
    outlines = grid.geometry.reindex  # the outlines of the codes asked for
    both = len(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"k": k}, "geometry": shapely.geometry.mapping(grid.geometry[c])}
        for c, k in (("a", "frr_plus"), ("c", "frr_socle"))]}, separators=(",", ":")))  # independent size, json module
    alone = len(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"k": "frr_plus"}, "geometry": shapely.geometry.mapping(grid.geometry["a"])}]},
        separators=(",", ":")))
    classes, geoms, margin = within_budget(inside, around, lambda codes: outlines(list(codes)), budget=both)
    assert margin and list(classes.index) == ["a", "c", "d"] and list(geoms.index) == ["a", "c", "d"]
    classes, geoms, margin = within_budget(inside, around, lambda codes: outlines(list(codes)), budget=both - 1)
    assert not margin and list(classes.index) == ["a"]
    assert within_budget(inside, around, lambda codes: outlines(list(codes)), budget=alone) is not None
    assert within_budget(inside, around, lambda codes: outlines(list(codes)), budget=alone - 1) is None


def test_the_key_lists_the_classes_drawn_with_source_and_vintage():
    key = frr_key_html(pd.Series(["frr_socle", "frr_plus", "frr_socle"]), "DGCL/ANCT, France Ruralités Revitalisation",
                       "classement au 10 juillet 2025", margin=True)
    assert "FRR+ (quadrillage)" in key and "FRR socle (hachures)" in key and "Non classée (sans trame)" in key
    assert "FRR bénéficiaire" not in key  # only the classes on the map
    assert "Source : DGCL/ANCT, France Ruralités Revitalisation (classement au 10 juillet 2025) ; communes du territoire et alentour" in key
    assert key.count("<li") == 3 and key.count("ptce-frr-frr_plus") == 2  # the swatch holds the map's own pattern
    assert "communes du territoire." in frr_key_html(pd.Series(["frr_plus"]), "S", "V", margin=False)


@pytest.mark.parametrize(("zoning", "n", "expected"), [
    ("bv2022", 0, "Hors zone principale, aucun habitant ne vit dans un bassin de vie situé surtout hors du territoire "
                  "(moins de 50 % de sa population dans le territoire)."),
    ("bv2022", 1, "Hors zone principale, 12 % de la population vit dans 1 bassin de vie situé surtout hors du territoire "
                  "(moins de 50 % de sa population dans le territoire)."),
    ("bv2022", 2, "Hors zone principale, 12 % de la population vit dans 2 bassins de vie situés surtout hors du territoire "
                  "(chacun avec moins de 50 % de sa population dans le territoire)."),
    ("ze2020", 0, "Hors zone principale, aucun habitant ne vit dans une zone d'emploi située surtout hors du territoire "
                  "(moins de 50 % de sa population dans le territoire)."),
    ("ze2020", 3, "Hors zone principale, 12 % de la population vit dans 3 zones d'emploi situées surtout hors du territoire "
                  "(chacune avec moins de 50 % de sa population dans le territoire)."),
])
def test_the_outside_caption_agrees_with_the_number_of_zones(zoning, n, expected):
    assert outside_sentence(0.123, n, ZONINGS[zoning], 0.5) == expected
