"""A FIFO pool of interchangeable units (handling servers, berths, wagon sets) as a counter and a queue of events.

`simpy.Resource` and `simpy.Container` schedule an event for every request and every release, even when a unit is
free. Here taking a free unit schedules nothing and giving one back hands it straight to the first in line: the same
first-come-first-served discipline at a fraction of the events (benchmarks/README.md has the figures).

Use `with slots.hold() as turn:` where a unit is held within one process (`turn` is None when a unit was free, else
an event to yield); `take`/`give` where it is handed on across processes (a wagon set released by a timer).
"""

from __future__ import annotations

import sys
from collections import deque

import simpy

UNLIMITED = sys.maxsize  # a pool that never makes anyone wait (a port without a berth limit)


class Slots:
    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env, self.capacity = env, capacity
        self.busy = 0
        self._queue: deque[simpy.Event] = deque()

    def take(self) -> simpy.Event | None:
        """Take a unit: None when one was free (taken now), else an event to yield that fires when one is handed
        over."""
        if self.busy < self.capacity:
            self.busy += 1
            return None
        turn = self.env.event()
        self._queue.append(turn)
        return turn

    def give(self) -> None:
        """Give a unit back: to the first in line if any (so `busy` stays), else to the pool; a unit above a lowered
        capacity retires instead."""
        if self._queue and self.busy <= self.capacity:
            self._queue.popleft().succeed()
        else:
            self.busy -= 1

    def hold(self) -> Hold:
        """A unit for the length of a `with` block (given back, or the place in line dropped, however it exits)."""
        return Hold(self)

    def resize(self, capacity: int) -> None:
        """A new number of units from now: added ones go to those waiting; removed ones retire as they are given
        back (what holds a unit keeps it)."""
        self.capacity = capacity
        while self._queue and self.busy < capacity:
            self.busy += 1
            self._queue.popleft().succeed()

    @property
    def waiting(self) -> int:
        return len(self._queue)


class Hold:
    """The context manager of `Slots.hold`: takes on creation, gives back on exit."""

    __slots__ = ("slots", "turn")

    def __init__(self, slots: Slots) -> None:
        self.slots, self.turn = slots, slots.take()

    def __enter__(self) -> simpy.Event | None:
        return self.turn

    def __exit__(self, *exc: object) -> None:
        turn = self.turn
        if turn is not None and not turn.triggered:  # left while still in line: the place is dropped, no unit held
            self.slots._queue.remove(turn)
        else:
            self.slots.give()
