"""Command line: a thin layer that parses arguments, calls the library and maps failures to exit codes.

Exit codes: 0 success, 2 bad input (one line naming file and key), 1 internal error (short message and the path of
the full traceback), 130 interrupted (nothing half-written is left behind). The grammar is in `parser`, the commands
in `runs`, `studies` and `choice`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from contextlib import ExitStack

from corridor_sim.cli import choice, runs, studies
from corridor_sim.cli.parser import build_parser
from corridor_sim.errors import ScenarioError

COMMANDS = {
    "run": runs.cmd_run,
    "compare": runs.cmd_compare,
    "validate": runs.cmd_validate,
    "sweep": studies.cmd_sweep,
    "sensitivity": studies.cmd_sensitivity,
    "calibrate": studies.cmd_calibrate,
    "interventions": studies.cmd_interventions,
    "capacity": studies.cmd_capacity,
    "choice": choice.cmd_choice,
    "uncertainty": studies.cmd_uncertainty,
    "gsa": studies.cmd_gsa,
    "serve": runs.cmd_serve,
    "plot": runs.cmd_plot,
    "report": runs.cmd_report,
    "cache": runs.cmd_cache,
    "export": runs.cmd_export,
}

__all__ = ["COMMANDS", "build_parser", "main"]


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
