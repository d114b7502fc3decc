"""Tuning plots show replication noise beside each effect: a change inside the noise must not read as an effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridor_sim.tuning import plots


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list:
    """The figures the plots would save, kept open for inspection."""
    kept: list = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: kept.append(fig) or path)
    return kept


def test_tornado_shades_the_base_interval_relative_to_the_base(figures: list, tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "parameter": ["network.segments.s.vessels.0.count"],
            **{"base": ["2"], "low": ["1"], "high": ["3"]},
            **{"dp50_low": [-1.0], "dp50_high": [2.0], "dp90_low": [-2.0], "dp90_high": [3.0]},
            **{"p50_base": [10.0], "p90_base": [14.0]},
            **{"p50_base_ci_low": [9.5], "p50_base_ci_high": [10.75]},
            **{"p90_base_ci_low": [13.0], "p90_base_ci_high": [15.5]},
        }
    )
    plots.tornado(table, "t", tmp_path / "t.png")
    for ax, (low, high) in zip(figures[0].axes[:2], ((-0.5, 0.75), (-1.0, 1.5)), strict=True):
        (band,) = [p for p in ax.patches if p.get_label().startswith("base's 95% CI")]
        assert (band.get_x(), band.get_x() + band.get_width()) == pytest.approx((low, high))


def test_tornado_without_interval_columns_draws_no_band(figures: list, tmp_path: Path) -> None:
    table = pd.DataFrame(
        {"parameter": ["a"], "base": ["1"], "low": ["0"], "high": ["2"], "p50_base": [1.0], "p90_base": [2.0]}
        | {f"d{q}_{s}": [0.5] for q in ("p50", "p90") for s in ("low", "high")}
    )
    plots.tornado(table, "t", tmp_path / "t.png")
    assert not [p for ax in figures[0].axes for p in ax.patches if p.get_label().startswith("base's")]


def test_sweep_lines_carry_their_intervals(figures: list, tmp_path: Path) -> None:
    table = pd.DataFrame({"a.x": [1, 2, 3], "p50_days": [5.0, 4.0, 3.5], "p90_days": [8.0, 6.0, 5.0]})
    table = table.assign(
        mean_days=5.0,
        throughput_teu_per_day=10.0,
        p50_ci_low=[4.5, 3.8, 3.0],
        p50_ci_high=[5.5, 4.4, 3.9],
        p90_ci_low=[7.0, 5.5, 4.6],
        p90_ci_high=[9.0, 6.9, 5.2],
    )
    plots.sweep_plot(table, ["a.x"], "t", tmp_path / "s.png")
    ax = figures[0].axes[0]
    bands = {c.get_label(): c for c in ax.collections}
    assert set(bands) == {"p50 95% CI", "p90 95% CI"}  # no mean interval in the table: none drawn
    for q in ("p50", "p90"):
        xy = np.vstack([p.vertices for p in bands[f"{q} 95% CI"].get_paths()])
        assert xy[:, 1].min() == pytest.approx(table[f"{q}_ci_low"].min())
        assert xy[:, 1].max() == pytest.approx(table[f"{q}_ci_high"].max())
        assert xy[:, 0].min() == 1 and xy[:, 0].max() == 3
