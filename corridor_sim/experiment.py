"""Replications of one or many scenarios, run serially, in local processes or on a Dask cluster.

Every (scenario, seed, replication) is one independent job: a replication draws only from streams named by
(seed, replication, part) (see `corridor_sim.rng`), so its tables do not depend on which process or machine runs it
nor in what order. Results are put back in task and replication order before concatenation, which makes the tables
identical whatever the executor and the worker count. All jobs of all tasks share one pool, so a sweep of many points
with few replications each still keeps every worker busy.

With local processes, `workers` counts this process too: it runs replications itself beside `workers - 1` worker
processes, which hand their tables over as files, the cache entry itself when the cache is on (so this process only
reads them); entries from Dask workers are written here, so remote workers need no shared disk.

A command sets its executor, cache and Dask client once with `execution(...)`; every `run_many` inside the block
(a sweep or a calibration calls it many times) uses them unless told otherwise, and a Dask cluster is started once.
"""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from corridor_sim.cache import ReplicationCache, code_fingerprint, pickle_tables, unpickle_tables
from corridor_sim.engine import simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario

Tables = dict[str, pd.DataFrame]
Executor = Literal["serial", "processes", "dask"]
Job = tuple[int, int]  # (task index, replication)


@dataclass
class _Settings:
    executor: Executor | None = None
    cache: ReplicationCache | None = None
    dask: Callable[[], Any] | None = None  # the block's Dask client, started on first use
    pool: Callable[[int], ProcessPoolExecutor] | None = None  # the block's worker processes, started on first use


_settings: ContextVar[_Settings | None] = ContextVar("corridor_sim_execution", default=None)


@contextmanager
def execution(
    *,
    workers: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    cache: ReplicationCache | None = None,
) -> Iterator[None]:
    """Defaults for every `run_many` in the block. With Dask, one client for the whole block, connected (or its
    local cluster started) only when a replication is not in the cache. Worker processes, likewise, are started once
    for the block: a sweep calls `run_many` for chunk after chunk, and a pool forked anew each time, from a parent
    grown by the results so far, cost a sixth of the second worker's gain."""
    with ExitStack() as stack:
        clients: list[Any] = []
        pools: dict[int, ProcessPoolExecutor] = {}

        def client() -> Any:
            if not clients:
                clients.append(stack.enter_context(dask_client(workers, scheduler)))
            return clients[0]

        def pool(size: int) -> ProcessPoolExecutor:
            if size not in pools:
                pools[size] = ProcessPoolExecutor(size)
                stack.callback(pools[size].shutdown, wait=True, cancel_futures=True)
            return pools[size]

        dask = scheduler is not None or executor == "dask"
        if dask:
            _distributed(scheduler)  # a missing extra is reported at once, not at the first replication to run
        token = _settings.set(_Settings("dask" if dask else executor, cache, client if dask else None, pool))
        try:
            yield
        finally:
            _settings.reset(token)


def run_one(scenario: Scenario, replication: int, seed: int) -> Tables:
    """One replication (top-level so worker processes and Dask workers can import it).

    The heap that exists before the run (pandas, SciPy, the scenario, earlier results) is frozen for its duration:
    a replication allocates enough tracked objects (stage rows, events) to trigger dozens of collections, and a full
    one rescanned that whole long-lived heap every time (about 15 % of a replication, and memory traffic that two
    workers then compete for). New objects are still collected; nothing else changes.

    The finished model is collected before the heap thaws. Its SimPy processes and events hold it in reference
    cycles, so only the collector frees it; left for later, the next replication froze it with the rest of the heap
    and memory grew by about 3 MB per replication of the 2023 scenario, without end (870 MB after 300). Collected
    here, with only this replication's objects to scan, it costs about 2.5 ms.
    """
    gc.freeze()
    try:
        return simulate(scenario, build_network(scenario), replication, seed)
    finally:
        gc.collect()
        gc.unfreeze()


def concat(parts: Sequence[Tables]) -> Tables:
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}


