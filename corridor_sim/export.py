"""Export a results directory's summary tables to one Excel workbook, a sheet each, for people who live in spreadsheets.

Only the summary tables go in (a comparison's table, differences, section means and monthly figures; a run's summary,
section means, monthly figures and published bands; a study's own tables): the per-container and per-sample tables
(`containers`, `tracks`, `occupancy`, `sailings`) run to a million rows, beyond what a sheet holds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from corridor_sim import analysis
from corridor_sim.errors import ScenarioError
from corridor_sim.workspace import check_new

# file stems written as they are, in this order, wherever they are present
TABLES = (
    "comparison",
    "differences",
    "section_means",
    "monthly",
    "published",
    "sweep",
    "sensitivity",
    "calibration",
    "interventions",
    "capacity",
    "resources",
)


def summary_table(summary: dict) -> pd.DataFrame:
    """`summary.json`'s transit figures as rows per destination (the share within the promise included)."""
    rows = [{"destination": dest, **figures} for dest, figures in summary.get("transit_days", {}).items()]
    return pd.DataFrame(rows).rename(columns={"containers_total": "containers_delivered_total"})


def sheets(results: Path) -> dict[str, pd.DataFrame]:
    """The workbook's sheets, by name, from what the directory holds."""
    out: dict[str, pd.DataFrame] = {}
    if (results / "summary.json").exists():
        out["summary"] = summary_table(json.loads((results / "summary.json").read_text(encoding="utf-8")))
    if (results / "sections.csv").exists() and not (results / "section_means.csv").exists():
        out["section_means"] = analysis.section_means(pd.read_csv(results / "sections.csv"), by_state=True)
    for name in TABLES:
        path = results / f"{name}.csv"
        if path.exists():
            out[name] = pd.read_csv(path)
    return out


def export_xlsx(results: Path, out: Path | None = None) -> tuple[Path, list[str]]:
    """Write `out` (default RESULTS/summary.xlsx, never overwritten); returns its path and the sheets written."""
    try:
        import openpyxl  # noqa: F401 - pandas' engine for .xlsx, an optional extra
    except ImportError:
        raise ScenarioError("writing .xlsx needs openpyxl: pip install 'corridor-sim[xlsx]'", file="--xlsx") from None
    if not results.is_dir():
        raise ScenarioError("not a results directory", file=str(results))
    tables = sheets(results)
    if not tables:
        raise ScenarioError("no summary table to export (not a results directory of corridor-sim?)", file=str(results))
    out = out or results / "summary.xlsx"
    check_new(out)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in tables.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
        check_new(out)
        os.rename(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out, list(tables)
