"""Calibration: values of chosen parameters, within bounds, that bring transit KPIs to target figures.

The loss is the sum of squared relative residuals. A coarse grid over the box (evaluated in one parallel batch)
brackets the best region. With one parameter and one target, Brent's method then closes in on the sign change of the
residual between two grid points (a bracketing search, robust where the KPI moves in steps); otherwise scipy's bounded
Powell search refines the continuous parameters inside the grid cell around the best point. Every evaluation uses the
same seed (common random numbers), so the loss is a deterministic function of the parameters and the search is not
chasing sampling noise. Whole-number parameters (servers, vessels) are searched on the grid only.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario
from corridor_sim.tuning.evaluate import KPI_COLUMNS, Study
from corridor_sim.tuning.params import Quantity, get_value, parse_quantity
from corridor_sim.workspace import staged, write_json, write_resolved, write_tables

METRICS = {"p50": "p50_days", "p90": "p90_days", "mean": "mean_days"}
DEFAULT_TOLERANCE = 0.02  # a target counts as reached within 2% of its value
NOT_REACHED = 3  # exit code of `calibrate` when the targets cannot be met inside the ranges


@dataclass(frozen=True)
class Target:
    metric: str
    days: float

    @property
    def column(self) -> str:
        return METRICS[self.metric]


@dataclass(frozen=True)
class Bound:
    key: str
    low: Quantity
    high: Quantity
    integer: bool

    def value(self, x: float) -> Any:
        """The raw value for search coordinate `x` (a number in the range's unit)."""
        return int(round(x)) if self.integer else Quantity(float(x), self.low.unit).raw()

    def grid(self, n: int) -> list[float]:
        if self.integer:
            lo, hi = int(round(self.low.number)), int(round(self.high.number))
            return [float(v) for v in np.unique(np.round(np.linspace(lo, hi, min(n, hi - lo + 1))))]
        return list(np.linspace(self.low.number, self.high.number, n))


class _Exhausted(Exception):
    """The evaluation budget (`--max-evals`) is spent: the search stops where it is."""


@dataclass
class Calibration:
    bounds: list[Bound]
    targets: list[Target]
    tolerance: float = DEFAULT_TOLERANCE
    evaluations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        """Every target met within `tolerance` (relative) at the best point."""
        best = self.best
        return all(abs(best[f"residual_{t.metric}_days"]) <= self.tolerance * t.days for t in self.targets)

    def shortfall(self) -> str:
        """Why the targets were not reached: each one's best value, and the parameters pinned at a range limit."""
        best = self.best
        missed = [
            f"{t.metric} {best[t.column]:.2f} d against {t.days:g} d"
            for t in self.targets
            if not abs(best[f"residual_{t.metric}_days"]) <= self.tolerance * t.days
        ]
        pinned = [b.key for b in self.bounds if best[b.key] in (b.value(b.low.number), b.value(b.high.number))]
        where = f"; at a limit of its range: {', '.join(pinned)} (widen the range)" if pinned else ""
        return (
            f"target not reached within {self.tolerance:.0%} after {len(self.evaluations)} evaluations: "
            f"best {', '.join(missed)}{where}"
        )

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.evaluations)

    @property
    def best(self) -> dict[str, Any]:
        return min(self.evaluations, key=lambda e: e["loss"])


def parse_target(spec: str) -> Target:
    """`p50=20d` (p50, p90 or mean; a duration with its unit)."""
    from corridor_sim.units import parse_duration

    metric, sep, text = spec.partition("=")
    metric = metric.strip()
    if not sep or metric not in METRICS:
        raise ScenarioError(f"expected p50=20d, p90=…, or mean=…, got {spec!r}", file="--target")
    try:
        hours = parse_duration(text.strip())
    except ValueError as exc:
        raise ScenarioError(str(exc), key=metric, file="--target") from None
    if hours <= 0:
        raise ScenarioError("must be positive", key=metric, file="--target")
    return Target(metric, hours / 24)


def make_bound(study: Study, key: str, low: Quantity, high: Quantity) -> Bound:
    """Whole-number search when the scenario holds a whole number there and the range is written without a unit."""
    current = get_value(study.raw, key, "--param")
    if current is None:
        raise ScenarioError("has no value in the scenario to calibrate", key=key, file="--param")
    q = parse_quantity(current)
    integer = isinstance(current, int) and not isinstance(current, bool) and not low.unit
    if q is not None and q.unit and not low.unit:
        raise ScenarioError(f"the scenario writes {current!r}; give the range with a unit", key=key, file="--param")
    return Bound(key, low, high, integer)


