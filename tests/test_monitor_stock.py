"""The monitor samples rolling-stock pools: sets in use and trains waiting, checked against a hand computation."""

from __future__ import annotations

from tests.conftest import run, scenario_dict


def test_stock_in_use_and_waiting_trains_follow_the_hand_computed_cycle() -> None:
    # One train every 24 h needs the single set for 10 h of running + 20 h of empty return = 30 h per train, so
    # the set is always busy once trains queue: it serves 24/30 = 0.8 trains a day against 1 arriving, so the
    # queue grows by 0.2 trains a day.
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "10h"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "containers_per_train": 1,
            "arrivals": "timetable",
        }
    }
    raw = scenario_dict(nodes, segments, flows, duration="40d", monitor_interval="1h")
    raw["network"]["rolling_stock"] = {"pool": {"segments": ["oz"], "sets": 1, "return_time": "20h"}}
    occ = run(raw)["occupancy"]
    pool = occ[occ["location"].eq("pool")].pivot_table(index="day", columns="metric", values="value", observed=True)
    assert set(pool.columns) == {"stock_in_use", "waiting_trains"}
    late = pool[pool.index >= 5]
    assert (late["stock_in_use"] == 1).all()
    growth = late["waiting_trains"].iloc[-1] - late["waiting_trains"].iloc[0]
    span_days = late.index[-1] - late.index[0]
    assert abs(growth - 0.2 * span_days) <= 1.5
