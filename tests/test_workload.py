"""The work estimate: counts that match hand computation, an upper bound of what a run really does, and the refusal
of a run above the limit before anything is simulated."""

from __future__ import annotations

import copy

import pytest
from conftest import load, run, scenario_dict

from corridor_sim.errors import ScenarioError
from corridor_sim.workload import DEFAULT_MAX_EVENTS, check, estimate

NODES = {
    "a": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}},
    "p": {"role": "port", "handling": {"servers": 1, "time": "3h"}},
    "q": {"role": "port", "formation": {"train_size": 40, "max_wait": "48h"}},
    "z": {"role": "terminal"},
}
SEGMENTS = {
    "ap": {"from": "a", "to": "p", "distance": "900km", "speed": "600km/d", "trains_per_day": 4},
    "pq": {
        "from": "p",
        "to": "q",
        "mode": "ferry",
        "vessels": [{"capacity_teu": 160, "count": 2}],
        "crossing_time": "20h",
        "departure": {"rule": "timetable", "every": "36h"},
    },
    "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h"},
}
FLOWS = {"f1": {"origin": "a", "destination": "z", "teu_per_year": 12000, "containers_per_train": 40}}
RAW = scenario_dict(NODES, SEGMENTS, FLOWS, duration="80d", cooldown="20d", monitor_interval="6h", replications=3)
HORIZON_H = 100 * 24.0


def test_counts_by_hand() -> None:
    w = estimate(load(RAW))
    trains = 12000 / 2 / 40 * HORIZON_H / 8766  # 150 trains a year, over 100 days
    assert w.trains == pytest.approx(trains)
    assert w.containers == pytest.approx(40 * trains)
    assert w.monitor_samples == pytest.approx(HORIZON_H / 6)
    assert w.sailings == pytest.approx(HORIZON_H / 36 + 2)  # one per loading slot, plus one per vessel
    assert w.outages == 0 and w.replications == 3 and w.total == pytest.approx(3 * w.events)


def test_demand_factor_scales_demand_only() -> None:
    one, ten = estimate(load(RAW)), estimate(load(RAW), demand_factor=10)
    assert ten.containers == pytest.approx(10 * one.containers)
    assert ten.monitor_samples == one.monitor_samples


def test_estimate_bounds_a_real_run() -> None:
    raw = copy.deepcopy(RAW)
    raw["network"]["segments"]["pq"]["departure"] = {"rule": "when_full", "max_wait": "48h"}
    raw["disruptions"] = {"storm": {"target": "pq", "every": "5d", "duration": "1d"}}
    scenario = load(raw)
    w = estimate(scenario)
    tables = run(scenario)
    assert len(tables["containers"]) == pytest.approx(w.containers, rel=0.25)  # Poisson: ~1,900 expected
    assert len(tables["sailings"]) <= w.sailings
    assert w.outages == pytest.approx(HORIZON_H / (6 * 24))


def test_busiest_dated_state_counts() -> None:
    raw = copy.deepcopy(RAW)
    raw["changes"] = [{"from": "2023-02-01", "set": {"demand.flows.f1.teu_per_year": 120000}}]
    assert estimate(load(raw)).containers == pytest.approx(10 * estimate(load(RAW)).containers)


def test_above_the_limit_is_refused_in_one_line() -> None:
    w = estimate(load(RAW))
    check(w, w.total)  # at the limit: runs
    with pytest.raises(ScenarioError) as info:
        check(w, w.total - 1)
    text = str(info.value)
    assert info.value.key == "work estimate" and "\n" not in text and "--max-events" in text
    assert "most from" in text and "containers" in text
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ScenarioError, match="must be positive"):
            check(w, bad)


def test_a_long_fine_monitor_is_refused_by_default() -> None:
    """Every figure within its bounds, the product not: a 1-minute monitor over 9,000 years."""
    raw = scenario_dict(NODES, SEGMENTS, FLOWS, start="1000-01-01", duration="3000000d", monitor_interval="1min")
    w = estimate(load(raw))
    assert w.monitor_samples > DEFAULT_MAX_EVENTS
    with pytest.raises(ScenarioError, match="monitor samples"):
        check(w, DEFAULT_MAX_EVENTS)


def test_validate_prints_the_estimate(write_yaml, capsys: pytest.CaptureFixture[str]) -> None:
    from corridor_sim.cli import main

    assert main(["validate", str(write_yaml(RAW))]) == 0
    out = capsys.readouterr().out
    assert "work estimate per replication: 41 trains, 1,643 containers, 69 sailings, 0 outages, 400 monitor" in out
    assert "x 3 replications" in out


def test_a_sweep_point_asking_too_much_is_refused_before_any_run(write_yaml, tmp_path, capsys) -> None:
    """The base is light; one sweep point multiplies demand 80,000-fold: refused in one line naming that point, with
    nothing simulated and no results directory left (the variant's estimate is checked, not only the base's)."""
    from corridor_sim.cli import main

    out = tmp_path / "sweep"
    args = ["sweep", str(write_yaml(RAW)), "--param", "demand.flows.f1.teu_per_year=12000,1e9", "--out", str(out)]
    assert main([*args, "--max-events", "1e8", "--quiet", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--param" in err and "work estimate" in err and "--max-events" in err
    assert not out.exists()
