"""Fully deterministic corridors (fixed times, timetable demand) against transit times worked out by hand.

Every expected number below is derived in the comments from the scenario's figures alone; the engine only has to
reproduce them. Times are hours unless a name ends in `_day`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run, scenario_dict

TRAIN = 10  # containers per train; trains reach the origin every 24 h, the k-th (k = 1, 2, ...) at 24 k


def corridor() -> dict:
    """o --rail--> p ==ferry==> q --rail--> z, with handling, a when_full vessel, formation, headway and a pool."""
    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}},
        "p": {"role": "port", "handling": {"servers": 1, "time": "3h"}},
        "q": {
            "role": "port",
            "handling": {"servers": 1, "time": "1h"},
            "formation": {"train_size": 15, "max_wait": "30h"},
        },
        "z": {"role": "terminal"},
    }
    segments = {
        "op": {"from": "o", "to": "p", "distance": "600km", "speed": "60km/h", "trains_per_day": 4},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 80}],  # 40 containers of 2 TEU
            "crossing_time": "20h",
            "return_time": "21h",
            "load_time": "4h",
            "unload_time": "4h",
            "departure": {"rule": "when_full"},
        },
        "qz": {"from": "q", "to": "z", "travel_time": "8h", "trains_per_day": 4},  # headway 6 h
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": TRAIN,
        }
    }
    raw = scenario_dict(nodes, segments, flows, duration="20d", warmup="0h", cooldown="130h")
    raw["network"]["rolling_stock"] = {"pool": {"segments": ["qz"], "sets": 2, "return_time": "30h"}}
    return raw


def corridor_expectation(container_id: int) -> tuple[float, float]:
    """(end, waiting) of one container of `corridor()`, by hand.

    Train k leaves o at 24k+2 (2 h handling), reaches p at 24k+12 (600 km at 60 km/h; 24 h apart so the 6 h
    headway never binds) and enters the yard at 24k+15 (3 h handling). The vessel holds 40 containers = 4 trains,
    so batch j (trains 4j+1 .. 4j+4) sails when train 4j+4 enters the yard, at 111 + 96j; trains i = 1..4 of the
    batch waited 72, 48, 24, 0 h in the yard. Load 4, cross 20, unload 4: at q at T = 139 + 96j. (The vessel is
    back at p 21 h after unloading, at 160 + 96j, long before the next batch is ready.)

    Formation of 15: train A = train 1 + first 5 of train 2, train B = rest of train 2 + train 3, both formed at T;
    train 4's 10 containers wait for max_wait (30 h) and leave as train C at T+30.
    q handles one train at a time (1 h): A T..T+1, B queues 1 h and is handled T+1..T+2, C T+30..T+31.
    Line qz (headway 6 h, 8 h running): A departs T+1 -> z at T+9; B waits for the slot T+7 (5 h) -> z at T+15.
    Pool of 2 sets, 30 h return: A's set is back at T+39, B's at T+45, so C waits T+31..T+39 (8 h), departs
    T+39 (the line is free since T+13) and reaches z at T+47.
    Moving is 10 + 20 + 8 = 38 h and handling 2 + 3 + 4 + 4 + 1 = 14 h for every container.
    """
    k, m = container_id // TRAIN + 1, container_id % TRAIN
    j, i = (k - 1) // 4, (k - 1) % 4 + 1
    t = 139 + 96 * j
    yard = (72, 48, 24, 0)[i - 1]
    if i == 1 or (i == 2 and m < 5):
        return t + 9, yard
    if i in (2, 3):
        return t + 15, yard + 1 + 5
    return t + 47, yard + 30 + 8


def test_corridor_transit_times_match_hand_computation() -> None:
    tables = run(corridor())
    c = tables["containers"]
    horizon = 20 * 24 + 130
    assert len(c) == TRAIN * (horizon // 24)  # one train every 24 h from 24 h on
    expected = np.array([corridor_expectation(i) for i in c.container_id])
    start = (c.container_id // TRAIN + 1) * 24.0
    assert np.allclose(c.start_day * 24, start)
    done = expected[:, 0] < horizon
    assert (c.status.eq("delivered") == done).all()
    d = c[done]
    assert np.allclose(d.end_day * 24, expected[done, 0])
    assert np.allclose(d.transit_days * 24, expected[done, 0] - start[done])
    assert np.allclose(d.waiting_days * 24, expected[done, 1])
    assert np.allclose(d.moving_days * 24, 38)
    assert np.allclose(d.handling_days * 24, 14)
    # every delivery of a batch happens within a sailing that carried exactly one vessel load
    s = tables["sailings"]
    j = np.arange(len(s))
    assert np.allclose(s.depart_day * 24, 115 + 96 * j)
    assert np.allclose(s.arrive_day * 24, 139 + 96 * j)
    assert (s.containers == 40).all() and (s.capacity_containers == 40).all()


@pytest.mark.parametrize(
    ("container_id", "timeline"),
    [
        (
            0,
            [
                ("o", "handling", 24, 26),
                ("op", "travel", 26, 36),
                ("p", "handling", 36, 39),
                ("p", "yard_wait", 39, 111),
                ("pq", "loading", 111, 115),
                ("pq", "sailing", 115, 135),
                ("pq", "unloading", 135, 139),
                ("q", "handling", 139, 140),
                ("qz", "travel", 140, 148),
            ],
        ),
        (
            15,
            [
                ("o", "handling", 48, 50),
                ("op", "travel", 50, 60),
                ("p", "handling", 60, 63),
                ("p", "yard_wait", 63, 111),
                ("pq", "loading", 111, 115),
                ("pq", "sailing", 115, 135),
                ("pq", "unloading", 135, 139),
                ("q", "queue", 139, 140),
                ("q", "handling", 140, 141),
                ("qz", "line_wait", 141, 146),
                ("qz", "travel", 146, 154),
            ],
        ),
        (
            30,
            [
                ("o", "handling", 96, 98),
                ("op", "travel", 98, 108),
                ("p", "handling", 108, 111),
                ("pq", "loading", 111, 115),
                ("pq", "sailing", 115, 135),
                ("pq", "unloading", 135, 139),
                ("q", "formation_wait", 139, 169),
                ("q", "handling", 169, 170),
                ("qz", "stock_wait", 170, 178),
                ("qz", "travel", 178, 186),
            ],
        ),
    ],
)
def test_corridor_stage_timelines(container_id: int, timeline: list[tuple]) -> None:
    """Tracks show each stage where and when the hand computation puts it (see `corridor_expectation`)."""
    tracks = run(corridor())["tracks"]
    t = tracks[tracks.container_id == container_id]
    got = [(r.location, r.state, round(r.start_day * 24, 6), round(r.end_day * 24, 6)) for r in t.itertuples()]
    assert got == timeline


def ferry_only(departure: dict, capacity_teu: float, return_time: str, vessels: int = 1) -> dict:
    """o --10 h rail--> p ==ferry==> q (destination): train k's containers enter p's yard at 24k + 10."""
    nodes = {"o": {"role": "terminal"}, "p": {"role": "port"}, "q": {"role": "port"}}
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": capacity_teu, "count": vessels}],
            "crossing_time": "20h",
            "return_time": return_time,
            "load_time": "2h",
            "unload_time": "2h",
            "departure": departure,
        },
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "q",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": TRAIN,
        }
    }
    return scenario_dict(nodes, segments, flows, duration="20d", warmup="0h", cooldown="5d")


def check_takes(tables: dict[str, pd.DataFrame], takes: dict[int, float]) -> None:
    """`takes[k]`: hour the vessel took train k's containers; delivered 2 + 20 + 2 = 24 h later."""
    c = tables["containers"]
    d = c[c.status.eq("delivered")]
    k = d.container_id // TRAIN + 1
    assert len(d) > 0 and set(k) <= set(takes)
    expected_end = k.map(takes) + 24
    assert np.allclose(d.end_day * 24, expected_end)
    assert np.allclose(d.waiting_days * 24, k.map(takes) - (24 * k + 10))  # the yard wait is the only wait
    in_flight = c[c.status.eq("in_flight")].container_id // TRAIN + 1
    horizon = 25 * 24
    assert all(k_ not in takes or takes[k_] + 24 >= horizon for k_ in in_flight)


