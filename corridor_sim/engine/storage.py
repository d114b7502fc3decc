"""Room for containers at a port: a yard of finite capacity that holds trains back before the port when it is full.

The yard counts every container stored at the port: those waiting for a vessel and those off a vessel waiting for an
onward train. A train bound for the yard is let in when its containers fit (or the yard is empty, so a train larger
than the yard still passes), first come, first served: a large train at the head is not overtaken. Room is booked
when a train is let in and freed when containers leave (a vessel starts loading them, an onward train forms).
What a vessel unloads is always taken in: the limit is on intake by rail, where KTZ-style holds happen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator

import numpy as np
import simpy

from corridor_sim.records import STATE_CODE, Recorder
from corridor_sim.schema import YardLimit, whole_containers

HELD = STATE_CODE["held_before_port"]


class Storage:
    def __init__(self, env: simpy.Environment, capacity: int, rec: Recorder, loc: int) -> None:
        self.env, self.capacity, self.rec, self.loc = env, capacity, rec, loc
        self.used = 0
        self._held: deque[tuple[int, simpy.Event]] = deque()  # (containers, event) of trains held, in arrival order

    @property
    def held(self) -> int:
        """Trains held before the port."""
        return len(self._held)

    def admit(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        """Let a train's containers into the yard, holding the train before the port until they fit."""
        n = len(ids)
        if not self._held and self._fits(n):
            self.used += n
            return
        t = self.env.now
        turn = self.env.event()
        self._held.append((n, turn))
        yield turn
        self.rec.stage(ids, self.loc, HELD, t, self.env.now)

    def add(self, n: int) -> None:
        """Containers a vessel unloads into the yard (always taken in)."""
        self.used += n

    def release(self, n: int) -> None:
        """Containers leave the yard: held trains that now fit are let in, in order."""
        self.used -= n
        self._let_in()

    def resize(self, capacity: int) -> None:
        self.capacity = capacity
        self._let_in()

    def _fits(self, n: int) -> bool:
        return self.used == 0 or self.used + n <= self.capacity

    def _let_in(self) -> None:
        while self._held and self._fits(self._held[0][0]):
            n, turn = self._held.popleft()
            self.used += n
            turn.succeed()


def yard_containers(yard: YardLimit, teu_per_container: float) -> int:
    """A yard's room in containers (its TEU in whole containers, if given in TEU)."""
    return yard.containers if yard.containers is not None else whole_containers(yard.capacity_teu, teu_per_container)
