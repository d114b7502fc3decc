"""One `run`: replications of a scenario written as a new workspace (tables, summary, resolved scenario, plot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from corridor_sim import __version__, analysis, costs
from corridor_sim.experiment import run_replications
from corridor_sim.network import CorridorNetwork, build_network
from corridor_sim.schema import Scenario
from corridor_sim.workspace import routes_table, staged, write_json, write_resolved, write_tables


def bands_table(scenario: Scenario) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": scenario.name,
                "destination": b.destination,
                "label": b.label,
                "low_days": b.low / 24,
                "high_days": b.high / 24,
            }
            for b in scenario.published
        ],
        columns=["scenario", "destination", "label", "low_days", "high_days"],
    )


def section_bands_table(scenario: Scenario) -> pd.DataFrame:
    """The published durations of section groups, with the group's sections (";"-joined) so a plot needs no scenario."""
    return pd.DataFrame(
        [
            {
                "scenario": scenario.name,
                "group": b.group,
                "destination": b.destination,
                "sections": ";".join(scenario.section_groups[b.group]),
                "label": b.label,
                "low_days": b.low / 24,
                "high_days": b.high / 24,
            }
            for b in scenario.published_sections
        ],
        columns=["scenario", "group", "destination", "sections", "label", "low_days", "high_days"],
    )


def scenarios_section_bands(names: Sequence[str], scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """The published section-group durations of several scenarios side by side, each row under its scenario's name
    (a comparison's section chart brackets them)."""
    return pd.concat(
        [section_bands_table(s).assign(scenario=n) for n, s in zip(names, scenarios, strict=True)], ignore_index=True
    )


def promises(scenario: Scenario, days: float | None = None) -> dict[str, float]:
    """The promise each destination is held to: `days` (`--promise`: the same for every destination and every
    scenario of a comparison, so their shares compare directly), else the upper end of the scenario's own published
    band for it (the `promise_days` figures say which)."""
    destinations = sorted({f.destination for f in scenario.demand.flows.values()})
    return analysis.promises([(b.destination, b.high / 24) for b in scenario.published], destinations, days)


def summarise(
    scenario: Scenario,
    tables: dict[str, pd.DataFrame],
    replications: int,
    seed: int,
    digest: str,
    promise: dict[str, float] | None = None,
) -> dict[str, Any]:
    """What `summary.json` holds: counts are totals over all replications; transit figures as `analysis.STATISTIC`."""
    sim = scenario.simulation
    window = (sim.warmup / 24, sim.duration / 24)
    return {
        "scenario": scenario.name,
        "seed": seed,
        "replications": replications,
        "version": __version__,
        "scenario_hash": digest,
        "window_days": list(window),
        "containers_total": analysis.counts(tables["containers"]),
        "throughput_teu_per_day": analysis.throughput_teu_per_day(
            tables["containers"], window, sim.teu_per_container, replications
        ),
        "statistic": analysis.STATISTIC,
        "transit_days": analysis.transit_summary(tables["containers"], promise=promise),
        **_accounting(scenario, tables["containers"]),
    }


def _accounting(scenario: Scenario, containers: pd.DataFrame) -> dict[str, Any]:
    """Price, generalised cost and CO2e per destination and what they rest on, when the scenario gives them."""
    basis = costs.describe(scenario)
    if not basis:
        return {}
    return {"costs": analysis.accounting_summary(containers), "cost_basis": basis}


def write_run(
    directory: Path,
    scenario: Scenario,
    network: CorridorNetwork,
    tables: dict[str, pd.DataFrame],
    replications: int,
    seed: int,
    promise: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Write one run's workspace into `directory` (already staged); returns the summary.

    `promise`: promised transit days per destination (default: each published band's upper end).
    """
    from corridor_sim.plots import save, transit_distribution  # matplotlib only when a run writes its plot

    directory.mkdir(parents=True, exist_ok=True)
    digest = write_resolved(directory, scenario)
    promise = promises(scenario, None) if promise is None else promise
    tables = {
        **tables,
        "routes": routes_table(scenario, network),
        "published": bands_table(scenario),
        "published_sections": section_bands_table(scenario),
        "monthly": analysis.monthly(tables["containers"], scenario.simulation.start, promise),
    }
    # The CSV writer releases the GIL: the tables are written while the summary and plot are computed (a second
    # of a few dozen replications' tail); leaving the block waits for the writer, even on an error.
    with ThreadPoolExecutor(1) as writer:
        written = writer.submit(write_tables, directory, tables)
        summary = summarise(scenario, tables, replications, seed, digest, promise)
        write_json(directory / "summary.json", summary)
        title = f"{scenario.name}: transit time ({replications} replications, seed {seed})"
        save(transit_distribution(tables["containers"], tables["published"], title), directory / "transit.png")
        written.result()
    return summary


def execute_run(
    scenario: Scenario,
    out: Path,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    promise_days: float | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Simulate the scenario's replications and write the workspace atomically; returns its path and summary."""
    network = build_network(scenario)
    n, seed = scenario.simulation.replications, scenario.simulation.seed
    tables = run_replications(scenario, n, seed, workers, progress)
    with staged(out) as tmp:
        summary = write_run(tmp, scenario, network, tables, n, seed, promises(scenario, promise_days))
    return out, summary
