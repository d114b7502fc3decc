"""The five result tables of a replication, built once from its finished event log by pure functions.

Everything runs on numpy columns (repeat + bincount) over the log's stage rows and its loads (each array of
container ids once): a pandas groupby on millions of string rows costs more than simulating the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import numpy as np
import pandas as pd

from corridor_sim import costs
from corridor_sim.records import CLASSES, METRICS, STATES, STATUSES, Recorder

_STATE_CLASS = np.array([CLASSES.index(c) for c in STATES.values()])
_CLASS_RANK = np.argsort(np.argsort(CLASSES))  # a class's place among the class names in sorted order
SAILING_COLUMNS = ["segment", "vessel", "depart_day", "arrive_day", "containers", "capacity_containers", "teu"]


@dataclass(frozen=True)
class Stages:
    """The log's stage rows as columns (hours), with the load each row moved and each load's container ids once
    (`cid`, and `owner`: the load of each of those ids)."""

    load: np.ndarray
    loc: np.ndarray
    state: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    cls: np.ndarray  # moving, handling or waiting: the place in CLASSES of each row's state
    cid: np.ndarray
    owner: np.ndarray
    loads: int


def build(
    log: Recorder,
    replication: int,
    warmup_h: float,
    window_h: float,
    track_sample: int = 300,
    accounting: costs.Accounting | None = None,
) -> dict:
    """Containers, per-section means, sailings, occupancy and a sample of tracks, times in days.

    A container is measured if it started in [warmup_h, window_h); section means and tracks count the delivered,
    measured ones. `accounting`: the scenario's charges and emission factors (none: those columns are empty).
    """
    st = stages(log)
    flow, start, end = container_times(log)
    measured = (start >= warmup_h) & (start < window_h)
    counted = ~np.isnan(end) & measured
    return {
        "containers": containers(log, st, flow, start, end, measured, replication, accounting),
        "sections": sections(log, st, flow, counted, replication),
        "sailings": sailings(log, replication),
        "occupancy": occupancy(log, replication),
        "tracks": tracks(log, st, counted, flow, replication, track_sample),
    }


def stages(log: Recorder) -> Stages:
    """Columns are read with fromiter/itemgetter: unpacking the row tuples (zip(*rows)) allocates an iterator per
    row, and the garbage collector then rescans the whole heap several times over."""
    rows, m, loads = log.stages, len(log.stages), log.loads
    sizes = np.fromiter(map(len, loads), np.int64, len(loads))
    state = np.fromiter(map(itemgetter(2), rows), np.int64, m)
    return Stages(
        load=np.fromiter(map(itemgetter(0), rows), np.int64, m),
        loc=np.fromiter(map(itemgetter(1), rows), np.int64, m),
        state=state,
        t0=np.fromiter(map(itemgetter(3), rows), float, m),
        t1=np.fromiter(map(itemgetter(4), rows), float, m),
        cls=_STATE_CLASS[state] if m else np.empty(0, np.int64),
        cid=np.concatenate(loads) if loads else np.empty(0, np.int64),
        owner=np.repeat(np.arange(len(loads)), sizes),
        loads=len(loads),
    )


def container_times(log: Recorder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each container's flow, start and delivery hour (NaN while in flight); ids run consecutively, in order."""
    trains = log.trains
    counts = np.fromiter(map(itemgetter(1), trains), np.int64, len(trains))
    flow = np.repeat(np.fromiter(map(itemgetter(2), trains), np.int64, len(trains)), counts)
    start = np.repeat(np.fromiter(map(itemgetter(3), trains), float, len(trains)), counts)
    end = np.full(log.next_id, np.nan)
    if log.delivered:
        done = [d[0] for d in log.delivered]
        sizes = np.fromiter(map(len, done), np.int64, len(done))
        end[np.concatenate(done)] = np.repeat(np.fromiter(map(itemgetter(1), log.delivered), float, len(done)), sizes)
    return flow, start, end


def containers(
    log: Recorder,
    st: Stages,
    flow: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    measured: np.ndarray,
    replication: int,
    accounting: costs.Accounting | None = None,
) -> pd.DataFrame:
    """One row per container, with its days moving, handled and waiting, and its price, time cost, generalised
    cost and CO2e (`corridor_sim.costs`).

    Sums run over the distinct loads (a fifth of the (container, stage) pairs in the 2023 scenario) and the stage
    rows, never over one element per pair: that element traffic was most of building the tables.
    """
    n = log.next_id
    per_load = np.bincount(st.load * 3 + st.cls, weights=st.t1 - st.t0, minlength=3 * st.loads).reshape(st.loads, 3)
    by_class = np.stack([np.bincount(st.cid, weights=per_load[st.owner, k], minlength=n) for k in range(3)], axis=1)
    delivered = ~np.isnan(end)
    transit = (end - start) / 24.0
    acc = accounting or costs.NONE
    calls = np.zeros(n)
    if acc.call_usd.any():
        sizes = np.bincount(st.owner, minlength=st.loads)
        per_load = costs.call_shares(acc.call_usd, st.load, st.loc, st.state, sizes, st.loads)
        calls = np.bincount(st.cid, weights=per_load[st.owner], minlength=n)
    return pd.DataFrame(
        {
            "replication": replication,
            "container_id": np.arange(n),
            "flow": labels(log.flows, flow),
            "origin": labels(log.flow_origin, flow),
            "destination": labels(log.flow_destination, flow),
            "start_day": start / 24.0,
            "end_day": end / 24.0,
            "transit_days": transit,
            "moving_days": by_class[:, 0] / 24,
            "handling_days": by_class[:, 1] / 24,
            "waiting_days": by_class[:, 2] / 24,
            "status": labels(STATUSES, (~delivered).astype(np.int64)),
            "measured": measured,
            **costs.container_columns(acc, flow, transit, calls),
        }
    )


