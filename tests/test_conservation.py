"""Conservation: no container is created, lost or counted twice, with random outages too; every hour of a container's
trip is accounted for exactly once; vessels never carry more than they hold; Little's law holds at a yard."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from conftest import model, scenario_dict

from corridor_sim.records import STATE_CODE

TRAIN = 50


def busy_corridor(**simulation) -> dict:
    """A small stochastic corridor with every mechanism and outages at a border, on the sea and at a port."""
    nodes = {
        "a": {"role": "terminal", "handling": {"servers": 1, "time": {"dist": "exponential", "mean": "2h"}}},
        "b": {"role": "border", "handling": {"servers": 2, "time": {"dist": "exponential", "mean": "10h"}}},
        "p": {"role": "port", "handling": {"servers": 1, "time": "3h"}, "berths": 1},
        "q": {
            "role": "port",
            "formation": {"train_size": 50, "max_wait": "48h"},
            "handling": {"servers": 1, "time": {"dist": "triangular", "low": "2h", "mode": "3h", "high": "6h"}},
        },
        "z": {"role": "terminal"},
        "y": {"role": "terminal"},
    }
    segments = {
        "ab": {"from": "a", "to": "b", "distance": "800km", "speed": "800km/d", "trains_per_day": 6},
        "bp": {
            "from": "b",
            "to": "p",
            "distance": "1200km",
            "speed": {"dist": "uniform", "low": "500km/d", "high": "900km/d"},
            "trains_per_day": 4,
        },
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 200, "count": 2}],
            "crossing_time": {"dist": "lognormal", "mean": "20h", "cv": 0.3},
            "load_time": "6h",
            "unload_time": "6h",
            "load_factor": 0.9,
            "departure": {"rule": "when_full", "max_wait": "72h"},
        },
        "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h", "trains_per_day": 8},
        "qy": {"from": "q", "to": "y", "travel_time": {"dist": "uniform", "low": "5h", "high": "9h"}},
    }
    flows = {
        "f1": {"origin": "a", "destination": "z", "teu_per_year": 15000, "containers_per_train": TRAIN},
        "f2": {
            "origin": "a",
            "destination": "z",
            "trains_per_week": 1,
            "arrivals": "timetable",
            "containers_per_train": 40,
        },
        "f3": {"origin": "a", "destination": "y", "teu_per_year": 4000, "containers_per_train": 30},
    }
    sim = {"duration": "200d", "warmup": "20d", "cooldown": "60d", "seed": 3} | simulation
    raw = scenario_dict(nodes, segments, flows, **sim)
    raw["network"]["rolling_stock"] = {"wagons": {"segments": ["qz"], "sets": 3, "return_time": "24h"}}
    raw["disruptions"] = {
        "storm": {
            "target": "pq",
            "every": {"dist": "exponential", "mean": "15d"},
            "duration": {"dist": "exponential", "mean": "2d"},
        },
        "border": {"target": "b", "every": {"dist": "exponential", "mean": "20d"}, "duration": "1d"},
        "port": {"target": "q", "every": {"dist": "exponential", "mean": "25d"}, "duration": "18h"},
        "port_p": {"target": "p", "every": {"dist": "exponential", "mean": "30d"}, "duration": "12h"},
    }
    return raw


def stage_arrays(m) -> dict[str, np.ndarray]:
    """The run's raw stage records (one row per container and stage), in hours."""
    st, loads = m.rec.stages, m.rec.loads
    n = np.array([len(loads[s[0]]) for s in st])
    return {
        "cid": np.concatenate([loads[s[0]] for s in st]),
        "loc": np.repeat([s[1] for s in st], n),
        "state": np.repeat([s[2] for s in st], n),
        "t0": np.repeat([s[3] for s in st], n),
        "t1": np.repeat([s[4] for s in st], n),
    }


@pytest.fixture(scope="module")
def busy_run():
    m = model(busy_corridor(monitor_interval="1h"))
    closures: dict[str, list[list[float]]] = defaultdict(list)
    for name in ("pq", "b", "q", "p"):  # log when each disrupted gate closes and reopens
        gate = m.gates[name]
        close, reopen = gate.close, gate.open

        def logged_close(gate=gate, close=close, name=name):
            if gate.is_open:
                closures[name].append([m.env.now, np.inf])
            close()

        def logged_open(gate=gate, reopen=reopen, name=name):
            if not gate.is_open:
                closures[name][-1][1] = m.env.now
            reopen()

        gate.close, gate.open = logged_close, logged_open
    tables = m.run()
    return m, tables, stage_arrays(m), closures


