"""Replications per second serially, with worker processes and on a local Dask cluster (prints figures; not a test).

    python benchmarks/bench_parallel.py [--scenario FILE] [--replications N] [--workers W] [--rounds R]
                                        [--no-cli] [--no-dask]

Runs scenarios/current_2023.yaml when it exists (else a small built-in corridor), without the replication cache,
and checks that every executor produced the same tables.

A 2-core virtual machine does not always give its second core: a pure-Python loop on a 2-process pool was seen to gain
anywhere from 1.5x to 2.7x on this machine within minutes. So every figure is taken in rounds, 1 and W workers
alternating (ABBA), and the median of the per-round ratios is printed. The rows:

- a pure-Python loop as long as a replication, per job: the machine's own ceiling;
- the simulation alone, its tables left in the worker: what the model gains, transport excluded;
- `run_many`: replications per second of the experiment layer (what every command runs): a `multiprocessing` pool
  of W workers fed one job at a time (`imap_unordered`), each handing its tables back through the pool's pipe, the
  parent concatenating them all; in an `execution(...)` block as a command opens it (worker processes started once,
  like the warm Dask cluster below; a pool started afresh per call is a row of its own);
- `corridor-sim run`: the whole command a planner types, start-up, summary, CSV tables and plot included;
- Dask: cluster start-up with one warm-up replication per worker (what `--dask` costs once per command), then the
  runs on the warm cluster (what a long study pays per replication).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from corridor_sim.experiment import Tables, execution, run_many, run_one
from corridor_sim.loader import load_scenario, validate
from corridor_sim.schema import Scenario

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "current_2023.yaml"
BUILT_IN = {
    "name": "bench-small",
    "simulation": {"duration": "365d", "warmup": "30d", "cooldown": "60d", "seed": 1, "replications": 8},
    "network": {
        "nodes": {
            "a": {"role": "terminal", "handling": {"servers": 2, "time": "4h"}},
            "b": {"role": "border", "handling": {"servers": 2, "time": {"dist": "exponential", "mean": "10h"}}},
            "p": {"role": "port", "handling": {"servers": 1, "time": "3h"}, "berths": 1},
            "q": {"role": "port", "formation": {"train_size": 50, "max_wait": "48h"}},
            "z": {"role": "terminal"},
        },
        "segments": {
            "ab": {"from": "a", "to": "b", "distance": "1500km", "speed": "800km/d", "trains_per_day": 6},
            "bp": {
                "from": "b",
                "to": "p",
                "distance": "1200km",
                "speed": {"dist": "uniform", "low": "500km/d", "high": "900km/d"},
            },
            "pq": {
                "from": "p",
                "to": "q",
                "mode": "ferry",
                "vessels": [{"capacity_teu": 200, "count": 3}],
                "crossing_time": "20h",
                "load_time": "6h",
                "unload_time": "6h",
                "departure": {"rule": "when_full", "max_wait": "72h"},
            },
            "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h"},
        },
    },
    "demand": {"flows": {"f": {"origin": "a", "destination": "z", "teu_per_year": 20000, "containers_per_train": 50}}},
}


def spin(seconds: float) -> float:
    """A pure-Python loop of about `seconds` of CPU: what a perfectly parallel job gains on this machine now."""
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        for i in range(2000):
            x += i * i
    return x


def simulate_only(scenario: Scenario, replication: int) -> int:
    """A replication whose tables stay in the worker: what the simulation alone gains from more processes."""
    return len(run_one(scenario, replication, scenario.simulation.seed)["containers"])


def wall(task: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    task()
    return time.perf_counter() - t0


def same(a: Tables, b: Tables) -> bool:
    try:
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    except AssertionError:
        return False
    return a.keys() == b.keys()


def pooled(workers: int, job: Callable[..., object], *arguments: list) -> float:
    """Wall time of `job` mapped over `arguments` on a pool whose workers are started outside the timing."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(spin, [0.01] * workers))
        return wall(lambda: list(pool.map(job, *arguments)))


