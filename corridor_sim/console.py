"""Plain-text tables and lists for the terminal."""

from __future__ import annotations

from typing import Any

from corridor_sim.schema import Scenario


def transit_table(summary: dict[str, Any]) -> str:
    rows = [
        f"{'destination':<22}{'delivered':>10}{'p10':>8}{'p50':>8}{'p90':>8}{'p95':>8}{'mean':>8}{'mean 95% CI':>16}"
    ]
    for dest, s in summary["transit_days"].items():
        if not s.get("containers_total"):
            rows.append(f"{dest:<22}{0:>10}   (no container delivered in the window)")
            continue
        ci = (
            f"{s['mean_ci_low']:.1f}–{s['mean_ci_high']:.1f}"
            if s.get("mean_ci_low") == s.get("mean_ci_low") and "mean_ci_low" in s
            else "n/a"
        )
        rows.append(
            f"{dest:<22}{s['containers_total']:>10}{s['p10']:>8.1f}{s['p50']:>8.1f}{s['p90']:>8.1f}"
            f"{s['p95']:>8.1f}{s['mean']:>8.1f}{ci:>16}"
        )
    c = summary["containers_total"]
    rows.append(
        f"containers created {c['created']}, delivered {c['delivered']}, still in flight at the end "
        f"{c['in_flight']} (of those started in the measurement window: {c['measured_in_flight']})"
    )
    warning = censoring_warning(summary["scenario"], c)
    if warning:
        rows.append(warning)
    return "\n".join(rows)


def censoring_warning(name: str, counts: dict[str, int]) -> str:
    """Transit KPIs leave out containers still in flight; when some started in the window, the KPIs read low."""
    n = counts["measured_in_flight"]
    if not n:
        return ""
    share = n / max(n + counts["measured_delivered"], 1)
    return (
        f"warning: {name}: {n} containers ({share:.1%}) that started in the measurement window were still in "
        "flight at the end, so transit figures are biased low; lengthen simulation.cooldown (or the corridor "
        "is saturated)"
    )


def describe_provenance(scenario: Scenario) -> str:
    if not scenario.provenance:
        return "provenance: none recorded"
    lines = [f"provenance ({len(scenario.provenance)} entries):"]
    for key, p in scenario.provenance.items():
        if isinstance(p.source, str):
            src = scenario.sources[p.source]
            what = f"{p.source}: {src.title}" + (f" ({src.publisher}, {src.year})" if src.publisher else "")
        elif p.source is not None:
            what = f"{p.source.title} ({p.source.publisher}, {p.source.year})"
        else:
            what = ""
        tag = "estimate" if p.estimate else ("sourced" if p.source else "note")
        lines.append(f"  {key}: [{tag}] {what}{(' — ' + p.note) if p.note else ''}")
    return "\n".join(lines)
