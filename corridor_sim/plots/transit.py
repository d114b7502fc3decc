"""Transit-time distributions: one run's destinations (histogram, ECDF, box) and several scenarios side by side."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from corridor_sim.analysis import measured
from corridor_sim.plots.style import (
    SCENARIO_PALETTE,
    TICKS_BELOW,
    band_label,
    ecdf,
    empty,
    fixed_figure,
    fixed_grid,
    place_grid,
    scenario_colours,
    styled,
    widest,
    wrap_within,
)
from corridor_sim.plots.style import text as as_text

# a violin's kernel density costs (points × evaluation points): its shape is drawn from this many evenly spaced
# quantiles of the data, which a 100-point density curve cannot tell from the full sample
VIOLIN_POINTS = 2000
PLATE = {"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.8, "linewidth": 0}


@styled
def transit_distribution(containers: pd.DataFrame, bands: pd.DataFrame | None, title: str) -> Figure:
    """Histogram, ECDF and box plot of transit days per destination on one day axis, published bands shaded."""
    m = measured(containers)
    to = as_text(m["destination"])
    dests = sorted(to.unique())
    colours = dict(zip(dests, SCENARIO_PALETTE, strict=False))
    fig = fixed_figure((10, 8.5))
    ax_h, ax_e, ax_b = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 1.3])
    if len(m):
        by_dest = {d: m.loc[to.eq(d), "transit_days"].to_numpy() for d in dests}
        _histograms(ax_h, ax_e, by_dest, colours, max(m["transit_days"].max() * 1.05, 1))
        _boxes(ax_b, by_dest, colours)
    for _, band in (bands if bands is not None else pd.DataFrame()).iterrows():
        colour = colours.get(str(band["destination"]), "0.5")
        for ax in (ax_h, ax_e, ax_b):
            ax.axvspan(band["low_days"], band["high_days"], color=colour, alpha=0.12, zorder=0)
        ax_h.axvspan(
            band["low_days"],
            band["high_days"],
            facecolor="none",
            edgecolor=colour,
            linestyle="--",
            linewidth=1.0,
            label=f"published: {band_label(band)} ({band['low_days']:g}–{band['high_days']:g} d)",
        )
    ax_h.set_ylabel("containers delivered\n(all replications)")
    ax_h.set_title(title)
    if ax_h.get_legend_handles_labels()[0]:
        ax_h.legend(loc="upper right", frameon=True, framealpha=0.9, edgecolor="none")  # "best" cost ~1 s a figure
    if not len(m):
        empty(ax_h, "no container delivered in the measurement window")
    ax_e.set_ylabel("share delivered\nwithin x days")
    ax_e.set_ylim(0, 1.02)
    ax_b.set_xlabel("transit time, origin to destination (days)")
    ax_b.set_title("box: quartiles, whiskers p5–p95", fontsize=9, fontweight="normal", loc="left")
    ax_b.set_xlim(left=0)
    ax_b.set_yticks(ax_b.get_yticks(), wrap_within(fig, ax_b.get_yticklabels(), NAMES * fig.get_size_inches()[0]))
    left = max(LEFT, widest(fig, ax_b.get_yticklabels()) + LABEL_PAD)  # the destinations' names measured
    place_grid(fig, 3, 1, (left, RIGHT, TOP, TICKS_BELOW), (ROW_GAP, 0.0))
    return fig


# fixed margins in inches: numbers and a two-line label on the left, the title above, numbers and a label below, a
# small panel title between panels; a number at the day axis's end may pass the axes on the right
LEFT, RIGHT, TOP, ROW_GAP = 1.0, 0.3, 0.4, 0.32  # and style's TICKS_BELOW
LABEL_PAD, LEGEND_PAD = 0.2, 0.2  # beside the names (tick and edge); beside a legend (gap and edge)
NAMES, LEGEND = 0.25, 0.3  # the widest names and legend (shares of the figure's width) before they wrap


def _histograms(ax_h: Axes, ax_e: Axes, by_dest: dict[str, np.ndarray], colours: dict, top: float) -> None:
    bins = np.linspace(0, top, 70)
    for dest, days in by_dest.items():
        label = f"to {dest}: median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d (n={len(days)})"
        ax_h.hist(days, bins=bins, color=colours[dest], alpha=0.35, histtype="stepfilled")
        ax_h.hist(days, bins=bins, color=colours[dest], histtype="step", linewidth=1.5, label=label)
        ecdf(ax_e, days, color=colours[dest], linewidth=1.8, label=f"to {dest}")


def _boxes(ax: Axes, by_dest: dict[str, np.ndarray], colours: dict) -> None:
    dests = list(by_dest)[::-1]
    box = ax.boxplot(
        [by_dest[d] for d in dests],
        orientation="horizontal",
        whis=(5, 95),
        showfliers=False,
        widths=0.55,
        patch_artist=True,
        medianprops={"color": "black", "linewidth": 1.5},
    )
    for patch, dest in zip(box["boxes"], dests, strict=True):
        patch.set(facecolor=colours[dest], alpha=0.6)
    ax.set_yticks(range(1, len(dests) + 1), [f"to {d}" for d in dests])


def _rows(containers: dict[str, pd.DataFrame], destination: str | None) -> list[tuple[str, str, np.ndarray]]:
    """(scenario, destination, measured transit days) for each row of the comparison, in drawing order."""
    rows = []
    for name, frame in containers.items():
        m = measured(frame)
        to = as_text(m["destination"])
        for dest in [destination] if destination is not None else sorted(to.unique()):
            rows.append((name, str(dest), m.loc[to.eq(str(dest)), "transit_days"].to_numpy()))
    return rows


@styled
def compare_distributions(containers: dict[str, pd.DataFrame], bands: pd.DataFrame, destination: str | None) -> Figure:
    """Several scenarios' transit days side by side: ECDFs overlaid, one violin + box per scenario, with each
    scenario's published band drawn in its colour. `destination=None` shows every destination (one row each)."""
    colours = scenario_colours(containers)
    rows = _rows(containers, destination)
    multi = destination is None and len({d for _, d, _ in rows}) > 1
    fig = fixed_figure((13, 4 + 0.55 * len(rows)))
    ax_e, ax_v = fig.subplots(2, 1, sharex=True, height_ratios=[3, max(1.5, 0.55 * len(rows))])
    styles = ["-", "--", ":", "-."]
    dest_style = {d: styles[i % len(styles)] for i, d in enumerate(dict.fromkeys(d for _, d, _ in rows))}
    for i, (name, dest, days) in enumerate(rows):
        y = len(rows) - i
        label = f"{name} → {dest}" if multi else name
        if len(days) == 0:
            ax_v.text(0.01, y, "  no deliveries", va="center", color="0.4", transform=ax_v.get_yaxis_transform())
            continue
        stats = f"median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d"
        style = dest_style[dest] if multi else "-"
        ecdf(ax_e, days, color=colours[name], linewidth=2, linestyle=style, label=f"{label} ({stats})")
        _violin(ax_v, days, y, colours[name])
    for i, (name, dest, _) in enumerate(rows):
        sel = bands[bands["scenario"].astype(str).eq(name)] if len(bands) else bands
        if len(sel):
            sel = sel[sel["destination"].astype(str).eq(dest)]
        _band(ax_e, ax_v, sel, len(rows) - i, name, colours[name])
    ax_v.set_yticks([len(rows) - i for i in range(len(rows))], [f"{n} → {d}" if multi else n for n, d, _ in rows])
    ax_v.set_ylim(0.4, len(rows) + 0.6)
    ax_v.set_xlabel("transit time (days)")
    ax_v.set_title(
        "violin: distribution; box: quartiles, whiskers p5–p95; dashed box: published band",
        fontsize=9,
        fontweight="normal",
        loc="left",
    )
    ax_e.set_ylabel("share of containers delivered\nwithin x days")
    ax_e.set_ylim(0, 1.02)
    ax_e.set_xlim(left=0)
    where = "all destinations" if destination is None else f"to {destination}"
    ax_e.set_title(f"Transit time by scenario, {where}")
    legend = ax_e.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    width = fig.get_size_inches()[0]
    for text, label in zip(legend.get_texts(), wrap_within(fig, legend.get_texts(), LEGEND * width), strict=True):
        text.set_text(label)
    ax_v.set_yticks(ax_v.get_yticks(), wrap_within(fig, ax_v.get_yticklabels(), NAMES * width))
    left = max(LEFT, widest(fig, ax_v.get_yticklabels()) + LABEL_PAD)  # the scenarios' names measured, and
    right = widest(fig, [legend]) + LEGEND_PAD + 0.01 * width  # the legend (its anchor at 1.01)
    place_grid(fig, 2, 1, (left, right, TOP, TICKS_BELOW), (ROW_GAP, 0.0))
    return fig


