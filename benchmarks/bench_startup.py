"""Benchmark 4 — start-up: `corridor-sim validate` on a bundled scenario vs `python -c "import pandas, matplotlib"`.

Both are fresh interpreter processes, run alternately, best of N wall times; target ratio <= 1.5. Also lists which
heavy packages `validate` imports (from `python -X importtime`): it needs none of pandas, matplotlib, simpy, scipy.

    python benchmarks/bench_startup.py [--repeat 7] [--scenario scenarios/current_2023.yaml]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, corridor_path

HEAVY = ("pandas", "matplotlib", "simpy", "scipy", "networkx", "numpy", "pydantic", "yaml", "tqdm", "dask")
VALIDATE = "from corridor_sim.cli import main; raise SystemExit(main())"  # what the console script runs


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--scenario", type=Path, default=corridor_path())
    args = ap.parse_args()
    validate = [sys.executable, "-c", VALIDATE, "validate", str(args.scenario)]
    imports = [sys.executable, "-c", "import pandas, matplotlib"]
    best_v = best_i = float("inf")
    for _ in range(args.repeat):
        best_v = min(best_v, wall(validate))
        best_i = min(best_i, wall(imports))

    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", VALIDATE, "validate", str(args.scenario)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stderr
    loaded = sorted(
        {line.split("|")[-1].strip().split(".")[0] for line in trace.splitlines() if "|" in line} & set(HEAVY)
    )
    ratio = best_v / best_i
    print(f"start-up: best of {args.repeat}")
    print(f"  corridor-sim validate {args.scenario.name}: {best_v:.3f} s")
    print(f"  python -c 'import pandas, matplotlib':     {best_i:.3f} s")
    print(f"  ratio {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"  heavy packages validate imports: {', '.join(loaded) or 'none'}")
    unwanted = [p for p in ("pandas", "matplotlib", "simpy", "scipy") if p in loaded]
    print(f"  of pandas/matplotlib/simpy/scipy: {', '.join(unwanted) or 'none'}")


if __name__ == "__main__":
    main()
