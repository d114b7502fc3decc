"""The Caspian (or Black Sea) leg: a port yard, and a fleet of vessels that load FIFO, sail by their rule, unload
at the far port and come back.

Departure rules follow practice on the corridor: `when_full` (a vessel waits for enough cargo, optionally at most
`max_wait` after it is ready) or a `timetable` in the spirit of ciw's `Slotted` servers: loading starts only at set
times (`offset + k * every`), each slot taken by the next vessel in port, with what cargo is there.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy

from corridor_sim.engine.gates import Gate
from corridor_sim.engine.intake import Intake
from corridor_sim.engine.piece import Piece, take_front
from corridor_sim.engine.slots import Slots
from corridor_sim.engine.storage import Storage
from corridor_sim.records import STATE_CODE, Recorder
from corridor_sim.schema import Departure

YARD_WAIT, BERTH_WAIT, LOADING = STATE_CODE["yard_wait"], STATE_CODE["berth_wait"], STATE_CODE["loading"]
CLOSED, SAILING, UNLOADING = STATE_CODE["closed"], STATE_CODE["sailing"], STATE_CODE["unloading"]


class Yard:
    """Containers waiting at a port for a vessel of one sea segment, FIFO."""

    def __init__(self, env: simpy.Environment, storage: Storage | None = None, intake: Intake | None = None) -> None:
        self.env, self.storage, self.intake = env, storage, intake
        self.pieces: deque[Piece] = deque()
        self.count = 0
        self._waiters: list[tuple[int, int, simpy.Event]] = []  # (ticket, need, event) in ticket order
        self._tickets = itertools.count()

    def put(self, piece: Piece) -> None:
        self.pieces.append(piece)
        self.count += len(piece.ids)
        self._wake()

    def ticket(self) -> int:
        """A vessel's place in the queue of vessels waiting here for cargo (its arrival order)."""
        return next(self._tickets)

    def holds(self, need: int, ticket: int) -> simpy.Event:
        """An event that fires when this vessel may load: the yard holds `need` containers and no vessel ahead of it
        (by ticket) is being woken for them.

        Vessels are woken one at a time, the first in arrival order whose need is met; the next is woken when that one
        has taken its cargo (`take`). A put thus costs O(1) events however many vessels wait, where waking them all
        to re-check would cost O(vessels) per put.
        """
        event = self.env.event()
        bisect.insort(self._waiters, (ticket, need, event), key=lambda w: w[0])
        self._wake()
        return event

    def forget(self, event: simpy.Event) -> None:
        """Drop a wait that ended another way (the vessel's deadline)."""
        self._waiters = [w for w in self._waiters if w[2] is not event]

    def drop(self, event: simpy.Event) -> None:
        """A vessel stops waiting (retired, or its rule changed): its wait is dropped, or, if it was already woken,
        the wake passes on to the next vessel in line."""
        if event.triggered:
            self._wake()
        else:
            self.forget(event)

    def _wake(self) -> None:
        for i, (_, need, event) in enumerate(self._waiters):
            if need <= self.count:
                del self._waiters[i]
                event.succeed()
                return

    def take(self, limit: int) -> list[Piece]:
        """Up to `limit` containers from the front, splitting the last piece if needed."""
        out, taken = take_front(self.pieces, limit)
        self.count -= taken
        self._wake()  # what is left may be enough for the next vessel in line
        return out


@dataclass
class Port:
    gate: Gate
    berths: Slots  # capacity `UNLIMITED` where the scenario sets no berth limit
    loc: int


@dataclass
class VesselSpec:
    """One vessel: its capacity, its time samplers (replaced when a dated change alters them) and its service."""

    name: str
    capacity: int  # containers, after the load factor
    crossing: Callable[[], float]
    back: Callable[[], float]
    load: Callable[[], float]
    unload: Callable[[], float]
    load_per_teu: Callable[[], float] = lambda: 0.0  # extra loading hours per TEU aboard (terminal rate)
    group: int = 0  # which entry of the segment's `vessels` list it belongs to
    retiring: bool = False  # leaves service when next idle in its home port
    idle: bool = False  # in its home port waiting for its departure rule
    process: simpy.Process | None = None