@pytest.mark.parametrize(("vessels", "return_time"), [(1, "10h"), (2, "36h")])
def test_timetable_departures(vessels: int, return_time: str) -> None:
    """Slots at 5 + 36m. One vessel whose cycle (2 + 20 + 2 + 10 = 34 h) fits between slots takes every slot; so do
    two vessels of a 60 h cycle taking turns (each is back within two slots). Train k sails at the first slot after
    it enters the yard at 24k + 10 (never equal: 24k + 5 is odd)."""
    tables = run(ferry_only({"rule": "timetable", "every": "36h", "offset": "5h"}, 800, return_time, vessels))
    takes = {k: 5 + 36 * np.ceil((24 * k + 10 - 5) / 36) for k in range(1, 30)}
    check_takes(tables, takes)
    s = tables["sailings"]
    m = np.arange(len(s))
    assert np.allclose(s.depart_day * 24, 5 + 36 * m + 2)  # every slot sails, even with an empty hold (slot 0)
    assert s.containers.iloc[0] == 0
    loads = pd.Series(list(takes.values())).value_counts() * TRAIN
    assert (s.containers.iloc[1:].to_numpy() == loads.reindex(5 + 36 * m[1:]).fillna(0).to_numpy()).all()


def test_when_full_with_max_wait_sails_part_full() -> None:
    """40-container vessel, max_wait 30 h, cycle 2 + 20 + 2 + 19 = 43 h after it takes cargo.

    Ready at 0, nothing until train 1 at 34 (past the 30 h deadline) -> sails at 34 with 10. Back at 77 with train 2
    waiting (58); deadline 107; trains 3 (82) and 4 (106) come, 30 < 40 -> sails at the deadline 107. Then each
    cycle is 43 + 30 = 73 h: take n (n >= 1) at 34 + 73n with trains 3n-1, 3n, 3n+1 (train 3n+2 arrives at
    72n + 58, after the deadline while n < 24).
    """
    tables = run(ferry_only({"rule": "when_full", "max_wait": "30h"}, 80, "19h"))
    takes = {1: 34.0} | {k: 34 + 73 * n for n in range(1, 9) for k in (3 * n - 1, 3 * n, 3 * n + 1)}
    check_takes(tables, takes)
    s = tables["sailings"]
    assert list(s.containers[:4]) == [10, 30, 30, 30]


