"""Where containers wait, estimated from the tracked sample (`tracks.csv`): it sees waits that the occupancy samples
do not, such as trains waiting for wagons or locomotives. Analysis, not drawing: plots and reports use it alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor_sim.analysis import measured
from corridor_sim.records import STATES

COLUMNS = ["replication", "day", "location", "value"]


def _waiting_rows(tracks: pd.DataFrame) -> pd.DataFrame:
    return tracks[tracks["state"].astype(str).map(STATES).fillna("waiting").eq("waiting")]


def waiting_estimate(
    tracks: pd.DataFrame, containers: pd.DataFrame, days: np.ndarray, replications: int
) -> pd.DataFrame:
    """Containers waiting at each place at each of `days` (ascending): each sampled container stands for
    measured-delivered / sampled containers of its replication.

    Every replication `0..replications-1` has a row for every place found and every day (0 where nothing of it waits
    there), so a mean over replications divides by the run's replications, not by those that had a wait.
    """
    if tracks.empty:
        return pd.DataFrame(columns=COLUMNS)
    waiting = _waiting_rows(tracks)
    if waiting.empty:
        return pd.DataFrame(columns=COLUMNS)
    delivered = measured(containers).groupby("replication", observed=True).size()
    sampled = tracks.groupby("replication", observed=True)["container_id"].nunique()
    reps, rep = np.unique(waiting["replication"].to_numpy(), return_inverse=True)
    code, places = pd.factorize(waiting["location"], sort=True)
    # one counter per (replication, place) over the days, all at once: a wait adds one from the first day on or after
    # its start and takes it away from the first day on or after its end (a day counts the waits begun and not ended)
    pair = rep * len(places) + code
    counts = np.zeros((len(reps) * len(places), len(days) + 1))
    np.add.at(counts, (pair, np.searchsorted(days, waiting["start_day"].to_numpy(float), side="left")), 1)
    np.add.at(counts, (pair, np.searchsorted(days, waiting["end_day"].to_numpy(float), side="left")), -1)
    counts = counts.cumsum(axis=1)[:, :-1]
    weight = np.array([delivered.get(r, 0) / sampled[r] for r in reps])
    seen = np.unique(pair)  # the (replication, place) pairs with a wait, in replication then place order
    names = [str(p) for p in places]
    found = pd.DataFrame(
        {
            "replication": np.repeat(reps[seen // len(places)], len(days)),
            "day": np.tile(days, len(seen)),
            "location": np.repeat([names[i] for i in seen % len(places)], len(days)),
            "value": (counts[seen] * weight[seen // len(places), None]).ravel(),
        }
    )
    grid = pd.MultiIndex.from_product(
        [range(replications), days, found["location"].unique()], names=["replication", "day", "location"]
    )
    full = found.set_index(["replication", "day", "location"])["value"].reindex(grid, fill_value=0.0)
    return full.reset_index()[COLUMNS]


def waiting_by_location(tracks: pd.DataFrame, routes: pd.DataFrame) -> pd.Series:
    """Mean waiting days per sampled container that passes each location (its own route's nodes and segments)."""
    if tracks.empty:
        return pd.Series(dtype=float)
    wait = _waiting_rows(tracks)
    total = (wait["end_day"] - wait["start_day"]).groupby(wait["location"].astype(str), observed=True).sum()
    sampled = tracks.drop_duplicates(["replication", "container_id"]).groupby("flow", observed=True).size()
    sampled.index = sampled.index.astype(str)
    passing: dict[str, int] = {}
    for flow, rows in routes.groupby(routes["flow"].astype(str), observed=True):
        for loc in rows["location"].astype(str):
            passing[loc] = passing.get(loc, 0) + int(sampled.get(flow, 0))
    return pd.Series({loc: total.get(loc, 0.0) / n for loc, n in passing.items() if n})
