"""Plots drawn from result tables only, so a results directory can be re-plotted without re-running.

Every figure shares one look: a scenario keeps its colour in every plot, a corridor section keeps its colour, and
the moving / handling / waiting split is always solid / dotted / hatched. Functions take DataFrames (the CSVs of a
results directory) and a path, write one PNG and return the path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import wraps
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from corridor_sim.analysis import measured  # noqa: E402

SECTION_ORDER = ("China", "KZ border", "KZ rail", "Caspian port wait", "Caspian crossing", "Azerbaijan", "Georgia",
                 "Black Sea / Türkiye", "Europe")
_SECTION_PALETTE = ("#c0392b", "#e67e22", "#f1c40f", "#16a085", "#2980b9", "#8e44ad", "#2c3e50", "#d35400",
                    "#27ae60", "#7f8c8d", "#bc8f8f", "#6b8e23", "#4682b4", "#cd5c5c", "#9acd32", "#708090")
# Okabe-Ito (colour-blind safe); the bundled scenarios get fixed colours so they match across every report.
_SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_KNOWN_SCENARIOS = {"baseline_2022": "#D55E00", "current_2023": "#0072B2", "target": "#009E73"}
STATE_STYLE = {"moving": {"alpha": 1.0, "hatch": ""},
               "handling": {"alpha": 0.75, "hatch": "...."},
               "waiting": {"alpha": 0.45, "hatch": "////"}}
STATE_COLOURS = {"moving": "#1f4e79", "handling": "#e69f00", "waiting": "#d62728"}
STYLE = {"font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
         "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "0.88",
         "grid.linewidth": 0.7, "axes.axisbelow": True, "legend.fontsize": 8, "legend.frameon": False,
         "figure.facecolor": "white", "savefig.facecolor": "white", "font.family": "DejaVu Sans"}
DPI = 120


def _styled(func):
    """Draw inside the shared style and close the figure whatever happens (Agg figures otherwise pile up)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            try:
                return func(*args, **kwargs)
            finally:
                plt.close("all")
    return wrapper


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path


def scenario_colours(names: Iterable[str]) -> dict[str, str]:
    """A fixed colour for the bundled scenarios, the palette in order for the others."""
    free = [c for c in _SCENARIO_PALETTE if c not in _KNOWN_SCENARIOS.values()] + list(_KNOWN_SCENARIOS.values())
    out: dict[str, str] = {}
    for name in names:
        if name in out:
            continue
        out[name] = _KNOWN_SCENARIOS.get(name) or free[len([n for n in out if n not in _KNOWN_SCENARIOS])
                                                         % len(free)]
    return out


def section_order(sections: Iterable[str], routes: pd.DataFrame | None = None) -> list[str]:
    """Corridor order: the canonical sections first, then any others in route order (or first appearance)."""
    present = list(dict.fromkeys(str(s) for s in sections))
    known = [s for s in SECTION_ORDER if s in present]
    route_seq: list[str] = []
    if routes is not None and len(routes):
        route_seq = list(dict.fromkeys(routes.sort_values(["flow", "seq"])["section"].astype(str)))
    rest = [s for s in present if s not in SECTION_ORDER]
    rest.sort(key=lambda s: route_seq.index(s) if s in route_seq else len(route_seq) + present.index(s))
    return known + rest


def section_colours(order: Sequence[str]) -> dict[str, str]:
    """Canonical sections keep their colour whichever subset is shown; others take the remaining colours."""
    out = {s: _SECTION_PALETTE[SECTION_ORDER.index(s)] for s in order if s in SECTION_ORDER}
    extra = [s for s in order if s not in SECTION_ORDER]
    for i, s in enumerate(extra):
        out[s] = _SECTION_PALETTE[(len(SECTION_ORDER) + i) % len(_SECTION_PALETTE)]
    return out


def _band_label(band: pd.Series) -> str:
    return str(band["label"]) if isinstance(band["label"], str) and band["label"] else f"to {band['destination']}"


def _ecdf(ax: plt.Axes, days: np.ndarray, **kw) -> None:
    x = np.sort(days)
    ax.step(np.concatenate([[x[0]], x]), np.concatenate([[0.0], np.arange(1, len(x) + 1) / len(x)]), where="post",
            **kw)


