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
    """Containers waiting at each place at each of `days`: each sampled container stands for
    measured-delivered / sampled containers of its replication.

    Every replication `0..replications-1` has a row for every place found and every day (0 where nothing of it waits
    there), so a mean over replications divides by the run's replications, not by those that had a wait.
    """
    if tracks.empty:
        return pd.DataFrame(columns=COLUMNS)
    waiting = _waiting_rows(tracks)
    delivered = measured(containers).groupby("replication", observed=True).size()
    sampled = tracks.groupby("replication", observed=True)["container_id"].nunique()
    frames = []
    for rep, g in waiting.groupby("replication", observed=True):
        weight = delivered.get(rep, 0) / sampled[rep]
        for loc, h in g.groupby("location", observed=True):
            started = np.searchsorted(np.sort(h["start_day"].to_numpy()), days, side="right")
            ended = np.searchsorted(np.sort(h["end_day"].to_numpy()), days, side="right")
            frames.append(
                pd.DataFrame(
                    {"replication": rep, "day": days, "location": str(loc), "value": (started - ended) * weight}
                )
            )
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    found = pd.concat(frames, ignore_index=True)
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
