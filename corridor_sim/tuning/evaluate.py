"""A study: one scenario file, its variants, runs of all of them on common random numbers, and their KPIs.

Every variant runs with the base scenario's seed and replication count, so two variants differ only by the change
made (each part of the model draws from its own named stream): differences between points are not sampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from corridor_sim import analysis
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import Tables, run_many
from corridor_sim.loader import load_raw_with_sets, validate
from corridor_sim.schema import Scenario
from corridor_sim.tuning.params import apply_changes, get_value, set_to
from corridor_sim.workload import check, estimate
from corridor_sim.workspace import staged, write_json, write_resolved, write_tables

CHUNK_REPLICATIONS = 64
T = TypeVar("T")
KPI_COLUMNS = [
    "p50_days",
    "p90_days",
    "mean_days",
    "delivered_per_replication",
    "throughput_teu_per_day",
    "in_flight_share",
    "p50_ci_low",
    "p50_ci_high",
    "p90_ci_low",
    "p90_ci_high",
]


@dataclass
class Study:
    """The scenario under study as a raw mapping (for variants) and validated (for the base run)."""

    path: Path
    raw: dict[str, Any]
    base: Scenario
    destination: str | None
    workers: int = 1
    progress: Callable[[int], None] | None = None
    expect: Callable[[int], None] | None = None
    max_events: float | None = None  # each variant's work estimate is held to it before it runs (None: not checked)

    @classmethod
    def load(
        cls,
        path: Path,
        sets: Sequence[str] = (),
        destination: str | None = None,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
        expect: Callable[[int], None] | None = None,
    ) -> Study:
        """`destination`: a node, `all`, or None for the first published band's destination (else all).

        `expect(n)` is told how many replications a batch is about to run (a progress bar grows its total),
        `progress(k)` as they finish.
        """
        path = Path(path)
        raw = load_raw_with_sets(path, sets)
        base = validate(raw, str(path), name=path.stem)
        if workers < 1:
            raise ScenarioError("must be at least 1", key="--workers")
        return cls(path, raw, base, pick_destination(base, destination), workers, progress, expect)

    @property
    def replications(self) -> int:
        return self.base.simulation.replications

    @property
    def seed(self) -> int:
        return self.base.simulation.seed

    @property
    def target_label(self) -> str:
        return self.destination or analysis.ALL

    def resolve(self, changes: Mapping[str, Any], origin: str = "--param") -> dict[str, Any]:
        """Each requested value turned into what the raw mapping should hold (distributions keep their shape)."""
        out = {}
        for key, value in changes.items():
            try:
                out[key] = set_to(get_value(self.raw, key, origin), value)
            except ScenarioError as exc:
                raise ScenarioError(exc.message, exc.key or key, origin) from None
        return out

    def variant_raw(self, changes: Mapping[str, Any], origin: str = "--param", exact: bool = False) -> dict[str, Any]:
        """The raw mapping with `changes`; `exact` sets values as `--set` would (no rescaling of distributions)."""
        return apply_changes(self.raw, changes if exact else self.resolve(changes, origin), origin)

    def variant(self, changes: Mapping[str, Any], origin: str = "--param", exact: bool = False) -> Scenario:
        """The base with `changes` applied and validated; a bad key or value is a one-line error naming it."""
        if not changes:
            return self.base
        raw = self.variant_raw(changes, origin, exact)
        scenario = validate(raw, f"{self.path} ({origin})", name=self.base.name)
        self.check_work(scenario, origin)
        return scenario

    def check_work(self, scenario: Scenario, origin: str, replications: int | None = None) -> None:
        """Refuse, before it runs, a variant whose work estimate is above `max_events` (None: not checked): a variant
        may ask far more work than the base (demand x 1e3, ...), which passed the command's own check."""
        if self.max_events is None:
            return
        try:
            check(estimate(scenario, replications), self.max_events)
        except ScenarioError as exc:
            raise ScenarioError(exc.message, exc.key, f"{self.path} ({origin})") from None

    def evaluate(self, scenarios: Sequence[Scenario], reduce: Callable[[Scenario, Tables], T]) -> list[T]:
        """`reduce(scenario, tables)` of every scenario, all run with the base seed (common random numbers).

        Runs go in chunks of about `CHUNK_REPLICATIONS` replications, each reduced and dropped before the next chunk,
        so a sensitivity over a hundred parameters never holds a hundred sets of tables.
        """
        if self.expect:
            self.expect(len(scenarios) * self.replications)
        size = max(self.workers, CHUNK_REPLICATIONS // self.replications, 1)
        out: list[T] = []
        for i in range(0, len(scenarios), size):
            chunk = scenarios[i : i + size]
            tables = run_many(
                [(s, self.seed) for s in chunk],
                replications=self.replications,
                workers=self.workers,
                progress=self.progress,
            )
            out += [reduce(s, t) for s, t in zip(chunk, tables, strict=True)]
        return out

    def kpis(self, scenario: Scenario, tables: Tables) -> dict[str, float]:
        return kpis(scenario, tables, self.destination, self.replications)

    def meta(self, command: str, **extra: Any) -> dict[str, Any]:
        """What a results directory needs to say how it was made."""
        return {
            "command": command,
            "scenario": str(self.path),
            "name": self.base.name,
            "seed": self.seed,
            "replications": self.replications,
            "destination": self.target_label,
            **extra,
        }


def write_results(
    out: Path, study: Study, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, Any], plot: Callable[[Path], Any]
) -> Path:
    """A new results directory (atomic, never overwriting): the base scenario resolved, tables, metadata, plot."""
    with staged(out) as tmp:
        write_resolved(tmp, study.base)
        write_tables(tmp, dict(frames))  # floats to 6 decimals, missing values empty
        write_json(tmp / "study.json", dict(meta))
        plot(tmp)
    return out


