"""Long links reach the app: ``python -m ui.serve`` started for real, spoken to over HTTP on 127.0.0.1.

``streamlit run`` closes the connection on a request head over 16 KiB (h11's default), and Streamlit drops a query
string over 512 Ki characters or 1,000 parameters without a word: the launcher raises the first limit to 2 MiB and
sends the second kind of link to its page with ``?lien_trop_long=…``, which the page reports in French.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.runtime.state import query_params as streamlit_query_params
from streamlit.web.server.starlette import starlette_server

from ptce_geo.fr_format import fr_int
from tests.browser.helpers import running_server
from ui.first_map import PAINTED_PATH
from ui.links import LINK_TOO_LONG_PARAM, MAX_QUERY_CHARS, MAX_QUERY_FIELDS, query_too_long
from ui.serve import MAX_REQUEST_HEAD, uvicorn_options
from ui.state import encode_rings, parse_query

ROOT = Path(__file__).resolve().parent.parent
ONE_MB_POLYGON = encode_rings((((5.0, 46.0), (5.01, 46.0), (5.01, 46.01), (5.0, 46.01)),)) + ";5.00000,46.00000" * 60_000


# --- what Streamlit and uvicorn do, pinned: these fail when the libraries change ---------------------------------

def test_the_limits_are_streamlits_own():
    """Streamlit's query limits live in an internal module: if they move or change, the redirect must follow."""
    assert MAX_QUERY_CHARS == streamlit_query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH
    assert MAX_QUERY_FIELDS == streamlit_query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS


def test_the_server_options_are_streamlit_runs_plus_the_long_head():
    """Every uvicorn option ``streamlit run`` sets (its private helper) is set alike; only the parser and its limit differ."""
    ours = uvicorn_options()
    assert (ours.pop("http"), ours.pop("h11_max_incomplete_event_size")) == ("h11", MAX_REQUEST_HEAD)
    assert ours == starlette_server._get_uvicorn_config_kwargs()


# --- the rules, at their boundaries -------------------------------------------------------------------------------

def test_the_server_starts_listening_before_the_data_stack_is_imported():
    """The app's data stack (pandas, geopandas, folium, ~1 s here) is imported by ``prepare`` once the server listens,
    while the browser loads Streamlit's page, not before the server answers."""
    code = "import sys, ui.serve; print(sorted({'pandas', 'geopandas', 'shapely', 'folium', 'ui.state'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("query", "too_long"), [
    ("a" * MAX_QUERY_CHARS, False),
    ("a" * (MAX_QUERY_CHARS + 1), True),
    ("&".join(["a=1"] * MAX_QUERY_FIELDS), False),
    ("&".join(["a=1"] * (MAX_QUERY_FIELDS + 1)), True),
    ("", False),
])
def test_query_too_long_at_its_boundaries(query, too_long):
    assert query_too_long(query) is too_long


def test_the_page_reports_a_cut_link_in_french():
    sel, warnings = parse_query({LINK_TOO_LONG_PARAM: "1020076,1"})
    assert sel.drawings == () and len(warnings) == 1
    assert warnings[0].startswith("Lien trop long") and f"{fr_int(1_020_076)} caractères et 1 paramètre," in warnings[0]
    for typed in ("<script>", "²,1", "9" * 5000 + ",1", "1020076"):  # typed by hand: no number read, nothing echoed
        _, warnings = parse_query({LINK_TOO_LONG_PARAM: typed})
        assert len(warnings) == 1 and "au-delà des limites" in warnings[0] and typed not in warnings[0]


# --- the real server ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    with running_server(root / "data", root / "projets", log_name="serve_http.log") as (url, _):
        yield url


def _get(url: str, target: str) -> tuple[int, str | None]:
    """(status, Location) of a GET; status 0 when the server closed the connection without an answer."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("location")
    except ConnectionError:
        return 0, None
    finally:
        conn.close()


def test_a_query_streamlit_keeps_reaches_the_page(app_url):
    query = "polygone=" + ";" * (MAX_QUERY_CHARS - len("polygone="))
    assert _get(app_url, f"/Territoire?{query}") == (200, None)  # 512 Ki characters: over h11's 16 KiB default
    assert _get(app_url, "/Territoire?" + "&".join(["a=1"] * MAX_QUERY_FIELDS)) == (200, None)


def test_a_query_streamlit_would_drop_is_sent_back_to_its_page(app_url):
    query = "polygone=" + ";" * (MAX_QUERY_CHARS + 1 - len("polygone="))
    assert _get(app_url, f"/Territoire?{query}") == (303, f"/Territoire?{LINK_TOO_LONG_PARAM}={MAX_QUERY_CHARS + 1},1")
    fields = "&".join(["a=1"] * (MAX_QUERY_FIELDS + 1))
    assert _get(app_url, f"/?{fields}") == (303, f"/?{LINK_TOO_LONG_PARAM}={len(fields)},{MAX_QUERY_FIELDS + 1}")


def test_a_one_megabyte_polygon_link_is_sent_back_to_its_page(app_url):
    query = f"polygone={ONE_MB_POLYGON}"
    assert len(query) > 1_000_000
    assert _get(app_url, f"/Territoire?{query}") == (303, f"/Territoire?{LINK_TOO_LONG_PARAM}={len(query)},1")


def test_the_request_head_is_capped(app_url):
    """Up to Chromium's 2 MB the request is read; beyond, refused. h11 checks its limit between reads of up to 256 KiB,
    so the cut lies between 2 MiB and 2 MiB + 256 KiB (2,359,296): the values tested stay clear of that band."""
    assert MAX_REQUEST_HEAD == 2 * 1024 * 1024
    assert _get(app_url, "/Territoire?polygone=" + "5" * 2_000_000)[0] == 303
    assert _get(app_url, "/Territoire?polygone=" + "5" * 2_500_000)[0] in (0, 400)
    assert _get(app_url, "/_stcore/health") == (200, None)  # and the server still answers


def test_the_first_maps_signal_is_answered_and_only_at_its_path(app_url):
    """The first map says when it is drawn (ui.first_map.PAINTED_PATH): the launcher answers it, with nothing; a
    neighbouring path is Streamlit's, as before."""
    assert _get(app_url, PAINTED_PATH) == (204, None)
    assert _get(app_url, PAINTED_PATH + "x")[0] != 204
