"""Onward train formation at a port: containers off a vessel wait until a train is full or has waited long enough."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from corridor_sim.engine.piece import Piece, take_front
from corridor_sim.engine.storage import Storage
from corridor_sim.records import STATE_CODE, Recorder

FORMATION_WAIT = STATE_CODE["formation_wait"]


class FormationQueue:
    """One queue per (port, route): block trains of `size` containers, or fewer once the oldest waited `max_wait`."""

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        loc: int,
        size: int,
        max_wait: float | None,
        depart: Callable[[np.ndarray, int, int], None],
        storage: Storage | None = None,
    ) -> None:
        self.env, self.rec, self.loc, self.size, self.max_wait = env, rec, loc, size, max_wait
        self.depart, self.storage = depart, storage
        self.pieces: deque[Piece] = deque()
        self.count = 0
        self._generation = 0

    def put(self, piece: Piece) -> None:
        was_empty = self.count == 0
        self.pieces.append(piece)
        self.count += len(piece.ids)
        if self.storage is not None:
            self.storage.add(len(piece.ids))
        if was_empty:
            self._arm()
        while self.count >= self.size:
            self._form(self.size)

    def retune(self, size: int, max_wait: float | None) -> None:
        """A new rule from now (a dated change): trains already full under it leave, and the timer of the oldest
        waiting container is set again for the new `max_wait`."""
        self.size, self.max_wait = size, max_wait
        self._generation += 1  # the old timer no longer applies
        while self.count >= self.size:
            self._form(self.size)
        if self.count:
            self._arm()

    def _arm(self) -> None:
        if self.max_wait is None:
            return
        self._generation += 1
        delay = max(0.0, self.pieces[0].t_in + self.max_wait - self.env.now)
        generation = self._generation
        self.env.timeout(delay).callbacks.append(lambda _: self._expire(generation))  # a timer, not a process

    def _expire(self, generation: int) -> None:
        if generation == self._generation and self.count:
            self._form(self.size)

    def _form(self, limit: int) -> None:
        now = self.env.now
        taken, n = take_front(self.pieces, limit)
        self.count -= n
        if self.storage is not None:
            self.storage.release(n)
        for p in taken:
            self.rec.stage(p.ids, self.loc, FORMATION_WAIT, p.t_in, now)
        first = taken[0]
        self.depart(np.concatenate([p.ids for p in taken]), first.route, first.pos)
        if self.count:
            self._arm()  # a new generation: the timer of the train just formed no longer applies
