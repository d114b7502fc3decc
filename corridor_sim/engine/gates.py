"""Open/closed state of a node or segment, and the disruption process that flips it.

While a gate is closed nothing starts there (no handling, no departure, no sailing); what is under way finishes,
queues grow behind it and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from corridor_sim.engine.calendar import Calendar


class Gate:
    """Open unless at least one outage holds it closed (two disruptions of one place may overlap)."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._closures = 0
        self._reopened = env.event()

    @property
    def is_open(self) -> bool:
        return self._closures == 0

    def close(self) -> None:
        self._closures += 1

    def open(self) -> None:
        self._closures -= 1
        if self._closures == 0:
            self._reopened.succeed()
            self._reopened = self.env.event()

    def wait_open(self) -> Generator[simpy.Event, None, None]:
        """Yield until the gate is open (returns at once when it already is)."""
        while not self.is_open:
            yield self._reopened


def outages(
    env: simpy.Environment,
    gates: list[Gate],
    every: Callable[[], float],
    duration: Callable[[], float],
    months: set[int] | None,
    calendar: Calendar,
) -> Generator[simpy.Event, None, None]:
    """Alternate open for an `every` draw (counted from the reopening) and closed for a `duration` draw; outside
    `months` no outage starts."""
    while True:
        if months is not None and calendar.month(env.now) not in months:
            yield env.timeout(calendar.hours_until_months(env.now, months))
        yield env.timeout(every())
        if months is not None and calendar.month(env.now) not in months:
            continue  # the draw ran past the season: wait for the next one
        for gate in gates:
            gate.close()
        yield env.timeout(duration())
        for gate in gates:
            gate.open()


__all__ = ["Gate", "outages"]
