"""Plots drawn from result tables only, so a results directory can be re-plotted without re-running.

Every figure shares one look: a scenario keeps its colour in every plot, a corridor section keeps its colour, and
the moving / handling / waiting split is always solid / dotted / hatched. Functions take DataFrames (the CSVs of a
results directory) and a path, write one PNG and return the path.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from functools import wraps
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import Normalize, to_rgba  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from corridor_sim.analysis import measured  # noqa: E402
from corridor_sim.errors import ScenarioError  # noqa: E402
from corridor_sim.records import STATES  # noqa: E402

SECTION_ORDER = (
    "China",
    "KZ border",
    "KZ rail",
    "Caspian port wait",
    "Caspian crossing",
    "Azerbaijan",
    "Georgia",
    "Black Sea / Türkiye",
    "Europe",
)
_SECTION_PALETTE = (
    "#c0392b",
    "#e67e22",
    "#f1c40f",
    "#16a085",
    "#2980b9",
    "#8e44ad",
    "#d81b60",
    "#6d4c41",
    "#27ae60",
    "#7f8c8d",
    "#bc8f8f",
    "#6b8e23",
    "#4682b4",
    "#cd5c5c",
    "#9acd32",
    "#708090",
)
# Okabe-Ito (colour-blind safe); the bundled scenarios get fixed colours so they match across every report.
_SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_KNOWN_SCENARIOS = {"baseline_2022": "#D55E00", "current_2023": "#0072B2", "target": "#009E73"}
STATE_STYLE = {
    "moving": {"alpha": 1.0, "hatch": ""},
    "handling": {"alpha": 0.75, "hatch": "...."},
    "waiting": {"alpha": 0.45, "hatch": "////"},
}
STATE_COLOURS = {"moving": "#1f4e79", "handling": "#e69f00", "waiting": "#d62728"}
STYLE = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.88",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": "DejaVu Sans",
}
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


def _save(fig: plt.Figure, path: Path, tight: bool = False) -> Path:
    """Write the PNG; `tight` crops the margins a fixed-aspect axes (the map) leaves, at the cost of a second draw."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, **({"bbox_inches": "tight", "pad_inches": 0.15} if tight else {}))
    return path


def scenario_colours(names: Iterable[str]) -> dict[str, str]:
    """The bundled scenarios keep fixed colours; any others take the first palette colours not already in use."""
    names = list(dict.fromkeys(names))
    out = {n: _KNOWN_SCENARIOS[n] for n in names if n in _KNOWN_SCENARIOS}
    free = [c for c in _SCENARIO_PALETTE if c not in out.values()]
    for i, name in enumerate(n for n in names if n not in out):
        out[name] = free[i % len(free)]
    return {n: out[n] for n in names}


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
    ax.step(np.concatenate([[x[0]], x]), np.concatenate([[0.0], np.arange(1, len(x) + 1) / len(x)]), where="post", **kw)


def _num(value: float) -> str:
    """Two significant decimals for small values (a mean queue of 0.04 is not 0.0), one for large ones."""
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _text(labels: pd.Series) -> pd.Series:
    """A label column as strings. Tables straight from a run hold labels as categoricals, whose `astype(str)` builds
    a string per row (a tenth of a second per million rows): only their few categories are converted."""
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return labels.cat.rename_categories(labels.cat.categories.astype(str))
    return labels.astype(str)


def _empty(ax: plt.Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


# --- transit


@_styled
def transit_distribution(containers: pd.DataFrame, bands: pd.DataFrame | None, title: str, path: Path) -> Path:
    """Histogram, ECDF and box plot of transit days per destination on one day axis, published bands shaded."""
    m = measured(containers)
    to = _text(m["destination"])
    dests = sorted(to.unique())
    colours = dict(zip(dests, _SCENARIO_PALETTE, strict=False))
    fig, (ax_h, ax_e, ax_b) = plt.subplots(
        3, 1, figsize=(10, 8.5), sharex=True, constrained_layout=True, gridspec_kw={"height_ratios": [3, 2, 1.3]}
    )
    if len(m):
        bins = np.linspace(0, max(m["transit_days"].max() * 1.05, 1), 70)
        for dest in dests:
            days = m.loc[to.eq(dest), "transit_days"].to_numpy()
            label = f"to {dest}: median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d (n={len(days)})"
            ax_h.hist(days, bins=bins, color=colours[dest], alpha=0.35, histtype="stepfilled")
            ax_h.hist(days, bins=bins, color=colours[dest], histtype="step", linewidth=1.5, label=label)
            _ecdf(ax_e, days, color=colours[dest], linewidth=1.8, label=f"to {dest}")
        data = [m.loc[to.eq(d), "transit_days"].to_numpy() for d in dests[::-1]]
        box = ax_b.boxplot(
            data,
            orientation="horizontal",
            whis=(5, 95),
            showfliers=False,
            widths=0.55,
            patch_artist=True,
            medianprops={"color": "black", "linewidth": 1.5},
        )
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
            ax_h.axvspan(
                band["low_days"],
                band["high_days"],
                facecolor="none",
                edgecolor=colour,
                linestyle="--",
                linewidth=1.0,
                label=f"published: {_band_label(band)} ({band['low_days']:g}–{band['high_days']:g} d)",
            )
    ax_h.set_ylabel("containers delivered\n(all replications)")
    ax_h.set_title(title)
    if ax_h.get_legend_handles_labels()[0]:
        ax_h.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="none")
    else:
        ax_h.text(
            0.5,
            0.5,
            "no container delivered in the measurement window",
            transform=ax_h.transAxes,
            ha="center",
            va="center",
            color="0.4",
        )
    ax_e.set_ylabel("share delivered\nwithin x days")
    ax_e.set_ylim(0, 1.02)
    ax_b.set_xlabel("transit time, origin to destination (days)")
    ax_b.set_title("box: quartiles, whiskers p5–p95", fontsize=9, fontweight="normal", loc="left")
    ax_b.set_xlim(left=0)
    return _save(fig, path)


