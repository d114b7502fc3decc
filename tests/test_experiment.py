"""Experiments: executors give identical tables, named streams isolate parts, intervals cover, the cache resumes."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import load, run, scenario_dict

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
    assert len(list(tmp_path.rglob("*.pkl"))) == 9


_REAL_RUN_TO_FILE = experiment.run_to_file


def _noting_run_to_file(*args: object) -> None:
    """`run_to_file` that first notes its process id (module-level: jobs are pickled by reference)."""
    with open(os.environ["CORRIDOR_SIM_TEST_PIDS"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    _REAL_RUN_TO_FILE(*args)


def _worker_pids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make every replication run in a worker process note that process's id in a file; returns the file."""
    log = tmp_path / "pids"
    monkeypatch.setenv("CORRIDOR_SIM_TEST_PIDS", str(log))
    monkeypatch.setattr(experiment, "run_to_file", _noting_run_to_file)
    return log


_REAL_RUN_ONE = experiment.run_one


def _run_one_slowly_in_the_parent(*args: object) -> dict[str, pd.DataFrame]:
    """`run_one` that, in the test's own process, notes the run and takes half a second longer."""
    if os.getpid() == int(os.environ["CORRIDOR_SIM_TEST_PARENT"]):
        with open(os.environ["CORRIDOR_SIM_TEST_PARENT_RUNS"], "a") as fh:
            fh.write("run\n")
        time.sleep(0.5)
    return _REAL_RUN_ONE(*args)


def _slow_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Slow the parent's own replications, so a pool process surely claims jobs (it starts while the parent runs
    its first one) whatever the machine's speed; returns the file where the parent notes each of its runs."""
    monkeypatch.setenv("CORRIDOR_SIM_TEST_PARENT", str(os.getpid()))
    monkeypatch.setenv("CORRIDOR_SIM_TEST_PARENT_RUNS", str(tmp_path / "parent-runs"))
    monkeypatch.setattr(experiment, "run_one", _run_one_slowly_in_the_parent)
    return tmp_path / "parent-runs"


def test_execution_block_keeps_its_worker_processes_for_every_run_many(
    tmp_path: Path, tasks: list, serial: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 2 workers the parent runs replications itself beside one pool process, kept for the whole block."""
    log = _worker_pids(tmp_path, monkeypatch)
    parent_runs = _slow_parent(tmp_path, monkeypatch)
    with experiment.execution(workers=2, executor="processes"):
        first = run_many(tasks[:2], replications=3, workers=2)
        by_first = log.read_text().split()
        second = run_many(tasks[2:], replications=3, workers=2)
    assert_same(serial, first + second)
    lines = log.read_text().split()
    assert 1 <= len(by_first) < 6  # the pool process ran some of the first call's 6 jobs, the parent the others
    assert len(by_first) < len(lines) < 9  # and some of the second call's 3, as did the parent
    assert len(lines) + len(parent_runs.read_text().split()) == 9  # every job ran once, in one process or the other
    pids = {int(line) for line in lines}
    assert len(pids) == 1 and os.getpid() not in pids  # one pool process for both calls
    for pid in pids:  # the block shut its pool down: the workers have exited
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

    log.unlink()  # outside a block, each call starts (and stops) workers of its own
    run_many(tasks[:1], replications=3, workers=2)
    run_many(tasks[:1], replications=3, workers=2)
    pids = {int(line) for line in log.read_text().split()}
    assert len(pids) == 2 and os.getpid() not in pids


def _failing_run_to_file(*args: object) -> None:
    raise RuntimeError("replication failed in a worker process")


def test_a_worker_process_error_is_raised_and_ends_the_call_early(
    tmp_path: Path, tasks: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent stops at its next job boundary and raises the worker's error, not after running every job."""
    parent_runs = _slow_parent(tmp_path, monkeypatch)
    monkeypatch.setattr(experiment, "run_to_file", _failing_run_to_file)
    with pytest.raises(RuntimeError, match="replication failed in a worker process"):
        run_many(tasks[:1], replications=8, workers=2)
    assert 1 <= len(parent_runs.read_text().split()) < 4  # of 8 jobs: the parent went on for at most a job or two


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
    """A finished replication's model (its SimPy processes and events hold it in reference cycles) is freed before
    the next one starts. Left to the collector, the next replication froze it with the rest of the heap and memory
    grew by about 3 MB per replication of the 2023 scenario, without end."""
    scenario, seed = tasks[0]
    gc.collect()
    for r in range(3):
        experiment.run_one(scenario, r, seed)
    alive = [o for o in gc.get_objects() if isinstance(o, (CorridorModel, simpy.Environment))]
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
    assert len(list((tmp_path / "cache").rglob("*.pkl"))) == 9
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
    assert resolve_cache().root == Path("results/.cache")
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
    assert len(list(cache.rglob("*.pkl"))) == 2
    monkeypatch.setattr(experiment, "run_one", lambda *a: pytest.fail("a cached replication was recomputed"))
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--cache", str(cache), "--quiet"]) == 0
    for name in ("containers", "sections", "sailings", "occupancy"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [([], "results/.cache"), (["--cache", "elsewhere"], "elsewhere"), (["--cache", "elsewhere", "--no-cache"], None)],
)
def test_cli_cache_flags_reach_every_run_many(
    flags: list[str], expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridor_sim.cli import _execution, build_parser

    monkeypatch.delenv("CORRIDOR_SIM_CACHE", raising=False)
    for command in (["run", "s.yaml"], ["compare", "a.yaml", "b.yaml"], ["sweep", "s.yaml", "--param", "x=1,2"]):
        with _execution(build_parser().parse_args([*command, *flags])):
            cache = experiment._settings.get().cache
            assert (cache.root if cache else None) == (Path(expected) if expected else None)


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
