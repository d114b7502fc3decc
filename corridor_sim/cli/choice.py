"""The route-choice command: a contested market split between corridors at equilibrium."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corridor_sim.cli.common import check_work, progress


def cmd_choice(args: argparse.Namespace) -> int:
    from corridor_sim.loader import load_scenario
    from corridor_sim.market import final_shares, load_market, parse_scales, solve, volume_sets, write_equilibrium
    from corridor_sim.workspace import claim, safe_name, staged

    first = load_market(args.market, args.sets, args.use)
    sim = next(iter(first.scenarios.values())).simulation
    replications = args.replications or sim.replications
    seed = sim.seed if args.seed is None else args.seed
    loaded = load_market(
        args.market, [*args.sets, f"simulation.seed={seed}", f"simulation.replications={replications}"], args.use
    )
    scales = parse_scales(args.scale, loaded.market)
    # one evaluation at its largest: every alternative offered the whole market (each evaluation is checked so)
    check_work(args, [load_scenario(f, [*loaded.sets, *volume_sets(loaded, n, 1.0)]) for n, f in loaded.files.items()])
    root = Path("results") / "choice" / safe_name(loaded.market.name)
    out = args.claims.enter_context(claim(args.out, root, "choice"))
    if args.calibrate_constants:
        from corridor_sim.market import calibrate_constants
        from corridor_sim.workspace import write_tables

        with progress(0, args.quiet, "choice") as bar:
            table = calibrate_constants(loaded, scales[0], replications, seed, bar.update)
        with staged(out) as tmp:
            write_tables(tmp, {"constants": table})
        print(table[["alternative", "offered_share", "mean_days", "generalised_cost_per_teu", "constant_per_teu"]])
        print(f"constants (scale {scales[0]:g}, {replications} replications, seed {seed}) written to {out}")
        return 0
    with progress(0, args.quiet, "choice") as bar:
        solutions = [solve(loaded, s, replications, seed, bar.update) for s in scales]
    with staged(out) as tmp:
        write_equilibrium(tmp, loaded, solutions, replications, seed)
    view = final_shares(solutions)[
        ["scale", "alternative", "offered_share", "mean_days", "p90_days", "price_per_teu", "generalised_cost_per_teu"]
    ]
    print(view.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for s in solutions:
        state = "converged" if s.converged else "NOT converged"
        print(f"scale {s.scale:g}: {state} after {len(s.seconds)} iterations, {sum(s.seconds):.1f} s")
    print(f"route choice ({replications} replications, seed {seed}) written to {out}")
    failed = [s for s in solutions if not s.converged]
    if failed:
        print(f"error: scale {failed[0].scale:g}: {failed[0].message}", file=sys.stderr)
        return 3
    return 0
