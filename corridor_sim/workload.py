"""The work a scenario asks for, estimated from its figures before anything is simulated.

Schema bounds keep each figure sane, but figures multiply: a high demand over a long horizon, a fine monitor interval
or many replications can each be legal and together run for days or exhaust memory. The estimate counts, per
replication, the expected trains, containers, sailings, outages and monitor samples, and the events and recorded
values they add up to; a command refuses a run whose estimate exceeds a limit the user can raise (`--max-events`)
instead of finding out hours later. It is an estimate of expected work (queues can add events a little; nothing in
the engine grows faster than these counts), not a promise of run time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from corridor_sim.errors import ScenarioError
from corridor_sim.schema import MIN_CLOCK_STEP_H, Departure, Scenario

# The bundled scenarios are 0.3-1.1 million per replication (1-4 s each): the default lets a command run a few hundred
# such replications (some ten minutes a core, a few GB of tables) and refuses what would take days or exhaust memory.
DEFAULT_MAX_EVENTS = 200_000_000
HOURS_PER_YEAR = 8766.0
EVENTS_PER_STOP = 4  # a train at a node or on a segment: a request, a grant or timeout, a record, a hand-over
EVENTS_PER_SAILING = 12  # berth, load, sail, berth, unload, return, each a request and a timeout
EVENTS_PER_OUTAGE = 3  # open timeout, close, reopen


@dataclass(frozen=True)
class Workload:
    """Expected counts for one replication, and how many replications the command runs."""

    trains: float
    containers: float
    sailings: float
    outages: float
    monitor_samples: float
    events: float  # events scheduled plus values recorded (container stages, samples), per replication
    replications: int

    @property
    def total(self) -> float:
        return self.events * self.replications

    def describe(self) -> str:
        per = (
            f"{_n(self.trains)} trains, {_n(self.containers)} containers, {_n(self.sailings)} sailings, "
            f"{_n(self.outages)} outages, {_n(self.monitor_samples)} monitor samples"
        )
        return (
            f"work estimate per replication: {per}; ~{_n(self.events)} events and records; "
            f"x {self.replications} replications = ~{_n(self.total)}"
        )


def estimate(scenario: Scenario, replications: int | None = None, demand_factor: float = 1.0) -> Workload:
    """Expected work of the scenario (`demand_factor` scales every flow, as `capacity --demand` does); with dated
    `changes`, that of its busiest state as if it held all run long (an upper bound)."""
    variants = [scenario]
    if scenario.changes:
        from corridor_sim.dated import run_states

        variants += run_states(scenario)
    n = scenario.simulation.replications if replications is None else replications
    return max((_estimate(s, n, demand_factor) for s in variants), key=lambda w: w.events)


def _estimate(scenario: Scenario, replications: int, demand_factor: float) -> Workload:
    from corridor_sim.network import build_network

    sim, net = scenario.simulation, scenario.network
    horizon = sim.duration + sim.cooldown
    routes = build_network(scenario).routes
    trains = containers = events = 0.0
    through: dict[str, float] = {}  # containers crossing each sea segment
    for flow_id, route in routes.items():
        flow = scenario.demand.flows[flow_id]
        per_year = (
            flow.teu_per_year / sim.teu_per_container / flow.containers_per_train
            if flow.teu_per_year is not None
            else flow.trains_per_week * 365.25 / 7
        ) * demand_factor
        rate = per_year / HOURS_PER_YEAR
        n = rate * horizon * sum(flow.monthly_factor) / 12
        boxes = n * flow.containers_per_train
        stops = len(route.nodes) + len(route.segments)
        candidates = rate * horizon * max(flow.monthly_factor)  # Poisson arrivals are thinned from the peak rate
        trains, containers = trains + n, containers + boxes
        events += candidates + n * EVENTS_PER_STOP * stops + boxes * stops  # a recorded stage per container and stop
        for seg in route.segments:
            if net.segments[seg].is_sea:
                through[seg] = through.get(seg, 0.0) + boxes
    sailings = sum(_sailings(scenario, seg, boxes, horizon) for seg, boxes in through.items())
    outages = sum(
        horizon / max(d.every.expected + d.duration.expected, MIN_CLOCK_STEP_H) for d in scenario.disruptions.values()
    )
    samples = horizon / sim.monitor_interval
    series = 1 + 2 * sum(seg.is_sea for seg in net.segments.values())
    series += 2 * sum(node.handling is not None for node in net.nodes.values()) + len(net.segments)
    series += 2 * len(net.rolling_stock) + len(scenario.disruptions)
    events += sailings * EVENTS_PER_SAILING + outages * EVENTS_PER_OUTAGE + samples * series
    return Workload(
        trains,
        containers,
        sailings,
        outages,
        samples,
        events,
        replications,
    )


def _sailings(scenario: Scenario, seg_id: str, boxes: float, horizon: float) -> float:
    """Sailings on a sea leg: a timetable's slots, or one per full load plus those its `max_wait` sends early."""
    seg = scenario.network.segments[seg_id]
    dep = seg.departure or Departure()
    vessels = sum(v.count for v in seg.vessels)
    if dep.rule == "timetable":
        return horizon / dep.every + vessels
    teu = scenario.simulation.teu_per_container
    smallest = min(max(int(v.capacity_teu * seg.load_factor // teu), 1) for v in seg.vessels)
    full = boxes / max(1.0, math.ceil(dep.fill * smallest))
    early = vessels * horizon / max(dep.max_wait, MIN_CLOCK_STEP_H) if dep.max_wait is not None else 0.0
    return min(boxes, full + early) + vessels


def check(works: Workload | list[Workload], limit: float) -> None:
    """Refuse work above `limit` before anything runs: one line naming the largest part and how to go on."""
    works = works if isinstance(works, list) else [works]
    if not limit > 0:
        raise ScenarioError("must be positive", key="--max-events")
    total = sum(w.total for w in works)
    if total <= limit:
        return
    w = max(works, key=lambda w: w.total)
    parts = {
        "containers (demand x horizon)": w.containers,
        "monitor samples (horizon / simulation.monitor_interval)": w.monitor_samples,
        "sailings": w.sailings,
        "outages (disruptions)": w.outages,
    }
    biggest = max(parts, key=parts.__getitem__)
    raise ScenarioError(
        f"the run would take ~{_n(total)} events and records ({w.replications} replications x ~{_n(w.events)}; "
        f"most from {_n(parts[biggest])} {biggest}), above the limit of {_n(limit)}: reduce them, or raise the "
        "limit with --max-events",
        key="work estimate",
    )


def _n(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) < 1e7 else f"{x:.2g}"
