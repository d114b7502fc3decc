"""The command line's grammar: every command and option, declared once (no logic: the commands live beside it)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NoReturn


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
    p.add_argument(
        "--uncertainty-samples",
        type=int,
        metavar="N",
        help="also run N parameter sets over each scenario's ranges (Latin hypercube; the comparison's seed and "
        "replications) and add the 5-95%% band over them beside the CIs: comparison.csv *_ranges_p5/_p95, "
        "uncertainty_compare.png (costs N times the comparison)",
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
