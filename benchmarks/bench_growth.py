"""Benchmark 3 — linear growth: one replication of the corridor at 1x, 2x, 4x and 8x demand, capacity scaled alike.

Demand and every capacity (servers, berths, vessels, train paths, timetabled sailings, wagon sets) are multiplied
by the same factor, so utilisations stay put and queues stay stable; the work is then proportional to the volume, and
so should be the wall time: target time(8x) / time(1x) <= 9. Each replication runs as every command runs it
(`experiment.run_one`). The factors are timed in turn, round after round, and the verdict is the median of the
per-round ratios (this machine's speed drifts within seconds: a best-of time of one factor taken in a slow minute
moved the ratio from 7.4 to 8.9); the best times are printed beside it. Memory is the tracemalloc peak of a separate
run (tracing slows the run, so it is not timed), divided by the containers delivered: it should stay flat. So should
the SimPy events per delivered container, a measure of work that no machine load disturbs.

    python benchmarks/bench_growth.py [--repeat 5] [--factors 1 2 4 8]
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc

from bench_tandem import count_events
from common import best_of, corridor_path, delivered, scaled_corridor

from corridor_sim.engine import simulate
from corridor_sim.experiment import run_one
from corridor_sim.network import build_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4, 8])
    args = ap.parse_args()
    cases = [(f, scaled_corridor(f)) for f in args.factors]
    runs = [lambda s=s: run_one(s, 0, s.simulation.seed) for _, s in cases]
    runs[0]()  # warm caches outside the timings
    rounds = []
    for r in range(args.repeat):
        order = list(range(len(runs)))[:: 1 if r % 2 == 0 else -1]  # every other round reversed: a drift cancels
        times = dict(zip(order, best_of(1, *(runs[i] for i in order)), strict=True))
        rounds.append([times[i] for i in range(len(runs))])  # (seconds, tables) per factor
    timed = [min((r[i] for r in rounds), key=lambda x: x[0]) for i in range(len(runs))]  # best time per factor
    ratios = [r[-1][0] / r[0][0] for r in rounds]

    print(f"linear growth: {corridor_path().name}, one replication per factor, {args.repeat} rounds")
    print(
        f"{'factor':>6} {'delivered':>10} {'seconds':>8} {'us/container':>13} {'time/time(1x)':>14} "
        f"{'peak MiB':>9} {'bytes/container':>16} {'events/container':>17}"
    )
    base = timed[0][0]
    for (factor, scenario), (seconds, tables) in zip(cases, timed, strict=True):
        tracemalloc.start()
        simulate(scenario, build_network(scenario))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        events = count_events(lambda s=scenario: simulate(s, build_network(s)))
        n = delivered(tables)
        print(
            f"{factor:>6} {n:>10} {seconds:>8.2f} {seconds / n * 1e6:>13.2f} {seconds / base:>14.2f} "
            f"{peak / 2**20:>9.1f} {peak / n:>16.0f} {events / n:>17.3f}"
        )
    ratio = statistics.median(ratios)
    top = args.factors[-1]
    print(
        f"time({top}x)/time(1x): best times {timed[-1][0] / base:.2f}; per round "
        + " ".join(f"{r:.2f}" for r in ratios)
    )
    print(
        f"median time({top}x)/time(1x) = {ratio:.2f} (target <= {top + 1} for {top}x: "
        f"{'met' if ratio <= top + 1 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