def _violin(ax: Axes, days: np.ndarray, y: float, colour: str) -> None:
    if len(days) > 1 and np.ptp(days) > 0:
        shape = np.quantile(days, np.linspace(0, 1, VIOLIN_POINTS)) if len(days) > VIOLIN_POINTS else days
        parts = ax.violinplot([shape], positions=[y], orientation="horizontal", widths=0.8, showextrema=False)
        for body in parts["bodies"]:
            body.set(facecolor=colour, edgecolor=colour, alpha=0.45)
    ax.boxplot(
        [days],
        positions=[y],
        orientation="horizontal",
        widths=0.18,
        whis=(5, 95),
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "white", "edgecolor": "black"},
        medianprops={"color": "black", "linewidth": 2},
    )


def _band(ax_e: Axes, ax_v: Axes, bands: pd.DataFrame, y: float, name: str, colour: str) -> None:
    """A scenario's published band: a dashed box on its violin row and a shaded span on the ECDF."""
    for _, band in bands.iterrows():
        low, high = band["low_days"], band["high_days"]
        ax_v.add_patch(
            Rectangle(
                (low, y - 0.45),
                high - low,
                0.9,
                facecolor=to_rgba(colour, 0.15),
                edgecolor=colour,
                linestyle="--",
                linewidth=1.2,
                zorder=0,
            )
        )
        label = f"{name}, published: {band_label(band)} ({low:g}–{high:g} d)"
        ax_e.axvspan(
            low, high, color=colour, alpha=0.13, zorder=0, label=textwrap.fill(label, 42, subsequent_indent="  ")
        )


