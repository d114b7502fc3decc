"""Scenario comparison on common random numbers: one table per scenario and destination, paired differences.

All scenarios run with the same seed and replication indices. Because every part of the model draws from its own
named stream, a part two scenarios share sees the same draws in both, so differences between scenarios reflect
the design change, not sampling noise; the paired differences per replication then give tight intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from corridor_sim import analysis
from corridor_sim.experiment import Tables, run_many
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario

METRICS = ("mean", "p50", "p90")


@dataclass
class Comparison:
    table: pd.DataFrame
    differences: pd.DataFrame
    section_means: pd.DataFrame
    tables: dict[str, Tables]


def unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    names: list[str] = []
    for s in scenarios:
        name, k = s.name, 1
        while name in names:
            k += 1
            name = f"{s.name}-{k}"
        names.append(name)
    return names


def _per_replication(containers: pd.DataFrame) -> pd.DataFrame:
    """Mean, p50 and p90 transit per (replication, destination), plus the all-destinations row."""
    m = analysis.measured(containers)

    def stats(g: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
        return pd.DataFrame({"mean": g.mean(), "p50": g.quantile(0.5), "p90": g.quantile(0.9)}).reset_index()

    # grouped apart and joined after: the row tables, not a copy of every container relabelled "(all)"
    overall = stats(m.groupby("replication", observed=True)["transit_days"]).assign(destination=analysis.ALL)
    each = stats(m.groupby(["destination", "replication"], observed=True)["transit_days"])
    each["destination"] = each["destination"].astype(str)
    both = pd.concat([overall, each], ignore_index=True)[["destination", "replication", "mean", "p50", "p90"]]
    return both.sort_values(["destination", "replication"], ignore_index=True)


def comparison_table(name: str, scenario: Scenario, tables: Tables) -> pd.DataFrame:
    """One row per destination (and all): percentiles, CIs, deliveries, throughput and days per section."""
    sim = scenario.simulation
    summary = analysis.transit_summary(tables["containers"])
    throughput = analysis.throughput_teu_per_day(
        tables["containers"], (sim.warmup / 24, sim.duration / 24), sim.teu_per_container
    )
    sections = analysis.section_means(tables["sections"])
    reps = tables["containers"]["replication"].nunique()
    rows = []
    for dest, s in summary.items():
        row = {"scenario": name, "destination": dest, "containers_delivered": s.get("containers", 0) / max(reps, 1)}
        for key in ("p10", "p50", "p90", "mean", "mean_ci_low", "mean_ci_high", "p50_ci_low", "p50_ci_high"):
            row[f"{key}_days" if not key.endswith(("low", "high")) else key] = s.get(key, np.nan)
        row["throughput_teu_per_day"] = throughput.get(dest, 0.0)
        if dest != analysis.ALL:
            sec = sections[sections["destination"].eq(dest)].set_index("section")["days"]
            for section, days in sec.items():
                row[f"days {section}"] = days
            for group, members in scenario.section_groups.items():
                row[f"days {group} (group)"] = float(sec.reindex(members).fillna(0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(reference: str, per_rep: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each scenario minus the reference, paired by replication (common random numbers), with 95% t-intervals."""
    ref = per_rep[reference].set_index(["destination", "replication"])
    rows = []
    for name, frame in per_rep.items():
        if name == reference:
            continue
        joined = frame.set_index(["destination", "replication"]).join(ref, rsuffix="_ref", how="inner")
        for dest, g in joined.groupby(level="destination", observed=True):
            for metric in METRICS:
                diff = (g[metric] - g[f"{metric}_ref"]).to_numpy()
                low, high = analysis.t_interval(diff)
                rows.append(
                    {
                        "scenario": name,
                        "reference": reference,
                        "destination": dest,
                        "metric": metric,
                        "difference_days": float(diff.mean()),
                        "ci_low": low,
                        "ci_high": high,
                        "replications": len(diff),
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "reference",
            "destination",
            "metric",
            "difference_days",
            "ci_low",
            "ci_high",
            "replications",
        ],
    )


def compare(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Run every scenario with the same seed and replications and tabulate the results side by side."""
    for s in scenarios:
        build_network(s)
    runs = run_many([(s, seed) for s in scenarios], replications=replications, workers=workers, progress=progress)
    return tabulate(scenarios, runs)


def tabulate(scenarios: Sequence[Scenario], runs: Sequence[Tables]) -> Comparison:
    """The comparison of runs already made (one Tables per scenario, same seed and replications): what `compare`
    writes, for callers that keep one run and remake the other (the live page of `corridor-sim serve`)."""
    names = unique_names(scenarios)
    tables = dict(zip(names, runs, strict=True))
    table = pd.concat(
        [comparison_table(n, s, tables[n]) for n, s in zip(names, scenarios, strict=True)], ignore_index=True
    )
    per_rep = {n: _per_replication(tables[n]["containers"]) for n in names}
    means = pd.concat(
        [analysis.section_means(tables[n]["sections"], by_state=True).assign(scenario=n) for n in names],
        ignore_index=True,
    )
    return Comparison(
        table=table, differences=paired_differences(names[0], per_rep), section_means=means, tables=tables
    )


def headline_destination(scenarios: Sequence[Scenario]) -> str | None:
    """The destination the published bands speak of (the first band of the first scenario that has one)."""
    for s in scenarios:
        if s.published:
            return s.published[0].destination
    return None


def _busiest_destination(table: pd.DataFrame) -> str | None:
    rows = table[table["destination"].ne(analysis.ALL)]
    if rows.empty:
        return None
    return str(rows.groupby("destination", observed=True)["containers_delivered"].sum().idxmax())


def format_table(table: pd.DataFrame) -> str:
    cols = [
        "scenario",
        "destination",
        "containers_delivered",
        "p10_days",
        "p50_days",
        "p90_days",
        "mean_days",
        "throughput_teu_per_day",
    ]
    groups = [c for c in table.columns if c.endswith("(group)")]
    view = table[cols + groups].rename(columns=lambda c: c.replace("_days", "").replace("days ", ""))
    return view.to_string(index=False, float_format=lambda v: f"{v:.1f}")


def write_comparison(
    directory: Path, result: Comparison, scenarios: Sequence[Scenario], replications: int, seed: int
) -> None:
    """The comparison files plus one ordinary run directory per scenario."""
    from corridor_sim import plots
    from corridor_sim.runner import bands_table, write_run
    from corridor_sim.workspace import safe_name

    names = unique_names(scenarios)
    for name, s in zip(names, scenarios, strict=True):
        write_run(directory / safe_name(name), s, build_network(s), result.tables[name], replications, seed)
    result.table.to_csv(directory / "comparison.csv", index=False, float_format="%.4g")
    result.differences.to_csv(directory / "differences.csv", index=False, float_format="%.4g")
    result.section_means.to_csv(directory / "section_means.csv", index=False, float_format="%.4g")
    bands = pd.concat(
        [bands_table(s).assign(scenario=n) for n, s in zip(names, scenarios, strict=True)], ignore_index=True
    )
    containers = {n: result.tables[n]["containers"] for n in names}
    dest = headline_destination(scenarios) or _busiest_destination(result.table)
    plots.save(plots.compare_distributions(containers, bands, dest), directory / "transit_compare.png")
    means = result.section_means[result.section_means["destination"].eq(dest)]
    table = means.groupby(["scenario", "section", "state"], as_index=False, sort=False, observed=True)["days"].sum()
    plots.save(plots.section_bars(table, title=f"Where the days go (to {dest})"), directory / "sections_compare.png")