@_styled
def compare_distributions(
    containers: dict[str, pd.DataFrame], bands: pd.DataFrame, destination: str | None, path: Path
) -> Path:
    """Several scenarios' transit days side by side: ECDFs overlaid, one violin + box per scenario, with each
    scenario's published band drawn in its colour. `destination=None` shows every destination (one row each)."""
    colours = scenario_colours(containers)
    rows: list[tuple[str, str | None, np.ndarray]] = []
    for name, frame in containers.items():
        m = measured(frame)
        to = _text(m["destination"])
        dests = [destination] if destination is not None else sorted(to.unique())
        for dest in dests:
            days = m.loc[to.eq(str(dest)), "transit_days"].to_numpy()
            rows.append((name, dest, days))
    multi = destination is None and len({d for _, d, _ in rows}) > 1
    height = 4 + 0.55 * len(rows)
    fig, (ax_e, ax_v) = plt.subplots(
        2,
        1,
        figsize=(13, height),
        sharex=True,
        constrained_layout=True,
        gridspec_kw={"height_ratios": [3, max(1.5, 0.55 * len(rows))]},
    )
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
        _ecdf(
            ax_e,
            days,
            color=colours[name],
            linewidth=2,
            linestyle=dest_style[dest] if multi else "-",
            label=f"{label} ({stats})",
        )
        if len(days) > 1 and np.ptp(days) > 0:
            parts = ax_v.violinplot([days], positions=[y], orientation="horizontal", widths=0.8, showextrema=False)
            for body in parts["bodies"]:
                body.set(facecolor=colours[name], edgecolor=colours[name], alpha=0.45)
        ax_v.boxplot(
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
    for i, (name, dest, _) in enumerate(rows):
        y = len(rows) - i
        sel = bands[bands["scenario"].astype(str).eq(name)] if len(bands) else bands
        if dest is not None and len(sel):
            sel = sel[sel["destination"].astype(str).eq(str(dest))]
        for _, band in sel.iterrows():
            ax_v.add_patch(
                Rectangle(
                    (band["low_days"], y - 0.45),
                    band["high_days"] - band["low_days"],
                    0.9,
                    facecolor=to_rgba(colours[name], 0.15),
                    edgecolor=colours[name],
                    linestyle="--",
                    linewidth=1.2,
                    zorder=0,
                )
            )
            ax_e.axvspan(
                band["low_days"],
                band["high_days"],
                color=colours[name],
                alpha=0.13,
                zorder=0,
                label=textwrap.fill(
                    f"{name}, published: {_band_label(band)} ({band['low_days']:g}–{band['high_days']:g} d)",
                    42,
                    subsequent_indent="  ",
                ),
            )
    ax_v.set_yticks([y for y, _ in labels], [lab for _, lab in labels])
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
    ax_e.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


# --- sections


def _stacked_sections(ax: plt.Axes, means: pd.DataFrame, bar: str, routes: pd.DataFrame | None) -> list[Patch]:
    """Horizontal bars (one per value of `bar`), sections left to right in corridor order, states shaded."""
    totals = means.groupby([bar, "section", "state"], as_index=False, sort=False, observed=True)["days"].sum()
    order = section_order(totals["section"], routes)
    colours = section_colours(order)
    bars = list(dict.fromkeys(totals[bar].astype(str)))
    states = [s for s in STATE_STYLE if s in set(totals["state"])]
    grand = totals.groupby(totals[bar].astype(str), observed=True)["days"].sum()
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
                ax.barh(
                    y,
                    days,
                    left=left,
                    height=0.62,
                    color=colours[section],
                    alpha=STATE_STYLE[state]["alpha"],
                    hatch=STATE_STYLE[state]["hatch"],
                    edgecolor="white",
                    linewidth=0.6,
                )
                left += days
            if left - start > 0.06 * max(grand.max(), 1e-9):
                ax.text(
                    (start + left) / 2,
                    y,
                    f"{left - start:.1f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
                )
        ax.text(left + grand.max() * 0.01, y, f"{left:.1f} d", va="center", fontsize=9, fontweight="bold")
    ax.set_yticks(range(len(bars) - 1, -1, -1), bars)
    ax.set_xlim(0, max(grand.max(), 1e-9) * 1.1)
    ax.set_xlabel("mean days per delivered container")
    handles = [Patch(facecolor=colours[s], label=s) for s in order]
    handles += [
        Patch(
            facecolor=to_rgba("0.45", STATE_STYLE[s]["alpha"]),
            hatch=STATE_STYLE[s]["hatch"],
            edgecolor="white",
            label=f"{s} (shade)",
        )
        for s in states
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(6, len(handles)), fontsize=8.5)
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
    means = (
        sections.groupby(["destination", "section", "state"], as_index=False, observed=True)["days"]
        .sum()
        .assign(days=lambda d: d["days"] / reps, destination=lambda d: "to " + d["destination"].astype(str))
    )
    n = means["destination"].nunique()
    fig, ax = plt.subplots(figsize=(12, 3.2 + 0.75 * max(n, 1)), constrained_layout=True)
    if len(means):
        _stacked_sections(ax, means, "destination", routes)
    else:
        _empty(ax, "no section records")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return _save(fig, path)


# --- time–distance


def axis_flow(tracks: pd.DataFrame, routes: pd.DataFrame) -> str:
    """The flow a time-distance chart is drawn along: the one whose sampled containers cover the most km."""
    sampled = tracks.groupby("flow", observed=True)["container_id"].nunique() if len(tracks) else pd.Series(dtype=float)
    km = routes.groupby("flow", observed=True)["km_end"].max()
    return str(max(km.index, key=lambda f: (float(sampled.get(f, 0)) * float(km[f]), float(km[f]))))


def _route_positions(rows: pd.DataFrame) -> dict[str, tuple[float, float]]:
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


def _track_segments(
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


def _thin_ticks(ticks: list[tuple[float, str]], min_gap: float) -> list[tuple[float, str]]:
    """Drop tick labels that would overlap the one below them."""
    kept: list[tuple[float, str]] = []
    for y, label in sorted(ticks):
        if not kept or y - kept[-1][0] >= min_gap:
            kept.append((y, label))
    return kept


@_styled
def time_distance(tracks: pd.DataFrame, routes: pd.DataFrame, title: str, path: Path) -> Path:
    """Marey chart of the sampled containers of one replication along the busiest route: slopes are movement, flat
    runs are time at a place; flat lines ending together are containers waiting for the same train or vessel.
    Other flows are drawn faintly wherever they share that route."""
    fig, axes = plt.subplots(
        1, 2, figsize=(14, 7.5), constrained_layout=True, sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    if tracks.empty or routes.empty:
        for ax in axes:
            _empty(ax, "no container tracks recorded")
        axes[0].set_title(title)
        return _save(fig, path)
    rep = tracks["replication"].min()
    tr = tracks[tracks["replication"].eq(rep)]
    flow = axis_flow(tr, routes)
    rows = routes[routes["flow"].astype(str).eq(flow)].sort_values("seq")
    positions = _route_positions(rows)
    own = tr["flow"].astype(str).eq(flow)
    layers = [(_track_segments(tr[~own], positions), 0.25, 0.6), (_track_segments(tr[own], positions), 0.8, 1.0)]
    colours = section_colours(section_order(rows["section"].astype(str), routes))
    spans: dict[str, tuple[float, float]] = {}
    for r in rows.itertuples(index=False):
        y0, y1 = positions[str(r.location)]
        lo, hi = spans.get(str(r.section), (y0, y1))
        spans[str(r.section)] = (min(lo, y0), max(hi, y1))
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
        ax.set_xlabel("simulated day")
    ymax = max(v[1] for v in positions.values())
    nodes = rows[rows["kind"].eq("node")]
    ticks = _thin_ticks(
        [
            (positions[str(n)][0], f"{n} ({km:,.0f} km)")
            for n, km in zip(nodes["location"], nodes["km_start"], strict=True)
        ],
        0.028 * ymax,
    )
    axes[0].set_yticks([y for y, _ in ticks], [label for _, label in ticks])
    axes[0].set_ylim(-0.01 * ymax, ymax * 1.01)
    for section, (lo, hi) in spans.items():
        if hi > lo:
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
    axes[0].set_ylabel(f"position along the route of flow {flow}")
    axes[0].set_title(f"{title}\nsampled containers of replication {rep} along flow {flow}", loc="left")
    axes[1].set_title(f"zoom: days {zoom[0]:.0f}–{zoom[1]:.0f}", loc="left")
    handles = [plt.Line2D([], [], color=STATE_COLOURS[c], linewidth=2, label=c) for c in STATE_COLOURS]
    handles.append(
        plt.Line2D([], [], color="0.5", linewidth=1, alpha=0.4, label="faint: other flows where they share this route")
    )
    axes[0].legend(handles=handles, loc="lower right", frameon=True, framealpha=0.9, edgecolor="none")
    return _save(fig, path)


# --- occupancy

OCCUPANCY_PANELS = (
    ("queue_trains", "trains queued for handling", "trains"),
    ("yard_containers", "containers in port yards waiting for a vessel", "containers"),
    ("formation_containers", "containers waiting for an onward train", "containers"),
    ("vessels_waiting_for_cargo", "vessels in port waiting for cargo", "vessels"),
    ("waiting_trains", "trains waiting for a line path", "trains"),
)


def _location_order(routes: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(routes.sort_values(["flow", "seq"])["location"].astype(str))) if len(routes) else []


def _location_colours(locations: Sequence[str]) -> dict[str, tuple]:
    """Strong, distinct colours (tab10, then Dark2, then Set1) so that no place is drawn in a washed-out tint."""
    strong = [*plt.get_cmap("tab10").colors, *plt.get_cmap("Dark2").colors, *plt.get_cmap("Set1").colors]
    return {loc: strong[i % len(strong)] for i, loc in enumerate(locations)}


def waiting_estimate(tracks: pd.DataFrame, containers: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """Containers waiting at each place over time, estimated from the tracked sample (each sampled container stands
    for measured-delivered / sampled containers of its replication): it sees waits the occupancy samples do not,
    such as trains waiting for wagons or locomotives."""
    if tracks.empty:
        return pd.DataFrame(columns=["replication", "day", "location", "value"])
    waiting = tracks[tracks["state"].astype(str).map(STATES).eq("waiting")]
    delivered = measured(containers).groupby("replication", observed=True).size()
    frames = []
    for rep, g in waiting.groupby("replication", observed=True):
        weight = delivered.get(rep, 0) / tracks.loc[tracks["replication"].eq(rep), "container_id"].nunique()
        for loc, h in g.groupby("location", observed=True):
            inside = np.searchsorted(np.sort(h["start_day"].to_numpy()), days, side="right") - np.searchsorted(
                np.sort(h["end_day"].to_numpy()), days, side="right"
            )
            frames.append(
                pd.DataFrame({"replication": rep, "day": days, "location": str(loc), "value": inside * weight})
            )
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["replication", "day", "location", "value"])
    )


def _series(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per location: mean, min and max over replications at each sampled day; places that never had any omitted."""
    out = {}
    for loc, g in frame.groupby(frame["location"].astype(str), observed=True):
        if g["value"].max() > 0:
            by_day = g.groupby("day", observed=True)["value"]
            out[loc] = pd.DataFrame({"mean": by_day.mean(), "lo": by_day.min(), "hi": by_day.max()})
    return out


@_styled
def occupancy_over_time(
    occupancy: pd.DataFrame,
    routes: pd.DataFrame,
    roles: dict[str, str],
    warmup_day: float,
    title: str,
    path: Path,
    tracks: pd.DataFrame | None = None,
    containers: pd.DataFrame | None = None,
    top: int = 6,
) -> Path:
    """Queues and yards over time at borders and ports (mean over replications, shaded min–max), the places where
    containers wait most (from the tracked sample), and closures; warm-up greyed."""
    keep_queue = {n for n, r in roles.items() if r in ("border", "port")}
    panels = []
    for metric, label, unit in OCCUPANCY_PANELS:
        frame = occupancy[occupancy["metric"].eq(metric)]
        if metric == "queue_trains" and keep_queue:
            frame = frame[frame["location"].astype(str).isin(keep_queue)]
        series = _series(frame)
        if series:
            hidden = frame["location"].nunique() - len(series)
            panels.append((label, unit, series, f"{hidden} places always at 0, not shown" if hidden else None))
    if tracks is not None and containers is not None and len(tracks):
        days = np.sort(occupancy["day"].unique()) if len(occupancy) else np.arange(0, tracks["end_day"].max(), 1.0)
        series = _series(waiting_estimate(tracks, containers, days))
        ranked = sorted(series, key=lambda loc: -series[loc]["mean"].mean())[:top]
        if ranked:
            panels.append(
                (
                    f"containers waiting, by place: the {len(ranked)} longest (estimated from the tracked "
                    "sample, any cause: queues, vessels, trains, wagons, closures)",
                    "containers",
                    {loc: series[loc] for loc in ranked},
                    None,
                )
            )
    closed = occupancy[occupancy["metric"].eq("closed")]
    order = _location_order(routes)
    locs = sorted(
        {loc for _, _, series, _ in panels for loc in series} | set(closed["location"].astype(str)),
        key=lambda x: order.index(x) if x in order else len(order),
    )
    colours = _location_colours(locs)
    n = len(panels) + (1 if len(closed) else 0)
    ratios = [2.3] * len(panels) + ([0.35 * closed["location"].nunique() + 0.6] if len(closed) else [])
    fig, axes = plt.subplots(
        max(n, 1),
        1,
        figsize=(12, 1.2 + sum(ratios)),
        sharex=True,
        constrained_layout=True,
        squeeze=False,
        gridspec_kw={"height_ratios": ratios or [1]},
    )
    axes = axes[:, 0]
    if not n:
        _empty(axes[0], "no occupancy samples")
    for ax, (label, unit, series, note) in zip(axes, panels, strict=False):
        for loc in sorted(series, key=locs.index):
            stats = series[loc]
            ax.fill_between(stats.index, stats["lo"], stats["hi"], color=colours[loc], alpha=0.15, linewidth=0)
            after = stats.loc[stats.index >= warmup_day, "mean"]
            ax.plot(
                stats.index,
                stats["mean"],
                color=colours[loc],
                linewidth=1.3,
                label=f"{loc} (mean {_num(after.mean())})" if len(after) else loc,
            )
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title=note, title_fontsize=7.5)
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.set_title(label, loc="left", fontsize=10)
    if len(closed):
        ax = axes[-1]
        step = float(np.median(np.diff(np.sort(occupancy["day"].unique())))) if occupancy["day"].nunique() > 1 else 1
        rep = closed["replication"].min()
        names = sorted(closed["location"].astype(str).unique(), key=locs.index)
        for y, loc in enumerate(names):
            days = closed.loc[closed["location"].astype(str).eq(loc) & closed["replication"].eq(rep), "day"]
            ax.broken_barh([(d, step) for d in days], (y - 0.35, 0.7), color=colours[loc], alpha=0.8)
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"closed by disruptions (replication {rep})", loc="left", fontsize=10)
    for ax in axes:
        ax.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
    axes[0].text(
        warmup_day / 2,
        0.97,
        "warm-up",
        transform=axes[0].get_xaxis_transform(),
        ha="center",
        va="top",
        fontsize=8,
        color="0.4",
    )
    axes[-1].set_xlabel("simulated day")
    fig.suptitle(title, fontweight="bold")
    return _save(fig, path)


# --- utilisation


@_styled
def utilisation(
    sailings: pd.DataFrame, occupancy: pd.DataFrame, servers: dict[str, int], warmup_day: float, title: str, path: Path
) -> Path:
    """How full the vessels sail, how busy the handling servers are and how often trains wait for a line path."""
    fig = plt.figure(figsize=(13, 8), constrained_layout=True)
    grid = fig.add_gridspec(2, 3, width_ratios=[2.2, 1, 1])
    ax_t = fig.add_subplot(grid[0, :2])
    ax_v = fig.add_subplot(grid[0, 2])
    ax_h = fig.add_subplot(grid[1, :2])
    ax_l = fig.add_subplot(grid[1, 2])
    sail = sailings[sailings["capacity_containers"] > 0].assign(
        load=lambda d: 100 * d["containers"] / d["capacity_containers"]
    )
    segs = list(dict.fromkeys(sail["segment"].astype(str)))
    seg_colour = dict(zip(segs, _SCENARIO_PALETTE, strict=False))
    if len(sail):
        for seg in segs:
            s = sail[sail["segment"].astype(str).eq(seg)].sort_values("depart_day")
            ax_t.scatter(s["depart_day"], s["load"], s=9, color=seg_colour[seg], alpha=0.45, linewidth=0)
            trend = s.set_index("depart_day")["load"].rolling(20, min_periods=1, center=True).mean()
            ax_t.plot(trend.index, trend.to_numpy(), color=seg_colour[seg], linewidth=1.8, label=f"{seg}")
        measured_sail = sail[sail["depart_day"] >= warmup_day]
        g = measured_sail.groupby(measured_sail["segment"].astype(str), observed=True)
        util = 100 * g["containers"].sum() / g["capacity_containers"].sum()
        reps = max(sailings["replication"].nunique(), 1)
        window = max(float(sailings["depart_day"].max()) - warmup_day, 1.0)
        per_week = g.size() / reps / window * 7
        bars = ax_v.barh(util.index, util.to_numpy(), color=[seg_colour[s] for s in util.index], alpha=0.8)
        for bar, seg in zip(bars, util.index, strict=True):
            ax_v.text(
                2,
                bar.get_y() + bar.get_height() / 2,
                f"{bar.get_width():.0f}%, {per_week[seg]:.1f} sailings/wk",
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 1},
            )
        ax_v.set_xlim(0, 105)
        ax_v.invert_yaxis()
        ax_t.legend(
            title="segment (line: rolling mean of 20 sailings)",
            loc="best",
            frameon=True,
            framealpha=0.6,
            edgecolor="none",
        )
    else:
        _empty(ax_t, "no sailings")
        _empty(ax_v, "no sailings")
    ax_t.axvspan(0, warmup_day, color="0.85", alpha=0.5, zorder=0)
    ax_t.set_ylim(0, 105)
    ax_t.set_xlabel("departure day")
    ax_t.set_ylabel("load (% of capacity)")
    ax_t.set_title("Vessel load per sailing", loc="left")
    ax_v.set_xlabel("mean load (% of capacity)")
    ax_v.set_title("Vessel utilisation\n(after warm-up)", loc="left")
    after = occupancy[occupancy["day"] >= warmup_day]
    busy = after[after["metric"].eq("busy_servers")].groupby("location", observed=True)["value"].mean()
    if len(busy):
        nodes = [n for n in busy.index if servers.get(str(n))]
        share = pd.Series({n: 100 * busy[n] / servers[str(n)] for n in nodes}) if nodes else busy
        share = share.sort_values()
        colour = ["#d62728" if v >= 85 else "#e69f00" if v >= 60 else "#1f4e79" for v in share.to_numpy()]
        ax_h.barh(share.index.astype(str), share.to_numpy(), color=colour, alpha=0.85)
        for y, v in enumerate(share.to_numpy()):
            ax_h.text(v + 0.5, y, f"{v:.0f}%" if nodes else f"{v:.2f}", va="center", fontsize=8)
        ax_h.set_xlabel("handling utilisation: mean busy servers / servers (%)" if nodes else "mean busy servers")
        if nodes:
            ax_h.set_xlim(0, 110)
    else:
        _empty(ax_h, "no handling servers")
    ax_h.set_title("Handling utilisation by node (red ≥ 85%, amber ≥ 60%)", loc="left")
    waiting = (
        after[after["metric"].eq("waiting_trains")].groupby("location", observed=True)["value"].mean().sort_values()
    )
    if len(waiting) and waiting.max() > 0:
        ax_l.barh(waiting.index.astype(str), waiting.to_numpy(), color="#8e44ad", alpha=0.8)
        ax_l.set_xlabel("mean trains waiting")
    else:
        _empty(ax_l, "no train waited for a path" if len(waiting) else "no line capacity limits")
        ax_l.set_xticks([])
        ax_l.set_yticks([])
    ax_l.set_title("Line congestion:\ntrains waiting for a path", loc="left")
    fig.suptitle(title, fontweight="bold")
    return _save(fig, path)


# --- map


def waiting_by_location(tracks: pd.DataFrame, routes: pd.DataFrame) -> pd.Series:
    """Mean waiting days per sampled container that passes each location (its own route's nodes and segments)."""
    if tracks.empty:
        return pd.Series(dtype=float)
    cls = tracks["state"].astype(str).map(STATES).fillna("waiting")
    wait = tracks[cls.eq("waiting")]
    total = (wait["end_day"] - wait["start_day"]).groupby(wait["location"].astype(str), observed=True).sum()
    sampled = tracks.groupby("flow", observed=True)[["replication", "container_id"]].apply(
        lambda g: len(g.drop_duplicates())
    )
    passing: dict[str, int] = {}
    for flow, rows in routes.groupby("flow", observed=True):
        for loc in rows["location"].astype(str):
            passing[loc] = passing.get(loc, 0) + int(sampled.get(flow, 0))
    return pd.Series({loc: total.get(loc, 0.0) / n for loc, n in passing.items() if n})


@_styled
def corridor_map(
    routes: pd.DataFrame, tracks: pd.DataFrame, occupancy: pd.DataFrame, warmup_day: float, title: str, path: Path
) -> Path:
    """The corridor drawn from the nodes' lat/lon (no tiles, works offline): each leg coloured by the mean days a
    container waits at its start node and on it, each node sized by its mean queue of trains."""
    nodes = routes[routes["kind"].eq("node")].dropna(subset=["lat", "lon"]).drop_duplicates("location")
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    pad_x, pad_y = max(np.ptp(lon) * 0.08, 2.5) if len(lon) else 1, max(np.ptp(lat) * 0.3, 3.0) if len(lat) else 1
    aspect = 1 / np.cos(np.radians(np.mean(lat))) if len(lat) else 1.0
    ratio = (np.ptp(lat) + 2 * pad_y) * aspect / (np.ptp(lon) + 2 * pad_x) if len(lon) else 0.5
    fig, ax = plt.subplots(figsize=(13, float(np.clip(13 * ratio * 0.85 + 2.2, 4.5, 10))), constrained_layout=True)
    if nodes.empty:
        _empty(ax, "no node coordinates (lat/lon) in this scenario")
        ax.set_title(title)
        return _save(fig, path)
    coords = {str(r.location): (float(r.lon), float(r.lat)) for r in nodes.itertuples()}
    waits = waiting_by_location(tracks, routes)
    legs = []
    for _, rows in routes.sort_values(["flow", "seq"]).groupby("flow", observed=True):
        rows = rows.reset_index(drop=True)
        for i in range(1, len(rows) - 1):
            r = rows.loc[i]
            start, end = str(rows.loc[i - 1, "location"]), str(rows.loc[i + 1, "location"])
            if r["kind"] == "segment" and start in coords and end in coords:
                delay = float(waits.get(str(r["location"]), 0.0) + waits.get(start, 0.0))
                legs.append((str(r["location"]), start, end, str(r["mode"]), delay))
    legs = list({leg[0]: leg for leg in legs}.values())
    top_delay = max([leg[4] for leg in legs] + [0.5])
    norm = Normalize(0, top_delay)
    cmap = plt.get_cmap("YlOrRd")
    labels: list[tuple[float, plt.Annotation]] = []  # (priority, label): the lower keeps its place when two overlap
    worst = sorted(legs, key=lambda leg: -leg[4])[:3]
    for seg, start, end, mode, delay in legs:
        (x0, y0), (x1, y1) = coords[start], coords[end]
        sea = mode in ("ferry", "sea")
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="white" if sea else "0.3",
            linewidth=8,
            solid_capstyle="round",
            zorder=1,
            alpha=1.0 if sea else 0.35,
        )
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=cmap(0.15 + 0.85 * norm(delay)),
            linewidth=6,
            zorder=2,
            linestyle=(0, (2, 1)) if sea else "-",
            solid_capstyle="round",
        )
        middle = ((x0 + x1) / 2, (y0 + y1) / 2)
        box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "linewidth": 0}
        if delay > 0 and (seg, start, end, mode, delay) in worst:  # the worst legs get a callout, even when short
            dx, dy = np.array([-(y1 - y0) * aspect, x1 - x0]) / (np.hypot((y1 - y0) * aspect, x1 - x0) or 1)
            labels.append(
                (
                    -delay,
                    ax.annotate(
                        f"{start} → {end}\n{_num(delay)} d waiting",
                        middle,
                        xytext=(55 * dx, 55 * dy if dy else 55),
                        textcoords="offset points",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="#7f0000",
                        fontweight="bold",
                        bbox={**box, "edgecolor": "#7f0000", "linewidth": 0.8},
                        zorder=7,
                        arrowprops={"arrowstyle": "-", "color": "#7f0000", "linewidth": 0.8},
                    ),
                )
            )
        elif delay >= 0.05 * top_delay and delay >= 0.05:
            labels.append(
                (
                    2,
                    ax.annotate(
                        f"{_num(delay)} d",
                        middle,
                        fontsize=7,
                        ha="center",
                        va="center",
                        color="0.15",
                        bbox=box,
                        zorder=5,
                    ),
                )
            )
    queue = occupancy[(occupancy["metric"].eq("queue_trains")) & (occupancy["day"] >= warmup_day)]
    mean_queue = queue.groupby(queue["location"].astype(str), observed=True)["value"].mean()
    largest = float(mean_queue.max()) if len(mean_queue) else 0.0
    qmax = max(largest, 1.0)
    sections = section_order(nodes["section"].astype(str), routes)
    colours = section_colours(sections)
    neighbours: dict[str, set[str]] = {}
    for _, start, end, _, _ in legs:
        neighbours.setdefault(start, set()).add(end)
        neighbours.setdefault(end, set()).add(start)
    markers = []
    for r in nodes.itertuples():
        q = float(mean_queue.get(str(r.location), 0.0))
        markers.append(
            ax.scatter(
                r.lon,
                r.lat,
                s=_node_size(q),
                color=colours[str(r.section)],
                edgecolor="black",
                linewidth=1.0,
                zorder=4,
                alpha=0.9,
            )
        )
        dx, dy = _away(coords, str(r.location), neighbours.get(str(r.location), set()), aspect)
        reach = 6 + np.sqrt(_node_size(q)) / 2
        text = f"{r.location}\nqueue {_num(q)}" if q >= 0.01 else str(r.location)
        labels.append(
            (
                1 - q / qmax,
                ax.annotate(
                    text,
                    (r.lon, r.lat),
                    xytext=(dx * reach, dy * reach),
                    textcoords="offset points",
                    ha="center" if abs(dx) < 0.5 else ("left" if dx > 0 else "right"),
                    va="center" if abs(dy) < 0.5 else ("bottom" if dy > 0 else "top"),
                    fontsize=8,
                    fontweight="bold",
                    zorder=6,
                ),
            )
        )
    ax.set_xlim(lon.min() - pad_x, lon.max() + pad_x)
    ax.set_ylim(lat.min() - pad_y, lat.max() + pad_y)
    ax.set_aspect(aspect)
    ax.set_facecolor("#f4f8fb")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title)
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7, pad=0.01)
    bar.set_label("mean waiting days per container\n(at the leg's start node and on the leg)")
    handles = [Patch(facecolor=colours[s], edgecolor="black", label=s) for s in sections]
    handles += [
        plt.Line2D([], [], color="0.5", linewidth=4, label="rail / road"),
        plt.Line2D([], [], color="0.5", linewidth=4, linestyle=(0, (2, 1)), label="ferry / sea"),
        *[
            plt.Line2D(
                [],
                [],
                marker="o",
                color="w",
                markeredgecolor="black",
                markerfacecolor="w",
                markersize=np.sqrt(_node_size(q)),
                label=f"{q:g} train{'s' if q > 1 else ''} queued (mean)",
            )
            for q in (0.2, 2)
        ],
        plt.Line2D([], [], color="w", label=f"largest mean queue: {_num(largest)} trains"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(handles), 6), labelspacing=1.1
    )
    _drop_overlapping(fig, labels, markers)
    return _save(fig, path, tight=True)


