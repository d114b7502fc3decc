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
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import Tables, run_many
from corridor_sim.network import build_network
from corridor_sim.runner import promises
from corridor_sim.schema import Scenario
from corridor_sim.workspace import write_tables

METRICS = {"mean": -1, "p50": 0, "p90": 1}  # row of `analysis.resample` holding each metric
QS = (50, 90)


@dataclass
class Comparison:
    table: pd.DataFrame
    differences: pd.DataFrame
    section_means: pd.DataFrame
    monthly: pd.DataFrame
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


def comparison_table(
    name: str, scenario: Scenario, tables: Tables, replications: int, promise: dict[str, float]
) -> pd.DataFrame:
    """One row per destination (and all): the central figures with CIs, deliveries, throughput, mean days per section.

    The section columns are means per container (pooled like `mean_days`), so a destination's sections add up to
    its `mean_days`.
    """
    sim = scenario.simulation
    summary = analysis.transit_summary(tables["containers"], promise=promise)
    throughput = analysis.throughput_teu_per_day(
        tables["containers"], (sim.warmup / 24, sim.duration / 24), sim.teu_per_container, replications
    )
    sections = analysis.section_means(tables["sections"])
    money = analysis.accounting_summary(tables["containers"])
    rows = []
    for dest, s in summary.items():
        n = s.get("containers_total", 0)
        row: dict[str, object] = {
            "scenario": name,
            "destination": dest,
            "replications": replications,
            "containers_delivered_total": n,
            "containers_delivered_per_replication": n / replications,
        }
        for key in ("p10", "p50", "p90", "p95", "mean"):
            row[f"{key}_days"] = s.get(key, np.nan)
            if key in ("p50", "p90", "mean"):
                row[f"{key}_ci_low"], row[f"{key}_ci_high"] = s.get(f"{key}_ci_low", np.nan), s.get(f"{key}_ci_high")
        row["sd_days"] = s.get("sd", np.nan)
        row["buffer_days"] = s.get("buffer_days", np.nan)
        for col in analysis.ACCOUNTING:
            for stat in ("mean", "p50", "p90"):
                row[f"{col}_{stat}"] = money.get(dest, {}).get(col, {}).get(stat, np.nan)
        row["promise_days"] = s.get("promise_days", np.nan)
        row["within_promise_share"] = s.get("within_promise_share", np.nan)
        row["throughput_teu_per_day"] = throughput.get(dest, 0.0)
        if dest != analysis.ALL:
            sec = sections[sections["destination"].eq(dest)].set_index("section")["days"]
            for section, days in sec.items():
                row[f"mean_days {section}"] = days
            for group, members in scenario.section_groups.items():
                row[f"mean_days {group} (group)"] = float(sec.reindex(members).fillna(0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _ordered_columns(table: pd.DataFrame, scenarios: Sequence[Scenario], networks: Sequence) -> list[str]:
    """The table's columns with the section columns in the order containers meet them (along the longest route
    first, then along each other route), section groups last."""
    from corridor_sim.workspace import routes_table

    order: list[str] = []
    for s, net in zip(scenarios, networks, strict=True):
        routes = routes_table(s, net)
        longest = routes.groupby("flow", sort=False)["km_end"].max().sort_values(ascending=False, kind="stable")
        for flow in longest.index:
            rows = routes[routes["flow"].eq(flow)].sort_values("seq")
            order += [str(x) for x in rows["section"] if str(x) not in order]
    rank = {section: i for i, section in enumerate(order)}
    sections = [c for c in table.columns if c.startswith("mean_days ") and not c.endswith("(group)")]
    groups = [c for c in table.columns if c.endswith("(group)")]
    ordered = sorted(sections, key=lambda c: rank.get(c.removeprefix("mean_days "), len(rank)))
    return [c for c in table.columns if c not in sections and c not in groups] + ordered + groups


def resamples(containers: pd.DataFrame, replications: Sequence[int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per destination (and all): the full-sample p50, p90, mean and their bootstrap resamples over `replications`.

    Every scenario is resampled with the same seed and the same replication list, so resample j picks the same
    replications in each: the difference of two scenarios' resample j is one paired bootstrap draw.
    """
    m = analysis.measured(containers)
    frames = [(analysis.ALL, m)] + [(str(d), g) for d, g in m.groupby("destination", observed=True)]
    out = {}
    for dest, frame in frames:
        groups = analysis.replication_groups(frame, replications)
        days = frame["transit_days"].to_numpy()  # every row, so the point is the table's figure whatever `replications`
        point = np.array([*np.percentile(days, QS), days.mean()]) if len(days) else np.full(len(QS) + 1, np.nan)
        out[dest] = (point, analysis.resample(groups, QS))
    return out


def pairs(names: Sequence[str], reference: str | None) -> list[tuple[str, str]]:
    """(reference, scenario) pairs: every scenario against `reference`, or every pair, later minus earlier."""
    if reference is not None:
        if reference not in names:
            raise ScenarioError(f"not a scenario of this comparison (names: {', '.join(names)})", key="--reference")
        return [(reference, n) for n in names if n != reference]
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]


def paired_differences(
    draws: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], pairs: Sequence[tuple[str, str]], replications: int
) -> pd.DataFrame:
    """Scenario minus reference of the central figures (pooled p50, p90, mean), with paired-bootstrap 95% CIs.

    `difference_days` is exactly `scenario_days - reference_days`, the two figures of the comparison table.
    """
    rows = []
    for reference, name in pairs:
        ref, other = draws[reference], draws[name]
        for dest in [d for d in other if d in ref]:
            for metric, i in METRICS.items():
                a, b = ref[dest][0][i], other[dest][0][i]
                low, high = analysis.interval(other[dest][1][i] - ref[dest][1][i])
                rows.append(
                    {
                        "scenario": name,
                        "reference": reference,
                        "destination": dest,
                        "metric": metric,
                        "scenario_days": b,
                        "reference_days": a,
                        "difference_days": b - a,
                        "ci_low": low,
                        "ci_high": high,
                        "replications": replications,
                    }
                )
    columns = ["scenario", "reference", "destination", "metric", "scenario_days", "reference_days"]
    return pd.DataFrame(rows, columns=[*columns, "difference_days", "ci_low", "ci_high", "replications"])


def compare(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    reference: str | None = None,
    promise_days: float | None = None,
) -> Comparison:
    """Run every scenario with the same seed and replications and tabulate the results side by side.

    Differences: every pair (later minus earlier, in the order given), or each scenario minus `reference`.
    """
    pairs(unique_names(scenarios), reference)  # a bad --reference is refused before anything runs
    for s in scenarios:
        build_network(s)
    runs = run_many([(s, seed) for s in scenarios], replications=replications, workers=workers, progress=progress)
    return tabulate(scenarios, runs, replications, reference, promise_days)


@dataclass
class Part:
    """What a comparison needs of one run, computed once: the live page keeps the unchanged scenario's."""

    table: pd.DataFrame  # its rows of the comparison table
    draws: dict[str, tuple[np.ndarray, np.ndarray]]  # `resamples` of its containers
    means: pd.DataFrame  # section means by state
    monthly: pd.DataFrame | None


def part(
    name: str, scenario: Scenario, tables: Tables, replications: int, promise: dict[str, float], by_month: bool = True
) -> Part:
    return Part(
        comparison_table(name, scenario, tables, replications, promise),
        resamples(tables["containers"], range(replications)),
        analysis.section_means(tables["sections"], by_state=True).assign(scenario=name),
        analysis.monthly(tables["containers"], scenario.simulation.start, promise).assign(scenario=name)
        if by_month
        else None,
    )


def tabulate(
    scenarios: Sequence[Scenario],
    runs: Sequence[Tables],
    replications: int | None = None,
    reference: str | None = None,
    promise_days: float | None = None,
    by_month: bool = True,
    known: dict[int, Part] | None = None,
) -> Comparison:
    """The comparison of runs already made (one Tables per scenario, same seed and replications): what `compare`
    writes, for callers that keep one run and remake the other (the live page of `corridor-sim serve`).

    `replications`: how many each run holds (default: read off the runs, replications 0..highest index found).
    `by_month`: also the monthly table (a third of the time; the live page shows no monthly figures).
    `known`: parts already computed (`part`), by the scenario's place in `scenarios`, with the same name, promise,
    replications and `by_month`.
    """
    replications = replications or 1 + max(
        (int(t["containers"]["replication"].max()) for t in runs if len(t["containers"])), default=0
    )
    names = unique_names(scenarios)
    chosen = pairs(names, reference)
    tables = dict(zip(names, runs, strict=True))
    known = known or {}
    parts = [
        known[i] if i in known else part(n, s, tables[n], replications, promises(s, promise_days), by_month)
        for i, (n, s) in enumerate(zip(names, scenarios, strict=True))
    ]
    table = pd.concat([p.table for p in parts], ignore_index=True)
    table = table[_ordered_columns(table, scenarios, [build_network(s) for s in scenarios])]
    monthly = pd.concat([p.monthly for p in parts if p.monthly is not None] or [pd.DataFrame(columns=["scenario"])])
    return Comparison(
        table=table,
        differences=paired_differences({n: p.draws for n, p in zip(names, parts, strict=True)}, chosen, replications),
        section_means=pd.concat([p.means for p in parts], ignore_index=True),
        monthly=monthly.reset_index(drop=True)[["scenario", *monthly.columns[:-1]]],
        tables=tables,
    )


def format_table(table: pd.DataFrame) -> str:
    """The terminal view: pooled percentiles and mean, deliveries per replication, share within the promise."""
    cols = {
        "scenario": "scenario",
        "destination": "destination",
        "containers_delivered_per_replication": "delivered/rep",
        "p10_days": "p10",
        "p50_days": "p50",
        "p90_days": "p90",
        "buffer_days": "p90-p50",
        "mean_days": "mean",
        "within_promise_share": "in promise",
        "throughput_teu_per_day": "TEU/day",
    }
    groups = {c: c.replace("mean_days ", "mean ") for c in table.columns if c.endswith("(group)")}
    view = table[[*cols, *groups]].rename(columns={**cols, **groups})
    return view.to_string(index=False, float_format=lambda v: f"{v:.1f}", na_rep="")


def write_comparison(
    directory: Path,
    result: Comparison,
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    promise_days: float | None = None,
) -> None:
    """The comparison files (floats to 6 decimals) plus one ordinary run directory per scenario."""
    from corridor_sim import plots
    from corridor_sim.runner import bands_table, scenarios_section_bands, write_run
    from corridor_sim.workspace import safe_name

    names = unique_names(scenarios)
    for name, s in zip(names, scenarios, strict=True):
        write_run(
            directory / safe_name(name),
            s,
            build_network(s),
            result.tables[name],
            replications,
            seed,
            promises(s, promise_days),
        )
    write_tables(
        directory,
        {
            "comparison": result.table,
            "differences": result.differences,
            "section_means": result.section_means,
            "monthly": result.monthly,
        },
    )
    bands = pd.concat(
        [bands_table(s).assign(scenario=n) for n, s in zip(names, scenarios, strict=True)], ignore_index=True
    )
    containers = {n: result.tables[n]["containers"] for n in names}
    delivered = result.table.set_index("destination")["containers_delivered_total"]
    dest = analysis.headline([s.published[0].destination for s in scenarios if s.published], delivered)
    plots.save(plots.compare_distributions(containers, bands, dest), directory / "transit_compare.png")
    means = result.section_means[result.section_means["destination"].eq(dest)]
    table = means.groupby(["scenario", "section", "state"], as_index=False, sort=False, observed=True)["days"].sum()
    published = scenarios_section_bands(names, scenarios)
    plots.save(
        plots.section_bars(
            table,
            title=f"Where the days go (to {dest}; mean days per container)",
            bands=published[published["destination"].eq(dest)],
        ),
        directory / "sections_compare.png",
    )
    from corridor_sim.plots.time_cost import corridor_points, time_cost_plane

    teu = {n: s.simulation.teu_per_container for n, s in zip(names, scenarios, strict=True)}
    points = corridor_points(containers, teu)
    if len(points):  # the scenarios carry charges: the corridors on one time-cost plane
        title = "Corridors on the time-cost plane: mean days and price per TEU"
        plots.save(time_cost_plane(points, title), directory / "time_cost.png")
    if "p50_days_ranges_p5" in result.table:  # compare --uncertainty-samples: each scenario's band over its ranges
        from corridor_sim.plots.uncertainty import compare_bands

        compare_bands(result.table, bands, dest, directory / "uncertainty_compare.png")