def run_many(
    tasks: Sequence[tuple[Scenario, int]],
    *,
    replications: int,
    workers: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    cache: ReplicationCache | None = None,
) -> list[Tables]:
    """For each (scenario, seed) task, `replications` replications concatenated; one Tables per task, in order.

    `executor` defaults to "processes" when `workers` > 1, else "serial"; "dask" connects to `scheduler` if given,
    else starts a local cluster of `workers` processes (all cores when `workers` is 1). `progress(k)` is called as
    replications finish (cached ones included), so a bar over `len(tasks) * replications` shows an ETA.
    Executor and cache not given here come from the enclosing `execution(...)` block, if any.
    """
    settings = _settings.get() or _Settings()
    cache = cache or settings.cache
    if replications < 1:
        raise ScenarioError("must be at least 1", key="replications")
    if workers < 1:
        raise ScenarioError("must be at least 1", key="workers")
    if scheduler is not None:
        executor = "dask"
    executor = executor or settings.executor or ("processes" if workers > 1 else "serial")
    if executor not in ("serial", "processes", "dask"):
        raise ScenarioError(f"unknown executor {executor!r} (serial, processes or dask)", key="executor")

    results: dict[Job, Tables] = {}
    todo: list[Job] = []
    keys = [cache.scenario_key(scenario) for scenario, _ in tasks] if cache else []
    for t, (_, seed) in enumerate(tasks):
        for r in range(replications):
            hit = cache.get(keys[t], seed, r) if cache else None
            if hit is None:
                todo.append((t, r))
            else:
                results[(t, r)] = hit
    if progress and results:
        progress(len(results))

    def done(job: Job, tables: Tables, kept: bool = False) -> None:  # kept: a worker already wrote the cache entry
        results[job] = tables
        if cache and not kept:
            cache.put(keys[job[0]], tasks[job[0]][1], job[1], tables)
        if progress:
            progress(1)

    if todo:
        if executor == "dask":
            if scheduler is None and settings.dask is not None:
                _run_dask(settings.dask(), tasks, todo, done)
            else:
                with dask_client(workers, scheduler) as own:
                    _run_dask(own, tasks, todo, done)
        elif executor == "processes" and workers > 1 and len(todo) > 1:
            helpers = workers - 1  # the parent is one of the workers
            if settings.pool is not None:
                _run_processes(settings.pool(helpers), helpers, tasks, todo, done, cache, keys)
            else:
                helpers = min(helpers, len(todo) - 1)  # a pool of its own: no process that would find no job
                with ProcessPoolExecutor(helpers) as pool:
                    _run_processes(pool, helpers, tasks, todo, done, cache, keys)
        else:
            for t, r in todo:
                done((t, r), run_one(tasks[t][0], r, tasks[t][1]))
    return [concat([results[(t, r)] for r in range(replications)]) for t in range(len(tasks))]


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> Tables:
    """All replications of one scenario (the scenario's own count and seed unless given); see `run_many`."""
    n = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    return run_many([(scenario, seed)], replications=n, workers=workers, progress=progress, **options)[0]


def run_to_file(scenario: bytes, replication: int, seed: int, target: Path) -> None:
    """One replication in a worker process, its tables pickled to `target` (the cache entry when the cache is on).

    A reply through the pool's pipe (a few MB per replication) kept the worker blocked until the parent, which
    shares the cores with the workers, had read all of it; written to a file, the worker goes on at once. The
    scenario comes pickled, once per task, by the parent (see `_unpickled`).
    """
    pickle_tables(target, run_one(_unpickled(scenario), replication, seed))


@lru_cache(maxsize=4)
def _unpickled(scenario: bytes) -> Scenario:
    """The scenario a worker was sent, unpickled once per worker and task rather than once per replication.

    Pickling the validated model for every job cost the parent (which shares the cores with the workers) about a
    millisecond per replication, and each worker as much again to unpickle it; bytes pickle as a plain copy.
    """
    return pickle.loads(scenario)


