"""Run-time invariants: a real run's tables pass, and each kind of corruption is caught and named.

The corruptions are what a bug in the engine, the recorder or the writer would produce: a container lost or counted
twice, time unaccounted, a container in two places at once, a vessel over capacity or on two sailings at once, a
train above its size, a sea leg carrying more or fewer containers than the flows through it imply.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import load, scenario_dict

from corridor_sim import analysis
from corridor_sim.engine import simulate
from corridor_sim.invariants import InvariantError, check, check_run_dir, find_violations
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario
from corridor_sim.workspace import routes_table

Tables = dict[str, pd.DataFrame]

RAW = scenario_dict(
    {
        "a": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}},
        "p": {"role": "port", "handling": {"servers": 2, "time": {"dist": "exponential", "mean": "3h"}}, "berths": 1},
        "q": {"role": "port", "formation": {"train_size": 40, "max_wait": "36h"}},
        "z": {"role": "terminal"},
    },
    {
        "ap": {"from": "a", "to": "p", "distance": "900km", "speed": "600km/d", "trains_per_day": 4},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 120, "count": 2}],
            "crossing_time": {"dist": "uniform", "low": "16h", "high": "26h"},
            "load_time": "5h",
            "departure": {"rule": "when_full", "max_wait": "48h"},
        },
        "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h", "trains_per_day": 3},
    },
    {"f1": {"origin": "a", "destination": "z", "teu_per_year": 12000, "containers_per_train": 40}},
    duration="60d",
    warmup="5d",
    cooldown="15d",
)


@pytest.fixture(scope="module")
def run() -> tuple[Scenario, Tables]:
    scenario = load(RAW)
    network = build_network(scenario)
    tables = simulate(scenario, network, 0)
    tables["routes"] = routes_table(scenario, network)
    return scenario, tables


def test_a_real_run_holds_every_invariant(run: tuple[Scenario, Tables]) -> None:
    scenario, tables = run
    assert len(tables["containers"]) > 1000 and len(tables["sailings"]) > 10 and len(tables["tracks"]) > 100
    summary = {"containers_total": analysis.counts(tables["containers"])}
    assert find_violations(tables, scenario, summary) == []


def _first_travel_on(t: pd.DataFrame, line: str) -> int:
    return int(t.index[(t["location"] == line) & (t["state"] == "travel")][0])


def _overlap(t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    i = t.index[t["container_id"] == t["container_id"].iloc[0]][1]
    t.loc[i, "start_day"] -= 0.5  # the second stage starts before the first ends
    return t


def _oversized_train(t: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    row = t.loc[_first_travel_on(t, "ap")]
    others = c[~c["container_id"].isin(t["container_id"])].head(45)["container_id"]
    extra = pd.DataFrame([row] * len(others)).assign(container_id=others.to_numpy())
    return pd.concat([t, extra], ignore_index=True)


def _vessel_twice(s: pd.DataFrame) -> pd.DataFrame:
    s = s.copy()
    v = s.index[s["vessel"] == s["vessel"].iloc[0]]
    s.loc[v[1], "depart_day"] = s.loc[v[0], "arrive_day"] - 0.5
    return s


MUTATIONS: dict[str, tuple[Callable[[Tables], Tables], str]] = {
    "lost container": (
        lambda x: {**x, "containers": x["containers"].drop(index=17)},
        "containers lost or double-counted",
    ),
    "counted twice": (
        lambda x: {**x, "containers": pd.concat([x["containers"], x["containers"].iloc[[3]]])},
        "containers lost or double-counted",
    ),
    "end before start": (
        lambda x: {
            **x,
            "containers": x["containers"].assign(
                end_day=lambda c: c["end_day"].where(c.index != 5, c["start_day"] - 1)
            ),
        },
        "end_day before start_day",
    ),
    "time unaccounted": (
        lambda x: {
            **x,
            "containers": x["containers"].assign(
                waiting_days=lambda c: c["waiting_days"].where(c.index != 9, c["waiting_days"] + 0.7)
            ),
        },
        "moving+handling+waiting differs from transit",
    ),
    "delivered without end": (
        lambda x: {**x, "containers": x["containers"].assign(end_day=lambda c: c["end_day"].where(c.index != 2))},
        "status disagrees with end_day",
    ),
    "two places at once": (lambda x: {**x, "tracks": _overlap(x["tracks"])}, "in two stages at once"),
    "vessel over capacity": (
        lambda x: {
            **x,
            "sailings": x["sailings"].assign(
                containers=lambda s: s["containers"].where(s.index != 4, s["capacity_containers"] + 1)
            ),
        },
        "above capacity",
    ),
    "vessel on two sailings": (lambda x: {**x, "sailings": _vessel_twice(x["sailings"])}, "on two sailings at once"),
    "sea leg carried too few": (lambda x: {**x, "sailings": x["sailings"].iloc[3:]}, "pq carried"),
    "train above its size": (
        lambda x: {**x, "tracks": _oversized_train(x["tracks"], x["containers"])},
        "above the largest train (40)",
    ),
    "more busy servers than exist": (
        lambda x: {
            **x,
            "occupancy": x["occupancy"].assign(
                value=lambda o: o["value"].where(~((o["metric"] == "busy_servers") & (o["location"] == "p")), 3)
            ),
        },
        "more busy servers than exist at p",
    ),
    "beyond the horizon": (
        lambda x: {
            **x,
            "sailings": x["sailings"].assign(arrive_day=lambda s: s["arrive_day"].where(s.index != 1, 500.0)),
        },
        "arrivals beyond the horizon",
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_corruption_is_caught(run: tuple[Scenario, Tables], name: str) -> None:
    scenario, tables = run
    mutate, fragment = MUTATIONS[name]
    broken = mutate({k: v.copy() for k, v in tables.items()})
    found = find_violations(broken, scenario)
    assert any(fragment in v for v in found), found
    with pytest.raises(InvariantError, match="invariant violation"):
        check(broken, scenario)


def test_summary_that_disagrees_with_the_table_is_caught(run: tuple[Scenario, Tables]) -> None:
    scenario, tables = run
    summary = {"containers_total": {**analysis.counts(tables["containers"]), "in_flight": 0, "delivered": 1}}
    found = find_violations(tables, scenario, summary)
    assert any("summary: containers_total.in_flight" in v for v in found)
    assert any("summary: containers_total.delivered" in v for v in found)


def test_error_is_one_line_and_lists_the_first_violations(run: tuple[Scenario, Tables]) -> None:
    scenario, tables = run
    broken = {
        **tables,
        "containers": tables["containers"].drop(index=[1, 2]),
        "sailings": tables["sailings"].assign(containers=lambda s: s["capacity_containers"] + 5),
    }
    with pytest.raises(InvariantError) as info:
        check(broken, scenario, where="runs/x")
    text = str(info.value)
    assert "\n" not in text and text.startswith("runs/x: ")
    assert len(info.value.violations) >= 2 and f"{len(info.value.violations)} invariant violation(s)" in text


def test_run_dir_whose_resolved_scenario_does_not_reload(tmp_path: Path, run: tuple[Scenario, Tables]) -> None:
    """A run's own record that cannot be re-loaded is a broken run (exit 1 under --check), never "bad input"."""
    _, tables = run
    tables["containers"].to_csv(tmp_path / "containers.csv", index=False)
    (tmp_path / "scenario.resolved.yaml").write_text("name: x\nnetwork: {nodes: {}}\n")
    with pytest.raises(InvariantError, match="the resolved scenario does not re-load"):
        check_run_dir(tmp_path)


def test_a_vessel_too_small_for_one_box_is_caught(run: tuple[Scenario, Tables]) -> None:
    """The bug this guards: a 1-TEU vessel was given room for one 2-TEU box (capacity rounded up to one container)
    and every sailing carried more than the vessel holds, while the capacity check, rounding the same way, passed.

    The schema now refuses such a vessel, so the scenario is edited past validation (as an engine or loader bug
    would): the check must catch it from the scenario's own TEU figure, whatever the engine's formula made of it."""
    scenario, _ = run
    seg = scenario.network.segments["pq"]
    tiny = seg.model_copy(update={"vessels": [v.model_copy(update={"capacity_teu": 1.0}) for v in seg.vessels]})
    network = scenario.network.model_copy(update={"segments": {**scenario.network.segments, "pq": tiny}})
    small = scenario.model_copy(update={"network": network})
    tables = simulate(small, build_network(small), 0)
    assert len(tables["sailings"]) and tables["sailings"]["containers"].max() >= 1
    found = find_violations(tables, small)
    assert any("carry more TEU than its largest vessel takes" in v and "> 1 TEU" in v for v in found), found
