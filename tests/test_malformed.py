"""The malformed corpus (tests/malformed/*.yaml) and bad `--set` strings, checked through the CLI.

Each case file states what it expects in its first two lines: `# expect-key: <key path>` (empty for file-level
errors such as bad YAML) and `# expect: <message fragment>`. Through `validate` and `run`, every case must exit 2
with one line on stderr naming the file, the key path and the problem, print no traceback, and leave nothing
behind: `run` creates no results directory and no staging leftovers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor_sim.cli import main

CORPUS = Path(__file__).parent / "malformed"
CASES = sorted(p for p in CORPUS.glob("*.yaml") if not p.name.startswith("_"))
BASE = CORPUS / "_base.yaml"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs happen in a scratch directory with a private replication cache (nothing lands in the repository)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path / "cache"))


def _expected(path: Path) -> tuple[str, str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert lines[0].startswith("# expect-key:") and lines[1].startswith("# expect: "), f"{path.name}: no header"
    return lines[0].removeprefix("# expect-key:").strip(), lines[1].removeprefix("# expect: ")


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err
    return lines[0]


def test_corpus_is_there() -> None:
    assert len(CASES) >= 30
    assert main(["validate", str(BASE)]) == 0  # the base the cases extend is itself valid


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_malformed_file_validate(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, fragment = _expected(case)
    assert main(["validate", str(case)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"error: {case}: "), line
    if key:
        assert f": {key}: " in line, f"key path {key!r} not named: {line}"
    assert fragment in line, f"{fragment!r} not in: {line}"


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_malformed_file_run_writes_nothing(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, fragment = _expected(case)
    out = tmp_path / "results" / "run"
    assert main(["run", str(case), "--out", str(out), "--quiet"]) == 2
    assert fragment in _one_error_line(capsys)
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())  # no staging leftovers either


BAD_SETS = [  # (--set argument, key path named or "", message fragment)
    ("simulation.seed", "", "expected key.path=value, got 'simulation.seed'"),
    ("=3", "", "empty key path in '=3'"),
    ("simulation..seed=1", "", "empty key path"),
    ("simulation.sed=3", "simulation.sed", "no such key (did you mean 'seed'?)"),
    ("network.nodes.zz.role=port", "network.nodes.zz", "no such key"),
    ("network.segments.pq.vessels.3.count=2", "network.segments.pq.vessels.3", "list index '3' out of range (0..0)"),
    ("network.segments.pq.vessels.x.count=2", "network.segments.pq.vessels.x", "is not a list index (0..0)"),
    ("name.x=1", "name.x", "name is a value, not a section"),
    ("simulation.seed=[1", "simulation.seed", "cannot read value '[1'"),
    ("simulation.duration=-3d", "simulation.duration", "must not be negative"),
    ("simulation.duration=90", "simulation.duration", "duration needs a unit"),
    ("network.nodes.a.handling.servers=0", "network.nodes.a.handling.servers", "greater than or equal to 1"),
    ("network.segments.pq.vessels.0.capacity_teu=0", "network.segments.pq.vessels.0.capacity_teu", "greater than 0"),
    ("demand.flows.f1.destination=nowhere", "demand.flows.f1.destination", "unknown node 'nowhere'"),
    ("network.segments.pq.from=b", "network.segments.pq", "needs ports at both ends"),
]


@pytest.mark.parametrize(("item", "key", "fragment"), BAD_SETS, ids=[s[0] for s in BAD_SETS])
def test_bad_set(item: str, key: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BASE), "--set", item]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"error: {BASE}: "), line
    if key:
        assert f": {key}: " in line, f"key path {key!r} not named: {line}"
    assert fragment in line, f"{fragment!r} not in: {line}"
    out = tmp_path / "run"
    assert main(["run", str(BASE), "--set", item, "--out", str(out), "--quiet"]) == 2
    assert fragment in _one_error_line(capsys)
    assert not out.exists()


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 2
    assert _one_error_line(capsys) == f"error: {missing}: file not found"


def test_directory_as_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert _one_error_line(capsys) == f"error: {tmp_path}: cannot read file (IsADirectoryError)"
