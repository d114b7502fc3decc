"""`compare --uncertainty-samples`: each scenario's band over its ranges beside the replication CI. Checked on the
fixed-time corridor whose transit is the sum of its three ranged figures, so the band is percentiles of sums worked
out from the design's points without the simulator; without the flag the comparison is as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from test_gsa import RANGES, fixed_corridor

from corridor_sim.cli import main
from corridor_sim.tuning.evaluate import Study
from corridor_sim.uncertainty import comparison_band, design, parameters, with_bands


def write(tmp_path, name: str, ranged: bool = True):
    raw = fixed_corridor()
    raw["name"] = name
    raw["published"] = [{"destination": "z", "low": "10h", "high": "20h"}]
    if not ranged:
        for node in ("o", "m"):
            raw["network"]["nodes"][node]["handling"]["time"].pop("range")
        raw["network"]["segments"]["om"]["travel_time"].pop("range")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_band_is_the_percentiles_of_the_sets_transit(tmp_path) -> None:
    study = Study.load(write(tmp_path, "fixed"))
    band = comparison_band(study, 9, seed=3).set_index("destination")
    params = parameters(study)
    ends = {key: (low, high) for key, _, low, high in RANGES}
    # every container takes o + m + om + 4 h: the sum at each point of the design, in days
    points = design("lhs", 9, len(params), 3)
    hours = [sum(ends[p.key][0] + u * (ends[p.key][1] - ends[p.key][0]) for p, u in zip(params, x, strict=True))
             for x in points]  # fmt: skip
    days = [(h + 4) / 24 for h in hours]
    for figure in ("p50_days", "p90_days", "mean_days"):
        assert band.loc["z", f"{figure}_ranges_p5"] == pytest.approx(np.percentile(days, 5))
        assert band.loc["z", f"{figure}_ranges_p95"] == pytest.approx(np.percentile(days, 95))
    assert band.loc["z", "ranges_parameter_sets"] == 9


def test_a_scenario_without_ranges_gets_no_band_and_the_table_keeps_its_columns() -> None:
    table = pd.DataFrame({"scenario": ["a", "a", "b"], "destination": ["(all)", "z", "z"], "p50_days": [1.0, 2.0, 3.0]})
    band = pd.DataFrame({"destination": ["z"], "p50_days_ranges_p5": [1.5], "p50_days_ranges_p95": [2.5]})
    out = with_bands(table, [band, None])
    pd.testing.assert_frame_equal(out[table.columns], table)
    assert out["p50_days_ranges_p5"].tolist()[1] == 1.5
    assert out["p50_days_ranges_p5"].isna().tolist() == [True, False, True]  # the all row; b has no ranges


def test_compare_adds_the_band_only_when_asked(tmp_path, capsys) -> None:
    a, b = write(tmp_path, "a"), write(tmp_path, "b", ranged=False)
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "plain"), "--no-cache", "--quiet"]) == 0
    args = ["compare", str(a), str(b), "--out", str(tmp_path / "band"), "--no-cache", "--quiet"]
    assert main([*args, "--uncertainty-samples", "4"]) == 0
    assert "b.yaml has no ranged figure" in capsys.readouterr().err
    plain, band = (pd.read_csv(tmp_path / d / "comparison.csv") for d in ("plain", "band"))
    pd.testing.assert_frame_equal(band[plain.columns], plain)  # the comparison itself unchanged
    new = [c for c in band.columns if c not in plain.columns]
    assert new == [f"{k}_ranges_{q}" for k in ("p50_days", "p90_days", "mean_days") for q in ("p5", "p95")] + [
        "ranges_parameter_sets"
    ]
    row = band.set_index(["scenario", "destination"]).loc[("a", "z")]
    assert row["p50_days_ranges_p5"] < row["p50_days"] < row["p50_days_ranges_p95"]  # the file's sums sit inside
    assert band.set_index(["scenario", "destination"]).loc[("b", "z"), new].isna().all()
    assert (tmp_path / "band" / "uncertainty_compare.png").stat().st_size > 0
    assert not (tmp_path / "plain" / "uncertainty_compare.png").exists()
    # `plot` redraws it from comparison.csv, and the report shows it; neither draws it for the plain comparison
    assert (
        main(["report", str(tmp_path / "band"), "--quiet"]) == main(["report", str(tmp_path / "plain"), "--quiet"]) == 0
    )
    assert (tmp_path / "band" / "plots" / "uncertainty_compare.png").stat().st_size > 0
    assert not (tmp_path / "plain" / "plots" / "uncertainty_compare.png").exists()
    page = (tmp_path / "band" / "report.html").read_text(encoding="utf-8")
    assert "replication CI against the spread over the estimates&#x27; ranges" in page  # the figure's caption


def test_a_bad_sample_count_is_refused_before_anything_runs(tmp_path, capsys) -> None:
    args = ["compare", str(write(tmp_path, "a")), "--out", str(tmp_path / "x"), "--uncertainty-samples", "0"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "--uncertainty-samples" in err and "\n" not in err
    assert not (tmp_path / "x").exists()
