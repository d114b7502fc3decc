"""Land mechanisms a train meets: node handling (finite servers, FIFO), line headway, rolling-stock pools."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator

import numpy as np
import simpy

from corridor_sim.engine.gates import Gate
from corridor_sim.records import STATE_CODE, Recorder

QUEUE, HANDLING, CLOSED = STATE_CODE["queue"], STATE_CODE["handling"], STATE_CODE["closed"]
LINE_WAIT, TRAVEL, STOCK_WAIT = STATE_CODE["line_wait"], STATE_CODE["travel"], STATE_CODE["stock_wait"]


class Handler:
    """Border crossing, gauge change or terminal: `servers` in parallel, trains served FIFO, one draw each.

    The servers are a busy counter and a FIFO of waiting trains rather than a `simpy.Resource`: a train that finds a
    server free starts at once without scheduling a request event, and a finishing train hands its server straight
    to the next in line. Same queue discipline, about half the events per train (see benchmarks/README.md).
    """

    def __init__(self, env: simpy.Environment, servers: int, time: Callable[[], float], gate: Gate,
                 rec: Recorder, loc: int) -> None:
        self.env, self.time, self.gate, self.rec, self.loc = env, time, gate, rec, loc
        self.servers = servers
        self.busy = 0
        self._queue: deque[simpy.Event] = deque()

    def process(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        env, rec = self.env, self.rec
        t0 = env.now
        if self.busy < self.servers:
            self.busy += 1
        else:
            turn = env.event()
            self._queue.append(turn)
            yield turn  # succeeded by the train that passes its server on, so `busy` is unchanged
            rec.stage(ids, self.loc, QUEUE, t0, env.now)
        t1 = env.now
        if not self.gate.is_open:
            yield from self.gate.wait_open()
            rec.stage(ids, self.loc, CLOSED, t1, env.now)
        t2 = env.now
        yield env.timeout(self.time())
        rec.stage(ids, self.loc, HANDLING, t2, env.now)
        if self._queue:
            self._queue.popleft().succeed()
        else:
            self.busy -= 1

    @property
    def waiting(self) -> int:
        return len(self._queue)


class Line:
    """A rail (or road) segment: departures keep a minimum headway; running time drawn per train.

    Trains leave in arrival order: the first in line leaves once the line is open and a headway has passed since the
    last departure, then hands its turn to the next (a FIFO of events, as in `Handler`). Slots are not reserved in
    advance, so a closure neither wastes a waiting train's slot nor lets a later train overtake it.
    """

    def __init__(self, env: simpy.Environment, headway_h: float, run_time: Callable[[], float], gate: Gate,
                 rec: Recorder, loc: int) -> None:
        self.env, self.headway, self.run_time, self.gate, self.rec, self.loc = env, headway_h, run_time, gate, rec, loc
        self.next_free = 0.0
        self.waiting = 0
        self._first_taken = False
        self._queue: deque[simpy.Event] = deque()

    def traverse(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        env, rec = self.env, self.rec
        self.waiting += 1
        if self._first_taken:  # another train is first in line: queue behind it
            t = env.now
            turn = env.event()
            self._queue.append(turn)
            yield turn
            rec.stage(ids, self.loc, LINE_WAIT, t, env.now)
        else:
            self._first_taken = True
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
        if self._queue:
            self._queue.popleft().succeed()  # the turn passes on; `_first_taken` stays set
        else:
            self._first_taken = False
        self.waiting -= 1
        run = self.run_time()
        if run > 0:  # a zero-time link (a transfer within one site) schedules no event
            t = env.now
            yield env.timeout(run)
            rec.stage(ids, self.loc, TRAVEL, t, env.now)


class StockPool:
    """Wagon sets or locomotives serving a run of segments; a set returns empty before it can carry again."""

    def __init__(self, env: simpy.Environment, sets: int, return_time: Callable[[], float], rec: Recorder,
                 loc: int) -> None:
        self.env, self.return_time, self.rec, self.loc = env, return_time, rec, loc
        self.store = simpy.Container(env, capacity=sets, init=sets)

    def acquire(self, ids: np.ndarray) -> Generator[simpy.Event, None, None]:
        t = self.env.now
        yield self.store.get(1)
        self.rec.stage(ids, self.loc, STOCK_WAIT, t, self.env.now)

    def release(self) -> None:
        self.env.process(self._return())

    def _return(self) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(self.return_time())
        yield self.store.put(1)

    @property
    def available(self) -> float:
        return self.store.level
