"""Quantities with units and the distributions built on them: parsing, refusals, and sampled moments vs theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from corridor_sim.distributions import Dist, DurationDist, SpeedDist
from corridor_sim.rng import stream
from corridor_sim.units import format_hours, format_km, format_kmh, parse_distance, parse_duration, parse_speed

DURATION = TypeAdapter(DurationDist)
SPEED = TypeAdapter(SpeedDist)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("36h", 36),
        ("2.5d", 60),
        ("45min", 0.75),
        ("1w", 168),
        ("90s", 0.025),
        (" 3 h ", 3),
        ("1e1h", 10),
        (".5d", 12),
        (0, 0),
    ],
)
def test_durations_in_hours(text: object, hours: float) -> None:
    assert parse_duration(text) == pytest.approx(hours)


def test_distances_and_speeds() -> None:
    assert parse_distance("836km") == 836
    assert parse_distance("500m") == 0.5
    assert parse_speed("40km/h") == 40
    assert parse_speed("800km/d") == pytest.approx(800 / 24)
    assert parse_speed("14kn") == pytest.approx(14 * 1.852)


@pytest.mark.parametrize("bad", [36, 2.5, "36", True, None, [1], "3y", "h", "km36", "-5h", "nanh", "1e400h"])
def test_durations_refused(bad: object) -> None:
    """A bare number is ambiguous (hours? days?), so it is refused, as are unknown units and negative values."""
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_refusals_say_what_to_write() -> None:
    with pytest.raises(ValueError, match=r"needs a unit, e\.g\. 36h"):
        parse_duration(36)
    with pytest.raises(ValueError, match="unknown distance unit 'mi'"):
        parse_distance("5mi")
    with pytest.raises(ValueError, match="speed"):
        parse_speed("40")


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_formatted_quantities_read_back_exactly(x: float) -> None:
    """The resolved scenario writes numbers with units; reading them back must give the very same float."""
    assert parse_duration(format_hours(x)) == x
    assert parse_distance(format_km(x)) == x
    assert parse_speed(format_kmh(x)) == x


def sample(spec: object, n: int = 50_000, adapter: TypeAdapter = DURATION) -> tuple[Dist, np.ndarray]:
    dist = adapter.validate_python(spec)
    draw = dist.sampler(stream(7, 0, "test"))
    return dist, np.array([draw() for _ in range(n)])


@pytest.mark.parametrize(
    ("spec", "mean_h"),
    [
        ("36h", 36),
        ({"dist": "uniform", "low": "1d", "high": "2d"}, 36),
        ({"dist": "triangular", "low": "1h", "mode": "2h", "high": "6h"}, 3),
        ({"dist": "exponential", "mean": "10h"}, 10),
        ({"dist": "lognormal", "mean": "60h", "cv": 0.5}, 60),
        ({"dist": "normal", "mean": "10h", "sd": "2h"}, 10),  # truncation at zero is negligible 5 sd away
        ({"dist": "empirical", "values": ["1h", "2h", "10h"], "weights": [1, 2, 1]}, 3.75),
    ],
)
def test_sample_mean_matches_expected(spec: object, mean_h: float) -> None:
    """`expected` is the textbook mean; the sampler's draws average to it (5 standard errors)."""
    dist, x = sample(spec)
    assert dist.expected == pytest.approx(mean_h)
    assert abs(x.mean() - mean_h) <= 5 * x.std() / math.sqrt(len(x)) + 1e-12
    assert x.min() >= 0


@pytest.mark.parametrize(
    ("spec", "one_draw"),
    [
        ({"dist": "uniform", "low": "2h", "high": "5h"}, lambda r: r.uniform(2.0, 5.0)),
        ({"dist": "triangular", "low": "1h", "mode": "2h", "high": "5h"}, lambda r: r.triangular(1.0, 2.0, 5.0)),
        ({"dist": "exponential", "mean": "3h"}, lambda r: r.exponential(3.0)),
        (
            {"dist": "lognormal", "mean": "4h", "cv": 0.5},
            lambda r: r.lognormal(math.log(4.0) - math.log(1.25) / 2, math.sqrt(math.log(1.25))),
        ),
        (
            {"dist": "empirical", "values": ["1h", "2h", "7h"], "weights": [1, 2, 1]},
            lambda r: [1.0, 2.0, 7.0][int(np.searchsorted([0.25, 0.75, 1.0], r.random(), side="right"))],
        ),
    ],
)
def test_draws_are_those_of_one_generator_call_per_draw(spec: dict, one_draw) -> None:
    """Samplers draw in blocks for speed; the values must be exactly those of drawing one at a time, in order (so a
    block size never changes a result), across block boundaries."""
    sampler = TypeAdapter(DurationDist).validate_python(spec).sampler(stream(5, 0, "x"))
    reference = stream(5, 0, "x")
    assert [sampler() for _ in range(700)] == [float(one_draw(reference)) for _ in range(700)]


