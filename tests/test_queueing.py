"""Node handling against queueing theory: Poisson trains of one container at a node with c exponential servers form an
M/M/c queue, whose mean wait in queue is given by the Erlang C formula (computed here from first principles)."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from conftest import run, scenario_dict


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, a) / (c mu - lam), a = lam / mu, C the Erlang C probability of waiting."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    below = sum(a**k / math.factorial(k) for k in range(c))
    at_c = a**c / math.factorial(c) / (1 - rho)
    return at_c / (below + at_c) / (c * mu - lam)


def batch_means(x: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and its standard error from non-overlapping batch means (waits of successive customers are correlated)."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def mmc_scenario(c: int, lam_per_h: float, service_mean_h: float, days: int, seed: int) -> dict:
    nodes = {
        "a": {
            "role": "terminal",
            "handling": {"servers": c, "time": {"dist": "exponential", "mean": f"{service_mean_h}h"}},
        },
        "z": {"role": "terminal"},
    }
    segments = {"az": {"from": "a", "to": "z", "travel_time": 0}}  # no line: the wait is the node's queue alone
    flows = {"f": {"origin": "a", "destination": "z", "trains_per_week": lam_per_h * 168, "containers_per_train": 1}}
    return scenario_dict(
        nodes, segments, flows, duration=f"{days}d", warmup="20d", cooldown="0h", seed=seed, monitor_interval="2h"
    )


@pytest.mark.parametrize(("c", "lam", "days"), [(1, 0.5, 3000), (3, 2.1, 1500)])
def test_mean_wait_in_queue_matches_erlang_c(c: int, lam: float, days: int) -> None:
    mu = 1.0  # per hour
    tables = run(mmc_scenario(c, lam, 1 / mu, days, seed=11))
    done = tables["containers"]
    done = done[done.measured & done.status.eq("delivered")].sort_values("start_day")
    wait_h, se_h = batch_means(done.waiting_days.to_numpy() * 24)
    expected = erlang_c_wait(c, lam, mu)
    assert se_h < 0.035 * expected, "run too short for a tight check"
    assert abs(wait_h - expected) < 3 * se_h, (wait_h, expected, se_h)
    # service is what was drawn: mean handling equals the service mean, and transit = wait + service
    assert done.handling_days.mean() * 24 == pytest.approx(1 / mu, rel=0.03)
    assert np.allclose(done.transit_days, done.waiting_days + done.handling_days)


def pollaczek_khinchine_wait(lam: float, mean_s: float, second_moment_s: float) -> float:
    """Mean wait in queue of M/G/1: Wq = lam E[S^2] / (2 (1 - rho))."""
    return lam * second_moment_s / (2 * (1 - lam * mean_s))


def test_line_headway_is_an_md1_queue() -> None:
    """Poisson trains on a line with a 1 h headway: the headway is a deterministic server, so the mean wait is the
    M/D/1 value (E[S^2] = h^2), and each wait follows Lindley's recursion w' = max(0, w + h - gap) exactly."""
    lam, headway = 0.6, 1.0
    nodes = {"a": {"role": "terminal"}, "z": {"role": "terminal"}}
    segment = {"from": "a", "to": "z", "travel_time": "2h", "trains_per_day": 24 / headway}
    flows = {"f": {"origin": "a", "destination": "z", "trains_per_week": lam * 168, "containers_per_train": 1}}
    raw = scenario_dict(nodes, {"az": segment}, flows, duration="2000d", warmup="0h", cooldown="1d", seed=8)
    c = run(raw)["containers"].sort_values("start_day")
    arrival, wait = c.start_day.to_numpy() * 24, c.waiting_days.to_numpy() * 24
    lindley = np.zeros(len(c))
    for n in range(1, len(c)):
        lindley[n] = max(0.0, lindley[n - 1] + headway - (arrival[n] - arrival[n - 1]))
    done = c.status.eq("delivered").to_numpy()
    assert np.allclose(wait[done], lindley[done], atol=1e-6)
    steady = wait[arrival >= 20 * 24]
    wait_h, se_h = batch_means(steady)
    expected = pollaczek_khinchine_wait(lam, headway, headway**2)
    assert se_h < 0.03 * expected
    assert abs(wait_h - expected) < 3 * se_h, (wait_h, expected, se_h)


@pytest.mark.parametrize("c", [1, 2, 4])
def test_waits_follow_the_fifo_sample_path(c: int) -> None:
    """Exact, not statistical: from each train's arrival and drawn service time, FIFO with c servers fixes every wait
    (Kiefer-Wolfowitz: a train starts at the later of its arrival and the earliest moment a server frees up)."""
    tables = run(mmc_scenario(c, 0.8 * c, 1.0, 150, seed=c))
    done = tables["containers"].sort_values("start_day")
    in_flight = np.flatnonzero(done.status.to_numpy() == "in_flight")
    done = done.iloc[: in_flight[0] if len(in_flight) else len(done)]  # a wait depends only on earlier trains
    free, expected = [0.0] * c, []
    for arrival, service in zip(done.start_day * 24, done.handling_days * 24, strict=True):
        start = max(arrival, heapq.heappop(free))
        expected.append(start - arrival)
        heapq.heappush(free, start + service)
    assert len(done) > 1000
    assert np.allclose(done.waiting_days * 24, expected, atol=1e-6)
    assert np.mean(np.array(expected) > 0) > 0.3  # queues did form


def test_busy_servers_sampled_by_monitor_equal_offered_load() -> None:
    """Independent of the stage records: the monitor's time-average of busy servers is a = lam / mu."""
    c, lam = 3, 2.1
    tables = run(mmc_scenario(c, lam, 1.0, 700, seed=5))
    occ = tables["occupancy"]
    busy = occ[(occ.location == "a") & (occ.metric == "busy_servers") & (occ.day >= 20)]["value"]
    assert busy.max() <= c
    assert busy.mean() == pytest.approx(lam, rel=0.04)


