"""Demand: block trains of containers arriving at an origin, Poisson or evenly spaced, at a rate set by month."""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from corridor_sim.engine.calendar import Calendar


def train_arrivals(
    env: simpy.Environment,
    base_rate: float,
    monthly_factor: list[float],
    kind: str,
    rng: np.random.Generator,
    calendar: Calendar,
    emit: Callable[[], None],
) -> Generator[simpy.Event, None, None]:
    """Call `emit` at each train arrival; `base_rate` is trains per hour before the month's factor.

    Poisson arrivals with a monthly rate are a non-homogeneous Poisson process, drawn exactly by thinning
    (Lewis & Shedler): candidates at the peak rate, each kept with probability rate(t) / peak.
    """
    peak = base_rate * max(monthly_factor)
    if peak <= 0:
        return
    if kind == "poisson":
        while True:
            yield env.timeout(rng.exponential(1.0 / peak))
            if rng.random() * peak < base_rate * monthly_factor[calendar.month(env.now) - 1]:
                emit()
    else:  # evenly spaced in expected trains: one arrival each time the cumulative rate gains one train
        owed = 1.0
        while True:
            rate = base_rate * monthly_factor[calendar.month(env.now) - 1]
            to_boundary = calendar.next_boundary(env.now) - env.now
            if rate * to_boundary < owed:  # the month ends first: carry what it contributed over
                owed -= rate * to_boundary
                yield env.timeout(to_boundary)
                continue
            yield env.timeout(owed / rate)
            owed = 1.0
            emit()
