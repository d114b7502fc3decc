"""Experiments: executors give identical tables, named streams isolate parts, intervals cover, the cache resumes."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import load, run, scenario_dict, sigint_as_from_a_terminal

from corridor_sim import analysis, experiment
from corridor_sim.cache import ReplicationCache, resolve_cache
from corridor_sim.engine.model import CorridorModel
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import run_many, run_replications
from corridor_sim.records import CLASSES, METRICS, STATES, STATUSES

NODES = {
    "a": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}},
    "b": {"role": "border", "handling": {"servers": 2, "time": {"dist": "exponential", "mean": "10h"}}},
    "p": {"role": "port", "handling": {"servers": 1, "time": "3h"}, "berths": 1},
    "q": {"role": "port", "formation": {"train_size": 40, "max_wait": "48h"}},
    "z": {"role": "terminal"},
}
SEGMENTS = {
    "ab": {
        "from": "a",
        "to": "b",
        "distance": "800km",
        "speed": {"dist": "uniform", "low": "600km/d", "high": "900km/d"},
        "trains_per_day": 6,
    },
    "bp": {"from": "b", "to": "p", "travel_time": {"dist": "triangular", "low": "20h", "mode": "30h", "high": "50h"}},
    "pq": {
        "from": "p",
        "to": "q",
        "mode": "ferry",
        "vessels": [{"capacity_teu": 160, "count": 2}],
        "crossing_time": {"dist": "lognormal", "mean": "20h", "cv": 0.3},
        "load_time": "6h",
        "unload_time": "6h",
        "departure": {"rule": "when_full", "max_wait": "72h"},
    },
    "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h"},
}
FLOWS = {"f": {"origin": "a", "destination": "z", "teu_per_year": 9000, "containers_per_train": 40}}


def small(**changes: object) -> dict:
    raw = scenario_dict(NODES, SEGMENTS, FLOWS, duration="90d", warmup="10d", cooldown="20d", seed=3)
    for key, value in changes.items():
        raw[key] = value
    return raw


def assert_same(a: list[dict[str, pd.DataFrame]], b: list[dict[str, pd.DataFrame]]) -> None:
    assert len(a) == len(b)
    for ta, tb in zip(a, b, strict=True):
        assert ta.keys() == tb.keys()
        for name in ta:
            pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True)


@pytest.fixture(scope="module")
def tasks() -> list:
    """Two scenarios × seeds, so task order and replication order both matter."""
    busy = small(demand={"flows": {"f": {**FLOWS["f"], "teu_per_year": 14000}}})
    return [(load(small()), 3), (load(busy), 3), (load(small()), 8)]


@pytest.fixture(scope="module")
def serial(tasks: list) -> list[dict[str, pd.DataFrame]]:
    return run_many(tasks, replications=3)


def test_serial_tables_are_per_task_in_replication_order(tasks: list, serial: list) -> None:
    for tables in serial:
        reps = tables["containers"]["replication"].to_numpy()
        assert list(np.unique(reps)) == [0, 1, 2] and np.all(np.diff(reps) >= 0)
    # different scenarios and different seeds really give different tables (so the equality tests can fail)
    assert len(serial[0]["containers"]) != len(serial[1]["containers"])
    assert not serial[0]["containers"]["start_day"].equals(serial[2]["containers"]["start_day"])
    # a replication does not depend on the others being run: replication 2 alone equals its slice of the batch
    alone = experiment.run_one(tasks[2][0], 2, 8)["containers"]
    batch = serial[2]["containers"]
    pd.testing.assert_frame_equal(alone, batch[batch.replication == 2].reset_index(drop=True))


def test_two_processes_give_identical_tables(tasks: list, serial: list) -> None:
    assert_same(serial, run_many(tasks, replications=3, workers=2, executor="processes"))


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster


def test_dask_cluster_gives_identical_tables(tasks: list, serial: list, dask_cluster) -> None:
    done: list[int] = []
    tables = run_many(tasks, replications=3, scheduler=dask_cluster.scheduler_address, progress=done.append)
    assert_same(serial, tables)
    assert sum(done) == 9


def test_execution_block_sends_every_run_many_to_its_executor_and_cache(
    tmp_path: Path, tasks: list, serial: list, dask_cluster
) -> None:
    def computed() -> int:  # replications the cluster has run so far (its scheduler lives in this process)
        prefix = dask_cluster.scheduler.task_prefixes.get("run_one")
        return prefix.state_counts["memory"] if prefix is not None else 0

    before = computed()
    with experiment.execution(scheduler=dask_cluster.scheduler_address, cache=ReplicationCache(tmp_path)):
        first = run_many(tasks[:2], replications=3)
        second = run_many(tasks[2:], replications=3)
    assert_same(serial, first + second)
    assert computed() - before == 9
    assert len(list(tmp_path.rglob("*.arrow"))) == 9


START_METHODS = multiprocessing.get_all_start_methods()  # fork, spawn and forkserver on Linux


@pytest.mark.parametrize("method", START_METHODS)
def test_every_start_method_gives_identical_tables_and_cache_entries(
    method: str, tmp_path: Path, tasks: list, serial: list
) -> None:
    """Workers get everything they need through their jobs, nothing inherited from a forked parent: under spawn
    and forkserver they start from a fresh interpreter. They write the cache entries themselves."""
    cache = ReplicationCache(tmp_path)
    assert_same(serial, run_many(tasks, replications=3, workers=2, start_method=method, cache=cache))
    assert len(list(tmp_path.rglob("*.arrow"))) == 9
    assert not list(tmp_path.rglob(".tmp-*")), "temporary files must be renamed into place"
    assert all(cache.get(cache.scenario_key(s), seed, r) is not None for s, seed in tasks for r in range(3))
    assert multiprocessing.active_children() == []  # a call's own pool is stopped when the call returns


def test_execution_block_keeps_its_worker_processes_for_every_run_many(tasks: list, serial: list) -> None:
    """A sweep calls run_many chunk after chunk: the block starts its workers once and stops them on leaving."""
    assert multiprocessing.active_children() == []
    with experiment.execution(workers=2, executor="processes"):
        first = run_many(tasks[:2], replications=3)
        pool = set(multiprocessing.active_children())
        second = run_many(tasks[2:], replications=3)
        assert set(multiprocessing.active_children()) == pool and len(pool) == 2
    assert_same(serial, first + second)
    assert multiprocessing.active_children() == []


def test_a_worker_process_error_is_raised_and_ends_the_call_early(tasks: list) -> None:
    """A replication that fails in a worker stops the call with its error, not after every other job."""
    scenario, seed = tasks[0]
    flows = scenario.demand.flows
    broken = scenario.model_copy(
        update={
            "demand": scenario.demand.model_copy(
                update={"flows": {"f": flows["f"].model_copy(update={"origin": "nowhere"})}}
            )
        }
    )
    done: list[int] = []
    with pytest.raises(Exception, match="nowhere"):
        run_many([(broken, seed), (scenario, seed)], replications=12, workers=2, progress=done.append)
    assert sum(done) < 12  # of 24 jobs, the 12 broken ones first: the call stopped long before the good ones ran
    assert multiprocessing.active_children() == []


def test_dask_workers_with_other_code_are_refused(dask_cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    def fingerprint(dask_worker: object = None) -> str:  # Client.run passes the worker to a `dask_worker` argument
        return "this machine" if dask_worker is None else "another version"

    with experiment.dask_client(scheduler=dask_cluster.scheduler_address):
        pass  # same code everywhere: accepted
    monkeypatch.setattr(experiment, "code_fingerprint", fingerprint)
    with (
        pytest.raises(ScenarioError, match="2 Dask worker"),
        experiment.dask_client(scheduler=dask_cluster.scheduler_address),
    ):
        pass


def test_a_replication_leaves_no_model_behind(tasks: list) -> None:
    """Nothing keeps a finished replication's model (its SimPy processes and events) reachable: once collected, no
    model or environment is left, however many replications ran (a kept model grew memory ~3 MB per replication)."""
    scenario, seed = tasks[0]
    gc.collect()
    # what an earlier test keeps (a fixture, a kept traceback) is not this test's: only new objects count
    before = weakref.WeakSet(o for o in gc.get_objects() if isinstance(o, (CorridorModel, simpy.Environment)))
    for r in range(3):
        experiment.run_one(scenario, r, seed)
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, (CorridorModel, simpy.Environment)) and o not in before]
    assert alive == []


def test_run_replications_is_run_many_of_one_task(tasks: list, serial: list) -> None:
    scenario, seed = tasks[1]
    assert_same([serial[1]], [run_replications(scenario, 3, seed, workers=2)])


def test_adding_a_disruption_leaves_other_parts_draws_unchanged() -> None:
    """With one global RNG the outage draws would interleave with demand draws and shift every arrival after them."""
    plain = load(small())
    disrupted = load(
        small(
            disruptions={
                "strike": {
                    "target": "b",
                    "every": {"dist": "exponential", "mean": "10d"},
                    "duration": {"dist": "exponential", "mean": "2d"},
                }
            }
        )
    )
    base, hit = run_many([(plain, 5), (disrupted, 5)], replications=2)
    closed = hit["occupancy"].query("metric == 'closed'")
    assert len(closed) > 0, "the disruption must actually close the border"
    # arrivals (the demand stream) are identical, container by container
    pd.testing.assert_series_equal(base["containers"]["start_day"], hit["containers"]["start_day"])
    # ... while what happens downstream of the border does change
    assert not base["containers"]["transit_days"].equals(hit["containers"]["transit_days"])
    # and replications are independent streams, not copies
    starts = base["containers"].groupby("replication", observed=True)["start_day"].apply(lambda s: s.to_numpy()[:20])
    assert not np.array_equal(starts[0], starts[1])


def test_t_interval_covers_a_known_mean_at_the_nominal_rate() -> None:
    """2000 studies of 5 skewed replication means (each the mean of 30 exponentials, true mean 2): coverage ≈ 95%.

    A normal (z) interval on 5 values would cover only about 88%, so the test tells t from z.
    """
    rng = np.random.default_rng(42)
    means = rng.exponential(2.0, size=(2000, 5, 30)).mean(axis=2)
    covered = np.mean([lo <= 2.0 <= hi for lo, hi in map(analysis.t_interval, means)])
    assert 0.935 <= covered <= 0.965, covered


def test_t_interval_over_simulated_mm1_replications_covers_the_sojourn_time() -> None:
    """M/M/1 (λ = 0.05/h, service mean 10 h) then 1 h of line: mean transit 1/(μ − λ) + 1 h = 21 h, by theory."""
    nodes = {
        "a": {"role": "terminal", "handling": {"servers": 1, "time": {"dist": "exponential", "mean": "10h"}}},
        "z": {"role": "terminal"},
    }
    segments = {"az": {"from": "a", "to": "z", "travel_time": "1h"}}
    flows = {"f": {"origin": "a", "destination": "z", "trains_per_week": 0.05 * 168, "containers_per_train": 1}}
    scenario = load(
        scenario_dict(nodes, segments, flows, duration="100d", warmup="10d", cooldown="5d", monitor_interval="30d")
    )
    studies, n = 30, 4
    containers = analysis.measured(run_many([(scenario, 1)], replications=studies * n, workers=2)[0]["containers"])
    means = containers.groupby("replication", observed=True)["transit_days"].mean().to_numpy() * 24
    truth = 1 / (0.1 - 0.05) + 1
    covered = np.mean([lo <= truth <= hi for lo, hi in map(analysis.t_interval, means.reshape(studies, n))])
    assert covered >= 0.85, covered
    lo, hi = analysis.t_interval(means)
    assert lo <= truth <= hi and hi - lo < 0.2 * truth


def test_bootstrap_percentiles_equal_percentiles_of_concatenated_picks() -> None:
    """The search over multiplicities gives what the definition gives: for each resample, draw replications with
    replacement, concatenate their values, take numpy's percentile. Ties, single-value replications, q = 0 and 100."""
    rng = np.random.default_rng(11)
    for trial in range(40):
        sizes = rng.integers(1, 40, int(rng.integers(2, 9)))
        values = np.concatenate(
            [np.round(rng.gamma(2.0, 5.0, n) + r, int(rng.integers(0, 2))) for r, n in enumerate(sizes)]
        )
        frame = pd.DataFrame({"replication": np.repeat(np.arange(len(sizes)), sizes), "transit_days": values})
        groups = [values[frame["replication"].to_numpy() == r] for r in range(len(sizes))]
        qs = (0, 10, 50, 90, 100, float(rng.uniform(0, 100)))
        intervals = analysis.bootstrap_percentiles(frame, qs, n_boot=30, seed=trial)  # all from the same resamples
        for q, interval in zip(qs, intervals, strict=True):
            draws = np.random.default_rng(trial)
            est = [
                np.percentile(np.concatenate([groups[i] for i in draws.integers(0, len(sizes), len(sizes))]), q)
                for _ in range(30)
            ]
            expected = (np.percentile(est, 2.5), np.percentile(est, 97.5))
            np.testing.assert_allclose(interval, expected, rtol=1e-12, atol=1e-12)


