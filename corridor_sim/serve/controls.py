"""The tunable parameters of a scenario as page controls: key path, group, units, the file's value, provenance, range.

Built from the raw mapping (the file as written, `extends` merged) so a control shows the value and unit the file
wrote, and an edit goes back through the same `--set` path and schema as a file. A distribution is edited by its
natural parameters (low / mode / high, mean / cv, ...), each a control of its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from corridor_sim.tuning.params import is_dist, numeric_parameters, parse_quantity, unwrap

GROUPS = ("node", "segment", "rolling stock", "demand", "disruption")
_DIST_FIELDS = ("value", "low", "mode", "high", "mean", "sd", "cv")
_FRACTIONS = {"load_factor", "fill"}  # shares of a capacity: 0 < x <= 1
_DEMAND_FIELDS = ("teu_per_year", "trains_per_week", "containers_per_train")
_DISRUPTION_FIELDS = ("every", "duration")
_SECTIONS = {"nodes": "node", "segments": "segment", "rolling_stock": "rolling stock"}


@dataclass(frozen=True)
class Control:
    """One number a planner can change."""

    key: str  # the `--set` key path
    group: str  # one of GROUPS
    owner: str  # the node, segment, pool, flow or disruption it belongs to
    label: str  # the rest of the path, readable
    value: float  # as the file wrote it, in `unit`
    unit: str  # "" for a plain number
    integer: bool
    low: float  # a sensible range (a guide: the schema decides what is valid)
    high: float
    provenance: str  # "source S43: title", "estimate: note", or ""

    @property
    def shown_unit(self) -> str:
        """The unit beside the box: the file's, else what the key's name says it counts (`capacity_teu`: TEU)."""
        if self.unit:
            return self.unit
        name = self.key.rsplit(".", 1)[-1]
        if "_per_" in name:  # teu_per_year: TEU/year, trains_per_day: trains/day
            what, per = name.split("_per_", 1)
            return f"{'TEU' if what == 'teu' else what.replace('_', ' ')}/{per}"
        if name.endswith("_teu"):
            return "TEU"
        if name in ("train_size", "capacity_containers", "containers"):
            return "containers"
        return "count" if self.integer else ""

    def raw(self, number: float) -> Any:
        """The value the scenario file would hold for `number` typed in this control."""
        if self.integer:
            return int(number)
        if not self.unit:
            return float(number)
        return f"{number:.6g}{self.unit}"


def controls(raw: Mapping[str, Any]) -> list[Control]:
    """Every tunable parameter of the scenario, grouped node / segment / rolling stock / demand / disruption."""
    sources = unwrap(raw.get("sources") or {})
    out: list[Control] = []
    for key in numeric_parameters(raw):
        section, owner = key.split(".")[1:3]
        out += _controls_at(raw, key, _SECTIONS[section], owner, sources)
    for flow, spec in (unwrap(raw.get("demand") or {}).get("flows") or {}).items():
        for name in _DEMAND_FIELDS:
            if name in spec:
                out += _controls_at(raw, f"demand.flows.{flow}.{name}", "demand", flow, sources)
    for name, spec in (unwrap(raw.get("disruptions") or {})).items():
        for field in _DISRUPTION_FIELDS:
            if field in spec:
                out += _controls_at(raw, f"disruptions.{name}.{field}", "disruption", name, sources)
    return out


def _node_at(raw: Mapping[str, Any], key: str) -> Any:
    node: Any = raw
    for part in key.split("."):
        node = unwrap(node)
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _controls_at(raw: Mapping[str, Any], key: str, group: str, owner: str, sources: Mapping) -> Iterator[Control]:
    written = _node_at(raw, key)
    provenance = _provenance(written, (raw.get("provenance") or {}).get(key), sources)
    value = unwrap(written)
    label = _label(raw, key, owner)
    fields = [(f"{key}.{f}", f"{label} ({f})", value[f]) for f in _DIST_FIELDS if f in value] if is_dist(value) else []
    for path, text, v in fields or [(key, label, value)]:
        control = _control(path, group, owner, text, v, provenance)
        if control is not None:
            yield control


def _label(raw: Mapping[str, Any], key: str, owner: str) -> str:
    """The path after the owner, readable: `vessels.1.count` becomes `vessels feeder-125 count`."""
    head, _, rest = key.partition(f".{owner}.")
    parts, shown = rest.split("."), []
    for i, part in enumerate(parts):
        if part.isdigit():
            item = unwrap(_node_at(raw, ".".join([head, owner, *parts[: i + 1]])))
            part = str(item.get("name", part)) if isinstance(item, dict) else part
        shown.append(part.replace("_", " "))
    return " ".join(shown)


def _control(key: str, group: str, owner: str, label: str, value: Any, provenance: str) -> Control | None:
    q = parse_quantity(value)
    if q is None:
        return None
    integer = isinstance(value, int) and not isinstance(value, bool)
    low, high = _range(key.rsplit(".", 1)[-1], q.number, integer, q.unit)
    return Control(key, group, owner, label, q.number, q.unit, integer, low, high, provenance)


def _range(name: str, value: float, integer: bool, unit: str) -> tuple[float, float]:
    """A range a planner would explore: whole numbers from 1 (a few more than twice the file's value), shares up to
    1, coefficients of variation up to 2, other quantities a quarter to four times the file's value."""
    if name in _FRACTIONS:
        return 0.05, 1.0
    if name == "cv":
        return 0.0, 2.0
    if integer and value <= 20:
        return 1, max(2 * value, value + 4)
    if integer:
        return max(1, math.floor(value / 4)), 4 * value
    return (0.0 if unit and value == 0 else value / 4), (4 * value if value else 1.0)


def _provenance(written: Any, listed: Any, sources: Mapping) -> str:
    marks = written if isinstance(written, dict) else listed if isinstance(listed, dict) else {}
    source = marks.get("source")
    note = marks.get("note")
    if isinstance(source, str):
        entry = sources.get(source)
        title = entry.get("title") if isinstance(entry, dict) else None
        text = f"source {source}" + (f": {title}" if title else "")
    elif isinstance(source, dict):
        text = f"source: {source.get('title', '')}"
    elif marks.get("estimate"):
        text = "estimate"
    else:
        text = ""
    if note:
        text = f"{text} ({note})" if text else str(note)
    return text
