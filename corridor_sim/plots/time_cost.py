"""Corridors on one time-cost plane: what a shipper trades, days against money, for one year's market.

Each corridor is a point at its mean transit (whiskers p10-p90) and its price per TEU; with a value of time, dashed
lines of equal price + time cost (price + value of time x days) show which corridor a shipper of that value prefers:
a corridor below-left of another's line is cheaper all told. Drawn from a table only (`shares.csv` of `choice`, or
any table with the same columns).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from corridor_sim.analysis import measured
from corridor_sim.plots.style import fixed_figure, fixed_grid, scenario_colours, styled

COLUMNS = ("alternative", "mean_days", "p10_days", "p90_days", "price_per_teu")
MARKER, CAP = 9, 4  # marker size and whisker cap, points
# where a label may go around its point: (dx, dy) in points and its alignment, nearest first
PLACES = [
    (dx * r, dy * r, ha, va)
    for r in (1.0, 2.2, 3.6)
    for dx, dy, ha, va in (
        (7, 6, "left", "bottom"),
        (7, -6, "left", "top"),
        (-7, 6, "right", "bottom"),
        (-7, -6, "right", "top"),
        (0, 9, "center", "bottom"),
        (0, -9, "center", "top"),
    )
]


def corridor_points(containers: Mapping[str, pd.DataFrame], teu_per_container: Mapping[str, float]) -> pd.DataFrame:
    """One point per scenario and destination whose measured delivered containers carry a price (`price_usd`, per
    container, from the scenario's charges): mean and p10/p90 days, mean price per TEU. Empty when none do."""
    rows = []
    for name, frame in containers.items():
        if "price_usd" not in frame.columns:
            continue
        for dest, group in measured(frame).groupby("destination", observed=True):
            price = group["price_usd"].dropna()
            if not len(price):
                continue
            days = group["transit_days"].to_numpy(float)
            p10, p90 = np.percentile(days, [10, 90])
            rows.append(
                {
                    "alternative": str(dest),
                    "group": name,
                    "mean_days": float(days.mean()),
                    "p10_days": p10,
                    "p90_days": p90,
                    "price_per_teu": float(price.mean()) / teu_per_container[name],
                }
            )
    return pd.DataFrame(rows, columns=[*COLUMNS, "group"])


@styled
def time_cost_plane(table: pd.DataFrame, title: str, value_of_time: float | None = None) -> Figure:
    """One point per row (`alternative`, `mean_days`, `p10_days`, `p90_days`, `price_per_teu`; optional `group`, the
    colour and legend entry (a comparison's scenario), `scenario` and `offered_share`, shown in the label); lines of
    equal price + time cost through each point when `value_of_time` > 0.

    Many scenarios x destinations crowd one price level, so a destination's points at one price share one label
    (name and price, beside the row) and each point is labelled with its days only; every label takes the first place
    near its anchor that covers no other label, marker, whisker or the legend."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"time-cost table lacks {', '.join(missing)}")
    fig = fixed_figure((10, 6.5))  # fixed margins, at the saved resolution: labels are placed as they will be drawn
    ax = fixed_grid(fig, 1, 1, (0.85, 0.25, 0.7, 0.6), (0.0, 0.0))[0, 0]
    groups = (table["group"] if "group" in table.columns else table["alternative"]).astype(str)
    colours = scenario_colours(dict.fromkeys(groups))
    span = np.linspace(0, np.nanmax(table["p90_days"].to_numpy(float), initial=1.0) * 1.35, 50)  # room for labels
    for i, (group, (_, row)) in enumerate(zip(groups, table.iterrows(), strict=True)):
        colour, days, price = colours[group], row["mean_days"], row["price_per_teu"]
        xerr = [[max(days - row["p10_days"], 0)], [max(row["p90_days"] - days, 0)]]
        first = group not in groups.iloc[:i].to_list()
        legend = group if first else None
        ax.errorbar(days, price, xerr=xerr, fmt="o", color=colour, markersize=MARKER, capsize=CAP, label=legend)
        if value_of_time:
            level = price + value_of_time * days
            ax.plot(span, level - value_of_time * span, color=colour, linestyle="--", linewidth=0.9, alpha=0.6)
    prices = table["price_per_teu"].to_numpy(float)
    ax.set_xlim(0, span[-1])
    ax.set_ylim(0, max(np.nanmax(prices, initial=0.0) * 1.35, 1.0))
    ax.set_xlabel("transit, days (mean; whiskers p10–p90)")
    ax.set_ylabel("price per TEU (USD)")
    legend = ax.legend(loc="upper right", fontsize=8) if "group" in table.columns else None
    note = f"; dashed: equal price + time cost at {value_of_time:,.0f} USD per TEU-day" if value_of_time else ""
    ax.set_title(f"{title}\nlower left is better{note}", loc="left", fontsize=10)
    if not len(table):
        ax.text(0.5, 0.5, "no corridor to draw", transform=ax.transAxes, ha="center")
    _label(ax, table.assign(colour=[colours[g] for g in groups]), legend)
    return fig


def rows_of(table: pd.DataFrame) -> list[pd.DataFrame]:
    """The table's points in rows: one destination (alternative, and scenario if given) at one price, within 3%."""
    keys = table["alternative"].astype(str)
    if "scenario" in table.columns:
        keys = keys + " (" + table["scenario"].astype(str) + ")"
    rows = []
    for key in dict.fromkeys(keys):
        points = table[keys.eq(key)].sort_values("price_per_teu")
        start = 0
        prices = points["price_per_teu"].to_numpy(float)
        for i in range(1, len(points) + 1):
            if i == len(points) or prices[i] > prices[start] * 1.03:
                rows.append(points.iloc[start:i].assign(where=key))
                start = i
    return rows


def _label(ax: Axes, table: pd.DataFrame, legend) -> None:
    """A lone point gets one label (name, days, price); a row of points a label beside it and its days at each."""
    renderer = ax.figure.canvas.get_renderer()
    px = ax.figure.dpi / 72
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    for r in table.itertuples():
        (x, y), (x10, _), (x90, _) = ax.transData.transform(
            [(r.mean_days, r.price_per_teu), (r.p10_days, 0), (r.p90_days, 0)]
        )
        size = (MARKER / 2 + 1) * px
        taken += [Bbox([[x - size, y - size], [x + size, y + size]]), Bbox([[x10, y - CAP * px], [x90, y + CAP * px]])]
    placer = Placer(ax, renderer, taken)
    rows = rows_of(table)
    for row in rows:
        if len(row) > 1:
            low, high = row["price_per_teu"].min(), row["price_per_teu"].max()
            price = f"{low:,.0f}/TEU" if round(low) == round(high) else f"{low:,.0f}–{high:,.0f}/TEU"
            level = float(row["price_per_teu"].mean())
            left, right = (float(row["p10_days"].min()), level), (float(row["p90_days"].max()), level)
            places = [(left, -6, 0, "right", "center"), (right, 6, 0, "left", "center")]
            places += [((float(row["mean_days"].mean()), level), *p) for p in PLACES]
            placer.place(f"{row['where'].iloc[0]}: {price}", places, color="0.2", fontweight="bold")
    for row in rows:
        for r in row.itertuples():
            share = f", share {r.offered_share:.0%}" if hasattr(r, "offered_share") else ""
            text = (
                f"{r.mean_days:.1f} d{share}"
                if len(row) > 1
                else f"{r.where}: {r.mean_days:.1f} d, {r.price_per_teu:,.0f}/TEU{share}"
            )
            placer.place(text, [((r.mean_days, r.price_per_teu), *p) for p in PLACES], color=r.colour)


class Placer:
    """Greedy label placement: each label goes to the first of its candidate places that stays inside the axes and
    covers nothing already there (else to the place that covers least); a label set away from its anchor gets a
    leader line."""

    def __init__(self, ax: Axes, renderer, taken: list[Bbox]) -> None:
        self.ax, self.renderer, self.taken = ax, renderer, taken
        self.frame = ax.get_window_extent(renderer)
        self.px = ax.figure.dpi / 72

    def place(self, text: str, places: list[tuple], **kw) -> None:
        """`places`: (anchor in data, dx, dy in points, ha, va), in order of preference."""
        probe = self.ax.annotate(text, (0, 0), fontsize=8, **kw)
        size = probe.get_window_extent(self.renderer)  # the same wherever the label goes
        probe.remove()
        best, best_cover = None, np.inf
        for anchor, dx, dy, ha, va in places:
            x, y = self.ax.transData.transform(anchor)
            x0 = x + dx * self.px - {"left": 0, "center": 0.5, "right": 1}[ha] * size.width
            y0 = y + dy * self.px - {"bottom": 0, "center": 0.5, "top": 1}[va] * size.height
            box = Bbox.from_bounds(x0, y0, size.width, size.height)
            f = self.frame
            inside = f.x0 <= box.x0 and box.x1 <= f.x1 and f.y0 <= box.y0 and box.y1 <= f.y1
            cover = sum(_overlap(box, other) for other in self.taken) if inside else np.inf
            if best is None or cover < best_cover:
                best, best_cover = (anchor, dx, dy, ha, va, box), cover
            if cover == 0:
                break
        anchor, dx, dy, ha, va, box = best
        leader = {"arrowstyle": "-", "color": kw.get("color", "0.3"), "linewidth": 0.6, "shrinkA": 1, "shrinkB": 5}
        self.ax.annotate(
            text,
            anchor,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=8,
            arrowprops=leader if np.hypot(dx, dy) > 12 else None,
            **kw,
        )
        self.taken.append(box)


def _overlap(a: Bbox, b: Bbox) -> float:
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