def _node_size(queue: float) -> float:
    """Marker area in points²: grows with the mean number of trains queued (absolute, so maps compare)."""
    return 45 + 260 * min(queue, 6.0)


def _drop_overlapping(fig: plt.Figure, labels: list[tuple[float, plt.Annotation]], markers: list) -> None:
    """Keep labels in priority order, removing any that would cover a kept label or another node's marker."""
    from matplotlib.transforms import Bbox

    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    obstacles = []
    for m in markers:
        x, y = m.get_offset_transform().transform(m.get_offsets()[0])
        r = np.sqrt(m.get_sizes()[0]) / 2 * fig.dpi / 72
        obstacles.append(((x, y), Bbox([[x - r, y - r], [x + r, y + r]])))
    kept: list = []
    for priority, label in sorted(labels, key=lambda item: item[0]):
        box = label.get_window_extent(renderer)
        anchor = label.axes.transData.transform(label.xy)
        # callouts (negative priority) sit on a leader line and may cross markers; node labels may not
        blocked = [] if priority < 0 else [b for (xy, b) in obstacles if np.hypot(*(np.asarray(xy) - anchor)) > 1]
        if any(box.overlaps(other) for other in kept + blocked):
            label.remove()
        else:
            kept.append(box)


def _away(coords: dict[str, tuple[float, float]], node: str, others: set[str], aspect: float) -> tuple[float, float]:
    """Unit direction pointing away from a node's neighbours, so its label does not sit on its own legs."""
    x, y = coords[node]
    vecs = [np.array([x - coords[o][0], (y - coords[o][1]) * aspect]) for o in others if o in coords]
    vecs = [v / np.linalg.norm(v) for v in vecs if np.linalg.norm(v) > 0]
    direction = np.sum(vecs, axis=0) if vecs else np.array([0.0, -1.0])
    if np.linalg.norm(direction) < 0.3 and vecs:  # straight through: go perpendicular, below the line
        direction = np.array([vecs[0][1], -vecs[0][0]])
        direction = direction if direction[1] <= 0 else -direction
    return tuple(direction / np.linalg.norm(direction))


