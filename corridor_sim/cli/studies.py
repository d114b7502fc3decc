"""The tuning and study commands: each loads a Study (one scenario, many evaluations) and writes its tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corridor_sim.cli.common import check_work, overrides, progress


def _study(args: argparse.Namespace, bar):
    from corridor_sim.tuning.evaluate import Study

    def expect(n: int) -> None:
        bar.total = (bar.total or 0) + n
        bar.refresh()

    study = Study.load(args.scenario, overrides(args), args.destination, args.workers, bar.update, expect)
    check_work(args, [study.base], max(_demand_multipliers(args), default=1.0))  # per evaluation
    from corridor_sim.workload import DEFAULT_MAX_EVENTS

    study.max_events = DEFAULT_MAX_EVENTS if args.max_events is None else args.max_events
    return study


def _demand_multipliers(args: argparse.Namespace) -> list[float]:
    if getattr(args, "demand", None) is None:
        return []
    from corridor_sim.tuning.capacity import parse_multipliers

    return parse_multipliers(args.demand)


def _tuning_out(args: argparse.Namespace, study, command: str) -> Path:
    from corridor_sim.workspace import claim, safe_name

    return args.claims.enter_context(claim(args.out, Path("results") / safe_name(study.base.name), command))


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip() and n.strip() != "none"]


def cmd_sweep(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.evaluate import format_table
    from corridor_sim.tuning.sweep import parse_param, sweep, write_sweep

    params = [parse_param(spec) for spec in args.param]
    with progress(0, args.quiet, "sweep") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "sweep")
        table = sweep(study, params)
    write_sweep(out, study, params, table)
    print(format_table(table))
    print(
        f"sweep ({study.replications} replications per point, seed {study.seed}, to {study.target_label}) "
        f"written to {out}"
    )
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.evaluate import format_table
    from corridor_sim.tuning.params import parse_factor
    from corridor_sim.tuning.sensitivity import sensitivity, write_sensitivity

    delta = parse_factor(args.delta, "--delta")
    with progress(0, args.quiet, "sensitivity") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "sensitivity")
        table = sensitivity(study, args.params, delta)
    write_sensitivity(out, study, table, delta)
    print(
        format_table(
            table, ["parameter", "base", "change_low", "change_high", "dp50_low", "dp50_high", "dp90_low", "dp90_high"]
        )
    )
    print(
        f"sensitivity (±{delta:.0%}, counts ±1, to {study.target_label}, base p50 {table['p50_base'].iloc[0]:.2f} d, "
        f"p90 {table['p90_base'].iloc[0]:.2f} d) written to {out}"
    )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.calibrate import (
        NOT_REACHED,
        calibrate,
        check_search,
        make_bound,
        parse_target,
        write_calibration,
    )
    from corridor_sim.tuning.params import parse_factor, parse_range

    tolerance = parse_factor(args.tolerance, "--tolerance")
    check_search(args.grid, args.max_evals, tolerance)
    targets = [parse_target(t) for t in args.target]
    ranges = [parse_range(spec) for spec in args.param]
    with progress(0, args.quiet, "calibrate") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "calibrate")
        bounds = [make_bound(study, *r) for r in ranges]
        result = calibrate(study, bounds, targets, args.grid, args.max_evals, tolerance)
    _, path = write_calibration(out, study, result, overrides(args))
    best = result.best
    for b in bounds:
        print(f"{b.key} = {best[b.key]}")
    for t in targets:
        print(
            f"{t.metric}: {best[t.column]:.2f} d (target {t.days:g} d, residual "
            f"{best[f'residual_{t.metric}_days']:+.2f} d)"
        )
    if not result.reached:
        print(f"{len(result.evaluations)} evaluations; closest point (not calibrated): {path}")
        print(f"error: {result.shortfall()}", file=sys.stderr)
        return NOT_REACHED
    print(f"{len(result.evaluations)} evaluations; calibrated scenario: {path}")
    return 0


def cmd_interventions(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.evaluate import KPI_COLUMNS, format_table
    from corridor_sim.tuning.interventions import rank, write_interventions

    with progress(0, args.quiet, "interventions") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "interventions")
        table = rank(study, _names(args.only), args.rank_by)
    write_interventions(out, study, table)
    print(
        format_table(
            table,
            [
                "intervention",
                "cost",
                "cost_unit",
                *KPI_COLUMNS[:3],
                "saved_p50_days",
                "saved_p90_days",
                "saved_p50_days_per_cost",
                "saved_mean_days",
                "saved_generalised_cost_per_teu",
                "saved_mean_days_per_musd",
            ],
        )
    )
    print(table["ranking"].iloc[0])
    print(
        f"interventions (to {study.target_label}, {study.replications} replications, seed {study.seed}) "
        f"written to {out}"
    )
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.capacity import capacity, migration, parse_multipliers, write_capacity
    from corridor_sim.tuning.evaluate import format_table

    multipliers = parse_multipliers(args.demand)
    with progress(0, args.quiet, "capacity") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "capacity")
        curve, res = capacity(study, multipliers, _names(args.interventions))
    write_capacity(out, study, curve, res)
    print(
        format_table(
            curve,
            [
                "stage",
                "demand_multiplier",
                "offered_teu_per_day",
                "carried_teu_per_day",
                "p50_days",
                "p90_days",
                "in_flight_share",
                "saturated",
                "binding",
                "binding_utilisation",
                "saturated_resources",
            ],
        )
    )
    print("\n".join(migration(curve)))
    if curve["stage"].nunique() > 1:
        print("(each +stage adds its intervention to all those above it, in the scenario's order)")
    print(f"capacity (to {study.target_label}) written to {out}")
    return 0


def cmd_uncertainty(args: argparse.Namespace) -> int:
    from corridor_sim.tuning.evaluate import format_table
    from corridor_sim.uncertainty import propagate

    with progress(0, args.quiet, "uncertainty") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "uncertainty")
        _, summary = propagate(study, out, args.samples, args.design, args.design_seed, args.params)
    shown = summary[
        summary["kpi"].isin(["p50_days", "p90_days", "in_band_share"]) | summary["kpi"].str.startswith("Kaz")
    ]
    if study.destination is not None:  # the headline destination; uncertainty.csv holds every one
        shown = shown[shown["destination"].eq(study.destination)]
    print(format_table(shown, ["destination", "kpi", "base", "p5", "p50", "p95", "noise_sd", "parameter_sd"]))
    print(f"uncertainty ({args.samples} parameter sets, {study.replications} replications each) written to {out}")
    return 0


def cmd_gsa(args: argparse.Namespace) -> int:
    from corridor_sim.sensitivity_global import run_gsa, top
    from corridor_sim.tuning.evaluate import format_table

    keys = args.params
    if args.screen is not None:
        from corridor_sim.results import read_json, read_table

        screen = read_table(args.screen, "gsa")
        args.kpi = args.kpi or read_json(args.screen / "study.json").get("kpi")  # the figure the screen ranked by
        keys = top(screen, str(args.kpi), args.top)
    size = args.n if args.method == "sobol" else args.trajectories
    with progress(0, args.quiet, "gsa") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, f"gsa-{args.method}")
        table, kpi = run_gsa(
            study, out, args.method, size=size, levels=args.levels, seed=args.design_seed, keys=keys, kpi=args.kpi
        )
    cols = ["parameter", "S1", "S1_conf", "ST", "ST_conf"] if args.method == "sobol" else None
    print(format_table(table[table["kpi"].eq(kpi)].head(15), cols or ["parameter", "mu_star", "mu_star_conf", "sigma"]))
    print(f"gsa {args.method} ({kpi}) written to {out}")
    return 0
