"""Runs behind the page: one thread simulates the newest edit (a newer one cancels it) and draws its figures.

The unchanged scenario runs once, at start; every edit then runs only the edited scenario, with the same seed and
replication indices, and is compared with the kept tables by `compare.tabulate`, so the page's numbers are those of
`corridor-sim compare` of the two scenarios (common random numbers). Replications run on worker processes through
`experiment.run_many` inside one `execution` block, so the pool is started once for the whole session.
"""

from __future__ import annotations

import contextvars
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from corridor_sim.compare import Comparison, Part, part, tabulate
from corridor_sim.errors import ScenarioError, one_line, save_traceback
from corridor_sim.experiment import Tables, execution, run_many
from corridor_sim.runner import promises
from corridor_sim.schema import Scenario
from corridor_sim.tuning.capacity import resources


def internal_error(exc: Exception) -> str:
    """One line for the page and the terminal; the traceback goes to a log file (a bug, not the planner's input)."""
    where = save_traceback(traceback.format_exc())
    line = f"internal error: {one_line(f'{exc.__class__.__name__}: {exc}')}"
    print(f"corridor-sim serve: {line} ({where})", file=sys.stderr, flush=True)
    return line


def _done(outcome: Outcome, replications: int) -> str:
    if outcome.generation == 0:
        return f"unchanged scenario: {replications} replications"
    return f"{replications} replications in {outcome.seconds:.1f} s"


class Stale(Exception):
    """A newer edit (or the end of the session) made the run in hand useless."""


@dataclass
class Outcome:
    """One finished comparison of the unchanged scenario (first) and the edited one (second)."""

    generation: int
    scenarios: list[Scenario]
    comparison: Comparison
    resources: dict[str, pd.DataFrame]
    seconds: float  # from the edit to the numbers
    figures: dict[str, dict[str, bytes]] = field(default_factory=dict)  # destination -> figure name -> PNG


@dataclass
class Status:
    busy: bool
    text: str
    version: int  # grows whenever there is something new to show
    outcome: Outcome | None
    error: str


