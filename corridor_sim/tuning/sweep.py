"""Sweep: the cartesian grid of values of one or more parameters, every point on common random numbers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from corridor_sim.errors import ScenarioError
from corridor_sim.tuning.evaluate import KPI_COLUMNS, Study, write_results
from corridor_sim.tuning.params import describe


def grid(params: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """Every combination of the values, first parameter varying slowest."""
    keys = [k for k, _ in params]
    if len(set(keys)) != len(keys):
        raise ScenarioError(
            "a parameter is given twice", key=next(k for k in keys if keys.count(k) > 1), file="--param"
        )
    return [dict(zip(keys, point, strict=True)) for point in itertools.product(*(v for _, v in params))]


def sweep(study: Study, params: Sequence[tuple[str, list[Any]]]) -> pd.DataFrame:
    """One row per grid point: the values as given, then p50/p90/mean transit, deliveries, throughput."""
    points = grid(params)
    scenarios = [study.variant(p) for p in points]  # every point validated before any run starts
    results = study.evaluate(scenarios, study.kpis)
    rows = [{**{k: describe(v) for k, v in p.items()}, **k} for p, k in zip(points, results, strict=True)]
    return pd.DataFrame(rows, columns=[k for k, _ in params] + KPI_COLUMNS)


def write_sweep(out: Path, study: Study, params: Sequence[tuple[str, list[Any]]], table: pd.DataFrame) -> Path:
    from corridor_sim.tuning.plots import sweep_plot

    keys = [k for k, _ in params]
    title = f"{study.base.name}: sweep ({study.replications} replications, seed {study.seed}, to {study.target_label})"
    return write_results(
        out,
        study,
        {"sweep": table},
        study.meta("sweep", params=keys),
        lambda d: sweep_plot(table, keys, title, d / "sweep.png"),
    )
