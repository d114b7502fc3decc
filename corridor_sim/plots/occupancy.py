"""Queues, yards and waiting over time at borders and ports, and closures by disruptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from corridor_sim.plots.calendar import calendar_axis
from corridor_sim.plots.style import (
    LEGEND_PAD,
    PANEL_GAP,
    TICKS_BELOW,
    TICKS_LEFT,
    TITLES_ABOVE,
    empty,
    fixed_figure,
    location_colours,
    num,
    place_grid,
    styled,
    top_title,
    widest,
)

OCCUPANCY_PANELS = (
    ("queue_trains", "trains queued for handling", "trains"),
    ("yard_containers", "containers in port yards waiting for a vessel", "containers"),
    ("formation_containers", "containers waiting for an onward train", "containers"),
    ("vessels_waiting_for_cargo", "vessels in port waiting for cargo", "vessels"),
    ("waiting_trains", "trains waiting for a line path", "trains"),
)
POOL_PANEL = ("waiting_trains", "trains waiting for a rolling-stock set", "trains")
Panel = tuple[str, str, dict[str, pd.DataFrame], str | None]  # title, unit, series per place, legend note


def location_order(routes: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(routes.sort_values(["flow", "seq"])["location"].astype(str))) if len(routes) else []


def series(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per location: mean, min and max over replications at each sampled day; places that never had any omitted."""
    out = {}
    for loc, g in frame.groupby(frame["location"].astype(str), observed=True):
        if g["value"].max() > 0:
            by_day = g.groupby("day", observed=True)["value"]
            out[loc] = pd.DataFrame({"mean": by_day.mean(), "lo": by_day.min(), "hi": by_day.max()})
    return out


def occupancy_panels(occupancy: pd.DataFrame, roles: dict[str, str], pools: set[str] = frozenset()) -> list[Panel]:
    """One panel per sampled metric that is ever non-zero; handling queues only at borders and ports; trains
    waiting at a rolling-stock pool apart from trains waiting for a line path."""
    keep_queue = {n for n, r in roles.items() if r in ("border", "port")}
    at_pool = occupancy["location"].astype(str).isin(pools)
    panels = []
    for metric, label, unit in (*OCCUPANCY_PANELS, POOL_PANEL):
        frame = occupancy[occupancy["metric"].eq(metric)]
        if metric == "queue_trains" and keep_queue:
            frame = frame[frame["location"].astype(str).isin(keep_queue)]
        if metric == "waiting_trains":
            frame = frame[at_pool[frame.index]] if label == POOL_PANEL[1] else frame[~at_pool[frame.index]]
        found = series(frame)
        if found:
            hidden = frame["location"].nunique() - len(found)
            note = f"{hidden} place{'s' if hidden > 1 else ''} always at 0, not shown" if hidden else None
            panels.append((label, unit, found, note))
    return panels


def waiting_panel(waiting: pd.DataFrame, top: int) -> list[Panel]:
    """The `top` places where most containers wait (from `corridor_sim.waiting.waiting_estimate`)."""
    found = series(waiting)
    ranked = sorted(found, key=lambda loc: -found[loc]["mean"].mean())[:top]
    if not ranked:
        return []
    title = (
        f"containers waiting, by place: the {len(ranked)} longest (estimated from the tracked "
        "sample, any cause: queues, vessels, trains, wagons, closures)"
    )
    return [(title, "containers", {loc: found[loc] for loc in ranked}, None)]


