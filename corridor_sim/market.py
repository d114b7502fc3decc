"""A contested market: the corridors (scenario files) a shipper chooses between, and the volume they share.

A market file names, for each alternative, a scenario and the flows of it that carry the contested volume, the price
per TEU (until the scenario's own charges give one per container), and the logit's scale and the value of time. Each
evaluation of the equilibrium loop (`corridor_sim.choice`) sets those flows' `teu_per_year` to the alternative's share
of the market (split between its flows as in the file), simulates every alternative on common random numbers, and
reads each one's generalised cost off its containers. The other flows of a scenario keep their volume: they are the
background traffic the contested cargo queues with.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, ValidationError

from corridor_sim import choice
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import run_many
from corridor_sim.loader import load_scenario, read_yaml
from corridor_sim.provenance import unwrap
from corridor_sim.schema import Scenario, Source, Strict

Figure = Annotated[float, BeforeValidator(unwrap)]  # a number, or `{value: ..., source/estimate/note: ...}`
PRICE_COLUMNS = ("price_usd",)  # a per-container price column the scenario's own charges may give (per container)
MIN_SIMULATED_SHARE = 0.01  # an alternative offered less is simulated at this share, so its time stays known


class Alternative(Strict):
    scenario: str  # path, relative to the market file
    flows: list[str] = Field(min_length=1)
    # USD per TEU, door to door as far as the scenario reaches; leave it out to take the mean price of the contested
    # containers from the scenario's own charges (`costs:`), so one source of prices is used, never a silent mix
    price_per_teu: Figure | None = Field(None, ge=0)
    constant: Figure = 0.0  # alternative-specific cost per TEU the model does not explain (a logit ASC)
    observed_share: Figure | None = Field(None, gt=0, lt=1)  # the split seen in the data: where the loop starts
    # simulate at most this volume: the scenario is a sample of a lane whose days do not depend on it (ships far
    # from full), so a larger share changes no time and would only cost simulation
    sample_teu_per_year: Figure | None = Field(None, gt=0, le=1e9)


class Market(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    sources: dict[str, Source] = Field(default_factory=dict)
    teu_per_year: Figure = Field(gt=0, le=1e9)  # the contested volume, all alternatives together
    scale: Figure = Field(ge=0)  # logit scale, per USD per TEU
    value_of_time: Figure = Field(ge=0)  # USD per TEU-day
    reliability: Figure = Field(0.0, ge=0)  # USD per TEU per day of p90 - p50
    tolerance: float = Field(0.01, gt=0, lt=1)
    max_iterations: int = Field(15, ge=1, le=200)
    damping: float = Field(0.5, ge=0, lt=1)
    alternatives: dict[str, Alternative] = Field(min_length=2)


@dataclass
class Loaded:
    market: Market
    path: Path
    files: dict[str, Path]  # each alternative's scenario file
    scenarios: dict[str, Scenario]  # as written (their own volumes: the starting split)
    sets: list[str]  # overrides every evaluation applies to every alternative (seed, replications, --set)


def load_market(path: Path, sets: Sequence[str] = (), use: Sequence[str] = ()) -> Loaded:
    """Read and check a market file and its scenarios; `use` replaces alternatives' scenarios (`NAME=FILE`)."""
    path = Path(path)
    raw = read_yaml(path)
    try:
        market = Market.model_validate(raw)
        _sources_listed(raw, set(market.sources))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ScenarioError(err["msg"], key=".".join(str(p) for p in err["loc"]), file=str(path)) from None
    except ScenarioError as exc:
        raise exc.with_file(str(path)) from None
    files = {name: path.parent / alt.scenario for name, alt in market.alternatives.items()}
    for item in use:
        name, _, file = item.partition("=")
        if name not in files or not file:
            raise ScenarioError(f"expected NAME=FILE with NAME one of {', '.join(files)}, got {item!r}", file="--use")
        files[name] = Path(file)
    scenarios = {name: load_scenario(file, sets) for name, file in files.items()}
    for name, alt in market.alternatives.items():
        s = scenarios[name]
        if alt.price_per_teu is None and getattr(s, "costs", None) is None:
            raise ScenarioError(
                f"no price_per_teu, and scenario {files[name]} has no charges (costs:) to price its containers",
                key=f"alternatives.{name}.price_per_teu",
                file=str(path),
            )
        for i, flow in enumerate(alt.flows):
            key = f"alternatives.{name}.flows.{i}"
            if flow not in s.demand.flows:
                raise ScenarioError(f"scenario {files[name]} has no flow {flow!r}", key=key, file=str(path))
            if any(k.startswith(f"demand.flows.{flow}.") for c in s.changes for k in c.set):
                raise ScenarioError(f"a dated change of {files[name]} sets this flow's volume", key=key, file=str(path))
    return Loaded(market, path, files, scenarios, [*sets])


