"""What `validate` prints: every section of a scenario file, one line an entry, in the file's own units.

Read from the file's merged mapping (after `extends` and `--set`), not the validated model, so a duration written
`2.5d` prints `2.5d` (the model holds hours: `60h`), and a section added to the format later is listed too rather
than silently left out. Numbers are rounded to four significant digits; provenance marks are left to the provenance
listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corridor_sim.loader import _PROVENANCE_KEYS
from corridor_sim.network import CorridorNetwork
from corridor_sim.tuning.params import describe, is_dist, unwrap

# (key path, heading) in the order a container meets them; then any other top-level section of the file
SECTIONS = (
    ("network.nodes", "nodes"),
    ("network.segments", "segments"),
    ("network.rolling_stock", "rolling stock"),
    ("demand.flows", "demand flows"),
    ("disruptions", "disruptions"),
    ("published", "published bands"),
    ("section_groups", "section groups"),
    ("published_sections", "published section durations"),
    ("interventions", "interventions"),
)
_NOT_LISTED = {"name", "description", "extends", "sources", "provenance", "simulation", "network", "demand"}


def compact(value: Any) -> str:
    """One line for a raw value: mappings as `key value, ...`, lists in brackets, numbers rounded."""
    value = unwrap(value)
    if is_dist(value):
        return describe(value)
    if isinstance(value, Mapping):
        items = [(k, v) for k, v in value.items() if k not in _PROVENANCE_KEYS]
        return ", ".join(f"{k} {_nested(v)}" for k, v in items)
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _nested(value: Any) -> str:
    value = unwrap(value)
    text = compact(value)
    return f"({text})" if isinstance(value, Mapping) and not is_dist(value) else text


def _at(raw: Mapping[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        node = unwrap(node)
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return unwrap(node)


def _entries(heading: str, value: Any) -> list[str]:
    if isinstance(value, Mapping):
        entries = [f"  {name}: {compact(v)}" for name, v in value.items() if name not in _PROVENANCE_KEYS]
    elif isinstance(value, list):
        entries = [f"  - {compact(v)}" for v in value]
    else:
        entries = [f"  {compact(value)}"]
    return [f"{heading} ({len(entries)}):", *entries] if entries else [f"{heading}: none"]


def describe_scenario(raw: Mapping[str, Any], network: CorridorNetwork) -> str:
    """Every section of the file: simulation settings, each listed section, any other, and each flow's route."""
    lines = [f"scenario {raw.get('name', '?')}"]
    if raw.get("extends"):
        lines[0] += f" (extends {raw['extends']})"
    lines.append(f"simulation: {compact(_at(raw, 'simulation') or {})}")
    for path, heading in SECTIONS:
        lines += _entries(heading, _at(raw, path) or {})
    for key, value in raw.items():
        if key not in _NOT_LISTED and key not in {p for p, _ in SECTIONS}:
            lines += _entries(key.replace("_", " "), value)
    lines.append(f"routes ({len(network.routes)}):")
    lines += [f"  {flow}: {' → '.join(route.nodes)}" for flow, route in network.routes.items()]
    return "\n".join(lines)
