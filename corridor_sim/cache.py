"""Finished replications kept on disk, so an interrupted or repeated study only computes what is missing.

A replication's tables depend only on the model (the resolved scenario without its name, notes or replication
count), the seed, the replication index, the simulator's code and the numerical libraries. The key is therefore
`scenario_hash(scenario, exclude_runs=True)` plus a fingerprint of the package's source and library versions, then
seed and replication: change any model parameter, any line of code or a library version and the old entries are
simply not found.

An entry is data, never code: an Arrow IPC file (one row per table, each table an Arrow IPC stream) whose metadata
names the format version, key, seed and replication. What is read is checked against the key it was asked for and
the tables and columns a replication has; anything else is a miss with a one-line warning, and the replication is
recomputed. Each entry is written to a temporary file and renamed into place, so an interrupted write never leaves
a half entry. The cache is bounded: reading an entry marks it used, and `prune` removes the least recently used
entries beyond the size cap. A cache that cannot be written (read-only, full) is dropped with a warning: the run
goes on without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pyarrow as pa

from corridor_sim.errors import ScenarioError
from corridor_sim.loader import scenario_hash
from corridor_sim.schema import Scenario

ENV = "CORRIDOR_SIM_CACHE"
SIZE_ENV = "CORRIDOR_SIM_CACHE_SIZE"
DEFAULT_SIZE = 2 * 1024**3
FORMAT = "corridor-sim replication 1"  # bumped when the layout of an entry changes
SUFFIX = ".arrow"
LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy", "simpy", "networkx")
# The tables of one replication and their columns, as `records.Recorder.tables` builds them (a test holds the two
# together): an entry with other tables or columns is not used.
LAYOUT: dict[str, tuple[str, ...]] = {
    "containers": (
        "replication",
        "container_id",
        "flow",
        "origin",
        "destination",
        "start_day",
        "end_day",
        "transit_days",
        "moving_days",
        "handling_days",
        "waiting_days",
        "status",
        "measured",
        "price_usd",
        "time_cost_usd",
        "generalised_cost_usd",
        "co2e_kg",
    ),
    "sections": ("replication", "destination", "section", "state", "days", "containers"),
    "sailings": (
        "replication",
        "segment",
        "vessel",
        "depart_day",
        "arrive_day",
        "containers",
        "capacity_containers",
        "teu",
    ),
    "occupancy": ("replication", "day", "location", "metric", "value"),
    "tracks": ("replication", "container_id", "flow", "location", "section", "state", "start_day", "end_day"),
}
STALE_TEMP_S = 3600  # a temporary file this old belongs to a writer that died
Tables = dict[str, pd.DataFrame]
log = logging.getLogger("corridor_sim.cache")


@cache
def code_fingerprint() -> str:
    """Hash of every module of the package and the versions of the libraries whose output it depends on.

    NumPy does not promise the same draws from a `Generator` method across versions, nor SimPy the same event
    order, so results computed with other versions are never reused either.
    """
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for lib in LIBRARIES:
        digest.update(f"{lib}={version(lib)};".encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class BadEntry(ValueError):
    """A cache entry that is not the replication asked for."""


@dataclass(frozen=True)
class Usage:
    entries: int
    size: int


class ReplicationCache:
    """Tables of single replications under `root/<model hash>-<code hash>/seed<S>-rep<R>.arrow`, at most
    `max_bytes` in all (least recently used entries pruned first)."""

    def __init__(self, root: Path, max_bytes: int | None = None):
        self.root = Path(root)
        self.max_bytes = max_size() if max_bytes is None else max_bytes
        self.writable = True

    def scenario_key(self, scenario: Scenario) -> str:
        return f"{scenario_hash(scenario, exclude_runs=True)}-{code_fingerprint()}"

    def path(self, key: str, seed: int, replication: int) -> Path:
        return self.root / key / f"seed{seed}-rep{replication}{SUFFIX}"

    def ready(self) -> ReplicationCache | None:
        """This cache if entries can be written in it, else None with a warning (the run goes on without it)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".tmp-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            log.warning("warning: cache %s cannot be written (%s); running without the cache", self.root, _why(exc))
            return None
        return self

    def get(self, key: str, seed: int, replication: int) -> Tables | None:
        """The stored tables, or None when absent or not a valid entry for this key (then recomputed)."""
        path = self.path(key, seed, replication)
        try:
            tables = read_entry(path, key, seed, replication)
        except (FileNotFoundError, NotADirectoryError):  # no such entry
            return None
        except (OSError, BadEntry, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
            log.warning("warning: cache entry %s ignored (%s); recomputing it", path, _why(exc))
            return None
        with suppress(OSError):
            os.utime(path)  # used now: the last to be pruned
        return tables

    def put(self, key: str, seed: int, replication: int, tables: Tables) -> str | None:
        """Store the tables; on failure (disk full, read-only) stop writing and return why, else None."""
        if not self.writable:
            return None
        try:
            write_entry(self.path(key, seed, replication), key, seed, replication, tables)
        except OSError as exc:
            self.writable = False
            return f"cache {self.root} cannot be written ({_why(exc)}); going on without keeping replications"
        return None

    def entries(self) -> Iterator[os.DirEntry]:
        if not self.root.is_dir():
            return
        for sub in os.scandir(self.root):
            if sub.is_dir(follow_symlinks=False):
                yield from (e for e in os.scandir(sub.path) if e.is_file(follow_symlinks=False))

    def usage(self) -> Usage:
        sizes = [e.stat().st_size for e in self.entries() if e.name.endswith(SUFFIX) and e.name[0] != "."]
        return Usage(len(sizes), sum(sizes))

    def prune(self) -> int:
        """Remove the least recently used entries until the cache holds at most `max_bytes`, and temporary files
        of writers that died; returns the bytes freed. Another process may prune at the same time: an entry already
        gone is skipped."""
        now, freed, found = time.time(), 0, []
        for e in self.entries():
            try:
                st = e.stat()
            except OSError:
                continue
            if e.name.startswith(".tmp-"):
                if now - st.st_mtime > STALE_TEMP_S:
                    freed += _remove(e.path, st.st_size)
            elif e.name.endswith(SUFFIX):
                found.append((st.st_mtime, st.st_size, e.path))
        total = sum(size for _, size, _ in found)
        for _, size, path in sorted(found):
            if total <= self.max_bytes:
                break
            freed += _remove(path, size)
            total -= size
        for sub in self.root.iterdir() if self.root.is_dir() else ():
            if sub.is_dir() and not sub.is_symlink():
                with suppress(OSError):
                    sub.rmdir()  # only if empty
        return freed

    def clear(self) -> Usage:
        """Remove every entry (and the cache directory's key folders); returns what was removed."""
        before = self.usage()
        for sub in self.root.iterdir() if self.root.is_dir() else ():
            if sub.is_dir() and not sub.is_symlink():
                shutil.rmtree(sub, ignore_errors=True)
        return before


def write_entry(target: Path, key: str, seed: int, replication: int, tables: Tables) -> None:
    """Write the tables as one Arrow IPC file to a temporary file beside `target`, then rename it into place."""
    streams = []
    for df in tables.values():
        table = pa.Table.from_pandas(df, preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        streams.append(sink.getvalue().to_pybytes())
    meta = {"format": FORMAT, "key": key, "seed": str(seed), "replication": str(replication)}
    outer = pa.table({"table": list(tables), "ipc": pa.array(streams, pa.large_binary())}, metadata=meta)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh, pa.ipc.new_file(fh, outer.schema) as writer:
            writer.write_table(outer)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_entry(path: Path, key: str, seed: int, replication: int) -> Tables:
    """The tables of an entry written by `write_entry` for exactly this key, seed and replication."""
    with pa.memory_map(str(path)) as source:
        outer = pa.ipc.open_file(source).read_all()
    meta = {k.decode(): v.decode() for k, v in (outer.schema.metadata or {}).items()}
    if meta.get("format") != FORMAT:
        raise BadEntry(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    if (meta.get("key"), meta.get("seed"), meta.get("replication")) != (key, str(seed), str(replication)):
        raise BadEntry("written for another scenario, seed or replication")
    names = outer.column("table").to_pylist()
    if sorted(names) != sorted(LAYOUT):
        raise BadEntry(f"tables {names}, expected {list(LAYOUT)}")
    tables = {}
    for name, blob in zip(names, outer.column("ipc").to_pylist(), strict=True):
        table = pa.ipc.open_stream(blob).read_all()
        if tuple(table.column_names) != LAYOUT[name]:
            raise BadEntry(f"table {name} has columns {table.column_names}")
        df = table.to_pandas()
        if not df["replication"].eq(replication).all():
            raise BadEntry(f"table {name} holds rows of another replication")
        tables[name] = df
    return {name: tables[name] for name in LAYOUT}


def default_dir() -> Path:
    """The user's cache directory (`$XDG_CACHE_HOME` or ~/.cache on Linux), never inside a project."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("corridor-sim", appauthor=False)) / "replications"


def max_size() -> int:
    """The size cap: $CORRIDOR_SIM_CACHE_SIZE (e.g. 500MB, 2GB) or 2 GB."""
    text = os.environ.get(SIZE_ENV)
    return DEFAULT_SIZE if not text else parse_size(text, SIZE_ENV)


def parse_size(text: str, key: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise ScenarioError(f"{text!r} is not a size (e.g. 500MB, 2GB)", key=key)
    return int(float(match[1]) * 1024 ** "_kmgt".index(match[2] or "_"))


def resolve_cache(directory: Path | None = None, enabled: bool = True) -> ReplicationCache | None:
    """The cache a command uses: `directory`, else $CORRIDOR_SIM_CACHE, else the user cache directory; None when
    disabled."""
    if not enabled:
        return None
    env = os.environ.get(ENV)
    return ReplicationCache(directory or (Path(env) if env else default_dir()))


def _remove(path: str, size: int) -> int:
    try:
        os.unlink(path)
    except OSError:
        return 0
    return size


def _why(exc: BaseException) -> str:
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc).splitlines()[0][:200]
