"""Benchmark 3 — linear growth: one replication of the corridor at 1x, 2x, 4x and 8x demand, capacity scaled alike.

Demand and every capacity (servers, berths, vessels, train paths, timetabled sailings, wagon sets) are multiplied
by the same factor, so utilisations stay put and queues stay stable; the work is then proportional to the volume, and
so should be the wall time: target time(8x) / time(1x) <= 9. Memory is the tracemalloc peak of a separate run
(tracing slows the run, so it is not timed), divided by the containers delivered: it should stay flat. So should
the SimPy events per delivered container, a measure of work that no machine load disturbs.

    python benchmarks/bench_growth.py [--repeat 3] [--factors 1 2 4 8]
"""

from __future__ import annotations

import argparse
import tracemalloc

from bench_tandem import count_events
from common import best_of, corridor_path, delivered, scaled_corridor

from corridor_sim.engine import simulate
from corridor_sim.network import build_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4, 8])
    args = ap.parse_args()
    cases = [(f, scaled_corridor(f)) for f in args.factors]
    runs = [lambda s=s: simulate(s, build_network(s)) for _, s in cases]
    runs[0]()  # warm caches outside the timings
    timed = best_of(args.repeat, *runs)

    print(f"linear growth: {corridor_path().name}, one replication per factor, best of {args.repeat}")
    print(f"{'factor':>6} {'delivered':>10} {'seconds':>8} {'us/container':>13} {'time/time(1x)':>14} "
          f"{'peak MiB':>9} {'bytes/container':>16} {'events/container':>17}")
    base = timed[0][0]
    for (factor, scenario), (seconds, tables) in zip(cases, timed, strict=True):
        tracemalloc.start()
        simulate(scenario, build_network(scenario))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        events = count_events(lambda s=scenario: simulate(s, build_network(s)))
        n = delivered(tables)
        print(f"{factor:>6} {n:>10} {seconds:>8.2f} {seconds / n * 1e6:>13.2f} {seconds / base:>14.2f} "
              f"{peak / 2**20:>9.1f} {peak / n:>16.0f} {events / n:>17.3f}")
    ratio = timed[-1][0] / base
    top = args.factors[-1]
    print(f"time({top}x)/time(1x) = {ratio:.2f} (target <= {top + 1} for {top}x: "
          f"{'met' if ratio <= top + 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
