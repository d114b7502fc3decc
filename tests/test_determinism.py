"""Reproducibility: the tables depend only on (scenario, seed, replication), and each part of the model draws from its
own named stream, so adding a part elsewhere leaves an untouched part's draws — and results — unchanged."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from conftest import load, run, scenario_dict

from corridor_sim.experiment import run_replications
from corridor_sim.rng import stream


def two_corridors() -> dict:
    """Two disjoint stochastic lines (a -> b -> c and x -> y) so one can be changed without touching the other."""
    exp = {"dist": "exponential", "mean": "6h"}
    nodes = {
        "a": {"role": "terminal", "handling": {"servers": 1, "time": exp}},
        "b": {"role": "border", "handling": {"servers": 2, "time": {"dist": "lognormal", "mean": "8h", "cv": 1}}},
        "c": {"role": "terminal"},
        "x": {"role": "terminal", "handling": {"servers": 1, "time": exp}},
        "y": {"role": "terminal"},
    }
    segments = {
        "ab": {
            "from": "a",
            "to": "b",
            "distance": "500km",
            "speed": {"dist": "normal", "mean": "40km/h", "sd": "10km/h"},
            "trains_per_day": 6,
        },
        "bc": {"from": "b", "to": "c", "travel_time": {"dist": "uniform", "low": "10h", "high": "20h"}},
        "xy": {"from": "x", "to": "y", "travel_time": {"dist": "triangular", "low": "5h", "mode": "6h", "high": "9h"}},
    }
    flows = {
        "main": {"origin": "a", "destination": "c", "trains_per_week": 14, "containers_per_train": 5},
        "side": {"origin": "x", "destination": "y", "trains_per_week": 10, "containers_per_train": 5},
    }
    raw = scenario_dict(nodes, segments, flows, duration="120d", warmup="10d", cooldown="20d", seed=42)
    raw["disruptions"] = {"b_out": {"target": "b", "every": {"dist": "exponential", "mean": "20d"}, "duration": "1d"}}
    return raw


def flow_view(tables: dict[str, pd.DataFrame], flow: str) -> pd.DataFrame:
    """One flow's containers without the ids (ids are shared by all flows in creation order), labels as strings: a
    scenario with another flow has other categories in its label columns, not other labels."""
    c = tables["containers"]
    view = c[c.flow == flow].drop(columns="container_id").reset_index(drop=True)
    return view.astype({name: "str" for name in ("flow", "origin", "destination", "status")})


def test_same_seed_gives_identical_tables() -> None:
    scenario = load(two_corridors())
    first, second = run(scenario), run(scenario)
    assert set(first) == set(second)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True)


def test_another_seed_or_replication_gives_different_tables() -> None:
    scenario = load(two_corridors())
    base = run(scenario)["containers"]
    for other in (run(scenario, seed=43)["containers"], run(scenario, replication=1)["containers"]):
        assert not base.equals(other)
        assert not np.isclose(base.transit_days.mean(), other.transit_days.mean())


def test_adding_a_flow_or_disruption_elsewhere_leaves_a_part_untouched() -> None:
    """The side line shares nothing with the main line; changing the main line must not move a single side draw."""
    raw = two_corridors()
    base = run(raw)
    busier = copy.deepcopy(raw)
    busier["demand"]["flows"]["extra"] = {
        "origin": "a",
        "destination": "c",
        "trains_per_week": 7,
        "containers_per_train": 5,
    }
    busier["disruptions"]["a_out"] = {"target": "ab", "every": {"dist": "exponential", "mean": "9d"}, "duration": "12h"}
    changed = run(busier)
    pd.testing.assert_frame_equal(flow_view(base, "side"), flow_view(changed, "side"), check_exact=True)
    assert not flow_view(base, "main").equals(flow_view(changed, "main"))  # the change did reach the main line


def test_parallel_replications_equal_serial() -> None:
    """Which process runs a replication does not matter: workers reproduce the serial tables exactly."""
    scenario = load(two_corridors())
    serial = run_replications(scenario, replications=2, workers=1)
    parallel = run_replications(scenario, replications=2, workers=2)
    for name in serial:
        pd.testing.assert_frame_equal(serial[name], parallel[name], check_exact=True)


@pytest.mark.parametrize(
    ("a", "b"), [((1, 0, "x"), (1, 0, "y")), ((1, 0, "x"), (2, 0, "x")), ((1, 0, "x"), (1, 1, "x"))]
)
def test_named_streams_differ_by_seed_replication_and_name(a: tuple, b: tuple) -> None:
    assert np.array_equal(stream(*a).random(5), stream(*a).random(5))
    assert not np.array_equal(stream(*a).random(5), stream(*b).random(5))


def test_warmup_and_replication_count_change_only_what_they_should() -> None:
    """The warm-up only decides which containers are measured; the number of replications does not touch the draws
    of replication 0."""
    raw = two_corridors()
    base = run(raw)["containers"]
    longer = copy.deepcopy(raw)
    longer["simulation"]["warmup"] = "30d"
    longer["simulation"]["replications"] = 7
    other = run(longer)["containers"]
    pd.testing.assert_frame_equal(base.drop(columns="measured"), other.drop(columns="measured"), check_exact=True)
    assert (other.measured == ((other.start_day >= 30) & (other.start_day < 120))).all()
    assert other.measured.sum() < base.measured.sum()
