"""A figure of the dossier: an image embedded as a data URI, with the alt text that describes it.

Charts are SVG (sharp at any zoom and in print, text kept as text); maps are PNG (a région has
thousands of commune outlines: as vectors they would weigh megabytes). Nothing is fetched.
"""

from __future__ import annotations

import base64
import io
from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure as _MplFigure

__all__ = ["Figure", "new_figure", "plotting", "to_figure", "CM"]

CM = 1 / 2.54  # inches per centimetre: A4 text width is 18 cm
_STYLE = {"font.family": "DejaVu Sans", "font.size": 8, "svg.fonttype": "none", "axes.spines.top": False,
          "axes.spines.right": False}


@dataclass(frozen=True)
class Figure:
    """An embedded image: ``src`` is a ``data:`` URI, ``alt`` says what it shows, ``caption`` what to read in it."""

    src: str
    alt: str
    caption: str = ""
    kind: str = "chart"  # chart | map


def plotting() -> AbstractContextManager:
    """The dossier's matplotlib style, for the drawing and saving of one figure (global rcParams untouched)."""
    return matplotlib.rc_context(_STYLE)


def new_figure(width_cm: float, height_cm: float) -> _MplFigure:
    """A matplotlib figure outside pyplot (no global figure registry: safe inside a Streamlit server)."""
    return _MplFigure(figsize=(width_cm * CM, height_cm * CM), layout="constrained")


def to_figure(fig: _MplFigure, alt: str, caption: str = "", fmt: str = "svg", dpi: int = 150) -> Figure:
    """Render ``fig`` and wrap it with its alt text (SVG metadata date removed so the same input gives the same bytes)."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Figure(f"data:{mime};base64,{data}", alt, caption, "chart" if fmt == "svg" else "map")
