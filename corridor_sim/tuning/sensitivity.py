"""One-at-a-time sensitivity: each parameter moved down and up by a relative delta, the others at base.

The effect on p50 and p90 transit, on common random numbers, says which segment or node matters most. A whole-number
parameter (servers, vessels, berths, sets) moves by exactly one either way (a relative change of a count of 2 would be
±50%, not ±20%); a fraction capped at 1 (`fill`, `load_factor`) is not raised past it; the `change_low` and
`change_high` columns say what was done to each side. A side that cannot move (or would not validate) is left empty
and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim.errors import ScenarioError
from corridor_sim.schema import Scenario
from corridor_sim.tuning.evaluate import Study, write_results
from corridor_sim.tuning.params import describe, get_value, numeric_parameters, scale

_CAPPED_AT_ONE = {"fill", "load_factor"}


def moved(value: Any, key: str, factor: float) -> tuple[Any, str]:
    """The value moved by `factor` (low < 1 < high), or None when it cannot move that way, and what was done."""
    if isinstance(value, int) and not isinstance(value, bool):
        new = value + (1 if factor > 1 else -1)  # a count moves by one
        return (new, f"{new - value:+d}") if new >= 1 else (None, "")
    new = scale(value, factor)
    label = f"{factor - 1:+.0%}"
    if key.rsplit(".", 1)[-1] in _CAPPED_AT_ONE and isinstance(new, int | float) and new > 1:
        new = 1.0
        label = f"{new / value - 1:+.0%} (capped at 1)"
    return (None, "") if new == value else (new, label)


def sensitivity(study: Study, keys: Sequence[str] | None, delta: float) -> pd.DataFrame:
    """Rows per parameter, largest swing first: base/low/high values, p50 and p90 at each, changes from base."""
    keys = list(keys) if keys else numeric_parameters(study.raw)
    if not keys:
        raise ScenarioError("no numeric node or segment parameter to vary", key="network")
    variants: list[tuple[str, str, Any, Scenario]] = []
    notes: dict[tuple[str, str], str] = {}
    labels: dict[tuple[str, str], str] = {}
    for key in keys:
        value = get_value(study.raw, key, "--params")
        if value is None:
            raise ScenarioError("has no value in the scenario to vary", key=key, file="--params")
        for side, factor in (("low", 1 - delta), ("high", 1 + delta)):
            try:
                new, labels[(key, side)] = moved(value, key, factor)
            except ScenarioError as exc:
                raise ScenarioError(exc.message, key, "--params") from None
            if new is None:
                notes[(key, side)] = "cannot move"
                continue
            try:
                variants.append((key, side, new, study.variant({key: new}, "--params", exact=True)))
            except ScenarioError as exc:
                notes[(key, side)] = f"invalid: {exc.message}"
    base, *results = study.evaluate([study.base] + [v[3] for v in variants], study.kpis)
    found = {(k, side): (new, r) for (k, side, new, _), r in zip(variants, results, strict=True)}
    rows = []
    for key in keys:
        row: dict[str, Any] = {
            "parameter": key,
            "base": describe(get_value(study.raw, key)),
            "p50_base": base["p50_days"],
            "p90_base": base["p90_days"],
            # the base's own 95% interval: replication noise, against which a change's effect reads
            **{f"p{q}_base_ci_{side}": base[f"p{q}_ci_{side}"] for q in (50, 90) for side in ("low", "high")},
        }
        for side in ("low", "high"):
            new, k = found.get((key, side), (None, {}))
            row[side] = describe(new) if new is not None else notes.get((key, side), "")
            row[f"change_{side}"] = labels.get((key, side), "") if new is not None else ""
            for q in ("p50", "p90"):
                row[f"{q}_{side}"] = k.get(f"{q}_days", np.nan)
                row[f"d{q}_{side}"] = row[f"{q}_{side}"] - base[f"{q}_days"]
        row["swing_days"] = np.nanmax(
            [abs(row["dp50_low"]), abs(row["dp50_high"]), abs(row["dp90_low"]), abs(row["dp90_high"]), 0.0]
        )
        rows.append(row)
    return pd.DataFrame(rows).sort_values("swing_days", ascending=False, kind="stable").reset_index(drop=True)


def write_sensitivity(out: Path, study: Study, table: pd.DataFrame, delta: float) -> Path:
    from corridor_sim.tuning.plots import tornado

    title = (
        f"{study.base.name}: ±{delta:.0%} one at a time (counts ±1), to {study.target_label} "
        f"({study.replications} replications, seed {study.seed})"
    )
    return write_results(
        out,
        study,
        {"sensitivity": table},
        study.meta("sensitivity", delta=delta),
        lambda d: tornado(table, title, d / "tornado.png"),
    )
