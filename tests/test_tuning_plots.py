"""The tuning plots say what their tables hold: titles, axis units, one series per figure of the table, the values
drawn, the bottleneck named. They draw from result tables alone (a saved table re-plots without re-running).

Each plot function saves and closes its figure; `drawn` keeps the figure handed to `Figure.savefig` (a closed
figure keeps its artists), so the tests read the figure itself, not the size of a PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from corridor_sim.tuning.plots import capacity_plot, intervention_bars, sweep_plot, tornado


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    figures: list[Figure] = []
    save = Figure.savefig

    def keep(fig: Figure, *args, **kwargs) -> None:
        figures.append(fig)
        save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def lines(ax) -> dict[str, tuple[list[float], list[float]]]:
    return {ln.get_label(): (list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.get_lines()}


def test_sweep_of_one_quantity_draws_each_statistic_against_its_value(tmp_path: Path, drawn) -> None:
    table = pd.DataFrame(
        {
            "a.x": ["12h", "1d", "36h"],  # one axis in hours whatever unit each value was written in
            "p50_days": [1.0, 2.0, 4.0],
            "p90_days": [2.0, 3.0, 6.0],
            "mean_days": [1.5, 2.5, 5.0],
            "throughput_teu_per_day": [30.0, 20.0, 10.0],
        }
    )
    path = sweep_plot(table, ["a.x"], "sweep of a.x", tmp_path / "s.png")
    assert path.exists()
    [fig] = drawn
    top, bottom = fig.axes
    assert top.get_title() == "sweep of a.x"
    assert top.get_ylabel() == "transit time (days)" and bottom.get_ylabel() == "throughput (TEU/day)"
    assert bottom.get_xlabel() == "a.x"
    series = lines(top)
    assert set(series) == {"p50", "p90", "mean"}
    for name in series:
        assert series[name] == ([12.0, 24.0, 36.0], table[f"{name}_days"].tolist())
    assert lines(bottom)[next(iter(lines(bottom)))] == ([12.0, 24.0, 36.0], [30.0, 20.0, 10.0])


def test_sweep_of_two_parameters_is_a_heat_map_of_p50_with_its_values_written(tmp_path: Path, drawn) -> None:
    table = pd.DataFrame(
        {"a.x": ["12h", "12h", "24h", "24h"], "b.y": [1, 2, 1, 2], "p50_days": [1.0, 2.0, 3.0, 4.25]}
    ).assign(p90_days=0.0, mean_days=0.0, throughput_teu_per_day=0.0)
    sweep_plot(table, ["a.x", "b.y"], "grid", tmp_path / "s.png")
    [fig] = drawn
    ax, bar = fig.axes
    assert (ax.get_ylabel(), ax.get_xlabel(), ax.get_title()) == ("a.x", "b.y", "grid")
    assert bar.get_ylabel() == "p50 transit (days)"
    cells = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(0, 0): "1.0", (0, 1): "2.0", (1, 0): "3.0", (1, 1): "4.2"}  # row: a.x, column: b.y
    assert np.array_equal(ax.images[0].get_array(), [[1.0, 2.0], [3.0, 4.25]])


@pytest.mark.parametrize("keys", [["a.x", "b.y", "c.z"]])
def test_sweep_of_more_parameters_puts_each_point_in_order(tmp_path: Path, drawn, keys: list[str]) -> None:
    grid = pd.MultiIndex.from_product([["12h", "24h"], [1, 2], ["p", "q"]], names=keys).to_frame(index=False)
    table = grid.assign(p50_days=range(len(grid)), p90_days=2.0, mean_days=1.0, throughput_teu_per_day=3.0)
    sweep_plot(table, keys, "t", tmp_path / "s.png")
    top, bottom = drawn[0].axes
    assert bottom.get_xlabel() == "a.x / b.y / c.z"
    assert [t.get_text() for t in bottom.get_xticklabels()][:2] == ["12h, 1, p", "12h, 1, q"]
    assert lines(top)["p50"][1] == list(range(8))


def test_capacity_curve_names_the_bottleneck_where_each_stage_first_saturates(tmp_path: Path, drawn) -> None:
    curve = pd.DataFrame(
        {
            "stage": ["base"] * 3 + ["+ferry"] * 3,
            "demand_multiplier": [1.0, 2.0, 3.0] * 2,
            "offered_teu_per_day": [10.0, 20.0, 30.0] * 2,
            "carried_teu_per_day": [10.0, 15.0, 15.0, 10.0, 20.0, 25.0],
            "p50_days": [5.0, 20.0, 40.0, 5.0, 6.0, 30.0],
            "p90_days": [7.0, 30.0, 60.0, 7.0, 8.0, 45.0],
            "saturated": [False, True, True, False, False, True],
            "binding": ["", "aktau_alat", "aktau_alat", "", "", "dostyk"],
        }
    )
    capacity_plot(curve, "capacity", tmp_path / "c.png")
    top, bottom = drawn[0].axes
    assert top.get_title().startswith("capacity\n× = saturated") and "cumulatively" in top.get_title()
    assert top.get_ylabel() == "transit time (days)"
    assert bottom.get_ylabel() == "TEU/day delivered in the window"
    assert bottom.get_xlabel() == "demand multiplier (every flow's volume)"
    assert set(lines(top)) == {"base p50", "base p90", "+ferry p50", "+ferry p90"}
    assert set(lines(bottom)) == {"base", "+ferry", "offered"}
    assert lines(bottom)["offered"] == ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0])
    named = {t.get_text(): t.xy for t in bottom.texts}
    assert named == {"binds: aktau_alat": (2.0, 15.0), "binds: dostyk": (3.0, 25.0)}  # first saturated point
    crosses = [c.get_offsets().tolist() for c in top.collections]
    assert crosses == [[[2.0, 20.0], [3.0, 40.0]], [[3.0, 30.0]]]


def test_intervention_bars_are_the_days_saved_best_on_top_with_their_cost(tmp_path: Path, drawn) -> None:
    """A paired percentile interval of a median may leave out the point estimate (seen on current_2023 at 5
    replications): the bar is still drawn, its error bar clipped at the point, not refused by matplotlib."""
    ci = {f"saved_{q}_ci_{s}": v for q in ("p50", "p90") for s, v in (("low", 0.2), ("high", 0.5))}
    table = pd.DataFrame(
        [
            {"intervention": "(base)", "cost": np.nan, "cost_unit": "", "saved_p50_days": None, **ci},
            {"intervention": "more_vessels", "cost": 120.0, "cost_unit": "M USD", "saved_p50_days": 0.7, **ci},
            {"intervention": "customs", "cost": np.nan, "cost_unit": "", "saved_p50_days": 0.3, **ci},
        ]
    ).assign(saved_p90_days=[None, 0.1, 0.4])
    intervention_bars(table, "days saved", tmp_path / "i.png")
    [ax] = drawn[0].axes  # unpriced: no money panel
    assert drawn[0].get_suptitle() == "days saved" and ax.get_xlabel() == "days saved against the base scenario"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["customs", "more_vessels  (120 M USD)"]  # bottom to top: the table's first on top
    p50, p90 = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [b.get_width() for b in p50] == [0.3, 0.7] and [b.get_width() for b in p90] == [0.4, 0.1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["days saved at p50", "days saved at p90"]


def test_a_priced_ranking_shows_the_generalised_cost_saved_beside_the_days(tmp_path: Path, drawn) -> None:
    ci = {f"saved_{q}_ci_{s}": 0.0 for q in ("p50", "p90") for s in ("low", "high")}
    table = pd.DataFrame(
        {
            "intervention": ["(base)", "hub", "customs"],
            "cost": [np.nan, 50.0, np.nan],
            "cost_unit": ["", "M USD", ""],
            "saved_p50_days": [np.nan, 1.0, 2.0],
            "saved_p90_days": [np.nan, 1.5, 2.5],
            "saved_generalised_cost_per_teu": [np.nan, 436.0, 872.0],
            **ci,
        }
    )
    intervention_bars(table, "ranked by generalised cost", tmp_path / "i.png")
    days, money = drawn[0].axes
    assert money.get_xlabel().startswith("generalised cost saved per TEU (USD")
    [bars] = [c for c in money.containers if isinstance(c, BarContainer)]
    assert [b.get_width() for b in bars] == [872.0, 436.0]  # bottom to top, as the days panel: customs, hub
    assert [t.get_text() for t in money.texts] == ["872", "436"]
    assert [t.get_text() for t in days.get_yticklabels()] == ["customs", "hub  (50 M USD)"]


def test_tornado_puts_the_largest_swing_on_top_and_says_the_base(tmp_path: Path, drawn) -> None:
    table = pd.DataFrame(
        {
            "parameter": ["network.segments.aktau_alat.vessels.0.count", "simulation.seed"],
            "base": ["2", "1"],
            "low": ["1", ""],
            "high": ["3", ""],
            "dp50_low": [4.0, np.nan],
            "dp50_high": [-2.0, np.nan],
            "dp90_low": [6.0, np.nan],
            "dp90_high": [-3.0, np.nan],
            "p50_base": 10.0,
            "p90_base": 15.0,
        }
    )
    tornado(table, "sensitivity", tmp_path / "t.png")
    fig = drawn[0]
    left, right = fig.axes
    assert left.get_xlabel() == "change of p50 transit from base 10.0 d (days)"
    assert right.get_xlabel() == "change of p90 transit from base 15.0 d (days)"
    assert [t.get_text() for t in left.get_yticklabels()] == [
        "simulation.seed  [1 → – / –]",
        "aktau_alat vessels 0 count  [2 → 1 / 3]",
    ]
    assert [b.get_width() for b in left.patches] == [0.0, 4.0, 0.0, -2.0]  # low bars, then high bars
    assert [t.get_text() for t in left.texts] == ["  not moved: see its values"]
