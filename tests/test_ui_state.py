"""URL and session state of the territory selection (pure parts, no browser)."""

import json

import shapely

from ui.maps import handle_map_value
from ui.state import MAX_URL_VERTICES, Selection, decode_rings, encode_rings, parse_query, rings_from_features

EPCI = {"200054781", "243300316"}
COMMUNES = {"75056", "33063", "2A004"}
SQUARE = ((2.0, 48.0), (2.5, 48.0), (2.5, 48.5), (2.0, 48.5))


def test_url_round_trip_restores_the_selection():
    sel = Selection(epci=("200054781", "243300316"), communes=("2A004",), excluded=("75056",), min_share=0.3, drawings=(SQUARE,))
    back, warnings = parse_query(sel.to_query(), None, EPCI, COMMUNES)
    assert warnings == [] and back == sel


def test_default_threshold_and_empty_lists_stay_out_of_the_url():
    assert Selection(epci=("200054781",)).to_query() == {"epci": "200054781"}
    assert Selection().to_query() == {}


def test_garbage_parameters_warn_in_french_and_keep_the_state():
    current = Selection(epci=("200054781",), min_share=0.3, drawings=(SQUARE,))
    params = {"epci": "pas-un-siren", "seuil": "beaucoup", "polygone": "n'importe quoi", "zoom": "12"}
    sel, warnings = parse_query(params, current, EPCI, COMMUNES)
    assert sel == current
    text = " ".join(warnings)
    assert "SIREN d'EPCI invalide : « pas-un-siren »" in text
    assert "« seuil » ignoré" in text and "« polygone » ignoré" in text and "inconnu ignoré : « zoom »" in text


def test_lists_keep_their_valid_codes_and_name_the_others():
    sel, warnings = parse_query({"epci": "200054781,999999999,75056", "communes": "2a004;1001"}, None, EPCI, COMMUNES)
    assert sel.epci == ("200054781",) and sel.communes == ("2A004",)
    text = " ".join(warnings)
    assert "999999999" in text and "ressemble à un code commune" in text and "01001" in text


def test_threshold_accepts_percent_forms_and_refuses_out_of_range():
    assert parse_query({"seuil": "25,5%"})[0].min_share == 0.255
    sel, warnings = parse_query({"seuil": "150"}, Selection(min_share=0.4))
    assert sel.min_share == 0.4 and warnings


def test_rings_encode_decode_and_reject_bad_polygons():
    assert decode_rings(encode_rings((SQUARE, SQUARE))) == (SQUARE, SQUARE)
    for bad in ("2,48;3,48", "2,48;3,48;200,48", "a,b;c,d;e,f"):
        try:
            decode_rings(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_a_very_detailed_drawing_or_an_imported_contour_go_to_the_url_by_id():
    ring = tuple((round(2 + i / 1000, 5), 48 + (i % 2) / 1000) for i in range(MAX_URL_VERTICES + 1))
    upload = shapely.to_geojson(shapely.Polygon(SQUARE))
    sel = Selection(drawings=(ring,), upload=upload, upload_name="périmètre.geojson")
    query = sel.to_query()
    assert "polygone" not in query and len(query["dessin"]) == 20 and len(query["fichier"]) == 20
    store = {(kind, shape_id): json.loads(text) for kind, shape_id, text in sel.stored_shapes()}
    back, warnings = parse_query(query, None, EPCI, COMMUNES, load=lambda kind, shape_id: store[(kind, shape_id)])
    assert warnings == [] and back == sel


def test_unknown_or_malformed_shape_ids_warn_and_keep_the_state(tmp_path, monkeypatch):
    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(tmp_path))
    current = Selection(drawings=(SQUARE,))
    sel, warnings = parse_query({"dessin": "0" * 20, "fichier": "../../etc/passwd"}, current, EPCI, COMMUNES)
    assert sel == current
    text = " ".join(warnings)
    assert "« dessin » ignoré : forme introuvable sur ce serveur" in text and "« fichier » ignoré : identifiant attendu" in text


def test_a_zero_threshold_is_refused():
    sel, warnings = parse_query({"seuil": "0"}, Selection(min_share=0.4))
    assert sel.min_share == 0.4 and "entre 0 (exclu) et 100" in warnings[0]