def _sources_listed(data: Any, known: set[str], key: str = "") -> None:
    """Every `source:` id a figure names is listed under `sources:` (as in a scenario)."""
    if isinstance(data, dict):
        source = data.get("source")
        if isinstance(source, str) and key and source not in known:
            raise ScenarioError(f"names source {source!r}, not listed in `sources`", key=key)
        for k, v in data.items():
            if k != "sources":
                _sources_listed(v, known, f"{key}.{k}" if key else str(k))


def flow_teu(scenario: Scenario, flow: str) -> float:
    """A flow's yearly TEU as written (volume given in trains per week converted)."""
    f = scenario.demand.flows[flow]
    if f.teu_per_year is not None:
        return f.teu_per_year
    return f.trains_per_week * 52 * f.containers_per_train * scenario.simulation.teu_per_container


def starting_shares(loaded: Loaded) -> dict[str, float]:
    """The observed split if the market file gives one, else the scenarios' own volumes of the contested flows."""
    alts = loaded.market.alternatives
    if all(a.observed_share is not None for a in alts.values()):
        return {n: a.observed_share for n, a in alts.items()}
    return {
        n: sum(flow_teu(loaded.scenarios[n], f) for f in alt.flows) for n, alt in loaded.market.alternatives.items()
    }


def simulated_teu(market: Market, name: str, share: float) -> float:
    """The volume an alternative is simulated with: its share (at least `MIN_SIMULATED_SHARE`), capped at its sample."""
    teu = max(share, MIN_SIMULATED_SHARE) * market.teu_per_year
    cap = market.alternatives[name].sample_teu_per_year
    return min(teu, cap) if cap is not None else teu


def volume_sets(loaded: Loaded, name: str, share: float) -> list[str]:
    """`--set` overrides giving alternative `name` its share of the market, split between its flows as written."""
    alt, scenario = loaded.market.alternatives[name], loaded.scenarios[name]
    teu = simulated_teu(loaded.market, name, share)
    weights = np.array([flow_teu(scenario, f) for f in alt.flows], float)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1 / len(weights))
    out = []
    for flow, w in zip(alt.flows, weights, strict=True):
        out += [f"demand.flows.{flow}.teu_per_year={teu * w:.6g}", f"demand.flows.{flow}.trains_per_week=null"]
    return out


def contested_days(containers: pd.DataFrame, scenario: Scenario, flows: Sequence[str]) -> tuple[np.ndarray, int]:
    """Transit days of the contested flows' measured containers, and how many were still in flight at the end.

    A container still in flight counts with its age at the end of the run (a lower bound): dropping it would make a
    saturated corridor look fast exactly when it is slowest, and attract more cargo to it."""
    m = containers[containers["measured"] & containers["flow"].astype(str).isin(list(flows))]
    end = (scenario.simulation.duration + scenario.simulation.cooldown) / 24
    delivered = m["status"].eq("delivered")
    days = np.where(delivered, m["transit_days"].to_numpy(float), end - m["start_day"].to_numpy(float))
    return days, int((~delivered).sum())


def price_per_teu(containers: pd.DataFrame, scenario: Scenario, flows: Sequence[str], given: float | None) -> tuple:
    """The market file's price per TEU if it gives one, else the mean over the contested containers' own charges."""
    if given is not None:
        return given, "market file"
    for column in PRICE_COLUMNS:
        if column in containers.columns:
            m = containers[containers["measured"] & containers["flow"].astype(str).isin(list(flows))]
            values = m[column].dropna()  # in flight, or a scenario without charges: no price
            if len(values):
                return float(values.mean()) / scenario.simulation.teu_per_container, "scenario charges"
    raise ScenarioError(
        f"no price: the market file gives no price_per_teu and scenario {scenario.name!r} no charges (costs:)",
        key="price_per_teu",
    )


