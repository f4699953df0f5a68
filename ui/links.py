"""What a link carries besides the territory: the longest link Streamlit reads, the parameter that reports a longer one,
and the Diagnostic page's section. Standard library only, so that the server (``ui.serve``) can check links without
importing the app's data stack before it starts listening."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_FIELDS", "LINK_TOO_LONG_PARAM", "SECTION_PARAM", "query_too_long", "section_slug"]

# Streamlit drops, silently, a whole query string longer than this or with more parameters
# (streamlit.runtime.state.query_params): ui/serve.py sends such a link to its page with ?lien_trop_long=<chars>,<params>
MAX_QUERY_CHARS = 512 * 1024
MAX_QUERY_FIELDS = 1000
LINK_TOO_LONG_PARAM = "lien_trop_long"
SECTION_PARAM = "rubrique"  # the Diagnostic page's section, so that a link or a reload opens it (« EPCI et disparités »: epci-et-disparites)


def query_too_long(query: str) -> bool:
    """True for a query string (without « ? ») that Streamlit would drop without a word."""
    return len(query) > MAX_QUERY_CHARS or query.count("&") + 1 > MAX_QUERY_FIELDS


def section_slug(title: str) -> str:
    """A section's title as written in a link: lower case, no accents, words joined by « - » (« Rural / urbain »:
    rural-urbain)."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
