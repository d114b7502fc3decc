"""Figures of uncertainty and global-sensitivity studies, drawn from their tables alone.

`headline.png`: each headline figure as a distribution over the estimates' ranges (one point per parameter set),
beside what replication noise alone would give around the file's own figures, with the published band shaded — so a
reader sees at once how much wider the estimates make the answer. `gsa_<kpi>.png`: parameters ranked by Sobol total
effect (first-order part solid, the part made through interactions, ST − S1, hatched), or by Morris μ*.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from corridor_sim.plots.names import slug
from corridor_sim.plots.style import new_figure, save, styled

_SHOWN = ("p50_days", "p90_days", "in_band_share")


@styled
def _headline_figure(samples: pd.DataFrame, summary: pd.DataFrame, title: str):
    rows = summary[summary["kpi"].isin(_SHOWN) | summary["kpi"].str.startswith("Kazakhstan")]
    rows = rows[rows["destination"].isin(_destinations(summary))]
    fig = new_figure((4.2 * min(len(rows), 4), 3.4 * int(np.ceil(len(rows) / 4))))
    axes = fig.subplots(int(np.ceil(len(rows) / 4)), min(len(rows), 4), squeeze=False).ravel()
    for ax, row in zip(axes, rows.itertuples(index=False), strict=False):
        values = samples[f"{row.destination}:{row.kpi}"].dropna().to_numpy(float)
        ax.hist(values, bins=max(5, min(30, len(values) // 3)), color="#0072B2", alpha=0.75, label="over the ranges")
        if row.kpi in ("p50_days", "p90_days", "mean_days") and pd.notna(getattr(row, "band_low", np.nan)):
            ax.axvspan(row.band_low, row.band_high, color="0.85", zorder=0, label="published band")
        if pd.notna(row.base):
            ax.axvline(row.base, color="k", lw=1.2, label="file's figures")
            if pd.notna(row.base_noise_sd):
                lo, hi = row.base - 1.96 * row.base_noise_sd, row.base + 1.96 * row.base_noise_sd
                ax.axvspan(lo, hi, ymin=0.93, ymax=1.0, color="#D55E00", label="replication noise (95%)")
        ax.set_title(f"{row.destination}: {row.kpi.replace('_', ' ')}", fontsize=9)
        ax.set_xlabel("share" if row.kpi == "in_band_share" else "days")
        ax.text(
            0.98,
            0.82,
            f"5–95%: {row.p5:.3g}–{row.p95:.3g}" + (f"\nnoise sd {row.noise_sd:.2g}" if pd.notna(row.noise_sd) else ""),
            transform=ax.transAxes,
            ha="right",
            fontsize=7,
        )
    for ax in axes[len(rows) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title, fontsize=9)
    return fig


def _destinations(summary: pd.DataFrame) -> list[str]:
    """Destinations with a published band, else all of them (at most three, in table order)."""
    banded = summary.loc[summary["band_low"].notna(), "destination"] if "band_low" in summary else pd.Series([])
    return list(dict.fromkeys(banded if len(banded) else summary["destination"]))[:3]


def headline(samples: pd.DataFrame, summary: pd.DataFrame, title: str, path: Path) -> Path:
    return save(_headline_figure(samples, summary, title), path)


@styled
def _ranking_figure(table: pd.DataFrame, kpi: str, title: str, top: int):
    t = table[table["kpi"].eq(kpi)].head(top).iloc[::-1]
    y = np.arange(len(t))
    fig = new_figure((9, 0.38 * len(t) + 2.2))
    ax = fig.subplots()
    labels = [".".join(p.split(".")[2:]) if p.startswith("network.") else p for p in t["parameter"]]
    if "ST" in t:
        first = t["S1"].clip(lower=0)
        ax.barh(y, first, color="#0072B2", label="first order S1")
        ax.barh(y, (t["ST"] - first).clip(lower=0), left=first, color="#0072B2", alpha=0.35, hatch="//",
                label="interactions ST − S1")  # fmt: skip
        ax.errorbar(t["ST"], y, xerr=t["ST_conf"], fmt="none", ecolor="k", lw=0.8, capsize=2, label="ST 95% CI")
        ax.set_xlabel(f"Sobol index of {kpi} (share of its variance over the ranges)")
    else:
        ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], color="#0072B2", capsize=2, label="μ* (95% CI)")
        ax.plot(t["sigma"], y, "o", color="#D55E00", label="σ (non-linear or interacting)")
        ax.set_xlabel(f"Morris μ*: mean |change of {kpi}| across a parameter's whole range")
    ax.set_yticks(y, labels, fontsize=7.5)
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=9)
    return fig


def ranking(table: pd.DataFrame, kpi: str, title: str, directory: Path, top: int = 25) -> Path:
    return save(_ranking_figure(table, kpi, title, top), directory / f"gsa_{slug(kpi)}.png")


@styled
def compare_bands_figure(table: pd.DataFrame, bands: pd.DataFrame, destination: str):
    rows = table[table["destination"].astype(str).eq(destination)].reset_index(drop=True)
    figures = [k for k in ("p50", "p90") if f"{k}_days_ranges_p5" in rows]
    fig = new_figure((4.6 * len(figures), 0.55 * len(rows) + 2.2))
    axes = fig.subplots(1, len(figures), squeeze=False, sharey=True).ravel()
    y = np.arange(len(rows))[::-1]
    for ax, k in zip(axes, figures, strict=True):
        for yi, row in zip(y, rows.itertuples(index=False), strict=True):
            mine = bands[bands["scenario"].eq(row.scenario) & bands["destination"].eq(destination)]
            for b in mine.itertuples(index=False):
                ax.fill_betweenx([yi - 0.4, yi + 0.4], b.low_days, b.high_days, color="0.85", lw=0, zorder=0)
        low, high = rows[f"{k}_days_ranges_p5"], rows[f"{k}_days_ranges_p95"]
        ax.hlines(y, low, high, color="#0072B2", lw=1.2, label="5–95 % over the estimates' ranges")
        ax.plot(low, y, "|", color="#0072B2", ms=9)
        ax.plot(high, y, "|", color="#0072B2", ms=9)
        ax.hlines(y, rows[f"{k}_ci_low"], rows[f"{k}_ci_high"], color="#D55E00", lw=5, alpha=0.8,
                  label="95 % CI, replications only")  # fmt: skip
        ax.plot(rows[f"{k}_days"], y, "o", color="k", ms=4, label="the file's figures")
        ax.set_title(f"{k} transit days to {destination}", fontsize=9)
        ax.set_xlabel("days (grey: published band)")
    axes[0].set_yticks(y, rows["scenario"].astype(str), fontsize=8)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=7)
    sets = rows["ranges_parameter_sets"].dropna()  # uncertainty.BAND_SETS
    n = f"{int(sets.max())} parameter sets" if len(sets) else "no ranges"
    fig.suptitle(f"How sure is each scenario? Replication noise against the estimates' ranges ({n} each)", fontsize=9)
    return fig


def compare_bands(table: pd.DataFrame, bands: pd.DataFrame, destination: str, path: Path) -> Path:
    """A comparison's p50 and p90 per scenario: the replication CI (thick) inside the band over the ranges (thin),
    the published band shaded. `table`: comparison.csv with its `_ranges_` columns; `bands`: published bands."""
    return save(compare_bands_figure(table, bands, destination), path)