class Runner:
    """The simulation thread and what it last produced; every method is safe to call from the web server's threads."""

    def __init__(
        self,
        base: Scenario,
        replications: int,
        seed: int,
        workers: int,
        draw: Callable[[Outcome, str, Callable[[], None]], dict[str, bytes]] | None = None,
    ) -> None:
        self.base, self.replications, self.seed, self.workers = base, replications, seed, workers
        self._draw = draw
        self._cond = threading.Condition()
        self._pending: tuple[int, Scenario, float] | None = None
        self._generation = 0
        self._destination: str | None = None  # whose figures the page shows
        self._stopping = False
        self._stack = ExitStack()
        self._thread: threading.Thread | None = None
        self._base_tables: Tables | None = None
        self._base_resources: pd.DataFrame | None = None
        self._base_part: Part | None = None  # the unchanged scenario's part of every comparison, computed once
        self.status = Status(True, f"running the unchanged scenario ({replications} replications)…", 0, None, "")

    def start(self) -> None:
        """Start the worker processes and run the unchanged scenario in the calling thread, then the simulation
        thread. Called from the main thread, Ctrl-C is ignored until the pool's processes exist (they keep ignoring
        it, so only this process handles it: no worker prints a traceback), that is until the first replication
        is in."""
        self._stack.enter_context(execution(workers=self.workers))
        restore: list = []
        if threading.current_thread() is threading.main_thread():
            restore.append(signal.signal(signal.SIGINT, signal.SIG_IGN))

        def started() -> None:
            if restore:
                signal.signal(signal.SIGINT, restore.pop())

        try:
            self._base_tables = self._run(self.base, None, started)  # an edit meanwhile waits for it
        finally:
            started()
        outcome = self._outcome(0, self.base, self._base_tables, 0.0)
        self._set(outcome=outcome, busy=self._draw is not None, text=_done(outcome, self.replications))
        context = contextvars.copy_context()  # the execution block (its pool) is a context variable
        self._thread = threading.Thread(target=context.run, args=(self._loop,), name="corridor-sim-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel the run in hand, wait for the thread, and stop the worker processes."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._stack.close()

    @property
    def generation(self) -> int:
        """The newest edit's number (the outcome on show may be older while it runs)."""
        return self._generation

    def submit(self, scenario: Scenario) -> int:
        """Run `scenario` against the unchanged one as soon as possible, abandoning any older run."""
        with self._cond:
            self._generation += 1
            self._pending = (self._generation, scenario, time.perf_counter())
            self._set(busy=True, text=f"running {self.replications} replications…")
            self._cond.notify_all()
            return self._generation

    def show(self, destination: str) -> None:
        """Draw the figures for `destination` (once per outcome and destination)."""
        with self._cond:
            self._destination = destination
            self._cond.notify_all()

    def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.status, name, value)
        self.status.version += 1

    def _stale(self, generation: int | None) -> bool:
        return self._stopping or (generation is not None and self._generation != generation)

    def _run(self, scenario: Scenario, generation: int | None, started: Callable[[], None] | None = None) -> Tables:
        def check(_: int) -> None:
            if started:
                started()
            if self._stale(generation):
                raise Stale

        return run_many([(scenario, self.seed)], replications=self.replications, progress=check)[0]

    def _next_job(self) -> tuple[int, Scenario, float] | str | None:
        """The newest edit to run, else a destination whose figures are missing, else None (stopping)."""
        with self._cond:
            while not self._stopping:
                if self._pending is not None:
                    job, self._pending = self._pending, None
                    return job
                out = self.status.outcome
                dest = self._destination
                if out is not None and self._draw is not None and dest is not None and dest not in out.figures:
                    return dest
                self._cond.wait()
            return None

    def _loop(self) -> None:
        while (job := self._next_job()) is not None:
            try:
                if isinstance(job, str):
                    self._figures(job)
                else:
                    self._compare(*job)
            except Stale:
                continue
            except ScenarioError as exc:
                with self._cond:
                    self._set(busy=self._pending is not None, error=str(exc))
            except Exception as exc:  # an internal error: one line on the page, never a dead page
                with self._cond:
                    self._set(busy=self._pending is not None, error=internal_error(exc))

    def _compare(self, generation: int, scenario: Scenario, started: float) -> None:
        outcome = self._outcome(generation, scenario, self._run(scenario, generation), started)
        with self._cond:
            if self._stale(generation):
                raise Stale
            self._set(
                outcome=outcome,
                busy=self._draw is not None,
                error="",
                text=f"{_done(outcome, self.replications)}; drawing figures…",
            )

    def _outcome(self, generation: int, scenario: Scenario, tables: Tables, started: float) -> Outcome:
        scenarios = [self.base, scenario]
        if self._base_part is None:  # the unchanged scenario's figures and utilisation, read once
            reps, promise = self.replications, promises(self.base)
            self._base_part = part(self.base.name, self.base, self._base_tables, reps, promise, by_month=False)
            self._base_resources = resources(self.base, self._base_tables, self.replications)
        comparison = tabulate(
            scenarios, [self._base_tables, tables], self.replications, by_month=False, known={0: self._base_part}
        )
        base_name, name = comparison.tables
        found = {base_name: self._base_resources, name: resources(scenario, tables, self.replications)}
        return Outcome(generation, scenarios, comparison, found, time.perf_counter() - started if started else 0.0)

    def _figures(self, destination: str) -> None:
        outcome = self.status.outcome

        def check() -> None:
            if self._stopping or self._pending is not None:
                raise Stale

        figures = self._draw(outcome, destination, check)
        with self._cond:
            outcome.figures[destination] = figures
            if self._pending is None and self.status.outcome is outcome:
                self._set(busy=False, text=_done(outcome, self.replications))
