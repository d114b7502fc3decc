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
    equal price + time cost through each point when `value_of_time` > 0."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"time-cost table lacks {', '.join(missing)}")
    fig = new_figure((10, 6.5))
    ax = fig.subplots()
    groups = (table["group"] if "group" in table.columns else table["alternative"]).astype(str)
    colours = scenario_colours(dict.fromkeys(groups))
    span = np.linspace(0, np.nanmax(table["p90_days"].to_numpy(float), initial=1.0) * 1.35, 50)  # room for labels
    for i, (group, (_, row)) in enumerate(zip(groups, table.iterrows(), strict=True)):
        colour, days, price = colours[group], row["mean_days"], row["price_per_teu"]
        xerr = [[max(days - row["p10_days"], 0)], [max(row["p90_days"] - days, 0)]]
        first = group not in groups.iloc[:i].to_list()
        legend = group if first else None
        ax.errorbar(days, price, xerr=xerr, fmt="o", color=colour, markersize=9, capsize=4, label=legend)
        scenario = str(row.get("scenario", row["alternative"]))
        where = str(row["alternative"]) + ("" if scenario == str(row["alternative"]) else f" ({scenario})")
        share = f", share {row['offered_share']:.0%}" if "offered_share" in row else ""
        label = f"{where}: {days:.1f} d, {price:,.0f}/TEU{share}"
        offset = (8, 8) if i % 2 == 0 else (8, -14)  # alternate above and below: neighbours' labels do not overprint
        ax.annotate(label, (days, price), textcoords="offset points", xytext=offset, fontsize=8, color=colour)
        if value_of_time:
            level = price + value_of_time * days
            ax.plot(span, level - value_of_time * span, color=colour, linestyle="--", linewidth=0.9, alpha=0.6)
    prices = table["price_per_teu"].to_numpy(float)
    ax.set_xlim(0, span[-1])
    ax.set_ylim(0, max(np.nanmax(prices, initial=0.0) * 1.35, 1.0))
    ax.set_xlabel("transit, days (mean; whiskers p10–p90)")
    ax.set_ylabel("price per TEU (USD)")
    if "group" in table.columns:
        ax.legend(loc="upper right", fontsize=8)
    note = f"; dashed: equal price + time cost at {value_of_time:,.0f} USD per TEU-day" if value_of_time else ""
    ax.set_title(f"{title}\nlower left is better{note}", loc="left", fontsize=10)
    if not len(table):
        ax.text(0.5, 0.5, "no corridor to draw", transform=ax.transAxes, ha="center")
    return fig