# --- directories


def read_table(directory: Path, name: str) -> pd.DataFrame:
    path = directory / f"{name}.csv"
    try:
        return pd.read_csv(path)
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return pd.DataFrame()


def run_meta(run_dir: Path) -> dict:
    """Scenario name, warm-up, node roles and handling servers, from the run's resolved scenario and summary."""
    import json

    import yaml

    resolved_path = run_dir / "scenario.resolved.yaml"
    resolved = yaml.safe_load(resolved_path.read_text(encoding="utf-8")) if resolved_path.exists() else {}
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    nodes = (resolved.get("network") or {}).get("nodes") or {}
    window = summary.get("window_days") or [0.0, None]
    return {
        "name": summary.get("scenario") or resolved.get("name") or run_dir.name,
        "warmup_day": float(window[0] or 0.0),
        "replications": summary.get("replications"),
        "roles": {n: (v or {}).get("role", "") for n, v in nodes.items()},
        "servers": {n: int(v["handling"]["servers"]) for n, v in nodes.items() if (v or {}).get("handling")},
        "resolved": resolved,
        "summary": summary,
    }


def is_comparison(directory: Path) -> bool:
    return (directory / "comparison.csv").exists()


def comparison_runs(directory: Path) -> list[Path]:
    """The ordinary run directories inside a comparison directory, in the comparison table's scenario order."""
    runs = [p for p in sorted(directory.iterdir()) if p.is_dir() and (p / "containers.csv").exists()]
    table = read_table(directory, "comparison")
    order = list(dict.fromkeys(table["scenario"].astype(str))) if "scenario" in table else []
    return sorted(runs, key=lambda p: order.index(p.name) if p.name in order else len(order))


