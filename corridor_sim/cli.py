"""Command line: a thin layer that parses arguments, calls the library and maps failures to exit codes.

Exit codes: 0 success, 2 bad input (one line naming file and key), 1 internal error (short message and the path of
the full traceback), 130 interrupted (nothing half-written is left behind).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

from corridor_sim.errors import ScenarioError


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario value (repeatable), e.g. --set simulation.seed=7",
    )


def _run_args(p: argparse.ArgumentParser, out: str = "results/<scenario>/<UTC timestamp>") -> None:
    _scenario_args(p)
    p.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--out", type=Path, metavar="DIR", help=f"new results directory, never overwritten (default {out})")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes running replications and sweep points, this one among them (default 1; at most the cores "
        "available)",
    )
    p.add_argument("--force-workers", action="store_true", help="allow more --workers than the cores available")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--dask",
        action="store_true",
        help="run on a local Dask cluster (--workers processes, default all cores); needs corridor-sim[dask]",
    )
    where.add_argument(
        "--scheduler", type=_scheduler, metavar="ADDRESS", help="run on the Dask cluster at ADDRESS (tcp://host:8786)"
    )
    p.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="reuse finished replications kept in DIR (default $CORRIDOR_SIM_CACHE or the user cache directory)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither reuse nor keep finished replications")
    p.add_argument(
        "--max-events",
        type=float,
        metavar="N",
        help="refuse a run whose work estimate (events and records, all replications) exceeds N "
        "(default 2e8; see `validate`)",
    )


def _scheduler(text: str) -> str:
    """A Dask scheduler address, read as Dask will read it: a malformed one is bad input, not a failed connection."""
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        return text  # the missing extra is reported when the command starts
    try:
        scheme, location = parse_address(text, strict=True)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"{exc} (expected e.g. tcp://host:8786)") from None
    return text


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other bad input (exit 2), not usage text plus an error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


DESCRIPTION = """\
Simulate container freight on the Trans-Caspian International Transport Route (the "Middle Corridor", China ->
Kazakhstan -> Caspian Sea -> Azerbaijan -> Georgia -> Turkiye / Europe). A scenario file describes the network,
its capacities, schedules, demand and disruptions; transit times emerge from them. Run a scenario, compare scenarios
on common random numbers, or ask what a change would buy (sweep, sensitivity, calibrate, interventions, capacity).
Every command that simulates writes a new results directory (never overwriting one)."""

EPILOG = """\
examples:
  corridor-sim validate scenarios/current_2023.yaml
  corridor-sim compare scenarios/baseline_2022.yaml scenarios/current_2023.yaml scenarios/target.yaml
  corridor-sim sweep scenarios/current_2023.yaml --param network.segments.aktau_alat.vessels.0.count=1..4:4
  corridor-sim <command> --help     (the options of one command)

exit codes: 0 success; 2 bad input (one line naming the file, key path and problem); 3 calibrate could not reach
its targets, or choice found no equilibrium; 1 internal error (one line and the path of the traceback); 130
interrupted (nothing half-written)."""


def _sub(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose --help opens with the same sentence the command list shows."""
    return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")


