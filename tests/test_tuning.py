"""Tuning tools against truths worked out by hand or from queueing theory, on small scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import scenario_dict

from corridor_sim.cli import main
from corridor_sim.loader import load_scenario
from corridor_sim.tuning.calibrate import calibrate, make_bound, parse_target, write_calibration
from corridor_sim.tuning.capacity import capacity, migration, resources
from corridor_sim.tuning.evaluate import Study
from corridor_sim.tuning.interventions import ALL_TOGETHER, rank
from corridor_sim.tuning.params import parse_range
from corridor_sim.tuning.sensitivity import sensitivity
from corridor_sim.tuning.sweep import sweep

TRAIN = 10  # containers per train (20 TEU)


def ferry_corridor() -> dict:
    """One train of 10 containers a day onto a ferry of 20 containers with a 60 h round trip (load 0).

    One vessel carries 20 per 60 h = 8 a day < 10 offered: the yard grows. Two carry 16 a day; three 24.
    """
    nodes = {"o": {"role": "port"}, "z": {"role": "port"}}
    segments = {
        "oz": {
            "from": "o",
            "to": "z",
            "mode": "ferry",
            "vessels": [{"capacity_teu": 40, "count": 1}],
            "crossing_time": "30h",
            "departure": {"rule": "when_full", "max_wait": "12h"},
        }
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
    return scenario_dict(nodes, segments, flows, duration="60d", warmup="10d", cooldown="20d")


def border_corridor() -> dict:
    """o → b → z: Poisson trains (one per 25 h) queue at a single-server border with exponential 20 h service
    (M/M/1, ρ = 0.8: mean time in system 1 / (1/20 − 1/25) = 100 h), then 48 h of rail after it."""
    nodes = {
        "o": {"role": "terminal"},
        "b": {"role": "border", "handling": {"servers": 1, "time": {"dist": "exponential", "mean": "20h"}}},
        "z": {"role": "terminal"},
    }
    segments = {
        "ob": {"from": "o", "to": "b", "travel_time": "24h"},
        "bz": {"from": "b", "to": "z", "travel_time": "48h"},
    }
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 168 / 25, "containers_per_train": TRAIN}}
    raw = scenario_dict(nodes, segments, flows, duration="300d", warmup="30d", cooldown="60d", replications=2)
    raw["interventions"] = {
        "faster_rail": {
            "description": "bz 10% faster",
            "cost": 10,
            "cost_unit": "MUSD",
            "set": {"network.segments.bz.travel_time": "43.2h"},
        },
        "second_lane": {
            "description": "a second border lane",
            "cost": 5,
            "cost_unit": "MUSD",
            "set": {"network.nodes.b.handling.servers": 2},
        },
    }
    return raw


def line_corridor() -> dict:
    """o → z: a train every 24 h at ×1 through one handling server (20 h, fixed) onto a line of 1.4 trains/day.

    At ×1.5 trains come every 16 h: the server (1.2 trains/day) saturates first, ρ = 1.25. With a second server
    1.5 trains/day reach the line, whose headway allows 1.4: the line binds next.
    """
    nodes = {"o": {"role": "terminal", "handling": {"servers": 1, "time": "20h"}}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "travel_time": "24h", "trains_per_day": 1.4}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": TRAIN,
        }
    }
    # hourly samples: daily ones would see the server at the same phase of its 24 h cycle every time
    raw = scenario_dict(nodes, segments, flows, duration="120d", warmup="10d", cooldown="10d", monitor_interval="1h")
    raw["interventions"] = {"second_server": {"set": {"network.nodes.o.handling.servers": 2}}}
    return raw


def study(write_yaml, raw: dict, **kw) -> Study:
    return Study.load(write_yaml(raw), **kw)


def test_sweep_more_vessels_shortens_the_yard_wait(write_yaml) -> None:
    table = sweep(study(write_yaml, ferry_corridor()), [("network.segments.oz.vessels.0.count", [1, 2, 3])])
    mean = table["mean_days"].to_numpy()
    assert mean[0] > mean[1] >= mean[2]
    assert table["throughput_teu_per_day"].iloc[1] == pytest.approx(10 * 2, rel=0.02)  # two vessels carry it all
    # With two or more vessels nothing waits for a vessel: every container crosses within a day and a half.
    assert mean[2] <= 30 / 24 + 12 / 24 + 1e-9


def test_sweep_refuses_an_unknown_key_by_name(write_yaml) -> None:
    from corridor_sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="network.segments.oz.vesels"):
        sweep(study(write_yaml, ferry_corridor()), [("network.segments.oz.vesels.0.count", [1])])


def test_sensitivity_ranks_the_congested_border_first(write_yaml) -> None:
    table = sensitivity(study(write_yaml, border_corridor()), None, 0.2)
    assert table["parameter"].iloc[0].startswith("network.nodes.b.handling")
    # The rail after the border is pure delay: ±20% of 48 h moves every container by exactly 9.6 h (common random
    # numbers leave the border queue as it was).
    rail = table.set_index("parameter").loc["network.segments.bz.travel_time"]
    assert rail["dp50_low"] == pytest.approx(-0.4) and rail["dp50_high"] == pytest.approx(0.4)
    assert rail["dp90_high"] == pytest.approx(0.4)


def test_interventions_rank_by_days_saved(write_yaml) -> None:
    table = rank(study(write_yaml, border_corridor())).set_index("intervention")
    assert set(table.index[1:3]) == {"second_lane", ALL_TOGETHER} and table.index[-1] == "faster_rail"
    assert table.loc["faster_rail", "saved_p50_days"] == pytest.approx(0.2)  # 4.8 h less rail, queue untouched
    assert table.loc["faster_rail", "saved_p50_days_per_cost"] == pytest.approx(0.02)
    # M/M/1 at ρ = 0.8 holds a train 100 h on average; with two servers (M/M/2) 1/(1/20) + Wq ≈ 21.9 h.
    saved = table.loc["(base)", "mean_days"] - table.loc["second_lane", "mean_days"]
    assert 2.0 < saved < 4.5
    assert table.loc[ALL_TOGETHER, "cost"] == 15


@pytest.mark.parametrize("goals", [["p50=3d"], ["p50=3d", "p90=3d"]])  # bracketing search; Powell on the loss
def test_calibrate_recovers_a_travel_time_and_writes_a_valid_child(write_yaml, tmp_path: Path, goals) -> None:
    raw = line_corridor()  # at ×1 nothing queues: transit = 20 h handling + travel time, for every container
    s = study(write_yaml, raw, sets=["simulation.monitor_interval=1d"])
    key, lo, hi = parse_range("network.segments.oz.travel_time=10h..100h")
    targets = [parse_target(g) for g in goals]  # so the travel time must be 52 h
    result = calibrate(s, [make_bound(s, key, lo, hi)], targets, grid_points=5, max_evals=25)
    best = result.best
    assert float(best[key].rstrip("h")) == pytest.approx(52, rel=0.01)
    assert abs(best["residual_p50_days"]) < 0.02 and len(result.evaluations) <= 25
    out, path = write_calibration(tmp_path / "cal", s, result, [])
    child = yaml.safe_load(path.read_text())
    assert child["extends"] == "../scenario.yaml"
    calibrated = load_scenario(path)
    assert calibrated.network.segments["oz"].travel_time.value == pytest.approx(float(best[key].rstrip("h")))
    assert calibrated.network.nodes["o"].handling.time.value == 20  # everything else inherited


def test_capacity_flags_saturation_and_the_bottleneck_migrates(write_yaml) -> None:
    curve, res = capacity(study(write_yaml, line_corridor()), [1.0, 1.5], None)
    base = curve[curve["stage"].eq("base")].set_index("demand_multiplier")
    assert not base.loc[1.0, "saturated"] and base.loc[1.5, "saturated"]
    assert base.loc[1.5, "binding"] == "o" and base.loc[1.5, "saturated_resources"] == "o"
    # Saturated, the server carries one train per 20 h: 1.2 trains = 24 TEU a day, whatever is offered.
    assert base.loc[1.5, "carried_teu_per_day"] == pytest.approx(24, rel=0.03)
    assert base.loc[1.0, "binding_utilisation"] == pytest.approx(20 / 24, rel=0.02)
    after = curve[curve["stage"].eq("+second_server")].set_index("demand_multiplier")
    assert after.loc[1.5, "saturated"] and after.loc[1.5, "binding"] == "oz"
    assert migration(curve) == [
        "base: saturates at ×1.5 (30 TEU/day offered); binds: o",
        "+second_server: saturates at ×1.5 (30 TEU/day offered); binds: oz",
    ]
    assert after.loc[1.5, "carried_teu_per_day"] == pytest.approx(1.4 * 2 * TRAIN, rel=0.03)
    line = res[(res["stage"].eq("+second_server")) & (res["demand_multiplier"].eq(1.5)) & res["resource"].eq("oz")]
    assert line["utilisation"].iloc[0] == pytest.approx(1.5 / 1.4, rel=0.03)  # offered load ρ = λ · headway


def test_resources_of_an_unsaturated_ferry(write_yaml) -> None:
    s = study(write_yaml, ferry_corridor(), sets=["network.segments.oz.vessels.0.count=2"])
    row = s.evaluate([s.base], lambda sc, t: resources(sc, t, s.replications))[0].set_index("resource").loc["oz"]
    # 10 containers a day at 20 per 60 h round trip per vessel: the two vessels are busy 10/16 of the time, so
    # between 0.5 and 1 (when_full holds a vessel loading while cargo trickles in), and no queue grows.
    assert 0.5 < row["utilisation"] < 1 and abs(row["queue_growth_containers"]) < TRAIN


def test_resources_of_a_timetabled_ferry_is_its_load_factor(write_yaml) -> None:
    raw = ferry_corridor()  # a daily train of 10 containers, a daily sailing of 20 places: half full
    raw["network"]["segments"]["oz"].update(
        vessels=[{"capacity_teu": 40, "count": 3}], departure={"rule": "timetable", "every": "24h", "offset": "12h"}
    )
    s = study(write_yaml, raw)
    row = s.evaluate([s.base], lambda sc, t: resources(sc, t, s.replications))[0].set_index("resource").loc["oz"]
    assert row["utilisation"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "command, extra, made",
    [
        ("sweep", ["--param", "network.segments.oz.vessels.0.count=1,2"], ["sweep.csv", "sweep.png"]),
        (
            "sensitivity",
            ["--params", "network.segments.oz.crossing_time", "--delta", "10%"],
            ["sensitivity.csv", "tornado.png"],
        ),
        (
            "calibrate",
            [
                "--target",
                "p50=1.5d",  # 1.62 d at 40 h of crossing: inside the tolerance
                "--param",
                "network.segments.oz.crossing_time=10h..40h",
                "--grid",
                "3",
                "--max-evals",
                "4",
                "--tolerance",
                "20%",
            ],
            ["calibration.csv", "calibration.png", "scenario.calibrated.yaml"],
        ),
        ("interventions", [], ["interventions.csv", "interventions.png"]),
        (
            "capacity",
            ["--demand", "0.5,1", "--interventions", "none"],
            ["capacity.csv", "resources.csv", "capacity.png"],
        ),
    ],
)
def test_cli_writes_a_new_results_directory(write_yaml, tmp_path: Path, capsys, command, extra, made) -> None:
    raw = ferry_corridor()
    raw["simulation"].update(duration="20d", warmup="2d", cooldown="5d")
    raw["network"]["segments"]["oz"]["vessels"][0]["count"] = 2
    raw["interventions"] = {"third": {"set": {"network.segments.oz.vessels.0.count": 3}}}
    path = write_yaml(raw)
    out = tmp_path / command
    args = [command, str(path), *extra, "--out", str(out), "--quiet", "--replications", "1", "--no-cache"]
    assert main(args) == 0
    assert all((out / name).exists() for name in [*made, "study.json", "scenario.resolved.yaml"])
    assert main(args) == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, extra",
    [
        ("sweep", ["--param", "network.segments.oz.vessel.0.count=1,2"]),
        ("sensitivity", ["--params", "network.segments.oz.vessel.0.count"]),
        ("calibrate", ["--target", "p50=2d", "--param", "network.segments.oz.vessel.0.count=1..3"]),
        ("run", ["--set", "network.segments.oz.vessel.0.count=2"]),
    ],
)
def test_cli_names_an_unknown_key_path(write_yaml, tmp_path: Path, capsys, command, extra) -> None:
    path = write_yaml(ferry_corridor())
    assert main([command, str(path), *extra, "--out", str(tmp_path / "x"), "--quiet", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert "network.segments.oz.vessel" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_common_random_numbers_make_equal_points_equal(write_yaml) -> None:
    table = sweep(study(write_yaml, border_corridor()), [("network.nodes.b.handling.servers", [1, 1])])
    assert np.array_equal(table.iloc[0, 1:].to_numpy(float), table.iloc[1, 1:].to_numpy(float))
