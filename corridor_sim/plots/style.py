"""The one look every figure shares: a scenario keeps its colour in every plot, a corridor section keeps its colour,
and moving / handling / waiting are always solid / dotted / hatched. Figures are plain `matplotlib.figure.Figure`
objects (not pyplot's), so nothing accumulates in a global figure manager and no backend has to be chosen."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from pathlib import Path
from typing import ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from corridor_sim.plots.names import SECTION_ORDER

SECTION_PALETTE = (
    "#c0392b",
    "#e67e22",
    "#f1c40f",
    "#b7950b",
    "#16a085",
    "#2980b9",
    "#8e44ad",
    "#d81b60",
    "#6d4c41",
    "#27ae60",
    "#7f8c8d",
    "#bc8f8f",
    "#6b8e23",
    "#4682b4",
    "#cd5c5c",
    "#9acd32",
    "#708090",
)
# Okabe-Ito (colour-blind safe); the bundled scenarios get fixed colours so they match across every report.
SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
KNOWN_SCENARIOS = {"baseline_2022": "#D55E00", "current_2023": "#0072B2", "target": "#009E73"}
STATE_STYLE = {
    "moving": {"alpha": 1.0, "hatch": ""},
    "handling": {"alpha": 0.75, "hatch": "...."},
    "waiting": {"alpha": 0.45, "hatch": "////"},
}
STATE_COLOURS = {"moving": "#1f4e79", "handling": "#e69f00", "waiting": "#d62728"}
RC = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": "DejaVu Sans",
}
DPI = 120
TIGHT_PAD = 0.15  # inches around the artists when a figure is cropped to them (the map)
# Margins in inches that the fixed-geometry figures share, so that panels of one kind line up alike in every figure
TICKS_LEFT = 0.85  # tick numbers up to 5 digits and the axis label, left of the axes
TICKS_BELOW = 0.6  # tick labels (numbers or dates) and the axis label, below the axes
TITLES_ABOVE = 0.62  # the figure's title and a panel title (or a two-line title), above the top axes
PANEL_GAP = 0.45  # between stacked panels: the lower panel's title
LEGEND_PAD = 0.16  # beside a legend right of the axes: its gap and the figure's edge

P = ParamSpec("P")


def styled(func: Callable[P, Figure]) -> Callable[P, Figure]:
    """Build the figure inside the shared style (rc parameters are read as artists are created)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def new_figure(figsize: tuple[float, float], layout: str | None = "constrained") -> Figure:
    """A figure on its own Agg canvas (it can measure text before saving, as the map's label placement does)."""
    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def fixed_grid(
    fig: Figure, rows: int, cols: int, margins: tuple[float, float, float, float], gaps: tuple[float, float], **kw
) -> np.ndarray:
    """A grid of axes placed once by fixed margins (left, right, top, bottom) and gaps (between rows, between
    columns) in inches, for a figure without a layout engine: constrained layout measures every tick label again at
    each draw, which on a figure of many small panels costs more than painting it."""
    return fig.subplots(rows, cols, squeeze=False, gridspec_kw=grid_fractions(fig, rows, cols, margins, gaps), **kw)


