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
    "held_before_port": "waiting",
}
STATE_CODE = {name: i for i, name in enumerate(STATES)}
STATUSES = ("delivered", "in_flight")
# every occupancy metric the model samples: the `metric` column has them all as categories, so a replication without
# a closure or a formation queue has the same column type as one with, and replications concatenate as categoricals
METRICS = (
    "busy_servers",
    "closed",
    "formation_containers",
    "queue_trains",
    "stock_in_use",
    "vessels_waiting_for_cargo",
    "waiting_trains",
    "yard_containers",
)
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

    def tables(
        self, replication: int, warmup_h: float, window_h: float, track_sample: int = 300
    ) -> dict[str, pd.DataFrame]:
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
            end[np.concatenate(done)] = np.repeat(
                np.fromiter(map(itemgetter(1), self.delivered), float, len(done)), sizes
            )
        delivered = ~np.isnan(end)
        measured = (start >= warmup_h) & (start < window_h)

        # A train's or vessel's load is one array of ids that rides through many stage rows. Sums run over the
        # distinct loads (a fifth of the (container, stage) pairs in the 2023 scenario) and the stage rows, never over
        # one element per pair: that element traffic was most of `tables()`, and what two workers competed for.
        rows, m = self.stages, len(self.stages)
        loads = list({id(r[0]): r[0] for r in rows}.values())  # in order of first use (all alive: ids are unique)
        number = {id(a): i for i, a in enumerate(loads)}
        load = np.fromiter((number[id(r[0])] for r in rows), np.int64, m)  # the load each stage row moved
        sizes = np.fromiter(map(len, loads), np.int64, len(loads))
        cid = np.concatenate(loads) if loads else np.empty(0, np.int64)  # every load's ids once
        owner = np.repeat(np.arange(len(loads)), sizes)  # the load each of those ids belongs to
        loc = np.fromiter(map(itemgetter(1), rows), np.int64, m)
        state = np.fromiter(map(itemgetter(2), rows), np.int64, m)
        t0 = np.fromiter(map(itemgetter(3), rows), float, m)
        t1 = np.fromiter(map(itemgetter(4), rows), float, m)
        cls = _STATE_CLASS[state] if m else np.empty(0, np.int64)
        dur = t1 - t0
        per_load = np.bincount(load * 3 + cls, weights=dur, minlength=3 * len(loads)).reshape(len(loads), 3)
        by_class = np.stack([np.bincount(cid, weights=per_load[owner, k], minlength=n) for k in range(3)], axis=1) / 24

        containers = pd.DataFrame(
            {
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
            }
        )

        carried = _Loads(load, cid, owner, len(loads))
        sec = self._sections(carried, loc, cls, dur, flow, delivered & measured, replication)

        sailings = pd.DataFrame(
            self.sailings,
            columns=["segment", "vessel", "depart_day", "arrive_day", "containers", "capacity_containers", "teu"],
        )
        sailings.insert(0, "replication", replication)
        occupancy = self._occupancy(replication)

        tracks = self._tracks(carried, loc, state, t0, t1, delivered & measured, flow, replication, track_sample)
        return {
            "containers": containers,
            "sections": sec,
            "sailings": sailings,
            "occupancy": occupancy,
            "tracks": tracks,
        }

    def _occupancy(self, replication: int) -> pd.DataFrame:
        """The gauge rows unrolled to one row per (day, series), merged by day with the sparse samples."""
        k = len(self.gauges)
        values = np.array(self.gauge_rows, np.int64).reshape(len(self.gauge_days), k)
        location = [g[0] for g in self.gauges] + [o[1] for o in self.occupancy]
        metric = [g[1] for g in self.gauges] + [o[2] for o in self.occupancy]
        n_sparse = len(self.occupancy)
        series = np.concatenate([np.tile(np.arange(k), len(self.gauge_days)), k + np.arange(n_sparse)])
        day = np.concatenate(
            [np.repeat(np.array(self.gauge_days, float), k), np.array([o[0] for o in self.occupancy], float)]
        )
        value = np.concatenate([values.ravel(), np.array([o[3] for o in self.occupancy], np.int64)])
        order = np.argsort(day, kind="stable")
        places = [*self.locations, *location[:k]]  # sparse series name places among these; declared every run
        return pd.DataFrame(
            {
                "replication": replication,
                "day": day[order],
                "location": labels(location, series[order], places),
                "metric": labels(metric, series[order], METRICS),
                "value": value[order],
            }
        )

    def _sections(
        self,
        loads: _Loads,
        loc: np.ndarray,
        cls: np.ndarray,
        dur: np.ndarray,
        flow: np.ndarray,
        done: np.ndarray,
        replication: int,
    ) -> pd.DataFrame:
        """Mean days per delivered, measured container by (destination, section, moving/handling/waiting), from
        stage arrays `loc`, `cls`, `dur` and the containers of each stage's load.

        The three labels are folded into one integer key and summed with `bincount`: a pandas groupby on millions of
        string rows costs more than the whole simulation of a year. A stage adds its duration once per counted
        container of its load, so it is weighted by how many of them each destination has.
        """
        # every label in sorted order, so the folded keys come out of `bincount` already sorted as the labels are
        sections, sec_of_loc = _coded(self.location_section)
        dests, dest_of_flow = _coded(self.flow_destination)
        states = sorted(CLASSES)
        width, nd = len(sections) * len(states), len(dests)
        keep = done[loads.cid]
        # counted containers per (stage row, destination): those of the stage's load
        counted = np.bincount(
            loads.owner[keep] * nd + dest_of_flow[flow[loads.cid[keep]]], minlength=loads.count * nd
        ).reshape(loads.count, nd)[loads.load]
        key = (np.arange(nd) * width)[None, :] + (sec_of_loc[loc] * len(states) + _CLASS_RANK[cls])[:, None]
        size = nd * width
        present = np.flatnonzero(np.bincount(key.ravel(), weights=counted.ravel(), minlength=size))
        days = np.bincount(key.ravel(), weights=(dur[:, None] * counted).ravel(), minlength=size)[present] / 24.0
        counts = np.bincount(dest_of_flow[flow[done]], minlength=nd)
        d, rest = np.divmod(present, width)
        s, c = np.divmod(rest, len(states))
        return pd.DataFrame(
            {
                "replication": replication,
                "destination": labels(dests, d),
                "section": labels(sections, s),
                "state": labels(states, c),
                "days": days / counts[d],
                "containers": counts[d].astype("int64"),
            }
        )

    def _tracks(
        self,
        loads: _Loads,
        loc: np.ndarray,
        state: np.ndarray,
        t0: np.ndarray,
        t1: np.ndarray,
        eligible: np.ndarray,
        flow: np.ndarray,
        replication: int,
        sample: int,
    ) -> pd.DataFrame:
        """Stage-by-stage timelines of an evenly spaced sample of delivered, measured containers: every stage row of
        every load that carried a sampled container, in time order per container."""
        candidates = np.flatnonzero(eligible)
        if len(candidates) == 0 or sample <= 0:
            chosen = np.empty(0, np.int64)
        else:
            chosen = candidates[np.linspace(0, len(candidates) - 1, min(sample, len(candidates))).astype(int)]
        picked = np.zeros(len(eligible), bool)
        picked[chosen] = True
        found = np.flatnonzero(picked[loads.cid])  # a sampled container in one of the loads
        stages_by_load = np.argsort(loads.load, kind="stable")  # stage rows grouped by load, in order within one
        per_load = np.bincount(loads.load, minlength=loads.count)
        first = np.cumsum(per_load) - per_load  # where each load's stage rows begin in `stages_by_load`
        repeat = per_load[loads.owner[found]]
        ids = np.repeat(loads.cid[found], repeat)
        within = np.arange(len(ids)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        stage = stages_by_load[np.repeat(first[loads.owner[found]], repeat) + within]
        order = np.lexsort((stage, t0[stage], ids))
        ids, stage = ids[order], stage[order]
        return pd.DataFrame(
            {
                "replication": replication,
                "container_id": ids,
                "flow": labels(self.flows, flow[ids]),
                "location": labels(self.locations, loc[stage]),
                "section": labels(self.location_section, loc[stage]),
                "state": labels(list(STATES), state[stage]),
                "start_day": t0[stage] / 24.0,
                "end_day": t1[stage] / 24.0,
            }
        )


@dataclass(frozen=True)
class _Loads:
    """Which load each stage row moved (`load`), and each load's container ids once (`cid`, with `owner`: the load
    of each id)."""

    load: np.ndarray
    cid: np.ndarray
    owner: np.ndarray
    count: int


def labels(names: Sequence[str], codes: np.ndarray, universe: Sequence[str] = ()) -> pd.Categorical:
    """`names[codes]` as a categorical column. Its categories are the distinct `names` and `universe` (whatever the
    column can hold in other replications of the scenario), sorted, so every replication's column has the same
    categories and sorting or grouping orders them as strings would.

    A label column holds a handful of names over up to millions of rows: as codes it takes a byte a row instead of
    about twenty as Arrow strings. That halves what a worker process hands back per replication (the cost that kept
    two workers from doubling the replication rate) and the memory of a long study's tables.
    """
    distinct, remap = _coded(names, universe)
    return pd.Categorical.from_codes(remap[np.asarray(codes, np.int64)], dtype=_dtype(distinct), validate=False)


def _coded(names: Sequence[str], universe: Sequence[str] = ()) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct `names` and `universe`, sorted, and each of `names` as its place among them."""
    distinct, position = _sorted(frozenset({*names, *universe}))
    return distinct, np.fromiter(map(position.__getitem__, names), np.int64, len(names))


@lru_cache(maxsize=64)
def _sorted(distinct: frozenset[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """Names in sorted order and each name's place (read-only). Cached: every replication asks for the same few."""
    ordered = tuple(sorted(distinct))
    return ordered, {name: i for i, name in enumerate(ordered)}


@lru_cache(maxsize=64)
def _dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    """Cached: building a categories index for every label column was a fifth of `tables()`."""
    return pd.CategoricalDtype(pd.Index(categories, dtype="str"))