def check_results_dir(path: Path) -> None:
    """Refuse (as bad input) anything that is not a run or comparison directory."""
    if not path.is_dir() or not ((path / "containers.csv").exists() or is_comparison(path)):
        raise ScenarioError("not a results directory (no containers.csv or comparison.csv)", file=str(path))


def plot_run(run_dir: Path, out_dir: Path) -> list[Path]:
    """Every plot of one run directory, drawn from its tables into `out_dir`."""
    meta = run_meta(run_dir)
    name, warm = meta["name"], meta["warmup_day"]
    t = {
        n: read_table(run_dir, n)
        for n in ("containers", "routes", "tracks", "occupancy", "sailings", "sections", "published")
    }
    containers, routes, tracks, occupancy = t["containers"], t["routes"], t["tracks"], t["occupancy"]
    sailings, sections, bands = t["sailings"], t["sections"], t["published"]
    reps = f"{meta['replications']} replications" if meta["replications"] else "all replications"
    paths = [
        transit_distribution(
            containers, bands, f"{name}: transit time per destination ({reps})", out_dir / "transit.png"
        )
    ]
    if len(sections):
        paths.append(
            section_breakdown(
                sections,
                routes,
                f"{name}: where the days go (mean days per corridor section)",
                out_dir / "sections.png",
            )
        )
    paths.append(
        time_distance(
            tracks, routes, f"{name}: time–distance chart of sampled containers", out_dir / "time_distance.png"
        )
    )
    if len(occupancy):
        paths.append(
            occupancy_over_time(
                occupancy,
                routes,
                meta["roles"],
                warm,
                f"{name}: queues, yards and waiting over time",
                out_dir / "occupancy.png",
                tracks,
                containers,
            )
        )
        paths.append(
            utilisation(
                sailings
                if len(sailings)
                else pd.DataFrame(
                    columns=["replication", "segment", "depart_day", "containers", "capacity_containers"]
                ),
                occupancy,
                meta["servers"],
                warm,
                f"{name}: vessel, handling and line utilisation",
                out_dir / "utilisation.png",
            )
        )
    paths.append(
        corridor_map(
            routes,
            tracks,
            occupancy
            if len(occupancy)
            else pd.DataFrame(columns=["replication", "day", "location", "metric", "value"]),
            warm,
            f"{name}: the corridor, mean waiting per leg and queue per node",
            out_dir / "map.png",
        )
    )
    return paths


