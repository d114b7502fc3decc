"""Shared pieces of the benchmark scripts: timing, the tandem-queue network (as a scenario and as bare SimPy), the
Jackson-network mean sojourn it must match, and the corridor scenario scaled in volume.

Benchmarks print figures; they are not tests. Every ratio is taken within one run of one script, with the two
sides interleaved and the best of several repeats kept, so load from other processes on the machine cancels as far
as it can.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from corridor_sim.loader import load_scenario, resolved_dict, validate
from corridor_sim.schema import Scenario
from corridor_sim.units import parse_duration

ROOT = Path(__file__).resolve().parent.parent
CORRIDOR = ROOT / "scenarios" / "current_2023.yaml"
STAND_IN = Path(__file__).resolve().parent / "standin_corridor.yaml"


def best_of(repeat: int, *fns: Callable[[], Any]) -> list[tuple[float, Any]]:
    """Run each function `repeat` times, interleaved; for each, the shortest wall time and its last result."""
    best = [math.inf] * len(fns)
    results: list[Any] = [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            results[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return list(zip(best, results, strict=True))


# -- tandem queue ---------------------------------------------------------------------------------------------------
def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load `offered` = λ/μ (< c)."""
    rho = offered / c
    top = offered**c / math.factorial(c) / (1 - rho)
    return top / (sum(offered**k / math.factorial(k) for k in range(c)) + top)


def jackson_sojourn(stations: int, servers: int, lam: float, mu: float) -> float:
    """Mean time through `stations` M/M/c queues in series (Jackson: each is M/M/c with the same λ)."""
    wait = erlang_c(servers, lam / mu) / (servers * mu - lam)
    return stations * (wait + 1 / mu)


def tandem_scenario(
    stations: int, servers: int, lam: float, mu: float, days: float, warmup_days: float, seed: int = 1
) -> Scenario:
    """The tandem network as an ordinary scenario: one-container trains, exponential handling, zero-time links."""
    nodes: dict[str, Any] = {
        f"n{i}": {
            "role": "junction",
            "handling": {"servers": servers, "time": {"dist": "exponential", "mean": f"{60 / mu}min"}},
        }
        for i in range(stations)
    }
    nodes["out"] = {"role": "terminal"}
    names = list(nodes)
    segments = {f"s{i}": {"from": names[i], "to": names[i + 1], "travel_time": "0h"} for i in range(stations)}
    return validate(
        {
            "name": "tandem",
            "simulation": {
                "duration": f"{days}d",
                "warmup": f"{warmup_days}d",
                "cooldown": "2d",
                "seed": seed,
                "replications": 1,
            },
            "network": {"nodes": nodes, "segments": segments},
            "demand": {
                "flows": {
                    "f": {"origin": "n0", "destination": "out", "trains_per_week": lam * 168, "containers_per_train": 1}
                }
            },
        }
    )


def bare_simpy_tandem(
    stations: int, servers: int, lam: float, mu: float, horizon_h: float, warmup_h: float, seed: int = 1
) -> tuple[int, np.ndarray]:
    """Idiomatic SimPy: one process per customer, one `simpy.Resource` per station.

    Returns the number of customers through and the sojourns of those that arrived after the warm-up, in order.
    """
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    stations_ = [simpy.Resource(env, capacity=servers) for _ in range(stations)]
    sojourns: list[tuple[float, float]] = []

    def customer() -> Any:
        t0 = env.now
        for station in stations_:
            with station.request() as req:
                yield req
                yield env.timeout(rng.exponential(1 / mu))
        sojourns.append((t0, env.now - t0))

    def source() -> Any:
        while True:
            yield env.timeout(rng.exponential(1 / lam))
            env.process(customer())

    env.process(source())
    env.run(until=horizon_h)
    sojourns.sort()
    return len(sojourns), np.array([s for t0, s in sojourns if warmup_h <= t0 < horizon_h])


# -- corridor ---------------------------------------------------------------------------------------------------------
def corridor_path() -> Path:
    """The 2023 scenario, or the stand-in of the same shape while it is not written yet."""
    return CORRIDOR if CORRIDOR.exists() else STAND_IN


def scaled_corridor(factor: int, replications: int = 1) -> Scenario:
    """The corridor with demand × factor and every capacity × factor (servers, berths, vessels, trains per day,
    timetabled sailings, wagon sets; train and vessel sizes unchanged), so utilisations, and so queues, stay
    stable."""
    path = corridor_path()
    raw = resolved_dict(load_scenario(path))
    net = raw["network"]
    for node in net["nodes"].values():
        if node.get("handling"):
            node["handling"]["servers"] *= factor
        if node.get("berths"):
            node["berths"] *= factor
    for seg in net["segments"].values():
        if seg.get("trains_per_day"):
            seg["trains_per_day"] *= factor
        for vessel in seg.get("vessels") or []:
            vessel["count"] *= factor
        if (seg.get("departure") or {}).get("rule") == "timetable":
            seg["departure"]["every"] = f"{parse_duration(seg['departure']['every']) / factor}h"
    for pool in net["rolling_stock"].values():
        pool["sets"] *= factor
    for flow in raw["demand"]["flows"].values():
        for key in ("teu_per_year", "trains_per_week"):
            if flow.get(key) is not None:
                flow[key] *= factor
    raw["simulation"]["replications"] = replications
    return validate(raw, str(path))


def delivered(tables: dict[str, Any]) -> int:
    return int(tables["containers"]["status"].eq("delivered").sum())