def pick_destination(scenario: Scenario, option: str | None) -> str | None:
    """The destination KPIs are read for: as asked, else the first published band's, else all (None)."""
    destinations = {f.destination for f in scenario.demand.flows.values()}
    if option == "all":
        return None
    if option is not None:
        if option not in destinations:
            raise ScenarioError(
                f"no flow goes to {option!r} (destinations: {', '.join(sorted(destinations))})", key="--destination"
            )
        return option
    for band in scenario.published:
        if band.destination in destinations:
            return band.destination
    return None


def kpis(scenario: Scenario, tables: Tables, destination: str | None, replications: int) -> dict[str, float]:
    """Transit percentiles of measured delivered containers (pooled, with bootstrap CIs over replications, as
    `analysis.STATISTIC`), throughput, and the share still in flight at the end.

    The in-flight share counts containers that started in the measurement window but never arrived before the end of
    the cool-down: near zero on a stable corridor, growing with the queue on a saturated one.
    """
    sim = scenario.simulation
    c = tables["containers"]
    if destination is not None:
        c = c[c["destination"].eq(destination)]
    started = c[c["measured"]]
    m = analysis.measured(c)
    days = m["transit_days"].to_numpy()
    throughput = analysis.throughput_teu_per_day(
        c, (sim.warmup / 24, sim.duration / 24), sim.teu_per_container, replications
    )
    draws = resamples(m, replications)
    return {
        "p50_days": float(np.percentile(days, 50)) if len(days) else np.nan,
        "p90_days": float(np.percentile(days, 90)) if len(days) else np.nan,
        "mean_days": float(days.mean()) if len(days) else np.nan,
        "delivered_per_replication": len(m) / replications,
        "throughput_teu_per_day": throughput[analysis.ALL],
        "in_flight_share": 1 - len(m) / len(started) if len(started) else np.nan,
        **{
            f"p{q}_ci_{side}": v
            for q, e in zip((50, 90), draws, strict=False)
            for side, v in zip(("low", "high"), analysis.interval(e), strict=True)
        },
    }


def resamples(measured: pd.DataFrame, replications: int) -> np.ndarray:
    """Bootstrap resamples of pooled p50, p90 and mean over replications 0..replications-1 (rows in that order):
    the same picks for every variant of a study, so differences between variants are paired."""
    if replications < 2:
        return np.full((3, 1), np.nan)
    return analysis.resample(analysis.replication_groups(measured, range(replications)), (50, 90))


def format_table(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A result table for the terminal (two decimals; two significant digits for small figures such as per-cost)."""
    view = frame[list(columns)] if columns is not None else frame
    return view.to_string(
        index=False, float_format=lambda v: f"{v:.2f}" if abs(v) >= 0.1 or v == 0 else f"{v:.2g}", max_colwidth=64
    )