def test_bootstrap_percentile_interval_shrinks_with_more_replications() -> None:
    """Replications with a random level each: the interval narrows about as 1/√replications and covers the truth.

    From 8 to 128 replications √16 = 4 (a little less: with 8 replications the bootstrap is itself too narrow).
    """
    rng = np.random.default_rng(7)

    def frame(reps: int) -> pd.DataFrame:
        level = rng.normal(0.0, 1.0, reps)
        values = level[:, None] + rng.normal(0.0, 1.0, (reps, 20))
        return pd.DataFrame({"replication": np.repeat(np.arange(reps), 20), "transit_days": values.ravel()})

    def width(reps: int) -> float:  # averaged over a few studies: one interval's width is itself noisy
        intervals = [analysis.bootstrap_percentiles(frame(reps), [90])[0] for _ in range(4)]
        return float(np.mean([hi - lo for lo, hi in intervals]))

    widths = {reps: width(reps) for reps in (8, 32, 128)}
    assert widths[8] > widths[32] > widths[128]
    assert 2.0 < widths[8] / widths[128] < 6.5, widths
    [(lo, hi)] = analysis.bootstrap_percentiles(frame(128), [90])
    assert lo <= 1.2816 * np.sqrt(2) <= hi  # pooled N(0, 2): its 90th percentile


