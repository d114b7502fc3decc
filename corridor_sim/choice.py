"""Route choice: a logit split of a contested market on generalised cost, and the equilibrium loop around it.

Transit times depend on the volume a corridor carries, and the volume it is offered depends on its times: a planner
asking whether an investment attracts cargo must also ask whether that cargo brings the congestion back. The loop
here finds the shares at which the two agree. It knows nothing of the simulator: `evaluate(shares)` returns each
alternative's generalised cost at those shares (`corridor_sim.market` simulates; tests may use a formula).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CostWeights:
    """What a shipper counts beside the price, in money per TEU: each day in transit (`value_of_time`) and each day of
    buffer a planner must add for reliability (p90 - p50, `reliability`)."""

    value_of_time: float  # per TEU-day
    reliability: float = 0.0  # per TEU per day of p90 - p50


def generalised_cost(days: np.ndarray, price_per_teu: float, weights: CostWeights) -> float:
    """Price + value of time x mean transit + reliability weight x (p90 - p50), per TEU, over containers' `days`.

    Containers' days, not one summary: the mean and the buffer come from the same distribution the corridor produced.
    """
    if len(days) == 0:
        return math.inf
    p50, p90 = np.percentile(days, [50, 90])
    return float(price_per_teu + weights.value_of_time * np.mean(days) + weights.reliability * (p90 - p50))


def logit_shares(costs: Mapping[str, float], scale: float, constants: Mapping[str, float] | None = None) -> dict:
    """Multinomial logit: share_i = exp(-scale (c_i + k_i)) / sum_j exp(-scale (c_j + k_j)).

    `scale` is per unit of cost (the larger, the more shippers react to a difference); `constants` are
    alternative-specific costs the model does not explain (ASCs). Computed shifted by the least cost, so a large
    scale times a large cost cannot overflow; an alternative of infinite cost gets share 0.
    """
    if scale < 0:
        raise ValueError("the logit scale must not be negative")
    full = {k: c + (constants or {}).get(k, 0.0) for k, c in costs.items()}
    finite = [c for c in full.values() if math.isfinite(c)]
    if not finite:
        raise ValueError("every alternative has an infinite cost")
    least = min(finite)
    weights = {k: math.exp(-scale * (c - least)) if math.isfinite(c) else 0.0 for k, c in full.items()}
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}


@dataclass
class Iteration:
    shares: dict[str, float]  # offered (what was simulated)
    costs: dict[str, float]  # generalised cost per TEU at those shares
    target: dict[str, float]  # the logit shares those costs imply
    residual: float  # max |target - shares|


@dataclass
class Equilibrium:
    shares: dict[str, float]
    costs: dict[str, float]
    iterations: int
    residual: float
    history: list[Iteration] = field(default_factory=list)


class NotConverged(RuntimeError):
    """The shares still moved by more than the tolerance after the last allowed iteration."""

    def __init__(self, message: str, history: list[Iteration]) -> None:
        super().__init__(message)
        self.history = history


def equilibrium(
    evaluate: Callable[[dict[str, float]], dict[str, float]],
    start: Mapping[str, float],
    scale: float,
    *,
    tolerance: float = 0.01,
    max_iterations: int = 20,
    damping: float = 0.5,
    constants: Mapping[str, float] | None = None,
) -> Equilibrium:
    """Iterate simulate -> costs -> logit shares -> simulate until the shares implied by the costs differ from the
    shares simulated by less than `tolerance` (each alternative), i.e. a fixed point of the logit-on-cost map.

    The next shares are `damping` x current + (1 - damping) x target: without damping (0) a corridor whose cost rises
    steeply with volume makes the plain iteration jump between "everyone" and "no one". Raises `NotConverged` (with
    the iterations made) when `max_iterations` evaluations are spent.
    """
    if not 0 <= damping < 1:
        raise ValueError("damping must be in [0, 1)")
    if max_iterations < 1 or tolerance <= 0:
        raise ValueError("max_iterations must be at least 1 and tolerance positive")
    total = sum(start.values())
    shares = {k: v / total for k, v in start.items()} if total > 0 else {k: 1 / len(start) for k in start}
    history: list[Iteration] = []
    for _ in range(max_iterations):
        costs = evaluate(dict(shares))
        target = logit_shares(costs, scale, constants)
        residual = max(abs(target[k] - shares[k]) for k in shares)
        history.append(Iteration(dict(shares), costs, target, residual))
        if residual < tolerance:
            return Equilibrium(shares, costs, len(history), residual, history)
        shares = {k: damping * shares[k] + (1 - damping) * target[k] for k in shares}
    raise NotConverged(
        f"no equilibrium within {max_iterations} iterations: the shares still move by {residual:.3f} "
        f"(tolerance {tolerance:g}); raise the damping or the iterations, or lower the scale",
        history,
    )
