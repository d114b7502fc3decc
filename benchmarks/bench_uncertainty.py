"""Parameter sets per minute of an uncertainty study, and memory per set (prints figures; not a test).

    python benchmarks/bench_uncertainty.py [--scenario FILE] [--samples N] [--replications R] [--workers W]

Runs `corridor-sim uncertainty`'s machinery (parameter sets drawn over every range of the scenario, each run with R
replications on common random numbers, streamed to a ledger) on scenarios/current_2023.yaml without the replication
cache, twice: N sets, then 2N sets. The rate is sets per minute of the larger run; memory per set is the growth of the
peak resident set from N to 2N sets, divided by N, of this process and of a worker — flat (near zero) if results
stream to disk instead of piling up. Sets run in chunks of about 64 replications (`CHUNK_REPLICATIONS`), so choose
N × R above 64 for both runs to span several chunks. The cost of a Morris screen is trajectories × (k + 1) sets, of
a Sobol study n × (k + 2), for k ranged parameters: divide by the rate.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from corridor_sim.experiment import execution
from corridor_sim.ledger import Ledger
from corridor_sim.tuning.evaluate import Study
from corridor_sim.uncertainty import design, parameters, run_points

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> tuple[float, float]:
    """Peak resident set of this process (which holds a chunk's tables and the KPI rows) and of the largest of its
    finished worker processes (Linux: kB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, kids / 1024


def run(scenario: Path, n: int, replications: int, workers: int, seed: int) -> tuple[float, tuple[float, float]]:
    """Wall seconds and the peak resident MB after running `n` parameter sets (a fresh ledger each time)."""
    study = Study.load(scenario, [f"simulation.replications={replications}"], workers=workers)
    params = parameters(study)
    unit = design("lhs", n, len(params), seed)
    with tempfile.TemporaryDirectory() as tmp, execution(workers=workers):
        start = time.perf_counter()
        run_points(study, params, unit, Ledger(Path(tmp) / "ledger.jsonl", "bench"))
        seconds = time.perf_counter() - start
    return seconds, peak_mb()  # after the block: its worker processes have ended and count as children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "current_2023.yaml")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    k = len(parameters(Study.load(args.scenario)))
    small_s, small_mb = run(args.scenario, args.samples, args.replications, args.workers, seed=1)
    big_s, big_mb = run(args.scenario, 2 * args.samples, args.replications, args.workers, seed=2)
    rate = 2 * args.samples / big_s * 60
    print(f"scenario {args.scenario.name}: {k} ranged parameters, {args.replications} replications a set, "
          f"{args.workers} workers")  # fmt: skip
    for n, s, mb in ((args.samples, small_s, small_mb), (2 * args.samples, big_s, big_mb)):
        print(f"{n} sets: {s:.1f} s, peak {mb[0]:.0f} MB here, {mb[1]:.0f} MB in a worker")
    print(f"rate: {rate:.2f} parameter sets per minute ({rate * args.replications:.1f} replications per minute)")
    for where, i in (("here", 0), ("in a worker", 1)):
        print(f"memory per set {where}: {(big_mb[i] - small_mb[i]) / args.samples:+.2f} MB (peak growth from "
              f"{args.samples} to {2 * args.samples} sets, divided by {args.samples})")  # fmt: skip
    for name, runs in (("Morris screen, 10 trajectories", 10 * (k + 1)), ("Sobol study, n=64, 8 parameters", 64 * 10)):
        print(f"{name}: {runs} sets ~ {runs / rate:.0f} min at this rate")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
