"""Global sensitivity against known answers: a fixed-time corridor whose transit is the sum of its ranged figures
(routed through the simulator and the study machinery), and the Ishigami function (through the same design, ledger
and SALib analysis, with a pure evaluator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import scenario_dict

from corridor_sim import sensitivity_global as gsa
from corridor_sim.ledger import Ledger, run_design
from corridor_sim.ranges import Ranged
from corridor_sim.tuning.evaluate import Study
from corridor_sim.uncertainty import parameters, run_points

# (key path, base, low, high) in hours: transit = o + m + om + 4 h, every container alike (no queue: ample servers)
RANGES = [
    ("network.nodes.o.handling.time", 2, 1, 3),
    ("network.nodes.m.handling.time", 6, 2, 10),
    ("network.segments.om.travel_time", 6, 5, 8),
]


def fixed_corridor() -> dict:
    def ranged(base: float, low: float, high: float) -> dict:
        return {"value": f"{base}h", "estimate": True, "range": [f"{low}h", f"{high}h"]}

    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 10, "time": ranged(*RANGES[0][1:])}},
        "m": {"role": "junction", "handling": {"servers": 10, "time": ranged(*RANGES[1][1:])}},
        "z": {"role": "terminal"},
    }
    segments = {
        "om": {"from": "o", "to": "m", "travel_time": ranged(*RANGES[2][1:]), "trains_per_day": 100},
        "mz": {"from": "m", "to": "z", "travel_time": "4h", "trains_per_day": 100},
    }
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "arrivals": "timetable"}}
    return scenario_dict(nodes, segments, flows, duration="5d", cooldown="3d")


@pytest.fixture
def study(tmp_path) -> Study:
    raw = fixed_corridor()
    raw["demand"]["flows"]["f"]["containers_per_train"] = 5
    path = tmp_path / "fixed.yaml"
    path.write_text(yaml.safe_dump(raw))
    return Study.load(path)


def test_the_corridor_is_the_sum_of_its_ranged_figures(study: Study) -> None:
    params = parameters(study)
    at = {"o.handling": 1.0, "m.handling": 0.5, "om.travel": 0.25}  # positions in each range
    unit = np.array([[0.0] * 3, [next(u for k, u in at.items() if k in p.key) for p in params]])
    samples, base = run_points(study, params, unit, Ledger(None, "t"))
    assert base["z:p50_days"] == pytest.approx((2 + 6 + 6 + 4) / 24)
    assert samples["z:p50_days"].tolist() == pytest.approx([(1 + 2 + 5 + 4) / 24, (3 + 6 + 5.75 + 4) / 24])


def test_morris_elementary_effects_are_each_figure_s_width(study: Study) -> None:
    """Transit is linear in each figure: every elementary effect across the whole range is its width, σ is 0."""
    params = parameters(study)
    unit = gsa.morris_design(params, 4, 4, seed=3)
    samples, _ = run_points(study, params, unit, Ledger(None, "t"))
    both = gsa.morris_indices(params, unit, samples, ["z:p50_days", "z:mean_days"], 4, seed=3)  # any figure
    assert (both[both["kpi"].eq("z:mean_days")]["mu_star"].to_numpy() > 0).all()
    table = both[both["kpi"].eq("z:p50_days")].set_index("parameter")
    for key, _, low, high in RANGES:
        assert table.loc[key, "mu_star"] == pytest.approx((high - low) / 24, rel=1e-6)
        assert table.loc[key, "sigma"] == pytest.approx(0, abs=1e-9)
    assert table.index[0] == "network.nodes.m.handling.time"  # ranked by μ*


def test_sobol_indices_are_the_variance_shares_within_their_intervals(study: Study) -> None:
    """Uniform ranges of an additive sum: S1_i = ST_i = width_i² / Σ width² (no interactions)."""
    params = parameters(study)
    unit = gsa.sobol_design(params, 64, seed=1)
    samples, _ = run_points(study, params, unit, Ledger(None, "t"))
    both = gsa.sobol_indices(params, samples, ["z:p50_days", "z:mean_days"], seed=1)
    table = both[both["kpi"].eq("z:p50_days")].set_index("parameter")
    widths = {key: (high - low) ** 2 for key, _, low, high in RANGES}
    for key, w in widths.items():
        share = w / sum(widths.values())
        for index in ("S1", "ST"):
            assert abs(table.loc[key, index] - share) <= table.loc[key, f"{index}_conf"], (key, index)
    assert table["interaction"].abs().max() < 0.05


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -np.pi + 2 * np.pi * x  # positions in the unit cube → [-π, π]
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_through_the_design_ledger_and_analysis(tmp_path) -> None:
    """The textbook non-additive case: x3 acts only through its interaction with x1 (S1 = 0, ST = 0.244)."""
    params = [Ranged(f"x{i}", 0.5, 0.0, 1.0, "", False) for i in (1, 2, 3)]
    unit = gsa.sobol_design(params, 1024, seed=2)
    ledger = Ledger(tmp_path / "l.jsonl", "ishigami")
    rows = run_design(len(unit), lambda idx: [{"y": float(ishigami(unit[list(idx)])[k])} for k in range(len(idx))],
                      ledger, chunk=1000)  # fmt: skip
    table = gsa.sobol_indices(params, pd.DataFrame(rows), ["y"], seed=2).set_index("parameter")
    v = 0.5 + 49 / 8 + 0.1 * np.pi**4 / 5 + 0.01 * np.pi**8 / 18
    s1 = {"x1": (0.5 * (1 + 0.1 * np.pi**4 / 5) ** 2) / v, "x2": (49 / 8) / v, "x3": 0.0}
    st = {
        "x1": s1["x1"] + 0.01 * np.pi**8 * (1 / 18 - 1 / 50) / v,
        "x2": s1["x2"],
        "x3": 0.01 * np.pi**8 * (8 / 225) / v,
    }
    for key in s1:
        assert abs(table.loc[key, "S1"] - s1[key]) <= table.loc[key, "S1_conf"], key
        assert abs(table.loc[key, "ST"] - st[key]) <= table.loc[key, "ST_conf"], key
    assert table.loc["x3", "interaction"] > 0.15  # its whole effect is an interaction


def test_sobol_design_size_must_be_a_power_of_two(study: Study) -> None:
    with pytest.raises(Exception, match="power of two"):
        gsa.sobol_design(parameters(study), 48, seed=1)
