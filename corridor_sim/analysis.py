"""KPIs from result tables: transit-time percentiles with confidence intervals, section breakdowns, comparisons.

Only delivered containers that started inside the measurement window (after warm-up, before the end of `duration`)
count in transit KPIs; containers still in flight at the end of the run are counted and reported, never dropped
silently. Intervals are across replications (each replication is one independent observation): a t-interval on
the mean of replication means, and a bootstrap over replications for percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

PERCENTILES = (10, 50, 90, 95)
CI_PERCENTILES = (50, 90)  # those with a bootstrap interval
ALL = "(all)"


def measured(containers: pd.DataFrame) -> pd.DataFrame:
    """Delivered containers that count in KPIs."""
    return containers[containers["measured"] & containers["status"].eq("delivered")]


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return (float("nan"), float("nan"))
    # Student's t quantile; `scipy.stats.t.ppf` computes it with this same function, but importing scipy.stats
    # cost every command 0.4 s
    half = special.stdtrit(len(values) - 1, (1 + level) / 2) * values.std(ddof=1) / np.sqrt(len(values))
    return (float(values.mean() - half), float(values.mean() + half))


def bootstrap_percentiles(
    frame: pd.DataFrame, qs: Sequence[float], level: float = 0.95, n_boot: int = 400, seed: int = 0
) -> list[tuple[float, float]]:
    """CIs of pooled percentiles `qs` by resampling whole replications (containers within one are not independent).

    A resample is only a multiplicity per replication, so its pooled percentile is found without building the pooled
    array (n_boot copies of every container took seconds for a few dozen replications): the two order statistics
    numpy's "linear" percentile interpolates between come from a binary search over the sorted values, counting
    Σ multiplicity × (values of that replication ≤ x). Same draws and the same estimates as concatenating the picks.
    Every percentile is read off the same resamples in one search (sorting and searching per percentile was most of
    a run's summary).
    """
    groups = [np.sort(g.to_numpy()) for _, g in frame.groupby("replication", observed=True)["transit_days"]]
    k = len(groups)
    if k < 2:
        return [(float("nan"), float("nan"))] * len(qs)
    picks = np.random.default_rng(seed).integers(0, k, (n_boot, k))
    mult = np.bincount((np.arange(n_boot)[:, None] * k + picks).ravel(), minlength=n_boot * k).reshape(n_boot, k)
    n = mult @ np.array([len(g) for g in groups])
    p = np.asarray(qs, float)[:, None] / 100  # one row per percentile, one column per resample
    virtual = n * p + (1 + p * -1) - 1  # numpy's virtual index for the "linear" method, in its own arithmetic
    below = np.floor(virtual)
    gamma = virtual - below
    lower = np.clip(below.astype(np.int64), 0, n - 1)
    upper = np.clip(lower + 1, 0, n - 1)
    pooled = np.sort(np.concatenate(groups))
    ranks = np.concatenate([lower, upper])
    a, b = _order_statistic(groups, pooled, np.tile(mult, (len(ranks), 1)), ranks.ravel()).reshape(2, len(qs), -1)
    diff = b - a
    est = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)  # numpy's _lerp
    return [
        (float(np.percentile(e, 100 * (1 - level) / 2)), float(np.percentile(e, 100 * (1 + level) / 2))) for e in est
    ]


def _order_statistic(groups: list[np.ndarray], pooled: np.ndarray, mult: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """For each resample (row of `mult`), its value of 0-based `rank` in sorted order: the smallest x of `pooled`
    with at least rank + 1 values ≤ x."""
    lo, hi = np.zeros(len(rank), np.int64), np.full(len(rank), len(pooled) - 1)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        x = pooled[mid]
        count = sum(mult[:, r] * np.searchsorted(g, x, side="right") for r, g in enumerate(groups))
        enough = count >= rank + 1
        hi, lo = np.where(enough, mid, hi), np.where(enough, lo, mid + 1)
    return pooled[lo]


def _stats(frame: pd.DataFrame, with_ci: bool) -> dict[str, float]:
    days = frame["transit_days"].to_numpy()
    if len(days) == 0:
        return {"containers": 0}
    out: dict[str, float] = {"containers": int(len(days)), "mean": float(days.mean())}
    for q in PERCENTILES:
        out[f"p{q}"] = float(np.percentile(days, q))
    if with_ci:
        means = frame.groupby("replication", observed=True)["transit_days"].mean().to_numpy()
        out["mean_ci_low"], out["mean_ci_high"] = t_interval(means)
        for q, (low, high) in zip(CI_PERCENTILES, bootstrap_percentiles(frame, CI_PERCENTILES), strict=True):
            out[f"p{q}_ci_low"], out[f"p{q}_ci_high"] = low, high
    return out


def transit_summary(containers: pd.DataFrame, with_ci: bool = True) -> dict[str, dict[str, float]]:
    """Transit-day statistics overall and per destination."""
    m = measured(containers)
    out = {ALL: _stats(m, with_ci)}
    for dest, frame in m.groupby("destination", observed=True):
        out[str(dest)] = _stats(frame, with_ci)
    return out


def counts(containers: pd.DataFrame) -> dict[str, int]:
    """Conservation figures: every container created is delivered or still in flight at the end."""
    delivered = containers["status"].eq("delivered")
    return {
        "created": int(len(containers)),
        "delivered": int(delivered.sum()),
        "in_flight": int((~delivered).sum()),
        "measured_delivered": int((delivered & containers["measured"]).sum()),
        "measured_in_flight": int((~delivered & containers["measured"]).sum()),
    }


def section_means(sections: pd.DataFrame, by_state: bool = False) -> pd.DataFrame:
    """Mean days per container in each section, per destination (averaged over replications)."""
    keys = ["destination", "section", *(["state"] if by_state else [])]
    per_rep = sections.groupby(["replication", *keys], as_index=False, observed=True)["days"].sum()
    reps = sections["replication"].nunique() or 1
    return per_rep.groupby(keys, as_index=False, observed=True)["days"].sum().assign(days=lambda d: d["days"] / reps)


def throughput_teu_per_day(
    containers: pd.DataFrame, window: tuple[float, float], teu_per_container: float
) -> dict[str, float]:
    """TEU delivered per day inside the measurement window `(start_day, end_day)`, per destination and overall.

    Counted by delivery time, not start time: on a saturated corridor deliveries lag arrivals, and counting
    containers that started in the window (some delivered during the cooldown) would overstate what it carries.
    """
    start, end = window
    end_day = containers["end_day"]
    done = containers[containers["status"].eq("delivered") & (end_day >= start) & (end_day < end)]
    reps = max(containers["replication"].nunique(), 1)
    per = teu_per_container / reps / (end - start)
    out = {ALL: len(done) * per}
    for dest, frame in done.groupby("destination", observed=True):
        out[str(dest)] = len(frame) * per
    return out