def cli(scenario: Path, n: int, workers: int) -> None:
    """`corridor-sim run` in a fresh interpreter, writing a new workspace, no cache."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "corridor_sim.cli",
                "run",
                str(scenario),
                "--replications",
                str(n),
                "--workers",
                str(workers),
                "--no-cache",
                "--quiet",
                "--out",
                str(Path(tmp) / "run"),
            ],
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        raise SystemExit(f"corridor-sim run failed: {proc.stderr.strip()}")


Pair = tuple[str, Callable[[], float], Callable[[], float]]  # label, 1-worker seconds, W-worker seconds


def measure(pairs: list[Pair], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(1-worker, W-worker) seconds of every pair in every round; the order within a pair is reversed every other
    round (ABBA), so a drift in the machine's speed cancels in the median of the ratios."""
    out: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in pairs}
    for r in range(rounds):
        for label, one, many in pairs:
            if r % 2 == 0:
                a = one()
                b = many()
            else:
                b = many()
                a = one()
            out[label].append((a, b))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=BUNDLED if BUNDLED.exists() else None)
    parser.add_argument("--replications", type=int, default=48)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-command row (it needs --scenario)")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    scenario: Scenario = load_scenario(args.scenario) if args.scenario else validate(BUILT_IN)
    n, w, seed = args.replications, args.workers, scenario.simulation.seed
    task = [(scenario, seed)]
    print(
        f"scenario {scenario.name} ({args.scenario or 'built-in'}), {n} replications, {w} workers, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, {args.rounds} rounds (ABBA)"
    )

    run_many(task, replications=1)  # warm imports and caches outside the timings
    reference = run_many(task, replications=n, executor="serial")[0]
    identical = [f"processes {same(reference, run_many(task, replications=n, workers=w, executor='processes')[0])}"]
    per_rep = wall(lambda: run_many(task, replications=2, executor="serial")) / 2
    reps = list(range(n))

    pairs: list[Pair] = [
        (
            "pure-Python loop (the ceiling)",
            lambda: wall(lambda: [spin(per_rep) for _ in reps]),
            lambda: pooled(w, spin, [per_rep] * n),
        ),
        (
            "simulation only (tables kept)",
            lambda: wall(lambda: [simulate_only(scenario, r) for r in reps]),
            lambda: pooled(w, simulate_only, [scenario] * n, reps),
        ),
        (
            "run_many, pool forked per call",
            lambda: wall(lambda: run_many(task, replications=n, executor="serial")),
            lambda: wall(lambda: run_many(task, replications=n, workers=w, executor="processes")),
        ),
    ]
    if args.scenario and not args.no_cli:
        pairs.append(
            (
                "corridor-sim run (whole command)",
                lambda: wall(lambda: cli(args.scenario, n, 1)),
                lambda: wall(lambda: cli(args.scenario, n, w)),
            )
        )
    figures = measure(pairs, args.rounds)
    with execution(workers=w, executor="processes"):  # as a command runs it: one pool for every run_many
        t0 = time.perf_counter()
        run_many(task, replications=w, workers=w)
        pool_startup = time.perf_counter() - t0 - per_rep
        figures = {
            **dict(list(figures.items())[:2]),
            **measure(
                [
                    (
                        "run_many (tables returned)",
                        lambda: wall(lambda: run_many(task, replications=n, executor="serial")),
                        lambda: wall(lambda: run_many(task, replications=n, workers=w)),
                    )
                ],
                args.rounds,
            ),
            **dict(list(figures.items())[2:]),
        }
    startup = float("nan")
    if not args.no_dask:  # started only now: an idle cluster's scheduler thread and workers would tax the rows above
        from distributed import LocalCluster  # the same cluster `--dask` starts

        t0 = time.perf_counter()
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            address = cluster.scheduler_address
            run_many(task, replications=w, scheduler=address)  # each worker imports the simulator once
            startup = time.perf_counter() - t0
            identical.append(f"Dask {same(reference, run_many(task, replications=n, scheduler=address)[0])}")
            figures |= measure(
                [
                    (
                        "Dask LocalCluster (warm)",
                        lambda: wall(lambda: run_many(task, replications=n, executor="serial")),
                        lambda: wall(lambda: run_many(task, replications=n, scheduler=address)),
                    )
                ],
                args.rounds,
            )

    print(f"{'':<34}{'1 worker':>9}{f'{w} workers':>10}{'speed-up':>9}   speed-up per round")
    print(f"{'':<34}{'s, median':>9}{'s, median':>10}{'median':>9}")
    for label, times in figures.items():
        ratios = [a / b for a, b in times]
        one, many = statistics.median(a for a, _ in times), statistics.median(b for _, b in times)
        print(
            f"{label:<34}{one:>9.2f}{many:>10.2f}{statistics.median(ratios):>9.2f}   "
            + " ".join(f"{x:.2f}" for x in ratios)
        )
    if not args.no_dask:
        print(f"Dask local cluster start-up and worker warm-up: {startup:.2f} s (paid once per command)")
    print(f"worker processes' start-up: {pool_startup:.2f} s (once per command)")
    print(
        f"tables identical to serial: {', '.join(identical)}; one replication {per_rep:.3f} s serially; "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