def test_two_vessels_when_full_bound_by_their_return() -> None:
    """Two 20-container vessels, cycle 2 + 20 + 2 + 100 = 124 h. Trains 1-2 fill the first at 58, trains 3-4 the
    second at 106. From then on the yard never runs short (4 trains per 124 h against 5 arriving), so each vessel
    loads two trains the moment it is back: the first at 182 + 124m, the second at 230 + 124m, taking the pairs
    (5, 6), (7, 8), (9, 10), ... in turn. The first returns to p at 182, 306, 430, 554, 678 h; the second at 230,
    354, 478, 602 h — never the hour a train enters the yard (24k + 10) within the run."""
    tables = run(ferry_only({"rule": "when_full"}, 40, "100h", vessels=2))
    takes = {1: 58.0, 2: 58.0, 3: 106.0, 4: 106.0}
    for pair in range(2, 12):
        m, second = divmod(pair - 2, 2)
        takes |= dict.fromkeys((2 * pair + 1, 2 * pair + 2), 182 + 124 * m + 48 * second)
    check_takes(tables, takes)
    s = tables["sailings"]
    assert (s.containers == 20).all()
    assert list(s.vessel[:4]) == ["pq-vessel-1", "pq-vessel-2"] * 2


def test_when_full_fills_before_max_wait() -> None:
    """20-container vessel, max_wait 30 h, cycle 43 h. Train 1 goes alone at 34 (deadline passed); from then on the
    vessel is back at 48n + 77, finds train 2n + 2 (48n + 58) and fills when train 2n + 3 arrives (48n + 82), before
    its deadline (48n + 107): take n at 48n + 34 with trains 2n and 2n + 1."""
    tables = run(ferry_only({"rule": "when_full", "max_wait": "30h"}, 40, "19h"))
    takes = {1: 34.0} | {k: 48 * n + 34 for n in range(1, 14) for k in (2 * n, 2 * n + 1)}
    check_takes(tables, takes)
    assert (tables["sailings"].containers.iloc[1:] == 20).all()