def comparison_inputs(runs: Sequence[tuple[str, Path]]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Containers per scenario, all published bands and section means by state, from (name, run directory)."""
    from corridor_sim.analysis import section_means

    containers, bands, means = {}, [], []
    for name, run in runs:
        containers[name] = read_table(run, "containers")
        published = read_table(run, "published")
        if len(published):
            bands.append(published.assign(scenario=name))
        sections = read_table(run, "sections")
        if len(sections):
            means.append(section_means(sections, by_state=True).assign(scenario=name))
    band_cols = ["scenario", "destination", "label", "low_days", "high_days"]
    return (
        containers,
        pd.concat(bands, ignore_index=True) if bands else pd.DataFrame(columns=band_cols),
        pd.concat(means, ignore_index=True)
        if means
        else pd.DataFrame(columns=["scenario", "destination", "section", "state", "days"]),
    )


def plot_side_by_side(runs: Sequence[tuple[str, Path]], out_dir: Path) -> list[Path]:
    """Transit distributions and section bars of several runs, one pair per destination they all deliver to."""
    containers, bands, means = comparison_inputs(runs)
    dests = [set(measured(c)["destination"].astype(str)) if len(c) else set() for c in containers.values()]
    paths = []
    for dest in sorted(set.intersection(*dests)) if dests else []:
        paths.append(compare_distributions(containers, bands, dest, out_dir / f"transit_compare_{_slug(dest)}.png"))
        sel = means[means["destination"].astype(str).eq(dest)]
        if len(sel):
            paths.append(
                section_bars(
                    sel[["scenario", "section", "state", "days"]],
                    out_dir / f"sections_compare_{_slug(dest)}.png",
                    title=f"Where the days go, to {dest}: mean days per corridor section",
                )
            )
    return paths


def plot_comparison(directory: Path, out_dir: Path) -> list[Path]:
    """Side-by-side plots of a comparison directory's scenarios, then each one's own plots in a subfolder."""
    runs = comparison_runs(directory)
    paths = plot_side_by_side([(run.name, run) for run in runs], out_dir)
    for run in runs:
        paths += plot_run(run, out_dir / run.name)
    return paths


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_") or "all"


def plot_results(directory: Path) -> list[Path]:
    """(Re)draw every plot of a run or comparison directory into `directory/plots/`."""
    out = directory / "plots"
    return plot_comparison(directory, out) if is_comparison(directory) else plot_run(directory, out)
