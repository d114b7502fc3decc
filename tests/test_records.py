"""`tables.build` sums per load of containers. The first tests redo every sum the slow, obvious way (one step per
container and stage row) on a run where loads ride through many stages and a ferry mixes two destinations; the last
ones check the tables against figures worked out by hand, from a log written by hand and from a deterministic
corridor, so that what the engine attributes where is checked too, not only how it is summed."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from conftest import model, run, scenario_dict

from corridor_sim import tables as tables_
from corridor_sim.records import STATE_CODE, STATES, Recorder

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
    return m.rec, tables_.build(m.rec, 0, sim.warmup, sim.duration, track_sample=40)


def rows(rec: Recorder) -> list[tuple]:
    """The log's stage rows with each load's container ids in place of its number."""
    return [(rec.loads[load], *rest) for load, *rest in rec.stages]


def test_the_run_exercises_shared_loads_and_mixed_destinations(done: tuple) -> None:
    rec, tables = done
    arrays = [r[0] for r in rows(rec)]
    assert len(rec.loads) < len(arrays) / 2  # loads ride through several stage rows
    assert len({id(a) for a in rec.loads}) == len(rec.loads)  # each load numbered once
    flows = tables["containers"]["flow"].to_numpy()
    assert any(len({flows[c] for c in a}) > 1 for a in arrays)  # some load (a ferry's) carries both flows
    assert tables["containers"]["status"].eq("delivered").sum() > 200


def test_per_container_days_by_class_match_a_sum_over_every_container_and_stage(done: tuple) -> None:
    rec, tables = done
    days: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ids, _, state, t0, t1 in rows(rec):
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
    for ids, loc, state, t0, t1 in rows(rec):
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
    want = []
    for c in sampled:
        mine = [(t0, loc, state, t1) for ids, loc, state, t0, t1 in rows(rec) if c in ids]
        want += [(c, rec.locations[loc], list(STATES)[state], t0 / 24, t1 / 24) for t0, loc, state, t1 in sorted(mine)]
    expected = pd.DataFrame(want, columns=["container_id", "location", "state", "start_day", "end_day"])
    got = tracks[expected.columns].astype({"location": str, "state": str})
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_exact=True, check_dtype=False)


def hand_log() -> Recorder:
    """Two flows (f to y, g to z), written by hand. Hours: train 0 (ids 0-1, f) starts at 10, train 1 (ids 2-3, g)
    at 30, train 2 (ids 4-5, g) at 50. Train 0 and train 1 share one vessel load (ids 0-3) from 40 to 60."""
    log = Recorder(["a", "sea", "b"], ["land", "water", "land"], ["f", "g"], ["a", "a"], ["y", "z"])
    t0, t1, t2 = log.new_containers(2, 0, 10.0), log.new_containers(2, 1, 30.0), log.new_containers(2, 1, 50.0)
    a, sea, b = (log.loc(n) for n in ("a", "sea", "b"))
    log.stage(t0, a, STATE_CODE["handling"], 10, 16)
    log.stage(t0, a, STATE_CODE["yard_wait"], 16, 40)
    log.stage(t1, a, STATE_CODE["queue"], 30, 34)
    log.stage(t1, a, STATE_CODE["yard_wait"], 34, 40)
    log.stage(t1, a, STATE_CODE["closed"], 40, 40)  # an empty interval is no stage
    vessel = np.concatenate([t0, t1])
    log.stage(vessel, sea, STATE_CODE["sailing"], 40, 58)
    log.stage(vessel, sea, STATE_CODE["unloading"], 58, 60)
    log.stage(t0, b, STATE_CODE["travel"], 60, 72)
    log.stage(t1, b, STATE_CODE["travel"], 60, 66)
    log.deliver(t0, 72)
    log.deliver(t1, 66)
    log.stage(t2, a, STATE_CODE["handling"], 50, 53)  # train 2 is still in flight
    log.sailing("sea", "v1", 40, 60, 4, 10, 8.0)
    log.declare_gauges([("a", "queue_trains"), ("sea", "vessels_waiting_for_cargo")])
    log.gauge(0.0, [0, 1])
    log.sample(0.5, "b", "closed", 1)
    log.gauge(1.0, [2, 0])
    return log


def test_a_hand_written_log_gives_hand_computed_tables() -> None:
    """Warm-up 20 h, window 60 h: train 0 starts before the window (not measured), train 2 (to z as well) never
    arrives, so only ids 2-3 (flow g, to z) count in the sections, and the means divide by 2. Their days by hand:
    queue 4 + yard 6 = 10 h waiting at a (land), sailing 18 h moving and unloading 2 h handling (water), travel 6 h
    moving at b (land)."""
    log = hand_log()
    t = tables_.build(log, 7, warmup_h=20, window_h=60, track_sample=5)
    c = t["containers"].set_index("container_id")
    assert list(c["flow"].astype(str)) == ["f", "f", "g", "g", "g", "g"]
    assert list(c["status"].astype(str)) == ["delivered"] * 4 + ["in_flight"] * 2
    assert list(c["measured"]) == [False, False, True, True, True, True]
    np.testing.assert_allclose(c["transit_days"].iloc[:4] * 24, [62, 62, 36, 36])
    assert c["end_day"].iloc[4:].isna().all()
    np.testing.assert_allclose(c["moving_days"] * 24, [30, 30, 24, 24, 0, 0])  # 18 sailing + 12 or 6 travel
    np.testing.assert_allclose(c["handling_days"] * 24, [8, 8, 2, 2, 3, 3])  # 6 or 4 handling/queue + 2 unloading
    np.testing.assert_allclose(c["waiting_days"] * 24, [24, 24, 10, 10, 0, 0])
    assert (c["replication"] == 7).all()

    s = t["sections"].astype({"destination": str, "section": str, "state": str})
    got = [(r.destination, r.section, r.state, round(r.days * 24, 9), r.containers) for r in s.itertuples()]
    assert got == [
        ("z", "land", "moving", 6, 2),
        ("z", "land", "waiting", 10, 2),
        ("z", "water", "handling", 2, 2),
        ("z", "water", "moving", 18, 2),
    ]

    tr = t["tracks"].astype({"location": str, "state": str})
    got = [(r.container_id, r.location, r.state, r.start_day * 24, r.end_day * 24) for r in tr.itertuples()]
    assert got == [  # every eligible container (ids 2 and 3), each stage in time order
        (i, loc, state, a, b)
        for i in (2, 3)
        for loc, state, a, b in [
            ("a", "queue", 30, 34),
            ("a", "yard_wait", 34, 40),
            ("sea", "sailing", 40, 58),
            ("sea", "unloading", 58, 60),
            ("b", "travel", 60, 66),
        ]
    ]

    sail = t["sailings"].iloc[0]
    assert (sail["segment"], sail["vessel"], sail["depart_day"] * 24, sail["arrive_day"] * 24) == ("sea", "v1", 40, 60)
    occ = t["occupancy"].astype({"location": str, "metric": str})
    got = [(r.day, r.location, r.metric, r.value) for r in occ.itertuples()]
    assert got == [
        (0.0, "a", "queue_trains", 0),
        (0.0, "sea", "vessels_waiting_for_cargo", 1),
        (0.5, "b", "closed", 1),
        (1.0, "a", "queue_trains", 2),
        (1.0, "sea", "vessels_waiting_for_cargo", 0),
    ]


def test_the_same_ids_in_a_second_array_are_a_second_load_with_the_same_sums() -> None:
    """Loads are numbered by array: a copy of an array is another load, and every sum comes out the same."""
    log = hand_log()
    copy = hand_log()
    ids = copy.loads[0]
    copy.stages[1] = (len(copy.loads), *copy.stages[1][1:])  # the yard wait of train 0 on a copy of its array
    copy.loads.append(ids.copy())
    one, two = (tables_.build(x, 0, 0, 60) for x in (log, copy))
    assert len(copy.loads) == len(log.loads) + 1
    for name in ("containers", "sections", "tracks"):
        pd.testing.assert_frame_equal(one[name], two[name])


def two_flows_one_ferry() -> dict:
    """o ==2 servers, 2 h==> o --rail 10 h--> p ==ferry 40 containers==> q --10 h--> y, --14 h--> z.

    Flows to y and to z each bring a 10-container train at 24 k (k = 1, 2, ...). Both are handled at once at o
    (2 h, section "origin"), reach p at 24 k + 12 and wait in its yard (section "port"). The vessel takes 40
    containers: the trains of days k and k + 1 (k odd), sailing when day k + 1's trains come in; so the containers of
    an odd day wait 24 h in the yard and those of an even day none. Loading 4 h + unloading 4 h are handling and
    the 20 h crossing is moving, all at the segment (section "sea"); the vessel is back 10 h after unloading, before
    the next load is ready. At q each 10-container piece forms a full train at once and leaves for y (10 h) or z
    (14 h), section "onward".
    """
    nodes = {
        "o": {"role": "terminal", "section": "origin", "handling": {"servers": 2, "time": "2h"}},
        "p": {"role": "port", "section": "port"},
        "q": {"role": "port", "section": "onward", "formation": {"train_size": 10, "max_wait": "1h"}},
        "y": {"role": "terminal", "section": "onward"},
        "z": {"role": "terminal", "section": "onward"},
    }
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h", "section": "rail"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "section": "sea",
            "vessels": [{"capacity_teu": 80}],
            "crossing_time": "20h",
            "return_time": "10h",
            "load_time": "4h",
            "unload_time": "4h",
            "departure": {"rule": "when_full"},
        },
        "qy": {"from": "q", "to": "y", "travel_time": "10h"},
        "qz": {"from": "q", "to": "z", "travel_time": "14h"},
    }
    flow = {"origin": "o", "trains_per_week": 7, "arrivals": "timetable", "containers_per_train": 10}
    flows = {"to_y": {**flow, "destination": "y"}, "to_z": {**flow, "destination": "z"}}
    return scenario_dict(nodes, segments, flows, duration="9d", warmup="30h", cooldown="60h")


def test_sections_attribute_each_stage_where_the_hand_computation_puts_it() -> None:
    """Measured: trains starting in [30 h, 216 h), days 2..8: three odd days (yard wait 24 h) and four even ones
    (none), so the yard wait per counted container is 3 * 24 / 7 h at the port; every other figure is the same for
    all seven trains of a destination. Both destinations ride the same vessel loads."""
    tables = run(two_flows_one_ferry())
    c = tables["containers"]
    counted = c[c["measured"] & c["status"].eq("delivered")]
    assert sorted(counted["start_day"].unique() * 24) == [48, 72, 96, 120, 144, 168, 192]
    s = tables["sections"].astype({"destination": str, "section": str, "state": str})
    got = {(r.destination, r.section, r.state): (round(r.days * 24, 9), r.containers) for r in s.itertuples()}
    for dest, onward in (("y", 10), ("z", 14)):
        assert {k[1:]: v for k, v in got.items() if k[0] == dest} == {
            ("onward", "moving"): (onward, 70),
            ("origin", "handling"): (2, 70),
            ("port", "waiting"): (round(3 * 24 / 7, 9), 70),
            ("rail", "moving"): (10, 70),
            ("sea", "handling"): (8, 70),
            ("sea", "moving"): (20, 70),
        }
    assert len(got) == 12
    sail = tables["sailings"]
    assert (sail["containers"] == 40).all()
    np.testing.assert_allclose(sail["depart_day"].iloc[:3] * 24, [64, 112, 160])  # 48 j + 60 + 4 h loading
