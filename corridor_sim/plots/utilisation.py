"""How full the vessels sail, how busy the handling servers are and how often trains wait for a line path."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridor_sim.plots.style import SCENARIO_PALETTE, calendar_axis, empty, new_figure, styled


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
    fig = new_figure((13, 8))
    grid = fig.add_gridspec(2, 3, width_ratios=[2.2, 1, 1])
    ax_t = fig.add_subplot(grid[0, :2])
    ax_v = fig.add_subplot(grid[0, 2])
    ax_h = fig.add_subplot(grid[1, :2])
    ax_l = fig.add_subplot(grid[1, 2])
    _vessels(ax_t, ax_v, sailings, warmup_day, replications)
    calendar_axis(ax_t, start)
    after = occupancy[occupancy["day"] >= warmup_day]
    _handling(ax_h, after, servers)
    _lines(ax_l, after[~after["location"].astype(str).isin(set(pools))])
    fig.suptitle(title, fontweight="bold")
    return fig


def _vessels(ax_t: Axes, ax_v: Axes, sailings: pd.DataFrame, warmup_day: float, replications: int) -> None:
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
        ax_t.legend(
            title="segment (line: rolling mean of 20 sailings)",
            loc="lower right",  # above the axes, beside the title: no point hidden ("best" cost ~1 s a figure)
            bbox_to_anchor=(1.0, 1.0),
            ncol=3,
            fontsize=8,
            title_fontsize=8,
            frameon=True,
            framealpha=0.6,
            edgecolor="none",
        )
    else:
        empty(ax_t, "no sailings")
        empty(ax_v, "no sailings")
    ax_t.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
    ax_t.set_ylim(0, 105)
    ax_t.set_ylabel("load (% of capacity)")
    ax_t.set_title("Vessel load per sailing", loc="left")
    ax_v.set_xlabel("mean load (% of capacity)")
    ax_v.set_title("Vessel utilisation\n(after warm-up)", loc="left")


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


def _lines(ax: Axes, after: pd.DataFrame) -> None:
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
    ax.set_title("Line congestion:\ntrains waiting for a path", loc="left")
