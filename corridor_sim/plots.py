"""Plots drawn from result tables only, so a results directory can be re-plotted without re-running."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from corridor_sim.analysis import measured  # noqa: E402


def transit_distribution(containers: pd.DataFrame, bands: pd.DataFrame | None, title: str, path: Path) -> Path:
    """Histogram of transit days per destination, with published bands shaded where given."""
    m = measured(containers)
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    dests = sorted(m["destination"].unique())
    if len(m):
        bins = np.linspace(0, max(m["transit_days"].max() * 1.05, 1), 60)
        for dest in dests:
            days = m.loc[m["destination"].eq(dest), "transit_days"]
            ax.hist(days, bins=bins, alpha=0.55, label=f"{dest} (median {days.median():.1f} d, n={len(days)})")
    if bands is not None:
        for _, band in bands.iterrows():
            ax.axvspan(band["low_days"], band["high_days"], color="0.5", alpha=0.15)
            ax.text(band["low_days"], ax.get_ylim()[1] * 0.95, f" published: {band['label'] or band['destination']}",
                    fontsize=8, va="top")
    ax.set_xlabel("transit time, origin to destination (days)")
    ax.set_ylabel("containers delivered (all replications)")
    ax.set_title(title)
    if dests:
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
