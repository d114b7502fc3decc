"""Quantities with units, written the one documented way: a number glued to its unit.

Durations (`36h`, `2.5d`, `45min`, `1w`) are held in hours, distances (`836km`) in kilometres and speeds
(`800km/d`, `40km/h`) in km/h. A bare number is refused for these quantities: a scenario that says `36` could mean
hours or days, and guessing is how a planner's figure silently goes wrong by a factor of 24.
"""

from __future__ import annotations

import math
import re

# a number, then its unit glued on or after spaces (empty for a plain number): the one way a quantity is written
QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z/]*)\s*$")

DURATION_UNITS = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
DISTANCE_UNITS = {"m": 0.001, "km": 1.0}
SPEED_UNITS = {"km/h": 1.0, "km/d": 1 / 24, "kn": 1.852}
# Largest value of each kind, in its canonical unit: far beyond any corridor (the calendar itself ends in year 9999),
# far below where arithmetic on draws overflows (a triangular draw up to 1e300 h comes out as -inf)
MAXIMA = {"duration": 10_000 * 8766.0, "distance": 1e9, "speed": 1e9}


def _parse(text: object, units: dict[str, float], kind: str, example: str) -> float:
    if isinstance(text, bool):
        raise ValueError(f"expected a {kind} with a unit such as {example}, got {text!r}")
    if isinstance(text, int | float):
        if text == 0:
            return 0.0
        raise ValueError(f"{kind} needs a unit, e.g. {example} (got bare number {text!r})")
    if not isinstance(text, str):
        raise ValueError(f"expected a {kind} such as {example}, got {type(text).__name__}")
    match = QUANTITY.match(text)
    if not match or not match.group(2):
        raise ValueError(f"cannot read {text!r} as a {kind}; write a number and a unit, e.g. {example}")
    number, unit = float(match.group(1)), match.group(2)
    if unit not in units:
        raise ValueError(f"unknown {kind} unit {unit!r} in {text!r}; use one of {', '.join(units)}")
    value = number * units[unit]
    if not math.isfinite(value):
        raise ValueError(f"{kind} {text!r} is not finite")
    if value < 0:  # no wait, distance or speed in a scenario is negative; a sign is a typo, never a meaning
        raise ValueError(f"{kind} {text!r} must not be negative")
    if value > MAXIMA[kind]:
        top = {"duration": "10000 years", "distance": "1e9 km", "speed": "1e9 km/h"}[kind]
        raise ValueError(f"{kind} {text!r} is beyond {top}")
    return value


def parse_duration(text: object) -> float:
    """Duration in hours from e.g. `36h`, `2.5d`, `45min`, `1w` (a bare 0 is allowed: zero has no unit)."""
    return _parse(text, DURATION_UNITS, "duration", "36h or 2.5d")


def parse_distance(text: object) -> float:
    """Distance in km from e.g. `836km`."""
    return _parse(text, DISTANCE_UNITS, "distance", "836km")


def parse_speed(text: object) -> float:
    """Speed in km/h from e.g. `40km/h`, `800km/d` or `14kn`."""
    return _parse(text, SPEED_UNITS, "speed", "40km/h or 800km/d")


def _number(x: float) -> str:
    """Short text when it reads back exactly, else the shortest exact form (800km/d is 33.333333333333336km/h)."""
    short = f"{x:.12g}"
    return short if float(short) == x else repr(float(x))


def format_hours(hours: float) -> str:
    """Canonical text of a duration, so a resolved scenario re-loads to the same number."""
    return f"{_number(hours)}h"


def format_km(km: float) -> str:
    return f"{_number(km)}km"


def format_kmh(kmh: float) -> str:
    return f"{_number(kmh)}km/h"
