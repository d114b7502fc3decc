"""Scenario files: `extends` inheritance, `--set` overrides, unknown keys, provenance, and the resolved round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import scenario_dict

from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario, resolved_dict, scenario_hash

BASE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "base" / "middle_corridor.yaml"


def parent() -> dict:
    nodes = {
        "a": {"role": "terminal", "handling": {"servers": 1, "time": {"dist": "lognormal", "mean": "6h", "cv": 0.5}}},
        "p": {"role": "port", "berths": 1},
        "q": {"role": "port"},
    }
    segments = {
        "ap": {"from": "a", "to": "p", "distance": "800km", "speed": "800km/d", "trains_per_day": 6},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 200, "count": 2}],
            "crossing_time": {"dist": "uniform", "low": "18h", "high": "30h"},
        },
    }
    flows = {"f": {"origin": "a", "destination": "q", "teu_per_year": 10000}}
    raw = scenario_dict(nodes, segments, flows, name="parent", duration="100d", warmup="10d", seed=5)
    raw["disruptions"] = {"storm": {"target": "pq", "every": "20d", "duration": "2d"}}
    return raw


def test_extends_deep_merges_child_over_parent(write_yaml) -> None:
    write_yaml(parent(), "parent.yaml")
    (Path(write_yaml("", "x")).parent / "sub").mkdir()
    child = write_yaml(
        {
            "extends": "../parent.yaml",  # relative to the child file
            "simulation": {"seed": 9},
            "network": {
                "nodes": {"a": {"handling": {"servers": 3}}},
                "segments": {"pq": {"crossing_time": {"dist": "fixed", "value": "20h"}}},
            },
            "disruptions": {"storm": None},  # null deletes an inherited key
        },
        "sub/child.yaml",
    )
    s = load_scenario(child)
    assert s.simulation.seed == 9 and s.simulation.duration == 2400  # merged, not replaced
    assert s.network.nodes["a"].handling.servers == 3
    assert s.network.nodes["a"].handling.time.dist == "lognormal"  # sibling keys of the override survive
    assert s.network.segments["pq"].crossing_time.dist == "fixed"  # a distribution is replaced whole
    assert s.network.segments["pq"].crossing_time.low is None
    assert s.disruptions == {}
    assert s.name == "parent"  # inherited like any other key


def test_extends_chains_and_cycles(write_yaml) -> None:
    write_yaml(parent(), "grand.yaml")
    write_yaml({"extends": "grand.yaml", "simulation": {"seed": 2}}, "mid.yaml")
    leaf = write_yaml({"extends": "mid.yaml", "simulation": {"replications": 4}}, "leaf.yaml")
    s = load_scenario(leaf)
    assert (s.simulation.seed, s.simulation.replications, s.simulation.warmup) == (2, 4, 240)

    write_yaml({"extends": "b.yaml", "name": "a"}, "a.yaml")
    write_yaml({"extends": "a.yaml"}, "b.yaml")
    with pytest.raises(ScenarioError, match="cycle: a.yaml -> b.yaml -> a.yaml") as err:
        load_scenario(leaf.parent / "a.yaml")
    assert err.value.key == "extends"
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(write_yaml({"extends": "self.yaml"}, "self.yaml"))
    with pytest.raises(ScenarioError, match="not found") as err:
        load_scenario(write_yaml({"extends": "missing.yaml"}, "orphan.yaml"))
    assert err.value.key == "extends"


def test_set_overrides_are_typed_and_validated(write_yaml) -> None:
    path = write_yaml(parent())
    s = load_scenario(
        path,
        [
            "simulation.seed=7",
            "simulation.duration=50d",
            "network.nodes.a.handling.servers=4",
            "network.segments.ap.speed={dist: uniform, low: 600km/d, high: 900km/d}",
            "network.nodes.p.berths=2",
            "network.segments.pq.vessels.0.count=3",
        ],
    )
    assert s.simulation.seed == 7 and isinstance(s.simulation.seed, int)
    assert s.simulation.duration == 1200
    assert s.network.nodes["a"].handling.servers == 4
    assert (s.network.segments["ap"].speed.low, s.network.segments["ap"].speed.high) == (25, 37.5)
    assert s.network.nodes["p"].berths == 2
    assert s.network.segments["pq"].vessels[0].count == 3
    assert "set on the command line" in s.provenance["simulation.seed"].note


@pytest.mark.parametrize(
    ("item", "key", "message"),
    [
        ("simulation.duration=100", "simulation.duration", "needs a unit"),
        ("network.nodes.a.handling.servers=zero", "network.nodes.a.handling.servers", "integer"),
        ("network.nodes.a.handling.servers=0", "network.nodes.a.handling.servers", "greater than or equal to 1"),
        ("simulation.sed=3", "simulation.sed", "did you mean 'seed'"),
        ("network.nodez.a.role=port", "network.nodez", "did you mean 'nodes'"),
        ("network.segments.pq.vessels.5.count=3", "network.segments.pq.vessels.5", "out of range"),
        ("simulation.seed", "", "key.path=value"),
    ],
)
def test_bad_set_names_the_key(write_yaml, item: str, key: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(write_yaml(parent()), [item])
    assert err.value.key == key
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("where", "typo", "hint"),
    [
        ((), "simulaton", "simulation"),
        (("network", "nodes", "a"), "servrs", "servers"),
        (("demand", "flows", "f"), "destinaton", "destination"),
    ],
)
def test_unknown_key_with_did_you_mean(write_yaml, where: tuple[str, ...], typo: str, hint: str) -> None:
    raw = parent()
    node = raw
    for part in where:
        node = node[part]
    node[typo] = 1
    path = write_yaml(raw)
    key = ".".join((*where, typo))
    with pytest.raises(ScenarioError, match=f"unknown key \\(did you mean '{hint}'\\?\\)") as err:
        load_scenario(path)
    assert err.value.key == key
    assert str(err.value).startswith(f"{path}: {key}: unknown key")


def with_provenance() -> dict:
    raw = parent()
    raw["sources"] = {"S1": {"title": "Middle Corridor study", "publisher": "World Bank", "year": 2023}}
    seg = raw["network"]["segments"]["ap"]
    seg["distance"] = {"value": "836km", "source": "S1"}
    raw["network"]["nodes"]["a"]["handling"]["estimate"] = True
    raw["network"]["segments"]["pq"]["crossing_time"] = {
        "dist": "uniform",
        "low": "18h",
        "high": "30h",
        "source": {"title": "Port notice", "year": 2024},
    }
    return raw


def test_provenance_is_lifted_out_of_the_data_and_kept(write_yaml) -> None:
    s = load_scenario(write_yaml(with_provenance()))
    assert s.network.segments["ap"].distance == 836
    prov = s.provenance
    assert prov["network.segments.ap.distance"].source == "S1"
    assert prov["network.nodes.a.handling"].estimate is True
    assert prov["network.segments.pq.crossing_time"].source.title == "Port notice"
    assert s.network.segments["pq"].crossing_time.high == 30  # the distribution itself is untouched
    resolved = resolved_dict(s)
    assert resolved["provenance"]["network.segments.ap.distance"]["source"] == "S1"
    assert resolved["sources"]["S1"]["publisher"] == "World Bank"


def test_provenance_naming_an_unlisted_source_is_refused(write_yaml) -> None:
    raw = with_provenance()
    raw["network"]["segments"]["ap"]["distance"]["source"] = "S9"
    with pytest.raises(ScenarioError, match="'S9' is not listed") as err:
        load_scenario(write_yaml(raw))
    assert err.value.key == "network.segments.ap.distance.source"


@pytest.mark.parametrize("source", ["provenance", "base"])
def test_resolved_scenario_reloads_to_the_same_model_and_hash(write_yaml, source: str) -> None:
    """The resolved scenario written beside each run is the whole model: reading it back changes nothing."""
    if source == "base":
        first = load_scenario(BASE_SCENARIO)
    else:
        first = load_scenario(
            write_yaml(with_provenance(), "original.yaml"),
            ["network.segments.ap.speed={dist: normal, mean: 700km/d, sd: 90km/d}"],
        )
    again = load_scenario(write_yaml(yaml.safe_dump(resolved_dict(first), sort_keys=False), "resolved.yaml"))
    assert again == first
    assert scenario_hash(again) == scenario_hash(first)
    assert resolved_dict(again) == resolved_dict(first)
    third = load_scenario(write_yaml(yaml.safe_dump(resolved_dict(again)), "resolved2.yaml"))
    assert third == first


def test_hash_tracks_the_model() -> None:
    from conftest import load

    a, b = load(parent()), load(parent())
    assert scenario_hash(a) == scenario_hash(b)
    raw = parent()
    raw["simulation"]["seed"] = 6
    assert scenario_hash(load(raw)) != scenario_hash(a)
    raw = parent()
    raw["simulation"]["replications"] = 9
    assert scenario_hash(load(raw), exclude_runs=True) == scenario_hash(a, exclude_runs=True)
    assert scenario_hash(load(raw)) != scenario_hash(a)
