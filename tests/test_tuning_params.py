"""Key paths and perturbations of raw scenario values: units kept, distribution shapes kept, whole numbers whole."""

from __future__ import annotations

import pytest

from corridor_sim.errors import ScenarioError
from corridor_sim.tuning.params import (
    expected,
    get_value,
    numeric_parameters,
    parse_factor,
    parse_quantity,
    parse_range,
    parse_values,
    scale,
    set_to,
)


def test_scale_keeps_units_and_whole_numbers() -> None:
    assert scale("36h", 1.2) == "43.2h"
    assert scale("2.5d", 0.8) == "2d"
    assert scale("800km/d", 1.25) == "1000km/d"
    assert scale(3, 1.2) == 4 and scale(1, 0.8) == 1  # servers stay whole and at least one
    assert scale(0.9, 0.5) == pytest.approx(0.45)
    assert scale({"value": "836km", "source": "S40"}, 2) == "1672km"  # the provenance no longer applies


def test_scaled_distribution_keeps_its_shape() -> None:
    d = {"dist": "lognormal", "mean": "60h", "cv": 0.5}
    assert scale(d, 0.5) == {"dist": "lognormal", "mean": "30h", "cv": 0.5}
    tri = {"dist": "triangular", "low": "1d", "mode": "36h", "high": "3d"}
    assert expected(scale(tri, 2)).number == pytest.approx(2 * expected(tri).number)


def test_set_to_a_quantity_rescales_a_distribution_to_that_expected_value() -> None:
    uniform = {"dist": "uniform", "low": "500km/d", "high": "900km/d"}  # expected 700 km/d
    new = set_to(uniform, "350km/d")
    assert parse_quantity(new["low"]).canonical == pytest.approx(250 / 24)
    assert expected(new).number == pytest.approx(350 / 24)  # km/h
    sourced = {"dist": "triangular", "low": "1d", "mode": "1.6d", "high": "2.5d", "source": "S54", "note": "derived"}
    assert set_to(sourced, "3d") == {"dist": "triangular", "low": "1.76471d", "mode": "2.82353d", "high": "4.41176d"}
    assert set_to("36h", "40h") == "40h"
    with pytest.raises(ScenarioError, match="speed"):
        set_to(uniform, "3h")


def test_get_value_names_the_missing_key() -> None:
    raw = {"network": {"nodes": {"a": {"handling": {"servers": 2, "time": "3h"}}}}}
    assert get_value(raw, "network.nodes.a.handling.servers") == 2
    assert get_value(raw, "network.nodes.a.berths") is None  # optional field: absent but settable
    with pytest.raises(ScenarioError) as err:
        get_value(raw, "network.nodes.b.handling.time")
    assert err.value.key == "network.nodes.b"


def test_parsing_cli_specs() -> None:
    assert parse_values("a.b=1,2h,{dist: fixed, value: 3h}") == ("a.b", [1, "2h", {"dist": "fixed", "value": "3h"}])
    key, lo, hi = parse_range("x.y=12h..72h")
    assert (key, lo.number, hi.number, lo.unit) == ("x.y", 12, 72, "h")
    for bad in ("x.y=12h..3d", "x.y=5..2", "x.y=12h", "=1..2"):
        with pytest.raises(ScenarioError):
            parse_range(bad)
    assert parse_factor("20%", "--delta") == pytest.approx(0.2) and parse_factor("0.1", "--delta") == 0.1
    with pytest.raises(ScenarioError):
        parse_factor("150%", "--delta")


def test_numeric_parameters_are_levers_not_geography() -> None:
    raw = {
        "network": {
            "nodes": {"a": {"lat": 43.1, "lon": 76.9, "role": "port", "handling": {"servers": 1, "time": "2h"}}},
            "segments": {
                "s": {
                    "from": "a",
                    "to": "b",
                    "distance": "800km",
                    "speed": {"dist": "uniform", "low": "1km/h", "high": "2km/h"},
                    "departure": {"rule": "timetable", "every": "24h", "offset": "6h"},
                    "vessels": [{"name": "v", "capacity_teu": 100, "count": 2}],
                }
            },
        }
    }
    assert numeric_parameters(raw) == [
        "network.nodes.a.handling.servers",
        "network.nodes.a.handling.time",
        "network.segments.s.speed",
        "network.segments.s.departure.every",
        "network.segments.s.vessels.0.capacity_teu",
        "network.segments.s.vessels.0.count",
    ]
