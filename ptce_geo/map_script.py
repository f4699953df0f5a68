"""A folium map as the scripts a page runs itself (``ui.leaflet_map``), without the frame of streamlit-folium.

The map's own script (its controls, the EPCI layer, the drawing tools) runs once, when the map is mounted; each feature
group's script (selection, drawing, outlines, view, indicator colours) runs again whenever it changes, replacing the
group it made before. Names are fixed where the page needs them: the map is ``map_ptce`` (also its element's id), the
drawing control ``draw_control_ptce``; other elements keep folium's random names, which only live inside one script.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import folium.plugins
from branca.element import Element

__all__ = ["MAP_NAME", "MapScript", "map_script"]

MAP_NAME = "map_ptce"
_DRAW_NAME = "draw_control_ptce"


@dataclass(frozen=True)
class MapScript:
    """``name``: the map's variable and its element's id; ``base`` returns ``{map, draw, drawn}`` (the map, its
    Leaflet.draw control and drawn shapes, or null); ``groups``: (variable, script) per feature group, each script taking
    the map as ``name``; the files to load first (``js`` in order, ``css``)."""

    name: str
    base: str
    groups: tuple[tuple[str, str], ...]
    js: tuple[str, ...]
    css: tuple[str, ...]


def _elements(element: Element):
    yield element
    for child in element._children.values():
        yield from _elements(child)


def _links(m: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    js, css = [], []
    for element in _elements(m):
        js += [url for _, url in getattr(element, "default_js", [])]
        css += [url for _, url in getattr(element, "default_css", [])]
    return tuple(dict.fromkeys(js)), tuple(dict.fromkeys(css))


def _rendered(figure, names: list[str]) -> str:
    return "\n".join(figure.script._children[name].render() for name in names)


def map_script(m: folium.Map, groups: list[folium.FeatureGroup] | tuple = ()) -> MapScript:
    """The scripts of ``m`` and of ``groups`` (added to ``m``: a map is made for one call)."""
    m._id = MAP_NAME.removeprefix("map_")
    draws = [e for e in _elements(m) if isinstance(e, folium.plugins.Draw)]
    for draw in draws:
        draw._id = _DRAW_NAME.removeprefix("draw_control_")
    figure = m.get_root()
    m.render()
    base = _rendered(figure, list(figure.script._children))
    draw, drawn = (_DRAW_NAME, f"drawnItems_{_DRAW_NAME}") if draws else ("null", "null")
    base += f"\nreturn {{map: {MAP_NAME}, draw: {draw}, drawn: {drawn}}};"
    scripts = []
    for index, group in enumerate(groups):
        group._id = f"g{index}"
        group.add_to(m)
        before = set(figure.script._children)
        group.render()
        script = _rendered(figure, [name for name in figure.script._children if name not in before])
        scripts.append((group.get_name(), script))
    return MapScript(MAP_NAME, base, tuple(scripts), *_links(m))
