"""Ranges on estimates: read beside the figure, checked against it and the schema, listed by `validate`."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import scenario_dict

from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import extract_provenance, validate
from corridor_sim.ranges import ranged, unranged_estimates
from corridor_sim.tuning.evaluate import Study


def tiny() -> dict:
    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 2, "time": "2h"}},
        "z": {"role": "terminal"},
    }
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "10h", "trains_per_day": 4}}
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "arrivals": "timetable"}}
    return scenario_dict(nodes, segments, flows, duration="10d", cooldown="2d")


def with_(path: list, value) -> dict:
    raw = tiny()
    node = raw
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return raw


def test_a_range_is_read_with_its_value_and_unit() -> None:
    raw = with_(["network", "segments", "oz", "travel_time"], {"value": "10h", "estimate": True, "range": ["6h", "1d"]})
    scenario = validate(raw)
    (r,) = ranged(extract_provenance(raw)[0], scenario.provenance)
    assert r.key == "network.segments.oz.travel_time"
    assert (r.value, r.low, r.high, r.unit, r.whole) == (10, 6, 24, "h", False)
    assert r.at(0) == "6h" and r.at(1) == "24h" and r.at(0.5) == "15h"


def test_a_count_is_sampled_as_whole_numbers_each_equally() -> None:
    raw = with_(["network", "nodes", "o", "handling", "servers"], {"value": 2, "estimate": True, "range": [1, 3]})
    (r,) = ranged(extract_provenance(raw)[0], validate(raw).provenance)
    assert r.whole and [r.at(u) for u in (0, 0.32, 0.34, 0.66, 0.67, 1)] == [1, 1, 2, 2, 3, 3]


def test_a_range_on_a_distribution_is_of_its_expected_value() -> None:
    dist = {"dist": "uniform", "low": "1h", "high": "3h", "estimate": True, "range": ["1h", "4h"]}
    raw = with_(["network", "nodes", "o", "handling", "time"], dist)
    (r,) = ranged(extract_provenance(raw)[0], validate(raw).provenance)
    assert (r.value, r.low, r.high) == (2, 1, 4)


def test_adding_a_range_changes_no_value() -> None:
    raw = tiny()
    ranged_raw = with_(["network", "segments", "oz", "travel_time"], {"value": "10h", "range": ["6h", "12h"]})
    assert validate(ranged_raw).network == validate(copy.deepcopy(raw)).network


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"value": "10h", "range": ["12h", "20h"]}, "low <= value <= high"),
        ({"value": "10h", "range": ["6h", "8h"]}, "low <= value <= high"),
        ({"value": "10h", "range": ["6km", "12h"]}, "low end '6km' is not a duration"),
        ({"value": "10h", "range": [6, "12h"]}, "low end 6 is not a duration"),
        ({"value": "10h", "range": ["6h"]}, "must be [low, high]"),
        ({"value": "10h", "range": "6h..12h"}, "must be [low, high]"),
        ({"value": "10h", "range": ["-1h", "12h"]}, "out of bounds"),
    ],
)
def test_a_bad_range_is_one_line_naming_its_key(value: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        validate(with_(["network", "segments", "oz", "travel_time"], value), "f.yaml")
    assert err.value.key == "network.segments.oz.travel_time.range"
    assert message in err.value.message and "\n" not in str(err.value)


def test_a_count_needs_whole_ends_and_the_schema_holds_at_each_end() -> None:
    servers = ["network", "nodes", "o", "handling", "servers"]
    with pytest.raises(ScenarioError, match="whole number"):
        validate(with_(servers, {"value": 2, "range": [1.5, 3]}))
    with pytest.raises(ScenarioError) as err:
        validate(with_(servers, {"value": 2, "range": [0, 3]}))
    assert err.value.key == "network.nodes.o.handling.servers" and "low end" in err.value.message


def test_a_range_on_a_mapping_is_refused() -> None:
    raw = with_(["network", "nodes", "o", "handling"], {"servers": 2, "time": "2h", "range": ["1h", "3h"]})
    with pytest.raises(ScenarioError, match="needs a number, quantity or distribution"):
        validate(raw)


def test_estimates_without_a_range_are_listed_below_a_mapping_too() -> None:
    raw = tiny()
    raw["network"]["nodes"]["o"]["handling"] = {"servers": {"value": 2, "estimate": True}, "time": "2h"}
    raw["network"]["segments"]["oz"]["travel_time"] = {"value": "10h", "estimate": True, "range": ["6h", "12h"]}
    raw["network"]["nodes"]["o"]["lat"] = {"value": 40.0, "estimate": True}
    prov = validate(raw).provenance
    assert unranged_estimates(raw, prov) == ["network.nodes.o.handling.servers"]


def test_validate_lists_ranges_and_the_estimates_without(capsys: pytest.CaptureFixture) -> None:
    """The ranges in the file's units, the base file's with them, then the estimates without one: none left in 2022
    (its monthly profile, a list, has a range of its amplitude); the listing itself is checked below a mapping."""
    assert main(["validate", "scenarios/baseline_2022.yaml"]) == 0
    out = capsys.readouterr().out
    ranges = out.split("\nranges (", 1)[1].split("\nestimates without a range", 1)[0]
    assert "\nestimates without a range: none (map positions not counted)" in out
    assert "  network.segments.aktau_alat.return_time: 7.533d in [6d, 9.5d]" in ranges  # the 2022 calibrated knob
    assert "  network.nodes.dostyk.handling.servers: 4 in [3, 6]" in ranges  # from the base file
    assert "  demand.flows.kz_exports.monthly_factor: 1 in [0.5, 1.5] (amplitude of the list)" in ranges


def test_a_list_s_range_is_of_its_amplitude_around_its_mean(tmp_path) -> None:
    """One range for a monthly profile: 0 flat at its mean, 1 as written, 2 twice as deep; the year's volume kept."""
    key = ["demand", "flows", "f", "monthly_factor"]
    raw = with_(key, {"value": [0.5, 1.5] * 6, "estimate": True, "range": [0, 2]})
    (r,) = ranged(extract_provenance(raw)[0], validate(copy.deepcopy(raw)).provenance)
    assert (r.value, r.low, r.high) == (1, 0, 2)
    assert r.at(0) == [1.0] * 12 and r.at(0.5) == [0.5, 1.5] * 6 and r.at(1) == [0.0, 2.0] * 6
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    study = Study.load(path)  # a study sets the list as it sets any figure
    assert study.variant({r.key: r.at(0.75)}).demand.flows["f"].monthly_factor == [0.25, 1.75] * 6


@pytest.mark.parametrize(
    ("ends", "message"),
    [([1.2, 2], "0 <= low <= 1 <= high"), (["0.5", 1.5], "amplitude"), ([0, 3], "at its high end")],
)
def test_a_bad_list_range_is_refused_naming_its_key(ends: list, message: str) -> None:
    raw = with_(["demand", "flows", "f", "monthly_factor"], {"value": [0.5, 1.5] * 6, "range": ends})
    with pytest.raises(ScenarioError, match=message) as info:
        validate(raw)
    assert "monthly_factor" in str(info.value)
