"""matplotlib is imported only when a figure is drawn: a report whose figures `plot` already drew never imports it
(about a second of the report's few), and the plots package's names are the functions, never their modules."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from corridor_sim import plots
from corridor_sim.loader import load_scenario
from corridor_sim.runner import execute_run

SCENARIO = Path(__file__).with_name("plot_scenario.yaml")
ROOT = Path(__file__).resolve().parents[1]
REPORT = """
import sys
from pathlib import Path
from corridor_sim.report import build_report
build_report([Path(sys.argv[1])], Path(sys.argv[2]))
print("matplotlib" in sys.modules)
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = execute_run(load_scenario(SCENARIO), tmp_path_factory.mktemp("lazy") / "run")
    return out


def _report(run: Path, out: Path) -> bool:
    """Build a report in a fresh interpreter; whether it imported matplotlib."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", REPORT, str(run), str(out)], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_a_report_of_drawn_figures_does_not_import_matplotlib(run_dir: Path, tmp_path: Path) -> None:
    assert _report(run_dir, tmp_path / "first.html")  # nothing drawn yet: the report draws, so it imports it
    plots.plot_results(run_dir)
    assert not _report(run_dir, tmp_path / "second.html")  # every figure fresh: reused, nothing imported
    assert (tmp_path / "second.html").stat().st_size > 100_000  # and the figures are in it


def test_every_public_name_is_what_it_says_not_its_module() -> None:
    for module in pkgutil.iter_modules(plots.__path__):  # imported directly first, as any module may be
        importlib.import_module(f"corridor_sim.plots.{module.name}")
    for name in plots.__all__:
        value = getattr(plots, name)
        assert callable(value) and not isinstance(value, type(plots)), name
    with pytest.raises(AttributeError):
        plots.no_such_figure  # noqa: B018