@styled
def compare_destinations(containers: dict[str, pd.DataFrame], bands: pd.DataFrame, destinations: list[str]) -> Figure:
    """Every destination in a small panel of its own (in the order given, the headline first): each scenario's ECDF
    in its colour, its published band shaded in the same colour, and its median and p90 written in the panel's empty
    lower right, so one look shows which destinations a change helps and by how much."""
    colours = scenario_colours(containers)
    n = max(len(destinations), 1)
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = math.ceil(n / cols)
    fig = fixed_figure((13, 1.45 + 2.55 * rows))
    grid = fixed_grid(fig, rows, cols, (0.85, 0.25, 1.05, 0.55), (0.75, 0.45), sharey=True)
    measured_by = {name: measured(frame) for name, frame in containers.items()}
    for i, ax in enumerate(grid.flat):
        if i >= len(destinations):
            ax.remove()
            continue
        _destination_panel(ax, measured_by, bands, destinations[i], colours)
        if i % cols == 0:
            ax.set_ylabel("share delivered\nwithin x days")
        if i + cols >= len(destinations):  # nothing drawn below it: it carries the day axis's label
            ax.set_xlabel("transit time (days)")
    handles = [Line2D([], [], color=colours[name], linewidth=2, label=name) for name in containers]
    handles.append(Patch(facecolor="0.5", alpha=0.25, label="published band (in the scenario's colour)"))
    height = fig.get_size_inches()[1]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.42 / height), ncol=len(handles))
    title = "Transit time by scenario, every destination they share (figures: median / p90 days)"
    fig.suptitle(title, y=1 - 0.1 / height, va="top", fontsize=12, fontweight="bold")
    return fig


def _destination_panel(
    ax: Axes, measured_by: dict[str, pd.DataFrame], bands: pd.DataFrame, destination: str, colours: dict[str, str]
) -> None:
    lines = []
    for name, m in measured_by.items():
        days = m.loc[as_text(m["destination"]).eq(destination), "transit_days"].to_numpy()
        mine = bands[bands["scenario"].astype(str).eq(name) & bands["destination"].astype(str).eq(destination)]
        for band in mine.itertuples(index=False):
            ax.axvspan(band.low_days, band.high_days, color=colours[name], alpha=0.13, zorder=0)
        if len(days):
            ecdf(ax, days, color=colours[name], linewidth=1.8)
            lines.append((f"{np.median(days):.1f} / {np.percentile(days, 90):.1f} d", colours[name]))
        else:
            lines.append(("no deliveries", colours[name]))
    for k, (label, colour) in enumerate(lines):
        y = 0.06 + 0.11 * (len(lines) - 1 - k)
        ax.text(
            0.98, y, label, transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5, color=colour, bbox=PLATE
        )  # on a white plate: a curve that starts late may cross the corner
    ax.set_title(f"to {destination}", fontsize=10.5, loc="left")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