def test_containers_in_equal_delivered_plus_in_flight(busy_run) -> None:
    m, tables, _, closures = busy_run
    assert all(len(closures[n]) >= 3 for n in ("pq", "b", "q", "p"))  # the outages really happened
    c = tables["containers"]
    created = sum(n for _, n, _, _ in m.rec.trains)
    delivered_ids = np.concatenate([ids for ids, _ in m.rec.delivered])
    assert len(np.unique(delivered_ids)) == len(delivered_ids), "a container was delivered twice"
    assert len(c) == created == c.container_id.nunique()
    assert (c.status == "delivered").sum() == len(delivered_ids)
    assert (c.status == "delivered").sum() + (c.status == "in_flight").sum() == created
    # the timetable flow: one 40-container train a week from day 7 until the horizon (260 days)
    assert (c.flow == "f2").sum() == 40 * (260 // 7)
    # whatever sits in a yard or a formation queue at the end is in flight, and nothing sits in two places
    held = [p.ids for y in m.yards.values() for p in y.pieces]
    held += [p.ids for q in m.formation.values() for p in q.pieces]
    held_ids = np.concatenate(held) if held else np.empty(0, int)
    assert len(np.unique(held_ids)) == len(held_ids)
    assert (c.set_index("container_id").loc[held_ids, "status"] == "in_flight").all()


def test_every_hour_of_a_trip_is_accounted_once(busy_run) -> None:
    """Stage records tile each container's life without gap or overlap: start -> ... -> delivery."""
    _, tables, st, _ = busy_run
    c = tables["containers"].set_index("container_id")
    order = np.lexsort((st["t0"], st["cid"]))
    cid, t0, t1 = st["cid"][order], st["t0"][order], st["t1"][order]
    same = cid[1:] == cid[:-1]
    assert np.allclose(t0[1:][same], t1[:-1][same], atol=1e-9), "a gap or an overlap between two stages"
    first = np.r_[True, ~same]
    last = np.r_[~same, True]
    assert np.allclose(t0[first], c.loc[cid[first], "start_day"].to_numpy() * 24)
    done = c.loc[cid[last], "status"].to_numpy() == "delivered"
    assert np.allclose(t1[last][done], c.loc[cid[last][done], "end_day"].to_numpy() * 24)
    d = c[c.status == "delivered"]
    assert np.allclose(d.moving_days + d.handling_days + d.waiting_days, d.transit_days)
    assert (d.waiting_days > 0).any() and (d.transit_days > 0).all()


def test_nothing_starts_where_a_gate_is_closed(busy_run) -> None:
    """While closed nothing departs or is handled there: no travel/sailing/handling begins inside an outage."""
    m, _, st, closures = busy_run
    blocked = {  # (location, state) pairs that must not begin while the named gate is closed
        "pq": [("pq", "sailing")],  # a storm stops sailings (loading at p and unloading at q may go on)
        "b": [("b", "handling")],
        "q": [("q", "handling"), ("pq", "unloading")],  # a closed port neither handles trains nor unloads
        "p": [("p", "handling"), ("pq", "loading")],  # ... nor loads
    }
    seen_closed_wait = False
    for name, intervals in closures.items():
        rows = np.zeros(len(st["t0"]), bool)
        for loc, state in blocked[name]:
            rows |= (st["loc"] == m.rec.loc(loc)) & (st["state"] == STATE_CODE[state])
        starts = np.unique(st["t0"][rows])
        for lo, hi in intervals:
            assert not ((starts > lo + 1e-9) & (starts < hi - 1e-9)).any(), (name, lo, hi)
        closed = (st["state"] == STATE_CODE["closed"]) & np.isin(st["loc"], [m.rec.loc(name)])
        seen_closed_wait |= bool(closed.any())
    assert seen_closed_wait


def test_vessel_loads_never_exceed_capacity(busy_run) -> None:
    m, tables, st, _ = busy_run
    s = tables["sailings"]
    capacity = int(200 * 0.9 // 2)  # 200 TEU at a 0.9 load factor, 2 TEU a container
    assert (s.capacity_containers == capacity).all()
    assert (s.containers <= s.capacity_containers).all() and (s.containers > 0).all()
    assert np.allclose(s.teu, s.containers * 2)
    assert (s.arrive_day > s.depart_day).all()
    assert s.containers.max() == capacity  # the bound is reached, so the check has teeth
    # each completed sailing's load is the containers unloaded at q: the table agrees with the stage records
    unloaded = (st["state"] == STATE_CODE["unloading"]) & (st["loc"] == m.rec.loc("pq"))
    assert s.containers.sum() == unloaded.sum()


@pytest.mark.parametrize(
    ("place", "metric", "state"),
    [("p", "yard_containers", "yard_wait"), ("q", "formation_containers", "formation_wait")],
)
def test_littles_law(busy_run, place: str, metric: str, state: str) -> None:
    """L = lambda W at p's yard and q's formation queue: the monitor's time-average count vs entries per hour x
    mean wait from the stage records."""
    m, tables, st, _ = busy_run
    lo, hi = 20 * 24.0, 200 * 24.0
    occ = tables["occupancy"]
    samples = occ[(occ.location == place) & (occ.metric == metric)]
    samples = samples[(samples.day * 24 >= lo) & (samples.day * 24 < hi)]
    assert len(samples) == hi - lo  # one sample an hour
    big_l = samples.value.mean()
    rows = (st["state"] == STATE_CODE[state]) & (st["loc"] == m.rec.loc(place))
    t0, t1 = st["t0"][rows], st["t1"][rows]
    entered = (t0 >= lo) & (t0 < hi)
    # the same area computed from the records, clipped to the window (the monitor is an independent sampler)
    area = np.clip(np.minimum(t1, hi) - np.maximum(t0, lo), 0, None).sum() / (hi - lo)
    assert big_l == pytest.approx(area, rel=0.01)
    lam = entered.sum() / (hi - lo)
    w = (t1 - t0)[entered].mean()
    assert big_l > 5
    assert big_l == pytest.approx(lam * w, rel=0.03)


def test_everything_drains_when_demand_stops() -> None:
    """Demand only January-July and outages only in the first half year: by the end of the year every container
    ever created is delivered, once, however long the outages held it."""
    raw = busy_corridor(duration="240d", cooldown="120d")
    for flow in raw["demand"]["flows"].values():
        flow["monthly_factor"] = [1.0] * 7 + [0.0] * 5
    for d in raw["disruptions"].values():
        d["months"] = [1, 2, 3, 4, 5, 6]
    m = model(raw)
    c = m.run()["containers"]
    assert (c.status == "delivered").all()
    delivered_ids = np.concatenate([ids for ids, _ in m.rec.delivered])
    assert np.array_equal(np.sort(delivered_ids), np.arange(len(c)))
    assert c.start_day.max() <= 31 + 28 + 31 + 30 + 31 + 30 + 31  # nothing created after July


def test_sections_decompose_the_mean_transit(busy_run) -> None:
    """sections.csv splits the mean transit of measured, delivered containers by section and state: the parts add
    up to the whole, per destination, and `measured` means started inside [warmup, duration)."""
    _, tables, _, _ = busy_run
    c = tables["containers"]
    assert (c.measured == ((c.start_day >= 20) & (c.start_day < 200))).all()
    sections = tables["sections"]
    assert set(sections.state) <= {"moving", "handling", "waiting"}
    assert set(sections.destination) == {"z", "y"}
    for destination, sec in sections.groupby("destination", observed=True):
        done = c[c.measured & c.status.eq("delivered") & c.destination.eq(destination)]
        assert (sec.containers == len(done)).all()
        assert sec.days.sum() == pytest.approx(done.transit_days.mean(), rel=1e-9)
        by_state = sec.groupby("state", observed=True).days.sum()
        for state in ("moving", "handling", "waiting"):
            assert by_state[state] == pytest.approx(done[f"{state}_days"].mean(), rel=1e-9)


def test_containers_follow_their_routes(busy_run) -> None:
    """Each delivered container moved over exactly its flow's segments, in order (formation and vessels mix flows;
    they must never send a container down another flow's leg)."""
    m, tables, st, _ = busy_run
    moving = np.isin(st["state"], [STATE_CODE["travel"], STATE_CODE["sailing"]])
    order = np.lexsort((st["t0"][moving], st["cid"][moving]))
    names = np.array(m.rec.locations, dtype=object)
    legs = pd.DataFrame({"cid": st["cid"][moving][order], "loc": names[st["loc"][moving][order]]})
    taken = legs.groupby("cid", observed=True)["loc"].agg(tuple)
    c = tables["containers"]
    done = c[c.status.eq("delivered")].set_index("container_id")
    route = {r.flow: r.segments for r in m.routes}
    expected = pd.Series([route[f] for f in done.flow], index=done.index, dtype=object)  # pandas 2 maps tuples badly
    assert (taken.reindex(done.index) == expected).all()
    assert set(done.flow) == {"f1", "f2", "f3"}
