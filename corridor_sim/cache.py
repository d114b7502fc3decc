"""Finished replications kept on disk, so an interrupted or repeated study only computes what is missing.

A replication's tables depend only on the model (the resolved scenario without its name, notes or replication
count), the seed, the replication index, the simulator's code and the numerical libraries. The key is therefore
`scenario_hash(scenario, exclude_runs=True)` plus a fingerprint of the package's source and library versions, then
seed and replication: change any model parameter, any line of code or a library version and the old entries are
simply not found. Each entry is written to a temporary file and renamed into place, so an interrupted write never
leaves a half entry that a re-run would read.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from corridor_sim.loader import scenario_hash
from corridor_sim.schema import Scenario

ENV = "CORRIDOR_SIM_CACHE"
DEFAULT_DIR = Path("results/.cache")
LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy", "simpy", "networkx")  # pyarrow: string columns pickle as Arrow
Tables = dict[str, pd.DataFrame]


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


class ReplicationCache:
    """Pickled tables of single replications under `root/<model hash>-<code hash>/seed<S>-rep<R>.pkl`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def scenario_key(self, scenario: Scenario) -> str:
        return f"{scenario_hash(scenario, exclude_runs=True)}-{code_fingerprint()}"

    def path(self, key: str, seed: int, replication: int) -> Path:
        return self.root / key / f"seed{seed}-rep{replication}.pkl"

    def get(self, key: str, seed: int, replication: int) -> Tables | None:
        """The stored tables, or None when absent or unreadable (then the replication is simply recomputed)."""
        try:
            return unpickle_tables(self.path(key, seed, replication))
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, seed: int, replication: int, tables: Tables) -> None:
        pickle_tables(self.path(key, seed, replication), tables)


def pickle_tables(target: Path, tables: Tables) -> None:
    """Pickle `tables` to a temporary file beside `target`, then rename it into place: readers see all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(tables, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def unpickle_tables(path: Path) -> Tables:
    """The tables `pickle_tables` wrote (the CSV tables of a run are `workspace.write_tables`)."""
    with path.open("rb") as fh:
        return pickle.load(fh)


def resolve_cache(directory: Path | None = None, enabled: bool = True) -> ReplicationCache | None:
    """The cache a command uses: `directory`, else $CORRIDOR_SIM_CACHE, else results/.cache; None when disabled."""
    if not enabled:
        return None
    return ReplicationCache(directory or Path(os.environ.get(ENV) or DEFAULT_DIR))
