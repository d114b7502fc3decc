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


def test_intervention_bars_draw_when_the_point_lies_outside_its_percentile_interval(tmp_path: Path) -> None:
    """A paired percentile interval of a median may leave out the point estimate (seen on current_2023 at 5
    replications): the bar is still drawn, its error bar clipped at the point, not refused by matplotlib."""
    from corridor_sim.tuning.plots import intervention_bars

    row = {"cost": float("nan"), "cost_unit": ""}
    ci = {f"saved_{q}_ci_{s}": v for q in ("p50", "p90") for s, v in (("low", 0.2), ("high", 0.5))}
    table = pd.DataFrame(
        [
            {"intervention": "(base)", **row, "saved_p50_days": None, "saved_p90_days": None, **ci},
            {"intervention": "more_vessels", **row, "saved_p50_days": 0.7, "saved_p90_days": 0.1, **ci},
        ]
    )
    path = intervention_bars(table, "t", tmp_path / "i.png")
    assert path.exists()
