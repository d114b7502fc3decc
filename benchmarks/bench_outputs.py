"""Benchmark — `plot` + `report` against the `compare` that made the runs (issue 15: plot + report <= compare; the
report < 3 MB).

Each round runs, back to back and as a user would, the README's compare (the three bundled scenarios, 10
replications, `--no-cache` so that it simulates), then `plot` of its directory, then `report` of it: each command a
process of its own, start-up included, at the command line's defaults (compare on one worker, plot on every core)
unless told otherwise. The verdict is on the median of the per-round ratios (plot + report) / compare, so that a
machine slowed by other processes slows both sides alike.

    python benchmarks/bench_outputs.py [--rounds 3] [--replications 10] [--compare-workers 1] [--plot-workers N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

SCENARIOS = [ROOT / "scenarios" / f"{name}.yaml" for name in ("baseline_2022", "current_2023", "target")]
LIMIT_MB = 3.0


def timed(*args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--compare-workers", type=int, default=1)
    ap.add_argument("--plot-workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    print(
        f"{'round':>5} {'compare s':>9} {'plot s':>7} {'report s':>8} {'(plot+report)/compare':>22} {'report MB':>9}"
        f" {'figures':>7} {'load':>5}"
    )
    ratios, sizes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp:
        for r in range(args.rounds):
            out = Path(tmp) / f"cmp{r}"
            compare = timed(
                "compare",
                *map(str, SCENARIOS),
                "--replications",
                str(args.replications),
                "--workers",
                str(args.compare_workers),
                "--no-cache",
                "--quiet",
                "--out",
                str(out),
            )
            plot = timed("plot", str(out), "--workers", str(args.plot_workers), "--quiet")
            report = timed("report", str(out), "--quiet")
            size = (out / "report.html").stat().st_size / 1e6
            figures = len(list((out / "plots").rglob("*.png")))
            ratios.append((plot + report) / compare)
            sizes.append(size)
            load = os.getloadavg()[0]
            print(
                f"{r + 1:>5} {compare:>9.1f} {plot:>7.1f} {report:>8.1f} {ratios[-1]:>22.2f} {size:>9.2f}"
                f" {figures:>7} {load:>5.1f}"
            )
    median = statistics.median(ratios)
    print(f"median (plot + report) / compare = {median:.2f} (target <= 1: {'met' if median <= 1 else 'NOT met'})")
    print(
        f"report size {max(sizes):.2f} MB (target < {LIMIT_MB:g} MB: {'met' if max(sizes) < LIMIT_MB else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
