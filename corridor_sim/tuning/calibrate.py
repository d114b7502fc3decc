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
from corridor_sim.workspace import staged, write_json, write_resolved

METRICS = {"p50": "p50_days", "p90": "p90_days", "mean": "mean_days"}


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


@dataclass
class Calibration:
    bounds: list[Bound]
    targets: list[Target]
    evaluations: list[dict[str, Any]] = field(default_factory=list)

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


def calibrate(
    study: Study, bounds: Sequence[Bound], targets: Sequence[Target], grid_points: int = 5, max_evals: int = 30
) -> Calibration:
    """Grid, then bounded refinement; every evaluation is kept (the table shows how the fit was found)."""
    if not targets:
        raise ScenarioError("give at least one --target", file="--target")
    if not bounds:
        raise ScenarioError("give at least one --param key.path=LO..HI", file="--param")
    result = Calibration(list(bounds), list(targets))
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}

    def evaluate(points: list[tuple[float, ...]], phase: str) -> list[dict[str, Any]]:
        fresh = [p for p in dict.fromkeys(points) if _key(bounds, p) not in seen]
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

    per_dim = grid_points if len(bounds) == 1 else max(3, grid_points - len(bounds) + 1)
    axes = [b.grid(per_dim) for b in bounds]
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
            with contextlib.suppress(RuntimeError):  # out of evaluations: the best point so far stands
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
    study: Study, best: dict[str, Any], keys: Sequence[str], sets: Sequence[str], out: Path, targets: Sequence[Target]
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
    child["provenance"] = {
        k: {"estimate": True, "note": f"calibrated to {goal} by corridor-sim calibrate"} for k in keys
    }
    header = (
        f"# Calibrated by corridor-sim calibrate (targets {goal}; seed {study.seed}, "
        f"{study.replications} replications)\n"
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
    text = calibrated_yaml(study, best, keys, sets, out, result.targets)
    meta = study.meta(
        "calibrate",
        targets={t.metric: t.days for t in result.targets},
        best={k: best[k] for k in keys},
        loss=best["loss"],
        calibrated_scenario=name,
    )
    with staged(out) as tmp:
        write_resolved(tmp, study.base)
        result.table.to_csv(tmp / "calibration.csv", index=False, float_format="%.6g")
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
