"""Hostile links: overlong or repeated parameters, a project and a territory in one link; the shape store's quota."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from ptce_geo import shape_store
from ptce_geo.errors import GeometryError
from ptce_geo.project import Project, project_path, save_project
from ui.state import MAX_PARAM_CHARS, Selection, encode_rings, link_conflict, parse_query

ROOT = Path(__file__).resolve().parent.parent
DOMBES, BOURG = "200069193", "200071751"


def _square(x: float) -> tuple:
    return ((x, 46.0), (x + 0.01, 46.0), (x + 0.01, 46.01), (x, 46.01))


# --- parameters ------------------------------------------------------------------------------------

def test_a_one_megabyte_polygon_is_refused_with_a_message():
    ring = _square(5.0)
    sel, warnings = parse_query({"polygone": encode_rings((ring,)) + ";5.00000,46.00000" * 60_000})
    assert sel.drawings == () and any("« polygone » ignoré" in w and "caractères" in w for w in warnings)


def test_parameter_length_boundary():
    base = encode_rings((_square(5.0),))
    pad = lambda n: base + ";" * (n - len(base))  # noqa: E731 — empty pairs are skipped by the decoder
    sel, warnings = parse_query({"polygone": pad(MAX_PARAM_CHARS)})
    assert len(sel.drawings) == 1 and not warnings
    sel, warnings = parse_query({"polygone": pad(MAX_PARAM_CHARS + 1)})
    assert sel.drawings == () and len(warnings) == 1


def test_repeated_list_parameters_are_all_read():
    sel, warnings = parse_query({"epci": [DOMBES, BOURG]})
    assert sel.epci == (DOMBES, BOURG) and not warnings


@pytest.mark.parametrize("key, values", [("seuil", ["30", "80"]), ("polygone", [encode_rings((_square(5.0),)), encode_rings((_square(6.0),))])])
def test_repeated_single_parameters_with_different_values_are_refused(key, values):
    sel, warnings = parse_query({key: values}, Selection(min_share=0.4))
    assert sel == Selection(min_share=0.4) and any("répété" in w for w in warnings)


def test_a_repeated_identical_value_is_read():
    sel, warnings = parse_query({"seuil": ["30", "30"]})
    assert sel.min_share == pytest.approx(0.3) and not warnings


def test_a_link_with_a_project_and_a_territory_says_the_project_wins():
    assert link_conflict({"projet": "Val"}) is None and link_conflict({"epci": DOMBES}) is None
    text = link_conflict({"projet": "Val", "epci": DOMBES, "seuil": "30"})
    assert "« Val » est ouvert" in text and "« epci »" in text and "« seuil »" in text


@pytest.fixture
def app_folder(projects_folder) -> Path:
    return projects_folder


def test_in_the_app_the_project_of_the_link_wins_and_says_so(app_folder):
    p = Project("Val")
    p.territories = {"Noyau": {"version": 1, "epci": [DOMBES], "communes": [], "exclude": [], "polygon": None, "min_share": 0.5}}
    p.outlines = {"Noyau": shapely.box(4.9, 45.9, 5.1, 46.1)}
    p.active = "Noyau"
    save_project(p, project_path(app_folder, "Val"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/2_Diagnostic.py")
    at.query_params["projet"] = "Val"
    at.query_params["epci"] = BOURG
    at.run()
    assert not at.exception
    assert any("projet « Val » est ouvert" in str(i.value) for i in at.info)
    assert at.query_params["epci"] in (DOMBES, [DOMBES])


# --- the shape store ---------------------------------------------------------------------------------

def _id(n: int) -> str:
    return f"{n:020x}"


def test_store_and_load_round_trip(tmp_path):
    shape_store.store(tmp_path, _id(1), '{"type": "dessin", "polygone": "x"}')
    assert shape_store.load(tmp_path, _id(1)) == {"type": "dessin", "polygone": "x"}
    with pytest.raises(GeometryError, match="introuvable"):
        shape_store.load(tmp_path, _id(2))
    with pytest.raises(GeometryError, match="hexadécimaux"):
        shape_store.load(tmp_path, "../../etc/passwd")


def test_count_quota_evicts_the_least_recently_used(tmp_path, monkeypatch):
    monkeypatch.setattr(shape_store, "MAX_SHAPES", 3)
    now = time.time()
    for n in range(3):
        shape_store.store(tmp_path, _id(n), "{}")
        os.utime(tmp_path / f"{_id(n)}.json", (now - 1000 + n, now - 1000 + n))
    assert shape_store.usage(tmp_path) == (3, 6)  # at the quota: nothing evicted yet
    shape_store.load(tmp_path, _id(0))  # 0 is used again: 1 is now the oldest
    assert shape_store.store(tmp_path, _id(9), "{}") == [_id(1)]
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == [_id(0), _id(2), _id(9)]
    with pytest.raises(GeometryError, match="retirée pour faire de la place"):
        shape_store.load(tmp_path, _id(1))


def test_byte_quota_boundary(tmp_path, monkeypatch):
    monkeypatch.setattr(shape_store, "MAX_TOTAL_BYTES", 100)
    shape_store.store(tmp_path, _id(1), "a" * 50)
    os.utime(tmp_path / f"{_id(1)}.json", (time.time() - 100,) * 2)
    assert shape_store.store(tmp_path, _id(2), "b" * 50) == []  # exactly 100 bytes: kept
    assert shape_store.store(tmp_path, _id(3), "c") == [_id(1)]  # 101: the oldest goes
    assert shape_store.usage(tmp_path) == (2, 51)


def test_a_shape_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(shape_store, "MAX_SHAPE_BYTES", 10)
    shape_store.store(tmp_path, _id(1), "a" * 10)
    with pytest.raises(GeometryError, match="trop volumineuse"):
        shape_store.store(tmp_path, _id(2), "a" * 11)
    assert shape_store.usage(tmp_path) == (1, 10)


def test_many_distinct_links_never_exceed_the_quota(tmp_path, monkeypatch):
    monkeypatch.setattr(shape_store, "MAX_SHAPES", 20)
    for n in range(200):
        shape_store.store(tmp_path, _id(n), "{}")
    assert shape_store.usage(tmp_path)[0] == 20


def test_stale_temporary_files_are_removed_on_the_next_store(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    old, young = tmp_path / ".a.json.x.tmp", tmp_path / ".b.json.y.tmp"
    now = time.time()
    for path, age in ((old, shape_store.STALE_TEMP_S + 60), (young, shape_store.STALE_TEMP_S - 60)):
        path.write_text("x")
        os.utime(path, (now - age, now - age))
    shape_store.store(tmp_path, _id(1), "{}")
    assert not old.exists() and young.exists()


def test_a_garbage_stored_shape_is_a_french_error(tmp_path):
    (tmp_path / f"{_id(1)}.json").write_text("[" * 100_000)
    with pytest.raises(GeometryError, match="illisible"):
        shape_store.load(tmp_path, _id(1))


@pytest.mark.parametrize("page", ["app_pages/1_Territoire.py", "app_pages/2_Diagnostic.py", "app_pages/3_Export.py", "app_pages/4_Acteurs.py"])
def test_a_broken_project_link_is_refused_on_the_page_it_opens(app_folder, page):
    app_folder.mkdir(parents=True)
    (app_folder / "x.gpkg").write_bytes(os.urandom(4096))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    at.query_params["projet"] = "x"
    at.run()
    assert not at.exception

    def refusals() -> list[str]:
        return [e.value for e in at.error if "x.gpkg : ce n'est pas un fichier GeoPackage de projet" in e.value]

    assert len(refusals()) == 1, [e.value for e in at.error]  # said once, not twice (Acteurs shows project notes too)
    assert "projet" not in at.query_params
    at.run()  # e.g. the map component's first message: the refusal is still there
    assert len(refusals()) == 1


def test_a_broken_project_link_with_a_territory_is_refused_and_the_territory_kept(app_folder):
    app_folder.mkdir(parents=True)
    (app_folder / "x.gpkg").write_bytes(os.urandom(4096))
    at = AppTest.from_file(str(ROOT / "app_pages" / "1_Territoire.py"), default_timeout=120)
    at.query_params["projet"] = "x"
    at.query_params["epci"] = DOMBES
    at.run()
    assert not at.exception and at.session_state["selection"].epci == (DOMBES,)
    assert any("x.gpkg : ce n'est pas un fichier GeoPackage de projet" in e.value for e in at.error)
