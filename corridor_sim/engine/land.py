"""Land mechanisms a train meets: node handling (finite servers, FIFO), line headway, rolling-stock pools."""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from corridor_sim.engine.gates import Gate
from corridor_sim.engine.slots import Slots
from corridor_sim.records import STATE_CODE, Recorder

QUEUE, HANDLING, CLOSED = STATE_CODE["queue"], STATE_CODE["handling"], STATE_CODE["closed"]
LINE_WAIT, TRAVEL, STOCK_WAIT = STATE_CODE["line_wait"], STATE_CODE["travel"], STATE_CODE["stock_wait"]


class Handler:
    """Border crossing, gauge change or terminal: `servers` in parallel, trains served FIFO, one draw each."""

    def __init__(
        self, env: simpy.Environment, servers: int, time: Callable[[], float], gate: Gate, rec: Recorder, loc: int
    ) -> None:
        self.env, self.time, self.gate, self.rec, self.loc = env, time, gate, rec, loc
        self.servers = Slots(env, servers)

    def process(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        env, rec = self.env, self.rec
        t0 = env.now
        with self.servers.hold() as turn:
            if turn is not None:
                yield turn
                rec.stage(ids, self.loc, QUEUE, t0, env.now)
            t1 = env.now
            if not self.gate.is_open:
                yield from self.gate.wait_open()
                rec.stage(ids, self.loc, CLOSED, t1, env.now)
            t2 = env.now
            yield env.timeout(self.time())
            rec.stage(ids, self.loc, HANDLING, t2, env.now)


class Line:
    """A rail (or road) segment: departures keep a minimum headway; running time drawn per train.

    Trains leave in arrival order: the first in line leaves once the line is open and a headway has passed since the
    last departure, then hands its turn to the next (a FIFO of events, as in `Handler`). Slots are not reserved in
    advance, so a closure neither wastes a waiting train's slot nor lets a later train overtake it.
    """

    def __init__(
        self,
        env: simpy.Environment,
        headway_h: float,
        run_time: Callable[[], float],
        gate: Gate,
        rec: Recorder,
        loc: int,
    ) -> None:
        self.env, self.headway, self.run_time, self.gate, self.rec, self.loc = env, headway_h, run_time, gate, rec, loc
        self.next_free = 0.0
        self.waiting = 0
        self._turn = Slots(env, 1)  # the one place at the head of the line

    def traverse(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        env, rec = self.env, self.rec
        self.waiting += 1
        with self._turn.hold() as turn:
            if turn is not None:  # another train is first in line: queue behind it
                t = env.now
                yield turn
                rec.stage(ids, self.loc, LINE_WAIT, t, env.now)
            while True:
                if not self.gate.is_open:
                    t = env.now
                    yield from self.gate.wait_open()
                    rec.stage(ids, self.loc, CLOSED, t, env.now)
                wait = self.next_free - env.now
                if wait <= 0:
                    break
                t = env.now
                yield env.timeout(wait)
                rec.stage(ids, self.loc, LINE_WAIT, t, env.now)
                if self.gate.is_open:
                    break
            self.next_free = env.now + self.headway
        self.waiting -= 1  # the head of the line has passed to the next train
        run = self.run_time()
        if run > 0:  # a zero-time link (a transfer within one site) schedules no event
            t = env.now
            yield env.timeout(run)
            rec.stage(ids, self.loc, TRAVEL, t, env.now)


class StockPool:
    """Wagon sets or locomotives serving a run of segments; a set returns empty before it can carry again."""

    def __init__(
        self, env: simpy.Environment, sets: int, return_time: Callable[[], float], rec: Recorder, loc: int
    ) -> None:
        self.env, self.return_time, self.rec, self.loc = env, return_time, rec, loc
        self.sets = Slots(env, sets)

    def acquire(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        turn = self.sets.take()
        if turn is not None:
            t = self.env.now
            yield turn
            self.rec.stage(ids, self.loc, STOCK_WAIT, t, self.env.now)

    def release(self) -> None:
        """The set runs back empty: it is free again one return time from now (a timer, not a process)."""
        self.env.timeout(self.return_time()).callbacks.append(lambda _: self.sets.give())