def test_second_run_hits_the_cache_and_gives_identical_tables(
    tmp_path: Path, tasks: list, serial: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ReplicationCache(tmp_path / "cache")
    first = run_many(tasks, replications=3, workers=2, cache=cache)
    assert_same(serial, first)
    assert len(list((tmp_path / "cache").rglob("*.arrow"))) == 9
    assert not list((tmp_path / "cache").rglob(".tmp-*")), "temporary files must be renamed into place"

    def no_compute(*args: object) -> None:
        raise AssertionError("a cached replication was recomputed")

    monkeypatch.setattr(experiment, "run_one", no_compute)
    done: list[int] = []
    assert_same(serial, run_many(tasks, replications=3, cache=cache, progress=done.append))
    assert done == [9]
    # more replications than cached: only the new ones run (and they are missing here, so run_one is called)
    with pytest.raises(AssertionError, match="recomputed"):
        run_many(tasks[:1], replications=4, cache=cache)


def test_cache_key_follows_the_model_not_its_labels(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path)
    base = small()
    key = cache.scenario_key(load(base))
    assert cache.scenario_key(load({**base, "name": "renamed"})) == key
    assert cache.scenario_key(load({**base, "simulation": {**base["simulation"], "replications": 9}})) == key
    changed = [
        {**base, "simulation": {**base["simulation"], "warmup": "11d"}},
        {
            **base,
            "network": {
                **base["network"],
                "nodes": {**NODES, "a": {"role": "terminal", "handling": {"servers": 1, "time": "3h"}}},
            },
        },
        {**base, "demand": {"flows": {"f": {**FLOWS["f"], "containers_per_train": 41}}}},
    ]
    for raw in changed:
        assert cache.scenario_key(load(raw)) != key


def test_changing_a_parameter_misses_the_cache(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path)
    scenario = load(small())
    run_many([(scenario, 1)], replications=1, cache=cache)
    other = load(small(demand={"flows": {"f": {**FLOWS["f"], "teu_per_year": 9001}}}))
    assert cache.get(cache.scenario_key(other), 1, 0) is None
    assert cache.get(cache.scenario_key(scenario), 2, 0) is None  # another seed
    assert cache.get(cache.scenario_key(scenario), 1, 0) is not None


def test_unreadable_cache_entry_is_recomputed(tmp_path: Path, tasks: list, serial: list) -> None:
    cache = ReplicationCache(tmp_path)
    scenario, seed = tasks[0]
    entry = cache.path(cache.scenario_key(scenario), seed, 1)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"not a pickle")
    assert_same(serial[:1], run_many([(scenario, seed)], replications=3, cache=cache))