def build_parser() -> argparse.ArgumentParser:
    """Every command and option (long because it is a flat list of declarations, not logic)."""
    from corridor_sim import __version__

    parser = _Parser(
        prog="corridor-sim",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"corridor-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = _sub(sub, "run", "simulate a scenario and write a new results directory")
    p.add_argument("scenario", type=Path)
    _run_args(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="check invariants (conservation, timelines, capacities) on the tables; exit 1 if any fail",
    )
    _promise_arg(p)
    p = _sub(sub, "compare", "run several scenarios on common random numbers and compare them")
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    _run_args(p, "results/compare/<UTC timestamp>")
    _promise_arg(p)
    p.add_argument(
        "--reference",
        metavar="NAME",
        help="paired differences of every scenario against this one (default: every pair, later minus earlier)",
    )
    _tuning_parsers(sub)
    _choice_parser(sub)
    p = _sub(sub, "validate", "check a scenario file and print every section of it, its routes and provenance")
    p.add_argument("scenario", type=Path)
    _scenario_args(p)
    _serve_parser(sub)
    p = _sub(sub, "plot", "(re)draw a run's or comparison's plots into RESULTS_DIR/plots/")
    p.add_argument("results", type=Path, metavar="RESULTS_DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        dest="draw_workers",
        help="processes drawing figures (default: every core)",
    )
    p = _sub(sub, "cache", "show or clear the cache of finished replications")
    p.add_argument("action", choices=["info", "clear"])
    p.add_argument("--cache", type=Path, metavar="DIR", help="the cache directory (default as for run)")
    p = _sub(sub, "report", "one self-contained HTML report (figures, tables, parameters side by side)")
    p.add_argument("results", type=Path, nargs="+", metavar="RESULTS_DIR")
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE.html",
        help="report file, never overwritten (default RESULTS_DIR/report.html of the first directory)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = _sub(sub, "export", "write a results directory's summary tables to a spreadsheet, one sheet each")
    p.add_argument("results", type=Path, metavar="RESULTS_DIR")
    p.add_argument("--xlsx", action="store_true", required=True, help="an Excel workbook (needs corridor-sim[xlsx])")
    p.add_argument(
        "--out", type=Path, metavar="FILE.xlsx", help="workbook, never overwritten (default RESULTS_DIR/summary.xlsx)"
    )
    return parser


def _promise_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--promise",
        metavar="DURATION",
        help="promised transit, e.g. 23d: the share delivered within it is reported "
        "(default: the upper end of each destination's published band)",
    )


def _promise_days(text: str | None) -> float | None:
    from corridor_sim.units import parse_duration

    if text is None:
        return None
    try:
        hours = parse_duration(text.strip())
    except ValueError as exc:
        raise ScenarioError(str(exc), file="--promise") from None
    if hours <= 0:
        raise ScenarioError("must be positive", file="--promise")
    return hours / 24


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    p = _sub(sub, "serve", "a local web page: change parameters, see the days move (needs corridor-sim[ui])")
    p.add_argument("scenario", type=Path)
    _scenario_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one; the address is printed)")
    p.add_argument("--replications", type=int, default=10, help="replications per edit (default 10)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--workers", dest="serve_workers", type=int, help="processes (default: all cores)")
    p.add_argument("--destination", help="destination shown first (default: the first published band's)")
    p.add_argument(
        "--max-events",
        type=float,
        metavar="N",
        help="refuse an edit whose work estimate (events and records, all replications) exceeds N (default 2e8)",
    )