def test_drawings_from_leaflet_draw_and_their_union():
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[*map(list, SQUARE), list(SQUARE[0])]]}}
    marker = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2, 48]}}
    rings = rings_from_features([feature, marker, None])
    assert rings == (SQUARE,)
    bowtie = ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0))  # self-intersecting: repaired, not refused
    poly = Selection(drawings=(SQUARE, bowtie)).polygon
    assert poly.is_valid and isinstance(poly, shapely.MultiPolygon)


def event(count, clicked=None, drawings=()):
    """A value of the map (ui/leaflet_map.js): its event count, the EPCI clicked (None for a drawing), the drawn shapes."""
    return {"count": count, "clicked": clicked, "drawings": list(drawings)}


FEATURE = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [list(map(list, SQUARE))]}}


def test_map_click_toggles_an_epci_once_per_click():
    memo, sel = {}, Selection()
    assert handle_map_value(None, memo, sel, EPCI) == sel  # before any event
    sel = handle_map_value(event(1, "200054781"), memo, sel, EPCI)
    assert sel.epci == ("200054781",)
    assert handle_map_value(event(1, "200054781"), memo, sel, EPCI) == sel  # the same value again (a rerun): nothing new
    sel = handle_map_value(event(2, "200054781"), memo, sel, EPCI)
    assert sel.epci == ()


def test_a_drawing_is_never_taken_for_a_click_on_the_previous_epci():
    memo, sel = {}, Selection()
    sel = handle_map_value(event(1, "200054781"), memo, sel, EPCI)
    sel = handle_map_value(event(2, None, [FEATURE]), memo, sel, EPCI)
    assert sel.epci == ("200054781",) and sel.drawings == (SQUARE,)
    sel = handle_map_value(event(3), memo, sel, EPCI)  # "Tout effacer"
    assert sel.drawings == () and sel.epci == ("200054781",)


def test_saving_an_unchanged_drawing_changes_nothing():
    """« Modifier le dessin » then « Enregistrer » with nothing moved: one more event, the same shapes, no EPCI."""
    memo, sel = {}, Selection()
    sel = handle_map_value(event(1, "200054781"), memo, sel, EPCI)
    sel = handle_map_value(event(2, None, [FEATURE]), memo, sel, EPCI)
    assert handle_map_value(event(3, None, [FEATURE]), memo, sel, EPCI) == sel  # draw:edited, nothing changed
    assert handle_map_value(event(4, "200054781", [FEATURE]), memo, sel, EPCI).epci == ()  # a real click on it again


def test_shapes_drawn_on_a_new_map_add_to_those_it_was_mounted_with():
    other = tuple((x + 1, y) for x, y in SQUARE)
    memo = {"base": (SQUARE,)}  # a reload or a remount: the first drawing is shown, not editable
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [list(map(list, other))]}}
    sel = handle_map_value(event(1, None, [feature]), memo, Selection(drawings=(SQUARE,)), EPCI)
    assert sel.drawings == (SQUARE, other)
    assert handle_map_value(event(2), memo, sel, EPCI).drawings == (SQUARE,)


def test_unknown_codes_are_ignored():
    assert handle_map_value(event(1, "123456789"), {}, Selection(), EPCI) == Selection()


def test_a_drawing_handled_before_the_first_run_ended_counts_once():
    """A new session's first map is sent before its run remembers it (ui.first_map): a drawing made meanwhile is handled
    first, and must not come back doubled (or eat the next click) when the run then remembers the map."""
    import streamlit as st

    from ui import maps

    memo = st.session_state.setdefault(maps._MEMO, {})
    memo.clear()
    try:
        sel = handle_map_value(event(1, None, [FEATURE]), memo, Selection(), EPCI)
        maps._remember_mount("carte", sel)  # the first run ends
        sel = handle_map_value(event(2, "200054781", [FEATURE]), memo, sel, EPCI)
        assert sel.drawings == (SQUARE,) and sel.epci == ("200054781",)
        maps._remember_mount("autre-carte", sel)  # a new map (another background): it starts afresh with its drawings
        assert memo == {"key": "autre-carte", "base": (SQUARE,)}
    finally:
        st.session_state.pop(maps._MEMO, None)