def test_erlang_c_reference_values() -> None:
    """The reference itself: M/M/1 reduces to rho / (mu - lam); a textbook M/M/2 value."""
    assert erlang_c_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    # M/M/2, a = 1.2: P0 = 1/(1 + 1.2 + 1.2^2/2/(1-0.6)) = 0.25, C = 0.72/0.4*0.25 = 0.45, Wq = 0.45/0.8
    assert erlang_c_wait(2, 1.2, 1.0) == pytest.approx(0.5625)


def test_poisson_arrivals_follow_the_monthly_rate() -> None:
    """Thinned Poisson arrivals: each month's count is Poisson with mean rate x factor x hours, and the gaps within
    a month are exponential (coefficient of variation 1)."""
    factor = [1.0, 0.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    nodes = {"o": {"role": "terminal"}, "z": {"role": "terminal"}}
    flows = {
        "f": {
            "origin": "o",
            "destination": "z",
            "trains_per_week": 168 * 0.5,
            "containers_per_train": 1,
            "monthly_factor": factor,
        }
    }
    raw = scenario_dict(
        nodes,
        {"oz": {"from": "o", "to": "z", "travel_time": "1h"}},
        flows,
        duration="365d",
        cooldown="0h",
        start="2023-01-01",
        seed=4,
    )
    start = run(raw)["containers"].start_day.to_numpy()
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    counts = np.histogram(start, bins=np.cumsum([0, *days]))[0]
    expected = 0.5 * 24 * days * np.array(factor)
    assert counts[1] == 0
    busy = expected > 0
    z = (counts[busy] - expected[busy]) / np.sqrt(expected[busy])
    assert np.all(np.abs(z) < 4), z
    july = np.diff(start[(start >= 181) & (start < 212)])
    assert july.mean() * 24 == pytest.approx(1 / 1.5, rel=0.05)
    assert july.std() / july.mean() == pytest.approx(1.0, abs=0.05)
