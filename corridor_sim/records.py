"""Columnar recording: one flat row per (batch of containers, stage), with an explicit state, turned into tables once.

Containers never become objects: a train or vessel load is a numpy array of container ids, and a stage row points
at that array. Tables are built at the end with numpy (repeat + bincount), so recording costs a tuple append.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

import numpy as np
import pandas as pd

# Explicit states of a container at a stage, and the broad class each counts as in the moving/handling/waiting split.
STATES: dict[str, str] = {
    "travel": "moving",
    "sailing": "moving",
    "handling": "handling",
    "loading": "handling",
    "unloading": "handling",
    "queue": "waiting",
    "line_wait": "waiting",
    "closed": "waiting",
    "stock_wait": "waiting",
    "yard_wait": "waiting",
    "berth_wait": "waiting",
    "formation_wait": "waiting",
}
STATE_CODE = {name: i for i, name in enumerate(STATES)}
STATUSES = ("delivered", "in_flight")
# every occupancy metric the model samples: the `metric` column has them all as categories, so a replication without
# a closure or a formation queue has the same column type as one with, and replications concatenate as categoricals
METRICS = ("busy_servers", "closed", "formation_containers", "queue_trains", "stock_in_use",
           "vessels_waiting_for_cargo", "waiting_trains", "yard_containers")
CLASSES = ("moving", "handling", "waiting")
_STATE_CLASS = np.array([CLASSES.index(c) for c in STATES.values()])
_CLASS_RANK = np.argsort(np.argsort(CLASSES))  # a class's place among the class names in sorted order


@dataclass
class Recorder:
    """Appends during the run; `tables()` builds the DataFrames once at the end."""

    locations: list[str]
    location_section: list[str]
    flows: list[str]
    flow_origin: list[str]
    flow_destination: list[str]
    _loc_index: dict[str, int] = field(init=False)
    trains: list[tuple[int, int, int, float]] = field(default_factory=list)  # first id, n, flow, t0
    delivered: list[tuple[np.ndarray, float]] = field(default_factory=list)
    stages: list[tuple[np.ndarray, int, int, float, float]] = field(default_factory=list)
    sailings: list[tuple] = field(default_factory=list)
    occupancy: list[tuple[float, str, str, int]] = field(default_factory=list)  # sparse samples
    gauges: list[tuple[str, str]] = field(default_factory=list)  # (location, metric) of each column of `gauge`
    gauge_days: list[float] = field(default_factory=list)
    gauge_rows: list[list[int]] = field(default_factory=list)
    next_id: int = 0

    def __post_init__(self) -> None:
        self._loc_index = {name: i for i, name in enumerate(self.locations)}

    def loc(self, name: str) -> int:
        return self._loc_index[name]

    def new_containers(self, n: int, flow: int, t: float) -> np.ndarray:
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.trains.append((self.next_id, n, flow, t))
        self.next_id += n
        return ids

    def stage(self, ids: np.ndarray, loc: int, state: int, t0: float, t1: float) -> None:
        if t1 > t0:
            self.stages.append((ids, loc, state, t0, t1))

    def deliver(self, ids: np.ndarray, t: float) -> None:
        self.delivered.append((ids, t))

    def gauge(self, day: float, values: list[int]) -> None:
        """One occupancy sample of every series in `gauges`: a row per sample, not a tuple per series."""
        self.gauge_days.append(day)
        self.gauge_rows.append(values)

    def tables(self, replication: int, warmup_h: float, window_h: float,
               track_sample: int = 300) -> dict[str, pd.DataFrame]:
        """Containers, per-section means, sailings, occupancy and a sample of tracks, times in days."""
        n = self.next_id
        # Columns are read with fromiter/itemgetter: unpacking the row tuples (zip(*rows)) allocates an iterator per
        # row, and the garbage collector then rescans the whole heap several times over.
        trains = self.trains
        counts = np.fromiter(map(itemgetter(1), trains), np.int64, len(trains))  # ids run consecutively, in order
        flow = np.repeat(np.fromiter(map(itemgetter(2), trains), np.int64, len(trains)), counts)
        start = np.repeat(np.fromiter(map(itemgetter(3), trains), float, len(trains)), counts)
        end = np.full(n, np.nan)
        if self.delivered:
            done = [d[0] for d in self.delivered]
            sizes = np.fromiter(map(len, done), np.int64, len(done))
            end[np.concatenate(done)] = np.repeat(np.fromiter(map(itemgetter(1), self.delivered), float, len(done)),
                                                  sizes)
        delivered = ~np.isnan(end)
        measured = (start >= warmup_h) & (start < window_h)

        # Stage rows stay one per batch; only what is summed per container is repeated out to one element per
        # (container, stage): the element arrays are the bulk of a replication's memory traffic.
        rows, m = self.stages, len(self.stages)
        arrays = [r[0] for r in rows]
        lengths = np.fromiter(map(len, arrays), np.int64, m)
        cid = np.concatenate(arrays) if arrays else np.empty(0, np.int64)
        loc = np.fromiter(map(itemgetter(1), rows), np.int64, m)
        state = np.fromiter(map(itemgetter(2), rows), np.int64, m)
        t0 = np.fromiter(map(itemgetter(3), rows), float, m)
        t1 = np.fromiter(map(itemgetter(4), rows), float, m)
        cls = _STATE_CLASS[state] if m else np.empty(0, np.int64)
        dur = np.repeat(t1 - t0, lengths)
        by_class = np.bincount(cid * 3 + np.repeat(cls, lengths), weights=dur, minlength=3 * n).reshape(n, 3) / 24.0

        containers = pd.DataFrame({
            "replication": replication,
            "container_id": np.arange(n),
            "flow": labels(self.flows, flow),
            "origin": labels(self.flow_origin, flow),
            "destination": labels(self.flow_destination, flow),
            "start_day": start / 24.0,
            "end_day": end / 24.0,
            "transit_days": (end - start) / 24.0,
            "moving_days": by_class[:, 0],
            "handling_days": by_class[:, 1],
            "waiting_days": by_class[:, 2],
            "status": labels(STATUSES, (~delivered).astype(np.int64)),
            "measured": measured,
        })

        sec = self._sections(cid, lengths, loc, cls, dur, flow, delivered & measured, replication)

        sailings = pd.DataFrame(self.sailings, columns=[
            "segment", "vessel", "depart_day", "arrive_day", "containers", "capacity_containers", "teu"])
        sailings.insert(0, "replication", replication)
        occupancy = self._occupancy(replication)

        tracks = self._tracks(cid, lengths, loc, state, t0, t1, delivered & measured, flow, replication,
                              track_sample)
        return {"containers": containers, "sections": sec, "sailings": sailings, "occupancy": occupancy,
                "tracks": tracks}

    def _occupancy(self, replication: int) -> pd.DataFrame:
        """The gauge rows unrolled to one row per (day, series), merged by day with the sparse samples."""
        k = len(self.gauges)
        values = np.array(self.gauge_rows, np.int64).reshape(len(self.gauge_days), k)
        location = [g[0] for g in self.gauges] + [o[1] for o in self.occupancy]
        metric = [g[1] for g in self.gauges] + [o[2] for o in self.occupancy]
        n_sparse = len(self.occupancy)
        series = np.concatenate([np.tile(np.arange(k), len(self.gauge_days)), k + np.arange(n_sparse)])
        day = np.concatenate([np.repeat(np.array(self.gauge_days, float), k),
                              np.array([o[0] for o in self.occupancy], float)])
        value = np.concatenate([values.ravel(), np.array([o[3] for o in self.occupancy], np.int64)])
        order = np.argsort(day, kind="stable")
        places = [*self.locations, *location[:k]]  # sparse series name places among these; declared every run
        return pd.DataFrame({"replication": replication, "day": day[order],
                             "location": labels(location, series[order], places),
                             "metric": labels(metric, series[order], METRICS), "value": value[order]})

    def _sections(self, cid: np.ndarray, lengths: np.ndarray, loc: np.ndarray, cls: np.ndarray, dur: np.ndarray,
                  flow: np.ndarray, done: np.ndarray, replication: int) -> pd.DataFrame:
        """Mean days per delivered, measured container by (destination, section, moving/handling/waiting), from
        element arrays `cid`, `dur` and stage arrays `loc`, `cls` (`lengths` elements per stage).

        The three labels are folded into one integer key and summed with `bincount`: a pandas groupby on millions of
        string rows costs more than the whole simulation of a year.
        """
        # every label in sorted order, so the folded keys come out of `bincount` already sorted as the labels are
        sections = sorted(set(self.location_section))
        sec_of_loc = np.array([sections.index(s) for s in self.location_section], np.int64)
        dests = sorted(set(self.flow_destination))
        dest_of_flow = np.array([dests.index(d) for d in self.flow_destination], np.int64)
        states = sorted(CLASSES)
        keep = done[cid]
        width = len(sections) * len(states)
        part = np.repeat(sec_of_loc[loc] * len(states) + _CLASS_RANK[cls], lengths)  # the same for a stage's containers
        key = dest_of_flow[flow][cid[keep]] * width + part[keep]
        size = len(dests) * width
        present = np.flatnonzero(np.bincount(key, minlength=size))
        days = np.bincount(key, weights=dur[keep], minlength=size)[present] / 24.0
        counts = np.bincount(dest_of_flow[flow[done]], minlength=len(dests))
        d, rest = np.divmod(present, width)
        s, c = np.divmod(rest, len(states))
        return pd.DataFrame({
            "replication": replication,
            "destination": labels(dests, d),
            "section": labels(sections, s),
            "state": labels(states, c),
            "days": days / counts[d],
            "containers": counts[d].astype("int64"),
        })

    def _tracks(self, cid: np.ndarray, lengths: np.ndarray, loc: np.ndarray, state: np.ndarray, t0: np.ndarray,
                t1: np.ndarray, eligible: np.ndarray, flow: np.ndarray, replication: int, sample: int) -> pd.DataFrame:
        """Stage-by-stage timelines of an evenly spaced sample of delivered, measured containers (`cid` per element,
        the rest per stage)."""
        candidates = np.flatnonzero(eligible)
        if len(candidates) == 0 or sample <= 0:
            chosen = np.empty(0, np.int64)
        else:
            chosen = candidates[np.linspace(0, len(candidates) - 1, min(sample, len(candidates))).astype(int)]
        picked = np.zeros(len(eligible), bool)
        picked[chosen] = True
        elements = np.flatnonzero(picked[cid])
        stage = np.searchsorted(np.cumsum(lengths), elements, side="right")  # the stage row of each element
        order = np.lexsort((t0[stage], cid[elements]))
        ids, stage = cid[elements][order], stage[order]
        return pd.DataFrame({
            "replication": replication,
            "container_id": ids,
            "flow": labels(self.flows, flow[ids]),
            "location": labels(self.locations, loc[stage]),
            "section": labels(self.location_section, loc[stage]),
            "state": labels(list(STATES), state[stage]),
            "start_day": t0[stage] / 24.0,
            "end_day": t1[stage] / 24.0,
        })


def labels(names: Sequence[str], codes: np.ndarray, universe: Sequence[str] = ()) -> pd.Categorical:
    """`names[codes]` as a categorical column. Its categories are the distinct `names` and `universe` (whatever the
    column can hold in other replications of the scenario), sorted, so every replication's column has the same
    categories and sorting or grouping orders them as strings would.

    A label column holds a handful of names over up to millions of rows: as codes it takes a byte a row instead of
    about twenty as Arrow strings. That halves what a worker process hands back per replication (the cost that kept
    two workers from doubling the replication rate) and the memory of a long study's tables.
    """
    dtype, position = _categories(frozenset({*names, *universe}))
    remap = np.fromiter(map(position.__getitem__, names), np.int64, len(names))
    return pd.Categorical.from_codes(remap[np.asarray(codes, np.int64)], dtype=dtype, validate=False)


@lru_cache(maxsize=64)
def _categories(distinct: frozenset[str]) -> tuple[pd.CategoricalDtype, dict[str, int]]:
    """The dtype of a label column and each name's code in it (read-only). Cached: every replication asks for the
    same few, and building a categories index was a fifth of `tables()`."""
    ordered = sorted(distinct)
    return pd.CategoricalDtype(pd.Index(ordered, dtype="str")), {name: i for i, name in enumerate(ordered)}
