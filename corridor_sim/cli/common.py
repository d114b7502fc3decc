"""What several commands share: --set overrides, the work check, the progress bar and the promise option."""

from __future__ import annotations

import argparse
import sys

from corridor_sim.errors import ScenarioError


def overrides(args: argparse.Namespace) -> list[str]:
    sets = list(args.sets)
    for flag, key in (("replications", "simulation.replications"), ("seed", "simulation.seed")):
        value = getattr(args, flag, None)
        if value is not None:
            sets.append(f"{key}={value}")
    return sets


def check_work(args: argparse.Namespace, scenarios: list, demand_factor: float = 1.0) -> None:
    """Refuse a run whose estimated work exceeds --max-events, before anything is simulated or written."""
    from corridor_sim.workload import DEFAULT_MAX_EVENTS, check, estimate

    limit = DEFAULT_MAX_EVENTS if args.max_events is None else args.max_events
    check([estimate(s, demand_factor=demand_factor) for s in scenarios], limit)


def progress(total: int, quiet: bool, desc: str, unit: str = "rep"):
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, disable=quiet or not sys.stderr.isatty(), leave=False)
    return bar


def promise_days(text: str | None) -> float | None:
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
