"""Uncertainty propagation: the headline as a distribution over the estimates' ranges, apart from replication noise.

A confidence interval from replications covers the randomness of one parameter set; the width a planner needs comes
from the estimates. Parameter sets are drawn from the ranges (`corridor_sim.ranges`: uniform over each range, a count
over its whole numbers) by a seeded Latin hypercube or scrambled Sobol sequence; every set runs with the study's
replications on common random numbers (the base seed), so the spread across sets is the estimates' effect, not
sampling noise, and the noise of each set's pooled figure is measured apart (bootstrap over its replications).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from corridor_sim import analysis
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import Tables
from corridor_sim.ledger import Ledger, Row, fingerprint, run_design
from corridor_sim.ranges import Ranged, ranged, without_ranges
from corridor_sim.schema import Scenario
from corridor_sim.tuning.evaluate import CHUNK_REPLICATIONS, Study, resamples  # noqa: F401 - patched in tests
from corridor_sim.workload import DEFAULT_MAX_EVENTS

Design = Literal["lhs", "sobol"]
NOISE = "_noise_sd"  # suffix of the replication-noise columns


# ranged figures no headline of a study depends on (transit days): charges, emission factors and interventions'
# costs are outputs' prices, so a study varies them only when `--params` names them
NOT_TRANSIT = ("costs.", "emissions.", "interventions.")


def parameters(study: Study, keys: Sequence[str] | None = None) -> list[Ranged]:
    """The scenario's ranged figures that transit depends on (or those of `keys`, each of which must have a range)."""
    found = ranged(study.raw, study.base.provenance)
    if keys:
        by_key = {r.key: r for r in found}
        missing = [k for k in keys if k not in by_key]
        if missing:
            raise ScenarioError("has no range in the scenario (see `validate`)", key=missing[0], file="--params")
        found = [by_key[k] for k in keys]
    else:
        found = [r for r in found if not r.key.startswith(NOT_TRANSIT)]
    if not found:
        raise ScenarioError("no figure has a range: add `range: [low, high]` beside estimates", key="provenance")
    return found


def design(method: Design, n: int, d: int, seed: int) -> np.ndarray:
    """`n` points in the unit cube [0, 1)^d: Latin hypercube or scrambled Sobol sequence, the same for the same seed."""
    from scipy.stats import qmc

    if n < 1:
        raise ScenarioError("must be at least 1", key="--samples")
    rng = np.random.default_rng(seed)
    if method == "sobol":
        return qmc.Sobol(d, scramble=True, seed=rng).random(n)
    return qmc.LatinHypercube(d, seed=rng).random(n)


def changes(params: Sequence[Ranged], point: Sequence[float]) -> dict[str, Any]:
    """The values a point of the unit cube stands for, by key path."""
    return {p.key: p.at(u) for p, u in zip(params, point, strict=True)}


def headline(scenario: Scenario, tables: Tables, replications: int) -> Row:
    """Per destination: pooled p50, p90 and mean days with their replication noise (bootstrap SD), the share of
    containers started in the window delivered inside the published band, and the days of each section group."""
    c, row = tables["containers"], {}
    grouped = scenario.section_groups and len(tables["sections"])
    sections = analysis.section_means(tables["sections"]) if grouped else None
    bands = {b.destination: b for b in scenario.published}
    for dest in sorted({f.destination for f in scenario.demand.flows.values()}):
        mine = c[c["destination"].eq(dest)]
        m = analysis.measured(mine)
        days = m["transit_days"].to_numpy()
        draws = resamples(m, replications)
        for j, name in enumerate(("p50_days", "p90_days", "mean_days")):
            value = (np.percentile(days, (50, 90))[j] if j < 2 else days.mean()) if len(days) else np.nan
            row[f"{dest}:{name}"] = float(value)
            noise = draws[j][~np.isnan(draws[j])]
            row[f"{dest}:{name}{NOISE}"] = float(noise.std(ddof=1)) if len(noise) > 1 else np.nan
        if dest in bands:
            started = int(mine["measured"].sum())
            inside = ((days >= bands[dest].low / 24) & (days <= bands[dest].high / 24)).sum()
            row[f"{dest}:in_band_share"] = float(inside / started) if started else np.nan
        for group, members in scenario.section_groups.items():
            here = sections[sections["destination"].astype(str).eq(dest)] if sections is not None else None
            total = here.loc[here["section"].astype(str).isin(members), "days"].sum() if here is not None else 0.0
            row[f"{dest}:{group} days"] = float(total) if len(days) else np.nan
    return row


