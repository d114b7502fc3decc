"""A mean per replication divides by the run's replications, never by the replications that happen to have rows.

Each case holds two replications of which only replication 0 has rows of the kind averaged; the figure expected
is worked out by hand with a denominator of 2 (the old `nunique()` of the rows present gave 1, twice the figure).
"""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest
from conftest import load, scenario_dict

from corridor_sim import analysis
from corridor_sim.plots.utilisation import capacity_utilisation
from corridor_sim.results import Run
from corridor_sim.tuning.capacity import _trains_into

matplotlib.use("Agg")


def containers(n: int, replication: int = 0, end_day: float = 5.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": replication,
            "flow": "f",
            "destination": "z",
            "measured": True,
            "status": "delivered",
            "start_day": 1.0,
            "end_day": end_day,
            "transit_days": end_day - 1.0,
        },
        index=range(n),
    )


def test_throughput_counts_a_replication_that_delivered_nothing() -> None:
    # 4 containers of 2 TEU delivered on day 5 of the window [0, 10) in replication 0, none in replication 1:
    # 4 × 2 TEU / 2 replications / 10 days = 0.4 TEU/day (0.8 if replication 1 dropped out).
    out = analysis.throughput_teu_per_day(containers(4), (0.0, 10.0), 2.0, replications=2)
    assert out == {analysis.ALL: pytest.approx(0.4), "z": pytest.approx(0.4)}


def test_trains_into_a_line_counts_a_replication_without_containers() -> None:
    # Flow f: trains of 10 containers over line oz. Replication 0 started 40 containers (4 trains), replication 1
    # none: 2 trains per replication (4 if the empty replication dropped out).
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "1h", "trains_per_day": 4}}
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "containers_per_train": 10}}
    scenario = load(scenario_dict(nodes, segments, flows, replications=2))
    assert _trains_into(scenario, containers(40), replications=2) == {"oz": pytest.approx(2.0)}


def test_sailings_per_week_count_a_replication_without_sailings() -> None:
    # Replication 0: 4 sailings of segment s at days 0, 7, 14, 21, each half full; replication 1 sailed none.
    # The window runs from the warm-up (day 0) to the last departure (day 21): 4 / 2 replications / 21 days × 7 =
    # 0.67 sailings a week (1.3 if replication 1 dropped out).
    sailings = pd.DataFrame(
        {
            "replication": 0,
            "segment": "s",
            "vessel": "v",
            "depart_day": [0.0, 7.0, 14.0, 21.0],
            "containers": 50,
            "capacity_containers": 100,
        }
    )
    occupancy = pd.DataFrame({"replication": 0, "day": [0.0], "location": "s", "metric": "waiting_trains", "value": 0})
    fig = capacity_utilisation(sailings, occupancy, {}, 0.0, "t", replications=2)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "50%, 0.7 sailings/wk" in texts, texts


def test_a_run_without_a_replication_count_counts_replications_by_their_index(tmp_path) -> None:
    # A summary written without `replications`; rows only from replication 2 (numbered from 0): 3 replications.
    (tmp_path / "summary.json").write_text(json.dumps({"scenario": "x"}))
    (tmp_path / "scenario.resolved.yaml").write_text("name: x\n")
    containers(3, replication=2).assign(container_id=[1, 2, 3]).to_csv(tmp_path / "containers.csv", index=False)
    assert Run(tmp_path).replications == 3
