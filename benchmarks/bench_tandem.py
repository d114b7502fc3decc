"""Benchmark 1 — tandem equivalence: the engine on a tandem queue vs bare SimPy, both against Jackson's formula.

K stations in series, Poisson arrivals of one-container trains, exponential handling at c servers, zero-time links:
an ordinary scenario for the engine, and the textbook SimPy program (one process per customer, one
`simpy.Resource` per station) for comparison. Prints the mean sojourn of each with a batch-means 95% interval beside
the analytic value, the wall time per customer of each, their ratio (target ≤ 1.3) and the events per customer.

    python benchmarks/bench_tandem.py [--days 600] [--repeat 3]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import simpy
from common import bare_simpy_tandem, best_of, jackson_sojourn, tandem_scenario

from corridor_sim.engine import simulate
from corridor_sim.network import build_network

STATIONS, SERVERS, LAM, MU = 6, 2, 1.0, 0.8  # per hour: utilisation λ/(cμ) = 0.625 at every station
WARMUP_DAYS = 10


def batch_ci(sojourns: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and 95% half-width by batch means (successive customers are correlated, batches nearly not)."""
    means = np.array([b.mean() for b in np.array_split(sojourns, batches)])
    return float(sojourns.mean()), float(2.093 * means.std(ddof=1) / np.sqrt(batches))  # t(0.975, 19)


def count_events(fn: Any) -> int:
    """Events scheduled while `fn` runs (an untimed run: the counter itself costs time)."""
    original = simpy.Environment.schedule
    count = 0

    def counting(self: simpy.Environment, *args: Any, **kwargs: Any) -> None:
        nonlocal count
        count += 1
        original(self, *args, **kwargs)

    simpy.Environment.schedule = counting  # type: ignore[method-assign]
    try:
        fn()
    finally:
        simpy.Environment.schedule = original  # type: ignore[method-assign]
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    scenario = tandem_scenario(STATIONS, SERVERS, LAM, MU, args.days, WARMUP_DAYS)
    network = build_network(scenario)
    horizon = scenario.simulation.duration + scenario.simulation.cooldown
    warmup = scenario.simulation.warmup

    def engine() -> Any:
        return simulate(scenario, network)

    def bare() -> Any:
        return bare_simpy_tandem(STATIONS, SERVERS, LAM, MU, horizon, warmup)

    (t_engine, tables), (t_bare, (n_bare, bare_soj)) = best_of(args.repeat, engine, bare)
    c = tables["containers"]
    n_engine = int(c["status"].eq("delivered").sum())
    done = c[c["status"].eq("delivered") & c["measured"]].sort_values("start_day")
    m_engine, h_engine = batch_ci(done["transit_days"].to_numpy() * 24)
    m_bare, h_bare = batch_ci(bare_soj)
    analytic = jackson_sojourn(STATIONS, SERVERS, LAM, MU)

    per_engine, per_bare = t_engine / n_engine * 1e6, t_bare / n_bare * 1e6
    ev_engine = count_events(engine) / n_engine
    ev_bare = count_events(bare) / n_bare
    print(
        f"tandem: {STATIONS} stations x M/M/{SERVERS}, lambda={LAM}/h, mu={MU}/h, {args.days} days, "
        f"best of {args.repeat}"
    )
    print(
        f"  mean sojourn (h)   analytic {analytic:.3f} | engine {m_engine:.3f} ± {h_engine:.3f} | "
        f"bare SimPy {m_bare:.3f} ± {h_bare:.3f}"
    )
    for name, m, h in (("engine", m_engine, h_engine), ("bare SimPy", m_bare, h_bare)):
        verdict = "agrees" if abs(m - analytic) <= h else "DISAGREES"
        print(f"  {name} {verdict} with Jackson (|{m:.3f} - {analytic:.3f}| vs half-width {h:.3f})")
    print(
        f"  engine     {n_engine} customers in {t_engine:.2f} s: {per_engine:.1f} us/customer, "
        f"{ev_engine:.1f} events/customer"
    )
    print(
        f"  bare SimPy {n_bare} customers in {t_bare:.2f} s: {per_bare:.1f} us/customer, {ev_bare:.1f} events/customer"
    )
    ratio = per_engine / per_bare
    verdict = "met" if ratio <= 1.3 else "NOT met"
    print(f"  ratio engine / bare SimPy per customer: {ratio:.2f} (target <= 1.3: {verdict})")


if __name__ == "__main__":
    main()
