"""Demand: block trains of containers arriving at an origin, Poisson or evenly spaced, at a rate set by month (and
changed on the dates a scenario's `changes` give)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Generator

import numpy as np
import simpy

from corridor_sim.engine.calendar import Calendar


class Rate:
    """Trains per hour as a step function of time: a base rate and monthly factors from each `(hour, base_rate,
    monthly_factor)` on (the first from hour 0), times the factor of the calendar month."""

    def __init__(self, steps: list[tuple[float, float, list[float]]], calendar: Calendar) -> None:
        self.starts = [h for h, _, _ in steps]
        self.steps, self.calendar = steps, calendar
        self.peak = max(base * max(factors) for _, base, factors in steps)

    def at(self, t: float) -> float:
        _, base, factors = self.steps[bisect.bisect_right(self.starts, t) - 1]
        return base * factors[self.calendar.month(t) - 1]

    def next_boundary(self, t: float) -> float:
        """When the rate may next change: the next month, or the next dated change if sooner."""
        i = bisect.bisect_right(self.starts, t)
        month = self.calendar.next_boundary(t)
        return min(month, self.starts[i]) if i < len(self.starts) else month


def train_arrivals(
    env: simpy.Environment, rate: Rate, kind: str, rng: np.random.Generator, emit: Callable[[], None]
) -> Generator[simpy.Event, None, None]:
    """Call `emit` at each train arrival.

    Poisson arrivals with a rate that varies in time are a non-homogeneous Poisson process, drawn exactly by thinning
    (Lewis & Shedler): candidates at the peak rate, each kept with probability rate(t) / peak.
    """
    peak = rate.peak
    if peak <= 0:
        return
    if kind == "poisson":
        while True:
            yield env.timeout(rng.exponential(1.0 / peak))
            if rng.random() * peak < rate.at(env.now):
                emit()
    else:  # evenly spaced in expected trains: one arrival each time the cumulative rate gains one train
        owed = 1.0
        while True:
            now_rate = rate.at(env.now)
            to_boundary = rate.next_boundary(env.now) - env.now
            if now_rate * to_boundary < owed:  # the rate changes first: carry what it contributed over
                owed -= now_rate * to_boundary
                yield env.timeout(to_boundary)
                continue
            yield env.timeout(owed / now_rate)
            owed = 1.0
            emit()
