"""Benchmark — `plot` + `report` against the `compare` that made the runs (issue 15: plot + report <= compare; the
report < 3 MB).

Each round runs, back to back and as a user would, the README's compare (the three bundled scenarios, 10
replications, `--no-cache` so that it simulates), then `plot` of its directory, then `report` of it: each command a
process of its own, start-up included, at the command line's defaults (compare on one worker, plot on every core)
unless told otherwise. The verdict is on the median of the per-round ratios (plot + report) / compare of wall
times; the same ratio of CPU seconds (worker processes included) is printed beside it, because on a shared machine
other processes slow the two-process plot more than the one-process compare, and the wall ratio moves with them.

    python benchmarks/bench_outputs.py [--rounds 3] [--replications 10] [--compare-workers 1] [--plot-workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

SCENARIOS = [ROOT / "scenarios" / f"{name}.yaml" for name in ("baseline_2022", "current_2023", "target")]
LIMIT_MB = 3.0


def timed(*args: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the command's worker processes included) of one command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--compare-workers", type=int, default=1)
    ap.add_argument("--plot-workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    print(
        f"{'round':>5} {'compare s':>9} {'plot s':>7} {'report s':>8} {'ratio':>6} | {'CPU: compare':>12} {'plot':>5}"
        f" {'report':>6} {'ratio':>6} | {'report MB':>9} {'figures':>7} {'load':>5}"
    )
    ratios, cpu_ratios, sizes = [], [], []
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
            ratios.append((plot[0] + report[0]) / compare[0])
            cpu_ratios.append((plot[1] + report[1]) / compare[1])
            sizes.append(size)
            print(
                f"{r + 1:>5} {compare[0]:>9.1f} {plot[0]:>7.1f} {report[0]:>8.1f} {ratios[-1]:>6.2f} |"
                f" {compare[1]:>12.1f} {plot[1]:>5.1f} {report[1]:>6.1f} {cpu_ratios[-1]:>6.2f} |"
                f" {size:>9.2f} {figures:>7} {os.getloadavg()[0]:>5.1f}"
            )
    median = statistics.median(ratios)
    print(f"median wall (plot + report) / compare = {median:.2f} (target <= 1: {'met' if median <= 1 else 'NOT met'})")
    print(f"median CPU (plot + report) / compare = {statistics.median(cpu_ratios):.2f} (less moved by other load)")
    print(
        f"report size {max(sizes):.2f} MB (target < {LIMIT_MB:g} MB: {'met' if max(sizes) < LIMIT_MB else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
