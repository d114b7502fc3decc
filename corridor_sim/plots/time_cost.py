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
from matplotlib.figure import Figure

from corridor_sim.analysis import measured
from corridor_sim.plots.style import new_figure, scenario_colours, styled

COLUMNS = ("alternative", "mean_days", "p10_days", "p90_days", "price_per_teu")


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
                    "alternative": f"{name} → {dest}",
                    "mean_days": float(days.mean()),
                    "p10_days": p10,
                    "p90_days": p90,
                    "price_per_teu": float(price.mean()) / teu_per_container[name],
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


@styled
def time_cost_plane(table: pd.DataFrame, title: str, value_of_time: float | None = None) -> Figure:
    """One point per row (`alternative`, `mean_days`, `p10_days`, `p90_days`, `price_per_teu`; optional
    `offered_share`, shown in the label); iso-generalised-cost lines through each point when `value_of_time` > 0."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"time-cost table lacks {', '.join(missing)}")
    fig = new_figure((9, 6))
    ax = fig.subplots()
    colours = scenario_colours(table["alternative"].astype(str))
    days = table["mean_days"].to_numpy(float)
    span = np.linspace(0, np.nanmax(table["p90_days"].to_numpy(float)) * 1.35, 50)  # room for the labels
    for _, row in table.iterrows():
        name = str(row["alternative"])
        colour = colours[name]
        low, high = row["mean_days"] - row["p10_days"], row["p90_days"] - row["mean_days"]
        ax.errorbar(
            row["mean_days"],
            row["price_per_teu"],
            xerr=[[max(low, 0)], [max(high, 0)]],
            fmt="o",
            color=colour,
            markersize=9,
            capsize=4,
        )
        share = f", share {row['offered_share']:.0%}" if "offered_share" in row else ""
        label = (
            f"{name} ({row.get('scenario', name)}): {row['mean_days']:.1f} d, {row['price_per_teu']:,.0f}/TEU{share}"
        )
        ax.annotate(label, (row["mean_days"], row["price_per_teu"]), textcoords="offset points", xytext=(8, 8))
        if value_of_time:
            level = row["price_per_teu"] + value_of_time * row["mean_days"]
            ax.plot(span, level - value_of_time * span, color=colour, linestyle="--", linewidth=0.9, alpha=0.6)
    prices = table["price_per_teu"].to_numpy(float)
    ax.set_xlim(0, span[-1])
    ax.set_ylim(0, max(np.nanmax(prices) * 1.35, 1.0) if len(prices) else 1.0)
    ax.set_xlabel("transit, days (mean; whiskers p10–p90)")
    ax.set_ylabel("price per TEU (USD)")
    note = f"; dashed: equal price + time cost at {value_of_time:,.0f} USD per TEU-day" if value_of_time else ""
    ax.set_title(f"{title}\nlower left is better{note}", loc="left", fontsize=10)
    if not len(days):
        ax.text(0.5, 0.5, "no corridor to draw", transform=ax.transAxes, ha="center")
    return fig
