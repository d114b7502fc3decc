"""Benchmark — `corridor-sim serve`: edit-to-update time at 10 replications (target <= 2 s on two cores).

Drives the page's own objects (the session that validates an edit, the runner that simulates it on worker processes
and draws the figures), as the page's edit callback does, without the browser's poll interval (<= 0.7 s more):
- numbers: from the edit to the page's numbers (validation, 10 replications of the edited scenario, the comparison
  with the kept unchanged run, the binding resource);
- figures: from the edit to the last figure drawn (distribution, sections, map);
- start-up: scenario loaded, worker processes started and the unchanged scenario run (what happens before the
  address is printed), and the first figures.
Edits alternate the number of Caspian feeders (aktau_alat, feeder-added: 3 -> 4 -> 3 ...); median and best of N.

    python benchmarks/bench_serve.py [--edits 6] [--replications 10] [--workers 2] [--scenario FILE.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common import ROOT

KEY = "network.segments.aktau_alat.vessels.2.count"


def wait(runner, generation: int, figures: bool) -> None:
    while True:
        status = runner.status
        if status.error:
            raise SystemExit(f"error: {status.error}")
        out = status.outcome
        if out is not None and out.generation == generation and (not figures or not status.busy):
            return
        time.sleep(0.005)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "current_2023.yaml")
    ap.add_argument("--edits", type=int, default=6)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from corridor_sim.serve.figures import draw
    from corridor_sim.serve.runner import Runner
    from corridor_sim.serve.session import Session
    from corridor_sim.tuning.evaluate import pick_destination

    session = Session.load(args.scenario)
    base = session.study.base
    runner = Runner(base, args.replications, base.simulation.seed, args.workers, draw)
    runner.start()
    started = time.perf_counter() - t0
    runner.show(pick_destination(base, None) or sorted(f.destination for f in base.demand.flows.values())[0])
    wait(runner, 0, figures=True)
    first = time.perf_counter() - t0
    numbers, figures = [], []
    try:
        value = session.current(KEY)
        for i in range(args.edits):
            t = time.perf_counter()
            generation = runner.submit(session.edit(KEY, value + 1 if i % 2 == 0 else value))
            wait(runner, generation, figures=False)
            numbers.append(time.perf_counter() - t)
            wait(runner, generation, figures=True)
            figures.append(time.perf_counter() - t)
    finally:
        runner.stop()
    print(f"scenario {args.scenario.name}, {args.replications} replications, {args.workers} workers")
    print(f"start-up (load, pool, unchanged run): {started:.2f} s; first figures at {first:.2f} s")
    print(
        f"edit -> numbers: median {statistics.median(numbers):.2f} s, best {min(numbers):.2f} s "
        f"(target <= 2 s); all: {' '.join(f'{x:.2f}' for x in numbers)}"
    )
    print(
        f"edit -> figures: median {statistics.median(figures):.2f} s, best {min(figures):.2f} s; "
        f"all: {' '.join(f'{x:.2f}' for x in figures)}"
    )


if __name__ == "__main__":
    main()
