"""Intervention ranking: each named package of changes alone and all together, against the base, on common random
numbers, with paired-bootstrap intervals (the same resampled replications for base and variant). Ranked by one of
`RANKINGS` (the table says which): days saved at p50 (then p90) — the difference of the pooled figures — by default;
or mean days saved per container, generalised cost saved per TEU (price + time cost, `corridor_sim.costs`), or mean
days saved per container per USD million of the intervention's cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim import analysis
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import Tables
from corridor_sim.schema import Scenario
from corridor_sim.tuning.evaluate import KPI_COLUMNS, Study, resamples, write_results

ALL_TOGETHER = "(all together)"
# ranking name -> (sort columns, what it means)
RANKINGS: dict[str, tuple[list[str], str]] = {
    "p50_days": (["saved_p50_days", "saved_p90_days"], "days saved at p50 (then p90)"),
    "days": (["saved_mean_days"], "days saved per container (mean)"),
    "generalised_cost": (["saved_generalised_cost_per_teu"], "generalised cost saved per TEU (USD)"),
    "days_per_musd": (["saved_mean_days_per_musd"], "days saved per container per USD million"),
}
# cost units read as millions of USD (case and spaces ignored); any other unit gives no per-USD-million figure
MUSD_PER_UNIT = {"musd": 1.0, "usdm": 1.0, "millionusd": 1.0, "usdmillion": 1.0, "usd": 1e-6, "bnusd": 1e3}


def packages(study: Study, names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """The chosen interventions' `set` mappings, in file order; an unknown name is an error naming it."""
    listed = study.base.interventions
    if not listed:
        raise ScenarioError("the scenario lists no interventions", key="interventions", file=str(study.path))
    for name in names or ():
        if name not in listed:
            raise ScenarioError(f"unknown intervention (listed: {', '.join(listed)})", key=name, file="--interventions")
    return {n: dict(listed[n].set) for n in (names or listed)}


def combined(sets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several packages applied in order (a key set twice keeps the later value)."""
    out: dict[str, Any] = {}
    for s in sets:
        out |= s
    return out


def intervention_scenario(study: Study, name: str, changes: dict[str, Any]) -> Scenario:
    return study.variant(changes, f"interventions.{name}.set", exact=True)


def _reduce(study: Study) -> Callable[[Scenario, Tables], tuple[dict[str, float], np.ndarray]]:
    """KPIs plus bootstrap resamples of pooled p50 and p90 (for paired differences on common random numbers)."""

    def reduce(scenario: Scenario, tables: Tables) -> tuple[dict[str, float], np.ndarray]:
        m = analysis.measured(tables["containers"])
        if study.destination is not None:
            m = m[m["destination"].eq(study.destination)]
        gc = m["generalised_cost_usd"].mean() / scenario.simulation.teu_per_container if len(m) else np.nan
        return {**study.kpis(scenario, tables), "generalised_cost_per_teu": gc}, resamples(m, study.replications)

    return reduce


def rank(study: Study, names: Sequence[str] | None = None, by: str = "p50_days") -> pd.DataFrame:
    """One row per intervention (and all together): KPIs, days saved at p50/p90 with 95% paired intervals, mean
    days and generalised cost saved, per USD million where the cost is in USD; sorted by ranking `by`."""
    if by not in RANKINGS:
        raise ScenarioError(f"unknown ranking (one of: {', '.join(RANKINGS)})", key="--rank-by")
    chosen = packages(study, names)
    variants = {n: intervention_scenario(study, n, s) for n, s in chosen.items()}
    if len(chosen) > 1:
        variants[ALL_TOGETHER] = intervention_scenario(study, ALL_TOGETHER, combined(list(chosen.values())))
    (base, base_reps), *results = study.evaluate([study.base, *variants.values()], _reduce(study))
    rows = []
    for name, (kpis, reps) in zip(variants, results, strict=True):
        cost, unit = _cost(study, list(chosen) if name == ALL_TOGETHER else [name])
        spec = study.base.interventions.get(name)
        row: dict[str, Any] = {
            "intervention": name,
            "description": spec.description if spec else "",
            "cost": cost,
            "cost_unit": unit,
            **kpis,
        }
        for i, q in enumerate((50, 90)):
            row[f"saved_p{q}_days"] = base[f"p{q}_days"] - row[f"p{q}_days"]
            row[f"saved_p{q}_ci_low"], row[f"saved_p{q}_ci_high"] = analysis.interval(base_reps[i] - reps[i])
        cost = row["cost"]
        row["saved_p50_days_per_cost"] = row["saved_p50_days"] / cost if cost > 0 else np.nan
        row["saved_mean_days"] = base["mean_days"] - row["mean_days"]
        row["saved_generalised_cost_per_teu"] = base["generalised_cost_per_teu"] - row["generalised_cost_per_teu"]
        musd = cost * MUSD_PER_UNIT.get(unit.lower().replace(" ", ""), np.nan)
        row["cost_musd"] = musd
        row["saved_mean_days_per_musd"] = row["saved_mean_days"] / musd if musd > 0 else np.nan
        rows.append(row)
    columns, meaning = RANKINGS[by]
    table = pd.DataFrame(rows).sort_values(columns, ascending=False, kind="stable", na_position="last")
    table["ranking"] = [f"{i} by {meaning}" for i in range(1, len(table) + 1)]
    base_row = {"intervention": "(base)", "description": "the scenario as given", "ranking": f"ranked by {meaning}"}
    base_row |= base
    return pd.concat([pd.DataFrame([base_row]), table], ignore_index=True)[
        [
            "intervention",
            "description",
            "cost",
            "cost_unit",
            *KPI_COLUMNS,
            "saved_p50_days",
            "saved_p50_ci_low",
            "saved_p50_ci_high",
            "saved_p90_days",
            "saved_p90_ci_low",
            "saved_p90_ci_high",
            "saved_p50_days_per_cost",
            "generalised_cost_per_teu",
            "saved_mean_days",
            "saved_generalised_cost_per_teu",
            "cost_musd",
            "saved_mean_days_per_musd",
            "ranking",
        ]
    ]


def _cost(study: Study, names: Sequence[str]) -> tuple[float, str]:
    """The summed cost, when every package has one and all are in one unit (otherwise they do not add up)."""
    specs = [study.base.interventions[n] for n in names]
    units = {s.cost_unit for s in specs}
    if all(s.cost is not None for s in specs) and len(units) == 1:
        return float(sum(s.cost for s in specs)), units.pop()
    return np.nan, ""


def write_interventions(out: Path, study: Study, table: pd.DataFrame) -> Path:
    from corridor_sim.tuning.plots import intervention_bars

    ranked = table.loc[table["intervention"].eq("(base)"), "ranking"].iloc[0]  # "ranked by ..."
    title = (
        f"{study.base.name}: interventions {ranked}, to {study.target_label} "
        f"({study.replications} replications, seed {study.seed})"
    )
    return write_results(
        out,
        study,
        {"interventions": table},
        study.meta("interventions"),
        lambda d: intervention_bars(table, title, d / "interventions.png"),
    )
