"""A run's workspace: a new directory holding the fully resolved scenario beside the result tables.

Results are written into a hidden staging directory and renamed into place only when complete, so an interrupted
or failed run leaves no half-written results, and an existing directory is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from corridor_sim import __version__
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import resolved_dict, scenario_hash
from corridor_sim.network import CorridorNetwork, sections
from corridor_sim.schema import Scenario

RESOLVED = "scenario.resolved.yaml"


def safe_name(label: str, limit: int = 80) -> str:
    """A scenario's name (a label) as one directory name: never a path (`../x`, `/abs`), never hidden, never too long.

    Letters, digits, `.`, `_` and `-` are kept; any other run of characters becomes `_`. A name that had to change
    (or be cut) gets a short hash of the original, so two different names never share a directory.
    """
    text = re.sub(r"[^\w.-]+", "_", label).strip("._-")[:limit] or "scenario"
    if text != label:
        text = f"{text}-{hashlib.sha256(label.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return text


def default_run_dir(root: Path, name: str, now: dt.datetime | None = None) -> Path:
    """`root/<scenario>/<UTC timestamp>`, suffixed if a run of the same second exists (`claim` makes it atomic)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = root / safe_name(name) / stamp
    path, k = base, 1
    while path.exists() or path.is_symlink():
        k += 1
        path = base.with_name(f"{stamp}-{k}")
    return path


def check_new(path: Path) -> None:
    if path in _claimed:
        return
    if path.is_symlink() and not path.exists():
        raise ScenarioError("is a broken symbolic link; results are never written through one", file=str(path))
    if path.exists() or path.is_symlink():
        raise ScenarioError("already exists; results are never overwritten (choose another --out)", file=str(path))


_claimed: set[Path] = set()  # results directories this process created empty, to be filled by `staged`


@contextmanager
def claim(out: Path | None, root: Path, name: str) -> Iterator[Path]:
    """Create the results directory (`out`, or a new timestamped one under `root`) before any work, empty.

    Checks where results will go before minutes are spent simulating: a parent that is a regular file, a dangling
    link, a read-only or pseudo file system (`/proc`) fails here, as bad input. The directory is created with an
    exclusive `mkdir`, so two runs started in the same second get different directories; `staged` later renames the
    finished results over it. On failure or interrupt the empty directory is removed again. Leftover staging
    directories of dead runs beside it are cleaned first.
    """
    path = out if out is not None else default_run_dir(root, name)
    for attempt in range(1, 1000):
        _make_parent(path)
        clean_stale(path.parent)
        try:
            os.mkdir(path)
        except FileExistsError:
            if out is not None:
                check_new(path)
                raise
            path = default_run_dir(root, name) if attempt < 500 else path.with_name(f"{path.name}-{os.getpid()}")
            continue
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        # marks the claim as this process's while it simulates (see `clean_stale`)
        _staging(path).mkdir(exist_ok=True)
        break
    else:
        raise ScenarioError("no free directory name for the results", file=str(path))
    _claimed.add(path)
    try:
        yield path
    finally:
        _claimed.discard(path)
        shutil.rmtree(_staging(path), ignore_errors=True)
        with suppress(OSError):
            path.rmdir()  # still empty: the run did not finish (a finished one is there, not empty, and stays)


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".corridor-sim-probe-", dir=path.parent)
        os.rmdir(probe)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> ScenarioError:
    why = exc.strerror or exc.__class__.__name__
    for parent in path.parents:  # name the culprit on the way, if it is one a user can fix
        if parent.is_symlink() and not parent.exists():
            why = f"{parent} is a broken symbolic link"
            break
        if parent.exists():
            if not parent.is_dir():
                why = f"{parent} is a file, not a directory"
            break
    return ScenarioError(f"cannot write results here: {why}", file=str(path))


def _staging(final: Path) -> Path:
    return final.parent / f".{final.name}{_PARTIAL}{socket.gethostname()}-{os.getpid()}"


_PARTIAL = ".partial-"


def clean_stale(parent: Path) -> list[Path]:
    """Remove staging directories left in `parent` by runs on this machine that died (SIGKILL, power loss).

    A staging directory is named after its host and process id; one is removed only if that process no longer
    exists here, so a live run's directory (or one of another machine sharing the file system) is never touched. The
    empty results directory the dead run had claimed goes with it.
    """
    host, removed = socket.gethostname(), []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        owner = entry.name.rpartition(_PARTIAL)[2] if entry.name.startswith(".") and _PARTIAL in entry.name else ""
        who, _, pid = owner.rpartition("-")
        if who == host and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            with suppress(OSError):  # the dead run's claimed results directory, if it is still empty
                (parent / entry.name[1:].rpartition(_PARTIAL)[0]).rmdir()
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield a staging directory; rename it to `final` on success, delete it on any failure or interrupt.

    `final` may be a directory this process claimed (empty): the rename then replaces it atomically.
    """
    check_new(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staging(final)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        check_new(final)
        try:
            os.rename(tmp, final)  # over an empty claimed directory; never over one holding results
        except OSError as exc:
            raise ScenarioError(f"cannot move results into place: {exc.strerror}", file=str(final)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def routes_table(scenario: Scenario, network: CorridorNetwork) -> pd.DataFrame:
    """Each flow's route as rows of nodes and segments with cumulative km (for time-distance charts and maps)."""
    rows: list[dict[str, Any]] = []
    net = scenario.network
    section = sections(scenario)
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
                    "section": section[node_id],
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
                        "section": section[seg_id],
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
