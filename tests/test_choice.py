"""Route choice: the logit against its formula, the equilibrium loop against a fixed point solved by hand, and the
loop that cannot settle.

The toy market: a single M/M/1 link (Poisson arrivals of one-TEU containers, one server, exponential service of mean
2 h, then a fixed 1-h run) against an alternative that takes a fixed 5 h whatever its volume. At a share s of a
market of 10 containers a day the link's mean transit is 1/(mu - s*Lambda) + 1 h with mu = 12/day; the generalised
cost is the value of time (24 USD per TEU-day, i.e. 1 USD per hour) times the days, and the logit share of the link is
1 / (1 + exp(scale * (c_link - c_fixed))). The fixed point of s = F(s) is found with scipy's brentq.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.optimize import brentq

from corridor_sim import choice
from corridor_sim.cli import main
from corridor_sim.market import load_market, solve

MU, MARKET, VOT = 12.0, 10.0, 24.0  # per day, containers per day, USD per TEU-day


def test_logit_shares_match_the_formula_by_hand() -> None:
    # exp(-1) = 0.367879, exp(-2) = 0.135335, exp(-1.5) = 0.223130; sum 0.726345
    shares = choice.logit_shares({"a": 100.0, "b": 200.0, "c": 150.0}, scale=0.01)
    assert shares == pytest.approx({"a": 0.50648, "b": 0.18632, "c": 0.30720}, abs=1e-5)
    # an alternative-specific constant of 50 on a makes a and c equal
    shares = choice.logit_shares({"a": 100.0, "c": 150.0}, scale=0.01, constants={"a": 50.0})
    assert shares == pytest.approx({"a": 0.5, "c": 0.5})
    # large costs times a large scale do not overflow: 1 / (1 + e^-1) = 0.731059
    assert choice.logit_shares({"a": 1e6, "b": 1e6 + 1}, scale=1.0)["a"] == pytest.approx(0.731059, abs=1e-6)
    assert choice.logit_shares({"a": 5.0, "b": math.inf}, scale=1.0) == {"a": 1.0, "b": 0.0}
    assert choice.logit_shares({"a": 5.0, "b": 9.0}, scale=0.0) == {"a": 0.5, "b": 0.5}


def test_generalised_cost_is_price_plus_time_plus_buffer() -> None:
    days = np.arange(1.0, 11.0)  # mean 5.5; p50 5.5, p90 9.1 (linear interpolation)
    cost = choice.generalised_cost(days, 1000.0, choice.CostWeights(value_of_time=100.0, reliability=10.0))
    assert cost == pytest.approx(1000 + 100 * 5.5 + 10 * (9.1 - 5.5))


def link_cost(share: float) -> float:
    """Generalised cost of the M/M/1 link at `share` of the market (USD per TEU)."""
    return VOT * (1 / (MU - share * MARKET) + 1 / 24)


def fixed_point(scale: float) -> float:
    fixed = VOT * 5 / 24
    return brentq(lambda s: s - 1 / (1 + math.exp(scale * (link_cost(s) - fixed))), 0.0, 0.99)


def test_equilibrium_of_the_formula_is_the_fixed_point() -> None:
    def evaluate(shares: dict[str, float]) -> dict[str, float]:
        return {"link": link_cost(shares["link"]), "fixed": VOT * 5 / 24}

    eq = choice.equilibrium(evaluate, {"link": 1, "fixed": 1}, scale=0.5, tolerance=1e-6, max_iterations=60)
    assert eq.shares["link"] == pytest.approx(fixed_point(0.5), abs=1e-5)
    assert eq.iterations == len(eq.history) > 1


def test_a_loop_that_jumps_between_all_and_nothing_fails_clearly() -> None:
    def evaluate(shares: dict[str, float]) -> dict[str, float]:
        return {"link": link_cost(min(shares["link"], 0.95)), "fixed": VOT * 5 / 24}

    with pytest.raises(choice.NotConverged) as err:
        choice.equilibrium(evaluate, {"link": 1, "fixed": 1}, scale=5.0, damping=0.0, max_iterations=8)
    assert "no equilibrium within 8 iterations" in str(err.value) and "\n" not in str(err.value)
    assert len(err.value.history) == 8
    # the same map settles once damped
    choice.equilibrium(evaluate, {"link": 1, "fixed": 1}, scale=5.0, damping=0.9, max_iterations=200, tolerance=1e-3)


def _scenario(name: str, handling: bool, hours: int) -> dict:
    origin: dict = {"role": "terminal"}
    if handling:
        origin["handling"] = {"servers": 1, "time": {"dist": "exponential", "mean": "2h"}}
    return {
        "name": name,
        "simulation": {
            "duration": "300d",
            "warmup": "20d",
            "cooldown": "10d",
            "seed": 3,
            "replications": 6,
            "teu_per_container": 1,
        },
        "network": {
            "nodes": {"a": origin, "b": {"role": "terminal"}},
            "segments": {"a_b": {"from": "a", "to": "b", "travel_time": f"{hours}h"}},
        },
        "demand": {
            "flows": {"f": {"origin": "a", "destination": "b", "teu_per_year": 1000, "containers_per_train": 1}}
        },
    }


def toy_market(tmp_path: Path, **options: object) -> Path:
    (tmp_path / "link.yaml").write_text(yaml.safe_dump(_scenario("link", True, 1)))
    (tmp_path / "fixed.yaml").write_text(yaml.safe_dump(_scenario("fixed", False, 5)))
    market = {
        "name": "toy",
        "teu_per_year": MARKET * 365,
        "scale": 0.5,
        "value_of_time": VOT,
        "tolerance": 0.01,
        "max_iterations": 30,
        "damping": 0.5,
        "alternatives": {
            "link": {"scenario": "link.yaml", "flows": ["f"], "price_per_teu": 0},
            "fixed": {"scenario": "fixed.yaml", "flows": ["f"], "price_per_teu": 0},
        },
        **options,
    }
    path = tmp_path / "market.yaml"
    path.write_text(yaml.safe_dump(market))
    return path


def test_simulated_equilibrium_of_an_mm1_link_meets_the_analytic_fixed_point(tmp_path: Path) -> None:
    loaded = load_market(toy_market(tmp_path))
    sol = solve(loaded, 0.5, replications=6, seed=3)
    assert sol.converged, sol.message
    last = sol.table[sol.table["iteration"].eq(sol.table["iteration"].max())].set_index("alternative")
    share = last.loc["link", "offered_share"]
    assert share == pytest.approx(fixed_point(0.5), abs=0.02)  # 0.537 by brentq
    # the link behaved as an M/M/1 queue at that share (sojourn 1/(mu - lambda) + 1 h), the alternative as fixed
    assert last.loc["link", "mean_days"] == pytest.approx(1 / (MU - share * MARKET) + 1 / 24, rel=0.05)
    assert last.loc["fixed", "mean_days"] == pytest.approx(5 / 24, abs=1e-3)
    assert len(sol.seconds) == sol.table["iteration"].max() > 1


def test_cli_reports_a_loop_that_does_not_converge_in_one_line(tmp_path: Path, capsys) -> None:
    market = toy_market(tmp_path, scale=5.0, damping=0.0, max_iterations=3, tolerance=0.001)
    out = tmp_path / "out"
    code = main(["choice", str(market), "--replications", "2", "--no-cache", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 3
    assert err.count("\n") == 0 and "no equilibrium within 3 iterations" in err
    study = yaml.safe_load((out / "study.json").read_text())
    assert study["solutions"][0]["converged"] is False and study["solutions"][0]["iterations"] == 3
    assert (out / "equilibrium.csv").is_file() and (out / "time_cost.png").is_file()


def test_a_market_naming_a_flow_its_scenario_lacks_is_refused(tmp_path: Path, capsys) -> None:
    market = toy_market(tmp_path)
    raw = yaml.safe_load(market.read_text())
    raw["alternatives"]["fixed"]["flows"] = ["g"]
    market.write_text(yaml.safe_dump(raw))
    assert main(["choice", str(market), "--no-cache", "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "alternatives.fixed.flows.0" in err and "no flow 'g'" in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_market_volume_goes_to_the_contested_flows_as_written_and_a_sample_is_capped(tmp_path: Path) -> None:
    from corridor_sim.market import simulated_teu, volume_sets

    market = toy_market(tmp_path)
    raw = yaml.safe_load(market.read_text())
    raw["alternatives"]["fixed"]["sample_teu_per_year"] = 500
    market.write_text(yaml.safe_dump(raw))
    loaded = load_market(market)
    # the link's one flow takes its whole share: 0.25 x 3,650 = 912.5 TEU; the fixed route is capped at its sample
    assert volume_sets(loaded, "link", 0.25) == [
        "demand.flows.f.teu_per_year=912.5",
        "demand.flows.f.trains_per_week=null",
    ]
    assert simulated_teu(loaded.market, "fixed", 0.75) == 500
    assert simulated_teu(loaded.market, "link", 0.0) == pytest.approx(0.01 * MARKET * 365)  # never below 1 %


def test_time_cost_plane_puts_each_corridor_at_its_days_and_price() -> None:
    import pandas as pd

    from corridor_sim.plots.time_cost import time_cost_plane

    table = pd.DataFrame(
        {
            "alternative": ["rail", "sea"],
            "mean_days": [14.0, 40.0],
            "p10_days": [12.0, 36.0],
            "p90_days": [16.0, 45.0],
            "price_per_teu": [2800.0, 800.0],
            "offered_share": [0.4, 0.6],
        }
    )
    fig = time_cost_plane(table, "test", value_of_time=100.0)
    ax = fig.axes[0]
    points = {tuple(np.round(line.get_xydata()[0], 6)) for line in ax.lines if line.get_marker() == "o"}
    assert points == {(14.0, 2800.0), (40.0, 800.0)}
    labels = [t.get_text() for t in ax.texts]
    assert any("rail" in t and "14.0 d" in t and "2,800/TEU" in t and "40%" in t for t in labels)
    # each dashed line is price + 100 x days held constant: through its point with slope -100 per day
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    for line in dashed:
        x, y = line.get_xdata(), line.get_ydata()
        assert np.allclose(np.diff(y) / np.diff(x), -100.0)
    assert {round(float(line.get_ydata()[0])) for line in dashed} == {2800 + 1400, 800 + 4000}


def test_a_market_figure_citing_an_unlisted_source_is_refused(tmp_path: Path) -> None:
    from corridor_sim.errors import ScenarioError

    market = toy_market(tmp_path, scale={"value": 0.5, "source": "X1"})
    with pytest.raises(ScenarioError, match=r"scale: names source 'X1', not listed in `sources`"):
        load_market(market)
    raw = yaml.safe_load(market.read_text())
    raw["sources"] = {"X1": {"title": "a source"}}
    market.write_text(yaml.safe_dump(raw))
    assert load_market(market).market.scale == 0.5


def test_corridor_points_of_a_comparison_are_per_scenario_and_destination_per_teu() -> None:
    import pandas as pd

    from corridor_sim.plots.time_cost import corridor_points

    def containers(days: list[float], price: float | None) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "destination": ["x"] * len(days),
                "transit_days": days,
                "status": "delivered",
                "measured": True,
            }
        )
        return frame if price is None else frame.assign(price_usd=price)

    # 40-ft boxes (2 TEU): 3,000 USD a container is 1,500 a TEU; a scenario without charges gives no point
    points = corridor_points(
        {"a": containers([10.0, 20.0, 30.0], 3000.0), "b": containers([5.0], None)}, {"a": 2.0, "b": 2.0}
    )
    assert points.to_dict("records") == [
        {
            "alternative": "x",
            "mean_days": 20.0,
            "p10_days": 12.0,
            "p90_days": 28.0,
            "price_per_teu": 1500.0,
            "group": "a",
        }
    ]


def test_an_alternative_without_a_price_is_refused_before_simulating(tmp_path: Path) -> None:
    from corridor_sim.errors import ScenarioError

    market = toy_market(tmp_path)
    raw = yaml.safe_load(market.read_text())
    del raw["alternatives"]["link"]["price_per_teu"]
    market.write_text(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError, match=r"alternatives\.link\.price_per_teu: no price_per_teu"):
        load_market(market)
