"""Scenario parameters by key path: read a raw value, change it by a factor or to a target, parse the CLI specs.

Changes are made on the raw mapping (the file as written, `extends` merged), so they go through the same checks as
`--set`: a key path that does not exist is refused with its name. A value keeps the unit it was written in (`36h`
scaled by 1.2 is `43.2h`); a distribution keeps its shape (every quantity scales together, the coefficient of
variation is unchanged), and setting it to a plain quantity sets its *expected value*; a whole number stays whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from corridor_sim import provenance
from corridor_sim.distributions import QUANTITY_FIELDS, Dist
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import apply_sets
from corridor_sim.provenance import unwrap
from corridor_sim.units import DISTANCE_UNITS, DURATION_UNITS, QUANTITY, SPEED_UNITS

_KIND = {
    **{u: "duration" for u in DURATION_UNITS},
    **{u: "distance" for u in DISTANCE_UNITS},
    **{u: "speed" for u in SPEED_UNITS},
}
_FACTOR = {**DURATION_UNITS, **DISTANCE_UNITS, **SPEED_UNITS}
# Numeric network fields that are geography or phase rather than a lever: left out of the default sensitivity set.
_NOT_LEVERS = {"lat", "lon", "distance", "offset"}


@dataclass(frozen=True)
class Quantity:
    """A number and the unit it was written with (`""` for a plain number)."""

    number: float
    unit: str = ""

    @property
    def kind(self) -> str:
        return _KIND.get(self.unit, "number")

    @property
    def canonical(self) -> float:
        """In hours, km or km/h (the model's units), so quantities of one kind compare whatever their unit."""
        return self.number * _FACTOR.get(self.unit, 1.0)

    def times(self, factor: float) -> Quantity:
        return Quantity(self.number * factor, self.unit)

    def raw(self) -> Any:
        """As a scenario file would write it."""
        if not self.unit:
            return self.number
        return f"{self.number:.6g}{self.unit}"


def parse_quantity(value: Any) -> Quantity | None:
    """A plain number or a number glued to a known unit; anything else (names, mappings, flags) is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Quantity(float(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        m = QUANTITY.match(value)
        if m and (m.group(2) == "" or m.group(2) in _FACTOR):
            return Quantity(float(m.group(1)), m.group(2))
    return None


def is_dist(value: Any) -> bool:
    return isinstance(value, dict) and "dist" in value


def get_value(raw: Mapping[str, Any], key: str, origin: str | None = None) -> Any:
    """The raw value at `key` (provenance unwrapped); None if only the last part is absent (an optional field).

    `origin` (the flag or file the key came from) is named in the error for a key that does not exist.
    """
    node: Any = raw
    parts = key.split(".")
    for i, part in enumerate(parts):
        node = unwrap(node)
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if part not in node:
                if last:
                    return None
                raise ScenarioError("no such key", key=".".join(parts[: i + 1]), file=origin)
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ScenarioError("no such key", key=".".join(parts[: i + 1]), file=origin)
    return unwrap(node)


def expected(dist: Mapping[str, Any]) -> Quantity:
    """Expected value of a raw distribution mapping, in the canonical unit of its kind."""
    parsed: dict[str, Any] = {}
    kinds = set()
    for name, v in dist.items():
        if name in QUANTITY_FIELDS:
            q = parse_quantity(v)
            if q is None:
                raise ScenarioError(f"cannot read {v!r} as a quantity", key=name)
            parsed[name] = q.canonical
            kinds.add(q.kind)
        elif name == "values":
            qs = [parse_quantity(x) for x in v]
            parsed[name] = tuple(q.canonical for q in qs if q is not None)
            kinds |= {q.kind for q in qs if q is not None}
        elif name not in provenance.KEYS:
            parsed[name] = v
    unit = {"duration": "h", "distance": "km", "speed": "km/h"}.get(next(iter(kinds - {"number"}), ""), "")
    return Quantity(Dist(**parsed).expected, unit)


def scale(value: Any, factor: float) -> Any:
    """`value` times `factor`, written as the file wrote it (units kept, distribution shape kept, integers whole)."""
    value = unwrap(value)
    if is_dist(value):  # its provenance stays behind: the source gave the old figure, not this one
        out = provenance.without(value)
        for name in QUANTITY_FIELDS:
            if name in out:
                out[name] = parse_quantity(out[name]).times(factor).raw()
        if "values" in out:
            out["values"] = [parse_quantity(v).times(factor).raw() for v in out["values"]]
        return out
    if isinstance(value, int) and not isinstance(value, bool):
        return max(1, round(value * factor))
    q = parse_quantity(value)
    if q is None:
        raise ScenarioError(f"{value!r} is not a number, quantity or distribution")
    return q.times(factor).raw()


def set_to(current: Any, new: Any) -> Any:
    """The raw value that makes `current` become `new`: a distribution is rescaled to expected value `new`."""
    current = unwrap(current)
    target = parse_quantity(new)
    if is_dist(current) and target is not None:
        mean = expected(current)
        if target.kind != mean.kind and target.unit:
            raise ScenarioError(f"{new!r} is a {target.kind}, the distribution holds a {mean.kind}")
        if mean.number <= 0:
            raise ScenarioError("cannot rescale a distribution whose expected value is 0")
        return scale(current, target.canonical / mean.number)
    return new


def apply_changes(raw: dict[str, Any], changes: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """A copy of `raw` with each key path set, checked exactly as `--set` is (unknown keys named)."""
    try:
        return apply_sets(raw, [f"{key}={json.dumps(value)}" for key, value in changes.items()])
    except ScenarioError as exc:
        raise ScenarioError(exc.message, exc.key, origin) from None


def split_top(text: str) -> list[str]:
    """Split on commas outside brackets and braces (a value may be a flow mapping or list)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _key_and_text(spec: str, flag: str, example: str) -> tuple[str, str]:
    key, sep, text = spec.partition("=")
    key = key.strip()
    if not sep or not key or not text.strip() or any(not p for p in key.split(".")):
        raise ScenarioError(f"expected {example}, got {spec!r}", file=flag)
    return key, text


def parse_values(spec: str, flag: str = "--param") -> tuple[str, list[Any]]:
    """`key.path=v1,v2,v3` → (key, values), each value read as YAML (so `36h`, `4`, `{dist: ...}` all work)."""
    key, text = _key_and_text(spec, flag, "key.path=v1,v2,...")
    values = []
    for item in split_top(text):
        if not item:
            raise ScenarioError(f"empty value in {spec!r}", key=key, file=flag)
        try:
            values.append(yaml.safe_load(item))
        except yaml.YAMLError:
            raise ScenarioError(f"cannot read value {item!r}", key=key, file=flag) from None
    return key, values


def parse_range(spec: str, flag: str = "--param") -> tuple[str, Quantity, Quantity]:
    """`key.path=LO..HI` with one unit (`24h..96h`, `2..8`) → (key, low, high)."""
    key, text = _key_and_text(spec, flag, "key.path=LO..HI")
    lo_text, sep, hi_text = text.partition("..")
    lo, hi = parse_quantity(lo_text.strip()), parse_quantity(hi_text.strip())
    if not sep or lo is None or hi is None:
        raise ScenarioError(f"expected a range LO..HI such as 24h..96h, got {text!r}", key=key, file=flag)
    if lo.unit != hi.unit:
        raise ScenarioError(
            f"both ends need the same unit, got {lo.unit or 'none'} and {hi.unit or 'none'}", key=key, file=flag
        )
    if not lo.number < hi.number:
        raise ScenarioError(f"low must be below high in {text!r}", key=key, file=flag)
    return key, lo, hi


def parse_factor(text: str, flag: str) -> float:
    """`20%` or `0.2` → 0.2."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise ScenarioError(f"expected a fraction such as 20% or 0.2, got {text!r}", file=flag) from None
    if not 0 < value < 1:
        raise ScenarioError(f"must lie strictly between 0 and 100%, got {text!r}", file=flag)
    return value


def numeric_parameters(raw: Mapping[str, Any]) -> list[str]:
    """Key paths of every numeric node, segment and rolling-stock parameter (a distribution counts as one)."""
    network = unwrap(raw.get("network") or {})
    return [
        key
        for section in ("nodes", "segments", "rolling_stock")
        for key in _numeric_leaves(unwrap(network.get(section) or {}), f"network.{section}")
    ]


def _numeric_leaves(value: Any, path: str) -> Iterator[str]:
    value = unwrap(value)
    name = path.rsplit(".", 1)[-1]
    if name in _NOT_LEVERS:
        return
    if is_dist(value):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _numeric_leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _numeric_leaves(v, f"{path}.{i}")
    elif parse_quantity(value) is not None and not (isinstance(value, int | float) and value == 0):
        yield path


def describe(value: Any) -> str:
    """Short text of a raw value for tables and plot labels."""
    value = unwrap(value)
    if is_dist(value):
        inner = ", ".join(f"{k} {v}" for k, v in value.items() if k not in ("dist", *provenance.KEYS))
        return f"{value['dist']}({inner})"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