def _tuning_parsers(sub: argparse._SubParsersAction) -> None:
    """The tuning commands' options (long because it is a flat list of declarations, not logic)."""

    def tuning(name: str, text: str) -> argparse.ArgumentParser:
        p = _sub(sub, name, text)
        p.add_argument("scenario", type=Path)
        _run_args(p, f"results/<scenario>/{name}/<UTC timestamp>")
        p.add_argument(
            "--destination",
            help="destination whose transit is measured, or 'all' "
            "(default: the first published band's destination, else all)",
        )
        return p

    p = tuning("sweep", "transit and throughput over a grid of parameter values (common random numbers)")
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="KEY.PATH=V1,V2,...|LO..HI[:N]",
        help="values of one parameter, listed or as a range of N evenly spaced points, ends included (24h..96h:4; "
        "without :N, every whole number of a range like 1..4, else 5 points); repeatable: the grid is the cartesian "
        "product; a distribution keeps its shape and takes the value as its mean",
    )
    p = tuning("sensitivity", "one-at-a-time low/high change of each parameter: a tornado of p50/p90 effects")
    p.add_argument(
        "--params",
        nargs="+",
        metavar="KEY.PATH",
        help="parameters to vary (default: every numeric node, segment and rolling-stock parameter)",
    )
    p.add_argument(
        "--delta",
        default="20%",
        help="relative change down and up of each quantity (default 20%%); whole numbers (servers, vessels, sets) "
        "move by 1, fractions capped at 1 stop there",
    )
    p = tuning("calibrate", "find parameter values that meet transit targets; write the calibrated scenario")
    p.add_argument(
        "--target",
        action="append",
        required=True,
        metavar="METRIC=DURATION",
        help="p50=20d, p90=…, mean=… (repeatable)",
    )
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="KEY.PATH=LO..HI",
        help="a parameter and its search range, e.g. network.nodes.dostyk.handling.time=12h..72h",
    )
    p.add_argument(
        "--grid", type=int, default=5, help="grid points per parameter before refinement, at least 2 (default 5)"
    )
    p.add_argument(
        "--max-evals",
        type=int,
        default=30,
        help="simulated points at most, grid included: a hard cap (default 30)",
    )
    p.add_argument(
        "--tolerance",
        default="2%",
        help="a target is reached within this share of its value (default 2%%); "
        "if not, the best point is still written, marked, and the exit code is 3",
    )
    p = tuning("interventions", "rank the scenario's interventions by days saved at p50 and p90")
    p.add_argument("--only", metavar="NAME,NAME", help="rank only these interventions")
    p.add_argument(
        "--rank-by",
        default="p50_days",
        choices=["p50_days", "days", "generalised_cost", "days_per_musd"],
        help="days saved at p50 (default), mean days saved per container, generalised cost saved per TEU, "
        "or mean days saved per container per USD million of cost",
    )
    _uncertainty_parsers(tuning)
    p = tuning("capacity", "transit and throughput against a demand multiplier; saturation and the bottleneck")
    p.add_argument("--demand", default="0.5,1,1.5,2,3", help="demand multipliers (default 0.5,1,1.5,2,3)")
    p.add_argument(
        "--interventions",
        default=None,
        metavar="NAME,NAME|none",
        help="interventions added one after another to show the bottleneck migrate "
        "(default: all the scenario lists, in file order)",
    )


def _uncertainty_parsers(tuning) -> None:
    """`uncertainty` and `gsa`: studies over the ranges of the scenario's estimates (see docs/uncertainty.md)."""
    ranged = "ranged figures to vary (default: every figure with a `range:`)"
    seed = "seed of the design (default: the scenario's seed)"
    p = tuning("uncertainty", "the headline as a distribution over the estimates' ranges, apart from replication noise")
    p.add_argument("--samples", type=int, default=32, help="parameter sets drawn over the ranges (default 32)")
    p.add_argument("--design", choices=["lhs", "sobol"], default="lhs", help="Latin hypercube or Sobol sequence")
    p.add_argument("--design-seed", type=int, help=seed)
    p.add_argument("--params", nargs="+", metavar="KEY.PATH", help=ranged)
    p = tuning("gsa", "global sensitivity over the estimates' ranges (SALib): Morris screen or Sobol indices")
    p.add_argument("--method", choices=["morris", "sobol"], default="morris", help="default morris")
    p.add_argument("--trajectories", type=int, default=10, help="Morris: runs = trajectories x (k + 1) (default 10)")
    p.add_argument("--levels", type=int, default=4, help="Morris: grid levels, even (default 4)")
    p.add_argument("--n", type=int, default=64, help="Sobol: base sample, a power of two; runs = n x (k + 2)")
    p.add_argument("--params", nargs="+", metavar="KEY.PATH", help=ranged)
    p.add_argument("--screen", type=Path, metavar="DIR", help="Sobol: a Morris results directory to take --top from")
    p.add_argument("--top", type=int, default=6, help="with --screen: the parameters of largest mu* (default 6)")
    p.add_argument("--kpi", help="figure plotted and ranked by, e.g. poti:p90_days (default <destination>:p50_days)")
    p.add_argument("--design-seed", type=int, help=seed)


def _overrides(args: argparse.Namespace) -> list[str]:
    sets = list(args.sets)
    for flag, key in (("replications", "simulation.replications"), ("seed", "simulation.seed")):
        value = getattr(args, flag, None)
        if value is not None:
            sets.append(f"{key}={value}")
    return sets


