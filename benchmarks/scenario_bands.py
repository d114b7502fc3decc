"""Seed-robustness of the bundled scenarios: for each seed, the pooled China -> Poti median of N replications, the
spread of per-replication medians (p10-p90), the Kazakh section both ways, and mean days per section.

usage: PYTHONPATH=$PWD python benchmarks/scenario_bands.py [--seeds 1 2 3 4 5] [--reps 10] [SCENARIO ...]
Prints one row per (scenario, seed) and a pooled row per scenario; the numbers quoted in docs/scenarios.md come
from this script (the command is printed with them).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from corridor_sim.experiment import run_replications
from corridor_sim.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["baseline_2022", "current_2023", "target", "observed_2025"]


def measure(name: str, seed: int, reps: int, dest: str = "poti", origin: str = "xian") -> dict:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    t = run_replications(sc, reps, seed)
    c = t["containers"]
    m = c[(c.measured) & (c.status == "delivered") & (c.destination == dest) & (c.origin == origin)]
    per_rep = m.groupby("replication").transit_days.median()
    band = next((b for b in sc.published if b.destination == dest), None)
    s = t["sections"]
    s = s[s.destination == dest].groupby(["replication", "section"], observed=True).days.sum()
    s = s.groupby("section", observed=True).mean()
    row = {
        "scenario": name,
        "seed": seed,
        "median": float(m.transit_days.median()),
        "p10": float(m.transit_days.quantile(0.1)),
        "p90": float(m.transit_days.quantile(0.9)),
        "in_band": None if band is None else bool(band.low / 24 <= m.transit_days.median() <= band.high / 24),
        "rep_medians": per_rep.to_numpy(),
    }
    row.update({f"sec:{k}": float(v) for k, v in s.items()})
    return row


def surge(seed: int, reps: int, first: int = 91, last: int = 181) -> None:
    """2022's surge (April-June): the Aktau yard's backlog should grow at arrivals minus the fleet's capacity, the
    same in every replication (a fluid backlog, not a coin flip at utilisation ~1)."""
    sc = load_scenario(ROOT / "scenarios" / "baseline_2022.yaml")
    t = run_replications(sc, reps, seed)
    o = t["occupancy"]
    y = o[(o.location == "aktau") & (o.metric == "yard_containers") & (o.day >= first) & (o.day <= last)]
    slopes = y.groupby("replication").apply(lambda g: np.polyfit(g.day, g.value, 1)[0], include_groups=False)
    sl = t["sailings"]
    a = sl[(sl.segment == "aktau_alat") & (sl.depart_day >= first) & (sl.depart_day < last)]
    carried = a.groupby("replication").containers.sum() / (last - first)
    print(
        f"baseline_2022 seed {seed}: Aktau yard backlog, days {first}-{last}: growth {slopes.mean():.1f} containers/d "
        f"(replications {slopes.min():.1f}-{slopes.max():.1f}); fleet carried {carried.mean():.1f}/day at capacity"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=DEFAULT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--surge", action="store_true", help="also the 2022 backlog growth rate in the surge")
    a = ap.parse_args()
    if a.surge:
        surge(a.seeds[0], a.reps)
    rows = [measure(n, s, a.reps) for n in a.scenarios for s in a.seeds]
    df = pd.DataFrame(rows)
    pd.set_option("display.width", 250, "display.max_columns", 40)
    cols = ["scenario", "seed", "median", "p10", "p90", "in_band"]
    print(df[cols].round(1).to_string(index=False))
    for name, g in df.groupby("scenario", sort=False):
        reps = np.concatenate(g.rep_medians.to_list())
        p10, p90 = np.percentile(reps, [10, 90])
        print(
            f"{name}: seed medians {g['median'].min():.1f}-{g['median'].max():.1f} d, all in band: "
            f"{bool(g.in_band.all())}; per-replication medians ({len(reps)}) p10-p90 {p10:.1f}-{p90:.1f} "
            f"(spread {p90 - p10:.1f} d)"
        )
        secs = g[[c for c in g.columns if c.startswith("sec:")]].mean().round(2)
        print("   mean days per section:", {k[4:]: v for k, v in secs.items() if v == v})


if __name__ == "__main__":
    main()