@dataclass
class Solution:
    scale: float
    table: pd.DataFrame  # one row per iteration and alternative
    converged: bool
    message: str
    seconds: list[float]  # per iteration (one simulation of every alternative: one `compare`)


class Evaluator:
    """One evaluation of the loop: every alternative simulated at its share on common random numbers, and its
    generalised cost read off the contested flows' containers; each evaluation leaves its rows and its time."""

    def __init__(self, loaded: Loaded, scale: float, replications: int, seed: int, progress=None) -> None:
        self.loaded, self.scale, self.replications, self.seed, self.progress = (
            loaded,
            scale,
            replications,
            seed,
            progress,
        )
        self.weights = choice.CostWeights(loaded.market.value_of_time, loaded.market.reliability)
        self.rows: list[dict[str, Any]] = []
        self.seconds: list[float] = []

    def __call__(self, shares: dict[str, float]) -> dict[str, float]:
        t0, loaded = time.perf_counter(), self.loaded
        scenarios = {
            n: load_scenario(loaded.files[n], [*loaded.sets, *volume_sets(loaded, n, shares[n])]) for n in shares
        }
        runs = run_many(
            [(s, self.seed) for s in scenarios.values()], replications=self.replications, progress=self.progress
        )
        costs = {}
        for (name, s), tables in zip(scenarios.items(), runs, strict=True):
            costs[name] = self._row(name, s, tables["containers"], shares[name])
        self.seconds.append(time.perf_counter() - t0)
        return costs

    def _row(self, name: str, scenario: Scenario, containers: pd.DataFrame, share: float) -> float:
        market, alt = self.loaded.market, self.loaded.market.alternatives[name]
        days, in_flight = contested_days(containers, scenario, alt.flows)
        price, price_from = price_per_teu(containers, scenario, alt.flows, alt.price_per_teu)
        cost = choice.generalised_cost(days, price, self.weights)
        p10, p50, p90 = np.percentile(days, [10, 50, 90]) if len(days) else (np.nan,) * 3
        self.rows.append(
            {
                "scale": self.scale,
                "iteration": len(self.seconds) + 1,
                "alternative": name,
                "scenario": scenario.name,
                "offered_share": share,
                "offered_teu_per_year": share * market.teu_per_year,
                "simulated_teu_per_year": simulated_teu(market, name, share),
                "containers": len(days),
                "in_flight": in_flight,
                "mean_days": float(np.mean(days)) if len(days) else np.nan,
                "p10_days": p10,
                "p50_days": p50,
                "p90_days": p90,
                "price_per_teu": price,
                "price_from": price_from,
                "value_of_time": market.value_of_time,
                "generalised_cost_per_teu": cost,
                "constant_per_teu": alt.constant,
            }
        )
        return cost


