"""How full the vessels sail, how busy the handling servers are and how often trains wait for a line path."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import ScaledTranslation

from corridor_sim.plots.calendar import calendar_axis
from corridor_sim.plots.style import (
    SCENARIO_PALETTE,
    TICKS_BELOW,
    TICKS_LEFT,
    empty,
    fixed_figure,
    place_grid,
    styled,
    top_title,
    widest,
)


@styled
def capacity_utilisation(
    sailings: pd.DataFrame,
    occupancy: pd.DataFrame,
    servers: dict[str, int],
    warmup_day: float,
    title: str,
    replications: int,
    pools: Sequence[str] = (),
    start: str | None = None,
) -> Figure:
    """Vessel load per sailing and per segment, handling utilisation per node and line congestion (trains waiting
    for a path; trains waiting for rolling stock of the `pools` have their own figure). Sailings per week are a
    mean over the run's `replications` (one without sailings still counts)."""
    fig = fixed_figure((13, 8))
    (ax_t, ax_v), (ax_h, ax_l) = fig.subplots(2, 2, width_ratios=WIDTHS)
    load_title, vessel_title = _vessels(ax_t, ax_v, sailings, warmup_day, replications)
    calendar_axis(ax_t, start)
    after = occupancy[occupancy["day"] >= warmup_day]
    _handling(ax_h, after, servers)
    right_titles = [vessel_title, _lines(ax_l, after[~after["location"].astype(str).isin(set(pools))])]
    names = [*ax_v.get_yticklabels(), *ax_l.get_yticklabels()]
    _place(fig, ax_t, load_title, ax_h.get_yticklabels(), names, right_titles)
    top_title(fig, title)
    return fig


# fixed margins in inches: numbers and their label on the left, a two-line panel title (and the figure title) above,
# numbers and a label below a panel; a bar's figure may pass its axes on the right
TOP, RIGHT, ROW_GAP, COL_GAP = 0.85, 0.3, 1.1, 0.6  # and style's TICKS_LEFT, TICKS_BELOW
LABEL_PAD, LEGEND_TOP = 0.2, 0.45  # beside the place names (tick and edge); above the vessel legend (the title)
WIDTHS, TITLE_LINE = (3.2, 1), 0.3  # the left and right columns; a panel title's line (12 pt) and its pad
EDGE = 0.05  # the least room between a title and the figure's edge


def _place(
    fig: Figure, ax_t: Axes, load_title: Text, names: list[Text], right_names: list[Text], right_titles: list[Text]
) -> None:
    """Axes placed once: the place names left of the handling bars and of the right-hand panels, and the vessel
    legend above the load panel (as many columns as fit beside its title), measured (the scenario names them); the
    right-hand column at least as wide as its titles; the rest fixed."""
    left = max(TICKS_LEFT, widest(fig, names) + LABEL_PAD)
    col_gap = max(COL_GAP, widest(fig, right_names) + LABEL_PAD + 0.1)
    both = fig.get_size_inches()[0] - left - RIGHT - col_gap
    right = max(both * WIDTHS[1] / sum(WIDTHS), widest(fig, right_titles) + EDGE - RIGHT)
    ax_t.get_gridspec().set_width_ratios([both - right, right])
    legend, lift = _segment_legend(ax_t, both - right, widest(fig, [load_title]) + LABEL_PAD)
    top = TOP
    if legend is not None:
        renderer = fig.canvas.get_renderer()
        top = max(TOP, LEGEND_TOP + lift + legend.get_window_extent(renderer).height / fig.dpi)
    place_grid(fig, 2, 2, (left, RIGHT, top, TICKS_BELOW), (ROW_GAP, col_gap))


def _segment_legend(ax: Axes, width: float, title: float) -> tuple[Legend | None, float]:
    """The segments' legend above the load panel (`width` inches wide): beside its title (`title` inches) in as many
    columns as fit, up to 3, else above the title; with how far it was lifted over the title (inches)."""
    if not ax.get_legend_handles_labels()[0]:
        return None, 0.0
    for lift, room in ((0.0, width - title), (TITLE_LINE, width)):
        for ncol in (3, 2, 1):
            legend = ax.legend(
                title="segment (line: rolling mean of 20 sailings)",
                loc="lower right",  # above the axes, beside the title: no point hidden ("best" cost ~1 s a figure)
                bbox_to_anchor=(1.0, 1.0),
                bbox_transform=ax.transAxes + ScaledTranslation(0, lift, ax.figure.dpi_scale_trans),
                ncol=ncol,
                fontsize=8,
                title_fontsize=8,
                frameon=True,
                framealpha=0.6,
                edgecolor="none",
            )
            if widest(ax.figure, [legend]) <= room:
                return legend, lift
    return legend, lift