def sections(log: Recorder, st: Stages, flow: np.ndarray, counted: np.ndarray, replication: int) -> pd.DataFrame:
    """Mean days per counted container by (destination, section, moving/handling/waiting).

    The three labels are folded into one integer key and summed with `bincount`. A stage adds its duration once per
    counted container of its load, so it is weighted by how many of them each destination has.
    """
    # every label in sorted order, so the folded keys come out of `bincount` already sorted as the labels are
    names, sec_of_loc = _coded(log.location_section)
    dests, dest_of_flow = _coded(log.flow_destination)
    states = sorted(CLASSES)
    width, nd = len(names) * len(states), len(dests)
    keep = counted[st.cid]
    # counted containers per (stage row, destination): those of the stage's load
    per_row = np.bincount(st.owner[keep] * nd + dest_of_flow[flow[st.cid[keep]]], minlength=st.loads * nd).reshape(
        st.loads, nd
    )[st.load]
    key = (np.arange(nd) * width)[None, :] + (sec_of_loc[st.loc] * len(states) + _CLASS_RANK[st.cls])[:, None]
    size = nd * width
    present = np.flatnonzero(np.bincount(key.ravel(), weights=per_row.ravel(), minlength=size))
    dur = st.t1 - st.t0
    days = np.bincount(key.ravel(), weights=(dur[:, None] * per_row).ravel(), minlength=size)[present] / 24.0
    counts = np.bincount(dest_of_flow[flow[counted]], minlength=nd)
    d, rest = np.divmod(present, width)
    s, c = np.divmod(rest, len(states))
    return pd.DataFrame(
        {
            "replication": replication,
            "destination": labels(dests, d),
            "section": labels(names, s),
            "state": labels(states, c),
            "days": days / counts[d],
            "containers": counts[d].astype("int64"),
        }
    )


def sailings(log: Recorder, replication: int) -> pd.DataFrame:
    """One row per completed crossing."""
    table = pd.DataFrame(log.sailings, columns=SAILING_COLUMNS)
    table.insert(0, "replication", replication)
    return table


def occupancy(log: Recorder, replication: int) -> pd.DataFrame:
    """The gauge rows unrolled to one row per (day, series), merged by day with the sparse samples."""
    k, sparse = len(log.gauges), log.samples
    values = np.array(log.gauge_rows, np.int64).reshape(len(log.gauge_days), k)
    location = [g[0] for g in log.gauges] + [o[1] for o in sparse]
    metric = [g[1] for g in log.gauges] + [o[2] for o in sparse]
    series = np.concatenate([np.tile(np.arange(k), len(log.gauge_days)), k + np.arange(len(sparse))])
    day = np.concatenate([np.repeat(np.array(log.gauge_days, float), k), np.array([o[0] for o in sparse], float)])
    value = np.concatenate([values.ravel(), np.array([o[3] for o in sparse], np.int64)])
    order = np.argsort(day, kind="stable")
    places = [*log.locations, *location[:k]]  # sparse series name places among these; declared every run
    return pd.DataFrame(
        {
            "replication": replication,
            "day": day[order],
            "location": labels(location, series[order], places),
            "metric": labels(metric, series[order], METRICS),
            "value": value[order],
        }
    )


def tracks(
    log: Recorder, st: Stages, eligible: np.ndarray, flow: np.ndarray, replication: int, sample: int
) -> pd.DataFrame:
    """Stage-by-stage timelines of an evenly spaced sample of the `eligible` containers: every stage row of every
    load that carried a sampled container, in time order per container."""
    candidates = np.flatnonzero(eligible)
    if len(candidates) == 0 or sample <= 0:
        chosen = np.empty(0, np.int64)
    else:
        chosen = candidates[np.linspace(0, len(candidates) - 1, min(sample, len(candidates))).astype(int)]
    picked = np.zeros(len(eligible), bool)
    picked[chosen] = True
    found = np.flatnonzero(picked[st.cid])  # a sampled container in one of the loads
    stages_by_load = np.argsort(st.load, kind="stable")  # stage rows grouped by load, in order within one
    per_load = np.bincount(st.load, minlength=st.loads)
    first = np.cumsum(per_load) - per_load  # where each load's stage rows begin in `stages_by_load`
    repeat = per_load[st.owner[found]]
    ids = np.repeat(st.cid[found], repeat)
    within = np.arange(len(ids)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    row = stages_by_load[np.repeat(first[st.owner[found]], repeat) + within]
    order = np.lexsort((row, st.t0[row], ids))
    ids, row = ids[order], row[order]
    return pd.DataFrame(
        {
            "replication": replication,
            "container_id": ids,
            "flow": labels(log.flows, flow[ids]),
            "location": labels(log.locations, st.loc[row]),
            "section": labels(log.location_section, st.loc[row]),
            "state": labels(list(STATES), st.state[row]),
            "start_day": st.t0[row] / 24.0,
            "end_day": st.t1[row] / 24.0,
        }
    )


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