def solve(
    loaded: Loaded,
    scale: float,
    replications: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Solution:
    """The equilibrium at one logit scale; a loop that does not converge is returned marked, not raised."""
    market = loaded.market
    evaluate = Evaluator(loaded, scale, replications, seed, progress)
    constants = {n: a.constant for n, a in market.alternatives.items()}
    options = {"tolerance": market.tolerance, "max_iterations": market.max_iterations, "damping": market.damping}
    try:
        history = choice.equilibrium(evaluate, starting_shares(loaded), scale, constants=constants, **options).history
        converged, message = True, ""
    except choice.NotConverged as exc:
        history, converged, message = exc.history, False, str(exc)
    table = pd.DataFrame(evaluate.rows)
    table["logit_share"] = [it.target[r] for it in history for r in it.shares]
    table["residual"] = [it.residual for it in history for _ in it.shares]
    return Solution(scale, table, converged, message, evaluate.seconds)


def calibrate_constants(
    loaded: Loaded, scale: float, replications: int, seed: int, progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Alternative-specific constants that make the logit return the observed split when every alternative carries
    its observed share: k_i = -ln(s_i) / scale - c_i (the first alternative's set to 0; only differences matter).

    What the model does not explain (service, habit, sanctions risk) is then held fixed while a project changes a
    corridor's times: the usual way to ask a calibrated logit "what would this attract?"."""
    alts = loaded.market.alternatives
    if scale <= 0 or any(a.observed_share is None for a in alts.values()):
        raise ScenarioError("needs a positive scale and an observed_share for every alternative", key="alternatives")
    observed = starting_shares(loaded)
    total = sum(observed.values())
    evaluate = Evaluator(loaded, scale, replications, seed, progress)
    costs = evaluate({n: v / total for n, v in observed.items()})
    raw = {n: -np.log(observed[n] / total) / scale - costs[n] for n in alts}
    first = raw[next(iter(alts))]
    table = pd.DataFrame(evaluate.rows)
    table["constant_per_teu"] = [raw[n] - first for n in table["alternative"]]
    return table


def parse_scales(text: str | None, market: Market) -> list[float]:
    """`--scale 0.001,0.002`: the logit scales to solve at (default: the market file's)."""
    if text is None:
        return [market.scale]
    try:
        scales = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(f"expected numbers separated by commas, got {text!r}", file="--scale") from None
    if not scales or any(not np.isfinite(v) or v < 0 for v in scales):
        raise ScenarioError(f"scales must be finite and not negative, got {text!r}", file="--scale")
    return scales


def final_shares(solutions: Sequence[Solution]) -> pd.DataFrame:
    """The last iteration of each scale: the equilibrium (or where a failed loop stopped), one row per alternative."""
    parts = []
    for sol in solutions:
        last = sol.table[sol.table["iteration"].eq(sol.table["iteration"].max())]
        parts.append(last.assign(converged=sol.converged, iterations=len(sol.seconds)))
    return pd.concat(parts, ignore_index=True)


def write_equilibrium(directory: Path, loaded: Loaded, solutions: Sequence[Solution], replications: int, seed: int):
    """`equilibrium.csv` (every iteration), `shares.csv` (the last of each scale), `study.json`, the market file as
    read (its figures keep their sources) and the time-cost plane of each scale's last iteration."""
    import json

    from corridor_sim import plots
    from corridor_sim.plots.time_cost import time_cost_plane
    from corridor_sim.workspace import write_tables

    shares = final_shares(solutions)
    write_tables(directory, {"equilibrium": pd.concat([s.table for s in solutions]), "shares": shares})
    (directory / "market.yaml").write_text(loaded.path.read_text(encoding="utf-8"), encoding="utf-8")
    study = {
        "command": "choice",
        "market": loaded.market.name,
        "market_file": str(loaded.path),
        "scenarios": {n: str(f) for n, f in loaded.files.items()},
        "replications": replications,
        "seed": seed,
        "teu_per_year": loaded.market.teu_per_year,
        "value_of_time": loaded.market.value_of_time,
        "reliability": loaded.market.reliability,
        "tolerance": loaded.market.tolerance,
        "damping": loaded.market.damping,
        "solutions": [
            {
                "scale": s.scale,
                "converged": s.converged,
                "iterations": len(s.seconds),
                "residual": float(s.table["residual"].iloc[-1]),
                "seconds": round(sum(s.seconds), 3),
                "seconds_per_iteration": round(sum(s.seconds) / len(s.seconds), 3),
                "message": s.message,
            }
            for s in solutions
        ],
    }
    (directory / "study.json").write_text(json.dumps(study, indent=2) + "\n", encoding="utf-8")
    for s in solutions:
        rows = shares[shares["scale"].eq(s.scale)]
        state = "equilibrium" if s.converged else "NOT converged"
        title = f"{loaded.market.name}: corridors on the time-cost plane ({state}, scale {s.scale:g} per USD)"
        fig = time_cost_plane(rows, title, value_of_time=loaded.market.value_of_time)
        name = "time_cost.png" if len(solutions) == 1 else f"time_cost_scale_{s.scale:g}.png"
        plots.save(fig, directory / name)
