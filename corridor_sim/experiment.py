"""Replications of one or many scenarios, run serially, in local worker processes or on a Dask cluster.

Every (scenario, seed, replication) is one independent job: a replication draws only from streams named by
(seed, replication, part) (see `corridor_sim.rng`), so its tables do not depend on which process or machine runs it
nor in what order. Results are put back in task and replication order before concatenation, which makes the tables
identical whatever the executor and the worker count. All jobs of all tasks share one pool, so a sweep of many points
with few replications each still keeps every worker busy.

Local processes are a standard `multiprocessing` pool (any start method: fork, spawn, forkserver): jobs go out one
at a time with `imap_unordered`, so every worker is busy until none is left; each worker writes its replication's
cache entry itself and hands the tables back. Workers ignore Ctrl-C (the parent stops them), and stop on their own
when the parent dies. Entries from Dask workers are written here, so remote workers need no shared disk.

A command sets its executor, cache and Dask client once with `execution(...)`; every `run_many` inside the block
(a sweep or a calibration calls it many times) uses them unless told otherwise, and the worker pool or Dask cluster
is started once.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from corridor_sim.cache import ReplicationCache, code_fingerprint
from corridor_sim.engine import simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario

Tables = dict[str, pd.DataFrame]
Executor = Literal["serial", "processes", "dask"]
Job = tuple[int, int]  # (task index, replication)
log = logging.getLogger("corridor_sim.experiment")


@dataclass
class _Block:
    executor: Executor | None = None
    cache: ReplicationCache | None = None
    workers: int = 1
    dask: Callable[[], Any] | None = None  # the block's Dask client, started on first use
    pool: Callable[[], Pool] | None = None  # the block's worker processes, started on first use


_block: ContextVar[_Block | None] = ContextVar("corridor_sim_execution", default=None)


@contextmanager
def execution(
    *,
    workers: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    cache: ReplicationCache | None = None,
    start_method: str | None = None,
) -> Iterator[None]:
    """Defaults for every `run_many` in the block. With Dask, one client for the whole block, connected (or its
    local cluster started) only when a replication is not in the cache. Worker processes, likewise, are started once
    for the block, on first use: a sweep calls `run_many` for chunk after chunk, and a pool started anew each time
    cost a sixth of the second worker's gain (and, under spawn, a second of imports per call)."""
    with ExitStack() as stack:
        started: list[Any] = []

        def client() -> Any:
            if not started:
                started.append(stack.enter_context(dask_client(workers, scheduler)))
            return started[0]

        def pool() -> Pool:
            if not started:
                started.append(stack.enter_context(worker_pool(workers, start_method)))
            return started[0]

        dask = scheduler is not None or executor == "dask"
        if dask:
            _distributed(scheduler)  # a missing extra is reported at once, not at the first replication to run
        cache = cache.ready() if cache else None
        block = _Block("dask" if dask else executor, cache, workers, client if dask else None, None if dask else pool)
        token = _block.set(block)
        try:
            yield
        finally:
            _block.reset(token)


