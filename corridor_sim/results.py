"""Reading a results directory: the one place that parses its CSV tables, `summary.json` and
`scenario.resolved.yaml`, for plots, the report and the CLI alike.

A results directory is input like a scenario file: a table that is missing, truncated, edited into something else
or holding text where numbers belong is refused with one line naming the file and what is wrong (a `ScenarioError`,
exit 2), never a traceback from deep inside a plot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from corridor_sim.errors import ScenarioError

SUMMARY = "summary.json"
RESOLVED = "scenario.resolved.yaml"
# The columns each table must have, and which of them must hold numbers (True) or may hold anything (False).
COLUMNS: dict[str, dict[str, bool]] = {
    "containers": {
        "replication": True,
        "container_id": True,
        "flow": False,
        "destination": False,
        "start_day": True,
        "end_day": True,
        "transit_days": True,
        "status": False,
        "measured": False,
    },
    "sections": {"replication": True, "destination": False, "section": False, "state": False, "days": True},
    "tracks": {
        "replication": True,
        "container_id": True,
        "flow": False,
        "location": False,
        "state": False,
        "start_day": True,
        "end_day": True,
    },
    "occupancy": {"replication": True, "day": True, "location": False, "metric": False, "value": True},
    "sailings": {
        "replication": True,
        "segment": False,
        "depart_day": True,
        "containers": True,
        "capacity_containers": True,
    },
    "routes": {
        "flow": False,
        "seq": True,
        "kind": False,
        "location": False,
        "section": False,
        "km_start": True,
        "km_end": True,
        "lat": True,
        "lon": True,
        "mode": False,
    },
    "published": {"destination": False, "label": False, "low_days": True, "high_days": True},
    "published_sections": {
        "group": False,
        "destination": False,
        "sections": False,
        "label": False,
        "low_days": True,
        "high_days": True,
    },
    "comparison": {"scenario": False, "destination": False},
    "differences": {},
}
RUN_TABLES = ("containers", "sections", "tracks", "occupancy", "sailings", "routes", "published", "published_sections")


def _damaged(path: Path, what: str) -> ScenarioError:
    return ScenarioError(
        f"{what}; the results directory is damaged or was edited (re-run to rebuild it)", file=str(path)
    )


def read_table(directory: Path, name: str, required: bool = True) -> pd.DataFrame:
    """`<directory>/<name>.csv` checked against the columns it must have. A missing optional table is empty."""
    path = Path(directory) / f"{name}.csv"
    if not path.is_file():
        if required:
            raise _damaged(path, "missing")
        return pd.DataFrame(columns=list(COLUMNS.get(name, {})))
    try:
        frame = pd.read_csv(path, low_memory=False)  # one type per column, however long the file
    except pd.errors.EmptyDataError:
        raise _damaged(path, "empty (not even a header row)") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise _damaged(path, f"not a readable table ({str(exc).splitlines()[0][:120]})") from None
    return check_columns(frame, path, COLUMNS.get(name, {}))


def check_columns(frame: pd.DataFrame, path: Path, columns: dict[str, bool]) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _damaged(path, f"no column {', '.join(missing)}")
    for col, numeric in columns.items():
        if numeric and not pd.api.types.is_numeric_dtype(frame[col]) and frame[col].notna().any():
            raise _damaged(path, f"column {col} holds something other than numbers")
    if "measured" in columns and not pd.api.types.is_bool_dtype(frame["measured"]):
        raise _damaged(path, "column measured holds something other than true/false")
    return frame


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _damaged(path, "missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _damaged(path, "not a JSON object")
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _damaged(path, "missing")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise _damaged(path, "not a YAML mapping")
    return data


@dataclass
class Run:
    """One run directory: its summary and resolved scenario read and checked up front, tables read on demand."""

    path: Path
    summary: dict[str, Any] = field(init=False)
    resolved: dict[str, Any] = field(init=False)
    _tables: dict[str, pd.DataFrame] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.summary = read_json(self.path / SUMMARY)
        self.resolved = read_yaml(self.path / RESOLVED)
        if not isinstance(self.summary.get("replications", 0), int):
            raise _damaged(self.path / SUMMARY, "replications is not a whole number")

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or self.resolved.get("name") or self.path.name)

    @property
    def replications(self) -> int:
        """The run's replication count: the denominator of every per-replication mean (a replication without rows
        of some kind still counts). A summary without it (written by hand): replications are numbered from 0, so
        the highest index found + 1, not the number of replications that happen to have rows."""
        if self.summary.get("replications"):
            return int(self.summary["replications"])
        reps = self.table("containers")["replication"]
        return int(reps.max()) + 1 if len(reps) else 1

    @property
    def seed(self) -> Any:
        return self.summary.get("seed")

    @property
    def version(self) -> Any:
        return self.summary.get("version")

    @property
    def warmup_day(self) -> float:
        window = self.summary.get("window_days") or [0.0, None]
        try:
            return float(window[0] or 0.0)
        except (TypeError, ValueError, IndexError):
            raise _damaged(self.path / SUMMARY, "window_days is not [start, end] in days") from None

    @property
    def start(self) -> str | None:
        """The scenario's calendar start (ISO date), for date axes."""
        start = (self.resolved.get("simulation") or {}).get("start")
        return str(start)[:10] if start else None

    @property
    def network(self) -> dict[str, Any]:
        network = self.resolved.get("network") or {}
        if not isinstance(network, dict):
            raise _damaged(self.path / RESOLVED, "network is not a mapping")
        return network

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        nodes = self.network.get("nodes") or {}
        if not isinstance(nodes, dict):
            raise _damaged(self.path / RESOLVED, "network.nodes is not a mapping")
        return {str(n): v if isinstance(v, dict) else {} for n, v in nodes.items()}

    @property
    def roles(self) -> dict[str, str]:
        return {n: str(v.get("role", "")) for n, v in self.nodes.items()}

    @property
    def servers(self) -> dict[str, int]:
        try:
            return {n: int(v["handling"]["servers"]) for n, v in self.nodes.items() if v.get("handling")}
        except (KeyError, TypeError, ValueError):
            raise _damaged(self.path / RESOLVED, "a node's handling.servers is not a whole number") from None

    def table(self, name: str) -> pd.DataFrame:
        """A table of the run, read once; the containers and routes must exist, the others may be absent."""
        if name not in self._tables:
            self._tables[name] = read_table(self.path, name, required=name in ("containers", "routes"))
        return self._tables[name]


