"""A dated change applied to a running model: the new state's counts, rules and time distributions take effect now.

What may differ between two states is checked up front (`corridor_sim.dated`); here each difference meets its
mechanism. Counts change as a planner would expect: an added vessel starts empty in its home port, a removed one
finishes its trip and then retires (at once if it is idle in port); servers, berths and wagon sets added serve the
first in line, removed ones retire as they come free. A new time distribution draws from a stream of its own (named
for the change), so the draws of the rest of the model are not reshuffled. Demand rates are a step function the
arrival process knows from the start (`engine.demand.Rate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corridor_sim.engine.slots import UNLIMITED
from corridor_sim.engine.storage import yard_containers
from corridor_sim.schema import Departure, Scenario, Segment

if TYPE_CHECKING:
    from corridor_sim.engine.model import CorridorModel


def apply_change(model: CorridorModel, old: Scenario, new: Scenario, index: int) -> None:
    """Make the running `model` (built for `old`) run as `new` from now; `index` is the change's place in the list."""
    tag = f"@{index}"
    for n, node in new.network.nodes.items():
        was = old.network.nodes[n]
        if node.handling != was.handling:
            handler = model.handlers[n]
            handler.servers.resize(node.handling.servers)
            if node.handling.time != was.handling.time:
                handler.time = model.draw(node.handling.time, f"handling:{n}{tag}")
        if node.berths != was.berths:
            model.ports[n].berths.resize(node.berths or UNLIMITED)
        if node.yard != was.yard:
            model.storage[n].resize(yard_containers(node.yard, new.simulation.teu_per_container))
        if node.formation != was.formation:
            for (where, _), queue in model.formation.items():
                if where == n:
                    queue.retune(node.formation.train_size, node.formation.max_wait)
    for p, pool in new.network.rolling_stock.items():
        was_pool = old.network.rolling_stock[p]
        model.pools[p].sets.resize(pool.sets)
        if pool.return_time != was_pool.return_time:
            model.pools[p].return_time = model.draw(pool.return_time, f"stock:{p}{tag}")
    for s, seg in new.network.segments.items():
        if seg == old.network.segments[s]:
            continue
        if seg.is_sea:
            _change_fleet(model, s, old.network.segments[s], seg, tag)
        else:
            line = model.lines[s]
            line.headway = model.headway(seg)
            was_seg = old.network.segments[s]
            if (seg.speed, seg.travel_time) != (was_seg.speed, was_seg.travel_time):
                line.run_time = model.run_time(s, seg, tag)


def _change_fleet(model: CorridorModel, s: str, old: Segment, new: Segment, tag: str) -> None:
    fleet = model.fleets[s]
    if new.departure != old.departure:
        fleet.set_departure(new.departure or Departure())
    if _times(new) != _times(old):
        for k, v in enumerate(fleet.vessels):
            for name, sampler in model.vessel_times(s, new, f"{k}{tag}").items():
                setattr(v, name, sampler)
    for group, vessel in enumerate(new.vessels):
        serving = len(fleet.in_service(group))
        if vessel.count < serving:
            fleet.retire(group, serving - vessel.count)
        elif vessel.count > serving:
            for _ in range(vessel.count - serving - fleet.reinstate(group, vessel.count - serving)):
                j = fleet.started[group]  # numbered on from the vessels this entry ever had
                fleet.start(model.vessel(s, new, group, vessel, j, f"{group}.{j}{tag}"))


def _times(seg: Segment) -> tuple:
    return (seg.crossing_time, seg.return_time, seg.load_time, seg.unload_time, seg.load_time_per_teu)