def _check_work(args: argparse.Namespace, scenarios: list, demand_factor: float = 1.0) -> None:
    """Refuse a run whose estimated work exceeds --max-events, before anything is simulated or written."""
    from corridor_sim.workload import DEFAULT_MAX_EVENTS, check, estimate

    limit = DEFAULT_MAX_EVENTS if args.max_events is None else args.max_events
    check([estimate(s, demand_factor=demand_factor) for s in scenarios], limit)


def _execution(args: argparse.Namespace):
    """Executor and cache for every replication the command runs (nothing for commands that run none)."""
    from contextlib import nullcontext

    if not hasattr(args, "workers"):
        return nullcontext()
    from corridor_sim.cache import resolve_cache
    from corridor_sim.experiment import execution, usable_workers

    if args.workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    args.workers, capped = usable_workers(args.workers, args.force_workers)
    if capped:
        print(f"note: {capped}", file=sys.stderr)
    return execution(
        workers=args.workers,
        executor="dask" if args.dask else None,
        scheduler=args.scheduler,
        cache=resolve_cache(args.cache, enabled=not args.no_cache),
    )


def _progress(total: int, quiet: bool, desc: str, unit: str = "rep"):
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet or not sys.stderr.isatty(), leave=False)
    return bar


def cmd_run(args: argparse.Namespace) -> int:
    from corridor_sim.console import transit_table
    from corridor_sim.loader import load_scenario
    from corridor_sim.runner import execute_run
    from corridor_sim.workspace import claim

    scenario = load_scenario(args.scenario, _overrides(args))
    if args.workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    _check_work(args, [scenario])
    promise = _promise_days(args.promise)
    out = args.claims.enter_context(claim(args.out, Path("results"), scenario.name))
    with _progress(scenario.simulation.replications, args.quiet, scenario.name) as bar:
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
    _check_work(args, scenarios)
    promise = _promise_days(args.promise)
    out = args.claims.enter_context(claim(args.out, Path("results"), "compare"))
    with _progress(replications * len(scenarios), args.quiet, "compare") as bar:
        result = compare(scenarios, replications, seed, args.workers, bar.update, args.reference, promise)
    with staged(out) as tmp:
        write_comparison(tmp, result, scenarios, replications, seed, promise)
    print(format_table(result.table))
    for name, tables in result.tables.items():
        warning = censoring_warning(name, counts(tables["containers"]))
        if warning:
            print(warning)
    print(f"comparison ({replications} replications, seed {seed}, common random numbers) written to {out}")
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


