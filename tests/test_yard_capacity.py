"""Yard capacity and blocking: a full port yard holds arriving trains before the port, lets them in first come, first
served, and loses nothing. Times are worked out by hand in each docstring (hours from the start)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load, model, run, scenario_dict

from corridor_sim.errors import ScenarioError
from corridor_sim.invariants import find_violations
from corridor_sim.records import STATE_CODE

TRAIN = 10


def blocked(yard: dict | None, return_time: str = "100h") -> dict:
    """o --10 h--> p ==ferry==> q: train k (10 containers) reaches p at 24k + 10; one 20-container vessel, load 2 h,
    cross 20 h, unload 2 h, back `return_time` later; p's yard is `yard`."""
    nodes = {"o": {"role": "terminal"}, "p": {"role": "port"}, "q": {"role": "port"}}
    if yard is not None:
        nodes["p"]["yard"] = yard
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 40}],
            "crossing_time": "20h",
            "return_time": return_time,
            "load_time": "2h",
            "unload_time": "2h",
        },
    }
    flow = {"origin": "o", "destination": "q", "trains_per_week": 7, "arrivals": "timetable"}
    flows = {"f": flow | {"containers_per_train": TRAIN}}
    return scenario_dict(nodes, segments, flows, duration="30d", warmup="0h", cooldown="5d")


def held_stages(m) -> dict[int, tuple[float, float]]:
    """(start, end) hour of the held-before-port stage of each train (numbered from 1), from the model's records."""
    held = STATE_CODE["held_before_port"]
    out = {}
    for number, _, state, t0, t1 in m.rec.stages:
        if state == held:
            out[int(m.rec.loads[number][0]) // TRAIN + 1] = (t0, t1)
    return out


def test_a_full_yard_holds_trains_before_the_port_first_come_first_served() -> None:
    """Yard of 40 TEU = 20 containers (two trains). The vessel (cycle 2 + 20 + 2 + 100 = 124 h from taking cargo)
    takes trains 1-2 at 58 and is back at 182, 306, ... (take m at 58 + 124 m takes trains 2m + 1, 2m + 2).
    Trains 3 (82) and 4 (106) fill the yard; train 5 (130) and all later trains are held: each take frees room for
    two trains, so trains 2m + 3 and 2m + 4 are let in at take m (58 + 124 m), for m >= 1. Train k is delivered 24 h
    after its take (2 + 20 + 2)."""
    m = model(blocked({"capacity_teu": 40}))
    tables = m.run()
    held = held_stages(m)
    arrive = {k: 24.0 * k + 10 for k in range(1, 40)}
    let_in = {k: 58 + 124 * ((k - 3) // 2) for k in range(5, 40)}
    assert min(held) == 5
    for k, (t0, t1) in held.items():
        assert (t0, t1) == (arrive[k], let_in[k])
    assert set(held) == {k for k in let_in if let_in[k] <= 35 * 24}  # every train let in by the end was held
    c = tables["containers"]
    d = c[c.status.eq("delivered")]
    k = d.container_id // TRAIN + 1
    take = 58 + 124 * ((k - 1) // 2).clip(lower=0)
    assert np.allclose(d.end_day * 24, np.where(k <= 2, 58, take) + 24)
    # nothing lost: every container is delivered or still in flight, and the tables pass the invariant checker
    assert len(c) == m.rec.next_id
    assert find_violations(tables, load(blocked({"capacity_teu": 40}))) == []


def test_held_time_is_its_own_state_and_section() -> None:
    """The hold is booked as `held_before_port` in the section the yard names; a yard without a limit holds no one
    and books the same containers' wait as yard wait instead (waits per container are equal either way)."""
    limited = run(blocked({"containers": 20, "section": "KZ approaches"}))
    free = run(blocked(None))
    sec = limited["sections"]
    assert "KZ approaches" in set(sec.section.astype(str))
    assert "KZ approaches" not in set(free["sections"].section.astype(str))
    tracks = limited["tracks"]
    held = tracks[tracks.state.astype(str).eq("held_before_port")]
    assert len(held) and set(held.location.astype(str)) == {"p approach"}
    # a held train is not in the yard: the same transit, the wait split between the approach and the yard
    a, b = (t["containers"] for t in (limited, free))
    a, b = a[a.status.eq("delivered")], b[b.status.eq("delivered")]
    assert len(a) == len(b) and np.allclose(a.end_day.to_numpy(), b.end_day.to_numpy())
    assert np.allclose(a.waiting_days.to_numpy(), b.waiting_days.to_numpy())


def test_an_empty_yard_takes_a_train_larger_than_itself() -> None:
    """A yard of 5 containers and trains of 10: a train is let in whenever the yard is empty, and a vessel waiting
    to be full counts as full once the yard holds all it can (5), so nothing deadlocks. The vessel takes train 1 at
    34 and then one train each time it is back (124 h): train k + 1 at 34 + 124 k, let in at that moment too."""
    c = run(blocked({"containers": 5}))["containers"]
    d = c[c.status.eq("delivered")]
    k = d.container_id // TRAIN
    assert len(d) >= 6 * TRAIN
    assert np.allclose(d.end_day * 24, 34 + 124 * k + 24)


def test_yard_needs_a_size_and_a_port() -> None:
    raw = blocked({"section": "x"})
    with pytest.raises(ScenarioError, match=r"network\.nodes\.p\.yard: give exactly one of"):
        load(raw)
    raw = blocked(None)
    raw["network"]["nodes"]["o"]["yard"] = {"containers": 10}
    with pytest.raises(ScenarioError, match=r"network\.nodes\.o: only a port stores containers"):
        load(raw)


@pytest.mark.parametrize(
    ("teu", "per_box", "boxes"),
    [(11, 1.1, 10), (3.3, 1.1, 3), (10, 2, 5), (11, 2, 5), (0.5, 2, 1), (160 * 0.85, 2, 68), (6.9, 2.3, 3)],
)
def test_teu_become_whole_containers_as_written(teu: float, per_box: float, boxes: int) -> None:
    """A yard's or vessel's TEU in whole boxes, by hand: 11 TEU at 1.1 TEU a box is 10 boxes (floor division of the
    binary numbers gives 9), a remainder is left out, and there is always room for one."""
    from corridor_sim.engine.storage import yard_containers
    from corridor_sim.schema import Segment, YardLimit, vessel_capacity

    assert yard_containers(YardLimit(capacity_teu=teu), per_box) == boxes
    segment = Segment.model_validate(
        {
            "from": "a",
            "to": "b",
            "mode": "ferry",
            "crossing_time": "10h",
            "vessels": [{"capacity_teu": teu, "count": 1}],
        }
    )
    assert vessel_capacity(segment.vessels[0], segment, per_box) == boxes
