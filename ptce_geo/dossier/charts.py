"""Charts of the dossier (matplotlib, SVG): comparators, EPCI parts, rural/urban make-up, maturity markers.

Each function takes the library's tables and returns a ``Figure`` whose alt text lists the values
drawn, so a reader without the image (screen reader, text extraction) gets the same figures.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..fr_format import fr_percent, fr_value
from ..indicators import DENSITY_LEVELS
from ..mapping import DENSITY_COLORS
from ._figure import Figure, new_figure, plotting, to_figure

__all__ = ["comparison_chart", "epci_chart", "density_bars", "markers_chart", "BAR", "TERRITORY", "FRANCE", "MAX_EPCI_BARS"]

BAR, TERRITORY, FRANCE, OTHER = "#2c7fb8", "#b35806", "#404040", "#9ecae1"  # AA against white for text in these colours
MAX_EPCI_BARS = 30  # more EPCI parts: the most populated are drawn, the table lists all


def _label_bars(ax, bars, texts: list[str]) -> None:
    for bar, text in zip(bars, texts, strict=True):
        ax.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7, color="#1a1a1a")


def _short(name: str, size: int) -> str:
    return name if len(name) <= size else name[: size - 1] + "…"


def _panel_xlim(ax, numbers: np.ndarray, extra: float = 0.0) -> None:
    low, high = min(0.0, float(np.nanmin(numbers))), max(0.0, float(np.nanmax(numbers)), extra)
    ax.set_xlim(low * 1.3 if low < 0 else 0, high * 1.45 if high > 0 else 0.1)


def comparison_chart(items: list[tuple[str, str, list[tuple[str, float]]]]) -> Figure | None:
    """Small multiples, one panel per indicator: the territory (first), its départements, régions and France.

    ``items``: (label, unit, [(place, value), …]) with the territory first; panels without a territory value are left out.
    """
    items = [(label, unit, [(n, v) for n, v in values if pd.notna(v)]) for label, unit, values in items if pd.notna(values[0][1])]
    if not items:
        return None
    rows = (len(items) + 1) // 2
    bars_per_panel = max(len(values) for _, _, values in items)
    with plotting():
        fig = new_figure(17, rows * (1.8 + 0.5 * bars_per_panel))
        axes = fig.subplots(rows, 2, squeeze=False).ravel()
        for ax, (label, unit, values) in zip(axes, items, strict=False):
            names, numbers = [n for n, _ in values], np.array([v for _, v in values], dtype="float64")
            colors = [TERRITORY if i == 0 else FRANCE if n == "France" else OTHER for i, n in enumerate(names)]
            bars = ax.barh(range(len(names)), numbers, color=colors, height=0.62)
            ax.set_yticks(range(len(names)), [_short(n, 30) for n in names], fontsize=6.5)
            ax.invert_yaxis()
            ax.set_title(textwrap.fill(f"{label} ({unit})", 30), loc="left", fontsize=7.5, fontweight="bold")
            ax.tick_params(axis="x", labelsize=6.5)
            ax.xaxis.set_major_formatter(lambda x, _, unit=unit: fr_value(x, unit, with_unit=False))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            _panel_xlim(ax, numbers)
            _label_bars(ax, bars, [fr_value(v, unit) for v in numbers])
        for ax in axes[len(items):]:
            ax.set_axis_off()
        alt = "Le territoire face à ses comparateurs. " + " ".join(
            f"{label} : " + " ; ".join(f"{n} {fr_value(v, unit)}" for n, v in values) + "." for label, unit, values in items)
        return to_figure(fig, alt, "Territoire en orange, départements et régions en bleu clair, France en gris.")


def epci_chart(parts: pd.DataFrame, items: list[tuple[str, str, str, float, float]]) -> Figure | None:
    """EPCI parts chart: one column per indicator, one row per EPCI part (most populated first), territory and France as lines.

    ``items``: (column, label, unit, territory value, France value). ``None`` with fewer than two EPCI parts.
    """
    if len(parts) < 2 or not items:
        return None
    shown = parts.nlargest(MAX_EPCI_BARS, "population_dans_territoire")
    names = [_short(n, 34) for n in shown["nom"].astype(str)]
    ncols = min(3, len(items))
    nrows = (len(items) + ncols - 1) // ncols
    with plotting():
        fig = new_figure(17, nrows * (1.5 + 0.36 * len(names)) + 0.8)
        axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
        alt_parts = []
        for ax, (column, label, unit, territory, france) in zip(axes, items, strict=False):
            values = shown[column].to_numpy(dtype="float64")
            ax.barh(range(len(names)), np.nan_to_num(values), color=BAR, height=0.65)
            for value, color in ((territory, TERRITORY), (france, FRANCE)):
                if pd.notna(value):
                    ax.axvline(value, color=color, linestyle="--", linewidth=1.3)
            ax.set_title(textwrap.fill(f"{label} ({unit})", 26), fontsize=6.5, fontweight="bold", loc="left")
            ax.tick_params(axis="x", labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.xaxis.set_major_formatter(lambda x, _, unit=unit: fr_value(x, unit, with_unit=False))
            known = values[~np.isnan(values)]
            _panel_xlim(ax, known if len(known) else np.zeros(1), territory if pd.notna(territory) else 0.0)
            alt_parts.append(f"{label} : " + " ; ".join(f"{n} {fr_value(v, unit)}" for n, v in zip(shown["nom"], values, strict=True))
                             + f" (territoire {fr_value(territory, unit)}, France {fr_value(france, unit)}).")
        for ax in axes[len(items):]:
            ax.set_axis_off()
        axes[0].set_yticks(range(len(names)), names, fontsize=6.5)
        axes[0].invert_yaxis()
        for ax in axes[::ncols]:
            ax.tick_params(axis="y", labelleft=True, labelsize=6.5)
        fig.legend(handles=[Line2D([], [], color=TERRITORY, linestyle="--", label="Territoire"),
                            Line2D([], [], color=FRANCE, linestyle="--", label="France")], loc="outside lower center", ncols=2, fontsize=7)
        more = f"Seules les {len(shown)} parties d'EPCI les plus peuplées sur {len(parts)} sont dessinées." if len(shown) < len(parts) else ""
        alt = "Indicateurs par partie d'EPCI, de la plus peuplée à la moins peuplée. " + " ".join(alt_parts) + (" " + more if more else "")
        return to_figure(fig, alt, more)


def density_bars(levels: pd.DataFrame) -> Figure:
    """Population and surface stacked by the 7 density levels of INSEE's grid (1 = grands centres urbains)."""
    parts = [f"{code}. {DENSITY_LEVELS[int(code)]} : population {fr_percent(r['part_population'], 1)}, surface {fr_percent(r['part_surface'], 1)}"
             for code, r in levels.iterrows()]
    with plotting():
        fig = new_figure(17, 5.2)
        ax = fig.add_subplot()
        for row, measure in enumerate(("part_population", "part_surface")):
            left = 0.0
            for code, r in levels.iterrows():
                share = float(r[measure]) if pd.notna(r[measure]) else 0.0
                ax.barh(row, share, left=left, color=DENSITY_COLORS[int(code)], edgecolor="white", linewidth=0.5,
                        label=f"{code}. {DENSITY_LEVELS[int(code)]}" if row == 0 else None)
                if share >= 0.06:
                    ax.text(left + share / 2, row, fr_percent(share), ha="center", va="center", fontsize=7,
                            color="white" if int(code) <= 4 else "#1a1a1a")
                left += share
        ax.set_yticks([0, 1], ["Population", "Surface"])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda x, _: fr_percent(x))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3, fontsize=7, frameon=False)
        return to_figure(fig, "Parts de la population et de la surface par niveau de la grille de densité : " + " ; ".join(parts) + ".")


def markers_chart(markers: dict[str, int], labels: dict[str, str]) -> Figure:
    """Self-assessed maturity markers, 0 (absent) to 4 (acquis)."""
    keys = list(labels)
    values = [int(markers.get(k, 0) or 0) for k in keys]
    with plotting():
        fig = new_figure(17, 1.4 + 0.6 * len(keys))
        ax = fig.add_subplot()
        bars = ax.barh(range(len(keys)), values, color=BAR, height=0.6)
        ax.set_yticks(range(len(keys)), [labels[k] for k in keys])
        ax.invert_yaxis()
        ax.set_xlim(0, 4.6)
        ax.set_xticks(range(5), ["0 absent", "1", "2", "3", "4 acquis"])
        _label_bars(ax, bars, [f"{v} / 4" for v in values])
        alt = "Marqueurs de maturité (0 absent à 4 acquis) : " + " ; ".join(f"{labels[k]} {v} sur 4" for k, v in zip(keys, values, strict=True)) + "."
        return to_figure(fig, alt)
