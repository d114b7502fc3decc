"""`calibrate` tells the truth: `--max-evals` is a hard cap, an unreachable target says so (exit 3, `reached: false`),
and a search that cannot run is refused before anything is simulated."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import scenario_dict

from corridor_sim.cli import main
from corridor_sim.tuning.calibrate import calibrate, make_bound, parse_target
from corridor_sim.tuning.evaluate import Study
from corridor_sim.tuning.params import parse_range


def line() -> dict:
    """o → z, a train of 10 every 24 h, handling 20 h (fixed) then travel: nothing queues, so every container takes
    20 h + travel time, and p50 = p90 = that."""
    nodes = {"o": {"role": "terminal", "handling": {"servers": 1, "time": "20h"}}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "24h", "trains_per_day": 2}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 10,
        }
    }
    return scenario_dict(nodes, segments, flows, duration="20d", warmup="2d", cooldown="5d")


def test_max_evals_is_a_hard_cap_for_the_powell_refinement(write_yaml) -> None:
    """Two parameters, two targets: a 3 × 3 grid (9) then Powell, which alone would take more than the 3 left."""
    s = Study.load(write_yaml(line()))
    bounds = [
        make_bound(s, *parse_range("network.segments.oz.travel_time=10h..100h")),
        make_bound(s, *parse_range("network.nodes.o.handling.time=5h..40h")),
    ]
    targets = [parse_target("p50=3d"), parse_target("p90=3.1d")]
    free = calibrate(s, bounds, targets, grid_points=3, max_evals=60)
    assert len(free.evaluations) > 12  # the search wants more than the cap below
    capped = calibrate(s, bounds, targets, grid_points=3, max_evals=12)
    assert 9 < len(capped.evaluations) <= 12
    stopped = free.table.head(len(capped.evaluations))
    pd.testing.assert_frame_equal(capped.table, stopped)  # the same search, stopped


def test_max_evals_is_a_hard_cap_for_the_bracketing_search(write_yaml) -> None:
    s = Study.load(write_yaml(line()))
    bounds = [make_bound(s, *parse_range("network.segments.oz.travel_time=10h..100h"))]
    result = calibrate(s, bounds, [parse_target("p50=2.3d")], grid_points=4, max_evals=5)
    assert len(result.evaluations) == 5  # 4 grid points and one step of the bracketing search, no more


def test_a_reachable_target_is_reached(write_yaml) -> None:
    """p50 = 3 d = 72 h needs a travel time of 52 h, inside 10..100 h."""
    s = Study.load(write_yaml(line()))
    bounds = [make_bound(s, *parse_range("network.segments.oz.travel_time=10h..100h"))]
    result = calibrate(s, bounds, [parse_target("p50=3d")], grid_points=5, max_evals=25)
    assert result.reached and abs(result.best["residual_p50_days"]) <= 0.02 * 3


def test_an_unreachable_target_exits_3_and_says_so(write_yaml, tmp_path: Path, capsys) -> None:
    """p50 = 1 d needs 4 h of travel (20 h handling), below the range's 10 h: the best is the range's low end, at
    p50 = 30 h = 1.25 d, and it is not called calibrated."""
    path = write_yaml(line())
    out = tmp_path / "cal"
    args = ["calibrate", str(path), "--target", "p50=1d", "--param", "network.segments.oz.travel_time=10h..100h"]
    code = main([*args, "--grid", "3", "--max-evals", "6", "--out", str(out), "--quiet", "--no-cache"])
    assert code == 3
    err = capsys.readouterr().err
    assert "target not reached" in err and "p50 1.25 d against 1 d" in err
    assert "network.segments.oz.travel_time" in err  # pinned at its range's limit: widen it
    study = json.loads((out / "study.json").read_text())
    assert study["reached"] is False and study["best"]["network.segments.oz.travel_time"] == "10h"
    assert "NOT calibrated" in (out / "scenario.calibrated.yaml").read_text()


@pytest.mark.parametrize(
    "extra, flag",
    [
        (["--max-evals", "-1"], "--max-evals"),
        (["--max-evals", "0"], "--max-evals"),
        (["--grid", "0"], "--grid"),
        (["--grid", "1"], "--grid"),
        (["--grid", "5", "--max-evals", "4"], "--max-evals"),  # the grid alone needs 5
        (["--tolerance", "0"], "--tolerance"),
        # two parameters at --grid 5 make a 4 x 4 grid: 16 evaluations, more than 12 (it used to run all 16)
        (["--param", "network.nodes.o.handling.time=5h..40h", "--grid", "5", "--max-evals", "12"], "16 evaluations"),
    ],
)
def test_a_search_that_cannot_run_is_refused(write_yaml, tmp_path: Path, capsys, extra, flag) -> None:
    path = write_yaml(line())
    out = tmp_path / "cal"
    args = ["calibrate", str(path), "--target", "p50=3d", "--param", "network.segments.oz.travel_time=10h..100h"]
    assert main([*args, *extra, "--out", str(out), "--quiet", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and len(err.splitlines()) == 1
    assert not out.exists()
