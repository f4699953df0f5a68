"""The data stack (pandas, geopandas, shapely, folium and the app's modules built on them), imported by one thread at a
time.

``ui.serve`` imports it in the background while the browser loads the first page, and that page imports the same
modules. Two threads importing the same packages at once can each be handed a module the other is still executing
(Python's way out of an import deadlock), and one fails with « cannot import name … » (seen with branca, folium's
library, when the first map was sent before the imports and both threads started them at the same moment).
"""

from __future__ import annotations

import threading

__all__ = ["load"]

_LOCK = threading.Lock()


def load() -> None:
    """Import what the Territoire page needs (~1 s of CPU the first time, nothing after). Not ``ui.maps``: it imports
    streamlit-folium, whose map component registers only when imported within a page's run (the other pages' maps)."""
    with _LOCK:
        import folium.plugins  # noqa: F401

        from ui import loaders, panels, project, territory, zonings_panel  # noqa: F401
