"""Ship loading at a terminal's rate: a call takes `load_time` plus `load_time_per_teu` for every TEU loaded."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load, run, scenario_dict

from corridor_sim.errors import ScenarioError


def ferry_corridor(containers: int) -> dict:
    """o --1 h--> p ==ferry (20 containers)==> q; one train of `containers` a day; the vessel sails as soon as the
    train is in the yard (fill = the train's share of the vessel)."""
    nodes = {"o": {"role": "terminal"}, "p": {"role": "port"}, "q": {"role": "port"}}
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "1h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 40}],  # 20 containers of 2 TEU
            "crossing_time": "5h",
            "load_time": "2h",
            "load_time_per_teu": "6min",
            "unload_time": "1h",
            "departure": {"rule": "when_full", "fill": containers / 20},
        },
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "q",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": containers,
        }
    }
    return scenario_dict(nodes, segments, flows, duration="10d", warmup="0h", cooldown="2d")


@pytest.mark.parametrize("containers", [10, 20])
def test_loading_time_grows_with_the_teu_loaded(containers: int) -> None:
    """1 h to the port, load 2 h + 0.1 h x 2n TEU, cross 5 h, unload 1 h: 9 + 0.2 n hours. The vessel is back after
    at most 2 + 4 + 5 + 1 + 5 = 17 h, before the next train, so nothing else waits."""
    c = run(ferry_corridor(containers))["containers"]
    assert c.status.eq("delivered").all()
    assert np.allclose(c.transit_days * 24, 9 + 0.2 * containers)
    assert np.allclose(c.handling_days * 24, 2 + 0.2 * containers + 1)


def test_rail_segment_rejects_a_loading_rate() -> None:
    raw = ferry_corridor(10)
    raw["network"]["segments"]["op"]["load_time_per_teu"] = "6min"
    with pytest.raises(ScenarioError, match="load_time_per_teu"):
        load(raw)