def test_timetable_demand_follows_the_monthly_factor() -> None:
    """Evenly spaced trains at 3.5 a week (one every 48 h) scaled month by month: each month gets its factor times
    its share of trains (within the one train that straddles a month's end), and a month at zero gets none."""
    factor = [1.0, 0.0, 2.0, 0.5, 1.0, 0.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 3.5,
            "arrivals": "timetable",
            "containers_per_train": 1,
            "monthly_factor": factor,
        }
    }
    raw = scenario_dict(
        nodes,
        {"oz": {"from": "o", "to": "z", "travel_time": "1h"}},
        flows,
        duration="365d",
        cooldown="0h",
        start="2023-01-01",
    )
    start = run(raw)["containers"].start_day
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    edges = np.cumsum([0, *days])
    counts = np.histogram(start, bins=edges)[0]
    expected = np.array(factor) * np.array(days) / 2
    assert np.all(np.abs(counts - expected) <= 1), (counts, expected)
    assert abs(counts.sum() - expected.sum()) <= 1
    assert counts[1] == counts[5] == 0


def test_pool_over_two_segments_holds_trains_until_its_set_returns() -> None:
    """One wagon set serves o -> b -> z (5 h, 2 h handling at b, 5 h) and returns empty in 14 h: a round trip of
    5 + 2 + 5 + 14 = 26 h against a train every 24 h, so train k waits 2 (k - 1) h for the set at o and reaches z
    12 h after it gets it, at 24k + 2(k - 1) + 12."""
    nodes = {
        "o": {"role": "terminal"},
        "b": {"role": "border", "handling": {"servers": 2, "time": "2h"}},
        "z": {"role": "terminal"},
    }
    segments = {
        "ob": {"from": "o", "to": "b", "travel_time": "5h"},
        "bz": {"from": "b", "to": "z", "travel_time": "5h"},
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": TRAIN,
        }
    }
    raw = scenario_dict(nodes, segments, flows, duration="10d", warmup="0h", cooldown="0h")
    raw["network"]["rolling_stock"] = {"set": {"segments": ["ob", "bz"], "sets": 1, "return_time": "14h"}}
    c = run(raw)["containers"]
    d = c[c.status.eq("delivered")]
    k = d.container_id // TRAIN + 1
    assert len(d) >= 7 * TRAIN
    assert np.allclose(d.end_day * 24, 24 * k + 2 * (k - 1) + 12)
    assert np.allclose(d.waiting_days * 24, 2 * (k - 1))
    assert np.allclose(d.handling_days * 24, 2)


