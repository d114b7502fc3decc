"""The HTML report: self-contained (every figure a data: URI, nothing fetched), every figure and table present, the
numbers in its tables those of the run, parameters side by side, and an existing report never overwritten."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stages import Recorder

from corridor_sim import plots
from corridor_sim.cli import main
from corridor_sim.loader import load_scenario
from corridor_sim.runner import execute_run

SCENARIO = Path(__file__).with_name("plot_scenario.yaml")
IMG = re.compile(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two runs that differ in one parameter: the border gets a second server."""
    root = tmp_path_factory.mktemp("report")
    base, _ = execute_run(load_scenario(SCENARIO), root / "base")
    faster, _ = execute_run(
        load_scenario(SCENARIO, ["name=two_servers", "network.nodes.dostyk.handling.servers=2"]), root / "faster"
    )
    return [base, faster]


@pytest.fixture(scope="module")
def page(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", *map(str, runs), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def _destinations(run: Path) -> set[str]:
    c = pd.read_csv(run / "containers.csv")
    return set(c.loc[c["measured"] & c["status"].eq("delivered"), "destination"])


def test_every_figure_is_embedded(page: str, runs: list[Path]) -> None:
    images = IMG.findall(page)
    shared = set.intersection(*(_destinations(r) for r in runs))
    per_run = 7  # transit, sections, time-distance, occupancy, utilisation, pools, map
    # plus the shared destinations' panels, and the headline destination's distributions and section bars
    assert len(images) == per_run * len(runs) + (len(shared) > 1) + 2
    assert page.count("<img") == len(images)
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    assert not re.search(r'src="(https?:|//|file:)', page)  # opens offline, fetches nothing (links only on a click)
    assert "<script" not in page


def test_every_table_is_there(page: str, runs: list[Path]) -> None:
    # transit overview, parameters that differ, all parameters, and the section table of each run
    assert page.count("<table") == 3 + len(runs)
    for run in runs:
        c = pd.read_csv(run / "containers.csv")
        m = c[c["measured"] & c["status"].eq("delivered")]
        for _dest, days in m.groupby("destination", observed=True)["transit_days"]:
            assert f"<td>{np.median(days):.1f}</td>" in page
    sections = pd.read_csv(runs[0] / "sections.csv")
    for section in sections["section"].unique():
        assert f"<td>{section}</td>" in page.replace("&#x27;", "'")


def test_parameters_side_by_side(page: str) -> None:
    differ = page[page.index("Parameters that differ") : page.index("<details")]
    assert "<th>plot_small</th><th>two_servers</th>" in differ
    assert re.search(
        r"network\.nodes\.dostyk\.handling\.servers</td><td>1(<span[^>]*>[^<]*</span>)?</td><td>2<", differ
    )
    rows = re.findall(r'<td class="key">', differ)
    assert len(rows) == 1  # the one parameter that was changed (name is not a parameter)


def _tiny_png(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (2, 2), "white").save(path)


def test_comparison_directory_brings_its_tables_and_reuses_drawn_figures(runs: list[Path], tmp_path: Path) -> None:
    comparison = tmp_path / "cmp"
    comparison.mkdir()
    for run, name in zip(runs, ("baseline_2022", "target"), strict=True):
        shutil.copytree(run, comparison / name, ignore=shutil.ignore_patterns("plots"))
    pd.DataFrame(
        {"scenario": ["baseline_2022", "target"], "destination": ["poti", "poti"], "p50_days": [30.5, 12.25]}
    ).to_csv(comparison / "comparison.csv", index=False)
    pd.DataFrame({"scenario": ["target"], "reference": ["baseline_2022"], "difference_days": [-18.25]}).to_csv(
        comparison / "differences.csv", index=False
    )
    # figures `plot` drew after the runs were written are embedded as they are, not drawn again
    jobs = plots.directory_jobs(comparison, comparison / "plots")
    for job in jobs:
        _tiny_png(job.path)
    out = tmp_path / "cmp.html"
    assert main(["report", str(comparison), "--out", str(out), "--quiet"]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<table") == 3 + 2 + 2  # as above, plus comparison.csv and differences.csv
    assert "<td>30.5</td>" in page and "<td>-18.25</td>" in page
    assert '<h2 id="compare">' in page
    images = IMG.findall(page)
    assert len(images) == len(jobs)
    assert all(base64.b64decode(data) == jobs[0].path.read_bytes() for data in images)  # the tiny ones, reused


def test_an_existing_report_is_never_overwritten(runs: list[Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.html"
    out.write_text("keep me", encoding="utf-8")
    assert main(["report", str(runs[0]), "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "keep me"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "never overwritten" in err
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "new.html")]) == 2
    assert not (tmp_path / "new.html").exists()


def _damage(run: Path, how: str) -> None:
    """Ways a results directory gets broken or edited by hand."""
    containers = run / "containers.csv"
    if how == "missing table":
        containers.unlink()
    elif how == "empty table":
        containers.write_text("", encoding="utf-8")
    elif how == "truncated table":
        containers.write_bytes(containers.read_bytes()[:-4000] + b'\n1,2,"x\n')
    elif how == "column renamed":
        text = containers.read_text(encoding="utf-8")
        containers.write_text(text.replace("transit_days", "transit", 1), encoding="utf-8")
    elif how == "text in a number column":
        frame = pd.read_csv(run / "sections.csv", dtype=str)
        frame.loc[3, "days"] = "three"
        frame.to_csv(run / "sections.csv", index=False)
    elif how == "not json":
        (run / "summary.json").write_text('{"scenario": "x", "replications": 2,', encoding="utf-8")
    elif how == "not yaml":
        (run / "scenario.resolved.yaml").write_text("network: [nodes: {\n", encoding="utf-8")
    elif how == "binary garbage":
        (run / "routes.csv").write_bytes(bytes(range(256)) * 8)
    else:
        raise AssertionError(how)


DAMAGE = [
    "missing table",
    "empty table",
    "truncated table",
    "column renamed",
    "text in a number column",
    "not json",
    "not yaml",
    "binary garbage",
]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_results_directory_is_refused_in_one_line(runs: list[Path], tmp_path: Path, capsys, how) -> None:
    run = tmp_path / "run"
    shutil.copytree(runs[0], run, ignore=shutil.ignore_patterns("plots"))
    _damage(run, how)
    out = tmp_path / "r.html"
    assert main(["report", str(run), "--out", str(out), "--quiet"]) == 2
    assert not out.exists()
    assert main(["plot", str(run), "--quiet"]) == 2
    assert not list(run.glob("plots/*.png"))  # refused before drawing anything
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err and str(run) in err


def test_headline_first_units_as_files_and_seed_warning(page: str, runs: list[Path], tmp_path: Path) -> None:
    overview = page[page.index('id="overview"') : page.index("</table>")]
    assert overview.index("<td>poti</td>") < overview.index("<td>constanta</td>")  # the first published band's
    assert "Warning" not in page  # same seed, same version
    from corridor_sim.report import _short

    assert [_short(v) for v in ("8760h", "36h", "33.333333333333336km/h", "40km/h")] == [
        "365d",
        "36h",
        "800km/d",
        "40km/h",
    ]
    other = tmp_path / "seed9"
    execute_run(load_scenario(SCENARIO, ["simulation.seed=9"]), other)
    out = tmp_path / "mixed.html"
    assert main(["report", str(runs[0]), str(other), "--out", str(out), "--quiet"]) == 0
    assert "different seeds (5, 9)" in out.read_text(encoding="utf-8")


def test_a_study_directory_is_reported(tmp_path: Path) -> None:
    study = tmp_path / "sweep"
    study.mkdir()
    (study / "study.json").write_text('{"name": "plot_small", "seed": 1, "replications": 2}', encoding="utf-8")
    pd.DataFrame({"network.nodes.dostyk.handling.servers": [1, 2], "p50_days": [20.25, 14.5]}).to_csv(
        study / "sweep.csv", index=False
    )
    _tiny_png(study / "sweep.png")
    out = tmp_path / "study.html"
    assert main(["report", str(study), "--out", str(out), "--quiet"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Study: sweep" in page and "<td>20.25</td>" in page and len(IMG.findall(page)) == 1


def test_every_stage_of_a_report_is_told_with_its_steps(runs: list[Path], tmp_path: Path) -> None:
    """No long silent stretch: reading each run, each figure, and the tables are counted as they are done."""
    from corridor_sim.report import build_report

    told = Recorder()
    build_report(runs, tmp_path / "r.html", told)
    figures = len(IMG.findall((tmp_path / "r.html").read_text(encoding="utf-8")))
    assert told.stages == [["reading", 2, 2], ["figures", figures, figures], ["tables", 4, 4]]
