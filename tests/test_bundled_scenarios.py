"""The bundled scenarios load, use only the agreed section labels, and every intervention applies to its scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor_sim.loader import load_raw, load_scenario, validate
from corridor_sim.tuning.params import apply_changes

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = ["base/middle_corridor.yaml", "baseline_2022.yaml", "current_2023.yaml", "target.yaml"]
SECTIONS = {
    "China",
    "KZ border",
    "KZ rail",
    "Caspian port wait",
    "Caspian crossing",
    "Azerbaijan",
    "Georgia",
    "Black Sea / Türkiye",
    "Europe",
}


@pytest.mark.parametrize("name", FILES)
def test_bundled_scenario_loads_with_known_sections(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    net = scenario.network
    assert {n.section for n in net.nodes.values()} <= SECTIONS
    assert {s.section for s in net.segments.values()} <= SECTIONS
    for seg_id, seg in net.segments.items():  # every distance and every running or crossing time is accounted for
        for field in ("distance", "speed", "crossing_time"):
            if getattr(seg, field) is not None:
                assert f"network.segments.{seg_id}.{field}" in scenario.provenance, (seg_id, field)


@pytest.mark.parametrize("name", FILES[1:])
def test_dated_scenario_checks_china_to_poti(name: str) -> None:
    bands = load_scenario(SCENARIOS / name).published
    assert [b.destination for b in bands] == ["poti"]


def test_every_intervention_applies_to_current_2023() -> None:
    path = SCENARIOS / "current_2023.yaml"
    raw = load_raw(path)
    scenario = load_scenario(path)
    assert set(scenario.interventions) == {
        "second_track_dostyk_moyinty",
        "almaty_bypass",
        "aktau_container_hub",
        "more_vessels",
        "e_customs",
        "timetabled_sailings",
    }
    for name, package in scenario.interventions.items():
        changed = validate(apply_changes(raw, package.set, name), str(path), name="x")
        assert (changed.network, changed.demand) != (scenario.network, scenario.demand), name