def _empty(ax: plt.Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


# ---------------------------------------------------------------------------------------------------------- transit

@_styled
def transit_distribution(containers: pd.DataFrame, bands: pd.DataFrame | None, title: str, path: Path) -> Path:
    """Histogram, ECDF and box plot of transit days per destination on one day axis, published bands shaded."""
    m = measured(containers)
    dests = sorted(m["destination"].astype(str).unique())
    colours = dict(zip(dests, _SCENARIO_PALETTE, strict=False))
    fig, (ax_h, ax_e, ax_b) = plt.subplots(3, 1, figsize=(10, 8.5), sharex=True, constrained_layout=True,
                                           gridspec_kw={"height_ratios": [3, 2, 1.3]})
    if len(m):
        bins = np.linspace(0, max(m["transit_days"].max() * 1.05, 1), 70)
        for dest in dests:
            days = m.loc[m["destination"].astype(str).eq(dest), "transit_days"].to_numpy()
            label = f"to {dest}: median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d (n={len(days)})"
            ax_h.hist(days, bins=bins, color=colours[dest], alpha=0.35)
            ax_h.hist(days, bins=bins, color=colours[dest], histtype="step", linewidth=1.5, label=label)
            _ecdf(ax_e, days, color=colours[dest], linewidth=1.8, label=f"to {dest}")
        data = [m.loc[m["destination"].astype(str).eq(d), "transit_days"].to_numpy() for d in dests[::-1]]
        box = ax_b.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False, widths=0.55,
                           patch_artist=True, medianprops={"color": "black", "linewidth": 1.5})
        for patch, dest in zip(box["boxes"], dests[::-1], strict=True):
            patch.set(facecolor=colours[dest], alpha=0.6)
        ax_b.set_yticks(range(1, len(dests) + 1), [f"to {d}" for d in dests[::-1]])
    else:
        _empty(ax_h, "no delivered containers in the measurement window")
    if bands is not None:
        for _, band in bands.iterrows():
            colour = colours.get(str(band["destination"]), "0.5")
            for ax in (ax_h, ax_e, ax_b):
                ax.axvspan(band["low_days"], band["high_days"], color=colour, alpha=0.12, zorder=0)
            ax_h.axvspan(band["low_days"], band["high_days"], facecolor="none", edgecolor=colour, linestyle="--",
                         linewidth=1.0, label=f"published: {_band_label(band)} ({band['low_days']:g}–"
                                                f"{band['high_days']:g} d)")
    ax_h.set_ylabel("containers delivered\n(all replications)")
    ax_h.set_title(title)
    ax_h.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="none")
    ax_e.set_ylabel("share delivered\nwithin x days")
    ax_e.set_ylim(0, 1.02)
    ax_b.set_xlabel("transit time, origin to destination (days)")
    ax_b.set_title("box: quartiles, whiskers p5–p95", fontsize=9, fontweight="normal", loc="left")
    ax_b.set_xlim(left=0)
    return _save(fig, path)


@_styled
def compare_distributions(containers: dict[str, pd.DataFrame], bands: pd.DataFrame, destination: str | None,
                          path: Path) -> Path:
    """Several scenarios' transit days side by side: ECDFs overlaid, one violin + box per scenario, with each
    scenario's published band drawn in its colour. `destination=None` shows every destination (one row each)."""
    colours = scenario_colours(containers)
    rows: list[tuple[str, str | None, np.ndarray]] = []
    for name, frame in containers.items():
        m = measured(frame)
        dests = [destination] if destination is not None else sorted(m["destination"].astype(str).unique())
        for dest in dests:
            days = m.loc[m["destination"].astype(str).eq(str(dest)), "transit_days"].to_numpy()
            rows.append((name, dest, days))
    multi = destination is None and len({d for _, d, _ in rows}) > 1
    height = 4 + 0.55 * len(rows)
    fig, (ax_e, ax_v) = plt.subplots(2, 1, figsize=(11, height), sharex=True, constrained_layout=True,
                                     gridspec_kw={"height_ratios": [3, max(1.5, 0.55 * len(rows))]})
    styles = ["-", "--", ":", "-."]
    dest_style = {d: styles[i % len(styles)] for i, d in enumerate(dict.fromkeys(d for _, d, _ in rows))}
    labels = []
    for i, (name, dest, days) in enumerate(rows):
        y = len(rows) - i
        label = f"{name} → {dest}" if multi else name
        labels.append((y, label))
        if len(days) == 0:
            ax_v.text(0.01, y, "  no deliveries", va="center", color="0.4", transform=ax_v.get_yaxis_transform())
            continue
        stats = f"median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d"
        _ecdf(ax_e, days, color=colours[name], linewidth=2, linestyle=dest_style[dest] if multi else "-",
              label=f"{label} ({stats})")
        if len(days) > 1 and np.ptp(days) > 0:
            parts = ax_v.violinplot([days], positions=[y], orientation="horizontal", widths=0.8, showextrema=False)
            for body in parts["bodies"]:
                body.set(facecolor=colours[name], edgecolor=colours[name], alpha=0.45)
        ax_v.boxplot([days], positions=[y], orientation="horizontal", widths=0.18, whis=(5, 95), showfliers=False,
                     patch_artist=True, boxprops={"facecolor": "white", "edgecolor": "black"},
                     medianprops={"color": "black", "linewidth": 2})
    for i, (name, dest, _) in enumerate(rows):
        y = len(rows) - i
        sel = bands[bands["scenario"].astype(str).eq(name)] if len(bands) else bands
        if dest is not None and len(sel):
            sel = sel[sel["destination"].astype(str).eq(str(dest))]
        for _, band in sel.iterrows():
            ax_v.add_patch(Rectangle((band["low_days"], y - 0.45), band["high_days"] - band["low_days"], 0.9,
                                     facecolor=colours[name], alpha=0.12, edgecolor=colours[name], linestyle="--",
                                     linewidth=1.2, zorder=0))
            ax_e.axvspan(band["low_days"], band["high_days"], color=colours[name], alpha=0.10, zorder=0,
                         label=f"published band, {name}: {_band_label(band)} ({band['low_days']:g}–"
                               f"{band['high_days']:g} d)")
    ax_v.set_yticks([y for y, _ in labels], [lab for _, lab in labels])
    ax_v.set_ylim(0.4, len(rows) + 0.6)
    ax_v.set_xlabel("transit time (days)")
    ax_v.set_title("violin: distribution; box: quartiles, whiskers p5–p95; dashed box: published band", fontsize=9,
                   fontweight="normal", loc="left")
    ax_e.set_ylabel("share of containers delivered\nwithin x days")
    ax_e.set_ylim(0, 1.02)
    ax_e.set_xlim(left=0)
    where = "all destinations" if destination is None else f"to {destination}"
    ax_e.set_title(f"Transit time by scenario, {where}")
    ax_e.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="none")
    return _save(fig, path)


