"""The Acteurs page's hold on the session's inventory: store an edited inventory, clear it, say how long it lives.

The inventory itself is owned by ``ui.state`` (with the open project and its territory); its rules
(import, revalidation after an edit, rebuilding from a project) live in ``ptce_geo.collective.editing``.
This module only adds what the page's widgets need: the table editor's key follows the inventory's
revision, so a new table drops the edits pending in the previous editor.
"""

from __future__ import annotations

import streamlit as st

from ptce_geo.collective.editing import EditableInventory
from ui import project, state
from ui.project import md

__all__ = ["EDITOR_PREFIX", "MAX_UPLOAD_MB", "md", "stored", "store", "clear"]

EDITOR_PREFIX = "act_editeur_"  # + revision: the key of the table editor
MAX_UPLOAD_MB = 20  # ~250,000 rows of a typical inventory; the page says so next to the uploader


def stored() -> EditableInventory | None:
    """This session's inventory (the open project's actors once it is opened), ``None`` before any."""
    return state.inventory()


def store(editable: EditableInventory) -> None:
    """Keep ``editable`` as the session's inventory.

    A new table drops the edits pending in any table editor: they were made on the previous table
    (an import starts again at revision 0, and the editor's key follows the revision).
    """
    old = state.inventory()
    if old is None or old.table is not editable.table:
        for key in [k for k in st.session_state if str(k).startswith(EDITOR_PREFIX)]:
            del st.session_state[key]
    state.set_inventory(editable)


def clear() -> bool:
    """« Vider l'inventaire », confirmed: the session's inventory and the open project's actors (``False`` if not saved)."""
    for key in [k for k in st.session_state if str(k).startswith(EDITOR_PREFIX)]:
        del st.session_state[key]
    return project.clear_actors()
