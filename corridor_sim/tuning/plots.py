"""Plots of the tuning tools, drawn from their result tables only (a results directory can be re-plotted)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from corridor_sim.tuning.params import parse_quantity  # noqa: E402


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _numeric(values: pd.Series) -> np.ndarray | None:
    """The values as numbers if every one reads as a quantity (for a true x axis), else None (categorical): as
    written if they share one unit, else in the model's unit (`12h, 1d, 36h` is 12, 24, 36, not 12, 1, 36)."""
    qs = [parse_quantity(v) for v in values]
    if any(q is None for q in qs):
        return None
    same_unit = len({q.unit for q in qs}) == 1
    return np.array([q.number if same_unit else q.canonical for q in qs])


def sweep_plot(table: pd.DataFrame, keys: Sequence[str], title: str, path: Path) -> Path:
    """One parameter: p50/p90/mean transit and throughput against it. Two: heat map of p50. More: points in order."""
    if len(keys) == 2:
        pivot = table.pivot_table(index=keys[0], columns=keys[1], values="p50_days", sort=False, observed=True)
        fig, ax = plt.subplots(figsize=(8, 6), constrained_layout=True)
        im = ax.imshow(pivot.to_numpy(), cmap="viridis_r", aspect="auto", origin="lower")
        ax.set_xticks(range(pivot.shape[1]), [str(c) for c in pivot.columns], rotation=30)
        ax.set_yticks(range(pivot.shape[0]), [str(i) for i in pivot.index])
        for (i, j), v in np.ndenumerate(pivot.to_numpy()):  # dark text on light cells, white on dark ones
            light = sum(im.cmap(im.norm(v))[:3]) / 3 > 0.55
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8, color="black" if light else "white")
        ax.set_xlabel(keys[1])
        ax.set_ylabel(keys[0])
        fig.colorbar(im, ax=ax, label="p50 transit (days)")
        ax.set_title(title, fontsize=9)
        return _save(fig, path)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, constrained_layout=True)
    if len(keys) == 1:
        x = _numeric(table[keys[0]])
        labels = table[keys[0]].astype(str).tolist()
        if x is None:
            x = np.arange(len(table))
            ax2.set_xticks(x, labels, rotation=30)
        elif np.allclose(x, np.round(x)):  # counts: a tick at each value swept, never at 1.5 vessels
            ax2.set_xticks(x, labels)
        ax2.set_xlabel(keys[0])
    else:
        x = np.arange(len(table))
        labels = [", ".join(str(r[k]) for k in keys) for _, r in table.iterrows()]
        ax2.set_xticks(x, labels, rotation=60, fontsize=7)
        ax2.set_xlabel(" / ".join(keys))
    for k, (col, style) in enumerate((("p50_days", "o-"), ("p90_days", "s--"), ("mean_days", "^:"))):
        ax.plot(x, table[col], style, color=f"C{k}", label=col.replace("_days", ""))
        q = col.removesuffix("_days")
        if {f"{q}_ci_low", f"{q}_ci_high"} <= set(table.columns):  # replication noise at each point, 95 %
            low, high = table[f"{q}_ci_low"].to_numpy(float), table[f"{q}_ci_high"].to_numpy(float)
            if len(keys) == 1:
                ax.fill_between(x, low, high, color=f"C{k}", alpha=0.18, linewidth=0, label=f"{q} 95% CI")
            else:  # points in order: no band between unrelated points
                ax.vlines(x, low, high, color=f"C{k}", alpha=0.5, linewidth=3, label=f"{q} 95% CI")
    ax.set_ylabel("transit time (days)")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    ax2.plot(x, table["throughput_teu_per_day"], "o-", color="C3")
    ax2.set_ylabel("throughput (TEU/day)")
    return _save(fig, path)


def tornado(table: pd.DataFrame, title: str, path: Path, top: int = 25) -> Path:
    """Change from base of p50 and p90 at the low and high value of each parameter, largest swing on top."""
    t = table.head(top).iloc[::-1]
    y = np.arange(len(t))
    fig, axes = plt.subplots(
        1, 2, figsize=(14, 0.42 * len(t) + 2.6), sharey=True, sharex=True, constrained_layout=True
    )  # one x scale for p50 and p90, so their bars compare
    for ax, q in zip(axes, ("p50", "p90"), strict=True):
        ax.barh(y - 0.2, t[f"d{q}_low"].fillna(0), height=0.4, color="C0", label="low value")
        ax.barh(y + 0.2, t[f"d{q}_high"].fillna(0), height=0.4, color="C1", label="high value")
        for yy, lo, hi in zip(y, t[f"d{q}_low"], t[f"d{q}_high"], strict=True):
            if pd.isna(lo) or pd.isna(hi):  # a value that cannot move is said, not drawn as a zero
                ax.text(0, yy, "  not moved: see its values", va="center", fontsize=7, color="0.4")
        base = t[f"{q}_base"].iloc[0]
        if {f"{q}_base_ci_low", f"{q}_base_ci_high"} <= set(t.columns):  # an effect inside it reads as noise
            low, high = t[f"{q}_base_ci_low"].iloc[0] - base, t[f"{q}_base_ci_high"].iloc[0] - base
            if np.isfinite([low, high]).all():
                ax.axvspan(low, high, color="0.6", alpha=0.25, zorder=0, label="base's 95% CI (replication noise)")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel(f"change of {q} transit from base {base:.1f} d (days)")
    axes[0].set_yticks(y, [_tornado_label(r) for r in t.itertuples(index=False)], fontsize=7.5)
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.supxlabel(
        "names: the end of each key path of the scenario file; in brackets: base → low / high as actually set "
        "(counts move by whole units, bounded values stop at their bound)",
        fontsize=7,
        color="0.4",
    )
    return _save(fig, path)


