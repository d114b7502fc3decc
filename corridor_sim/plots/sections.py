"""Where the days go: stacked bars of mean days per corridor section, moving / handling / waiting shaded."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from corridor_sim.plots.names import section_order
from corridor_sim.plots.style import (
    STATE_STYLE,
    empty,
    fixed_figure,
    place_grid,
    section_colours,
    styled,
    widest,
)


def _stacked_sections(
    ax: Axes, means: pd.DataFrame, bar: str, routes: pd.DataFrame | None, bands: pd.DataFrame | None = None
) -> tuple[list[Patch | Line2D], list[Text]]:
    """Horizontal bars (one per value of `bar`), sections left to right in corridor order, states shaded; a published
    duration of a section group (`bands`: a row per bar, by `bar`) drawn as a bracket above its bar. Returns the
    legend's handles and the brackets' notes."""
    totals = means.groupby([bar, "section", "state"], as_index=False, sort=False, observed=True)["days"].sum()
    order = section_order(totals["section"], routes)
    colours = section_colours(order)
    bars = list(dict.fromkeys(totals[bar].astype(str)))
    states = [s for s in STATE_STYLE if s in set(totals["state"])]
    grand = totals.groupby(totals[bar].astype(str), observed=True)["days"].sum()
    scale = max(grand.max(), 1e-9)
    notes = []
    for i, name in enumerate(bars):
        mine = totals[totals[bar].astype(str).eq(name)].set_index(["section", "state"])["days"]
        _one_bar(ax, len(bars) - 1 - i, mine, order, states, colours, scale)
        if bands is not None and len(bands):
            for band in bands[bands[bar].astype(str).eq(name)].itertuples(index=False):
                notes.append(
                    _published_bracket(ax, len(bars) - 1 - i, mine.groupby(level="section").sum(), order, band)
                )
    ax.set_yticks(range(len(bars) - 1, -1, -1), bars)
    ax.set_xlim(0, scale * 1.1)
    ax.set_xlabel("mean days per delivered container")
    handles = [Patch(facecolor=colours[s], label=s) for s in order]
    handles += [
        Patch(
            facecolor=to_rgba("0.45", STATE_STYLE[s]["alpha"]),
            hatch=STATE_STYLE[s]["hatch"],
            edgecolor="white",
            label=f"{s} (shade)",
        )
        for s in states
    ]
    if bands is not None and len(bands):
        handles.append(Line2D([], [], color="black", marker="|", markersize=9, label="published (section group)"))
    return handles, notes


def _one_bar(ax: Axes, y: float, days_by: pd.Series, order: list[str], states: list[str], colours: dict, scale: float):
    """One bar: a block per section (its days labelled when wide enough), a piece per state, the total at the end."""
    left = 0.0
    for section in order:
        start = left
        for state in states:
            days = float(days_by.get((section, state), 0.0))
            if days <= 0:
                continue
            ax.barh(
                y,
                days,
                left=left,
                height=0.62,
                color=colours[section],
                alpha=STATE_STYLE[state]["alpha"],
                hatch=STATE_STYLE[state]["hatch"],
                edgecolor="white",
                linewidth=0.6,
            )
            left += days
        if left - start > 0.06 * scale:
            ax.text(
                (start + left) / 2,
                y,
                f"{left - start:.1f}",
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
            )
    ax.text(left + scale * 0.01, y, f"{left:.1f} d", va="center", fontsize=9, fontweight="bold")


def _published_bracket(ax: Axes, y: float, days: pd.Series, order: list[str], band) -> Text:
    """The published span of a section group drawn from where the group's first section starts, with the model's
    own figure beside it: a group ending inside the bracket agrees with the source."""
    members = [s for s in str(band.sections).split(";") if s]
    start = 0.0
    for section in order:
        if section in members:
            break
        start += float(days.get(section, 0.0))
    model = float(days.reindex(members).fillna(0.0).sum())
    low, high = float(band.low_days), float(band.high_days)
    top = y + 0.40
    ax.plot([start, start + high], [top, top], color="black", linewidth=0.9)
    ends = sorted({start + low, start + high})  # one mark when the source gives a single figure
    ax.plot(ends, [top] * len(ends), "|", color="black", markersize=9)
    ax.plot([start], [top], "|", color="0.5", markersize=6)
    span = f"{high:g} d" if low == high else (f"≤ {high:g} d" if low == 0 else f"{low:g}–{high:g} d")
    return ax.text(
        start + high,
        top + 0.02,
        f"  {band.group}: published {span}, model {model:.1f} d",
        va="bottom",
        fontsize=7.5,
        color="black",
    )


@styled
def section_bars(means: pd.DataFrame, title: str = "", bands: pd.DataFrame | None = None) -> Figure:
    """Where the days go: one stacked bar per scenario, corridor sections in order, moving/handling/waiting shaded.
    `means` has columns scenario, section, state, days (already restricted to one destination); `bands`: published
    section-group durations for that destination, a row per scenario (`published_sections` tables)."""
    n = means["scenario"].nunique()
    fig = fixed_figure((12, 3.2 + 0.75 * n))
    ax = fig.subplots()
    handles, notes = _stacked_sections(ax, means, "scenario", None, bands) if len(means) else ([], [])
    if not len(means):
        empty(ax, "no section records")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "Where the days go: mean days per corridor section")
    _place(fig, ax, handles, notes)
    return fig


@styled
def section_breakdown(
    sections: pd.DataFrame,
    routes: pd.DataFrame | None,
    title: str,
    replications: int,
    bands: pd.DataFrame | None = None,
) -> Figure:
    """One run's days per section, one bar per destination (means over the run's `replications`), with the run's
    published section-group durations (`published_sections` table) bracketed on their destination's bar."""
    means = (
        sections.groupby(["destination", "section", "state"], as_index=False, observed=True)["days"]
        .sum()
        .assign(days=lambda d: d["days"] / replications, destination=lambda d: "to " + d["destination"].astype(str))
    )
    n = means["destination"].nunique()
    fig = fixed_figure((12, 3.2 + 0.75 * max(n, 1)))
    ax = fig.subplots()
    handles, notes = [], []
    if len(means):
        if bands is not None and len(bands):
            bands = bands.assign(destination="to " + bands["destination"].astype(str))
        handles, notes = _stacked_sections(ax, means, "destination", routes, bands)
    else:
        empty(ax, "no section records")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    _place(fig, ax, handles, notes)
    return fig


