"""Wiring of one replication: builds the SimPy components from the scenario, runs them, returns the tables.

A train is a SimPy process carrying an array of container ids along its route until it reaches its destination or
a port where its next leg is by sea; there the containers go into the yard, a vessel carries them, and at the far
port they wait for an onward train (or are delivered).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from operator import attrgetter

import numpy as np
import pandas as pd
import simpy

from corridor_sim import costs, dated, tables
from corridor_sim.distributions import Dist
from corridor_sim.engine.calendar import Calendar
from corridor_sim.engine.changes import apply_change
from corridor_sim.engine.demand import Rate, train_arrivals
from corridor_sim.engine.formation import FormationQueue
from corridor_sim.engine.gates import Gate, outages
from corridor_sim.engine.intake import Intake
from corridor_sim.engine.land import Handler, Line, StockPool
from corridor_sim.engine.piece import Piece
from corridor_sim.engine.sea import Fleet, Port, VesselSpec, Yard
from corridor_sim.engine.slots import UNLIMITED, Slots
from corridor_sim.engine.storage import Storage, yard_containers
from corridor_sim.network import CorridorNetwork
from corridor_sim.network import sections as section_of
from corridor_sim.records import STATE_CODE, Recorder
from corridor_sim.rng import stream
from corridor_sim.schema import MIN_CLOCK_STEP_H, Departure, Scenario, Segment, Vessel, vessel_capacity

CLOSED = STATE_CODE["closed"]
ZERO = Dist(dist="fixed", value=0.0)


class CorridorModel:
    def __init__(self, scenario: Scenario, network: CorridorNetwork, replication: int, seed: int | None = None):
        self.replication = replication
        self.seed = scenario.simulation.seed if seed is None else seed
        sim = scenario.simulation
        self.env = env = simpy.Environment()
        self.horizon = sim.duration + sim.cooldown
        self.calendar = Calendar(sim.start, self.horizon)
        # the scenario as it stands after each dated change, and when; those dated on or before the start are the
        # state the run starts from
        timeline = [(dated.hours_from_start(scenario, i), s) for i, s in enumerate(dated.run_states(scenario))]
        self.scenario = next((s for h, s in reversed(timeline) if h == 0), scenario)
        self.routes = list(network.routes.values())
        self.flow_ids = list(network.routes)

        net = self.scenario.network
        sections = section_of(self.scenario)
        self.gates = {name: Gate(env) for name in sections}
        # trains held before a full port yard are counted at a place of their own, in the section the yard names
        sections |= {f"{n} approach": node.yard.section for n, node in net.nodes.items() if node.yard is not None}
        self.rec = Recorder(
            locations=list(sections),
            location_section=list(sections.values()),
            flows=self.flow_ids,
            flow_origin=[scenario.demand.flows[f].origin for f in self.flow_ids],
            flow_destination=[scenario.demand.flows[f].destination for f in self.flow_ids],
        )
        self.accounting = costs.accounting(scenario, network, self.rec.locations)
        self._build_land()
        self._build_sea()
        # one formation queue per port and onward path: containers of different flows bound the same way share trains
        self.formation: dict[tuple[str, tuple[str, ...]], FormationQueue] = {}
        self._start_demand(timeline)
        self._start_disruptions()
        later = [(i, h, s) for i, (h, s) in enumerate(timeline) if h > 0]
        if later:
            env.process(self._changes(later))
        # lines whose headway binds in any state are sampled (a line that gains train paths on a date included)
        self._monitored_lines = {
            name
            for state in (self.scenario, *(s for _, s in timeline))
            for name, seg in state.network.segments.items()
            if not seg.is_sea and seg.trains_per_day
        }
        env.process(self._monitor(sim.monitor_interval))

    # -- construction helpers -------------------------------------------------------------------------------------
    def _build_land(self) -> None:
        env, rec, net = self.env, self.rec, self.scenario.network
        self.handlers = {
            n: Handler(
                env,
                node.handling.servers,
                self.draw(node.handling.time, f"handling:{n}"),
                self.gates[n],
                rec,
                rec.loc(n),
            )
            for n, node in net.nodes.items()
            if node.handling is not None
        }
        self.lines = {
            s: Line(env, self.headway(seg), self.run_time(s, seg), self.gates[s], rec, rec.loc(s))
            for s, seg in net.segments.items()
            if not seg.is_sea
        }
        self.pool_of: dict[str, StockPool] = {}
        self.pools: dict[str, StockPool] = {}
        for p, pool in net.rolling_stock.items():
            sp = StockPool(env, pool.sets, self.draw(pool.return_time, f"stock:{p}"), rec, rec.loc(pool.segments[0]))
            self.pool_of |= {s: sp for s in pool.segments}
            self.pools[p] = sp

    def _build_sea(self) -> None:
        env, net = self.env, self.scenario.network
        self.ports = {
            n: Port(self.gates[n], Slots(env, node.berths or UNLIMITED), self.rec.loc(n))
            for n, node in net.nodes.items()
            if node.role == "port"
        }
        teu = self.scenario.simulation.teu_per_container
        self.storage = {
            n: Storage(env, yard_containers(node.yard, teu), self.rec, self.rec.loc(f"{n} approach"))
            for n, node in net.nodes.items()
            if node.yard is not None
        }
        self.intake = {
            n: Intake(env, node.intake.stop_above, node.intake.resume_below, self.rec)
            for n, node in net.nodes.items()
            if node.intake is not None
        }
        self._intake_points()
        self.yards: dict[str, Yard] = {}
        self.fleets: dict[str, Fleet] = {}
        for s, seg in net.segments.items():
            if seg.is_sea:
                self.yards[s] = Yard(env, self.storage.get(seg.from_), self.intake.get(seg.from_))
                self.fleets[s] = self._fleet(s, seg)

    def _intake_points(self) -> None:
        """Where on each route intake control acts: `_hold[(route, pos)]` is the port's control at its hold point;
        `_count_at_yard[(route, pos)]` the control of a port whose yard a route enters without passing the hold point
        (its containers join the backlog as they enter the yard)."""
        self._hold: dict[tuple[int, int], Intake] = {}
        self._count_at_yard: dict[tuple[int, int], Intake] = {}
        net = self.scenario.network
        for r, route in enumerate(self.routes):
            for q, port in enumerate(route.nodes[:-1]):
                if port not in self.intake or not net.segments[route.segments[q]].is_sea:
                    continue
                hold_at = net.nodes[port].intake.hold_at
                before = [pos for pos in range(q + 1) if route.nodes[pos] == hold_at]
                if before:
                    self._hold[(r, before[-1])] = self.intake[port]
                else:
                    self._count_at_yard[(r, q)] = self.intake[port]

    def _start_demand(self, timeline: list[tuple[float, Scenario]]) -> None:
        for i, flow_id in enumerate(self.flow_ids):
            steps = [(0.0, *self._flow_rate(self.scenario, flow_id))]
            steps += [(h, *self._flow_rate(s, flow_id)) for h, s in timeline if h > 0]
            flow = self.scenario.demand.flows[flow_id]
            self.env.process(
                train_arrivals(
                    self.env,
                    Rate(steps, self.calendar),
                    flow.arrivals,
                    stream(self.seed, self.replication, f"demand:{flow_id}"),
                    self._emitter(i, flow.containers_per_train),
                )
            )

    @staticmethod
    def _flow_rate(scenario: Scenario, flow_id: str) -> tuple[float, list[float]]:
        """(trains per hour before the month's factor, monthly factors) of a flow in one state of the scenario."""
        flow, sim = scenario.demand.flows[flow_id], scenario.simulation
        per_year = (
            flow.teu_per_year / sim.teu_per_container / flow.containers_per_train
            if flow.teu_per_year is not None
            else flow.trains_per_week * 365.25 / 7
        )
        return per_year / 8766.0, flow.monthly_factor

    def _start_disruptions(self) -> None:
        for d_id, d in self.scenario.disruptions.items():
            self.env.process(
                outages(
                    self.env,
                    [self.gates[d.target]],
                    _floored(self.draw(d.every, f"disruption:{d_id}:every"), MIN_CLOCK_STEP_H),
                    self.draw(d.duration, f"disruption:{d_id}:duration"),
                    set(d.months) if d.months else None,
                    self.calendar,
                )
            )

    def _changes(self, later: list[tuple[int, float, Scenario]]) -> Generator[simpy.Event, None, None]:
        """Apply each dated change at its hour: the running model takes the new state's counts, rules and times."""
        for i, hour, state in later:
            yield self.env.timeout(hour - self.env.now)
            apply_change(self, self.scenario, state, i)
            self.scenario = state

    def draw(self, dist: Dist, name: str) -> Callable[[], float]:
        """A sampler of `dist` on its own named random stream."""
        return dist.sampler(stream(self.seed, self.replication, name))

    @staticmethod
    def headway(seg: Segment) -> float:
        return 24.0 / seg.trains_per_day if seg.trains_per_day else 0.0

    def run_time(self, seg_id: str, seg: Segment, tag: str = "") -> Callable[[], float]:
        """Running time of a train on a line; `tag` names the stream of a dated change's new distribution."""
        if seg.travel_time is not None:
            return self.draw(seg.travel_time, f"travel:{seg_id}{tag}")
        speed, distance = self.draw(seg.speed, f"travel:{seg_id}{tag}"), seg.distance
        return lambda: distance / max(speed(), 1e-9)

    def _fleet(self, s: str, seg: Segment) -> Fleet:
        fleet = Fleet(
            self.env,
            self.rec,
            s,
            self.rec.loc(s),
            self.yards[s],
            (self.ports[seg.from_], self.ports[seg.to]),
            self.gates[s],
            seg.departure or Departure(),
            self.scenario.simulation.teu_per_container,
            self._arrive_by_sea,
        )
        k = 0
        for group, vessel in enumerate(seg.vessels):
            for j in range(vessel.count):
                fleet.start(self.vessel(s, seg, group, vessel, j, str(k)))
                k += 1
        return fleet

    def vessel(self, s: str, seg: Segment, group: int, vessel: Vessel, j: int, key: str) -> VesselSpec:
        """Vessel `j` (from 0) of entry `group` of a sea segment; `key` names its random streams."""
        name = vessel.name or f"{s}-vessel"
        name = f"{name}-{j + 1}" if vessel.count > 1 or j > 0 or not vessel.name else name
        capacity = vessel_capacity(vessel, seg, self.scenario.simulation.teu_per_container)
        return VesselSpec(name=name, capacity=capacity, group=group, **self.vessel_times(s, seg, key))

    def vessel_times(self, s: str, seg: Segment, key: str) -> dict[str, Callable[[], float]]:
        """A vessel's time samplers from the segment's distributions, on streams named by `key`."""
        return {
            "crossing": self.draw(seg.crossing_time, f"crossing:{s}:{key}"),
            "back": self.draw(seg.return_time or seg.crossing_time, f"return:{s}:{key}"),
            "load": self.draw(seg.load_time or ZERO, f"load:{s}:{key}"),
            "unload": self.draw(seg.unload_time or ZERO, f"unload:{s}:{key}"),
            "load_per_teu": self.draw(seg.load_time_per_teu or ZERO, f"load_per_teu:{s}:{key}"),
        }

    def _emitter(self, flow: int, size: int) -> Callable[[], None]:
        def emit() -> None:
            ids = self.rec.new_containers(size, flow, self.env.now)
            self.env.process(self._train(ids, flow, 0))

        return emit

    # -- movement -------------------------------------------------------------------------------------------------
    def _train(self, ids: np.ndarray, r: int, pos: int) -> Generator[simpy.Event, None, None]:
        route = self.routes[r]
        segments, held = route.segments, None
        while True:
            node = route.nodes[pos]
            if (r, pos) in self._hold:  # intake control: held here while the port's backlog is high
                yield from self._hold[r, pos].dispatch(ids, self.rec.loc(node))
            if node in self.storage and pos < len(segments) and segments[pos] in self.yards:
                yield from self.storage[node].admit(ids)  # held before the port while its yard is full
            if node in self.handlers:
                yield from self.handlers[node].process(ids)
            elif not self.gates[node].is_open:  # a node without handling still closes: nothing passes it
                t = self.env.now
                yield from self.gates[node].wait_open()
                self.rec.stage(ids, self.rec.loc(node), CLOSED, t, self.env.now)
            if held is not None and (pos == len(segments) or self.pool_of.get(segments[pos]) is not held):
                held.release()
                held = None
            if pos == len(segments):
                self.rec.deliver(ids, self.env.now)
                return
            seg = segments[pos]
            if seg in self.yards:
                if (r, pos) in self._count_at_yard:
                    self._count_at_yard[r, pos].add(len(ids))
                self.yards[seg].put(Piece(ids, r, pos, self.env.now))
                return
            pool = self.pool_of.get(seg)
            if pool is not None and pool is not held:
                yield from pool.acquire(ids)
                held = pool
            yield from self.lines[seg].traverse(ids)
            pos += 1

    def _arrive_by_sea(self, pieces: list[Piece]) -> None:
        net = self.scenario.network
        for p in pieces:
            p.pos += 1
            route = self.routes[p.route]
            if p.pos == len(route.segments):
                self.rec.deliver(p.ids, self.env.now)
                continue
            nxt, node = route.segments[p.pos], route.nodes[p.pos]
            if nxt in self.yards:
                if node in self.storage:
                    self.storage[node].add(len(p.ids))
                if node in self.intake:
                    self.intake[node].add(len(p.ids))
                self.yards[nxt].put(p)
                continue
            key = (node, route.segments[p.pos :])
            if key not in self.formation:
                rule = net.nodes[node].formation
                self.formation[key] = FormationQueue(
                    self.env,
                    self.rec,
                    self.rec.loc(node),
                    rule.train_size,
                    rule.max_wait,
                    self._depart,
                    self.storage.get(node),
                )
            self.formation[key].put(p)

    def _depart(self, ids: np.ndarray, r: int, pos: int) -> None:
        self.env.process(self._train(ids, r, pos))

    def _monitor(self, interval: float) -> Generator[simpy.Event, None, None]:
        """Sample queues, yards and fleets every `interval`: occupancy over time, independent of the stage records.

        Series that exist all run long (yards, fleets, handlers, headway-bound lines) are read into one row of ints
        per sample, in the order declared to the recorder; series that come and go (formation queues as they are
        created, closures while they last) are appended as sparse rows.
        """
        rec, net = self.rec, self.scenario.network
        yards = [(net.segments[s].from_, s, yard, self.fleets[s]) for s, yard in self.yards.items()]
        handlers = list(self.handlers.items())
        servers = [h.servers for _, h in handlers]  # read the slots directly: a property hop per series per tick
        # only gates a disruption targets ever close: polling all of them every tick was a sixth of the monitor
        disrupted = {d.target for d in self.scenario.disruptions.values()}
        closable = [(name, gate) for name, gate in self.gates.items() if name in disrupted]
        lines = [(s, line) for s, line in self.lines.items() if s in self._monitored_lines]
        rec.declare_gauges(
            [(port, "yard_containers") for port, _, _, _ in yards]
            + [(s, "vessels_waiting_for_cargo") for _, s, _, _ in yards]
            + [(n, "queue_trains") for n, _ in handlers]
            + [(n, "busy_servers") for n, _ in handlers]
            + [(s, "waiting_trains") for s, _ in lines]
            + [(p, "stock_in_use") for p in self.pools]
            + [(p, "waiting_trains") for p in self.pools]
        )
        # one list display of attribute reads per tick, in the declared order (comprehensions and concatenations
        # built a dozen lists per tick: the monitor was a sixth of a replication)
        get_count, get_at_origin, get_waiting, get_busy = map(attrgetter, ("count", "at_origin", "waiting", "busy"))
        yard_list, fleets = [y for _, _, y, _ in yards], [f for _, _, _, f in yards]
        line_list, stock = [line for _, line in lines], [pool.sets for pool in self.pools.values()]
        while True:
            day = self.env.now / 24.0
            rec.gauge(
                day,
                [
                    *map(get_count, yard_list),
                    *map(get_at_origin, fleets),
                    *map(get_waiting, servers),
                    *map(get_busy, servers),
                    *map(get_waiting, line_list),
                    *map(get_busy, stock),
                    *map(get_waiting, stock),
                ],
            )
            formed: dict[str, int] = {}
            for (node, _), q in self.formation.items():
                formed[node] = formed.get(node, 0) + q.count
            for node, count in formed.items():
                rec.sample(day, node, "formation_containers", count)
            for name, gate in closable:
                if not gate.is_open:
                    rec.sample(day, name, "closed", 1)
            yield self.env.timeout(interval)

    def run(self) -> dict[str, pd.DataFrame]:
        self.env.run(until=self.horizon)
        sim = self.scenario.simulation
        return tables.build(self.rec, self.replication, sim.warmup, sim.duration, accounting=self.accounting)


def _floored(draw: Callable[[], float], floor: float) -> Callable[[], float]:
    """Draws of a quantity that alone drives the clock, never below `floor` (so outage cycles are countable)."""
    return lambda: max(draw(), floor)


def simulate(
    scenario: Scenario, network: CorridorNetwork, replication: int = 0, seed: int | None = None
) -> dict[str, pd.DataFrame]:
    """Run one replication; the tables depend only on (scenario, seed, replication)."""
    return CorridorModel(scenario, network, replication, seed).run()
