"""A FIFO pool of interchangeable units (handling servers, berths, wagon sets) as a counter and a queue of events.

`simpy.Resource` and `simpy.Container` schedule an event for every request and every release, even when a unit is
free. Here taking a free unit schedules nothing and giving one back hands it straight to the first in line: the same
first-come-first-served discipline at a fraction of the events (benchmarks/README.md has the figures).
"""

from __future__ import annotations

from collections import deque

import simpy


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
        """Give a unit back: to the first in line if any (so `busy` stays), else to the pool."""
        if self._queue:
            self._queue.popleft().succeed()
        else:
            self.busy -= 1

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @property
    def free(self) -> int:
        return self.capacity - self.busy
