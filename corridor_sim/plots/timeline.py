"""Time–distance (Marey) chart of the sampled containers along the busiest route."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from corridor_sim.plots.calendar import calendar_axis
from corridor_sim.plots.names import section_order
from corridor_sim.plots.style import (
    STATE_COLOURS,
    TICKS_BELOW,
    TITLES_ABOVE,
    empty,
    fixed_figure,
    place_grid,
    section_colours,
    styled,
    widest,
    wrap_within,
)
from corridor_sim.records import STATES


def axis_flow(tracks: pd.DataFrame, routes: pd.DataFrame) -> str:
    """The flow a time-distance chart is drawn along: the one whose sampled containers cover the most km."""
    sampled = tracks.groupby("flow", observed=True)["container_id"].nunique() if len(tracks) else pd.Series()
    km = routes.groupby("flow", observed=True)["km_end"].max()
    return str(max(km.index, key=lambda f: (float(sampled.get(f, 0)) * float(km[f]), float(km[f]))))


def route_positions(rows: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """The drawn (start, end) height of each location of one route: its km, with sea legs that carry no distance
    drawn 3% of the route long so their sailings show as slopes."""
    gap = max(float(rows["km_end"].max()), 1.0) * 0.03
    pos, shift = {}, 0.0
    for r in rows.sort_values("seq").itertuples(index=False):
        y0 = float(r.km_start) + shift
        if r.kind == "segment" and float(r.km_end) <= float(r.km_start):
            shift += gap
        pos[str(r.location)] = (y0, float(r.km_end) + shift)
    return pos


def track_segments(
    tracks: pd.DataFrame, positions: dict[str, tuple[float, float]]
) -> dict[str, list[tuple[tuple[float, float], tuple[float, float]]]]:
    """Line pieces (day, height) per moving/handling/waiting class, for the stages at places on the drawn route:
    moves slope, everything else is flat."""
    out: dict[str, list] = {c: [] for c in STATE_COLOURS}
    for row in tracks.itertuples(index=False):
        y0, y1 = positions.get(str(row.location), (np.nan, np.nan))
        if np.isnan(y0):
            continue
        cls = STATES.get(str(row.state), "waiting")
        if cls != "moving":
            y0 = y1 = y1 if row.state == "unloading" else y0
        out[cls].append(((row.start_day, y0), (row.end_day, y1)))
    return out


def thin_ticks(ticks: list[tuple[float, str]], min_gap: float) -> list[tuple[float, str]]:
    """Drop tick labels that would overlap the one below them."""
    kept: list[tuple[float, str]] = []
    for y, label in sorted(ticks):
        if not kept or y - kept[-1][0] >= min_gap:
            kept.append((y, label))
    return kept


def _section_spans(rows: pd.DataFrame, positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    spans: dict[str, tuple[float, float]] = {}
    for r in rows.itertuples(index=False):
        y0, y1 = positions[str(r.location)]
        lo, hi = spans.get(str(r.section), (y0, y1))
        spans[str(r.section)] = (min(lo, y0), max(hi, y1))
    return spans


@styled
def time_distance(tracks: pd.DataFrame, routes: pd.DataFrame, title: str, start: str | None = None) -> Figure:
    """Marey chart of the sampled containers of one replication along the busiest route: slopes are movement, flat
    runs are time at a place; flat lines ending together are containers waiting for the same train or vessel.
    Other flows are drawn faintly wherever they share that route."""
    fig = fixed_figure((14, 7.5))
    axes = fig.subplots(1, 2, sharey=True, width_ratios=WIDTHS)
    if tracks.empty or routes.empty:
        for ax in axes:
            empty(ax, "no container tracks recorded")
        _place(fig, axes, axes[0].set_title(title), [])
        return fig
    rep = tracks["replication"].min()
    tr = tracks[tracks["replication"].eq(rep)]
    flow = axis_flow(tr, routes)
    rows = routes[routes["flow"].astype(str).eq(flow)].sort_values("seq")
    positions = route_positions(rows)
    own = tr["flow"].astype(str).eq(flow)
    layers = [(track_segments(tr[~own], positions), 0.25, 0.6), (track_segments(tr[own], positions), 0.8, 1.0)]
    colours = section_colours(section_order(rows["section"].astype(str), routes))
    spans = _section_spans(rows, positions)
    mine = tr[own].groupby("container_id", observed=True)
    first_day = float(tr["start_day"].min())
    typical = float((mine["end_day"].max() - mine["start_day"].min()).median()) if own.any() else 10.0
    zoom = (first_day, first_day + max(1.5 * typical, 10.0))
    for ax, xlim, width in zip(axes, [(first_day, float(tr["end_day"].max())), zoom], (0.5, 1.0), strict=True):
        for section, (lo, hi) in spans.items():
            if hi > lo:
                ax.axhspan(lo, hi, color=colours[section], alpha=0.08, zorder=0)
        for pieces, alpha, scale in layers:
            for cls, segs in pieces.items():
                if segs:
                    ax.add_collection(
                        LineCollection(segs, colors=STATE_COLOURS[cls], linewidths=width * scale, alpha=alpha)
                    )
        ax.set_xlim(*xlim)
        calendar_axis(ax, start)
    sections = _route_axis(axes, rows, positions, spans, colours)
    axes[0].set_ylabel(f"position along the route of flow {flow}")
    heading = axes[0].set_title(f"{title}\nsampled containers of replication {rep} along flow {flow}", loc="left")
    axes[1].set_title(f"zoom: the first {zoom[1] - zoom[0]:.0f} days", loc="left")
    handles = [Line2D([], [], color=STATE_COLOURS[c], linewidth=2, label=c) for c in STATE_COLOURS]
    handles.append(
        Line2D([], [], color="0.5", linewidth=1, alpha=0.4, label="faint: other flows where they share this route")
    )
    axes[0].legend(handles=handles, loc="lower right", frameon=True, framealpha=0.9, edgecolor="none")
    _place(fig, axes, heading, sections)
    return fig


# fixed margins in inches: the unit label beside the node names on the left, a two-line title above, dates and their
# label below; the gap between the panels (tick marks only: they share the node axis)
GAP, WIDTHS = 0.5, (3, 2)  # and style's TITLES_ABOVE, TICKS_BELOW
LABEL_PAD, EDGE, LINE = 0.48, 0.1, 0.2  # beside the node names (tick, label pad, axis label, edge); an edge; a line


def _place(fig: Figure, axes: Sequence[Axes], heading: Text, sections: list[Text]) -> None:
    """Axes placed once: the node names on the left and the section names on the right measured (the scenario names
    them); the left panel's title (it names the flow) wrapped to end before the right panel's title."""
    left = widest(fig, axes[0].get_yticklabels()) + LABEL_PAD
    right = widest(fig, sections) + EDGE + (0.01 * 2 / sum(WIDTHS) * fig.get_size_inches()[0] if sections else 0.0)
    room = (fig.get_size_inches()[0] - left - right - GAP) * WIDTHS[0] / sum(WIDTHS) + GAP - 2 * EDGE
    heading.set_text(wrap_within(fig, [heading], room)[0])
    lines = heading.get_text().count("\n") + 1
    place_grid(fig, 1, 2, (left, right, TITLES_ABOVE + LINE * max(lines - 2, 0), TICKS_BELOW), (0.0, GAP))


def _route_axis(axes: list[Axes], rows: pd.DataFrame, positions: dict, spans: dict, colours: dict) -> list[Text]:
    """Node names (with km) up the left axis, section names beside the right panel (returned)."""
    ymax = max(v[1] for v in positions.values())
    nodes = rows[rows["kind"].eq("node")]
    labels = [
        (positions[str(n)][0], f"{n} ({km:,.0f} km)")
        for n, km in zip(nodes["location"], nodes["km_start"], strict=True)
    ]
    ticks = thin_ticks(labels, 0.028 * ymax)
    axes[0].set_yticks([y for y, _ in ticks], [label for _, label in ticks])
    axes[0].set_ylim(-0.01 * ymax, ymax * 1.01)
    return [
        axes[1].text(
            1.01,
            (lo + hi) / 2,
            section,
            transform=axes[1].get_yaxis_transform(),
            va="center",
            fontsize=8,
            color=colours[section],
            fontweight="bold",
        )
        for section, (lo, hi) in spans.items()
        if hi > lo
    ]
