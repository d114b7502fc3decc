"""Ranges on estimates: the plausible low and high of a figure, written beside it so uncertainty can be propagated.

`{value: 18h, estimate: true, range: [12h, 30h]}`; on a distribution (`{dist: lognormal, mean: 38h, cv: 0.6,
range: [24h, 60h]}`) the range is of its *expected value*, and a value inside it rescales the whole distribution (its
shape and coefficient of variation kept), as the tuning tools set a distribution. A count (servers, vessels, sets)
takes whole-number ends and is sampled as whole numbers. A range is checked when the scenario loads: both ends of the
figure's kind (a duration's range in durations), low ≤ value ≤ high, and the scenario valid with every range at its
low end and at its high end together, so a study over the ranges never builds a scenario the schema refuses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor_sim.errors import ScenarioError
from corridor_sim.units import MAXIMA

# map positions: no result depends on them (routes use distances), so an estimated one needs no range
_NOT_MODEL_INPUTS = ("lat", "lon")
_TOLERANCE = 1e-9  # relative: `800km/d` is 33.333...km/h, written back it may differ in the last digit


@dataclass(frozen=True)
class Ranged:
    """One ranged figure: its key path, its value (a distribution's expected value) and its ends, in its unit."""

    key: str
    value: float
    low: float
    high: float
    unit: str  # the unit the ends were written in ("" for a plain number)
    whole: bool  # a count: sampled as whole numbers
    profile: tuple[float, ...] | None = None  # a list's values: the range is of its amplitude (`value` 1)

    def at(self, u: float) -> Any:
        """The raw value at position `u` in [0, 1] of the range (uniform; a count takes each whole number equally;
        a list: its values moved from their mean by that amplitude)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.profile is not None:
            a, mean = self.low + u * (self.high - self.low), sum(self.profile) / len(self.profile)
            return [round(mean + a * (x - mean), 12) for x in self.profile]
        if self.whole:
            lo, hi = round(self.low), round(self.high)
            return min(lo + math.floor(u * (hi - lo + 1)), hi)
        number = self.low + u * (self.high - self.low)
        return f"{number:.12g}{self.unit}" if self.unit else number


def ranged(raw: Mapping[str, Any], provenance: Mapping[str, Any]) -> list[Ranged]:
    """Every ranged figure of a scenario, in file order, checked against its value (raises `ScenarioError`)."""
    from corridor_sim.tuning.params import expected, get_value, is_dist, parse_quantity

    out = []
    for key, prov in provenance.items():
        ends = prov.get("range") if isinstance(prov, Mapping) else getattr(prov, "range", None)
        if ends is None:
            continue
        where = f"{key}.range"
        if not isinstance(ends, list | tuple) or len(ends) != 2:
            raise ScenarioError("must be [low, high]", key=where)
        try:
            value = get_value(raw, key)
        except ScenarioError:
            value = None
        if _is_list(value):
            out.append(_profile(key, value, ends, where))
            continue
        if is_dist(value):
            current = expected(value)
        elif isinstance(value, bool) or (current := parse_quantity(value)) is None:
            raise ScenarioError(
                "a range needs a number, quantity or distribution (put it on one of its figures)",
                where,
            )
        low, high = (parse_quantity(e) for e in ends)
        for name, end, text in (("low", low, ends[0]), ("high", high, ends[1])):
            if end is None or (current.unit == "" and end.unit != "") or end.kind != current.kind:
                raise ScenarioError(f"{name} end {text!r} is not a {current.kind} like the figure", where)
            if end.canonical < 0 or end.canonical > MAXIMA.get(end.kind, math.inf):
                raise ScenarioError(f"{name} end {text!r} is out of bounds", where)
        whole = isinstance(value, int)
        if whole and not all(isinstance(e, int) and not isinstance(e, bool) for e in ends):
            raise ScenarioError(f"the figure is a whole number: so are its ends, got {list(ends)}", where)
        lo, hi, v = low.canonical, high.canonical, current.canonical
        slack = _TOLERANCE * max(abs(lo), abs(hi), abs(v), 1e-12)
        if not lo - slack <= v <= hi + slack:
            raise ScenarioError(f"low <= value <= high does not hold: {list(ends)} around {current.raw()}", where)
        factor = (low.canonical / low.number) if low.number else 1.0
        unit = low.unit if low.unit == high.unit else ""
        if not unit:  # ends in two units (`12h`, `2d`): the model's unit
            factor, unit = 1.0, {"duration": "h", "distance": "km", "speed": "km/h"}.get(current.kind, "")
        out.append(Ranged(key, v / factor, lo / factor, hi / factor, unit, whole))
    return out


def _is_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_plain(x) for x in value)


def _plain(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _profile(key: str, value: list, ends: Any, where: str) -> Ranged:
    """A list of factors (a monthly profile): its range is of the profile's amplitude around its mean, 1 as written,
    0 flat, 2 twice as deep; the mean (a flow's yearly volume) is kept, so the range moves the shape alone. One
    range for the whole list: its elements are not independent estimates (one published shape, one judgement)."""
    if not all(_plain(e) for e in ends) or not 0 <= ends[0] <= 1 <= ends[1]:
        raise ScenarioError(
            f"a list's range is of its amplitude (1: as written, 0: flat): 0 <= low <= 1 <= high, got {list(ends)}",
            where,
        )
    return Ranged(key, 1.0, float(ends[0]), float(ends[1]), "", False, tuple(float(x) for x in value))


def check_ends(raw: dict[str, Any], ranges: list[Ranged], name: str | None = None) -> None:
    """The scenario must validate with every range at its low end, and again at its high end (bounds of the schema:
    a fill above 1, a count below 1, a vessel that holds no container, ...)."""
    from pydantic import ValidationError

    from corridor_sim.loader import _format_validation, extract_provenance
    from corridor_sim.schema import Scenario
    from corridor_sim.tuning.params import apply_changes, get_value, set_to

    for side, u in (("low", 0.0), ("high", 1.0)):
        if not ranges:
            return
        changes = {r.key: set_to(get_value(raw, r.key), r.at(u)) for r in ranges}
        clean = extract_provenance(apply_changes(raw, changes, "range"))[0]
        if name and "name" not in clean:
            clean["name"] = name
        try:
            Scenario.model_validate(clean)
        except ValidationError as exc:
            err = _format_validation(exc)
            raise ScenarioError(f"with every range at its {side} end: {err.message}", err.key) from None
        except ScenarioError as exc:
            raise ScenarioError(f"with every range at its {side} end: {exc.message}", exc.key) from None


def unranged_estimates(raw: Mapping[str, Any], provenance: Mapping[str, Any]) -> list[str]:
    """Key paths marked `estimate: true` with no range on them or on any figure below them (map positions aside)."""
    ranged_keys = [k for k, p in provenance.items() if _range_of(p) is not None]
    out = []
    for key, prov in provenance.items():
        if not _estimate_of(prov) or key.rsplit(".", 1)[-1] in _NOT_MODEL_INPUTS:
            continue
        if not any(k == key or k.startswith(key + ".") for k in ranged_keys):
            out.append(key)
    return out


def without_ranges(value: Any) -> Any:
    """A raw mapping with every `range` mark dropped: the variants of a study over the ranges need not re-check the
    ranges of the figures they leave alone (the file's were checked when it loaded), which cost a third of a
    variant's validation."""
    if isinstance(value, dict):
        return {k: without_ranges(v) for k, v in value.items() if k != "range"}
    if isinstance(value, list):
        return [without_ranges(v) for v in value]
    return value


def _range_of(prov: Any) -> Any:
    return prov.get("range") if isinstance(prov, Mapping) else getattr(prov, "range", None)


def _estimate_of(prov: Any) -> bool:
    return bool(prov.get("estimate") if isinstance(prov, Mapping) else getattr(prov, "estimate", False))


def describe(raw: Mapping[str, Any], provenance: Mapping[str, Any]) -> str:
    """What `validate` prints: the ranges, then the estimates still without one."""
    ranges = ranged(raw, provenance)
    lines = [f"ranges ({len(ranges)}):" if ranges else "ranges: none"]
    for r in ranges:
        amplitude = " (amplitude of the list)" if r.profile is not None else ""
        lines.append(f"  {r.key}: {r.value:.4g}{r.unit} in [{r.low:.4g}{r.unit}, {r.high:.4g}{r.unit}]{amplitude}")
    missing = unranged_estimates(raw, provenance)
    if missing:
        lines.append(f"estimates without a range ({len(missing)}; map positions not counted):")
        lines += [f"  {key}" for key in missing]
    else:
        lines.append("estimates without a range: none (map positions not counted)")
    return "\n".join(lines)