def evaluator(study: Study, params: Sequence[Ranged], unit: np.ndarray) -> Any:
    """Rows of sample indices: index < len(unit) is a point of the design, index len(unit) the base (the file)."""
    variants = dataclasses.replace(study, raw=without_ranges(study.raw))

    def evaluate(indices: Sequence[int]) -> list[Row]:
        scenarios = [
            study.base if i == len(unit) else variants.variant(changes(params, unit[i]), f"sample {i}") for i in indices
        ]
        expect, study.expect = study.expect, None  # the bar's total was set once for the whole study
        try:
            return study.evaluate(scenarios, lambda s, t: headline(s, t, study.replications))
        finally:
            study.expect = expect

    return evaluate


def study_key(study: Study, params: Sequence[Ranged], unit: np.ndarray, kind: str) -> str:
    """What the ledger's rows depend on: the scenario, ranges, design, seed, replications and simulator code."""
    from corridor_sim.cache import code_fingerprint
    from corridor_sim.loader import scenario_hash

    spec = [(p.key, p.low, p.high, p.unit, p.whole) for p in params]
    return fingerprint(kind, scenario_hash(study.base), spec, unit, study.seed, study.replications, code_fingerprint())


def run_points(study: Study, params: Sequence[Ranged], unit: np.ndarray, ledger: Ledger) -> tuple[pd.DataFrame, Row]:
    """The headline of every point (one row each, parameter values first) and of the base, streamed and resumable."""
    chunk = max(study.workers, CHUNK_REPLICATIONS // study.replications, 1)

    def expect(k: int) -> None:
        if study.expect:
            study.expect(k * study.replications)

    rows = run_design(len(unit) + 1, evaluator(study, params, unit), ledger, chunk, expect)
    *points, base = rows
    values = pd.DataFrame([changes(params, u) for u in unit], columns=[p.key for p in params]).astype(str)
    frame = pd.concat([pd.DataFrame({"sample": range(len(unit))}), values, pd.DataFrame(points)], axis=1)
    return frame, base


def summarise(samples: pd.DataFrame, base: Row, scenario: Scenario) -> pd.DataFrame:
    """One row per headline figure: its value at the file's figures, its spread over the ranges (percentiles over
    samples), the replication noise of one sample's figure, and the part of the spread the estimates make."""
    bands = {b.destination: b for b in scenario.published}
    rows = []
    for col in [c for c in samples.columns if ":" in c and not c.endswith(NOISE)]:
        values = samples[col].to_numpy(float)
        values = values[~np.isnan(values)]
        noise = samples.get(col + NOISE)
        noise_var = noise.to_numpy(float) ** 2 if noise is not None else np.array([np.nan])
        noise_sd = float(np.sqrt(np.nanmean(noise_var))) if not np.isnan(noise_var).all() else np.nan
        sd = float(values.std(ddof=1)) if len(values) > 1 and np.ptp(values) > 0 else 0.0  # equal values: exactly 0
        dest, kpi = col.split(":", 1)
        row = {
            "destination": dest,
            "kpi": kpi,
            "base": base.get(col, np.nan),
            "base_noise_sd": base.get(col + NOISE, np.nan),
            "samples": len(values),
            "mean": float(values.mean()) if len(values) else np.nan,
            **{f"p{q}": float(np.percentile(values, q)) if len(values) else np.nan for q in (5, 25, 50, 75, 95)},
            "sd": sd,
            "noise_sd": noise_sd,
            "parameter_sd": float(np.sqrt(max(sd**2 - (noise_sd if np.isfinite(noise_sd) else 0.0) ** 2, 0.0))),
        }
        if dest in bands and kpi in ("p50_days", "p90_days", "mean_days"):
            lo, hi = bands[dest].low / 24, bands[dest].high / 24
            row["band_low"], row["band_high"] = lo, hi
            row["share_of_samples_in_band"] = float(((values >= lo) & (values <= hi)).mean()) if len(values) else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def ledger_path(out: Path, key: str) -> Path:
    """Beside the results directory (which appears only when complete), so an interrupted study can resume."""
    return out.parent / ".ledgers" / f"{key}.jsonl"


def parameters_table(params: Sequence[Ranged]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"parameter": p.key, "value": p.value, "low": p.low, "high": p.high, "unit": p.unit, "whole": p.whole}
         for p in params]
    )  # fmt: skip


