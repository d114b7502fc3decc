"""Rolling-stock pools as pools: sets in use against the sets there are, and trains waiting for a set, over time."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from corridor_sim.plots.calendar import calendar_axis
from corridor_sim.plots.map import POOL_COLOURS, Pool
from corridor_sim.plots.style import (
    LEGEND_PAD,
    PANEL_GAP,
    TICKS_BELOW,
    TICKS_LEFT,
    TITLES_ABOVE,
    fixed_figure,
    num,
    place_grid,
    styled,
    top_title,
    widest,
)


@styled
def pool_utilisation(
    occupancy: pd.DataFrame, pools: list[Pool], warmup_day: float, title: str, start: str | None = None
) -> Figure:
    """Per pool (mean over replications, shaded min–max): sets in use with the pool's size as a dashed line, and
    trains waiting for a set; warm-up greyed, the means after warm-up in the legends."""
    fig = fixed_figure((12, 6.5))
    ax_busy, ax_wait = fig.subplots(2, 1, sharex=True)
    for i, pool in enumerate(pools):
        colour = POOL_COLOURS[i % len(POOL_COLOURS)]
        for ax, metric in ((ax_busy, "stock_in_use"), (ax_wait, "waiting_trains")):
            rows = occupancy[occupancy["metric"].eq(metric) & occupancy["location"].astype(str).eq(pool.name)]
            by_day = rows.groupby("day", observed=True)["value"]
            mean = by_day.mean()
            ax.fill_between(mean.index, by_day.min(), by_day.max(), color=colour, alpha=0.15, linewidth=0)
            if metric == "stock_in_use":
                share = 100 * pool.busy / max(pool.sets, 1)
                label = f"{pool.name}: {num(pool.busy)} of {pool.sets} sets busy ({share:.0f}%)"
                ax.axhline(pool.sets, color=colour, linestyle="--", linewidth=1.2)
            else:
                label = f"{pool.name}: {num(pool.waiting)} trains waiting (mean)"
            ax.plot(mean.index, mean.to_numpy(), color=colour, linewidth=1.4, label=label)
    for ax in (ax_busy, ax_wait):
        ax.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="mean after warm-up", title_fontsize=8)
    ax_busy.set_ylabel("sets in use")
    ax_busy.set_title("Sets in use (dashed: the pool's sets)", loc="left", fontsize=10)
    ax_wait.set_ylabel("trains")
    ax_wait.set_title("Trains waiting for a set", loc="left", fontsize=10)
    calendar_axis(ax_wait, start)
    right = widest(fig, [ax_busy.get_legend(), ax_wait.get_legend()]) + LEGEND_PAD  # the pools' names measured
    place_grid(fig, 2, 1, (TICKS_LEFT, right, TITLES_ABOVE, TICKS_BELOW), (PANEL_GAP, 0.0))
    top_title(fig, title)
    return fig