def cmd_plot(args: argparse.Namespace) -> int:
    from corridor_sim.plots import plot_results
    from corridor_sim.results import check_results_dir

    check_results_dir(args.results)
    if args.draw_workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    with _progress(0, args.quiet, "plot", unit="fig") as bar:
        paths = plot_results(args.results, bar.update, args.draw_workers, bar.reset)
    print(f"{len(paths)} plots written to {args.results / 'plots'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from corridor_sim.report import build_report

    with _progress(0, args.quiet, "report", unit="fig") as bar:
        out = build_report(args.results, args.out or args.results[0] / "report.html", bar.update, bar.reset)
    print(f"report written to {out}")
    return 0


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


def _study(args: argparse.Namespace, bar):
    from corridor_sim.tuning.evaluate import Study

    def expect(n: int) -> None:
        bar.total = (bar.total or 0) + n
        bar.refresh()

    study = Study.load(args.scenario, _overrides(args), args.destination, args.workers, bar.update, expect)
    _check_work(args, [study.base], max(_demand_multipliers(args), default=1.0))  # per evaluation
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
    with _progress(0, args.quiet, "sweep") as bar:
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
    with _progress(0, args.quiet, "sensitivity") as bar:
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
    with _progress(0, args.quiet, "calibrate") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, "calibrate")
        bounds = [make_bound(study, *r) for r in ranges]
        result = calibrate(study, bounds, targets, args.grid, args.max_evals, tolerance)
    _, path = write_calibration(out, study, result, _overrides(args))
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

    with _progress(0, args.quiet, "interventions") as bar:
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
    with _progress(0, args.quiet, "capacity") as bar:
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

    with _progress(0, args.quiet, "uncertainty") as bar:
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
    with _progress(0, args.quiet, "gsa") as bar:
        study = _study(args, bar)
        out = _tuning_out(args, study, f"gsa-{args.method}")
        table, kpi = run_gsa(
            study, out, args.method, size=size, levels=args.levels, seed=args.design_seed, keys=keys, kpi=args.kpi
        )
    cols = ["parameter", "S1", "S1_conf", "ST", "ST_conf"] if args.method == "sobol" else None
    print(format_table(table[table["kpi"].eq(kpi)].head(15), cols or ["parameter", "mu_star", "mu_star_conf", "sigma"]))
    print(f"gsa {args.method} ({kpi}) written to {out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from corridor_sim.export import export_xlsx

    out, names = export_xlsx(args.results, args.out)
    print(f"{len(names)} sheets ({', '.join(names)}) written to {out}")
    return 0


def _choice_parser(sub: argparse._SubParsersAction) -> None:
    p = _sub(sub, "choice", "split a contested market between corridors by a logit on generalised cost, at equilibrium")
    p.add_argument("market", type=Path, metavar="MARKET", help="a market file (scenarios/markets/*.yaml)")
    _run_args(p, "results/choice/<market>/<UTC timestamp>")
    p.add_argument(
        "--scale",
        metavar="S[,S...]",
        help="logit scale(s) per USD per TEU, each solved in turn (default: the market file's, an estimate)",
    )
    p.add_argument(
        "--use",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="replace alternative NAME's scenario by FILE (repeatable), e.g. middle_corridor=scenarios/target.yaml",
    )
    p.add_argument(
        "--calibrate-constants",
        action="store_true",
        help="instead of solving: simulate once at the observed shares and write the alternative-specific constants "
        "that make the logit reproduce them (constants.csv), to put in the market file",
    )


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
    _check_work(args, [load_scenario(f, [*loaded.sets, *volume_sets(loaded, n, 1.0)]) for n, f in loaded.files.items()])
    root = Path("results") / "choice" / safe_name(loaded.market.name)
    out = args.claims.enter_context(claim(args.out, root, "choice"))
    if args.calibrate_constants:
        from corridor_sim.market import calibrate_constants
        from corridor_sim.workspace import write_tables

        with _progress(0, args.quiet, "choice") as bar:
            table = calibrate_constants(loaded, scales[0], replications, seed, bar.update)
        with staged(out) as tmp:
            write_tables(tmp, {"constants": table})
        print(table[["alternative", "offered_share", "mean_days", "generalised_cost_per_teu", "constant_per_teu"]])
        print(f"constants (scale {scales[0]:g}, {replications} replications, seed {seed}) written to {out}")
        return 0
    with _progress(0, args.quiet, "choice") as bar:
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


COMMANDS = {
    "run": cmd_run,
    "compare": cmd_compare,
    "validate": cmd_validate,
    "sweep": cmd_sweep,
    "sensitivity": cmd_sensitivity,
    "calibrate": cmd_calibrate,
    "interventions": cmd_interventions,
    "capacity": cmd_capacity,
    "choice": cmd_choice,
    "uncertainty": cmd_uncertainty,
    "gsa": cmd_gsa,
    "serve": cmd_serve,
    "plot": cmd_plot,
    "report": cmd_report,
    "cache": cmd_cache,
    "export": cmd_export,
}


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with _execution(args), ExitStack() as claims:
            args.claims = claims  # results directories claimed before any work, released (if unused) at the end
            return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no results were written (partial output removed)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python's exit-time flush from failing again
        return 0
    except Exception as exc:  # an internal error: keep the traceback, show one line
        from corridor_sim.errors import one_line, save_traceback

        where = save_traceback(traceback.format_exc())
        print(f"internal error: {one_line(f'{exc.__class__.__name__}: {exc}')} ({where})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
