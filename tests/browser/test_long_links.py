"""A link too long for Streamlit (a 1 MB ``polygone=``) opens the page with a French message, not a browser error."""

from __future__ import annotations

import pytest

from ptce_geo.fr_format import fr_int
from tests.browser.helpers import LONG, settle, shot
from ui.state import encode_rings

pytestmark = pytest.mark.browser

ONE_MB_POLYGON = encode_rings((((5.0, 46.0), (5.01, 46.0), (5.01, 46.01), (5.0, 46.01)),)) + ";5.00000,46.00000" * 60_000


def test_a_one_megabyte_polygon_link_gets_a_french_message(page, server):
    query = f"polygone={ONE_MB_POLYGON}"
    assert len(query) > 1_000_000
    page.goto(f"{server['url']}/Territoire?{query}")
    message = page.get_by_test_id("stAlert").filter(has_text="Lien trop long")
    message.wait_for(timeout=LONG)
    assert f"{fr_int(len(query))} caractères" in message.inner_text()
    settle(page)
    page.get_by_text("Aucun EPCI sélectionné").first.wait_for()  # the page is usable: an empty territory
    assert page.url == f"{server['url']}/Territoire"  # the app rewrote the link to what it holds: nothing
    shot(page, "long_link")
    assert page.failed == [] and page.external == []
