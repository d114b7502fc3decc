"""Command line: a thin layer that parses arguments, calls the library and maps failures to exit codes.

Exit codes: 0 success, 2 bad input (one line naming file and key), 1 internal error (short message and the path of
the full traceback), 130 interrupted (nothing half-written is left behind).
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from corridor_sim.errors import ScenarioError


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario value (repeatable), e.g. --set simulation.seed=7")


def _run_args(p: argparse.ArgumentParser) -> None:
    _scenario_args(p)
    p.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--out", type=Path, help="new results directory (default results/<scenario>/<timestamp>)")
    p.add_argument("--workers", type=int, default=1, help="worker processes for replications")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corridor-sim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="simulate a scenario and write a new results directory")
    p.add_argument("scenario", type=Path)
    _run_args(p)
    p.add_argument("--check", action="store_true",
                   help="check invariants (conservation, timelines, capacities) on the tables; exit 1 if any fail")
    p = sub.add_parser("compare", help="run several scenarios on common random numbers and compare them")
    p.add_argument("scenarios", type=Path, nargs="+")
    _run_args(p)
    p = sub.add_parser("validate", help="check a scenario and print its network, routes and provenance")
    p.add_argument("scenario", type=Path)
    _scenario_args(p)
    return parser


def _overrides(args: argparse.Namespace) -> list[str]:
    sets = list(args.sets)
    for flag, key in (("replications", "simulation.replications"), ("seed", "simulation.seed")):
        value = getattr(args, flag, None)
        if value is not None:
            sets.append(f"{key}={value}")
    return sets


def _progress(total: int, quiet: bool, desc: str):
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="rep", disable=quiet or not sys.stderr.isatty(), leave=False)
    return bar


def cmd_run(args: argparse.Namespace) -> int:
    from corridor_sim.console import transit_table
    from corridor_sim.loader import load_scenario
    from corridor_sim.runner import execute_run
    from corridor_sim.workspace import check_new, default_run_dir

    scenario = load_scenario(args.scenario, _overrides(args))
    if args.workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    out = args.out or default_run_dir(Path("results"), scenario.name)
    check_new(out)
    with _progress(scenario.simulation.replications, args.quiet, scenario.name) as bar:
        path, summary = execute_run(scenario, out, workers=args.workers, progress=bar.update)
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
    from corridor_sim.compare import compare, format_table, write_comparison
    from corridor_sim.loader import load_scenario
    from corridor_sim.workspace import check_new, default_run_dir, staged

    first = load_scenario(args.scenarios[0], args.sets).simulation
    replications = args.replications or first.replications
    seed = first.seed if args.seed is None else args.seed
    # common random numbers: every scenario runs with the same seed and replication count
    common = [*args.sets, f"simulation.seed={seed}", f"simulation.replications={replications}"]
    scenarios = [load_scenario(path, common) for path in args.scenarios]
    out = args.out or default_run_dir(Path("results"), "compare")
    check_new(out)
    with _progress(replications * len(scenarios), args.quiet, "compare") as bar:
        result = compare(scenarios, replications, seed, args.workers, bar.update)
    with staged(out) as tmp:
        write_comparison(tmp, result, scenarios, replications, seed)
    print(format_table(result.table))
    print(f"comparison ({replications} replications, seed {seed}, common random numbers) written to {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from corridor_sim.console import describe_network, describe_provenance
    from corridor_sim.loader import load_scenario
    from corridor_sim.network import build_network

    scenario = load_scenario(args.scenario, args.sets)
    print(describe_network(scenario, build_network(scenario)))
    print(describe_provenance(scenario))
    print(f"{args.scenario}: valid")
    return 0


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate}


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no results were written (partial output removed)", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: keep the traceback, show one line
        log = Path(tempfile.gettempdir()) / "corridor-sim-crash.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"internal error: {exc.__class__.__name__}: {exc} (traceback in {log})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