def render(fig: Figure, tight: bool = False) -> Image.Image:
    """The figure as an RGB image at `DPI`, drawn once. `savefig` would draw it twice when a layout engine is set (a
    dry run to place the axes, then the real one); drawing on the canvas places and paints in one pass, pixel for
    pixel the same image. `tight` crops to the artists' bounding box plus a margin, as `bbox_inches="tight"` does."""
    fig.set_dpi(DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    with mpl.rc_context(RC):
        canvas.draw()
        width, height = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        if not tight:
            return image
        box = fig.get_tightbbox(canvas.get_renderer()).padded(TIGHT_PAD)
    x0, x1 = round(box.x0 * DPI), round(box.x1 * DPI)
    y0, y1 = round(height - box.y1 * DPI), round(height - box.y0 * DPI)
    cropped = Image.new("RGB", (x1 - x0, y1 - y0), "white")  # white where the box reaches past the figure
    cropped.paste(image, (-x0, -y0))
    return cropped


def save(fig: Figure, path: Path, tight: bool = False) -> Path:
    """Write the PNG, complete or not at all; `tight` crops the margins a fixed-aspect axes (the map) leaves.

    The image is reduced to a palette of 256 colours (PIL's fast octree): a third of the bytes of full colour, which
    keeps the report's embedded figures small, and no difference a reader can see on flat-coloured charts.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = render(fig, tight).quantize(256, method=Image.Quantize.FASTOCTREE)
    partial = path.with_name(f".{path.name}.partial")
    image.save(partial, format="png", optimize=False)
    os.replace(partial, path)
    return path


def scenario_colours(names: Iterable[str]) -> dict[str, str]:
    """The bundled scenarios keep fixed colours; any others take the first palette colours not already in use."""
    names = list(dict.fromkeys(names))
    out = {n: KNOWN_SCENARIOS[n] for n in names if n in KNOWN_SCENARIOS}
    free = [c for c in SCENARIO_PALETTE if c not in out.values()]
    for i, name in enumerate(n for n in names if n not in out):
        out[name] = free[i % len(free)]
    return {n: out[n] for n in names}


def section_colours(order: Sequence[str]) -> dict[str, str]:
    """Canonical sections keep their colour whichever subset is shown; others take the remaining colours."""
    out = {s: SECTION_PALETTE[SECTION_ORDER.index(s)] for s in order if s in SECTION_ORDER}
    extra = [s for s in order if s not in SECTION_ORDER]
    for i, s in enumerate(extra):
        out[s] = SECTION_PALETTE[(len(SECTION_ORDER) + i) % len(SECTION_PALETTE)]
    return out


def location_colours(locations: Sequence[str]) -> dict[str, tuple]:
    """Strong, distinct colours (tab10, then Dark2, then Set1) so that no place is drawn in a washed-out tint."""
    strong = [*mpl.colormaps["tab10"].colors, *mpl.colormaps["Dark2"].colors, *mpl.colormaps["Set1"].colors]
    return {loc: strong[i % len(strong)] for i, loc in enumerate(locations)}


def band_label(band: pd.Series) -> str:
    return str(band["label"]) if isinstance(band["label"], str) and band["label"] else f"to {band['destination']}"


def ecdf(ax: Axes, days: np.ndarray, **kw) -> None:
    x = np.sort(days)
    ax.step(np.concatenate([[x[0]], x]), np.concatenate([[0.0], np.arange(1, len(x) + 1) / len(x)]), where="post", **kw)


def num(value: float) -> str:
    """Two significant decimals for small values (a mean queue of 0.04 is not 0.0), one for large ones."""
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def text(labels: pd.Series) -> pd.Series:
    """A label column as strings. Tables straight from a run hold labels as categoricals, whose `astype(str)` builds
    a string per row (a tenth of a second per million rows): only their few categories are converted."""
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return labels.cat.rename_categories(labels.cat.categories.astype(str))
    return labels.astype(str)


def empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


def grid_fractions(
    fig: Figure, rows: int, cols: int, margins: tuple[float, float, float, float], gaps: tuple[float, float]
) -> dict[str, float]:
    """The gridspec parameters (fractions of the figure) of a grid placed by margins (left, right, top, bottom) and
    gaps (between rows, between columns) in inches; with height or width ratios the gaps stay as given."""
    width, height = fig.get_size_inches()
    left, right, top, bottom = margins
    row_gap, col_gap = gaps
    axes_h = (height - top - bottom - (rows - 1) * row_gap) / rows
    axes_w = (width - left - right - (cols - 1) * col_gap) / cols
    return {
        "left": left / width,
        "right": 1 - right / width,
        "top": 1 - top / height,
        "bottom": bottom / height,
        "hspace": row_gap / axes_h,
        "wspace": col_gap / axes_w,
    }


def place_grid(
    fig: Figure, rows: int, cols: int, margins: tuple[float, float, float, float], gaps: tuple[float, float]
) -> None:
    """Move the axes of the figure's one grid (made by `fig.subplots` or `fig.add_gridspec` without positions) to
    margins and gaps in inches: for a figure without a layout engine whose margins are known only once its legends
    or category labels exist and have been measured (`widest`)."""
    fig.subplots_adjust(**grid_fractions(fig, rows, cols, margins, gaps))


def widest(fig: Figure, artists: Iterable) -> float:
    """The width in inches of the widest of `artists` (legends, texts; None skipped), each measured alone: the few
    artists whose size varies with the scenario, without drawing the figure or measuring every tick label."""
    renderer = fig.canvas.get_renderer()
    widths = [a.get_window_extent(renderer).width for a in artists if a is not None and a.get_visible()]
    return max(widths, default=0.0) / fig.dpi


def top_title(fig: Figure, title: str, gap: float = 0.08, **kw) -> None:
    """The figure's bold title with its top `gap` inches below the figure's top edge (no layout engine to put it)."""
    fig.suptitle(title, y=1 - gap / fig.get_size_inches()[1], va="top", fontweight="bold", **kw)


def wrap_within(fig: Figure, texts: Iterable, inches: float) -> list[str]:
    """The strings of `texts` (Text artists), each wider than `inches` wrapped at spaces into lines about that wide
    (a word longer than a line is cut): for labels whose margin would otherwise squeeze the axes away."""
    renderer = fig.canvas.get_renderer()
    out = []
    for t in texts:
        width = t.get_window_extent(renderer).width / fig.dpi
        label = t.get_text()
        if width > inches:
            lines = label.split("\n")
            chars = max(8, int(max(map(len, lines)) * inches / width))
            label = "\n".join(textwrap.fill(line, chars, subsequent_indent="  ") for line in lines)
        out.append(label)
    return out


def fixed_figure(figsize: tuple[float, float]) -> Figure:
    """A figure without a layout engine, at the resolution it is saved at from the start: its margins are measured
    from text, and small text hinted at another resolution can be a tenth wider or narrower."""
    fig = new_figure(figsize, layout=None)
    fig.set_dpi(DPI)
    return fig