def closure_waits(every: str, duration: str, months: list[int] | None, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily trains (at 24k h) over a 1 h line o -> z that a disruption closes; returns (k, waiting hours)."""
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 1,
        }
    }
    raw = scenario_dict(
        nodes,
        {"oz": {"from": "o", "to": "z", "travel_time": "1h"}},
        flows,
        duration=f"{days}d",
        warmup="0h",
        cooldown="2d",
        start="2023-01-01",
    )
    raw["disruptions"] = {
        "d": {"target": "oz", "every": every, "duration": duration} | ({"months": months} if months else {})
    }
    c = run(raw)["containers"]
    assert c.status.eq("delivered").all()
    return (c.container_id + 1).to_numpy(), c.waiting_days.to_numpy() * 24


def expected_waits(k: np.ndarray, closures: list[tuple[float, float]]) -> np.ndarray:
    t = 24.0 * k
    wait = np.zeros(len(k))
    for lo, hi in closures:
        inside = (t > lo) & (t < hi)
        wait[inside] = hi - t[inside]
    return wait


def test_outages_alternate_open_every_and_closed_duration() -> None:
    """`every` is the open time from one reopening to the next closure: with 50 h open and 12 h closed the line is
    closed over [50 + 62i, 62 + 62i]; a train arriving inside waits for the reopening (no arrival hits an edge
    before day 15)."""
    k, waits = closure_waits("50h", "12h", None, 14)
    k, waits = k[k < 15], waits[k < 15]  # train 15 arrives at 360 h, the very moment an outage starts
    closures = [(50 + 62 * i, 62 + 62 * i) for i in range(6)]
    assert np.allclose(waits, expected_waits(k, closures))
    assert (waits > 0).sum() == 2  # trains 5 (120 h, in 112..124) and 10 (240 h, in 236..248)


def test_seasonal_outages_start_only_in_their_months() -> None:
    """Outages only in February (hours 744..1416 from 1 January): the first closure comes `every` after 1 February,
    at 744 + 125.5 = 869.5 until 893.5, then 893.5 + 125.5 = 1019 .. 1043, 1168.5 .. 1192.5, 1318 .. 1342; the
    next would start at 1467.5, in March, so none does."""
    k, waits = closure_waits("125.5h", "24h", [2], 70)
    closures = [(869.5, 893.5), (1019, 1043), (1168.5, 1192.5), (1318, 1342)]
    assert np.allclose(waits, expected_waits(k, closures))
    assert (waits > 0).sum() == 4


def test_when_full_with_fill_fraction() -> None:
    """fill 0.5 of a 40-container vessel: it sails once 20 wait. Cycle 43 h, so it is back before each second
    train: take n at 58 + 48n with trains 2n + 1 and 2n + 2 (the yard never holds more than 20 when it sails)."""
    tables = run(ferry_only({"rule": "when_full", "fill": 0.5}, 80, "19h"))
    takes = {k: 58 + 48 * n for n in range(12) for k in (2 * n + 1, 2 * n + 2)}
    check_takes(tables, takes)
    assert (tables["sailings"].containers == 20).all()


def test_one_berth_makes_the_second_vessel_wait() -> None:
    """Two 5-container vessels wait at p, which has one berth; train 1's ten containers enter the yard at 34 h and
    both vessels take five at once. The first loads 34..44 (10 h), the second waits for the berth until 44 and loads
    44..54; each crosses in 20 h and unloads in 2 h: delivered at 66 and 76 h (transit 42 and 52 h from 24 h)."""
    raw = ferry_only({"rule": "when_full"}, 10, "300h", vessels=2)
    raw["network"]["nodes"]["p"]["berths"] = 1
    raw["network"]["segments"]["pq"]["load_time"] = "10h"
    c = run(raw)["containers"].set_index("container_id")
    first = c.loc[0:9]
    assert np.allclose(first.end_day * 24, [66] * 5 + [76] * 5)
    assert np.allclose(first.waiting_days * 24, [0] * 5 + [10] * 5)  # the berth wait
    assert np.allclose(first.handling_days * 24, 12)  # 10 h loading + 2 h unloading


def test_line_closure_keeps_trains_in_order_with_headway() -> None:
    """A line with a 32 h headway, a train every 24 h, closed over [50 + 60i, 60 + 60i] (open 50 h, closed 10 h).
    Trains leave in arrival order, each at the first moment that is after its arrival, a headway after the train
    before it, and outside a closure (none of these moments falls on a closure's edge)."""
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 1,
        }
    }
    raw = scenario_dict(
        nodes,
        {"oz": {"from": "o", "to": "z", "travel_time": "1h", "trains_per_day": 0.75}},
        flows,
        duration="20d",
        warmup="0h",
        cooldown="0h",
    )
    raw["disruptions"] = {"d": {"target": "oz", "every": "50h", "duration": "10h"}}
    c = run(raw)["containers"]
    d = c[c.status.eq("delivered")]
    departs, last = [], -np.inf
    for k in d.container_id + 1:
        t = max(24.0 * k, last + 32)
        phase = (t - 50) % 60
        if phase < 10:  # inside a closure: wait for it to end
            t += 10 - phase
        departs.append(t)
        last = t
    assert len(d) > 10
    assert np.allclose(d.end_day * 24, np.array(departs) + 1)


def test_closed_node_without_handling_holds_trains() -> None:
    """A junction with no handling still closes: trains reaching j (3 h after leaving o at 24k) while it is closed,
    over [50 + 62i, 62 + 62i], wait there for the reopening: train 2 (at j at 51 h) 11 h, train 5 (123 h) 1 h,
    train 10 (243 h) 5 h."""
    nodes = {"o": {"role": "terminal"}, "j": {"role": "junction"}, "z": {"role": "terminal"}}
    segments = {
        "oj": {"from": "o", "to": "j", "travel_time": "3h"},
        "jz": {"from": "j", "to": "z", "travel_time": "1h"},
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 1,
        }
    }
    raw = scenario_dict(nodes, segments, flows, duration="12d", warmup="0h", cooldown="1d")
    raw["disruptions"] = {"d": {"target": "j", "every": "50h", "duration": "12h"}}
    c = run(raw)["containers"]
    d = c[c.status.eq("delivered")]
    expected = (d.container_id + 1).map({2: 11.0, 5: 1.0, 10: 5.0}).fillna(0.0)
    assert len(d) == 12
    assert np.allclose(d.waiting_days * 24, expected)