def test_truncated_normal_rejects_from_one_stream_in_order() -> None:
    sampler = (
        TypeAdapter(DurationDist)
        .validate_python({"dist": "normal", "mean": "1h", "sd": "2h"})
        .sampler(stream(5, 0, "x"))
    )
    reference, expected = stream(5, 0, "x"), []
    while len(expected) < 700:
        x = float(reference.normal(1.0, 2.0))
        if x >= 0:
            expected.append(x)
    assert [sampler() for _ in range(700)] == expected


def test_lognormal_by_mean_and_cv() -> None:
    _, x = sample({"dist": "lognormal", "mean": "2d", "cv": 0.8})
    assert x.mean() == pytest.approx(48, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(0.8, rel=0.03)
    assert np.log(x).std() == pytest.approx(math.sqrt(math.log(1 + 0.8**2)), rel=0.01)


def test_truncated_normal_is_non_negative_with_the_truncated_mean() -> None:
    """Normal(1h, 2h) cut at zero: mean = mu + sd phi(a) / Phi(a), a = mu / sd (computed here independently)."""
    a = 0.5
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * math.erfc(-a / math.sqrt(2))
    expected = 1 + 2 * phi / big_phi
    dist, x = sample({"dist": "normal", "mean": "1h", "sd": "2h"})
    assert x.min() >= 0
    assert dist.expected == pytest.approx(expected)
    assert x.mean() == pytest.approx(expected, rel=0.01)


def test_speed_distribution_in_kmh() -> None:
    dist, x = sample({"dist": "uniform", "low": "480km/d", "high": "720km/d"}, 50_000, SPEED)
    assert (dist.low, dist.high) == pytest.approx((20, 30))
    assert x.min() >= 20 and x.max() <= 30


def test_empirical_draws_only_its_values_in_proportion() -> None:
    _, x = sample({"dist": "empirical", "values": ["1h", "2h", "10h"], "weights": [1, 2, 1]}, 40_000)
    values, counts = np.unique(x, return_counts=True)
    assert list(values) == [1, 2, 10]
    assert counts / counts.sum() == pytest.approx([0.25, 0.5, 0.25], abs=0.01)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "exponential", "mean": 10}, "needs a unit"),
        ({"dist": "uniform", "low": "2h"}, "needs high"),
        ({"dist": "uniform", "low": "3h", "high": "2h"}, "low <= high"),
        ({"dist": "triangular", "low": "1h", "mode": "5h", "high": "4h"}, "low <= mode <= high"),
        ({"dist": "exponential", "mean": "1h", "sd": "1h"}, "does not take sd"),
        ({"dist": "lognormal", "mean": "0h", "cv": 1}, "positive mean"),
        ({"dist": "empirical", "values": ["1h", "2h"], "weights": [1]}, "as many as values"),
        ({"dist": "empirical", "values": []}, "at least one value"),
        ({"dist": "gamma", "mean": "1h"}, "dist"),
        ({"dist": "fixed", "value": "1h", "colour": "red"}, "colour"),
    ],
)
def test_malformed_distributions_refused(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DURATION.validate_python(spec)


def test_distribution_writes_back_with_units_and_reads_back_equal() -> None:
    for spec in (
        {"dist": "lognormal", "mean": "2.5d", "cv": 0.4},
        "36h",
        {"dist": "empirical", "values": ["1h", "3h"], "weights": [2, 1]},
    ):
        dist = DURATION.validate_python(spec)
        assert DURATION.validate_python(DURATION.dump_python(dist)) == dist
    assert DURATION.dump_python(DURATION.validate_python("1.5d")) == "36h"


def test_empirical_never_draws_a_zero_weight_value() -> None:
    _, x = sample({"dist": "empirical", "values": ["1h", "2h", "3h"], "weights": [0, 1, 0]}, 2_000)
    assert set(x) == {2.0}
