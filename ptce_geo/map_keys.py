"""Map keys written in the page under their map, never over it.

A key drawn inside the map hid a corner of it (Provence, Corsica, often part of the territory) and had to let
clicks through. Here a key is ordinary page text: it hides nothing, takes no click meant for the map, wraps at any
width or zoom, and is read by screen readers in the page's order. Each swatch draws the map's own fill, stroke or
marker shape: an SVG image in a ``data:`` URL (Streamlit's HTML sanitiser drops inline ``<svg>``, not images), with
an empty ``alt``: the label says what it means, shape included. Every string is escaped here.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from .map_symbols import SHAPES

__all__ = ["fill_swatch", "outline_swatch", "pattern_swatch", "line_swatch", "shape_swatch", "key_html", "KEY_CLASS"]

KEY_CLASS = "ptce-key"


def _image(w: int, h: int, body: str) -> str:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">{body}</svg>'
    return (f'<img src="data:image/svg+xml,{quote(svg, safe="=:/,.()-")}" alt="" width="{w}" height="{h}" '
            'style="flex:none;margin-right:5px">')


_HATCH = ('<defs><pattern id="ptce-key-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">'
          '<line x1="0" y1="0" x2="0" y2="7" stroke="#67001f" stroke-width="2.2"/></pattern></defs>')


def _stroke(style: dict) -> str:
    dash = f' stroke-dasharray="{html.escape(str(style["dashArray"]))}"' if style.get("dashArray") else ""
    return f'stroke="{html.escape(str(style["color"]))}" stroke-width="{float(style["weight"])}"{dash}'


def fill_swatch(color: str) -> str:
    """A filled box, as a class of a choropleth."""
    return _image(16, 12, f'<rect x="0.5" y="0.5" width="15" height="11" fill="{html.escape(color)}" stroke="#777"/>')


def outline_swatch(style: dict, hatched: bool = False) -> str:
    """A box drawn with the map's outline ``style`` (Leaflet path options), hatched like the excluded communes."""
    fill = "url(#ptce-key-hatch)" if hatched else "none"
    return _image(28, 14, (_HATCH if hatched else "")
                       + f'<rect x="1.5" y="1.5" width="25" height="11" fill="{fill}" {_stroke(style)}/>')


def pattern_swatch(pattern: str, pattern_id: str, style: dict | None) -> str:
    """A box filled with the SVG ``pattern`` (id ``pattern_id``) and outlined by ``style``; ``style`` None: an empty box
    with a thin grey outline (a class left undrawn)."""
    if style is None:
        return _image(28, 14, '<rect x="1.5" y="1.5" width="25" height="11" fill="none" stroke="#999" stroke-width="0.8"/>')
    return _image(28, 14, f'<defs>{pattern}</defs><rect x="1.5" y="1.5" width="25" height="11" '
                          f'fill="url(#{html.escape(pattern_id)})" {_stroke(style)}/>')


def line_swatch(style: dict) -> str:
    """A line drawn with the map's ``style``."""
    return _image(28, 14, f'<line x1="1" y1="7" x2="27" y2="7" {_stroke(style)}/>')


def shape_swatch(shape: str, color: str, size: int = 16) -> str:
    """A marker of ``shape`` (a key of ``map_symbols.SHAPES``) filled with ``color``, outlined as on the map."""
    c, r = size / 2, size / 2 - 1.5
    paint = f'fill="{html.escape(color)}" stroke="#252525" stroke-width="1"'
    vertices = SHAPES[shape]
    if vertices is None:
        body = f'<circle cx="{c}" cy="{c}" r="{r * 0.85:.2f}" {paint}/>'
    else:
        points = " ".join(f"{c + x * r:.2f},{c + y * r:.2f}" for x, y in vertices)
        body = f'<polygon points="{points}" {paint}/>'
    return _image(size, size, body)


def key_html(title: str, entries: list[tuple[str, str]], note: str = "") -> str:
    """One key: its title, then (swatch, label) entries side by side, wrapping; a note (source, vintage) after.

    ``entries`` hold swatches made above (trusted SVG) and plain-text labels (escaped here).
    """
    esc = html.escape
    items = "".join(f'<li style="display:inline-flex;align-items:center;max-width:100%;margin:0 14px 2px 0">{swatch}'
                    f"<span>{esc(label)}</span></li>" for swatch, label in entries)
    tail = f' <span style="color:#555">{esc(note)}</span>' if note else ""
    return (f'<div class="{KEY_CLASS}" role="group" aria-label="Légende : {esc(title, quote=True)}" '
            'style="font-size:0.85rem;line-height:1.5;margin:0 0 0.3rem">'
            f'<span style="font-weight:600;margin-right:10px">{esc(title)}</span>'
            f'<ul style="display:inline;list-style:none;padding:0;margin:0">{items}</ul>{tail}</div>')

