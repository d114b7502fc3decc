"""Where a figure came from: the keys that say so, and the wrapper that carries them beside a plain value.

A figure may be wrapped (`distance: {value: 836km, source: S40}`) or any mapping may hold `source`, `estimate`,
`note` or `range` (the plausible low and high of an estimate, see `corridor_sim.ranges`) among its own keys. The
loader lifts them out into `provenance`; tools that edit the raw file look through the wrapper to the value.
"""

from __future__ import annotations

from typing import Any

KEYS = ("source", "estimate", "note", "range")


def is_wrapper(value: Any) -> bool:
    """`{value: ..., source/estimate/note: ...}`: a plain value with its provenance (a distribution is not one)."""
    return isinstance(value, dict) and "value" in value and "dist" not in value and set(value) <= {"value", *KEYS}


def unwrap(value: Any) -> Any:
    """The value inside a provenance wrapper, else the value itself."""
    return value["value"] if is_wrapper(value) else value


def without(mapping: dict[str, Any]) -> dict[str, Any]:
    """`mapping` without its provenance keys."""
    return {k: v for k, v in mapping.items() if k not in KEYS}
