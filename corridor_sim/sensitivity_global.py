"""Global sensitivity with SALib: a Morris screen of every ranged figure, then Sobol indices on the few that matter.

One-at-a-time changes around one point miss interactions and non-linear effects, which a saturated corridor is full
of. Morris elementary effects (a few trajectories through the whole range of every figure) rank many parameters
cheaply; Sobol first-order (S1) and total (ST) indices, from a Saltelli design, split the headline's variance over
the ranges between parameters, ST − S1 being the share a parameter makes only together with others. Both work on the
unit cube: a parameter at position u of its range (`Ranged.at`), so an effect reads as days per whole range.
Intervals are SALib's bootstrap intervals (95 %), seeded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim.errors import ScenarioError
from corridor_sim.ranges import Ranged
from corridor_sim.tuning.evaluate import Study

BOOTSTRAP = 200


def problem(names: Sequence[str]) -> dict:
    """SALib's problem: every parameter on [0, 1], its position in its range. The names are an array: SALib 1.5.0-1.5.1
    pass them to `pd.unique`, which pandas 3 refuses for a list."""
    return {"num_vars": len(names), "names": np.array(list(names), dtype=object), "bounds": [[0.0, 1.0]] * len(names)}


def morris_design(params: Sequence[Ranged], trajectories: int, levels: int, seed: int) -> np.ndarray:
    """`trajectories` × (parameters + 1) points: each trajectory moves one parameter at a time across the grid."""
    from SALib.sample import morris

    if trajectories < 2:
        raise ScenarioError("must be at least 2", key="--trajectories")
    if levels < 2 or levels % 2:
        raise ScenarioError("must be an even number of at least 2", key="--levels")
    return morris.sample(problem([p.key for p in params]), trajectories, num_levels=levels, seed=seed)


def sobol_design(params: Sequence[Ranged], n: int, seed: int) -> np.ndarray:
    """n × (parameters + 2) points of a Saltelli design (first-order and total indices; n a power of two)."""
    from SALib.sample import sobol

    if n < 2 or n & (n - 1):
        raise ScenarioError("must be a power of two of at least 2 (Sobol sequences balance at powers of two)", "--n")
    return sobol.sample(problem([p.key for p in params]), n, calc_second_order=False, seed=seed)


def _outputs(samples: pd.DataFrame, kpis: Sequence[str]) -> dict[str, np.ndarray]:
    out = {}
    for kpi in kpis:
        y = samples[kpi].to_numpy(float)
        if np.isnan(y).any():  # no container delivered to that destination in some parameter sets
            continue
        out[kpi] = y
    return out


def morris_indices(
    params: Sequence[Ranged], unit: np.ndarray, samples: pd.DataFrame, kpis: Sequence[str], levels: int, seed: int
) -> pd.DataFrame:
    """Per figure and parameter: μ* (mean absolute elementary effect, per whole range) with its interval, μ and σ
    (σ large against μ*: a non-linear effect or one that depends on other parameters)."""
    from SALib.analyze import morris

    rows = []
    for kpi, y in _outputs(samples, kpis).items():
        prob = problem([p.key for p in params])  # afresh each time: SALib adds `groups` to it, then trips on them
        res = morris.analyze(prob, unit, y, num_resamples=BOOTSTRAP, num_levels=levels, seed=seed)
        rows += _index_rows(kpi, params, res, ("mu_star", "mu_star_conf", "mu", "sigma"))
    return _ranked(pd.DataFrame(rows), "mu_star")


def sobol_indices(params: Sequence[Ranged], samples: pd.DataFrame, kpis: Sequence[str], seed: int) -> pd.DataFrame:
    """Per figure and parameter: S1 and ST with their intervals, and ST − S1 (the part made through interactions)."""
    from SALib.analyze import sobol

    rows = []
    for kpi, y in _outputs(samples, kpis).items():
        prob = problem([p.key for p in params])  # afresh each time: SALib adds `groups` to it
        if np.ptp(y) == 0:  # no variance to share out: every index is zero
            res = {k: np.zeros(len(params)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol.analyze(prob, y, calc_second_order=False, num_resamples=BOOTSTRAP, seed=seed)
        rows += _index_rows(kpi, params, res, ("S1", "S1_conf", "ST", "ST_conf"))
    table = pd.DataFrame(rows)
    if len(table):
        table = table.assign(interaction=table["ST"] - table["S1"])  # the part made through interactions
    return _ranked(table, "ST")


def _index_rows(kpi: str, params: Sequence[Ranged], res: Mapping[str, Any], names: Sequence[str]) -> list[dict]:
    """One row per parameter: the figure, the parameter and SALib's `names` indices for it."""
    return [{"kpi": kpi, "parameter": p.key, **{n: float(res[n][i]) for n in names}} for i, p in enumerate(params)]


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    if table.empty:
        return table
    order = table.groupby("kpi", sort=False)[by].rank(ascending=False, method="first").astype(int)
    return table.assign(rank=order).sort_values(["kpi", "rank"], kind="stable").reset_index(drop=True)


