"""Onward trains at a port are formed per onward path, so flows from different origins bound the same way share them.

Two origins each send 5 containers a day to the same port by the same vessel; at the far port a train leaves only
when it holds 10 (no maximum wait). Shared formation fills a train from each vessel load; per-flow formation would
leave every container waiting for a train of 10 that one flow alone can fill only every second day.
"""

from __future__ import annotations

import numpy as np
from conftest import run, scenario_dict


def shared_corridor() -> dict:
    nodes = {
        "a": {"role": "terminal"},
        "b": {"role": "terminal"},
        "p": {"role": "port"},
        "q": {"role": "port", "formation": {"train_size": 10}},
        "z": {"role": "terminal"},
    }
    segments = {
        "ap": {"from": "a", "to": "p", "travel_time": "2h"},
        "bp": {"from": "b", "to": "p", "travel_time": "2h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 20}],  # 10 containers
            "crossing_time": "10h",
            "departure": {"rule": "when_full"},
        },
        "qz": {"from": "q", "to": "z", "travel_time": "5h"},
    }
    flows = {
        name: {
            "origin": name,
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 5,
        }
        for name in ("a", "b")
    }
    return scenario_dict(nodes, segments, flows, duration="10d", warmup="0h", cooldown="3d")


def test_flows_bound_the_same_way_share_onward_trains() -> None:
    """Day k: both trains reach p at 24k+2, the vessel sails full at once, reaches q at 24k+12 and the shared train
    of 10 leaves at once, reaching z at 24k+17: every container takes 17 h, none waits for formation."""
    c = run(shared_corridor())["containers"]
    assert len(c) == 2 * 5 * 12  # trains at 24, 48, ..., 288 h from each origin; the last one is in z at 305 h
    assert c.status.eq("delivered").all()
    assert np.allclose(c.transit_days * 24, 17.0)
    assert np.allclose(c.waiting_days, 0.0)
