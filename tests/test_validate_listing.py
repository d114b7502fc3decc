"""`validate` lists every section of the file in the file's own units, numbers rounded."""

from __future__ import annotations

from conftest import scenario_dict

from corridor_sim.cli import main


def test_validate_lists_every_section_in_the_files_units(write_yaml, capsys) -> None:
    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 1, "time": {"value": "2.5d", "source": "S1"}}},
        "z": {"role": "terminal"},
    }
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "62h", "trains_per_day": 0.6666666666666666}}
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "containers_per_train": 10}}
    raw = scenario_dict(nodes, segments, flows)
    raw["sources"] = {"S1": {"title": "a source"}}
    raw["network"]["rolling_stock"] = {"pool": {"segments": ["oz"], "sets": 3, "return_time": "1.5d"}}
    raw["disruptions"] = {"storms": {"target": "oz", "every": {"dist": "exponential", "mean": "10d"}, "duration": "2d"}}
    raw["published"] = [{"destination": "z", "low": "3d", "high": "4d", "label": "band"}]
    assert main(["validate", str(write_yaml(raw))]) == 0
    out = capsys.readouterr().out
    for heading in ("nodes (2)", "segments (1)", "rolling stock (1)", "demand flows (1)", "disruptions (1)"):
        assert heading in out
    assert "published bands (1)" in out and "low 3d, high 4d" in out
    assert "time 2.5d" in out and "return_time 1.5d" in out and "travel_time 62h" in out  # as the file writes them
    assert "trains_per_day 0.6667" in out and "0.6666666" not in out  # rounded
    assert "exponential(mean 10d)" in out and "routes (1):" in out and "f: o → z" in out
