"""Intake control at a port: trains bound for its yard are held at a named node while the port's backlog is high.

The backlog counts containers let past the hold point (or into the yard by another way) and not yet loading onto a
vessel: the approach plus the yard. Above `stop_above` no more trains are let go from the hold point; once loading
brings it below `resume_below` (hysteresis: the two thresholds differ), held trains go again in the order they came,
each adding to the backlog, until it is above `stop_above` again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator

import numpy as np
import simpy

from corridor_sim.records import STATE_CODE, Recorder

HELD = STATE_CODE["held_by_intake"]


class Intake:
    def __init__(self, env: simpy.Environment, stop_above: int, resume_below: int, rec: Recorder) -> None:
        self.env, self.stop_above, self.resume_below, self.rec = env, stop_above, resume_below, rec
        self.backlog = 0
        self.stopped = False
        self._held: deque[tuple[int, simpy.Event]] = deque()

    @property
    def held(self) -> int:
        """Trains held at the hold point."""
        return len(self._held)

    def dispatch(self, ids: np.ndarray, loc: int) -> Generator[simpy.Event, None, None]:
        """Let a train go towards the port, or hold it at `loc` (the hold point) until intake resumes."""
        if not self.stopped:
            self.add(len(ids))
            return
        t = self.env.now
        turn = self.env.event()
        self._held.append((len(ids), turn))
        yield turn
        self.rec.stage(ids, loc, HELD, t, self.env.now)

    def add(self, n: int) -> None:
        """Containers join the backlog (let go from the hold point, or into the yard another way)."""
        self.backlog += n
        if self.backlog > self.stop_above:
            self.stopped = True

    def remove(self, n: int) -> None:
        """Containers start loading onto a vessel: they leave the backlog; below `resume_below` intake resumes."""
        self.backlog -= n
        if self.stopped and self.backlog < self.resume_below:
            self.stopped = False
            while self._held and not self.stopped:
                n_held, turn = self._held.popleft()
                self.add(n_held)
                turn.succeed()