def loss(kpis: dict[str, float], targets: Sequence[Target]) -> float:
    residuals = [(kpis[t.column] - t.days) / t.days for t in targets]
    return float(sum(r * r for r in residuals)) if np.all(np.isfinite(residuals)) else float("inf")


def check_search(grid_points: int, max_evals: int, tolerance: float = DEFAULT_TOLERANCE) -> None:
    """Refuse a search that cannot run (checked before any scenario is read or simulated)."""
    if grid_points < 2:
        raise ScenarioError(f"must be at least 2 (the two ends of each range), got {grid_points}", file="--grid")
    if max_evals < 1:
        raise ScenarioError(f"must be at least 1, got {max_evals}", file="--max-evals")
    if not 0 < tolerance < 1:
        raise ScenarioError(f"must lie strictly between 0 and 100%, got {tolerance:g}", file="--tolerance")


def grid_axes(bounds: Sequence[Bound], grid_points: int) -> list[list[float]]:
    per_dim = grid_points if len(bounds) == 1 else max(3, grid_points - len(bounds) + 1)
    return [b.grid(per_dim) for b in bounds]


def calibrate(
    study: Study,
    bounds: Sequence[Bound],
    targets: Sequence[Target],
    grid_points: int = 5,
    max_evals: int = 30,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Calibration:
    """Grid, then bounded refinement; every evaluation is kept (the table shows how the fit was found).

    `max_evals` is a hard cap on simulated points, grid included: a grid larger than it is refused up front, and
    the refinement stops when the budget is spent (the best point so far stands). Long because the grid and the
    refinement share one evaluation log and one budget, kept in this scope rather than in an object.
    """
    check_search(grid_points, max_evals, tolerance)
    if not targets:
        raise ScenarioError("give at least one --target", file="--target")
    if not bounds:
        raise ScenarioError("give at least one --param key.path=LO..HI", file="--param")
    axes = grid_axes(bounds, grid_points)
    size = int(np.prod([len(a) for a in axes]))
    if size > max_evals:
        raise ScenarioError(
            f"the grid alone needs {size} evaluations, more than --max-evals {max_evals}; raise it or lower --grid",
            file="--max-evals",
        )
    result = Calibration(list(bounds), list(targets), tolerance)
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}

    def evaluate(points: list[tuple[float, ...]], phase: str) -> list[dict[str, Any]]:
        fresh = [p for p in dict.fromkeys(points) if _key(bounds, p) not in seen]
        if len(result.evaluations) + len(fresh) > max_evals:
            raise _Exhausted
        scenarios = [study.variant({b.key: b.value(x) for b, x in zip(bounds, p, strict=True)}) for p in fresh]
        for p, k in zip(fresh, study.evaluate(scenarios, study.kpis), strict=True):
            row = {"evaluation": len(result.evaluations) + 1, "phase": phase}
            row |= {b.key: b.value(x) for b, x in zip(bounds, p, strict=True)}
            row |= {c: k[c] for c in KPI_COLUMNS}
            row |= {f"residual_{t.metric}_days": k[t.column] - t.days for t in targets}
            row["loss"] = loss(k, targets)
            seen[_key(bounds, p)] = row
            result.evaluations.append(row)
        return [seen[_key(bounds, p)] for p in points]

    points = list(itertools.product(*axes))
    rows = evaluate(points, "grid")
    best = points[int(np.argmin([r["loss"] for r in rows]))]
    free = [i for i, b in enumerate(bounds) if not b.integer]
    budget = max_evals - len(result.evaluations)
    if not free or budget <= 0:
        return result
    if len(bounds) == 1 and len(targets) == 1:
        residual = f"residual_{targets[0].metric}_days"
        signs = np.sign([r[residual] for r in rows])
        brackets = [j for j in range(len(rows) - 1) if signs[j] * signs[j + 1] < 0]
        if brackets:  # the target lies between two grid points: bisect on the signed residual (robust to plateaus)
            j = min(brackets, key=lambda j: abs(points[j][0] - best[0]))
            with contextlib.suppress(RuntimeError, _Exhausted):  # out of evaluations: the best point so far stands
                optimize.brentq(
                    lambda x: evaluate([(float(x),)], "bracket")[0][residual],
                    points[j][0],
                    points[j + 1][0],
                    xtol=1e-4 * (axes[0][-1] - axes[0][0]),
                    maxiter=budget,
                )
            return result
    cell = []
    for i in free:
        ax = axes[i]
        j = ax.index(best[i])
        cell.append((ax[max(j - 1, 0)], ax[min(j + 1, len(ax) - 1)]))

    def f(x: np.ndarray) -> float:
        p = list(best)
        for i, v in zip(free, x, strict=True):
            p[i] = float(v)
        return evaluate([tuple(p)], "refine")[0]["loss"]

    span = max(hi - lo for lo, hi in cell)
    with contextlib.suppress(_Exhausted):  # Powell's maxfev is a target, not a cap: the budget is enforced above
        optimize.minimize(
            f,
            x0=[best[i] for i in free],
            method="Powell",
            bounds=cell,
            options={"maxfev": budget, "xtol": 1e-3 * span / 2, "ftol": 1e-6},
        )
    return result


