"""The CLI's promises when things go wrong: exit codes 0/2/1/130, one-line messages, and nothing lost.

An interrupted or failed run leaves no results directory and no staging leftovers; an existing directory (an earlier
run's results) is never overwritten or touched; `--check` turns a broken invariant into exit 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from corridor_sim import cli, runner, workspace
from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario

SCENARIO = """\
name: tiny
simulation: {duration: 40d, warmup: 5d, cooldown: 15d, seed: 2, replications: 1}
network:
  nodes:
    a: {role: terminal, handling: {servers: 1, time: 2h}}
    p: {role: port, handling: {servers: 1, time: 3h}}
    q: {role: port, formation: {train_size: 40, max_wait: 48h}}
    z: {role: terminal}
  segments:
    ap: {from: a, to: p, distance: 900km, speed: 600km/d, trains_per_day: 4}
    pq: {from: p, to: q, mode: ferry, vessels: [{capacity_teu: 160, count: 2}], crossing_time: 20h, load_time: 5h,
         departure: {rule: when_full, max_wait: 48h}}
    qz: {from: q, to: z, distance: 300km, speed: 40km/h}
demand:
  flows:
    f1: {origin: a, destination: z, teu_per_year: 12000, containers_per_train: 40}
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in a scratch directory with a private replication cache and crash log; restore the SIGTERM handler."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _run(scenario: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scenario), "--out", str(out), "--quiet", "--no-cache", *extra])


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if "partial" in p.name] if parent.exists() else []


