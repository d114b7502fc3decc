"""Changes on a date: the scenario as it stands after each of its dated `changes`, checked up front.

A change is a `--set` that takes effect on a calendar date. Each state (the scenario with every change up to and
including one applied) must itself be a valid scenario, and may differ from the one before only where the engine
can change a running model: counts (vessels, servers, berths, wagon sets), train paths, departure and formation
rules, time distributions and demand volumes. Anything else is refused here, by key path, not ignored at run time.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from corridor_sim.errors import ScenarioError
from corridor_sim.schema import Demand, Network, Scenario

_NAME = r"[^.]+"
_DIST = r"(\..+)?"  # a distribution's fields (or a whole distribution) below the key
# what the engine can change in a running model (see `CorridorModel._apply_change`)
SUPPORTED: tuple[tuple[str, str], ...] = (
    (rf"network\.nodes\.{_NAME}\.handling\.(servers|time{_DIST})", "handling servers and time"),
    (rf"network\.nodes\.{_NAME}\.berths", "berths"),
    (rf"network\.nodes\.{_NAME}\.yard\.(capacity_teu|containers)", "yard capacity"),
    (rf"network\.nodes\.{_NAME}\.formation\.(train_size|max_wait)", "formation rule"),
    (rf"network\.rolling_stock\.{_NAME}\.(sets|return_time{_DIST})", "rolling-stock sets and return time"),
    (rf"network\.segments\.{_NAME}\.(trains_per_day|speed{_DIST}|travel_time{_DIST})", "train paths, running time"),
    (
        rf"network\.segments\.{_NAME}\.(crossing_time|return_time|load_time|load_time_per_teu|unload_time){_DIST}",
        "vessel times",
    ),
    (rf"network\.segments\.{_NAME}\.vessels\.\d+\.count", "vessel counts"),
    (rf"network\.segments\.{_NAME}\.departure(\..+)?", "departure rule"),
    (rf"demand\.flows\.{_NAME}\.(teu_per_year|trains_per_week|monthly_factor(\.\d+)?)", "demand volume"),
)
_SUPPORTED_RE = re.compile("|".join(f"(?:{p})" for p, _ in SUPPORTED))


def hours_from_start(scenario: Scenario, index: int) -> float:
    """Simulation hour at which change `index` takes effect (0 for a date on or before the start)."""
    days = (scenario.changes[index].from_ - scenario.simulation.start).days
    return max(0.0, days * 24.0)


def states(scenario: Scenario) -> list[Scenario]:
    """The scenario after each change in turn (cumulative), each validated like a scenario file (with its network
    checks) and checked to differ from the one before only where a running model can change. Errors name
    `changes.i.set.<key path>`."""
    return _states(scenario, full=True)


def run_states(scenario: Scenario) -> list[Scenario]:
    """`states` for the engine: only the network and demand are re-validated (all a change may alter), a few ms a
    change; the last scenario's states are kept, as replications of one scenario run one after another."""
    if scenario is not _last[0]:
        _last[:] = [scenario, _states(scenario, full=False) if scenario.changes else []]
    return _last[1]


_last: list[Any] = [None, []]


def _states(scenario: Scenario, full: bool) -> list[Scenario]:
    from corridor_sim.loader import set_value

    if full:
        base = scenario.model_dump(mode="json", by_alias=True)
        base["changes"] = []
    else:
        base = {part: getattr(scenario, part).model_dump(mode="json", by_alias=True) for part in ("network", "demand")}
    out: list[Scenario] = []
    for i, change in enumerate(scenario.changes):
        if i and change.from_ < scenario.changes[i - 1].from_:
            raise ScenarioError("changes must be listed in date order", key=f"changes.{i}.from")
        changed: list[str] = []
        for key, value in change.set.items():
            parts = key.split(".")
            if not full and parts[0] not in base:
                raise ScenarioError(f"{key} cannot change on a date", key=f"changes.{i}.set.{key}")
            before = copy.deepcopy(_get(base, parts))
            try:
                set_value(base, parts, copy.deepcopy(value), file=None)  # type: ignore[arg-type]
            except ScenarioError as exc:
                raise ScenarioError(exc.message, f"changes.{i}.set.{key}") from None
            changed += _changed_paths(before, value, key)
        out.append(_validated(base, i, list(change.set)) if full else _parts(scenario, base))
        for path in changed:
            if not _SUPPORTED_RE.fullmatch(path):
                what = ", ".join(label for _, label in SUPPORTED)
                key = f"changes.{i}.set.{_owner(path, change.set)}"
                raise ScenarioError(f"{path} cannot change on a date (what can: {what})", key=key)
    return out


def _parts(scenario: Scenario, data: dict[str, Any]) -> Scenario:
    # validation builds new containers throughout (no field of these holds free-form data): `data` may change later
    network, demand = Network.model_validate(data["network"]), Demand.model_validate(data["demand"])
    return scenario.model_copy(update={"network": network, "demand": demand, "changes": []})


def _validated(data: dict[str, Any], i: int, keys: list[str]) -> Scenario:
    from corridor_sim.loader import _format_validation
    from corridor_sim.network import build_network

    try:
        state = Scenario.model_validate(copy.deepcopy(data))
        build_network(state)
    except ValidationError as exc:
        err = _format_validation(exc)
    except ScenarioError as exc:
        err = exc
    else:
        return state
    owner = _owner(err.key, keys)
    where = "" if owner == err.key or not err.key else f" (at {err.key})"
    raise ScenarioError(f"{err.message}{where}", key=f"changes.{i}.set.{owner}") from None


def _get(data: Any, parts: list[str]) -> Any:
    """The value at a key path, or None where the path does not (yet) exist."""
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _owner(path: str, keys: list[str] | dict[str, Any]) -> str:
    """The set key a problem at `path` comes from (the one that is its prefix or extension), else the first."""
    keys = list(keys)
    for key in keys:
        if path == key or path.startswith(key + ".") or key.startswith(path + "."):
            return key
    return keys[0] if keys else path


def _changed_paths(a: Any, b: Any, path: str = "") -> list[str]:
    """Key paths of the leaves where two plain-data trees differ (a list of another length differs as a whole)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in a.keys() | b.keys():
            out += _changed_paths(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return sorted(out)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _changed_paths(x, y, f"{path}.{i}")]
    return [] if a == b else [path]
