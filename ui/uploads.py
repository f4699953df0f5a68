"""File uploaders without Streamlit's English limit line, and with too-large files refused in French.

Streamlit writes its own limit and types in English under the button (« 200MB per file • CSV »), and no parameter
translates it: it is hidden, each label saying them in French. Streamlit also refuses a file above ``max_upload_size``
with its own English error; it is given ``hard_limit(limit_mb)``, above the page's own limit, so that a file a little
too large reaches the page, which refuses it in French with its size.

The button's « Upload » stays: drawn over in French with CSS, it lost its accessible name for axe-core (« button-name »,
critical), which does not read generated content. Also English, and Streamlit's: a chosen file's size (« 2.7MB »), its
« Remove … » button for screen readers, and « Drag and drop a file here » while a file is dragged over the box.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["HARD_MIN_MB", "hard_limit", "file_uploader"]

HARD_MIN_MB = 50  # Streamlit's own limit is at least this, and twice the page's (the memory one upload may hold)
_CSS = '<style>[data-testid="stFileUploaderDropzoneInstructions"]{display:none}</style>'


def hard_limit(limit_mb: int) -> int:
    """Streamlit's limit for an uploader whose page refuses files over ``limit_mb``: a contour of 5 MB, an inventory of
    20 MB -> 50 MB; a project of 50 MB -> 100 MB."""
    return max(HARD_MIN_MB, 2 * limit_mb)


def file_uploader(label: str, key: str, limit_mb: int, **kwargs: Any) -> Any:
    """``st.file_uploader`` without the English limit line; files up to ``hard_limit(limit_mb)`` reach the page, which
    refuses those over ``limit_mb`` in French (``label`` states that limit)."""
    st.html(_CSS)
    return st.file_uploader(label, key=key, max_upload_size=hard_limit(limit_mb), **kwargs)
