"""Extreme loads finish and report honestly: zero demand, demand far above capacity, a port closed for the whole run,
a five-year horizon. Each run must conserve containers (run-time invariants) and count what is still in flight.

The wall-clock bounds are hang guards (a run that never ends), generous on purpose; speed targets live in benchmarks/.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import load, scenario_dict

from corridor_sim import analysis
from corridor_sim.cli import main
from corridor_sim.engine import simulate
from corridor_sim.invariants import check, check_run_dir
from corridor_sim.network import build_network
from corridor_sim.runner import execute_run
from corridor_sim.schema import Scenario
from corridor_sim.workspace import routes_table

HANG_GUARD_S = 120.0

NODES = {
    "a": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}},
    "p": {"role": "port", "handling": {"servers": 1, "time": "2h"}},
    "q": {"role": "port", "formation": {"train_size": 50, "max_wait": "24h"}},
    "z": {"role": "terminal"},
}


def _segments(vessels: list[dict], crossing: str = "20h") -> dict:
    return {
        "ap": {"from": "a", "to": "p", "distance": "600km", "speed": "600km/d", "trains_per_day": 48},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": vessels,
            "crossing_time": crossing,
            "load_time": "4h",
            "unload_time": "4h",
            "departure": {"rule": "when_full", "max_wait": "24h"},
        },
        "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "600km/d"},
    }


def _simulate(raw: dict) -> tuple[Scenario, dict[str, pd.DataFrame], float]:
    """Tables of one replication (plus routes), after asserting every invariant holds; and the wall time."""
    scenario = load(raw)
    network = build_network(scenario)
    t0 = time.perf_counter()
    tables = simulate(scenario, network, 0)
    elapsed = time.perf_counter() - t0
    tables["routes"] = routes_table(scenario, network)
    check(tables, scenario)
    assert elapsed < HANG_GUARD_S
    return scenario, tables, elapsed


def _horizon_days(scenario: Scenario) -> float:
    return (scenario.simulation.duration + scenario.simulation.cooldown) / 24


def test_zero_demand_writes_an_honest_empty_run(tmp_path: Path) -> None:
    raw = scenario_dict(
        NODES,
        _segments([{"capacity_teu": 100}]),
        {"f1": {"origin": "a", "destination": "z", "teu_per_year": 0}},
        duration="30d",
    )
    scenario, tables, _ = _simulate(raw)
    assert len(tables["containers"]) == 0 and len(tables["sailings"]) == 0
    out, summary = execute_run(scenario, tmp_path / "empty")
    check_run_dir(out)  # the written, re-read workspace holds its invariants too
    assert summary["containers_total"] == {
        "created": 0,
        "delivered": 0,
        "in_flight": 0,
        "measured_delivered": 0,
        "measured_in_flight": 0,
    }
    assert summary["transit_days"][analysis.ALL] == {"containers_total": 0}  # no invented percentiles
    assert summary["throughput_teu_per_day"][analysis.ALL] == 0


def test_demand_far_above_ferry_capacity_queues_and_reports_in_flight() -> None:
    # one vessel of 50 containers; a round trip is >= 4 + 20 + 4 + 20 h, so at most 50 containers per 2 days;
    # demand is 200 containers a day, eight times what the ferry can carry (demand continues through the cooldown)
    duration_d, cooldown_d = 40, 10
    raw = scenario_dict(
        NODES,
        _segments([{"capacity_teu": 100}]),
        {"f1": {"origin": "a", "destination": "z", "teu_per_year": 200 * 2 * 365.25, "containers_per_train": 50}},
        duration=f"{duration_d}d",
        warmup="5d",
        cooldown=f"{cooldown_d}d",
    )
    scenario, tables, _ = _simulate(raw)
    c, s = tables["containers"], tables["sailings"]
    counts = analysis.counts(c)
    horizon_h = (duration_d + cooldown_d) * 24
    round_trip_h = 4 + 20 + 4 + 20
    carry_bound = 50 * (horizon_h // round_trip_h + 1)
    assert counts["delivered"] <= carry_bound
    assert counts["delivered"] <= s["containers"].sum()
    assert counts["created"] == counts["delivered"] + counts["in_flight"]
    assert counts["in_flight"] > 0.6 * counts["created"]  # most of the demand is still waiting, and says so
    assert counts["measured_in_flight"] > 0
    # the queue is the ferry yard, and it only grows (the backlog is never served down)
    yard = tables["occupancy"].query("location == 'p' and metric == 'yard_containers'").sort_values("day")
    last = yard["value"].iloc[-1]
    assert last > 0.5 * counts["created"]
    assert yard["value"].iloc[len(yard) // 2] < last
    # the run ended at its horizon with the vessel still busy, not when demand ran out
    assert s["arrive_day"].max() > duration_d + cooldown_d - 2
    assert (c["end_day"].dropna() <= horizon_h / 24).all()
    # measured KPIs cover delivered containers only: the summary must expose how many measured ones are missing
    measured = c[c["measured"]]
    assert counts["measured_delivered"] + counts["measured_in_flight"] == len(measured)


def test_port_closed_for_the_whole_run() -> None:
    raw = scenario_dict(
        NODES,
        _segments([{"capacity_teu": 100, "count": 2}]),
        {"f1": {"origin": "a", "destination": "z", "teu_per_year": 20000}},
        duration="45d",
        cooldown="10d",
    )
    raw["disruptions"] = {"strike": {"target": "p", "every": "1h", "duration": "100000d"}}
    scenario, tables, _ = _simulate(raw)
    c = tables["containers"]
    assert len(c) > 0
    assert (c["status"] == "in_flight").all()  # nothing gets past a port that never opens
    assert len(tables["sailings"]) == 0
    closed = tables["occupancy"].query("location == 'p' and metric == 'closed'")
    monitored = tables["occupancy"]["day"].nunique()
    assert closed["day"].nunique() == monitored - 1  # closed at every sample after the first hour
    # trains pile up at the closed port: at the last sample, every train that had time to get there (1 day's run)
    # is queued, bar the one holding the server while it waits for the gate
    queue = tables["occupancy"].query("location == 'p' and metric == 'queue_trains'").sort_values("day")
    last_day = queue["day"].iloc[-1]
    starts = c.groupby(c["container_id"] // 50, observed=True)["start_day"].first()
    arrived_for_sure = int((starts < last_day - 1.5).sum())
    assert arrived_for_sure - 1 <= queue["value"].iloc[-1] <= len(starts) - 1
    assert arrived_for_sure > 20
    summary = analysis.transit_summary(c)
    assert summary[analysis.ALL] == {"containers_total": 0}


def test_five_year_horizon_keeps_the_calendar_and_the_counts() -> None:
    factors = [1.0] * 12
    factors[6] = 0.0  # no trains start in any July
    years = 5
    duration_d = round(365.25 * years)
    raw = scenario_dict(
        NODES,
        _segments([{"capacity_teu": 200, "count": 2}]),
        {
            "f1": {
                "origin": "a",
                "destination": "z",
                "trains_per_week": 2,
                "containers_per_train": 50,
                "monthly_factor": factors,
            }
        },
        duration=f"{duration_d}d",
        warmup="30d",
        cooldown="20d",
        start="2023-01-01",
    )
    scenario, tables, elapsed = _simulate(raw)
    c = tables["containers"]
    trains = c["container_id"].to_numpy() // 50
    starts = c.groupby(trains, observed=True)["start_day"].first()
    # Poisson count over the non-July days of the whole run (demand continues through the cooldown): mean 2/week,
    # within 5 standard deviations
    start = dt.date(2023, 1, 1)
    days = pd.date_range(start, periods=round(_horizon_days(scenario)), freq="D")
    open_days = int((days.month != 7).sum())
    expected = 2 / 7 * open_days
    assert abs(len(starts) - expected) < 5 * np.sqrt(expected)
    months = (pd.Timestamp(start) + pd.to_timedelta(starts.to_numpy(), unit="D")).month
    assert (months != 7).all()
    assert set(months) == set(range(1, 13)) - {7}
    assert (c["end_day"].dropna() <= _horizon_days(scenario)).all()
    counts = analysis.counts(c)
    assert counts["delivered"] > 0.95 * counts["created"]  # ample capacity: almost all delivered, the rest in flight
    assert elapsed < HANG_GUARD_S


def test_overload_through_the_cli_says_how_many_are_still_in_flight(
    tmp_path: Path, write_yaml: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The planner's view of an overloaded run: exit 0, invariants hold, and the printout states the backlog."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path / "cache"))
    raw = scenario_dict(
        NODES,
        _segments([{"capacity_teu": 100}]),
        {"f1": {"origin": "a", "destination": "z", "teu_per_year": 100 * 2 * 365.25}},
        duration="30d",
        warmup="5d",
        cooldown="5d",
    )
    out = tmp_path / "overload"
    assert main(["run", str(write_yaml(raw)), "--out", str(out), "--quiet", "--no-cache", "--check"]) == 0
    printed = capsys.readouterr().out
    counts = json.loads((out / "summary.json").read_text())["containers_total"]
    assert counts["in_flight"] > counts["delivered"] > 0
    assert (
        f"containers created {counts['created']}, delivered {counts['delivered']}, still in flight at the end "
        f"{counts['in_flight']}"
    ) in printed
    assert "invariants: all checks passed" in printed
