"""Replications of a scenario, run serially or in worker processes, concatenated into one set of tables.

Each replication draws only from streams named by (seed, replication, part), so the tables are the same whichever
process runs which replication; results are put back in replication order before concatenation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd

from corridor_sim.engine import simulate
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario

Tables = dict[str, pd.DataFrame]


def run_one(scenario: Scenario, replication: int, seed: int) -> Tables:
    """One replication (top-level so worker processes can import it)."""
    return simulate(scenario, build_network(scenario), replication, seed)


def concat(parts: Sequence[Tables]) -> Tables:
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}


def run_replications(scenario: Scenario, replications: int | None = None, seed: int | None = None,
                     workers: int = 1, progress: Callable[[int], None] | None = None) -> Tables:
    """All replications of one scenario; `progress(1)` is called as each finishes."""
    n = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    parts: list[Tables | None] = [None] * n
    if workers <= 1 or n == 1:
        for r in range(n):
            parts[r] = run_one(scenario, r, seed)
            if progress:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_one, scenario, r, seed): r for r in range(n)}
            for fut in as_completed(futures):
                parts[futures[fut]] = fut.result()
                if progress:
                    progress(1)
    return concat(parts)  # type: ignore[arg-type]
