"""Benchmark: where `plot`'s CPU seconds go, figure kind by figure kind (what to make cheaper next for target 8).

For each figure of a results directory, in one process: the CPU seconds to build it (data work, axes, the margins
it measures) and to render and save it, with its layout as drawn; and, with `--no-layout`, the render again with
its layout engine removed, for what a layout engine still costs. Each figure is timed `--repeat` times and the
minimum kept. Without a directory, it runs the README's compare (3 scenarios, 10 replications) into a temporary one.

    python benchmarks/bench_figures.py [RESULTS_DIR] [--repeat 3] [--no-layout]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

from common import ROOT

from corridor_sim.plots.directory import directory_jobs
from corridor_sim.plots.style import render, save

SCENARIOS = [ROOT / "scenarios" / f"{name}.yaml" for name in ("baseline_2022", "current_2023", "target")]


def kind(path: Path) -> str:
    """A figure's kind: its file name without the destination a comparison figure is drawn for."""
    return path.stem.split("_compare")[0] + "_compare" if "_compare" in path.stem else path.stem


def cpu(fn) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def measure(directory: Path, repeat: int, no_layout: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        start = time.process_time()
        jobs = directory_jobs(directory, Path(tmp))  # every table read and checked
        read = time.process_time() - start
        build, draw, bare, count = defaultdict(float), defaultdict(float), defaultdict(float), defaultdict(int)
        for job in jobs:
            k = kind(job.path)
            count[k] += 1
            times = []
            for _ in range(repeat):
                b, fig = cpu(job.draw)
                d, _ = cpu(partial(save, fig, job.path, tight=job.tight))
                times.append((b, d))
            build[k] += min(t[0] for t in times)
            draw[k] += min(t[1] for t in times)
            if no_layout:
                renders = []
                for _ in range(repeat):
                    fig = job.draw()
                    if fig.get_layout_engine() is not None:
                        fig.set_layout_engine("none")
                    renders.append(cpu(partial(render, fig, job.tight))[0])
                bare[k] += min(renders)
    print(f"{len(jobs)} figures of {directory}; tables read in {read:.2f} CPU s (minimum of {repeat} per figure)")
    head = f"{'kind':<26} {'n':>3} {'build s':>8} {'render+save s':>14}"
    print(head + (f" {'render, no layout s':>20}" if no_layout else ""))
    for k in sorted(build, key=lambda k: -(build[k] + draw[k])):
        line = f"{k:<26} {count[k]:>3} {build[k]:>8.2f} {draw[k]:>14.2f}"
        print(line + (f" {bare[k]:>20.2f}" if no_layout else ""))
    total = f"{'total':<26} {sum(count.values()):>3} {sum(build.values()):>8.2f} {sum(draw.values()):>14.2f}"
    print(total + (f" {sum(bare.values()):>20.2f}" if no_layout else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-layout", action="store_true", help="also render each figure with its layout engine removed")
    args = ap.parse_args()
    if args.results is not None:
        measure(args.results, args.repeat, args.no_layout)
        return
    with tempfile.TemporaryDirectory(prefix="bench-figures-runs-") as tmp:
        out = Path(tmp) / "compare"
        command = ["compare", *map(str, SCENARIOS), "--replications", "10", "--no-cache", "--quiet", "--out", str(out)]
        subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *command], check=True, stdout=subprocess.DEVNULL)
        measure(out, args.repeat, args.no_layout)


if __name__ == "__main__":
    main()
