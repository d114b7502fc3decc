"""KPIs from result tables: transit-time percentiles with confidence intervals, section breakdowns, comparisons.

Only delivered containers that started inside the measurement window (after warm-up, before the end of `duration`)
count in transit KPIs; containers still in flight at the end of the run are counted and reported, never dropped
silently. One statistic throughout (`STATISTIC`): percentiles and the mean pool every counted container of every
replication; their intervals resample whole replications (each replication is one independent observation), and a
difference between two scenarios is the difference of those pooled figures, its interval from the same resamples of
both (paired by replication: common random numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

PERCENTILES = (10, 50, 90, 95)
CI_PERCENTILES = (50, 90)  # those with a bootstrap interval
ALL = "(all)"
STATISTIC = (
    "pooled over replications: every delivered container that started in the measurement window, of every "
    "replication, counts once; 95% intervals from a bootstrap over whole replications (400 resamples), paired "
    "replication by replication (common random numbers) for differences"
)


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


def replication_groups(frame: pd.DataFrame, replications: Sequence[int] | None = None) -> list[np.ndarray]:
    """Sorted transit days of each replication, in the order of `replications` (default: those present).

    A replication named but without rows gives an empty group: it still counts in a resample, so two scenarios'
    groups line up replication by replication (the pairing of common random numbers).
    """
    by_rep = {r: np.sort(g.to_numpy()) for r, g in frame.groupby("replication", observed=True)["transit_days"]}
    order = sorted(by_rep) if replications is None else list(replications)
    return [by_rep.get(r, np.empty(0)) for r in order]


def resample(groups: list[np.ndarray], qs: Sequence[float], n_boot: int = 400, seed: int = 0) -> np.ndarray:
    """The pooled percentiles `qs` and the pooled mean of `n_boot` resamples of whole replications.

    Rows: one per percentile of `qs`, then the mean; columns: resamples. A resample is a multiplicity per
    replication drawn from `seed`, so two scenarios resampled with the same seed and the same number of replications
    get the same picks (a paired bootstrap under common random numbers). Its pooled percentile is found without
    building the pooled array (n_boot copies of every container took seconds for a few dozen replications): the two
    order statistics numpy's "linear" percentile interpolates between come from a binary search over the sorted values,
    counting Σ multiplicity × (values of that replication ≤ x). Same draws and the same estimates as concatenating the
    picks. Every percentile is read off the same resamples in one search.
    """
    k = len(groups)
    picks = np.random.default_rng(seed).integers(0, k, (n_boot, k))
    mult = np.bincount((np.arange(n_boot)[:, None] * k + picks).ravel(), minlength=n_boot * k).reshape(n_boot, k)
    sizes = np.array([len(g) for g in groups])
    n = mult @ sizes
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (mult @ np.array([g.sum() for g in groups])) / n
    pooled = np.sort(np.concatenate(groups))
    if len(pooled) == 0:
        return np.full((len(qs) + 1, n_boot), np.nan)
    p = np.asarray(qs, float)[:, None] / 100  # one row per percentile, one column per resample
    virtual = n * p + (1 + p * -1) - 1  # numpy's virtual index for the "linear" method, in its own arithmetic
    below = np.floor(virtual)
    gamma = virtual - below
    lower = np.clip(below.astype(np.int64), 0, np.maximum(n - 1, 0))
    upper = np.clip(lower + 1, 0, np.maximum(n - 1, 0))
    ranks = np.concatenate([lower, upper])
    a, b = _order_statistic(groups, pooled, np.tile(mult, (len(ranks), 1)), ranks.ravel()).reshape(2, len(qs), -1)
    diff = b - a
    est = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)  # numpy's _lerp
    est[:, n == 0] = np.nan  # a resample of replications that delivered nothing has no percentile
    return np.vstack([est, means[None, :]])


def interval(estimates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap estimates (resamples without an estimate left out)."""
    e = estimates[~np.isnan(estimates)]
    if len(e) == 0:
        return (float("nan"), float("nan"))
    return (float(np.percentile(e, 100 * (1 - level) / 2)), float(np.percentile(e, 100 * (1 + level) / 2)))


def bootstrap_percentiles(
    frame: pd.DataFrame, qs: Sequence[float], level: float = 0.95, n_boot: int = 400, seed: int = 0
) -> list[tuple[float, float]]:
    """CIs of pooled percentiles `qs` by resampling whole replications (containers within one are not independent)."""
    groups = replication_groups(frame)
    if len(groups) < 2:
        return [(float("nan"), float("nan"))] * len(qs)
    return [interval(e, level) for e in resample(groups, qs, n_boot, seed)[: len(qs)]]


