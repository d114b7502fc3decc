"""Replications per second serially, with 2 worker processes and on a local Dask cluster (prints figures; not a test).

    python benchmarks/bench_parallel.py [--scenario FILE] [--replications N] [--workers W]

Runs scenarios/current_2023.yaml when it exists (else a small built-in corridor), without the replication cache,
and checks that every executor produced the same tables. Dask is timed twice: cluster start-up with one warm-up
replication per worker (what `--dask` costs once per command), then the runs on the warm cluster (what a long study
pays per replication).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import pandas as pd

from corridor_sim.experiment import Tables, run_many
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
            "bp": {"from": "b", "to": "p", "distance": "1200km",
                   "speed": {"dist": "uniform", "low": "500km/d", "high": "900km/d"}},
            "pq": {"from": "p", "to": "q", "mode": "ferry", "vessels": [{"capacity_teu": 200, "count": 3}],
                   "crossing_time": "20h", "load_time": "6h", "unload_time": "6h",
                   "departure": {"rule": "when_full", "max_wait": "72h"}},
            "qz": {"from": "q", "to": "z", "distance": "300km", "speed": "40km/h"},
        },
    },
    "demand": {"flows": {"f": {"origin": "a", "destination": "z", "teu_per_year": 20000,
                               "containers_per_train": 50}}},
}


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(scenario: Scenario, replications: int, **how: object) -> tuple[float, float, Tables]:
    """Wall-clock and CPU seconds (CPU of Dask workers is not counted: they are not finished yet)."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    tables = run_many([(scenario, scenario.simulation.seed)], replications=replications, **how)[0]
    return time.perf_counter() - t0, cpu_seconds() - c0, tables


def same(a: Tables, b: Tables) -> bool:
    try:
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    except AssertionError:
        return False
    return a.keys() == b.keys()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=BUNDLED if BUNDLED.exists() else None)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario) if args.scenario else validate(BUILT_IN)
    n, w = args.replications, args.workers
    print(f"scenario {scenario.name} ({args.scenario or 'built-in'}), {n} replications, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (speedups need otherwise idle cores)")

    timed(scenario, 1)  # warm imports and caches outside the timings
    serial_s, serial_cpu, reference = timed(scenario, n, executor="serial")
    rows = [("serial (1 process)", serial_s, serial_cpu, True)]
    proc_s, proc_cpu, tables = timed(scenario, n, workers=w, executor="processes")
    rows.append((f"{w} worker processes", proc_s, proc_cpu, same(reference, tables)))

    from distributed import LocalCluster  # the same cluster `--dask` starts

    t0 = time.perf_counter()
    with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        timed(scenario, w, scheduler=cluster.scheduler_address)  # each worker imports the simulator once
        startup = time.perf_counter() - t0
        dask_s, _, tables = timed(scenario, n, scheduler=cluster.scheduler_address)
    rows.append((f"Dask LocalCluster, {w} workers", dask_s, float("nan"), same(reference, tables)))

    print(f"{'executor':<32}{'seconds':>9}{'reps/s':>9}{'speedup':>9}{'CPU s/rep':>11}  identical")
    for label, seconds, cpu, identical in rows:
        per_rep = f"{cpu / n:.3f}" if cpu == cpu else "-"
        print(f"{label:<32}{seconds:>9.2f}{n / seconds:>9.2f}{serial_s / seconds:>9.2f}{per_rep:>11}  {identical}")
    print(f"Dask local cluster start-up and worker warm-up: {startup:.2f} s (paid once per command); "
          f"load average at the end {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