def usable_workers(requested: int, force: bool = False) -> tuple[int, str | None]:
    """`requested`, capped at the cores this process may use unless `force`; with a message when capped.

    More processes than cores only share the same cores, each holding its replication's tables in memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if force or requested <= cores:
        return requested, None
    return cores, f"--workers {requested}: capped at {cores}, the cores available (--force-workers to use more)"


def run_one(scenario: Scenario, replication: int, seed: int) -> Tables:
    """One replication (top-level so worker processes and Dask workers can import it)."""
    return simulate(scenario, build_network(scenario), replication, seed)


def concat(parts: Sequence[Tables]) -> Tables:
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}


def run_many(
    tasks: Sequence[tuple[Scenario, int]],
    *,
    replications: int,
    workers: int | None = None,
    executor: Executor | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    cache: ReplicationCache | None = None,
    start_method: str | None = None,
) -> list[Tables]:
    """For each (scenario, seed) task, `replications` replications concatenated; one Tables per task, in order.

    `executor` defaults to "processes" when `workers` > 1, else "serial"; "dask" connects to `scheduler` if given,
    else starts a local cluster of `workers` processes (all cores when `workers` is 1). `progress(k)` is called as
    replications finish (cached ones included), so a bar over `len(tasks) * replications` shows an ETA.
    Workers, executor and cache not given here come from the enclosing `execution(...)` block, if any.
    """
    block = _block.get() or _Block()
    workers = block.workers if workers is None else workers
    if replications < 1:
        raise ScenarioError("must be at least 1", key="replications")
    if workers < 1:
        raise ScenarioError("must be at least 1", key="workers")
    if scheduler is not None:
        executor = "dask"
    executor = executor or block.executor or ("processes" if workers > 1 else "serial")
    if executor not in ("serial", "processes", "dask"):
        raise ScenarioError(f"unknown executor {executor!r} (serial, processes or dask)", key="executor")
    cache = cache or block.cache
    if cache is not None and cache is not block.cache:
        cache = cache.ready()  # the block's cache was checked when the command began

    keys = [cache.scenario_key(scenario) for scenario, _ in tasks] if cache else []
    results = _cached(tasks, replications, cache, keys)
    todo = [(t, r) for t in range(len(tasks)) for r in range(replications) if (t, r) not in results]
    if progress and results:
        progress(len(results))
    warned: list[str] = []

    def done(job: Job, tables: Tables, problem: str | None = None) -> None:
        """Keep a finished replication; `problem`: why its cache entry could not be written (said once)."""
        results[job] = tables
        if cache and executor == "dask" and problem is None:  # Dask workers' entries are written here
            problem = cache.put(keys[job[0]], tasks[job[0]][1], job[1], tables)
        if problem and cache and not warned:
            warned.append(problem)
            log.warning("warning: %s", problem)
            cache.writable = False
        if progress:
            progress(1)

    if todo:
        _dispatch(block, executor, workers, scheduler, start_method, tasks, todo, done, cache, keys)
    if cache and todo and cache.writable:
        cache.prune()  # workers hand their tables back, so no entry is read after this
    return [concat([results[(t, r)] for r in range(replications)]) for t in range(len(tasks))]


def _cached(
    tasks: Sequence[tuple[Scenario, int]], replications: int, cache: ReplicationCache | None, keys: list[str]
) -> dict[Job, Tables]:
    """The replications already in the cache, by job."""
    found: dict[Job, Tables] = {}
    for t, (_, seed) in enumerate(tasks):
        for r in range(replications):
            hit = cache.get(keys[t], seed, r) if cache else None
            if hit is not None:
                found[(t, r)] = hit
    return found


def _dispatch(
    block: _Block,
    executor: Executor,
    workers: int,
    scheduler: str | None,
    start_method: str | None,
    tasks: Sequence[tuple[Scenario, int]],
    todo: list[Job],
    done: Callable[..., None],
    cache: ReplicationCache | None,
    keys: list[str],
) -> None:
    """Run `todo` on the executor (the block's pool or Dask client when they fit, else one for this call)."""
    if executor == "dask":
        if scheduler is None and block.dask is not None:
            _run_dask(block.dask(), tasks, todo, done)
        else:
            with dask_client(workers, scheduler) as own:
                _run_dask(own, tasks, todo, done)
    elif executor == "processes" and workers > 1 and len(todo) > 1:
        if block.pool is not None and workers == block.workers and start_method is None:
            _run_pool(block.pool(), tasks, todo, done, cache, keys)
        else:
            with worker_pool(min(workers, len(todo)), start_method) as pool:
                _run_pool(pool, tasks, todo, done, cache, keys)
    else:
        for t, r in todo:
            tables = run_one(tasks[t][0], r, tasks[t][1])
            done((t, r), tables, cache.put(keys[t], tasks[t][1], r, tables) if cache else None)


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> Tables:
    """All replications of one scenario (the scenario's own count and seed unless given); see `run_many`."""
    n = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    return run_many([(scenario, seed)], replications=n, workers=workers, progress=progress, **options)[0]


@contextmanager
def worker_pool(workers: int, start_method: str | None = None) -> Iterator[Pool]:
    """`workers` processes started by `start_method` (the platform's default if None), stopped on leaving.

    Under forkserver the server imports the simulator once, so each worker starts with it loaded."""
    context = multiprocessing.get_context(start_method)
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([__name__])
    with context.Pool(workers, initializer=_init_worker) as pool:  # leaving terminates the workers
        yield pool


def _init_worker() -> None:
    """Per-process settings of a pool's worker.

    - Ctrl-C goes to the whole process group: the parent stops the pool, a worker does not print a traceback; a
      SIGTERM handler inherited from the parent (the command line turns SIGTERM into an interrupt) is dropped.
    - The worker exits as soon as its parent is gone (even SIGKILLed), instead of running the queued jobs and then
      blocking on a pipe nobody reads, holding the caller's stdout open.
    - The heap that exists now (modules, and under fork the parent's objects) is frozen: a replication allocates
      enough tracked objects to trigger dozens of collections, and each full one rescanned that long-lived heap
      (about 15 % of a replication). This touches only this process, which runs nothing but replications.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    gc.collect()
    gc.freeze()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # ready when the parent process has ended
    os._exit(1)


def _run_pool(
    pool: Pool,
    tasks: Sequence[tuple[Scenario, int]],
    todo: list[Job],
    done: Callable[..., None],
    cache: ReplicationCache | None,
    keys: list[str],
) -> None:
    """Run `todo` on the pool, one job at a time to whichever worker is free (so all finish within about one
    replication of each other). Each scenario is pickled once here and unpickled once per worker (`_scenario`):
    pickling the validated model for every job cost about as much as a fifth of a replication on each side."""
    blobs = {t: pickle.dumps(tasks[t][0], protocol=pickle.HIGHEST_PROTOCOL) for t in sorted({t for t, _ in todo})}
    root = str(cache.root) if cache and cache.writable else None
    jobs = [(t, r, tasks[t][1], blobs[t], root, keys[t] if cache else "") for t, r in todo]
    for t, r, tables, problem in pool.imap_unordered(_replicate, jobs, chunksize=1):
        done((t, r), tables, problem)


def _replicate(job: tuple[int, int, int, bytes, str | None, str]) -> tuple[int, int, Tables, str | None]:
    """A worker's job: one replication, its cache entry written here (if the cache is on), its tables returned."""
    t, r, seed, blob, root, key = job
    tables = run_one(_scenario(blob), r, seed)
    problem = _worker_cache(root).put(key, seed, r, tables) if root else None
    return t, r, tables, problem


@lru_cache(maxsize=4)
def _scenario(blob: bytes) -> Scenario:
    return pickle.loads(blob)


@lru_cache(maxsize=4)
def _worker_cache(root: str) -> ReplicationCache:
    """One cache object per worker and directory, so a worker that found it unwritable stops trying."""
    return ReplicationCache(Path(root))


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
