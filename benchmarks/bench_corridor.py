"""Benchmark 2 — corridor throughput: marginal wall time per delivered container on the 2023 scenario.

Runs the scenario's replications serially, 1 and then 5 (the extra 4 cancel start-up: imports, network, random
streams), and divides the difference by the containers those 4 replications delivered. Compares that with bare SimPy's
time per customer on the tandem queue of bench_tandem.py, measured in the same run (target: ≤ 1/10).

The three are timed in turn, round after round; the verdict is the median of the per-round ratios (this 2-core virtual
machine's speed drifts within seconds, and bare SimPy's pure-Python loop and the corridor's numpy-heavy record
building do not drift alike), the best-of figures are printed beside it.

    python benchmarks/bench_corridor.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics

from bench_tandem import LAM, MU, SERVERS, STATIONS, WARMUP_DAYS
from common import bare_simpy_tandem, best_of, corridor_path, delivered, scaled_corridor

from corridor_sim.experiment import run_replications


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    scenario = scaled_corridor(1)
    tandem_h = 300 * 24.0

    def one() -> dict:
        return run_replications(scenario, 1)

    def five() -> dict:
        return run_replications(scenario, 5)

    def bare() -> tuple:
        return bare_simpy_tandem(STATIONS, SERVERS, LAM, MU, tandem_h + 48, WARMUP_DAYS * 24.0)

    one()  # warm caches outside the timings
    rounds = [best_of(1, one, five, bare) for _ in range(args.repeat)]
    (_, tab1), (_, tab5), (_, (nb, _)) = rounds[-1]
    extra = delivered(tab5) - delivered(tab1)
    ratios = [((t5 - t1) / extra) / (tb / nb) for (t1, _), (t5, _), (tb, _) in rounds]
    t1, t5, tb = (min(r[i][0] for r in rounds) for i in range(3))
    marginal = (t5 - t1) / extra * 1e6
    per_customer = tb / nb * 1e6
    ratio = statistics.median(ratios)
    print(f"corridor: {corridor_path().relative_to(corridor_path().parent.parent)}, {args.repeat} rounds")
    print(
        f"  1 replication {t1:.2f} s ({delivered(tab1)} delivered), 5 replications {t5:.2f} s "
        f"({delivered(tab5)} delivered)"
    )
    print(f"  marginal: {t5 - t1:.2f} s for {extra} containers = {marginal:.2f} us/container")
    print(f"  bare SimPy tandem: {per_customer:.1f} us/customer ({nb} customers in {tb:.2f} s)")
    print(f"  ratio of the best times {marginal / per_customer:.3f}; per round " + " ".join(f"{r:.3f}" for r in ratios))
    print(f"  median ratio {ratio:.3f} = 1/{1 / ratio:.0f} (target <= 1/10: {'met' if ratio <= 0.1 else 'NOT met'})")


if __name__ == "__main__":
    main()