def _claim(scratch: Path, job: int) -> bool:
    """Claim job number `job` of a call for this process: whoever creates its marker first runs it. An exclusive
    create is atomic on a local file system on every operating system (the scratch directory is the local temporary
    one), so no lock is needed and no process to hold one."""
    try:
        os.close(os.open(scratch / f"{job}.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def run_claimed(scratch: Path, scenarios: dict[int, bytes], jobs: list[tuple[int, int, int, Path]]) -> None:
    """A worker process's share of a call: each job, in order, that it claims before anyone else, until none is
    left; `<job>.done` says the job's tables are in its target."""
    for i, (t, r, seed, target) in enumerate(jobs):
        if _claim(scratch, i):
            run_to_file(scenarios[t], r, seed, target)
            (scratch / f"{i}.done").touch()


def _run_processes(
    pool: ProcessPoolExecutor,
    helpers: int,
    tasks: Sequence[tuple[Scenario, int]],
    todo: list[Job],
    done: Callable[..., None],
    cache: ReplicationCache | None,
    keys: list[str],
) -> None:
    """Run `todo` on the pool's `helpers` processes and in this one, each claiming the next unclaimed job when free.

    The parent is one of the workers: its own replications need no hand-over at all, and between them it collects
    the files the pool's processes wrote. Jobs are claimed one at a time from a shared list (self-scheduling), so
    every process works until no job is left and the last to finish waits for at most the one replication another
    has in hand. Jobs queued ahead in the pool could not be taken back once a process held them: the parent waited
    for up to two replications at the end of every call. On leaving, even on an error or an interrupt, the parent
    claims whatever is left, so the pool's processes stop after the job in hand (the pool may serve further calls).
    """
    pickled = {t: pickle.dumps(tasks[t][0], protocol=pickle.HIGHEST_PROTOCOL) for t in sorted({t for t, _ in todo})}
    with tempfile.TemporaryDirectory(prefix="corridor-sim-") as tmp:
        scratch = Path(tmp)
        targets = [cache.path(keys[t], tasks[t][1], r) if cache else scratch / f"{t}-{r}.pkl" for t, r in todo]
        jobs = [(t, r, tasks[t][1], target) for (t, r), target in zip(todo, targets, strict=True)]
        workers = [pool.submit(run_claimed, scratch, pickled, jobs) for _ in range(helpers)]
        theirs: list[int] = []  # jobs a pool process claimed whose tables are not collected yet

        def collect() -> None:
            for i in [i for i in theirs if (scratch / f"{i}.done").exists()]:
                theirs.remove(i)
                done(todo[i], unpickle_tables(targets[i]), kept=cache is not None)
                if not cache:
                    targets[i].unlink()

        try:
            for i, (t, r) in enumerate(todo):
                if _claim(scratch, i):
                    done((t, r), run_one(tasks[t][0], r, tasks[t][1]))
                else:
                    theirs.append(i)
                collect()
                if any(w.done() and w.exception() for w in workers):
                    break  # a pool process failed: its error is raised below, not after the remaining jobs
        finally:
            for i in range(len(todo)):  # nothing left to claim: the pool's processes stop after the job in hand
                _claim(scratch, i)
            wait(workers)
        for w in workers:
            w.result()  # a pool process's error, if any
        collect()


def _run_dask(
    client: Any, tasks: Sequence[tuple[Scenario, int]], todo: list[Job], done: Callable[[Job, Tables], None]
) -> None:
    from distributed import as_completed

    # hash=False: a fresh key per call, so cancelling this call's copy can never cancel the same scenario scattered
    # by a later call on the same client (content-hashed keys collided: "lost dependencies")
    scenarios = {t: client.scatter(tasks[t][0], broadcast=True, hash=False) for t in sorted({t for t, _ in todo})}
    futures = {client.submit(run_one, scenarios[t], r, tasks[t][1], pure=False): (t, r) for t, r in todo}
    try:
        for fut in as_completed(futures):
            done(futures[fut], fut.result())
    finally:
        client.cancel([*futures, *scenarios.values()])


@contextmanager
def dask_client(workers: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """A client of the cluster at `scheduler`, or of a local cluster started (and stopped) for this call."""
    flag = "--dask" if scheduler is None else "--scheduler"
    Client, LocalCluster = _distributed(scheduler)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ScenarioError(f"cannot reach Dask scheduler {scheduler}: {exc}", key=flag) from None
        with client:
            _check_same_code(client, flag)
            yield client
        return
    n = workers if workers > 1 else (os.cpu_count() or 1)
    with (
        LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        _check_same_code(client, flag)
        yield client


def _distributed(scheduler: str | None) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        flag = "--dask" if scheduler is None else "--scheduler"
        raise ScenarioError("Dask is not installed: pip install 'corridor-sim[dask]'", key=flag) from None
    return Client, LocalCluster


def _check_same_code(client: Any, flag: str) -> None:
    """Workers running another version of the simulator would give other tables (and poison the cache)."""
    ours = code_fingerprint()
    theirs = client.run(code_fingerprint)
    other = sorted(addr for addr, fingerprint in theirs.items() if fingerprint != ours)
    if other:
        raise ScenarioError(
            f"{len(other)} Dask worker(s) run different corridor-sim code than this machine "
            f"(e.g. {other[0]}); install the same version on every worker",
            key=flag,
        )