# ---------------------------------------------------------------------------------------------------------- sections

def _stacked_sections(ax: plt.Axes, means: pd.DataFrame, bar: str, routes: pd.DataFrame | None) -> list[Patch]:
    """Horizontal bars (one per value of `bar`), sections left to right in corridor order, states shaded."""
    totals = means.groupby([bar, "section", "state"], as_index=False, sort=False)["days"].sum()
    order = section_order(totals["section"], routes)
    colours = section_colours(order)
    bars = list(dict.fromkeys(totals[bar].astype(str)))
    states = [s for s in STATE_STYLE if s in set(totals["state"])]
    grand = totals.groupby(totals[bar].astype(str))["days"].sum()
    for i, name in enumerate(bars):
        y = len(bars) - 1 - i
        left = 0.0
        mine = totals[totals[bar].astype(str).eq(name)].set_index(["section", "state"])["days"]
        for section in order:
            start = left
            for state in states:
                days = float(mine.get((section, state), 0.0))
                if days <= 0:
                    continue
                ax.barh(y, days, left=left, height=0.62, color=colours[section], alpha=STATE_STYLE[state]["alpha"],
                        hatch=STATE_STYLE[state]["hatch"], edgecolor="white", linewidth=0.6)
                left += days
            if left - start > 0.06 * max(grand.max(), 1e-9):
                ax.text((start + left) / 2, y, f"{left - start:.1f}", ha="center", va="center", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "linewidth": 0})
        ax.text(left + grand.max() * 0.01, y, f"{left:.1f} d", va="center", fontsize=9, fontweight="bold")
    ax.set_yticks(range(len(bars) - 1, -1, -1), bars)
    ax.set_xlim(0, max(grand.max(), 1e-9) * 1.1)
    ax.set_xlabel("mean days per delivered container")
    handles = [Patch(facecolor=colours[s], label=s) for s in order]
    handles += [Patch(facecolor="0.55", alpha=STATE_STYLE[s]["alpha"], hatch=STATE_STYLE[s]["hatch"],
                      edgecolor="white", label=s) for s in states]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(6, len(handles)),
              fontsize=8.5)
    return handles


@_styled
def section_bars(means: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Where the days go: one stacked bar per scenario, corridor sections in order, moving/handling/waiting shaded.
    `means` has columns scenario, section, state, days (already restricted to one destination)."""
    n = means["scenario"].nunique()
    fig, ax = plt.subplots(figsize=(12, 3.2 + 0.75 * n), constrained_layout=True)
    if len(means):
        _stacked_sections(ax, means, "scenario", None)
    else:
        _empty(ax, "no section records")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "Where the days go: mean days per corridor section")
    return _save(fig, path)


@_styled
def section_breakdown(sections: pd.DataFrame, routes: pd.DataFrame | None, title: str, path: Path) -> Path:
    """One run's days per section, one bar per destination (means over replications)."""
    reps = max(sections["replication"].nunique(), 1)
    means = (sections.groupby(["destination", "section", "state"], as_index=False)["days"].sum()
             .assign(days=lambda d: d["days"] / reps, destination=lambda d: "to " + d["destination"].astype(str)))
    n = means["destination"].nunique()
    fig, ax = plt.subplots(figsize=(12, 3.2 + 0.75 * max(n, 1)), constrained_layout=True)
    if len(means):
        _stacked_sections(ax, means, "destination", routes)
    else:
        _empty(ax, "no section records")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return _save(fig, path)
