"""A new session's first map (ui.first_map): saved by the page that built it, sent by the next new session before the
page's heavy imports, never for a link or a later run; a damaged file is ignored. Timed in bench/bench_map_browser.py."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ptce_geo.cache import read_manifest
from ui import first_map

ROOT = Path(__file__).resolve().parent.parent
TERRITOIRE = str(ROOT / "app_pages" / "1_Territoire.py")


@pytest.fixture
def saved_folder(app_data):
    """The embedded cache's folder of saved first maps, emptied before and after."""
    folder = app_data / "epci" / read_manifest(app_data)["generation"]
    for path in folder.glob("first_map-*.json"):
        path.unlink()
    yield folder
    for path in folder.glob("first_map-*.json"):
        path.unlink()


def _map_data(at: AppTest) -> dict:
    """The map's data, sent as JSON bytes (``ui.leaflet_map.show``: given a dict, Streamlit imports pandas to look for
    dataframes in it, 0.7 s on the way to the first map)."""
    (element,) = at.get("bidi_component")
    assert not element.proto.json
    return json.loads(element.proto.bytes)


def _run(**params) -> AppTest:
    at = AppTest.from_file(TERRITOIRE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_first_map_is_saved_then_sent_to_the_next_new_session_only(saved_folder):
    built = _run()
    assert not built.exception
    (path,) = saved_folder.glob("first_map-*.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["data"] == _map_data(built) and saved["key"].startswith("carte_epci_") and "Densité de population" in saved["keys"]
    assert saved["data"]["height"] == 560
    saved["data"]["height"] = 561  # marks what comes from the file
    path.write_text(json.dumps(saved), encoding="utf-8")

    fresh = _run()
    assert not fresh.exception and _map_data(fresh)["height"] == 561  # sent from the file, not built again
    assert "Densité de population" in "".join(e.proto.body for e in fresh.get("html"))  # the key under it too
    assert _map_data(fresh.run())["height"] == 560  # the session's next run builds its map (same key: the same map)
    assert _map_data(_run(epci="248000531"))["height"] == 560  # a link's first run builds its own


def test_a_damaged_file_is_ignored(saved_folder):
    _run()
    (path,) = saved_folder.glob("first_map-*.json")
    path.write_text('{"key": "carte_epci_x", "da', encoding="utf-8")
    at = _run()
    assert not at.exception and _map_data(at)["height"] == 560


def test_the_file_changes_with_the_code_and_the_outlines(saved_folder, monkeypatch):
    here = first_map._path("/app/static/layers/epci-a.json")
    assert here.parent == saved_folder and here != first_map._path("/app/static/layers/epci-b.json")
    monkeypatch.setattr(first_map, "_code_version", lambda: "autre-version")
    assert first_map._path("/app/static/layers/epci-a.json") != here
    assert first_map._path(None) is None




def _url_path(page: str) -> None:
    import streamlit as st

    st.session_state["url_path"] = st.Page(page).url_path


def test_the_app_leaves_the_data_stack_to_the_territoire_page():
    """app.py loads the data stack before every page but the Territoire page, which sends a new session's map first: it
    knows that page by the URL path Streamlit gives it."""
    at = AppTest.from_function(_url_path, args=(TERRITOIRE,)).run()
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert f'TERRITOIRE = "{at.session_state["url_path"]}"' in app and "page.url_path != TERRITOIRE" in app
