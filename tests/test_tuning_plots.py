"""The tuning plots draw from result tables alone: a saved table re-plots without re-running anything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from corridor_sim.tuning.plots import sweep_plot


@pytest.mark.parametrize("keys", [["a.x"], ["a.x", "b.y"], ["a.x", "b.y", "c.z"]])
def test_sweep_plot_for_one_two_and_more_parameters(tmp_path: Path, keys: list[str]) -> None:
    grid = pd.MultiIndex.from_product([["12h", "24h"], [1, 2], ["p", "q"]][: len(keys)], names=keys).to_frame(
        index=False
    )
    table = grid.assign(p50_days=range(len(grid)), p90_days=2.0, mean_days=1.0, throughput_teu_per_day=3.0)
    path = sweep_plot(table, keys, "t", tmp_path / "s.png")
    assert path.stat().st_size > 1000