# fixed margins in inches: the title above; numbers and their label below the bars, then the legend; a bar's total
# may pass the axes on the right
TOP, BELOW, RIGHT, EDGE, LABEL_PAD = 0.42, 0.62, 0.3, 0.1, 0.2


def _place(fig: Figure, ax: Axes, handles: list, notes: list[Text]) -> None:
    """Axes placed once: the bars' names on the left and the legend below (in as many columns as fit, up to 6)
    measured; the axes narrowed when a bracket's note would pass the figure's edge."""
    width, height = fig.get_size_inches()
    left = widest(fig, ax.get_yticklabels()) + LABEL_PAD
    legend, bottom = None, BELOW
    for ncol in range(min(6, len(handles)), 0, -1):
        legend = ax.legend(
            handles=handles,
            loc="upper center",
            ncol=ncol,
            fontsize=8.5,
        )
        if widest(fig, [legend]) <= width - 2 * EDGE:
            break
    if legend is not None:
        bottom = BELOW + legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi + EDGE
    place_grid(fig, 1, 1, (left, RIGHT, TOP, bottom), (0.0, 0.0))
    axes_width = width - left - RIGHT
    for note in notes:  # placed in data coordinates: where it ends is known once the axes are placed
        share = (ax.transData.transform(note.get_position())[0] / fig.dpi - left) / axes_width
        if share > 0:  # the axes narrowed so that the note ends inside the figure
            axes_width = min(axes_width, (width - EDGE - widest(fig, [note]) - left) / share)
    if axes_width < width - left - RIGHT:
        place_grid(fig, 1, 1, (left, width - left - axes_width, TOP, bottom), (0.0, 0.0))
    if legend is not None:  # centred under the axes, or as near as the figure's edges allow (inches)
        half = widest(fig, [legend]) / 2
        centre = min(max(left + axes_width / 2, EDGE + half), width - EDGE - half)
        legend.set_bbox_to_anchor((centre, bottom - BELOW), transform=fig.dpi_scale_trans)
