"""The replication cache holds data, never code: bad entries are misses with a warning, an unwritable cache is no
cache, and its size stays under the cap by dropping the least recently used entries."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import load
from test_experiment import assert_same, small

from corridor_sim import cache as cache_mod
from corridor_sim.cache import LAYOUT, ReplicationCache, parse_size, write_entry
from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import run_many, run_one

SEED = 4


@pytest.fixture(scope="module")
def scenario():
    return load(small())


@pytest.fixture(scope="module")
def fresh(scenario) -> dict[str, pd.DataFrame]:
    return run_many([(scenario, SEED)], replications=2)[0]


def _entry(cache: ReplicationCache, scenario, replication: int = 1) -> Path:
    path = cache.path(cache.scenario_key(scenario), SEED, replication)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_layout_is_what_a_replication_produces(scenario) -> None:
    """The cache accepts exactly the tables and columns the engine writes (so a change there is seen here)."""
    tables = run_one(scenario, 0, SEED)
    assert {name: tuple(df.columns) for name, df in tables.items()} == LAYOUT


def test_an_entry_reads_back_identical_with_its_types(tmp_path: Path, scenario, fresh) -> None:
    cache = ReplicationCache(tmp_path)
    assert_same([fresh], run_many([(scenario, SEED)], replications=2, cache=cache))
    key = cache.scenario_key(scenario)
    back = [cache.get(key, SEED, r) for r in range(2)]
    assert_same([fresh], [{name: pd.concat([b[name] for b in back], ignore_index=True) for name in LAYOUT}])


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["EXPLOIT_MARK"]),))


def test_a_crafted_pickle_entry_runs_no_code_and_is_recomputed(
    tmp_path: Path, scenario, fresh, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mark = tmp_path / "exploited"
    monkeypatch.setenv("EXPLOIT_MARK", str(mark))
    cache = ReplicationCache(tmp_path / "cache")
    entry = _entry(cache, scenario)
    entry.write_bytes(pickle.dumps(_Exploit()))
    pickle.loads(entry.read_bytes())  # the premise: loading this file as a pickle runs code
    assert mark.exists()
    mark.unlink()
    with caplog.at_level(logging.WARNING, "corridor_sim"):
        assert_same([fresh], run_many([(scenario, SEED)], replications=2, cache=cache))
    assert not mark.exists()
    [warning] = caplog.messages
    assert warning.startswith("warning: cache entry") and str(entry) in warning and "\n" not in warning
    assert cache.get(cache.scenario_key(scenario), SEED, 1) is not None  # recomputed and stored anew


def _tables_with(fresh: dict[str, pd.DataFrame], replication: int, **changes) -> dict[str, pd.DataFrame]:
    tables = {name: df[df.replication == replication].reset_index(drop=True) for name, df in fresh.items()}
    tables.update(changes)
    return {name: df for name, df in tables.items() if df is not None}


@pytest.mark.parametrize(
    "damage",
    ["missing table", "renamed column", "other replication's rows", "other key", "other format", "not arrow"],
)
def test_a_wrong_entry_is_a_miss_with_one_warning(
    damage: str, tmp_path: Path, scenario, fresh, caplog: pytest.LogCaptureFixture
) -> None:
    """Every kind of well-formed-but-wrong entry is ignored with a one-line warning; the run gives the same tables."""
    cache = ReplicationCache(tmp_path)
    entry, key = _entry(cache, scenario), cache.scenario_key(scenario)
    if damage == "missing table":
        write_entry(entry, key, SEED, 1, _tables_with(fresh, 1, tracks=None))
    elif damage == "renamed column":
        sections = _tables_with(fresh, 1)["sections"].rename(columns={"days": "hours"})
        write_entry(entry, key, SEED, 1, _tables_with(fresh, 1, sections=sections))
    elif damage == "other replication's rows":
        write_entry(entry, key, SEED, 1, _tables_with(fresh, 0))
    elif damage == "other key":
        write_entry(entry, "another-model", SEED, 1, _tables_with(fresh, 1))
    elif damage == "other format":
        table = pa.table({"table": ["containers"]}, metadata={"format": "something else"})
        with pa.OSFile(str(entry), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    else:
        entry.write_bytes(b"\x00" * 1000)
    with caplog.at_level(logging.WARNING, "corridor_sim"):
        assert_same([fresh], run_many([(scenario, SEED)], replications=2, cache=cache))
    assert len(caplog.messages) == 1 and caplog.messages[0].startswith("warning: cache entry")


def test_a_read_only_cache_is_no_cache_with_a_warning(
    tmp_path: Path, scenario, fresh, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o555)
    if os.access(root, os.W_OK):  # root ignores permission bits: use a read-only file system if there is one
        root = Path("/sys/corridor-sim-cache")
        try:
            root.mkdir()
        except OSError:
            pass
        else:
            root.rmdir()
            pytest.skip("no read-only directory available to this user")
    with caplog.at_level(logging.WARNING, "corridor_sim"):
        assert_same([fresh], run_many([(scenario, SEED)], replications=2, workers=2, cache=ReplicationCache(root)))
    [warning] = caplog.messages
    assert warning.startswith(f"warning: cache {root} cannot be written") and "without the cache" in warning


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cache_that_fails_mid_run_is_dropped_with_one_warning(
    workers: int, tmp_path: Path, scenario, fresh, caplog: pytest.LogCaptureFixture
) -> None:
    """Writes failing while the run goes on (here: a file where the entries' folder should be, as a full disk
    would fail them): the run finishes with the right tables and says so once, from a worker or this process."""
    cache = ReplicationCache(tmp_path)
    cache.path(cache.scenario_key(scenario), SEED, 0).parent.write_text("in the way")
    with caplog.at_level(logging.WARNING, "corridor_sim"):
        assert_same([fresh], run_many([(scenario, SEED)], replications=2, workers=workers, cache=cache))
    [warning] = caplog.messages
    assert "cannot be written" in warning and "going on without" in warning


def test_pruning_removes_the_least_recently_used_entries_first(tmp_path: Path, scenario, fresh) -> None:
    cache = ReplicationCache(tmp_path)
    run_many([(scenario, SEED)], replications=2, cache=cache)
    key = cache.scenario_key(scenario)
    sizes = [cache.path(key, SEED, r).stat().st_size for r in range(2)]
    run_many([(scenario, SEED + 1)], replications=2, cache=cache)  # four entries, written in this order
    for i, (seed, r) in enumerate([(SEED, 0), (SEED + 1, 0), (SEED + 1, 1), (SEED, 1)]):
        os.utime(cache.path(key, seed, r), (1e9 + i, 1e9 + i))  # last used in this order
    cache.get(key, SEED + 1, 0)  # ... and reading one makes it the most recent
    cache.max_bytes = sum(sizes) + 100  # room for about two
    assert cache.prune() > 0
    left = sorted(p.name for p in tmp_path.rglob("*.arrow"))
    assert left == sorted([f"seed{SEED + 1}-rep0.arrow", f"seed{SEED}-rep1.arrow"])
    assert cache.usage().size <= cache.max_bytes


def test_a_run_leaves_the_cache_under_its_cap(tmp_path: Path, scenario, fresh, monkeypatch) -> None:
    one = ReplicationCache(tmp_path / "probe")
    run_many([(scenario, SEED)], replications=1, cache=one)
    size = one.usage().size
    monkeypatch.setenv("CORRIDOR_SIM_CACHE_SIZE", str(int(size * 3.5)))
    cache = ReplicationCache(tmp_path / "capped")
    assert_same([fresh], run_many([(scenario, SEED)], replications=2, cache=cache))
    run_many([(scenario, SEED + 1)], replications=4, workers=2, cache=cache)
    assert cache.usage().entries == 3 and cache.usage().size <= cache.max_bytes


def test_stale_temporary_files_of_dead_writers_are_pruned(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path)
    (tmp_path / "k").mkdir()
    old, new = tmp_path / "k" / ".tmp-a.arrow", tmp_path / "k" / ".tmp-b.arrow"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (1e9, 1e9))
    cache.prune()
    assert not old.exists() and new.exists()  # a write in progress elsewhere is left alone


def test_size_cap_parsing() -> None:
    assert parse_size("500MB", "k") == 500 * 1024**2 and parse_size("2gb", "k") == 2 * 1024**3
    assert parse_size("1.5 GiB", "k") == int(1.5 * 1024**3) and parse_size("4096", "k") == 4096
    with pytest.raises(ScenarioError, match="not a size"):
        parse_size("lots", "k")


def test_cli_cache_info_and_clear(
    tmp_path: Path, scenario, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path))
    run_many([(scenario, SEED)], replications=2, cache=cache_mod.resolve_cache())
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "2 replications" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 2 replications" in capsys.readouterr().out
    assert list(tmp_path.rglob("*.arrow")) == []
    monkeypatch.setenv("CORRIDOR_SIM_CACHE_SIZE", "lots")
    assert main(["cache", "info"]) == 2
    assert "CORRIDOR_SIM_CACHE_SIZE" in capsys.readouterr().err


def test_workers_beyond_the_cores_are_capped_unless_forced(
    tmp_path: Path, write_yaml, capsys: pytest.CaptureFixture[str]
) -> None:
    from corridor_sim.experiment import usable_workers

    cores = len(os.sched_getaffinity(0))
    assert usable_workers(cores) == (cores, None)
    assert usable_workers(cores + 5, force=True) == (cores + 5, None)
    capped, message = usable_workers(200)
    assert capped == cores and "--force-workers" in message
    path = write_yaml(small(simulation={**small()["simulation"], "duration": "20d", "replications": 1}))
    assert main(["run", str(path), "--out", str(tmp_path / "r"), "--quiet", "--workers", "200", "--no-cache"]) == 0
    assert f"capped at {cores}" in capsys.readouterr().err
