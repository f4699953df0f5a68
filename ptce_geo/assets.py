"""Where the browser finds Leaflet and Leaflet.draw: local files installed by ``npm ci``, or a CDN.

Apart from ``mapping`` (folium) so that a page can name these files, and let the browser fetch them, before the
map's heavy imports: this module only needs the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["VENDOR_FILES", "Assets"]

# Files that `npm ci` copies to static/vendor/ (see package.json and scripts/vendor.mjs).
VENDOR_FILES = ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet-draw/leaflet.draw.js", "leaflet-draw/leaflet.draw.css")


@dataclass(frozen=True)
class Assets:
    """Where the browser fetches Leaflet and Leaflet.draw.

    A map loads exactly the ``default_js``/``default_css`` of each element (streamlit-folium, ``map_script``), so replacing
    folium's lists (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers from CDNs) by these
    two libraries is enough: none of the elements used here needs jQuery or Bootstrap.
    """

    leaflet_js: str
    leaflet_css: str
    draw_js: str
    draw_css: str

    @classmethod
    def local(cls, base_url: str = "/app/static/vendor") -> Assets:
        """Files served by Streamlit's static serving (``server.enableStaticServing``)."""
        return cls(*(f"{base_url.rstrip('/')}/{name}" for name in VENDOR_FILES))

    @classmethod
    def cdn(cls) -> Assets:
        """The same versions from jsDelivr: only for a machine where ``npm ci`` was not run."""
        root = "https://cdn.jsdelivr.net/npm"
        return cls(f"{root}/leaflet@1.9.3/dist/leaflet.js", f"{root}/leaflet@1.9.3/dist/leaflet.css",
                   f"{root}/leaflet-draw@1.0.4/dist/leaflet.draw.js", f"{root}/leaflet-draw@1.0.4/dist/leaflet.draw.css")

    @staticmethod
    def missing(static_dir: Path) -> list[str]:
        """Vendor files absent from ``static_dir/vendor`` (empty when ``npm ci`` ran)."""
        return [name for name in VENDOR_FILES if not (static_dir / "vendor" / name).is_file()]