def _key(bounds: Sequence[Bound], p: tuple[float, ...]) -> tuple[Any, ...]:
    return tuple(b.value(x) for b, x in zip(bounds, p, strict=True))


def calibrated_yaml(
    study: Study,
    best: dict[str, Any],
    keys: Sequence[str],
    sets: Sequence[str],
    out: Path,
    targets: Sequence[Target],
    reached: bool = True,
) -> str:
    """A scenario file that `extends` the input (by a path relative to `out`) and sets the calibrated values.

    The user's own `--set` overrides are repeated, so the file describes exactly the scenario that was calibrated;
    a key path through a list writes the whole list (a child's list replaces its parent's).
    """
    changes = {k: best[k] for k in keys}
    raw = study.variant_raw(changes)
    child: dict[str, Any] = {
        "extends": os.path.relpath(study.path.resolve(), out.resolve()),
        "name": f"{study.base.name}-calibrated",
    }
    set_keys = [s.partition("=")[0].strip() for s in sets]
    for key in [*set_keys, *keys]:
        parts = key.split(".")
        cut = next((i for i, p in enumerate(parts) if p.isdigit()), len(parts))
        path = parts[:cut] if cut < len(parts) else parts
        node: Any = raw
        for p in path:
            node = node[p]
        _put(child, path, node)
    goal = ", ".join(f"{t.metric}={t.days:g}d" for t in targets)
    verb = "calibrated to" if reached else "best fit (target NOT reached) to"
    child["provenance"] = {k: {"estimate": True, "note": f"{verb} {goal} by corridor-sim calibrate"} for k in keys}
    header = (
        f"# {'Calibrated' if reached else 'NOT calibrated: the closest point found, targets not reached'} by "
        f"corridor-sim calibrate (targets {goal}; seed {study.seed}, {study.replications} replications)\n"
    )
    return header + yaml.safe_dump(child, sort_keys=False, allow_unicode=True, width=110)


def _put(tree: dict[str, Any], path: list[str], value: Any) -> None:
    for p in path[:-1]:
        tree = tree.setdefault(p, {})
    tree[path[-1]] = value


def write_calibration(out: Path, study: Study, result: Calibration, sets: Sequence[str]) -> tuple[Path, Path]:
    """The evaluations table, the fit plot and the calibrated scenario (checked to load before it is kept)."""
    from corridor_sim.tuning.plots import calibration_plot

    best = result.best
    keys = [b.key for b in result.bounds]
    name = f"{study.path.stem}.calibrated.yaml"
    text = calibrated_yaml(study, best, keys, sets, out, result.targets, result.reached)
    meta = study.meta(
        "calibrate",
        targets={t.metric: t.days for t in result.targets},
        tolerance=result.tolerance,
        reached=result.reached,
        evaluations=len(result.evaluations),
        best={k: best[k] for k in keys},
        loss=best["loss"],
        calibrated_scenario=name,
    )
    with staged(out) as tmp:
        write_resolved(tmp, study.base)
        write_tables(tmp, {"calibration": result.table})
        write_json(tmp / "study.json", meta)
        (tmp / name).write_text(text, encoding="utf-8")
        load_scenario(tmp / name)  # the calibrated file must validate as written
        calibration_plot(
            result.table,
            keys,
            {t.column: t.days for t in result.targets},
            f"{study.base.name}: calibration ({study.replications} replications, seed {study.seed})",
            tmp / "calibration.png",
        )
    return out, out / name
