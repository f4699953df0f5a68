"""The longest link Streamlit reads, and the parameter that reports a longer one: standard library only, so that the
server (``ui.serve``) can check links without importing the app's data stack before it starts listening."""

from __future__ import annotations

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_FIELDS", "LINK_TOO_LONG_PARAM", "query_too_long"]

# Streamlit drops, silently, a whole query string longer than this or with more parameters
# (streamlit.runtime.state.query_params): ui/serve.py sends such a link to its page with ?lien_trop_long=<chars>,<params>
MAX_QUERY_CHARS = 512 * 1024
MAX_QUERY_FIELDS = 1000
LINK_TOO_LONG_PARAM = "lien_trop_long"


def query_too_long(query: str) -> bool:
    """True for a query string (without « ? ») that Streamlit would drop without a word."""
    return len(query) > MAX_QUERY_CHARS or query.count("&") + 1 > MAX_QUERY_FIELDS
