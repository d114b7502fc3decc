"""Sweep: the cartesian grid of values of one or more parameters, every point on common random numbers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim.errors import ScenarioError
from corridor_sim.tuning.evaluate import KPI_COLUMNS, Study, write_results
from corridor_sim.tuning.params import Quantity, describe, parse_quantity, parse_values

DEFAULT_POINTS = 5
_RANGE = re.compile(r"^(?P<lo>[^,:{\[]+?)\.\.(?P<hi>[^,:]+?)(?::(?P<n>[^,:]*))?$")


def parse_param(spec: str) -> tuple[str, list[Any]]:
    """`key.path=v1,v2,...` (values as YAML) or `key.path=LO..HI[:N]`: N evenly spaced values from LO to HI, ends
    included, in LO's unit (`24h..96h:4` is 24h, 48h, 72h, 96h). Without N, whole-number ends give every whole
    number between them (`1..4`), other ranges 5 points."""
    key, _, text = spec.partition("=")
    m = _RANGE.match(text.strip())
    if not m or not key.strip():
        return parse_values(spec)
    key = key.strip()
    lo, hi = parse_quantity(m["lo"]), parse_quantity(m["hi"])
    if lo is None or hi is None or lo.unit != hi.unit or not lo.number < hi.number:
        raise ScenarioError(
            f"expected LO..HI[:N] with LO below HI, one unit, such as 24h..96h:4, got {text!r}", key, "--param"
        )
    whole = not lo.unit and lo.number.is_integer() and hi.number.is_integer()
    if m["n"] is None:
        n = int(hi.number - lo.number) + 1 if whole and hi.number - lo.number < 50 else DEFAULT_POINTS
    elif m["n"].strip().isdigit() and int(m["n"]) >= 2:
        n = int(m["n"])
    else:
        raise ScenarioError(
            f"the number of points after ':' must be a whole number of at least 2, got {text!r}", key, "--param"
        )
    values = np.linspace(lo.number, hi.number, n)
    if whole and np.allclose(values, np.round(values)):
        return key, [int(v) for v in np.round(values)]
    return key, [float(f"{v:.6g}") if not lo.unit else Quantity(float(v), lo.unit).raw() for v in values]


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