def test_success_exits_0_and_check_passes(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results" / "ok"
    assert _run(scenario, out, "--check") == 0
    captured = capsys.readouterr()
    assert "invariants: all checks passed" in captured.out
    assert captured.err == ""
    assert {"containers.csv", "summary.json", "scenario.resolved.yaml", "tracks.csv"} <= set(os.listdir(out))
    assert _leftovers(out.parent) == []


def test_existing_directory_is_never_overwritten(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "earlier"
    assert _run(scenario, out) == 0
    before = _digest(out)
    capsys.readouterr()
    assert _run(scenario, out, "--seed", "9") == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {out}: already exists; results are never overwritten (choose another --out)"
    assert _digest(out) == before


def test_directory_appearing_during_the_run_is_not_overwritten(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out is created (empty) before the run; someone else writes into it while we simulate: their files win,
    ours are discarded, exit 2."""
    out = tmp_path / "results" / "raced"
    real = runner.write_run

    def racing(directory: Path, *args, **kwargs):
        assert out.is_dir() and os.listdir(out) == []  # claimed before the first replication
        (out / "theirs.txt").write_text("keep me")
        return real(directory, *args, **kwargs)

    monkeypatch.setattr(runner, "write_run", racing)
    assert _run(scenario, out) == 2
    assert "cannot move results into place" in capsys.readouterr().err
    assert os.listdir(out) == ["theirs.txt"] and (out / "theirs.txt").read_text() == "keep me"
    assert _leftovers(out.parent) == []


def _write_then(exc: BaseException, monkeypatch: pytest.MonkeyPatch, seen: list[Path]) -> None:
    """Make the workspace writer fail half-way: after the resolved scenario and tables, before the summary."""
    real = runner.write_tables

    def half(directory: Path, tables: dict[str, pd.DataFrame]) -> None:
        real(directory, tables)
        seen.append(directory)
        assert any(directory.iterdir())  # something was half-written when the failure hits
        raise exc

    monkeypatch.setattr(runner, "write_tables", half)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3)], ids=["ctrl-c", "exit"])
def test_interrupt_mid_write_leaves_nothing(
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
) -> None:
    earlier = tmp_path / "results" / "earlier"
    assert _run(scenario, earlier) == 0
    before = _digest(earlier)
    out = tmp_path / "results" / "interrupted"
    seen: list[Path] = []
    _write_then(exc, monkeypatch, seen)
    capsys.readouterr()
    if isinstance(exc, KeyboardInterrupt):
        assert _run(scenario, out) == 130
        assert "interrupted: no results were written" in capsys.readouterr().err
    else:
        with pytest.raises(SystemExit):
            _run(scenario, out)
    assert seen and not seen[0].exists()  # the staging directory existed, and is gone
    assert not out.exists()
    assert _leftovers(out.parent) == []
    assert _digest(earlier) == before  # the earlier run is untouched


def test_internal_error_exits_1_with_traceback_file(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "crashed"
    seen: list[Path] = []
    _write_then(RuntimeError("disk on fire"), monkeypatch, seen)
    assert _run(scenario, out) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("internal error: RuntimeError: disk on fire (traceback in ")
    log = Path(err.rsplit("(traceback in ", 1)[1].rstrip(")"))
    assert log.parent == tmp_path
    text = log.read_text()
    # the whole traceback: from the run's writer down to the frame that raised (the stand-in for write_tables)
    assert "Traceback (most recent call last)" in text and "disk on fire" in text
    assert "in write_run" in text and "in half" in text
    assert not out.exists() and _leftovers(out.parent) == []


def test_check_catches_a_broken_invariant(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writer that loses one container: `--check` must notice, exit 1, and say what broke."""
    real = runner.write_tables

    def lossy(directory: Path, tables: dict[str, pd.DataFrame]) -> None:
        tables = dict(tables)
        tables["containers"] = tables["containers"].drop(index=7)
        real(directory, tables)

    monkeypatch.setattr(runner, "write_tables", lossy)
    out = tmp_path / "results" / "lossy"
    assert _run(scenario, out, "--check") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: invariant check failed")
    assert "containers lost or double-counted" in err and str(out) in err
    assert out.exists()  # kept for inspection, but the exit code says it is not to be trusted


def test_bad_workers_is_bad_input(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(scenario, tmp_path / "w", "--workers", "0") == 2
    assert capsys.readouterr().err.strip() == "error: --workers: must be at least 1"
    assert not (tmp_path / "w").exists()


DRIVER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    import corridor_sim.runner as runner
    from corridor_sim.cli import main

    ready, real = Path(sys.argv[1]), runner.write_run

    def slow_write(directory, *args, **kwargs):
        summary = real(directory, *args, **kwargs)  # fully written into the staging directory...
        ready.write_text(str(directory))
        import time
        time.sleep(60)  # ...and waiting to be renamed into place when the signal arrives
        return summary

    runner.write_run = slow_write
    sys.exit(main(sys.argv[2:]))
""")


def test_sigterm_mid_run_leaves_nothing(scenario: Path, tmp_path: Path) -> None:
    """A real SIGTERM to a real process while its results sit staged: exit 130, staging removed, nothing renamed."""
    ready, out = tmp_path / "ready", tmp_path / "results" / "killed"
    env = {**os.environ, "CORRIDOR_SIM_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(ready), "run", str(scenario), "--out", str(out), "--quiet", "--no-cache"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reached its write stage"
            time.sleep(0.05)
        staging = Path(ready.read_text())
        assert staging.exists() and (staging / "summary.json").exists()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted: no results were written (partial output removed)"
    assert "Traceback" not in err
    assert not staging.exists() and not out.exists()
    assert _leftovers(out.parent) == []


@pytest.mark.parametrize(
    "argv",
    [["run", "x.yaml", "--replications", "abc"], ["validate", "x.yaml", "--set", "-x"], ["frobnicate"], []],
    ids=["bad-int", "set-dash", "unknown-command", "nothing"],
)
def test_usage_errors_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: corridor-sim") and "--help" in err


def _crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(args: object) -> int:
        raise RuntimeError("disk\non fire")

    monkeypatch.setitem(cli.COMMANDS, "validate", boom)


@pytest.mark.parametrize("squatter", ["directory", "symlink"])
def test_crash_log_is_a_fresh_private_file(
    squatter: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The old fixed log name taken by a directory or a link elsewhere: the log goes to a new file of its own."""
    fixed, victim = tmp_path / "corridor-sim-crash.log", tmp_path / "victim.txt"
    victim.write_text("keep me")
    fixed.mkdir() if squatter == "directory" else fixed.symlink_to(victim)
    _crash(monkeypatch)
    logs = set()
    for _ in range(2):
        assert main(["validate", "x.yaml"]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith("internal error: RuntimeError: disk on fire (traceback in "), err
        logs.add(Path(err.strip().rsplit("(traceback in ", 1)[1].rstrip(")")))
    assert len(logs) == 2  # concurrent or successive crashes never overwrite each other's log
    for log in logs:
        assert log.parent == tmp_path and log != fixed and "disk" in log.read_text()
        assert log.stat().st_mode & 0o077 == 0  # readable by its user only
    assert victim.read_text() == "keep me"


def test_crash_handler_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No place to keep the log (the temporary directory is a regular file): still exit 1 and one line."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setattr("tempfile.tempdir", str(blocker))
    _crash(monkeypatch)
    assert main(["validate", "x.yaml"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "internal error: RuntimeError: disk on fire (traceback not kept: " in err


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--scheduler", "notaurl"], "argument --scheduler: "),
        (["--scheduler", "tcp://host"], "argument --scheduler: "),
        (["--seed", str(2**64)], "simulation.seed: Input should be less than 18446744073709551616"),
        (["--seed", "-1"], "simulation.seed: Input should be greater than or equal to 0"),
        (["--replications", "1000000000"], "simulation.replications: Input should be less than or equal to 100000"),
        (["--max-events", "1000"], "work estimate: the run would take ~"),
        (["--max-events", "0"], "--max-events: must be positive"),
        (["--set", "simulation.monitor_interval=1s"], "simulation.monitor_interval: must be at least 1min"),
    ],
    ids=[
        "scheduler-not-url",
        "scheduler-no-port",
        "seed-2^64",
        "seed-negative",
        "replications-1e9",
        "max-events",
        "max-events-0",
        "monitor-1s",
    ],
)
def test_bad_options_are_bad_input(
    extra: list[str], fragment: str, scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "opt"
    try:
        code = _run(scenario, out, *extra)
    except SystemExit as exc:  # argparse refusing the option itself
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and fragment in err, err
    assert not out.exists() and _leftovers(out.parent) == []


def test_seeds_are_not_aliased(scenario: Path) -> None:
    """Seeds beyond 2^64 used to give the tables of small seeds while summary.json reported the big one."""
    with pytest.raises(ScenarioError, match="simulation.seed"):
        load_scenario(scenario, [f"simulation.seed={2**64 + 2}"])


def test_capacity_demand_astronomic_is_refused(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["capacity", str(scenario), "--demand", "1,1e300", "--quiet", "--no-cache", "--out", "cap"])
    err = capsys.readouterr().err
    assert code == 2 and "work estimate" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "cap").exists()


SCENARIO_WITHOUT_SIMULATION = "\n".join(line for line in SCENARIO.splitlines() if not line.startswith("simulation"))


def test_a_scenario_without_simulation_section_takes_seed_and_replications(tmp_path: Path) -> None:
    path = tmp_path / "nosim.yaml"
    path.write_text(SCENARIO_WITHOUT_SIMULATION)
    s = load_scenario(path, ["simulation.seed=9", "simulation.replications=3"])
    assert (s.simulation.seed, s.simulation.replications) == (9, 3)
    assert s.simulation.duration == load_scenario(path).simulation.duration  # the rest keeps its defaults
    assert main(["validate", str(path), "--set", "simulation.seed=9"]) == 0


def test_a_typo_in_the_file_is_the_files_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(SCENARIO.replace("simulation:", "simulaton:"))
    assert main(["validate", str(path), "--set", "simulation.seed=4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path}: simulaton: unknown key (did you mean 'simulation'?)"


def test_scalar_provenance_with_set_is_the_files_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prov.yaml"
    path.write_text(SCENARIO + "provenance: 3\n")
    assert main(["validate", str(path), "--set", "simulation.seed=4"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {path}: provenance: must be a mapping of key paths"


def _no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated although the output directory was unusable")

    monkeypatch.setattr(runner, "run_replications", refuse)


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        ("file/x", "cannot write results here: file is a file, not a directory"),
        ("file/a/b", "cannot write results here: file is a file, not a directory"),
        ("dangling/x", "cannot write results here: dangling is a broken symbolic link"),
        ("dangling", "is a broken symbolic link; results are never written through one"),
        ("/proc/corridor-sim-x", "cannot write results here"),
    ],
    ids=["under-file", "deep-under-file", "through-dangling-link", "dangling-link", "proc"],
)
def test_unusable_output_is_refused_before_simulating(
    where: str,
    fragment: str,
    scenario: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    _no_simulation(monkeypatch)
    assert _run(scenario, Path(where)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {where}: ") and fragment in err, err
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("name", ["../escaped", "/tmp/corridor-sim-abs", "a/../../b", ".hidden", "x" * 200])
def test_a_scenario_name_is_a_label_never_a_path(name: str, scenario: Path, tmp_path: Path) -> None:
    path = tmp_path / "named.yaml"
    path.write_text(SCENARIO.replace("name: tiny", f"name: {json.dumps(name)}"))
    assert main(["run", str(path), "--quiet", "--no-cache"]) == 0
    made = [p for p in (tmp_path / "results").iterdir()]
    assert len(made) == 1 and not made[0].name.startswith(".") and len(made[0].name) <= 90, made
    assert [p.name for p in tmp_path.iterdir() if p.name not in ("results", "named.yaml", "tiny.yaml")] == []
    assert not Path("/tmp/corridor-sim-abs").exists()
    summary = json.loads(next(made[0].iterdir()).joinpath("summary.json").read_text())
    assert summary["scenario"] == name  # the label itself is kept as written


def test_default_directories_of_one_second_never_collide(tmp_path: Path) -> None:
    root = tmp_path / "results"
    with workspace.claim(None, root, "s") as a, workspace.claim(None, root, "s") as b:
        assert a != b and a.is_dir() and b.is_dir() and a.parent == b.parent == root / "s"
    assert list((root / "s").iterdir()) == []  # claimed and unused: removed again


def test_a_dead_runs_leftovers_are_cleaned_and_a_live_ones_kept(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "results"
    parent.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    stale = parent / f".old.partial-{host}-{int(dead.stdout)}"
    stale.mkdir()
    (stale / "containers.csv").write_text("x")
    (parent / "old").mkdir()  # the dead run's claimed, still empty results directory
    live = parent / f".busy.partial-{host}-{os.getpid()}"
    elsewhere = parent / f".far.partial-another-host-{int(dead.stdout)}"
    live.mkdir()
    elsewhere.mkdir()
    assert _run(scenario, parent / "new") == 0
    assert not stale.exists() and not (parent / "old").exists()
    assert live.exists() and elsewhere.exists() and (parent / "new" / "summary.json").exists()


def test_sigkill_leftovers_are_cleaned_by_the_next_run(scenario: Path, tmp_path: Path) -> None:
    """A real SIGKILL while results sit staged: the staging directory and the claimed directory stay behind (nothing
    can run in a killed process); the next run writing beside them removes both."""
    ready, out = tmp_path / "ready", tmp_path / "results" / "killed"
    env = {**os.environ, "CORRIDOR_SIM_CACHE": str(tmp_path / "cache")}
    args = [sys.executable, "-c", DRIVER, str(ready), "run", str(scenario), "--out", str(out), "--quiet", "--no-cache"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the run never reached its write stage"
            time.sleep(0.05)
        proc.kill()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    staging = Path(ready.read_text())
    assert staging.exists() and out.is_dir() and _leftovers(out.parent) == [staging.name]
    assert _run(scenario, out.parent / "next") == 0
    assert _leftovers(out.parent) == [] and not out.exists() and (out.parent / "next" / "summary.json").exists()
