"""`Recorder.tables()` sums per load of containers; these tests redo every sum the slow, obvious way (one step per
container and stage row) on a run where loads ride through many stages and a ferry mixes two destinations."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from conftest import model, scenario_dict

from corridor_sim.records import STATES

NODES = {
    "a": {"role": "terminal", "handling": {"servers": 1, "time": {"dist": "exponential", "mean": "3h"}}},
    "p": {"role": "port", "handling": {"servers": 1, "time": "2h"}, "berths": 1},
    "q": {"role": "port", "formation": {"train_size": 12, "max_wait": "36h"}},
    "y": {"role": "terminal"},
    "z": {"role": "terminal", "handling": {"servers": 1, "time": "1h"}},
}
SEGMENTS = {
    "ap": {
        "from": "a",
        "to": "p",
        "travel_time": {"dist": "uniform", "low": "20h", "high": "30h"},
        "trains_per_day": 4,
    },
    "pq": {
        "from": "p",
        "to": "q",
        "mode": "ferry",
        "vessels": [{"capacity_teu": 60, "count": 2}],
        "crossing_time": {"dist": "lognormal", "mean": "18h", "cv": 0.3},
        "load_time": "4h",
        "unload_time": "4h",
        "departure": {"rule": "when_full", "max_wait": "48h"},
    },
    "qy": {"from": "q", "to": "y", "travel_time": "10h"},
    "qz": {"from": "q", "to": "z", "travel_time": "14h"},
}
FLOWS = {
    "to_y": {"origin": "a", "destination": "y", "trains_per_week": 6, "containers_per_train": 10},
    "to_z": {"origin": "a", "destination": "z", "trains_per_week": 8, "containers_per_train": 10},
}


@pytest.fixture(scope="module")
def done() -> tuple:
    raw = scenario_dict(NODES, SEGMENTS, FLOWS, duration="80d", warmup="10d", cooldown="30d", seed=5)
    raw["disruptions"] = {"p_shut": {"target": "p", "every": {"dist": "exponential", "mean": "15d"}, "duration": "1d"}}
    m = model(raw)
    m.env.run(until=m.horizon)
    sim = m.scenario.simulation
    return m.rec, m.rec.tables(0, sim.warmup, sim.duration, track_sample=40)


def test_the_run_exercises_shared_loads_and_mixed_destinations(done: tuple) -> None:
    rec, tables = done
    arrays = [r[0] for r in rec.stages]
    assert len({id(a) for a in arrays}) < len(arrays) / 2  # loads ride through several stage rows
    flows = tables["containers"]["flow"].to_numpy()
    assert any(len({flows[c] for c in a}) > 1 for a in arrays)  # some load (a ferry's) carries both flows
    assert tables["containers"]["status"].eq("delivered").sum() > 200


def test_per_container_days_by_class_match_a_sum_over_every_container_and_stage(done: tuple) -> None:
    rec, tables = done
    days: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ids, _, state, t0, t1 in rec.stages:
        for c in ids:
            days[int(c)][STATES[list(STATES)[state]]] += (t1 - t0) / 24
    c = tables["containers"]
    for column, cls in (("moving_days", "moving"), ("handling_days", "handling"), ("waiting_days", "waiting")):
        expected = np.array([days[i][cls] for i in c["container_id"]])
        np.testing.assert_allclose(c[column].to_numpy(), expected, rtol=1e-12, atol=1e-12)


def test_section_means_match_a_sum_over_every_counted_container_and_stage(done: tuple) -> None:
    rec, tables = done
    c = tables["containers"]
    counted = c[c["status"].eq("delivered") & c["measured"]].set_index("container_id")["destination"].astype(str)
    total: dict[tuple[str, str, str], float] = defaultdict(float)
    for ids, loc, state, t0, t1 in rec.stages:
        for i in ids:
            if int(i) in counted.index:
                key = (counted[int(i)], rec.location_section[loc], STATES[list(STATES)[state]])
                total[key] += (t1 - t0) / 24
    per_dest = counted.value_counts()
    expected = pd.DataFrame(
        [(d, s, k, v / per_dest[d], per_dest[d]) for (d, s, k), v in sorted(total.items())],
        columns=["destination", "section", "state", "days", "containers"],
    )
    got = tables["sections"].drop(columns="replication").astype({"destination": str, "section": str, "state": str})
    assert len(expected["destination"].unique()) == 2
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_dtype=False)


def test_tracks_hold_every_stage_of_each_sampled_container_in_time_order(done: tuple) -> None:
    rec, tables = done
    tracks = tables["tracks"]
    sampled = tracks["container_id"].unique()
    assert 30 <= len(sampled) <= 40
    rows = []
    for c in sampled:
        mine = [(t0, loc, state, t1) for ids, loc, state, t0, t1 in rec.stages if c in ids]
        rows += [(c, rec.locations[loc], list(STATES)[state], t0 / 24, t1 / 24) for t0, loc, state, t1 in sorted(mine)]
    expected = pd.DataFrame(rows, columns=["container_id", "location", "state", "start_day", "end_day"])
    got = tracks[expected.columns].astype({"location": str, "state": str})
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_exact=True, check_dtype=False)