def is_comparison(directory: Path) -> bool:
    return (Path(directory) / "comparison.csv").exists()


def is_run(directory: Path) -> bool:
    return (Path(directory) / "containers.csv").exists() or (Path(directory) / SUMMARY).exists()


def comparison_runs(directory: Path) -> list[Path]:
    """The run directories inside a comparison directory, in the comparison table's scenario order. Every scenario
    the table names must have its directory."""
    table = read_table(directory, "comparison")
    order = list(dict.fromkeys(table["scenario"].astype(str)))
    runs = {p.name: p for p in sorted(Path(directory).iterdir()) if p.is_dir() and is_run(p)}
    for name in order:
        if name not in runs:
            raise _damaged(Path(directory) / name, f"missing: comparison.csv names scenario {name}")
    return sorted(runs.values(), key=lambda p: order.index(p.name) if p.name in order else len(order))


def is_study(directory: Path) -> bool:
    """A sweep, sensitivity, calibration, interventions or capacity directory (it has `study.json`)."""
    return (Path(directory) / "study.json").exists()


def check_results_dir(path: Path) -> None:
    """Refuse (as bad input) anything that is not a run, comparison or study directory."""
    if not Path(path).is_dir() or not (is_run(path) or is_comparison(path) or is_study(path)):
        raise ScenarioError("not a results directory (no containers.csv, comparison.csv or study.json)", file=str(path))


def read_study(directory: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame], list[Path]]:
    """A study's metadata, its tables (each checked as readable) and its figures."""
    directory = Path(directory)
    meta = read_json(directory / "study.json")
    tables = {p.stem: read_table(directory, p.stem) for p in sorted(directory.glob("*.csv"))}
    return meta, tables, sorted(directory.glob("*.png"))