@styled
def occupancy_over_time(
    occupancy: pd.DataFrame,
    routes: pd.DataFrame,
    roles: dict[str, str],
    warmup_day: float,
    title: str,
    waiting: pd.DataFrame | None = None,
    top: int = 6,
    start: str | None = None,
    pools: set[str] = frozenset(),
) -> Figure:
    """Queues and yards over time at borders and ports (mean over replications, shaded min–max), the places where
    containers wait most (`waiting`, estimated from the tracked sample), and closures; warm-up greyed."""
    panels = occupancy_panels(occupancy, roles, pools) + (waiting_panel(waiting, top) if waiting is not None else [])
    closed = occupancy[occupancy["metric"].eq("closed")]
    order = location_order(routes)
    seen = dict.fromkeys(
        [*(loc for _, _, found, _ in panels for loc in found), *closed["location"].astype(str).unique()]
    )
    locs = sorted(seen, key=lambda x: order.index(x) if x in order else len(order))  # off-route: as first seen
    colours = location_colours(locs)
    ratios = [2.3] * len(panels) + ([0.35 * closed["location"].nunique() + 0.6] if len(closed) else [])
    fig = fixed_figure((12, 1.2 + sum(ratios or [1.8])))
    axes = fig.subplots(len(ratios or [1]), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios or [1]})
    axes = axes[:, 0]
    if not ratios:
        empty(axes[0], "no occupancy samples")
    titles = [_draw_panel(ax, panel, locs, colours, warmup_day) for ax, panel in zip(axes, panels, strict=False)]
    if len(closed):
        titles.append(_closures(axes[-1], closed, occupancy, locs, colours))
    for ax in axes:
        ax.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
    axes[0].text(
        warmup_day / 2, 0.97, "warm-up", transform=axes[0].get_xaxis_transform(), ha="center", va="top", fontsize=8
    ).set_color("0.4")
    calendar_axis(axes[-1], start)
    _place(fig, axes, titles, bool(len(closed)))
    top_title(fig, title)
    return fig


# margins in inches beyond the shared ones (style): beside the closures' place names (tick and edge)
LABEL_PAD = 0.22
EDGE, TITLE_LINE = 0.05, 0.2  # the least room between a panel title and the figure's edge; a title's line


def _place(fig: Figure, axes: np.ndarray, titles: list[Text], closures: bool) -> None:
    """Axes placed once: the legends on the right and the closures' place names on the left measured, since the
    scenario names them; the rest fixed. A panel title that long place names push past the figure's edge wraps."""
    names = axes[-1].get_yticklabels() if closures else []
    left = max(TICKS_LEFT, widest(fig, names) + LABEL_PAD)
    right = widest(fig, [ax.get_legend() for ax in axes]) + LEGEND_PAD
    room = fig.get_size_inches()[0] - left - EDGE
    wrap = [widest(fig, [title]) > room for title in titles]
    for title, long in zip(titles, wrap, strict=True):
        title.set_wrap(long)
    extra = TITLE_LINE if any(wrap) else 0.0  # room for a title's second line above every panel
    place_grid(fig, len(axes), 1, (left, right, TITLES_ABOVE + extra, TICKS_BELOW), (PANEL_GAP + extra, 0.0))


def _draw_panel(ax: Axes, panel: Panel, locs: list[str], colours: dict, warmup_day: float) -> Text:
    label, unit, found, note = panel
    for loc in sorted(found, key=locs.index):
        stats = found[loc]
        ax.fill_between(stats.index, stats["lo"], stats["hi"], color=colours[loc], alpha=0.15, linewidth=0)
        after = stats.loc[stats.index >= warmup_day, "mean"]
        legend = f"{loc} (mean {num(after.mean())})" if len(after) else loc
        ax.plot(stats.index, stats["mean"], color=colours[loc], linewidth=1.3, label=legend)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title=note, title_fontsize=7.5)
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0)
    return ax.set_title(label, loc="left", fontsize=10)


def _closures(ax: Axes, closed: pd.DataFrame, occupancy: pd.DataFrame, locs: list[str], colours: dict) -> Text:
    """Closed periods of one replication, a row per place."""
    days_sampled = np.sort(occupancy["day"].unique())
    step = float(np.median(np.diff(days_sampled))) if len(days_sampled) > 1 else 1.0
    rep = closed["replication"].min()
    names = sorted(closed["location"].astype(str).unique(), key=locs.index)
    for y, loc in enumerate(names):
        days = closed.loc[closed["location"].astype(str).eq(loc) & closed["replication"].eq(rep), "day"]
        ax.broken_barh([(d, step) for d in days], (y - 0.35, 0.7), color=colours[loc], alpha=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.grid(axis="y", visible=False)
    return ax.set_title(f"closed by disruptions (replication {rep})", loc="left", fontsize=10)