def _vessels(ax_t: Axes, ax_v: Axes, sailings: pd.DataFrame, warmup_day: float, replications: int) -> tuple[Text, Text]:
    """The load of each sailing over time and each segment's mean load; the two panels' titles returned."""
    sail = sailings[sailings["capacity_containers"] > 0].assign(
        load=lambda d: 100 * d["containers"] / d["capacity_containers"]
    )
    segs = list(dict.fromkeys(sail["segment"].astype(str)))
    seg_colour = dict(zip(segs, SCENARIO_PALETTE, strict=False))
    if len(sail):
        for seg in segs:
            s = sail[sail["segment"].astype(str).eq(seg)].sort_values("depart_day")
            ax_t.scatter(s["depart_day"], s["load"], s=9, color=seg_colour[seg], alpha=0.45, linewidth=0)
            trend = s.set_index("depart_day")["load"].rolling(20, min_periods=1, center=True).mean()
            ax_t.plot(trend.index, trend.to_numpy(), color=seg_colour[seg], linewidth=1.8, label=f"{seg}")
        _vessel_bars(ax_v, sailings, sail, warmup_day, seg_colour, replications)
    else:
        empty(ax_t, "no sailings")
        empty(ax_v, "no sailings")
    ax_t.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
    ax_t.set_ylim(0, 105)
    ax_t.set_ylabel("load (% of capacity)")
    ax_v.set_xlabel("mean load (% of capacity)")
    return ax_t.set_title("Vessel load per sailing", loc="left"), ax_v.set_title(
        "Vessel utilisation\n(after warm-up)", loc="left"
    )


def _vessel_bars(
    ax: Axes, sailings: pd.DataFrame, sail: pd.DataFrame, warmup_day: float, colour: dict, replications: int
) -> None:
    measured_sail = sail[sail["depart_day"] >= warmup_day]
    g = measured_sail.groupby(measured_sail["segment"].astype(str), observed=True)
    util = 100 * g["containers"].sum() / g["capacity_containers"].sum()
    window = max(float(sailings["depart_day"].max()) - warmup_day, 1.0)
    per_week = g.size() / replications / window * 7
    bars = ax.barh(util.index, util.to_numpy(), color=[colour[s] for s in util.index], alpha=0.8)
    for bar, seg in zip(bars, util.index, strict=True):
        ax.text(
            2,
            bar.get_y() + bar.get_height() / 2,
            f"{bar.get_width():.0f}%, {per_week[seg]:.1f} sailings/wk",
            va="center",
            fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 1},
        )
    ax.set_xlim(0, 105)
    ax.invert_yaxis()


def _handling(ax: Axes, after: pd.DataFrame, servers: dict[str, int]) -> None:
    busy = after[after["metric"].eq("busy_servers")].groupby("location", observed=True)["value"].mean()
    if len(busy):
        nodes = [n for n in busy.index if servers.get(str(n))]
        share = pd.Series({n: 100 * busy[n] / servers[str(n)] for n in nodes}) if nodes else busy
        share = share.sort_values()
        colour = ["#d62728" if v >= 85 else "#e69f00" if v >= 60 else "#1f4e79" for v in share.to_numpy()]
        ax.barh(share.index.astype(str), share.to_numpy(), color=colour, alpha=0.85)
        for y, v in enumerate(share.to_numpy()):
            ax.text(v + 0.5, y, f"{v:.0f}%" if nodes else f"{v:.2f}", va="center", fontsize=8)
        ax.set_xlabel("handling utilisation: mean busy servers / servers (%)" if nodes else "mean busy servers")
        if nodes:
            ax.set_xlim(0, 110)
    else:
        empty(ax, "no handling servers")
    ax.set_title("Handling utilisation by node (red ≥ 85%, amber ≥ 60%)", loc="left")


def _lines(ax: Axes, after: pd.DataFrame) -> Text:
    waiting = after[after["metric"].eq("waiting_trains")].groupby("location", observed=True)["value"].mean()
    waiting = waiting.sort_values()
    if len(waiting) and waiting.max() > 0:
        ax.barh(waiting.index.astype(str), waiting.to_numpy(), color="#8e44ad", alpha=0.8)
        for y, v in enumerate(waiting.to_numpy()):
            ax.text(v, y, f" {v:.2g}", va="center", fontsize=8)
        ax.set_xlim(0, max(1.0, 1.15 * waiting.max()))  # a few thousandths of a train stay a sliver
        ax.set_xlabel("mean trains waiting")
    else:
        empty(ax, "no train waited for a path" if len(waiting) else "no line capacity limits")
        ax.set_xticks([])
        ax.set_yticks([])
    return ax.set_title("Line congestion:\ntrains waiting for a path", loc="left")
