"""Parameter sets per minute of an uncertainty study, and peak memory against the number of sets (prints figures;
not a test).

    python benchmarks/bench_uncertainty.py [--scenario FILE] [--sizes 8 16 32] [--replications R] [--workers W]

Runs `corridor-sim uncertainty`'s machinery (parameter sets drawn over every range of the scenario, each run with R
replications on common random numbers, streamed to a ledger) on scenarios/current_2023.yaml without the replication
cache, once per size, **each in a fresh Python process**: the peak resident set of that process (which holds one
chunk's tables at a time) and of its largest worker process are then those of that size alone. (Measured in one
process one after the other, as this script did before, the second size's peaks sat on top of the first's: the
allocator keeps freed memory for reuse rather than returning it, and workers forked from the grown process counted
its pages as theirs. That read as growth per set that the study does not have.)

Sets run in chunks of about 64 replications (`CHUNK_REPLICATIONS`): choose sizes × R that span one to several
chunks (the default, 8 replications: 1, 2 and 4 chunks). Memory is flat in the number of sets when the peaks stay
level as the sets double. The rate is sets per minute of the largest size. The cost of a Morris screen is
trajectories × (k + 1) sets, of a Sobol study n × (k + 2), for k ranged parameters: divide by the rate.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corridor_sim.experiment import execution
from corridor_sim.ledger import Ledger
from corridor_sim.tuning.evaluate import CHUNK_REPLICATIONS, Study
from corridor_sim.uncertainty import design, parameters, run_points

ROOT = Path(__file__).resolve().parent.parent


def one(scenario: Path, n: int, replications: int, workers: int) -> dict[str, float]:
    """Run `n` parameter sets here (a fresh ledger) and return the wall seconds and the peak resident MB of this
    process and of the largest of its worker processes (Linux reports kB)."""
    study = Study.load(scenario, [f"simulation.replications={replications}"], workers=workers)
    params = parameters(study)
    unit = design("lhs", n, len(params), 1)
    with tempfile.TemporaryDirectory() as tmp, execution(workers=workers):
        start = time.perf_counter()
        run_points(study, params, unit, Ledger(Path(tmp) / "ledger.jsonl", "bench"))
        seconds = time.perf_counter() - start
    # after the block: its worker processes have ended and been waited for, so they count as children
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"sets": n, "seconds": seconds, "parent_mb": own, "worker_mb": kids}


def fresh(scenario: Path, n: int, replications: int, workers: int) -> dict[str, float]:
    """`one` in a new interpreter (its peaks are then of this size alone)."""
    cmd = [sys.executable, __file__, "--one", str(n), "--scenario", str(scenario)]
    cmd += ["--replications", str(replications), "--workers", str(workers)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "current_2023.yaml")
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.scenario, args.one, args.replications, args.workers)))
        return
    k = len(parameters(Study.load(args.scenario)))
    chunk = max(args.workers, CHUNK_REPLICATIONS // args.replications, 1)
    print(f"scenario {args.scenario.name}: {k} ranged parameters, {args.replications} replications a set, "
          f"{args.workers} workers, chunks of {chunk} sets; each size in a fresh process")  # fmt: skip
    print(f"{'sets':>5} {'chunks':>6} {'seconds':>8} {'sets/min':>8} {'peak MB here':>12} {'peak MB worker':>14}")
    runs = []
    for n in sorted(args.sizes):
        r = fresh(args.scenario, n, args.replications, args.workers)
        runs.append(r)
        print(f"{n:5d} {math.ceil((n + 1) / chunk):6d} {r['seconds']:8.1f} {n / r['seconds'] * 60:8.2f} "
              f"{r['parent_mb']:12.0f} {r['worker_mb']:14.0f}", flush=True)  # fmt: skip
    small, big = runs[0], runs[-1]
    rate = big["sets"] / big["seconds"] * 60
    print(f"rate: {rate:.2f} parameter sets per minute ({rate * args.replications:.1f} replications per minute)")
    if big["sets"] > small["sets"]:
        span = big["sets"] - small["sets"]
        for where, key in (("here", "parent_mb"), ("in a worker", "worker_mb")):
            print(f"memory per added set {where}: {(big[key] - small[key]) / span:+.2f} MB (peak growth from "
                  f"{small['sets']} to {big['sets']} sets, divided by {span})")  # fmt: skip
    for name, sets in (("Morris screen, 10 trajectories", 10 * (k + 1)), ("Sobol study, n=64, 8 parameters", 64 * 10)):
        print(f"{name}: {sets} sets ~ {sets / rate:.0f} min at this rate")


if __name__ == "__main__":
    main()
