"""Uncertainty propagation: zero-width ranges give no parameter spread, an interrupted study resumes to the same
result, every variant is held to --max-events, the command writes its tables (executors: test_uncertainty_executors)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import scenario_dict

from corridor_sim import uncertainty
from corridor_sim.cli import main
from corridor_sim.ledger import Ledger
from corridor_sim.ranges import ranged
from corridor_sim.tuning.evaluate import Study
from corridor_sim.uncertainty import design, parameters, run_points, summarise


def noisy(width: float = 1.0) -> dict:
    """A random corridor (lognormal handling, Poisson demand) whose two ranged figures span `width` × their value."""
    lo, hi = 1 - 0.5 * width, 1 + 0.5 * width
    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 1, "time": {"dist": "lognormal", "mean": "4h", "cv": 0.8,
                                                                      "range": [f"{4 * lo}h", f"{4 * hi}h"]}}},
        "z": {"role": "terminal"},
    }  # fmt: skip
    segments = {"oz": {"from": "o", "to": "z", "travel_time": {"value": "10h", "range": [f"{10 * lo}h", f"{10 * hi}h"]},
                       "trains_per_day": 6}}  # fmt: skip
    flows = {"f": {"origin": "o", "destination": "z", "trains_per_week": 14, "containers_per_train": 4}}
    raw = scenario_dict(nodes, segments, flows, duration="20d", cooldown="5d", replications=3)
    raw["published"] = [{"destination": "z", "low": "12h", "high": "20h"}]
    return raw


def load(tmp_path, raw: dict, name: str = "s.yaml", workers: int = 1) -> Study:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return Study.load(path, workers=workers)


def points(study: Study, n: int = 6, ledger: Ledger | None = None) -> tuple[pd.DataFrame, dict]:
    params = parameters(study)
    return run_points(study, params, design("lhs", n, len(params), 5), ledger or Ledger(None, "t"))


def test_zero_width_ranges_give_zero_parameter_uncertainty(tmp_path) -> None:
    study = load(tmp_path, noisy(width=0.0))
    samples, base = points(study)
    summary = summarise(samples, base, study.base).set_index("kpi")
    assert (summary["sd"] == 0).all() and (summary["parameter_sd"] == 0).all()
    assert summary.loc["p50_days", "noise_sd"] > 0  # the replications still differ
    assert (summary["p50"] == summary["base"]).all()


def test_ranges_widen_the_headline_beyond_replication_noise(tmp_path) -> None:
    study = load(tmp_path, noisy(width=1.0))
    samples, base = points(study, n=8)
    summary = summarise(samples, base, study.base).set_index("kpi")
    assert summary.loc["mean_days", "parameter_sd"] > 2 * summary.loc["mean_days", "noise_sd"]
    assert summary.loc["mean_days", "p5"] < base["z:mean_days"] < summary.loc["mean_days", "p95"]


def test_an_interrupted_study_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch) -> None:
    whole, whole_base = points(load(tmp_path, noisy()))
    monkeypatch.setattr(uncertainty, "CHUNK_REPLICATIONS", 6)  # 2 parameter sets a chunk: 4 chunks for 6 + base
    study = load(tmp_path, noisy())
    calls: list[int] = []
    evaluate = Study.evaluate

    def stop_after_two_chunks(self, scenarios, reduce):
        calls.append(len(scenarios))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return evaluate(self, scenarios, reduce)

    path = tmp_path / "ledger.jsonl"
    monkeypatch.setattr(Study, "evaluate", stop_after_two_chunks)
    with pytest.raises(KeyboardInterrupt):
        points(study, ledger=Ledger(path, "k"))
    assert len(path.read_text().splitlines()) == 1 + 4  # the header and two chunks, on disk
    with path.open("a") as f:
        f.write('{"sample": 5, "row": {"z:p50')  # a line cut short by the interruption
    monkeypatch.setattr(Study, "evaluate", evaluate)
    resumed, resumed_base = points(study, ledger=Ledger(path, "k"))
    pd.testing.assert_frame_equal(whole, resumed)
    assert whole_base == resumed_base
    assert len(path.read_text().splitlines()) == 1 + 7 and all(json.loads(x) for x in path.read_text().splitlines())


def test_a_ledger_of_another_study_is_not_reused(tmp_path) -> None:
    path = tmp_path / "ledger.jsonl"
    Ledger(path, "a").append({0: {"x": 1.0}})
    assert Ledger(path, "a").rows == {0: {"x": 1.0}}
    assert Ledger(path, "b").rows == {}


def test_the_command_writes_tables_and_plot_and_removes_its_ledger(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(noisy()))
    out = tmp_path / "u"
    assert main(["uncertainty", str(path), "--samples", "4", "--out", str(out), "--no-cache", "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} >= {"samples.csv", "uncertainty.csv", "parameters.csv", "headline.png"}
    summary = pd.read_csv(out / "uncertainty.csv")
    assert set(summary["kpi"]) >= {"p50_days", "p90_days", "mean_days", "in_band_share"}
    assert summary.loc[summary["kpi"].eq("p50_days"), "band_high"].item() == pytest.approx(20 / 24)
    assert len(pd.read_csv(out / "samples.csv")) == 4
    assert not any((tmp_path / ".ledgers").glob("*.jsonl"))


def test_every_parameter_set_is_held_to_max_events(tmp_path, capsys) -> None:
    from corridor_sim.loader import load_scenario
    from corridor_sim.workload import estimate

    raw = noisy()
    raw["demand"]["flows"]["f"]["trains_per_week"] = {"value": 14, "range": [14, 5000]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    limit = 3 * estimate(load_scenario(path)).total  # the file's own figures pass; most parameter sets do not
    args = ["uncertainty", str(path), "--samples", "4", "--out", str(tmp_path / "u"), "--no-cache", "--quiet"]
    assert main([*args, "--max-events", str(limit)]) == 2
    assert "sample" in capsys.readouterr().err
    assert not (tmp_path / "u").exists()


def test_studies_vary_only_figures_transit_depends_on_unless_named() -> None:
    """Charges, emission factors and interventions' costs carry ranges but no study headline depends on them."""
    study = Study.load(Path("scenarios/current_2023.yaml"))
    every = [r.key for r in ranged(study.raw, study.base.provenance)]
    priced = [k for k in every if k.startswith(("costs.", "emissions.", "interventions."))]
    assert "costs.charges.china_rail.amount" in priced and "emissions.factors.kz_rail.electric_share" in priced
    assert [p.key for p in parameters(study)] == [k for k in every if k not in priced]
    named = ["costs.charges.china_rail.amount"]
    assert [p.key for p in parameters(study, named)] == named
