"""A run's workspace: a new directory holding the fully resolved scenario beside the result tables.

Results are written into a hidden staging directory and renamed into place only when complete, so an interrupted
or failed run leaves no half-written results, and an existing directory is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from corridor_sim import __version__
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import resolved_dict, scenario_hash
from corridor_sim.network import CorridorNetwork
from corridor_sim.schema import Scenario

RESOLVED = "scenario.resolved.yaml"
TABLES = ("containers", "sections", "sailings", "occupancy", "tracks")


def default_run_dir(root: Path, name: str, now: dt.datetime | None = None) -> Path:
    """`root/<scenario>/<UTC timestamp>`, suffixed if a run of the same second exists."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = root / name / stamp
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{stamp}-{k}")
    return path


def check_new(path: Path) -> None:
    if path.exists():
        raise ScenarioError("already exists; results are never overwritten (choose another --out)", file=str(path))


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield a staging directory; rename it to `final` on success, delete it on any failure or interrupt."""
    check_new(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        check_new(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def routes_table(scenario: Scenario, network: CorridorNetwork) -> pd.DataFrame:
    """Each flow's route as rows of nodes and segments with cumulative km (for time-distance charts and maps)."""
    rows: list[dict[str, Any]] = []
    net = scenario.network
    for flow_id, route in network.routes.items():
        km = network.route_km(route, scenario)
        for i, node_id in enumerate(route.nodes):
            node = net.nodes[node_id]
            rows.append(
                {
                    "flow": flow_id,
                    "seq": 2 * i,
                    "kind": "node",
                    "location": node_id,
                    "section": node.section or node.country or node_id,
                    "km_start": km[i],
                    "km_end": km[i],
                    "lat": node.lat,
                    "lon": node.lon,
                    "mode": "",
                }
            )
            if i < len(route.segments):
                seg_id = route.segments[i]
                seg = net.segments[seg_id]
                rows.append(
                    {
                        "flow": flow_id,
                        "seq": 2 * i + 1,
                        "kind": "segment",
                        "location": seg_id,
                        "section": seg.section or node.section or node.country or seg_id,
                        "km_start": km[i],
                        "km_end": km[i + 1],
                        "lat": None,
                        "lon": None,
                        "mode": seg.mode,
                    }
                )
    return pd.DataFrame(rows)


def write_tables(directory: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as `<name>.csv`, floats to 6 decimals (days: 0.09 s).

    Written by Arrow's C++ CSV writer: `DataFrame.to_csv` formats every float in Python, which for a few dozen
    replications (a million rows) took longer than simulating them and left the worker processes' gain to a serial
    tail. Strings are quoted, booleans written as true/false (both read back by `pandas.read_csv`), NaN left empty.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    options = pa_csv.WriteOptions(quoting_style="needed")
    for name, frame in tables.items():
        table = pa.Table.from_pandas(frame.round(6), preserve_index=False)
        pa_csv.write_csv(table, directory / f"{name}.csv", options)


def write_resolved(directory: Path, scenario: Scenario) -> str:
    """The scenario with every default filled in and its provenance, plus version and hash; returns the hash."""
    digest = scenario_hash(scenario)
    header = f"# Fully resolved scenario written by corridor-sim {__version__}\n# scenario_hash: {digest}\n"
    # libyaml's emitter when PyYAML has it: the same text (checked on the bundled scenarios), 6x faster
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(resolved_dict(scenario), Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)
    (directory / RESOLVED).write_text(header + body, encoding="utf-8")
    return digest


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Strict JSON (what a browser's `JSON.parse` reads): a figure that does not exist (NaN, ±inf) is `null`."""
    text = json.dumps(_finite(data), indent=2, sort_keys=False, default=str, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
