"""Commands that simulate scenarios or read what they wrote: run, compare, validate, plot, report, cache, export,
serve."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corridor_sim.cli.common import check_work, overrides, progress, promise_days
from corridor_sim.errors import ScenarioError


def cmd_run(args: argparse.Namespace) -> int:
    from corridor_sim.console import transit_table
    from corridor_sim.loader import load_scenario
    from corridor_sim.runner import execute_run
    from corridor_sim.workspace import claim

    scenario = load_scenario(args.scenario, overrides(args))
    if args.workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    check_work(args, [scenario])
    promise = promise_days(args.promise)
    out = args.claims.enter_context(claim(args.out, Path("results"), scenario.name))
    with progress(scenario.simulation.replications, args.quiet, scenario.name) as bar:
        path, summary = execute_run(scenario, out, args.workers, bar.update, promise)
    print(transit_table(summary))
    print(f"results written to {path}")
    if args.check:
        from corridor_sim.invariants import InvariantError, check_run_dir

        try:
            check_run_dir(path)
        except InvariantError as exc:
            print(f"error: invariant check failed (results kept for inspection): {exc}", file=sys.stderr)
            return 1
        print("invariants: all checks passed")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from corridor_sim.analysis import counts
    from corridor_sim.compare import compare, format_table, write_comparison
    from corridor_sim.console import censoring_warning
    from corridor_sim.loader import load_scenario
    from corridor_sim.workspace import claim, staged

    first = load_scenario(args.scenarios[0], args.sets).simulation
    replications = args.replications or first.replications
    seed = first.seed if args.seed is None else args.seed
    # common random numbers: every scenario runs with the same seed and replication count
    common = [*args.sets, f"simulation.seed={seed}", f"simulation.replications={replications}"]
    scenarios = [load_scenario(path, common) for path in args.scenarios]
    check_work(args, scenarios)
    promise = promise_days(args.promise)
    if args.uncertainty_samples is not None and args.uncertainty_samples < 1:
        raise ScenarioError("must be at least 1", key="--uncertainty-samples")
    out = args.claims.enter_context(claim(args.out, Path("results"), "compare"))
    with progress(replications * len(scenarios), args.quiet, "compare") as bar:
        result = compare(scenarios, replications, seed, args.workers, bar.update, args.reference, promise)
        if args.uncertainty_samples:
            result.table = _with_uncertainty(args, common, result.table, bar)
    with staged(out) as tmp:
        write_comparison(tmp, result, scenarios, replications, seed, promise)
    print(format_table(result.table))
    for name, tables in result.tables.items():
        warning = censoring_warning(name, counts(tables["containers"]))
        if warning:
            print(warning)
    print(f"comparison ({replications} replications, seed {seed}, common random numbers) written to {out}")
    return 0


def _with_uncertainty(args: argparse.Namespace, common: list[str], table, bar):
    """The comparison table with each scenario's band over its ranges (`--uncertainty-samples`)."""
    from corridor_sim.uncertainty import scenario_bands

    def expect(n: int) -> None:
        bar.total = (bar.total or 0) + n
        bar.refresh()

    table, unranged = scenario_bands(
        table, args.scenarios, common, args.uncertainty_samples, args.workers, bar.update, expect, args.max_events
    )
    for path in unranged:
        print(f"note: {path} has no ranged figure (see `validate`): no band over the ranges", file=sys.stderr)
    return table


def cmd_validate(args: argparse.Namespace) -> int:
    from corridor_sim.console import describe_provenance
    from corridor_sim.listing import describe_scenario
    from corridor_sim.loader import load_raw_with_sets, validate
    from corridor_sim.network import build_network
    from corridor_sim.ranges import describe as describe_ranges
    from corridor_sim.workload import estimate

    raw = load_raw_with_sets(args.scenario, args.sets)
    scenario = validate(raw, str(args.scenario), name=args.scenario.stem)
    print(describe_scenario(raw, build_network(scenario)))
    print(describe_provenance(scenario))
    print(describe_ranges(raw, scenario.provenance))
    print(estimate(scenario).describe())
    print(f"{args.scenario}: valid")
    return 0


def _stages(bar, command: str):
    """A progress bar that names the stage a plot or report is in (reading, drawing, tables) and counts its steps."""
    from corridor_sim.plots.directory import Progress

    class Bar(Progress):
        def begin(self, stage: str, total: int) -> None:
            bar.set_description(f"{command}: {stage}", refresh=False)
            bar.reset(total)

        def step(self) -> None:
            bar.update(1)

    return Bar()


def cmd_plot(args: argparse.Namespace) -> int:
    from corridor_sim.plots import plot_results
    from corridor_sim.results import check_results_dir

    check_results_dir(args.results)
    if args.draw_workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    with progress(0, args.quiet, "plot", unit="step") as bar:
        paths = plot_results(args.results, args.draw_workers, _stages(bar, "plot"))
    print(f"{len(paths)} plots written to {args.results / 'plots'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from corridor_sim.report import build_report

    with progress(0, args.quiet, "report", unit="step") as bar:
        out = build_report(args.results, args.out or args.results[0] / "report.html", _stages(bar, "report"))
    print(f"report written to {out}")
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    from corridor_sim.cache import resolve_cache

    cache = resolve_cache(args.cache)
    if args.action == "clear":
        gone = cache.clear()
        print(f"removed {gone.entries} replications ({gone.size / 1e6:.1f} MB) from {cache.root}")
        return 0
    usage = cache.usage()
    print(f"cache: {cache.root}")
    print(f"{usage.entries} replications, {usage.size / 1e6:.1f} MB of at most {cache.max_bytes / 1e6:.0f} MB")
    print("least recently used replications are removed beyond the cap ($CORRIDOR_SIM_CACHE_SIZE, e.g. 5GB)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from corridor_sim.export import export_xlsx

    out, names = export_xlsx(args.results, args.out)
    print(f"{len(names)} sheets ({', '.join(names)}) written to {out}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from corridor_sim.serve.server import serve

    return serve(
        args.scenario,
        host=args.host,
        port=args.port,
        replications=args.replications,
        seed=args.seed,
        workers=args.serve_workers,
        destination=args.destination,
        sets=args.sets,
        max_events=args.max_events,
    )