def top(screen: pd.DataFrame, kpi: str, k: int) -> list[str]:
    """The `k` parameters with the largest μ* for `kpi` in a Morris screen."""
    mine = screen[screen["kpi"].eq(kpi)]
    if mine.empty:
        raise ScenarioError(f"the screen has no figure {kpi!r}", key="--kpi")
    return mine.sort_values("mu_star", ascending=False, kind="stable")["parameter"].head(k).tolist()


def run_gsa(
    study: Study,
    out: Path,
    method: str,
    *,
    size: int,
    levels: int = 4,
    seed: int | None = None,
    keys: Sequence[str] | None = None,
    kpi: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """A Morris screen (`size` trajectories) or a Sobol study (base sample `size`) over the ranges, streamed and
    resumable like an uncertainty study; writes `gsa.csv` (indices of every headline figure), `samples.csv`,
    `parameters.csv` and the ranking plot of `kpi`. Returns the indices and the figure plotted."""
    from corridor_sim.ledger import Ledger
    from corridor_sim.plots.uncertainty import ranking
    from corridor_sim.tuning.evaluate import write_results
    from corridor_sim.uncertainty import ledger_path, parameters, parameters_table, run_points, study_key

    params = parameters(study, keys)
    if method == "sobol" and len(params) < 2:
        raise ScenarioError("Sobol indices need at least two parameters", key="--params")
    seed = study.seed if seed is None else seed
    unit = sobol_design(params, size, seed) if method == "sobol" else morris_design(params, size, levels, seed)
    key = study_key(study, params, unit, f"gsa-{method}-{levels}")
    ledger = Ledger(ledger_path(out, key), key)
    samples, _ = run_points(study, params, unit, ledger)
    kpis = [c for c in samples.columns if ":" in c and not c.endswith("_noise_sd")]
    kpi = kpi or default_kpi(study, kpis)
    if kpi not in kpis:
        raise ScenarioError(f"no such figure (one of: {', '.join(kpis)})", key="--kpi")
    if method == "sobol":
        table = sobol_indices(params, samples, kpis, seed)
    else:
        table = morris_indices(params, unit, samples, kpis, levels, seed)
    title = (
        f"{study.base.name}: {method} over {len(params)} ranges, {len(unit)} parameter sets (seed {seed}), "
        f"{study.replications} replications each"
    )
    meta = study.meta("gsa", method=method, size=size, levels=levels, design_seed=seed, runs=len(unit), kpi=kpi)
    frames = {"gsa": table, "samples": samples, "parameters": parameters_table(params)}
    write_results(out, study, frames, meta, lambda d: ranking(table, kpi, title, d))
    ledger.remove()
    return table, kpi


def default_kpi(study: Study, kpis: Sequence[str]) -> str:
    """The study destination's p50 (the first published band's), else the first figure."""
    wanted = f"{study.destination}:p50_days"
    return wanted if wanted in kpis else kpis[0]
