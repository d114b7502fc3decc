"""Changes on a date (`changes: [{from: DATE, set: {key.path: value}}]`): checked up front like `--set`, and applied to
the running model on their date. Expected times are worked out by hand in each docstring (hours from the start)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load, run, scenario_dict

from corridor_sim.engine.slots import Slots
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario

TRAIN = 10


def ferry(containers_per_train: int = 30, **sim: str) -> dict:
    """o --10 h--> p ==ferry==> q: one 20-container vessel (40 TEU), load 2 h, cross 20 h, unload 2 h, back 24 h —
    a 48 h cycle from taking cargo to being back; a train of `containers_per_train` every 24 h from hour 24."""
    nodes = {"o": {"role": "terminal"}, "p": {"role": "port"}, "q": {"role": "port"}}
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 40, "count": 1}],
            "crossing_time": "20h",
            "return_time": "24h",
            "load_time": "2h",
            "unload_time": "2h",
        },
    }
    flow = {"origin": "o", "destination": "q", "trains_per_week": 7, "arrivals": "timetable"}
    flows = {"f": flow | {"containers_per_train": containers_per_train}}
    return scenario_dict(nodes, segments, flows, **({"duration": "30d", "warmup": "0h", "cooldown": "5d"} | sim))


def test_vessel_count_change_follows_the_capacity_law_before_and_after() -> None:
    """30 containers a day arrive, a vessel carries 20 per 48 h cycle: the yard never empties, so the Caspian
    throughput is K / cycle — 20 per 48 h with one vessel, 60 per 48 h with three.

    Vessel 1 takes its first 20 when train 1 enters the yard (34) and then every 48 h: departs 36 + 48n.
    From day 11 (264 h) two more vessels start empty in p, find the yard full and load at once: they depart
    266 + 48m. From day 22 (528 h) the count is 1 again: no vessel is idle then (vessels 2 and 3 took cargo at 504,
    vessel 1 at 514), so the two latest started finish the trip they are on, are back at 552 and retire; vessel 1
    goes on as before.
    """
    raw = ferry()
    raw["changes"] = [
        {"from": "2023-01-12", "set": {"network.segments.pq.vessels.0.count": 3}, "source": "S1"},
        {"from": "2023-01-23", "set": {"network.segments.pq.vessels.0.count": 1}},
    ]
    raw["sources"] = {"S1": {"title": "a test source"}}
    s = run(raw)["sailings"]
    depart = {v: sorted(g.depart_day * 24) for v, g in s.groupby("vessel", observed=True)}
    horizon = 35 * 24
    first = [36 + 48 * n for n in range(20) if 36 + 48 * n + 22 <= horizon]
    added = [266 + 48 * m for m in range(6)]  # 266 ... 506: the last trip, begun before day 22
    assert np.allclose(depart["pq-vessel-1"], first)
    assert np.allclose(depart["pq-vessel-2"], added)
    assert np.allclose(depart["pq-vessel-3"], added)
    assert (s.containers == 20).all()
    # the capacity law: sailings of 20 per 48 h cycle (windows from hour 26): K/cycle with K = 1, then 3, then 1
    per_window = np.bincount(((s.depart_day * 24 - 26) // 48).astype(int))
    assert list(per_window) == [1] * 5 + [3] * 6 + [1] * 6


def through_handler(changes: list[dict]) -> np.ndarray:
    """o --10 h--> b (1 server, 28 h per train) --> z: train k reaches b at 24k + 10; returns each train's queue
    wait at b in hours, train 1 first."""
    nodes = {
        "o": {"role": "terminal"},
        "b": {"role": "border", "handling": {"servers": 1, "time": "28h"}},
        "z": {"role": "terminal"},
    }
    segments = {
        "ob": {"from": "o", "to": "b", "travel_time": "10h"},
        "bz": {"from": "b", "to": "z", "travel_time": "1h"},
    }
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "arrivals": "timetable"}}
    raw = scenario_dict(nodes, segments, flows, duration="16d", warmup="0h", cooldown="3d")
    raw["changes"] = changes
    c = run(raw)["containers"]
    return (c.groupby(c.container_id // 50).waiting_days.first() * 24).to_numpy()


def test_handling_servers_added_and_removed_on_dates() -> None:
    """One server at 28 h per train, a train every 24 h: each waits 4 h more than the one before (0, 4, 8, 12).
    A second server from day 6 (120 h, while train 4 is served until 146): train 5 (130) starts at once, and with
    two servers nobody waits. Back to one from day 11 (240 h, train 9 in service 226-254): train 10 (250) waits
    4 h, train 11 8 h, and so on."""
    waits = through_handler(
        [
            {"from": "2023-01-06", "set": {"network.nodes.b.handling.servers": 2}},
            {"from": "2023-01-11", "set": {"network.nodes.b.handling.servers": 1}},
        ]
    )
    assert np.allclose(waits[:14], [0, 4, 8, 12, 0, 0, 0, 0, 0, 4, 8, 12, 16, 20])


def test_handling_time_changes_on_a_date() -> None:
    """The dwell drops from 28 h to 16 h from day 5 (96 h, train 3 in service 90-118): train 4 (106) still waits for
    train 3 (12 h) and is served in 16 h (118-134); train 5 (130) waits 4 h, train 6 (154) none, nor any after."""
    waits = through_handler([{"from": "2023-01-05", "set": {"network.nodes.b.handling.time": "16h"}}])
    assert np.allclose(waits[:8], [0, 4, 8, 12, 4, 0, 0, 0])


def test_demand_changes_on_a_date() -> None:
    """Evenly spaced trains, one a day (at 24 k) until day 11 (240 h), then two a day: 252, 264, ..."""
    raw = ferry(containers_per_train=TRAIN, duration="20d")
    raw["demand"]["flows"]["f"]["arrivals"] = "timetable"
    raw["changes"] = [{"from": "2023-01-11", "set": {"demand.flows.f.trains_per_week": 14}}]
    c = run(raw)["containers"]
    starts = np.sort(c.start_day.unique() * 24)
    expected = [24.0 * k for k in range(1, 11)] + [240 + 12.0 * k for k in range(1, 21)]
    assert np.allclose(starts[:30], expected[:30], atol=1e-6)


def test_departure_rule_changes_on_a_date() -> None:
    """From day 4 (72 h) the vessel sails on a timetable every 36 h from hour 0 instead of when full of 20.
    Before: takes 20 at 34 (back at 82). After: back at 82 it waits for the next slot, 108; each time it is back
    (48 h after a take) the next slot is 72 h after its last: it takes at 108, 180, 252, 324 and departs 2 h later."""
    raw = ferry()
    raw["changes"] = [
        {"from": "2023-01-04", "set": {"network.segments.pq.departure": {"rule": "timetable", "every": "36h"}}}
    ]
    s = run(raw)["sailings"]
    assert np.allclose(s.depart_day[:5] * 24, [36, 110, 182, 254, 326])


def test_slots_resize_retires_units_as_they_are_given_back() -> None:
    """Two units held, capacity cut to one: the first given back retires, the second goes to the one in line."""
    import simpy

    slots = Slots(simpy.Environment(), 2)
    assert slots.take() is None and slots.take() is None
    turn = slots.take()
    slots.resize(1)
    slots.give()
    assert not turn.triggered and slots.busy == 1
    slots.give()
    assert turn.triggered and slots.busy == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"from": "2023-01-05", "set": {"network.segments.pq.vesels.0.count": 2}},
            "changes.0.set.network.segments.pq.vesels.0.count: no such key (did you mean 'vessels'?)",
        ),
        (
            {"from": "2023-01-05", "set": {"network.segments.pq.vessels.0.count": 0}},
            "changes.0.set.network.segments.pq.vessels.0.count: Input should be greater than or equal to 1",
        ),
        (
            {"from": "2023-01-05", "set": {"network.segments.op.travel_time": "-3h"}},
            "changes.0.set.network.segments.op.travel_time:",
        ),
        (
            {"from": "2023-01-05", "set": {"network.segments.pq.vessels.0.capacity_teu": 80}},
            "changes.0.set.network.segments.pq.vessels.0.capacity_teu: network.segments.pq.vessels.0.capacity_teu "
            "cannot change on a date",
        ),
        (
            {"from": "2023-01-05", "set": {"simulation.seed": 4}},
            "changes.0.set.simulation.seed: simulation.seed cannot change on a date",
        ),
        (
            {"from": "2023-01-05", "set": {"network.segments.pq.departure.rule": "timetable"}},
            "changes.0.set.network.segments.pq.departure.rule: a timetable needs a positive `every` (at "
            "network.segments.pq.departure)",
        ),
    ],
)
def test_bad_changes_are_refused_up_front_naming_the_key(write_yaml, change: dict, message: str) -> None:
    raw = ferry()
    raw["network"]["segments"]["pq"]["departure"] = {"rule": "when_full"}
    raw["changes"] = [change]
    path = write_yaml(raw)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_changes_out_of_date_order_are_refused() -> None:
    raw = ferry()
    raw["changes"] = [
        {"from": "2023-01-05", "set": {"network.segments.pq.vessels.0.count": 2}},
        {"from": "2023-01-03", "set": {"network.segments.pq.vessels.0.count": 3}},
    ]
    with pytest.raises(ScenarioError, match=r"changes\.1\.from: changes must be listed in date order"):
        load(raw)


def test_a_vessel_idle_in_port_retires_at_once() -> None:
    """Two vessels wait in p for 20 containers each; 10 arrive a day (train k enters the yard at 24k + 10). From
    day 2 (24 h) one vessel is enough: both are idle, so the latest started
    leaves service at once and vessel 1 alone takes trains 1-2 at 58 and then two trains every 48 h (its cycle):
    departs 60 + 48n. Had vessel 2 stayed, it would have taken trains 3-4 at 106."""
    raw = ferry(containers_per_train=TRAIN)
    raw["network"]["segments"]["pq"]["vessels"][0]["count"] = 2
    raw["changes"] = [{"from": "2023-01-02", "set": {"network.segments.pq.vessels.0.count": 1}}]
    s = run(raw)["sailings"]
    assert set(s.vessel) == {"pq-vessel-1"}
    assert np.allclose(s.depart_day * 24, 60 + 48 * np.arange(len(s)))
    assert len(s) >= 15


def corridor() -> dict:
    """o --10 h--> p ==ferry, 2 vessels of 20 containers, 30 h to load==> q --5 h--> r, onward trains of 30 formed
    at q; trains of 30 every 48 h from hour 48 (timetable); fixed times throughout, so no random draw decides
    anything."""
    raw = ferry(containers_per_train=30, duration="20d", cooldown="10d")
    raw["demand"]["flows"]["f"] |= {"destination": "r", "trains_per_week": 3.5}
    nodes, segments = raw["network"]["nodes"], raw["network"]["segments"]
    nodes["p"]["berths"] = 2
    nodes["p"]["yard"] = {"containers": 400}  # vessels carry 40 per 76 h cycle, trains bring 30 per 48 h: it fills
    nodes["q"]["formation"] = {"train_size": 30, "max_wait": "72h"}
    nodes["r"] = {"role": "terminal"}
    segments["pq"]["vessels"][0]["count"] = 2
    segments["pq"]["load_time"] = "30h"  # both vessels at the quay at once: the number of berths matters
    segments["qr"] = {"from": "q", "to": "r", "travel_time": "5h", "trains_per_day": 4}
    return raw


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("network.nodes.p.berths", 1),
        ("network.nodes.p.yard.containers", 40),
        ("network.nodes.q.formation.train_size", 40),
        ("network.nodes.q.formation.max_wait", "12h"),
        ("network.segments.op.travel_time", "30h"),
        ("network.segments.qr.trains_per_day", 0.5),
        ("network.segments.pq.crossing_time", "31h"),
        ("network.segments.pq.load_time", "40h"),
    ],
)
def test_a_change_dated_before_any_traffic_runs_as_the_scenario_written_with_it(key: str, value: object) -> None:
    """The first train arrives at hour 48; a change from day 2 (hour 24) must give exactly the tables of the
    scenario written with the new value (the README's rule: from its date on, as if written with it). Each value
    is chosen so the outcome (when containers arrive, or where they wait) differs from the unchanged scenario's
    (checked too), so a change not applied fails."""
    changed, written = corridor(), corridor()
    changed["changes"] = [{"from": "2023-01-02", "set": {key: value}}]
    *path, last = key.split(".")
    target = written
    for part in path:
        target = target[part]
    target[last] = value
    got, want, before = run(changed), run(written), run(corridor())
    tables = ("containers", "sailings", "sections")
    for table in tables:
        a, b = got[table].reset_index(drop=True), want[table].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_categorical=False)
    assert not all(got[t].reset_index(drop=True).equals(before[t].reset_index(drop=True)) for t in tables)


@pytest.mark.parametrize(
    ("change", "later"),
    [
        ({"network.nodes.q.formation.train_size": 20}, 0),  # a trip's 20 make a full train on arrival
        ({"network.nodes.q.formation.max_wait": "12h"}, 12),  # a trip's 20 leave 12 h after arrival
    ],
)
def test_a_formation_rule_changed_while_containers_wait_applies_to_them_at_once(change: dict, later: int) -> None:
    """`ferry()` with onward trains at q (train size 100, max wait 30 d) to r, 5 h on. The vessel departs p at
    36 + 48n and is unloaded at q 24 h later: 20 containers at 58 + 48n. Under the written rule the first train
    waits for 100 (hour 250, at r 255). From day 5 (hour 120) the 40 waiting at q leave at once (train size 20: two
    full trains; max wait 12 h: the oldest has waited 62 h), at r at 125; each later trip's 20 leave on arrival
    (size) or 12 h after (wait): at r 58 + 48n + `later` + 5 for n ≥ 2."""
    raw = ferry(duration="14d", cooldown="5d")
    raw["demand"]["flows"]["f"]["destination"] = "r"
    raw["network"]["nodes"]["q"]["formation"] = {"train_size": 100, "max_wait": "30d"}
    raw["network"]["nodes"]["r"] = {"role": "terminal"}
    raw["network"]["segments"]["qr"] = {"from": "q", "to": "r", "travel_time": "5h"}
    unchanged = run(raw)["containers"]
    assert (unchanged.end_day.dropna() * 24).tolist() == [255.0] * 100
    raw["changes"] = [{"from": "2023-01-06", "set": change}]
    c = run(raw)["containers"]
    at_r = (c.end_day.dropna() * 24).value_counts().sort_index()
    expected = {125.0: 40} | {58.0 + 48 * n + later + 5: 20 for n in range(2, 9) if 58 + 48 * n + later + 5 <= 19 * 24}
    assert at_r.to_dict() == expected


def test_vessels_retired_idle_are_replaced_by_new_ones_when_the_count_goes_up_again() -> None:
    """As `test_a_vessel_idle_in_port_retires_at_once` (vessel 2 leaves service at hour 24, idle), then from day 11
    (hour 240) two vessels again: a third vessel starts empty in p (the README: an added vessel starts empty in its
    home port) and sails with vessel 1 from then on — the retired one is gone, not brought back to life."""
    raw = ferry(containers_per_train=TRAIN)
    raw["network"]["segments"]["pq"]["vessels"][0]["count"] = 2
    raw["changes"] = [
        {"from": "2023-01-02", "set": {"network.segments.pq.vessels.0.count": 1}},
        {"from": "2023-01-11", "set": {"network.segments.pq.vessels.0.count": 2}},
    ]
    s = run(raw)["sailings"]
    hours = s.depart_day * 24
    assert set(s.vessel[hours < 240]) == {"pq-vessel-1"}
    assert set(s.vessel[hours > 240]) == {"pq-vessel-1", "pq-vessel-3"}
    assert (s.vessel[hours > 240] == "pq-vessel-3").sum() >= 5


def test_containers_waiting_for_a_train_at_a_port_with_a_yard_limit_wait_as_without_one() -> None:
    """The corridor of the formation-change test, q given a roomy yard (1000 containers): containers off a vessel
    are always taken into the yard and counted there while they wait for a train, and nothing arrives at q by land
    to be held, so every container arrives at r as without the limit (at 255 the first 100, see above)."""
    raw = ferry(duration="14d", cooldown="5d")
    raw["demand"]["flows"]["f"]["destination"] = "r"
    raw["network"]["nodes"]["q"] |= {"formation": {"train_size": 100, "max_wait": "30d"}, "yard": {"containers": 1000}}
    raw["network"]["nodes"]["r"] = {"role": "terminal"}
    raw["network"]["segments"]["qr"] = {"from": "q", "to": "r", "travel_time": "5h"}
    c = run(raw)["containers"]
    assert (c.end_day.dropna() * 24).tolist() == [255.0] * 100


def test_monitor_counts_vessels_waiting_for_cargo_and_names_vessels_of_a_named_group() -> None:
    """`ferry()`: the vessel waits empty in p until train 1's containers enter the yard at 34 and sails at 36, back
    at 84 (48 h cycle): sampled every 24 h it waits at hours 0 and 24, is away at 48 and 72. A named group of two
    vessels names them `name-1`, `name-2`; a single named vessel keeps its name."""
    raw = ferry(duration="4d", cooldown="0h", monitor_interval="24h")
    o = run(raw)["occupancy"]
    waiting = o[o.metric.astype(str).eq("vessels_waiting_for_cargo") & o.location.astype(str).eq("pq")]
    assert waiting.set_index("day")["value"].loc[[0.0, 1.0, 2.0, 3.0]].tolist() == [1, 1, 0, 0]
    for count, names in ((2, {"Akademik-1", "Akademik-2"}), (1, {"Akademik"})):
        raw = ferry(duration="6d")
        raw["network"]["segments"]["pq"]["vessels"][0] |= {"name": "Akademik", "count": count}
        assert set(run(raw)["sailings"].vessel) == names
