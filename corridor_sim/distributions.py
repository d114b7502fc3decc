"""Probability distributions for any time or speed in a scenario.

A scenario writes a fixed value as a plain quantity (`36h`) or a distribution as a mapping
(`{dist: lognormal, mean: 60h, cv: 0.5}`). Every quantity inside is parsed with the unit parser of the field that
holds the distribution, so a duration distribution is in hours and a speed distribution in km/h throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

from corridor_sim.units import format_hours, format_kmh, parse_duration, parse_speed

if TYPE_CHECKING:  # numpy is imported where draws are made: `validate` then never loads it (start-up time)
    import numpy as np

DistName = Literal["fixed", "uniform", "triangular", "normal", "lognormal", "exponential", "empirical"]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "cv"),
    "exponential": ("mean",),
    "empirical": ("values",),
}
QUANTITY_FIELDS = ("value", "low", "mode", "high", "mean", "sd")  # the parameters that carry the unit
MAX_CV = 100.0  # a lognormal's median is mean / sqrt(1 + cv²): at cv 100 a hundredth of its mean


class Dist(BaseModel):
    """One distribution; parameters are in the canonical unit of the quantity (hours or km/h)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: DistName
    value: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    cv: float | None = None
    values: tuple[float, ...] | None = None
    weights: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> Dist:
        required = _REQUIRED[self.dist]
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.dist} distribution needs {', '.join(missing)}")
        allowed = set(required) | ({"weights"} if self.dist == "empirical" else set())
        extra = [
            n
            for n in (*QUANTITY_FIELDS, "cv", "values", "weights")
            if n not in allowed and getattr(self, n) is not None
        ]
        if extra:
            raise ValueError(f"{self.dist} distribution does not take {', '.join(extra)}")
        for name in (*QUANTITY_FIELDS, "cv"):
            v = getattr(self, name)
            if v is not None and (not math.isfinite(v) or v < 0):
                raise ValueError(f"{name} must be a finite non-negative number, got {v}")
        if self.dist == "uniform" and self.low > self.high:
            raise ValueError("uniform needs low <= high")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):
            raise ValueError("triangular needs low <= mode <= high")
        if self.dist == "lognormal" and self.cv > MAX_CV:
            raise ValueError(f"cv above {MAX_CV:g} (draws would be ~0 but for a vanishing few; cv² overflows)")
        if self.dist in ("lognormal", "exponential") and self.mean <= 0:
            raise ValueError(f"{self.dist} needs a positive mean")
        if self.dist == "empirical":
            if not self.values:
                raise ValueError("empirical needs at least one value")
            if any(v < 0 or not math.isfinite(v) for v in self.values):
                raise ValueError("empirical values must be finite and non-negative")
            if self.weights is not None:
                if len(self.weights) != len(self.values):
                    raise ValueError("empirical weights must be as many as values")
                if any(w < 0 or not math.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
                    raise ValueError("empirical weights must be non-negative with a positive sum")
        return self

    @property
    def expected(self) -> float:
        """Expected value (used to pick the fastest route and for sensitivity deltas)."""
        d = self.dist
        if d == "fixed":
            return self.value
        if d == "uniform":
            return (self.low + self.high) / 2
        if d == "triangular":
            return (self.low + self.mode + self.high) / 3
        if d in ("lognormal", "exponential"):
            return self.mean
        if d == "normal":
            if self.sd == 0:
                return self.mean
            a = self.mean / self.sd  # truncated at zero: mean + sd * phi(a) / Phi(a)
            phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
            big_phi = 0.5 * (1 + math.erf(a / math.sqrt(2)))
            return self.mean + self.sd * phi / big_phi if big_phi > 0 else 0.0
        import numpy as np

        w = np.asarray(self.weights if self.weights is not None else [1.0] * len(self.values), float)
        return float(np.dot(w / w.sum(), self.values))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """A zero-argument draw function bound to one named random stream."""
        d = self.dist
        if d == "fixed":
            v = self.value
            return lambda: v
        if d == "uniform":
            lo, hi = self.low, self.high
            return _blocks(lambda k: rng.uniform(lo, hi, k))
        if d == "triangular":
            lo, mo, hi = self.low, self.mode, self.high
            if lo == hi:
                return lambda: lo
            return _blocks(lambda k: rng.triangular(lo, mo, hi, k))
        if d == "normal":
            mu, sd = self.mean, self.sd
            normals = _blocks(lambda k: rng.normal(mu, sd, k))

            def truncated_normal() -> float:
                for _ in range(1000):  # rejection is exact; the cap only guards a mean far below zero
                    x = normals()
                    if x >= 0:
                        return x
                return 0.0

            return truncated_normal
        if d == "lognormal":
            sigma2 = math.log(1 + self.cv**2)
            mu_log, sigma = math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)
            return _blocks(lambda k: rng.lognormal(mu_log, sigma, k))
        if d == "exponential":
            scale = self.mean
            return _blocks(lambda k: rng.exponential(scale, k))
        import numpy as np

        values = np.asarray(self.values, float)
        weights = np.ones(len(values)) if self.weights is None else np.asarray(self.weights, float)
        cdf = np.cumsum(weights) / weights.sum()  # once here: rng.choice(p=...) re-checks p on every draw, 50x slower
        last = len(values) - 1
        return _blocks(lambda k: values[np.minimum(np.searchsorted(cdf, rng.random(k), side="right"), last)])


def _coerce(parse: Callable[[object], float]) -> Callable[[Any], Any]:
    def coerce(raw: Any) -> Any:
        if isinstance(raw, Dist):
            return raw
        if isinstance(raw, dict):
            out = dict(raw)
            for name in QUANTITY_FIELDS:
                if name in out and out[name] is not None:
                    out[name] = parse(out[name])
            if isinstance(out.get("values"), list | tuple):
                out["values"] = [parse(v) for v in out["values"]]
            return out
        return {"dist": "fixed", "value": parse(raw)}

    return coerce


def _serialise(fmt: Callable[[float], str]) -> Callable[[Dist], Any]:
    def dump(d: Dist) -> Any:
        if d.dist == "fixed":
            return fmt(d.value)
        out: dict[str, Any] = {"dist": d.dist}
        for name in QUANTITY_FIELDS:
            if getattr(d, name) is not None:
                out[name] = fmt(getattr(d, name))
        if d.cv is not None:
            out["cv"] = d.cv
        if d.values is not None:
            out["values"] = [fmt(v) for v in d.values]
        if d.weights is not None:
            out["weights"] = list(d.weights)
        return out

    return dump


DurationDist = Annotated[Dist, BeforeValidator(_coerce(parse_duration)), PlainSerializer(_serialise(format_hours))]
SpeedDist = Annotated[Dist, BeforeValidator(_coerce(parse_speed)), PlainSerializer(_serialise(format_kmh))]


def _blocks(draw: Callable[[int], Any], size: int = 256) -> Callable[[], float]:
    """Next value of `draw(size)` blocks, one at a time. A scalar `Generator` call costs about as much as a block of
    fifty draws; every method used here takes the stream in order, so the values are exactly those of drawing one at
    a time (checked in the tests)."""

    def values() -> Iterator[float]:
        while True:
            yield from draw(size).tolist()

    return values().__next__