def propagate(
    study: Study, out: Path, n: int, method: Design = "lhs", seed: int | None = None, keys: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run `n` parameter sets drawn over the ranges (and the file's own figures) and write the results directory:
    `samples.csv` (one row per set: its values and headline), `uncertainty.csv` (the summary), `parameters.csv`,
    `headline.png`. Finished sets are kept in a ledger beside `out` until the directory is written."""
    from corridor_sim.plots.uncertainty import headline as plot
    from corridor_sim.tuning.evaluate import write_results

    params = parameters(study, keys)
    seed = study.seed if seed is None else seed
    unit = design(method, n, len(params), seed)
    key = study_key(study, params, unit, f"uncertainty-{method}")
    ledger = Ledger(ledger_path(out, key), key)
    samples, base = run_points(study, params, unit, ledger)
    summary = summarise(samples, base, study.base)
    title = (
        f"{study.base.name}: {n} parameter sets ({method}, seed {seed}) over {len(params)} ranges, "
        f"{study.replications} replications each (seed {study.seed}, common random numbers)"
    )
    meta = study.meta("uncertainty", samples=n, design=method, design_seed=seed, parameters=len(params))
    frames = {"samples": samples, "uncertainty": summary, "parameters": parameters_table(params)}
    write_results(out, study, frames, meta, lambda d: plot(samples, summary, title, d / "headline.png"))
    ledger.remove()
    return samples, summary


BANDED = ("p50_days", "p90_days", "mean_days")  # the comparison table's figures that get a band over the ranges
BAND_SETS = "ranges_parameter_sets"  # the comparison table's column: how many parameter sets made each band


def comparison_band(study: Study, n: int, seed: int | None = None) -> pd.DataFrame | None:
    """Per destination, the 5th and 95th percentiles over `n` parameter sets (Latin hypercube over every range,
    each set on the study's replications and seed) of p50, p90 and mean days: the band `compare
    --uncertainty-samples` puts beside each scenario's replication CI. None if the scenario has no range."""
    if not any(not r.key.startswith(NOT_TRANSIT) for r in ranged(study.raw, study.base.provenance)):
        return None
    params = parameters(study)
    seed = study.seed if seed is None else seed
    samples, base = run_points(study, params, design("lhs", n, len(params), seed), Ledger(None, "compare"))
    rows = summarise(samples, base, study.base)
    rows = rows[rows["kpi"].isin(BANDED)]
    wide = rows.pivot(index="destination", columns="kpi", values=["p5", "p95"])
    wide.columns = [f"{kpi}_ranges_{q}" for q, kpi in wide.columns]
    wide[BAND_SETS] = n
    return wide.reset_index()


def scenario_bands(
    table: pd.DataFrame,
    paths: Sequence[Path],
    sets: Sequence[str],
    n: int,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    expect: Callable[[int], None] | None = None,
    max_events: float | None = None,
) -> tuple[pd.DataFrame, list[Path]]:
    """`compare --uncertainty-samples n`: the comparison `table` with the band of each scenario file (in the table's
    scenario order, loaded with the comparison's `sets`: its seed and replications), and the files without a range."""
    bands, unranged = [], []
    for path in paths:
        study = Study.load(path, sets, workers=workers, progress=progress, expect=expect)
        study.max_events = DEFAULT_MAX_EVENTS if max_events is None else max_events
        bands.append(comparison_band(study, n))
        if bands[-1] is None:
            unranged.append(Path(path))
    return with_bands(table, bands), unranged


def with_bands(table: pd.DataFrame, bands: Sequence[pd.DataFrame | None]) -> pd.DataFrame:
    """The comparison table with each scenario's band (`comparison_band`, in the table's scenario order) as new
    columns beside its CIs: `<figure>_ranges_p5` and `_p95`, empty for the all-destinations row and for a scenario
    without ranges. The table's own columns and rows are left as they were."""
    names = list(dict.fromkeys(table["scenario"]))
    parts = [b.assign(scenario=name) for name, b in zip(names, bands, strict=True) if b is not None]
    cols = [f"{k}_ranges_{q}" for k in BANDED for q in ("p5", "p95")] + [BAND_SETS]
    extra = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario", "destination", *cols])
    extra = extra.reindex(columns=["scenario", "destination", *cols])
    merged = table.merge(extra, on=["scenario", "destination"], how="left")
    return merged[[*table.columns, *cols]]