class Fleet:
    """All vessels of one sea segment; vessels join and leave service as dated changes say."""

    def __init__(
        self,
        env: simpy.Environment,
        rec: Recorder,
        seg_id: str,
        loc: int,
        yard: Yard,
        ends: tuple[Port, Port],
        gate: Gate,
        departure: Departure,
        teu_per_container: float,
        arrive: Callable[[list[Piece]], None],
    ) -> None:
        self.env, self.rec, self.seg_id, self.loc, self.yard = env, rec, seg_id, loc, yard
        (self.origin, self.dest), self.gate = ends, gate
        self.departure = departure
        self.teu = teu_per_container
        self.arrive = arrive
        self._next_slot = 0
        self.at_origin = 0
        self.vessels: list[VesselSpec] = []  # in service, retiring ones included until they retire
        self.started: dict[int, int] = {}  # vessels ever put into service, by group

    def start(self, vessel: VesselSpec) -> None:
        """Put a vessel into service, empty in the home port (the segment's origin) now."""
        vessel.process = self.env.process(self._cycle(vessel))
        self.vessels.append(vessel)
        self.started[vessel.group] = self.started.get(vessel.group, 0) + 1

    def in_service(self, group: int) -> list[VesselSpec]:
        return [v for v in self.vessels if v.group == group and not v.retiring]

    def retire(self, group: int, n: int) -> None:
        """Take `n` vessels of one group out of service: those idle in the home port at once, the others (latest
        started first) when their trip is done and they are back home."""
        ranked = sorted(reversed(self.in_service(group)), key=lambda v: not v.idle)  # stable: idle ones first
        for v in ranked[:n]:
            v.retiring = True
            if v.idle:
                v.process.interrupt("retire")

    def reinstate(self, group: int, n: int) -> int:
        """Keep up to `n` retiring vessels of a group in service after all (they are still sailing); how many."""
        back = [v for v in self.vessels if v.group == group and v.retiring][:n]
        for v in back:
            v.retiring = False
        return len(back)

    def set_departure(self, departure: Departure) -> None:
        """A new departure rule from now: vessels waiting in port wait again under it (keeping their place in line
        and the time they became ready)."""
        self.departure, self._next_slot = departure, 0
        for v in self.vessels:
            if v.idle:
                v.process.interrupt("rule")

    def _slot_time(self, k: int) -> float:
        return self.departure.offset + k * self.departure.every

    def _await_cargo(self, v: VesselSpec) -> Generator[simpy.Event, None, bool]:
        """Hold the vessel in port until its departure rule lets it load; False if it retired meanwhile."""
        ready, ticket = self.env.now, self.yard.ticket()
        while True:
            v.idle = True
            try:
                if self.departure.rule == "timetable":
                    yield from self._await_slot()
                else:
                    yield from self._await_fill(v, ready, ticket)
                return True
            except simpy.Interrupt as stop:
                if stop.cause == "retire":
                    return False
            finally:
                v.idle = False

    def _await_slot(self) -> Generator[simpy.Event, None, None]:
        env, dep = self.env, self.departure
        k = max(self._next_slot, int(np.ceil((env.now - dep.offset) / dep.every - 1e-9)))
        self._next_slot = k + 1
        yield env.timeout(max(0.0, self._slot_time(k) - env.now))

    def _await_fill(self, v: VesselSpec, ready: float, ticket: int) -> Generator[simpy.Event, None, None]:
        env, yard, dep = self.env, self.yard, self.departure
        need = max(1, int(np.ceil(dep.fill * v.capacity)))
        if yard.storage is not None:  # a yard smaller than a full load: full is all the yard can hold
            need = min(need, yard.storage.capacity)
        deadline = None if dep.max_wait is None else ready + dep.max_wait
        while yard.count < need:
            if deadline is not None and env.now >= deadline:
                if yard.count > 0:
                    return
                need, deadline = 1, None  # past its deadline the vessel loads as soon as anything arrives
                continue
            enough = yard.holds(need, ticket)
            try:
                if deadline is None:
                    yield enough
                else:
                    yield enough | env.timeout(deadline - env.now)
            except simpy.Interrupt:
                yard.drop(enough)
                raise
            if not enough.triggered:
                yard.forget(enough)

    def _cycle(self, v: VesselSpec) -> Generator[simpy.Event, None, None]:
        env, rec = self.env, self.rec
        while not v.retiring:
            self.at_origin += 1
            loaded = yield from self._await_cargo(v)
            self.at_origin -= 1
            if not loaded:
                break
            pieces = self.yard.take(v.capacity)  # its cargo, which stays in the yard until loading starts
            ids = np.concatenate([p.ids for p in pieces]) if pieces else np.empty(0, np.int64)
            teu = len(ids) * self.teu
            yield from self._berth_work(
                self.origin, ids, lambda n=teu: v.load() + n * v.load_per_teu(), LOADING, pieces
            )
            if not self.gate.is_open:
                t = env.now
                yield from self.gate.wait_open()
                rec.stage(ids, self.loc, CLOSED, t, env.now)
            t_dep = env.now
            yield env.timeout(v.crossing())
            rec.stage(ids, self.loc, SAILING, t_dep, env.now)
            yield from self._berth_work(self.dest, ids, v.unload, UNLOADING)
            rec.sailing(self.seg_id, v.name, t_dep, env.now, len(ids), v.capacity, teu)
            now = env.now
            for p in pieces:
                p.t_in = now
            if pieces:
                self.arrive(pieces)
            if not self.gate.is_open:
                yield from self.gate.wait_open()
            yield env.timeout(v.back())
        self.vessels.remove(v)

    def _berth_work(
        self,
        port: Port,
        ids: np.ndarray,
        duration: Callable[[], float],
        state: int,
        in_yard: list[Piece] | None = None,
    ) -> Generator[simpy.Event, None, None]:
        """Take a berth, wait out a port closure, then load or unload.

        All waiting is booked at the port where it happens: cargo to be loaded (`in_yard`) is in the yard until the
        vessel has a berth (yard wait) and holds its room in the yard until loading starts; cargo aboard waits for a
        berth (berth wait at the port).
        """
        env, rec = self.env, self.rec
        t = env.now
        with port.berths.hold() as turn:
            if turn is not None:
                yield turn
            if in_yard is None:
                rec.stage(ids, port.loc, BERTH_WAIT, t, env.now)
            else:
                for p in in_yard:
                    rec.stage(p.ids, port.loc, YARD_WAIT, p.t_in, env.now)
            if not port.gate.is_open:
                t = env.now
                yield from port.gate.wait_open()
                rec.stage(ids, port.loc, CLOSED, t, env.now)
            t = env.now
            if in_yard is not None:  # loading starts: room in the yard for held trains, a smaller backlog
                if self.yard.storage is not None:
                    self.yard.storage.release(len(ids))
                if self.yard.intake is not None:
                    self.yard.intake.remove(len(ids))
            yield env.timeout(duration())
            rec.stage(ids, self.loc, state, t, env.now)
