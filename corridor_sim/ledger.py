"""Streamed, resumable evaluation of a design (one row of parameter positions per sample): results to disk as done.

Uncertainty and global-sensitivity studies run hundreds to thousands of parameter sets. Each finished chunk of samples
is appended to a ledger (JSON lines, flushed and synced), so memory stays flat in the number of samples and a study
interrupted at any point resumes from what is done: the next run with the same study (same scenario, design,
seed, replications and code: the ledger's fingerprint) reads the finished samples back and runs only the rest. A line
cut short by the interruption is dropped. Samples are independent runs on common random numbers, so the rows do not
depend on the order or the chunks in which they were run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corridor_sim.errors import ScenarioError

Row = dict[str, Any]


def fingerprint(*parts: Any) -> str:
    """A short hash of everything that makes a study's rows what they are."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part, dtype=float).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


class Ledger:
    """The rows of one study, by sample index, kept in `path` (JSON lines; the first line names the study)."""

    def __init__(self, path: Path | None, key: str) -> None:
        self.path, self.key = path, key
        self.rows: dict[int, Row] = {}
        if path is not None and path.exists():
            self._read()

    def _read(self) -> None:
        assert self.path is not None
        good = 0
        with self.path.open("rb") as f:
            for i, line in enumerate(f):
                try:
                    item = json.loads(line)
                except ValueError:
                    break  # a line cut short by an interruption: it and anything after are dropped
                if i == 0:
                    if item.get("study") != self.key:
                        return  # another study's ledger under this name: start afresh
                else:
                    self.rows[int(item["sample"])] = item["row"]
                good += len(line)
        with self.path.open("r+b") as f:
            f.truncate(good)

    def append(self, rows: dict[int, Row]) -> None:
        """Keep finished rows, on disk before this returns (so an interruption loses only unfinished ones)."""
        self.rows.update(rows)
        if self.path is None:
            return
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                if fresh:
                    f.write(json.dumps({"study": self.key}) + "\n")
                for i, row in rows.items():
                    f.write(json.dumps({"sample": i, "row": row}, allow_nan=True) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise ScenarioError(f"cannot write the study's ledger {self.path}: {exc.strerror}", key="--out") from None

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def run_design(
    n: int,
    evaluate: Callable[[Sequence[int]], list[Row]],
    ledger: Ledger,
    chunk: int,
    expect: Callable[[int], None] | None = None,
) -> list[Row]:
    """Rows of samples 0..n-1: those in the ledger as they are, the rest by `evaluate(indices)` a chunk at a time,
    each chunk written to the ledger as soon as it is done. `expect(k)` is told how many samples are left to run."""
    todo = [i for i in range(n) if i not in ledger.rows]
    if expect:
        expect(len(todo))
    for start in range(0, len(todo), max(chunk, 1)):
        part = todo[start : start + chunk]
        rows = evaluate(part)
        ledger.append(dict(zip(part, rows, strict=True)))
    return [ledger.rows[i] for i in range(n)]