def _tornado_label(row) -> str:
    """The readable end of the key path and the values it took: `aktau_alat vessels.0.count  [2 → 1 / 3]`."""
    parts = str(row.parameter).split(".")
    name = " ".join(parts[2:]) if len(parts) > 2 and parts[0] == "network" else str(row.parameter)
    return f"{name}  [{row.base} → {row.low or '–'} / {row.high or '–'}]"


def calibration_plot(
    table: pd.DataFrame, keys: Sequence[str], targets: Mapping[str, float], title: str, path: Path
) -> Path:
    """Each targeted KPI at every evaluated point against the first parameter, target line, best point marked."""
    fig, axes = plt.subplots(1, len(targets), figsize=(6 * len(targets), 4.5), squeeze=False, constrained_layout=True)
    x = _numeric(table[keys[0]])
    x = np.arange(len(table)) if x is None else x
    best = int(table["loss"].idxmin())
    for ax, (col, goal) in zip(axes[0], targets.items(), strict=True):
        ax.scatter(x, table[col], c=np.where(table["phase"].eq("grid"), "C0", "C2"), s=18)
        ax.axhline(goal, color="C3", ls="--", label=f"target {goal:g} d")
        ax.scatter([x[best]], [table[col].iloc[best]], marker="*", s=200, color="C3", label="best fit")
        ax.set_xlabel(keys[0])
        ax.set_ylabel(f"{col.replace('_days', '')} transit (days)")
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def intervention_bars(table: pd.DataFrame, title: str, path: Path) -> Path:
    """Days saved at p50 and p90 per intervention (95% paired intervals), in the table's ranking order, best on top;
    beside them, when the scenario is priced, the generalised cost saved per TEU (price and time cost), so a ranking
    by money reads off the same picture."""
    t = table[table["intervention"].ne("(base)")].iloc[::-1]
    money = t.get("saved_generalised_cost_per_teu", pd.Series(dtype=float)).astype(float)
    priced = bool(money.notna().any())
    y = np.arange(len(t))
    fig, axes = plt.subplots(
        1,
        2 if priced else 1,
        sharey=True,
        squeeze=False,
        figsize=(14 if priced else 10, 0.5 * len(t) + 2),
        width_ratios=[3, 2] if priced else [1],
        constrained_layout=True,
    )
    ax = axes[0][0]
    for off, q, color in ((-0.2, "p50", "C0"), (0.2, "p90", "C1")):
        err = np.array([t[f"saved_{q}_days"] - t[f"saved_{q}_ci_low"], t[f"saved_{q}_ci_high"] - t[f"saved_{q}_days"]])
        ax.barh(
            y + off,
            t[f"saved_{q}_days"],
            height=0.38,
            color=color,
            label=f"days saved at {q}",
            xerr=np.clip(np.nan_to_num(err), 0, None),  # a percentile CI of a median may leave out the point
            capsize=2,
        )
    labels = [
        f"{n}" + (f"  ({c:g} {u})" if pd.notna(c) else "")
        for n, c, u in zip(t["intervention"], t["cost"], t["cost_unit"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("days saved against the base scenario")
    ax.legend(fontsize=8)
    if priced:
        right = axes[0][1]
        right.barh(y, money.fillna(0.0), height=0.6, color="C2")
        for yi, v in zip(y, money, strict=True):
            if pd.notna(v):
                right.annotate(
                    f"{v:,.0f}",
                    (v, yi),
                    xytext=(3 if v >= 0 else -3, 0),
                    textcoords="offset points",
                    ha="left" if v >= 0 else "right",
                    va="center",
                    fontsize=8,
                )
        right.axvline(0, color="k", lw=0.8)
        right.set_xlabel("generalised cost saved per TEU (USD: price + time cost, mean)")
        right.margins(x=0.15)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def capacity_plot(curve: pd.DataFrame, title: str, path: Path) -> Path:
    """Transit and throughput against the demand multiplier per stage; saturated points crossed, binding named."""
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 8), sharex=True, constrained_layout=True)
    for k, (stage, g) in enumerate(curve.groupby("stage", sort=False, observed=True)):
        color = f"C{k % 10}"
        ax.plot(g["demand_multiplier"], g["p50_days"], "o-", color=color, label=f"{stage} p50")
        ax.plot(g["demand_multiplier"], g["p90_days"], "--", color=color, alpha=0.6, label=f"{stage} p90")
        ax2.plot(g["demand_multiplier"], g["carried_teu_per_day"], "o-", color=color, label=stage)
        sat = g[g["saturated"]]
        ax.scatter(sat["demand_multiplier"], sat["p50_days"], marker="x", s=90, color="k", zorder=3)
        ax2.scatter(sat["demand_multiplier"], sat["carried_teu_per_day"], marker="x", s=90, color="k", zorder=3)
        if len(sat):
            first = sat.iloc[0]
            ax2.annotate(
                f"binds: {first['binding']}",
                (first["demand_multiplier"], first["carried_teu_per_day"]),
                textcoords="offset points",
                xytext=(5, -14 - 10 * k),
                fontsize=8,
                color=color,
            )
    offered = curve.groupby("demand_multiplier", observed=True)["offered_teu_per_day"].mean()
    ax2.plot(offered.index, offered.to_numpy(), ":", color="0.4", label="offered")
    ax.set_ylabel("transit time (days)")
    cumulative = "; +stages add interventions cumulatively" if curve["stage"].nunique() > 1 else ""
    ax.set_title(f"{title}\n× = saturated: queues grow without bound{cumulative}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: it hid the lines
    ax2.set_xlabel("demand multiplier (every flow's volume)")
    ax2.set_ylabel("TEU/day delivered in the window")
    ax2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)