def test_cache_location_flag_then_environment_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORRIDOR_SIM_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache().root.is_relative_to(tmp_path / "xdg" / "corridor-sim")
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path / "env"))
    assert resolve_cache().root == tmp_path / "env"
    assert resolve_cache(tmp_path / "flag").root == tmp_path / "flag"
    assert resolve_cache(tmp_path / "flag", enabled=False) is None


def test_missing_dask_is_a_one_line_input_error(monkeypatch: pytest.MonkeyPatch, tasks: list) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ScenarioError, match=r"corridor-sim\[dask\]"):
        run_many(tasks[:1], replications=1, executor="dask")


def test_bad_arguments_are_input_errors(tasks: list) -> None:
    with pytest.raises(ScenarioError):
        run_many(tasks, replications=0)
    with pytest.raises(ScenarioError):
        run_many(tasks, replications=1, workers=0)
    with pytest.raises(ScenarioError):
        run_many(tasks, replications=1, executor="threads")  # type: ignore[arg-type]


def test_cli_rerun_reuses_the_cache_and_writes_identical_tables(
    tmp_path: Path, write_yaml, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridor_sim.cli import main

    path = write_yaml(
        small(simulation={"duration": "40d", "warmup": "5d", "cooldown": "10d", "seed": 2, "replications": 2})
    )
    cache = tmp_path / "cache"
    assert main(["run", str(path), "--out", str(tmp_path / "a"), "--cache", str(cache), "--quiet"]) == 0
    assert len(list(cache.rglob("*.arrow"))) == 2
    monkeypatch.setattr(experiment, "run_one", lambda *a: pytest.fail("a cached replication was recomputed"))
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--cache", str(cache), "--quiet"]) == 0
    for name in ("containers", "sections", "sailings", "occupancy"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [([], "xdg/corridor-sim"), (["--cache", "elsewhere"], "elsewhere"), (["--cache", "elsewhere", "--no-cache"], None)],
)
def test_cli_cache_flags_decide_where_replications_are_kept(
    flags: list[str], expected: str | None, tmp_path: Path, write_yaml, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default in the user cache directory (here $XDG_CACHE_HOME), never in the project; for run and compare."""
    from corridor_sim.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORRIDOR_SIM_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = write_yaml(
        small(simulation={"duration": "20d", "warmup": "2d", "cooldown": "5d", "seed": 2, "replications": 1})
    )
    assert main(["run", str(path), "--out", "r", "--quiet", *flags]) == 0
    assert main(["compare", str(path), str(path), "--out", "c", "--quiet", *flags]) == 0
    kept = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.arrow"))
    if expected is None:
        assert kept == []
    else:
        assert len(kept) == 1 and kept[0].parts[: len(Path(expected).parts)] == Path(expected).parts


def test_cli_without_dask_is_exit_2_with_one_line(
    tmp_path: Path, write_yaml, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from corridor_sim.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["run", str(write_yaml(small())), "--out", str(tmp_path / "x"), "--dask", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "corridor-sim[dask]" in err
    assert not (tmp_path / "x").exists()


def test_a_fully_cached_study_starts_no_dask_cluster(tmp_path: Path, tasks: list, serial: list) -> None:
    """The cluster is only reached when a replication has to run: this scheduler address does not exist."""
    cache = ReplicationCache(tmp_path)
    run_many(tasks, replications=3, cache=cache)
    with experiment.execution(scheduler="tcp://127.0.0.1:1", cache=cache):
        assert_same(serial, run_many(tasks, replications=3))


def test_label_columns_are_categoricals_with_the_same_categories_in_every_replication() -> None:
    """A replication without a closure has no `closed` rows, yet its `metric` column has the same categories as one
    with: replications then concatenate as categoricals (mixed categories would silently become `object`), and the
    categories are every name the scenario can produce, sorted."""
    raw = small()
    raw["disruptions"] = {"b_shut": {"target": "b", "every": {"dist": "exponential", "mean": "150d"}, "duration": "2d"}}
    scenario = load(raw)
    tables = run_replications(scenario, replications=6)
    closed = tables["occupancy"].loc[tables["occupancy"]["metric"].eq("closed"), "replication"].unique()
    assert 0 < len(closed) < 6  # the premise: some replications saw a closure, some did not

    places = sorted([*NODES, *SEGMENTS])
    expected = {
        "containers": {"flow": ["f"], "origin": ["a"], "destination": ["z"], "status": list(STATUSES)},
        "sections": {"destination": ["z"], "state": sorted(CLASSES)},
        "occupancy": {"location": places, "metric": sorted(METRICS)},
        "tracks": {"flow": ["f"], "location": places, "state": sorted(STATES)},
    }
    for table, columns in expected.items():
        for column, categories in columns.items():
            dtype = tables[table][column].dtype
            assert isinstance(dtype, pd.CategoricalDtype), (table, column, dtype)
            assert list(dtype.categories) == categories, (table, column)
    quiet = run(scenario, replication=min(set(range(6)) - set(closed)))["occupancy"]  # alone, without a closure
    assert not quiet["metric"].eq("closed").any()
    for label in ("location", "metric"):
        assert quiet[label].dtype == tables["occupancy"][label].dtype


ORPHAN = textwrap.dedent("""\
    import sys
    from corridor_sim.experiment import run_many
    from corridor_sim.loader import load_scenario

    def progress(k):
        print("progress", flush=True)

    short, long = load_scenario(sys.argv[1]), load_scenario(sys.argv[2])
    run_many([(short, 1), (long, 1)], replications=2, workers=2, start_method=sys.argv[3], progress=progress)
""")


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_stop_when_their_parent_is_killed(method: str, tmp_path: Path, write_yaml) -> None:
    """SIGKILL the parent while both workers are in a long replication (seconds): they notice and exit at once, so
    the caller's pipe on their stdout reaches end-of-file well before that replication could have finished."""
    short = write_yaml(small(), "short.yaml")
    long = write_yaml(small(simulation={**small()["simulation"], "duration": "90000d"}), "long.yaml")  # ~30 s
    proc = subprocess.Popen(
        [sys.executable, "-c", ORPHAN, str(short), str(long), method],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the test can clean up whatever is left
        env={**os.environ, "PYTHONPATH": str(Path(experiment.__file__).parents[1])},
    )
    try:
        assert proc.stdout.readline() == b"progress\n"
        assert proc.stdout.readline() == b"progress\n"  # both short replications done: the workers are on long ones
        proc.kill()
        proc.wait()
        reader = threading.Thread(target=proc.stdout.read)
        reader.start()
        reader.join(timeout=10)  # far less than the long replication, with room for a loaded machine
        assert not reader.is_alive(), "a worker outlived its parent and holds its stdout open"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # only this test's own process group


def test_ctrl_c_with_workers_exits_130_and_leaves_nothing(tmp_path: Path, write_yaml) -> None:
    """Ctrl-C reaches the whole process group: the command exits 130 with one line, the workers print no
    traceback, no results directory appears and the cache holds only whole entries."""
    path = write_yaml(small(simulation={**small()["simulation"], "replications": 300}))
    cache, out = tmp_path / "cache", tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridor_sim.cli", "run", str(path), "--out", str(out), "--workers", "2"]
        + ["--cache", str(cache), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=sigint_as_from_a_terminal,
        env={**os.environ, "PYTHONPATH": str(Path(experiment.__file__).parents[1])},
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(cache.rglob("*.arrow"))) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted: no results were written (partial output removed)"]
    assert not out.exists() and not [p for p in tmp_path.iterdir() if "partial" in p.name]
    entries = [e for e in cache.rglob("*.arrow") if not e.name.startswith(".tmp-")]  # a killed writer's temp file
    assert 2 <= len(entries) < 300
    kept = ReplicationCache(cache)
    for entry in entries:  # every entry whole and valid
        seed, rep = (int(x) for x in re.findall(r"\d+", entry.stem))
        assert kept.get(entry.parent.name, seed, rep) is not None