def test_calendar_follows_the_start_date() -> None:
    """Start on 15 July with no demand in July: the first daily train comes a day after 1 August (day 17 -> 18),
    and from then on one a day."""
    factor = [1.0] * 6 + [0.0] + [1.0] * 5
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 1,
            "monthly_factor": factor,
        }
    }
    raw = scenario_dict(
        nodes,
        {"oz": {"from": "o", "to": "z", "travel_time": "1h"}},
        flows,
        duration="40d",
        cooldown="0h",
        start="2023-07-15",
    )
    start = run(raw)["containers"].start_day.to_numpy()
    assert np.allclose(start, np.arange(18, 18 + len(start)))
    assert len(start) == 40 - 18


def test_a_storm_holds_a_vessel_in_the_far_port_before_its_return_leg() -> None:
    """A 20-container vessel (cycle 2 + 20 + 2 + 19 h) takes trains 1-2 at 58, departs 60, reaches q at 80 and has
    unloaded at 82. The sea leg is closed over [81, 90] (open 81 h from the start, then closed 9 h): the vessel waits
    in q until 90 and is back in p at 109, after train 4 (106), so it takes trains 3-4 and departs at 111 (had it
    sailed back through the storm it would have been back at 101 and departed at 108). The next closure, [171, 180],
    ends before it would matter again."""
    raw = ferry_only({"rule": "when_full"}, 40, "19h")
    raw["disruptions"] = {"storm": {"target": "pq", "every": "81h", "duration": "9h"}}
    s = run(raw)["sailings"]
    assert np.allclose(s.depart_day[:2] * 24, [60, 111])


def test_a_formation_timer_of_a_train_already_formed_does_not_fire() -> None:
    """Onward trains of 15 at q, or after 30 h. Ferry slots every 24 h from hour 11 carry each 10-container train on
    its own (two vessels take turns): train k is unloaded at q at 24k + 35. Train 1 (59) arms a timer for 89; train 2
    (83) completes a train of 15 at 83, and its other 5 arm a timer for 113; train 3 (107) completes the next train
    at 107. So every three trains (from T = 24(3c + 1) + 35) two onward trains leave, at T + 24 and T + 48, and reach
    z 8 h later. The timer for 89 belongs to a train that left at 83: had it fired, it would have sent train 2's last
    5 off alone at 89."""
    nodes = {
        "o": {"role": "terminal"},
        "p": {"role": "port"},
        "q": {"role": "port", "formation": {"train_size": 15, "max_wait": "30h"}},
        "z": {"role": "terminal"},
    }
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 20, "count": 2}],
            "crossing_time": "20h",
            "return_time": "19h",
            "load_time": "2h",
            "unload_time": "2h",
            "departure": {"rule": "timetable", "every": "24h", "offset": "11h"},
        },
        "qz": {"from": "q", "to": "z", "travel_time": "8h"},
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": TRAIN,
        }
    }
    c = run(scenario_dict(nodes, segments, flows, duration="20d", warmup="0h", cooldown="5d"))["containers"]
    d = c[c.status.eq("delivered")]
    i = d.container_id.to_numpy()
    cycle, within = i // 30, i % 30  # containers 0-14 of a cycle leave at T + 24, 15-29 at T + 48
    t = 24 * (3 * cycle + 1) + 35
    assert len(d) >= 120
    assert np.allclose(d.end_day * 24, np.where(within < 15, t + 24, t + 48) + 8)


def test_a_slow_line_takes_distance_over_speed_even_below_one_km_per_hour() -> None:
    """A 3 km line at 0.5 km/h (a shunting move): 6 h, whatever the speed's size; trains of 10 every 24 h from hour 24
    arrive 6 h after they start (nothing else on the way)."""
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "distance": "3km", "speed": "0.5km/h"}}
    flow = {
        "origin": "o",
        "destination": "z",
        "trains_per_week": 7,
        "arrivals": "timetable",
        "containers_per_train": 10,
    }
    c = run(scenario_dict(nodes, segments, {"f": flow}, duration="5d", cooldown="2d"))["containers"]
    assert c.measured.sum() == 40 and np.allclose(c.transit_days * 24, 6.0)


def test_a_vessel_back_exactly_at_a_slot_takes_that_slot() -> None:
    """Slots at 36 m; a cycle of 2 + 20 + 2 + 12 = 36 h: the vessel that took slot m is back in p at the instant of
    slot m + 1 and takes it, so it sails every slot (departing 2 h after it), not every other one."""
    s = run(ferry_only({"rule": "timetable", "every": "36h", "offset": "0h"}, 800, "12h"))["sailings"]
    assert len(s) >= 15 and np.allclose(s.depart_day * 24, 36 * np.arange(len(s)) + 2)
