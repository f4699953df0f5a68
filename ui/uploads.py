"""File uploaders with French words: Streamlit writes its own English around ``st.file_uploader``, and no parameter
translates it.

- The button's « Upload » reads « Choisir un fichier »: the English word is hidden (``display: none`` also takes it out
  of the accessible name) and the French one drawn in its place, which screen readers read as the button's name.
- The English limit and types under the button (« 200MB per file • CSV ») are hidden: each label says them in French.
- Streamlit refuses a file above ``max_upload_size`` with its own English error. It is given ``hard_mb``, above the app's
  own limit, so that a file a little too large reaches the page, which refuses it in French with its size.

What remains English is only shown once a file is chosen (its size « 2.7MB », « Remove … » for screen readers) or
while a file is dragged over the box (« Drag and drop a file here »).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["BUTTON_TEXT", "file_uploader"]

BUTTON_TEXT = "Choisir un fichier"
_BUTTON = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
_CSS = ('<style>[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
        f'{_BUTTON} p{{display:none}}{_BUTTON}::after{{content:"{BUTTON_TEXT}";font-size:14px}}</style>')


def file_uploader(label: str, key: str, hard_mb: int, **kwargs: Any) -> Any:
    """``st.file_uploader`` with the French button and no English limit; files up to ``hard_mb`` reach the page, which
    checks its own, lower limit (``label`` states it)."""
    st.html(_CSS)
    return st.file_uploader(label, key=key, max_upload_size=hard_mb, **kwargs)
