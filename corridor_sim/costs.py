"""Price, time cost and CO2e of each container from its path: the scenario's charges and emission factors turned
into per-flow and per-location figures once, before a run, so the tables add them up with a few array operations.

Accounting only: nothing here feeds back into the model, so transit times are the same with or without it. A flow's
containers all take the flow's route (routes are fixed before the run; the engine never reroutes), so a charge per
unit of a node or segment is paid once by every container of every flow whose route passes it. A per-call charge
is what one train handled at a node, or one train run or sailing of a segment, pays: it is shared among the
containers that train or vessel actually carried, so a half-empty sailing costs each of its boxes twice as much.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corridor_sim.network import CorridorNetwork, Route
from corridor_sim.records import STATE_CODE
from corridor_sim.schema import Charge, Scenario

# the stage states that are one call: a train handled at a node, a train's run or a vessel's sailing on a segment
CALL_STATES = ("handling", "travel", "sailing")
COLUMNS = ("price_usd", "time_cost_usd", "generalised_cost_usd", "co2e_kg")


@dataclass(frozen=True)
class Accounting:
    """Per flow (in the order of the network's routes): USD per container of the per-unit charges along its route and
    kg CO2e per container; per location (in the recorder's order): USD per call; the time cost of a container-day."""

    price_per_container: np.ndarray
    co2e_per_container: np.ndarray
    call_usd: np.ndarray
    usd_per_container_day: float
    priced: bool
    emitting: bool


NONE = Accounting(np.zeros(0), np.zeros(0), np.zeros(0), float("nan"), priced=False, emitting=False)


def usd(scenario: Scenario, charge: Charge) -> float:
    """A charge's amount in USD (`exchange_rates` give units of a currency per USD)."""
    if charge.currency == "USD":
        return charge.amount
    return charge.amount / scenario.costs.exchange_rates[charge.currency]


def per_container(scenario: Scenario, charge: Charge, place: str) -> float:
    """USD one container pays for one passage of `place` under a per-unit charge (a FEU is two TEU)."""
    teu = scenario.simulation.teu_per_container
    units = {"teu": teu, "feu": teu / 2, "container": 1.0}
    unit = charge.per.removesuffix("_km")
    km = scenario.network.segments[place].distance if charge.per.endswith("_km") else 1.0
    return usd(scenario, charge) * units[unit] * km


def route_price(scenario: Scenario, route: Route) -> float:
    """USD per container of the per-unit charges on the route's nodes and segments."""
    places = {*route.nodes, *route.segments}
    total = 0.0
    for charge in scenario.costs.charges.values() if scenario.costs else ():
        if charge.per != "call":
            total += sum(per_container(scenario, charge, p) for p in charge.at if p in places)
    return total


def route_co2e(scenario: Scenario, route: Route) -> float:
    """kg CO2e per container along the route: each segment's factor x km x the container's tonnes (or TEU)."""
    em = scenario.emissions
    if em is None:
        return 0.0
    teu = scenario.simulation.teu_per_container
    factor = {s: f for f in em.factors.values() for s in f.segments}
    total = 0.0
    for seg_id in route.segments:
        f = factor[seg_id]
        load = teu * em.tonnes_per_teu if f.per == "tonne_km" else teu
        total += f.kg * scenario.network.segments[seg_id].distance * load
    return total


def call_charges(scenario: Scenario, locations: Sequence[str]) -> np.ndarray:
    """USD per call at each location of the recorder (zero where no per-call charge applies)."""
    out = np.zeros(len(locations))
    index = {name: i for i, name in enumerate(locations)}
    for charge in scenario.costs.charges.values() if scenario.costs else ():
        if charge.per == "call":
            for place in charge.at:
                out[index[place]] += usd(scenario, charge)
    return out


def accounting(scenario: Scenario, network: CorridorNetwork, locations: Sequence[str]) -> Accounting:
    """The scenario's charges, value of time and factors as arrays the tables can apply."""
    routes = list(network.routes.values())
    vot = scenario.costs.value_of_time if scenario.costs else None
    teu = scenario.simulation.teu_per_container
    return Accounting(
        price_per_container=np.array([route_price(scenario, r) for r in routes], float),
        co2e_per_container=np.array([route_co2e(scenario, r) for r in routes], float),
        call_usd=call_charges(scenario, locations),
        usd_per_container_day=vot.cargo_value_per_teu * teu * vot.percent_per_day / 100 if vot else np.nan,
        priced=scenario.costs is not None,
        emitting=scenario.emissions is not None,
    )


def call_shares(
    call_usd: np.ndarray, load: np.ndarray, loc: np.ndarray, state: np.ndarray, sizes: np.ndarray, n: int
) -> np.ndarray:
    """USD per load of per-call charges: each stage row in a call state is one call (the engine records one per
    train handled, train run or sailing) and pays its location's charge, shared equally among the load's containers
    (`load`, `loc`, `state`: the stage rows; `sizes`: the containers of each of the `n` loads)."""
    codes = np.array([STATE_CODE[s] for s in CALL_STATES])
    rows = np.isin(state, codes) & (call_usd[loc] > 0)
    return np.bincount(load[rows], weights=call_usd[loc[rows]] / sizes[load[rows]], minlength=n)


def container_columns(
    acc: Accounting,
    flow: np.ndarray,
    transit_days: np.ndarray,
    call_per_container: np.ndarray,
) -> dict[str, np.ndarray]:
    """Price, time cost, generalised cost (USD) and CO2e (kg) of each container; NaN while it is in flight (its
    path is not yet complete) or where the scenario gives no charges, value of time or factors."""
    delivered = ~np.isnan(transit_days)
    blank = np.full(len(flow), np.nan)
    price = np.where(delivered, acc.price_per_container[flow] + call_per_container, np.nan) if acc.priced else blank
    time_cost = transit_days * acc.usd_per_container_day
    co2e = np.where(delivered, acc.co2e_per_container[flow], np.nan) if acc.emitting else blank
    return {"price_usd": price, "time_cost_usd": time_cost, "generalised_cost_usd": price + time_cost, "co2e_kg": co2e}


def describe(scenario: Scenario) -> dict[str, object]:
    """What the cost and CO2e figures of a run rest on, for `summary.json`: the reporting currency, the value of
    time, each charge as given, and the emission method and factors (kg CO2e per tonne-km or TEU-km)."""
    out: dict[str, object] = {}
    if scenario.costs is not None:
        vot = scenario.costs.value_of_time
        out["currency"] = "USD"
        out["exchange_rates_per_usd"] = dict(scenario.costs.exchange_rates)
        out["value_of_time"] = vot.model_dump() if vot else None
        out["hummels_schaur_band_percent_per_day"] = [0.6, 2.1]
        out["charges"] = {k: c.model_dump() for k, c in scenario.costs.charges.items()}
    if scenario.emissions is not None:
        em = scenario.emissions
        out["emissions"] = {
            "method": em.method,
            "tonnes_per_teu": em.tonnes_per_teu,
            "factors": {k: {"mode": f.mode, "per": f.per, "kg_co2e": f.kg} for k, f in em.factors.items()},
        }
    return out
