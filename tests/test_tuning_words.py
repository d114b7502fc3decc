"""The words of the tuning commands and the CLI: sweep ranges, sensitivity moves a count by one and says so,
`--version`, help texts with true defaults."""

from __future__ import annotations

import pytest

from corridor_sim import __version__
from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.tuning.sensitivity import moved
from corridor_sim.tuning.sweep import parse_param


@pytest.mark.parametrize(
    "spec, values",
    [
        ("a.b=1..4", [1, 2, 3, 4]),  # whole-number ends: every whole number
        ("a.b=2..8:3", [2, 5, 8]),
        ("a.b=24h..96h:4", ["24h", "48h", "72h", "96h"]),  # in the range's unit
        ("a.b=0.5..0.9:3", [0.5, 0.7, 0.9]),
        ("a.b=0.5..0.9", [0.5, 0.6, 0.7, 0.8, 0.9]),  # five points by default
        ("a.b=1,3,7", [1, 3, 7]),  # a list as before
    ],
)
def test_sweep_reads_ranges_and_lists(spec, values) -> None:
    key, got = parse_param(spec)
    assert key == "a.b"
    assert got == (values if isinstance(values[0], str) else pytest.approx(values))


@pytest.mark.parametrize("spec", ["a.b=4..1", "a.b=1h..2d", "a.b=1..3:1", "a.b=1..3:x"])
def test_sweep_refuses_a_bad_range(spec) -> None:
    with pytest.raises(ScenarioError, match="a.b"):
        parse_param(spec)


@pytest.mark.parametrize(
    "value, key, factor, expected",
    [
        (2, "x.count", 0.8, (1, "-1")),  # a count of 2 moves to 1 and 3, not by ±20 %
        (2, "x.count", 1.2, (3, "+1")),
        (10, "x.servers", 1.2, (11, "+1")),
        (1, "x.count", 0.8, (None, "")),  # no count below 1
        ("36h", "x.time", 1.2, ("43.2h", "+20%")),
        (0.9, "x.load_factor", 1.2, (1.0, "+11% (capped at 1)")),  # a bounded fraction stays in its bounds
        (1.0, "x.fill", 1.2, (None, "")),
    ],
)
def test_sensitivity_moves_counts_by_one_and_says_what_it_did(value, key, factor, expected) -> None:
    assert moved(value, key, factor) == expected


def test_version_and_help_speak_to_a_user(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"corridor-sim {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "Trans-Caspian" in text and "exit codes" in text and "thin layer" not in text


@pytest.mark.parametrize(
    "command, default",
    [
        ("compare", "results/compare/<UTC timestamp>"),
        ("run", "results/<scenario>/<UTC timestamp>"),
        ("sweep", "results/<scenario>/sweep/<UTC timestamp>"),
    ],
)
def test_help_names_the_directory_each_command_writes(capsys, command, default) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert default in " ".join(capsys.readouterr().out.split())
