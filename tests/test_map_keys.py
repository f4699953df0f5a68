"""Map keys written in the page (not over the map) and marker shapes that carry meaning without colour.

The browser side (keys under the maps, shapes drawn, nothing over metropolitan France) is in
tests/browser/test_map_keys.py.
"""

from __future__ import annotations

import math
import re
from urllib.parse import unquote

import pandas as pd
import shapely

from ptce_geo import map_keys
from ptce_geo.collective.actor_schema import KINDS
from ptce_geo.collective.actors import INVOLVEMENT_COLOURS, KIND_COLOURS
from ptce_geo.collective.actors_map import actor_legend_html, marker_rows
from ptce_geo.ess_map import FAMILY_COLOURS
from ptce_geo.map_symbols import FAMILY_SHAPES, KIND_SHAPES, SHAPES, UNKNOWN_SHAPE, shape_of
from ptce_geo.sources.sirene import FAMILIES


def test_every_shape_is_a_distinct_valid_polygon_inside_the_marker_radius():
    polygons = {name: shapely.Polygon(vertices) for name, vertices in SHAPES.items() if vertices is not None}
    assert all(p.is_valid and p.area > 0.8 for p in polygons.values())  # big enough to be told apart at 7 px
    assert max(math.hypot(x, y) for v in SHAPES.values() if v for x, y in v) <= 1.001  # inside the marker's redraw box
    names = list(polygons)
    assert all(not polygons[a].equals(polygons[b]) for i, a in enumerate(names) for b in names[i + 1:])
    assert SHAPES["circle"] is None  # Leaflet's own circle


def test_every_kind_and_family_has_a_shape_and_unknowns_a_cross():
    assert set(KIND_SHAPES) == set(KINDS) and set(KIND_SHAPES.values()) <= set(SHAPES)
    assert len(set(FAMILY_SHAPES.values())) == len(FAMILY_SHAPES)  # the families all differ by shape
    assert set(FAMILY_SHAPES) == set(FAMILIES) == set(FAMILY_COLOURS)  # every family Sirene may give has both
    assert shape_of("SCOP", KIND_SHAPES) == "square" and shape_of("ovni", KIND_SHAPES) == UNKNOWN_SHAPE == "cross"
    assert shape_of(None, KIND_SHAPES) == shape_of(float("nan"), KIND_SHAPES) == "cross"


def test_marker_rows_carry_the_shape_of_the_type_whatever_the_colour():
    actors = pd.DataFrame({"nom": ["A", "B", "C"], "type_structure": ["association", "SCOP", None],
                           "implication": ["noyau dur", None, "groupe projet"],
                           "latitude": [48.0, 48.1, 48.2], "longitude": [2.0, 2.1, 2.2]})
    for colour_by in ("implication", "type_structure"):
        assert [r[6] for r in marker_rows(actors, colour_by)] == ["circle", "square", "cross"]
    assert [r[2] for r in marker_rows(actors, "implication")] == [INVOLVEMENT_COLOURS["noyau dur"], "#bdbdbd",
                                                                  INVOLVEMENT_COLOURS["groupe projet"]]


def test_actor_key_by_type_shows_shape_and_colour_of_each_type():
    key = unquote(actor_legend_html("type_structure"))
    entries = re.findall(r"<li.*?</li>", key)
    assert len(entries) == len(KINDS) + 1  # and « non renseigné »
    scop = next(e for e in entries if "SCOP (carré)" in e)
    assert f'fill="{KIND_COLOURS["SCOP"]}"' in scop and "<polygon" in scop
    association = next(e for e in entries if "association (cercle)" in e)
    assert "<circle" in association and "non renseigné (croix)" in key
    assert 'alt=""' in scop  # the label, not the drawing, is read aloud


def test_actor_key_by_involvement_gives_colours_then_type_shapes():
    key = unquote(actor_legend_html("implication"))
    assert key.count('class="ptce-key"') == 2
    colours, shapes = key.split('class="ptce-key"')[1:]
    assert all(level in colours for level in INVOLVEMENT_COLOURS) and "<polygon" not in colours
    assert "SCIC, SCOP, autre coopérative (carré)" in shapes and "autre, non renseigné (croix)" in shapes
    assert shapes.count("<li") == len(set(KIND_SHAPES.values()))


def test_key_escapes_text_and_is_a_labelled_list():
    key = map_keys.key_html('Titre "<b>"', [(map_keys.fill_swatch("#fff"), "<img src=x onerror=alert(1)>")], "note & <i>")
    assert "<img src=x" not in key and "<i>" not in key
    assert "&lt;img src=x onerror=alert(1)&gt;" in key and "note &amp; &lt;i&gt;" in key
    assert 'role="group" aria-label="Légende : Titre &quot;&lt;b&gt;&quot;"' in key and "<ul" in key and key.count("<li") == 1


def test_shape_swatch_draws_the_map_vertices():
    swatch = map_keys.shape_swatch("diamond", "#123456", size=20)
    assert swatch.startswith('<img src="data:image/svg+xml,') and "#" not in swatch.split('"')[1]  # « # » would end the URL
    swatch = unquote(swatch)
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', swatch).group(1).split()]
    assert points == [(10 + x * 8.5, 10 + y * 8.5) for x, y in SHAPES["diamond"]]
    assert 'fill="#123456"' in swatch
