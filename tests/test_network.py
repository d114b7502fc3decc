"""The corridor graph: consistency errors that name their key, and routes chosen by expected time."""

from __future__ import annotations

import pytest
from conftest import load, scenario_dict

from corridor_sim.errors import ScenarioError
from corridor_sim.network import build_network


def line() -> dict:
    """a --rail--> p ==ferry==> q --rail--> z."""
    nodes = {
        "a": {"role": "terminal"},
        "p": {"role": "port"},
        "q": {"role": "port", "formation": {"train_size": 10}},
        "z": {"role": "terminal"},
    }
    segments = {
        "ap": {"from": "a", "to": "p", "travel_time": "10h"},
        "pq": {"from": "p", "to": "q", "mode": "ferry", "vessels": [{"capacity_teu": 100}], "crossing_time": "20h"},
        "qz": {"from": "q", "to": "z", "travel_time": "5h"},
    }
    return scenario_dict(nodes, segments, {"f": {"origin": "a", "destination": "z", "trains_per_week": 1}})


def refused(raw: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        load(raw)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"<scenario>: {err.value.key}: ")
    return err.value


def test_valid_line_routes_through_every_leg() -> None:
    s = load(line())
    route = build_network(s).routes["f"]
    assert route.nodes == ("a", "p", "q", "z") and route.segments == ("ap", "pq", "qz")


@pytest.mark.parametrize(("end", "key"), [("from", "network.segments.ap.from"), ("to", "network.segments.ap.to")])
def test_segment_with_unknown_node(end: str, key: str) -> None:
    raw = line()
    raw["network"]["segments"]["ap"][end] = "nowhere"
    err = refused(raw)
    assert err.key == key and "unknown node 'nowhere'" in err.message


def test_ferry_leg_without_port() -> None:
    raw = line()
    raw["network"]["nodes"]["q"]["role"] = "terminal"
    err = refused(raw)
    assert err.key == "network.segments.pq" and "ports at both ends" in err.message and "'q'" in err.message


def test_ferry_onward_by_rail_needs_a_formation_rule() -> None:
    raw = line()
    del raw["network"]["nodes"]["q"]["formation"]
    assert refused(raw).key == "network.nodes.q.formation"


def test_unreachable_destination() -> None:
    raw = line()
    raw["network"]["segments"]["qz"] = {"from": "z", "to": "q", "travel_time": "5h"}  # wrong direction
    err = refused(raw)
    assert err.key == "demand.flows.f.destination" and "unreachable" in err.message


def test_unknown_origin() -> None:
    raw = line()
    raw["demand"]["flows"]["f"]["origin"] = "x"
    assert refused(raw).key == "demand.flows.f.origin"


@pytest.mark.parametrize(
    ("path", "key", "message"),
    [
        (["a", "p", "z"], "demand.flows.f.path.2", "no segment from p to z"),
        (["a", "q", "z"], "demand.flows.f.path.1", "no segment from a to q"),
        (["p", "q", "z"], "demand.flows.f.path", "from the origin to the destination"),
        (["a", "x", "z"], "demand.flows.f.path", "unknown node 'x'"),
    ],
)
def test_path_not_connected(path: list[str], key: str, message: str) -> None:
    raw = line()
    raw["demand"]["flows"]["f"]["path"] = path
    err = refused(raw)
    assert err.key == key and message in err.message


@pytest.mark.parametrize(
    ("raw_patch", "key"),
    [
        (
            lambda r: r["network"]["rolling_stock"].update(
                {"w": {"segments": ["nope"], "sets": 1, "return_time": "1d"}}
            ),
            "network.rolling_stock.w.segments.0",
        ),
        (
            lambda r: r["network"]["rolling_stock"].update(
                {"w": {"segments": ["ap", "pq"], "sets": 1, "return_time": "1d"}}
            ),
            "network.rolling_stock.w.segments.1",
        ),
        (
            lambda r: r.update({"disruptions": {"d": {"target": "nowhere", "every": "5d", "duration": "1d"}}}),
            "disruptions.d.target",
        ),
        (
            lambda r: r.update({"disruptions": {"d": {"target": "ap", "every": "0h", "duration": "0h"}}}),
            "disruptions.d.every",
        ),  # zero-time outages back to back would stall the clock
        (
            lambda r: r["network"]["segments"].update({"ap2": {"from": "a", "to": "p", "travel_time": "1h"}}),
            "network.segments.ap2",
        ),
        (
            lambda r: r["network"]["segments"].update({"z": {"from": "z", "to": "a", "travel_time": "1h"}}),
            "network.segments.z",
        ),
        (lambda r: r["network"]["segments"]["pq"].update({"speed": "30km/h"}), "network.segments.pq"),
        (lambda r: r["network"]["segments"]["ap"].pop("travel_time"), "network.segments.ap"),
    ],
)
def test_other_inconsistencies_name_their_key(raw_patch, key: str) -> None:
    raw = line()
    raw["network"].setdefault("rolling_stock", {})
    raw_patch(raw)
    assert refused(raw).key == key


def diamond(b_handling_mean: str, sea_load: str) -> dict:
    """Three ways from a to d: via b (rail), via c (rail), via the ports p and q (sea); no headways, so each route's
    expected time is the sum of expected travel, handling and ferry load/crossing/unload times."""
    nodes = {
        "a": {"role": "terminal"},
        "b": {
            "role": "border",
            "handling": {"servers": 1, "time": {"dist": "lognormal", "mean": b_handling_mean, "cv": 1.5}},
        },
        "c": {"role": "junction"},
        "p": {"role": "port"},
        "q": {"role": "port", "formation": {"train_size": 5}},
        "d": {"role": "terminal"},
    }
    segments = {
        "ab": {"from": "a", "to": "b", "travel_time": {"dist": "triangular", "low": "1h", "mode": "2h", "high": "9h"}},
        "bd": {"from": "b", "to": "d", "distance": "100km", "speed": "50km/h"},
        "ac": {"from": "a", "to": "c", "travel_time": "12h"},
        "cd": {"from": "c", "to": "d", "distance": "48km", "speed": {"dist": "fixed", "value": "576km/d"}},
        "ap": {"from": "a", "to": "p", "travel_time": "2h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 100}],
            "crossing_time": {"dist": "exponential", "mean": "3h"},
            "load_time": sea_load,
            "unload_time": "1h",
        },
        "qd": {"from": "q", "to": "d", "travel_time": "2h"},
    }
    return scenario_dict(nodes, segments, {"f": {"origin": "a", "destination": "d", "trains_per_week": 1}})


@pytest.mark.parametrize(
    ("b_mean", "sea_load", "via"),
    [
        ("5h", "9h", "b"),  # via b: (1+2+9)/3 = 4, + 5, + 100/50 = 2 -> 11 h; via c: 12 + 2 = 14; sea: 2+9+3+1+2 = 17
        ("9h", "9h", "c"),  # via b: 4 + 9 + 2 = 15 h > 14 via c
        ("9h", "5h", "p"),  # sea: 2 + 5 + 3 + 1 + 2 = 13 h < 14 via c < 15 via b
    ],
)
def test_fastest_path_by_expected_time(b_mean: str, sea_load: str, via: str) -> None:
    route = build_network(load(diamond(b_mean, sea_load))).routes["f"]
    assert route.nodes[1] == via


def test_named_path_overrides_the_fastest() -> None:
    raw = diamond("5h", "9h")
    raw["demand"]["flows"]["f"]["path"] = ["a", "c", "d"]
    assert build_network(load(raw)).routes["f"].segments == ("ac", "cd")
