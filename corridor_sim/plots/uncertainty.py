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

from corridor_sim.plots.style import new_figure, save, slug, styled

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