def _order_statistic(groups: list[np.ndarray], pooled: np.ndarray, mult: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """For each resample (row of `mult`), its value of 0-based `rank` in sorted order: the smallest x of `pooled`
    with at least rank + 1 values ≤ x."""
    lo, hi = np.zeros(len(rank), np.int64), np.full(len(rank), len(pooled) - 1)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        x = pooled[mid]
        count = sum(mult[:, r] * np.searchsorted(g, x, side="right") for r, g in enumerate(groups))
        enough = count >= rank + 1
        active = lo < hi  # a finished search stays put (a resample of empty replications never has enough)
        hi, lo = np.where(active & enough, mid, hi), np.where(active & ~enough, mid + 1, lo)
    return pooled[lo]


def _stats(frame: pd.DataFrame, with_ci: bool, promise_days: float | None, started: int) -> dict[str, float]:
    """The central figures of one destination: pooled percentiles and mean, bootstrap CIs, share within promise.

    `started`: containers that started in the window (delivered or still in flight), the denominator of the share
    delivered within `promise_days` (one still in flight at the end was not delivered in time).
    """
    days = frame["transit_days"].to_numpy()
    out: dict[str, float] = {"containers_total": int(len(days))}  # delivered, all replications together
    if promise_days is not None:
        out["promise_days"] = float(promise_days)
        out["within_promise_share"] = float((days <= promise_days).sum() / started) if started else float("nan")
    if len(days) == 0:
        return out
    out["mean"] = float(days.mean())
    for q in PERCENTILES:
        out[f"p{q}"] = float(np.percentile(days, q))
    out["sd"] = float(days.std(ddof=1)) if len(days) > 1 else float("nan")
    out["buffer_days"] = out["p90"] - out["p50"]  # the buffer-time index: what a shipper adds to the median
    if with_ci:
        groups = replication_groups(frame)
        est = resample(groups, CI_PERCENTILES) if len(groups) >= 2 else np.full((len(CI_PERCENTILES) + 1, 1), np.nan)
        out["mean_ci_low"], out["mean_ci_high"] = interval(est[-1])
        for q, e in zip(CI_PERCENTILES, est, strict=False):
            out[f"p{q}_ci_low"], out[f"p{q}_ci_high"] = interval(e)
    return out


def transit_summary(
    containers: pd.DataFrame, with_ci: bool = True, promise: Mapping[str, float] | None = None
) -> dict[str, dict[str, float]]:
    """Transit-day statistics overall and per destination (see `STATISTIC`).

    `promise` maps a destination (or `ALL`) to a promised transit in days: its row gets the share of containers
    started in the window that were delivered within it.
    """
    promise = promise or {}
    started = containers[containers["measured"]]
    m = measured(containers)
    out = {ALL: _stats(m, with_ci, promise.get(ALL), len(started))}
    n_started = started.groupby("destination", observed=True).size()
    for dest, frame in m.groupby("destination", observed=True):
        out[str(dest)] = _stats(frame, with_ci, promise.get(str(dest)), int(n_started.get(dest, 0)))
    return out


ACCOUNTING = ("price_usd", "time_cost_usd", "generalised_cost_usd", "co2e_kg")


def accounting_summary(containers: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """Mean, p50 and p90 per container of price, time cost, generalised cost (USD) and CO2e (kg), overall and per
    destination, over the containers transit KPIs count (pooled as `STATISTIC`); a figure the scenario does not
    give (no charges, value of time or factors) is left out."""
    m = measured(containers)
    frames = [(ALL, m)] + [(str(d), g) for d, g in m.groupby("destination", observed=True)]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for dest, frame in frames:
        figures = {}
        for col in ACCOUNTING:
            values = frame[col].to_numpy(float) if col in frame else np.empty(0)
            values = values[~np.isnan(values)]
            if len(values):
                figures[col] = {"mean": float(values.mean()), "p50": float(np.percentile(values, 50))}
                figures[col]["p90"] = float(np.percentile(values, 90))
        if figures:
            out[dest] = figures
    return out


def monthly(containers: pd.DataFrame, start: dt.date, promise: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Transit by calendar month of a container's start, per destination and overall, pooled over replications.

    One row per (destination, month) with deliveries: the month (`YYYY-MM`) and its first day, containers delivered
    (all replications), median, p90 and mean transit, and the share delivered within the promise where one is given
    (of those that started that month, in flight at the end included).
    """
    promise = promise or {}
    started = containers[containers["measured"]]
    when = pd.Timestamp(start) + pd.to_timedelta(started["start_day"].to_numpy(), unit="D")
    month = pd.Series(when.to_period("M").astype(str), index=started.index)
    frames = [(ALL, started, month)]
    for dest, frame in started.groupby("destination", observed=True):
        frames.append((str(dest), frame, month.loc[frame.index]))
    rows = []
    for dest, frame, months in frames:
        delivered = frame["status"].eq("delivered")
        for label, g in frame.groupby(months.to_numpy(), sort=True, observed=True):
            days = g.loc[delivered.loc[g.index], "transit_days"].to_numpy()
            row: dict[str, object] = {
                "destination": dest,
                "month": label,
                "month_start": str(pd.Period(label, "M").start_time.date()),
                "containers_started_total": int(len(g)),
                "containers_delivered_total": int(len(days)),
                "p50_days": float(np.percentile(days, 50)) if len(days) else np.nan,
                "p90_days": float(np.percentile(days, 90)) if len(days) else np.nan,
                "mean_days": float(days.mean()) if len(days) else np.nan,
            }
            if dest in promise:
                row["promise_days"] = promise[dest]
                row["within_promise_share"] = float((days <= promise[dest]).sum() / len(g))
            rows.append(row)
    columns = [
        "destination",
        "month",
        "month_start",
        "containers_started_total",
        "containers_delivered_total",
        "p50_days",
        "p90_days",
        "mean_days",
        "promise_days",
        "within_promise_share",
    ]
    return pd.DataFrame(rows, columns=columns)


def promises(
    scenario_bands: Sequence[tuple[str, float]], destinations: Sequence[str], days: float | None
) -> dict[str, float]:
    """The promised transit per destination: `days` (from `--promise`) for every destination and overall, else
    the upper end of each destination's first published band (`scenario_bands`: (destination, high days))."""
    if days is not None:
        return {d: days for d in [ALL, *destinations]}
    out: dict[str, float] = {}
    for dest, high in scenario_bands:
        out.setdefault(dest, high)
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
    """Mean days per container in each section, per destination, pooled over replications.

    Each replication's section days (a mean over its containers) are weighted by its containers, so the sections of
    a destination add up to the pooled mean transit of the comparison table and summary (`mean`), not to a mean of
    replication means.
    """
    keys = ["destination", "section", *(["state"] if by_state else [])]
    frame = sections.assign(weighted=sections["days"] * sections["containers"])
    per_rep = frame.groupby(["replication", *keys], as_index=False, observed=True)["weighted"].sum()
    containers = frame.groupby(["replication", "destination"], observed=True)["containers"].first()
    total = containers.groupby(level="destination", observed=True).sum()
    out = per_rep.groupby(keys, as_index=False, observed=True)["weighted"].sum()
    out["days"] = out["weighted"] / out["destination"].map(total).to_numpy(float)
    return out.drop(columns="weighted")


def throughput_teu_per_day(
    containers: pd.DataFrame, window: tuple[float, float], teu_per_container: float, replications: int
) -> dict[str, float]:
    """TEU delivered per day inside the measurement window `(start_day, end_day)`, per destination and overall,
    a mean over the run's `replications`.

    Counted by delivery time, not start time: on a saturated corridor deliveries lag arrivals, and counting
    containers that started in the window (some delivered during the cooldown) would overstate what it carries.
    `replications` is passed, not read off the rows: a replication that created no container still counts.
    """
    start, end = window
    end_day = containers["end_day"]
    done = containers[containers["status"].eq("delivered") & (end_day >= start) & (end_day < end)]
    per = teu_per_container / replications / (end - start)
    out = {ALL: len(done) * per}
    for dest, frame in done.groupby("destination", observed=True):
        out[str(dest)] = len(frame) * per
    return out


def headline(bands: Iterable[str], delivered: pd.Series, among: Collection[str] | None = None) -> str | None:
    """The destination a comparison is about: the first of `bands` (each scenario's first published band, in the
    scenarios' order) that is `among` the destinations drawn, else the one `delivered` (containers by destination,
    summed over repeated entries; the all-destinations row never counts) credits with the most. None if neither."""
    for dest in bands:
        if among is None or dest in among:
            return str(dest)
    totals = delivered.groupby(delivered.index.astype(str)).sum()
    totals = totals[totals.index != ALL]
    if among is not None:
        totals = totals[totals.index.isin(list(among))]
    return str(totals.idxmax()) if len(totals) else None
