"""One self-contained HTML report of one or more results directories: figures embedded as base64 PNG, tables, and
the scenarios' key parameters side by side, so it can be mailed around and opened in a browser with no server.

Everything comes from the result tables and each run's `scenario.resolved.yaml`; nothing is re-simulated.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim import __version__, analysis, plots
from corridor_sim.errors import ScenarioError
from corridor_sim.plots.directory import Job, Progress, read_all
from corridor_sim.results import (
    Run,
    check_results_dir,
    comparison_runs,
    is_comparison,
    is_run,
    is_study,
    read_study,
    read_table,
)

# What each figure answers, shown under it in the report.
CAPTIONS = {
    "transit_compare_destinations": "At which destinations does each scenario deliver faster, and by how much?",
    "time_cost": "What does each corridor cost in days and in money per TEU, scenario by scenario?",
    "transit_compare": "How long does a container take in each scenario, and does it fall in the published band?",
    "uncertainty_compare": "How sure is each scenario: replication CI against the spread over the estimates' ranges?",
    "sections_compare": "Where do the days go in each scenario, and which sections did a change shorten?",
    "transit": "How are transit times spread per destination (histogram, ECDF, box), against the published bands?",
    "sections": "Which corridor sections take the days, and is it moving, handling or waiting?",
    "time_distance": "Where do containers stop along the corridor: bunching at ports, waits for vessels and trains?",
    "occupancy": "How long are the queues and yards at borders and ports over time, and do they settle or grow?",
    "utilisation": "How full do vessels sail, and how busy are handling servers and rail lines?",
    "map": "Where on the map is the delay: legs coloured by waiting, nodes sized by queue.",
}
# not parameters of the run: names, citations, and intervention packages (definitions, not in effect in a run)
SKIP_PARAMS = ("name", "description", "sources", "provenance", "published", "published_sections", "interventions")

CSS = """
body { font-family: -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 1.5em 2em; color: #222; line-height: 1.45; }
h1 { border-bottom: 3px solid #0072B2; padding-bottom: .3em; }
h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
h3 { margin-top: 1.6em; color: #333; }
nav ul { columns: 3; list-style: none; padding-left: 0; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #e3e3e3; border-radius: 4px; }
figcaption { font-size: .92em; color: #555; margin-top: .3em; }
table { border-collapse: collapse; font-size: .85em; margin: .8em 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: .25em .7em; text-align: right; }
th { background: #f3f6f9; position: sticky; top: 0; }
td:first-child, th:first-child, td.key { text-align: left; }
tr.differs td { background: #fff8e5; }
.meta { color: #666; font-size: .9em; }
.src { display: block; color: #888; font-size: .8em; }
details { margin: .8em 0; }
.wide { overflow-x: auto; }
.warning { background: #fdecea; border-left: 4px solid #c0392b; padding: .6em 1em; }
"""


class Member(Run):
    """A run in the report: its unique display name and where its figures live (`plot` draws them there)."""

    def __init__(self, path: Path, label: str, plots_dir: Path) -> None:
        super().__init__(path)
        self.label = label
        self.plots_dir = plots_dir


def expand(directories: Sequence[Path], progress: Progress | None = None) -> tuple[list[Member], list[Path]]:
    """The runs to report (a comparison directory contributes its scenarios) and the comparisons. Every file is
    read and checked here, before anything is drawn (`progress` is told the runs, then each one read)."""
    runs: list[Member] = []
    comparisons: list[Path] = []
    for directory in directories:
        check_results_dir(directory)
        if is_study(directory) and not is_run(directory):
            continue
        if is_comparison(directory):
            comparisons.append(directory)
            members = [(p, directory / "plots" / p.name) for p in comparison_runs(directory)]
        else:
            members = [(directory, directory / "plots")]
        for path, plots_dir in members:
            run = Member(path, "", plots_dir)
            name, k = run.name, 1
            while name in [r.label for r in runs]:
                k += 1
                name = f"{run.name}-{k}"
            run.label = name
            runs.append(run)
    progress = progress or Progress()
    progress.begin("reading", len(runs))
    read_all([partial(plots.run_jobs, run, run.plots_dir) for run in runs], progress.step)  # every table, up front
    return runs, comparisons


def _fresh(path: Path, run: Run) -> bool:
    """A figure `plot` drew after the run's files were last written can be reused as it is."""
    if not path.is_file():
        return False
    newest = max(p.stat().st_mtime for p in run.path.iterdir() if p.is_file())
    return path.stat().st_mtime >= newest


def figures(jobs: Sequence[Job], runs: Sequence[Run], progress: Progress) -> list[Path]:
    """Each job's figure: reused when already drawn since the runs were written, else drawn where `plot` puts it."""
    paths = []
    for job in jobs:
        if all(_fresh(job.path, run) for run in runs):
            paths.append(job.path)
        else:
            paths.append(plots.save(job.draw(), job.path, tight=job.tight))
        progress.step()
    return paths


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    key = path.stem.split("_compare")[0] + "_compare" if "_compare_" in path.stem else path.stem
    key = path.stem if path.stem in CAPTIONS else key
    caption = CAPTIONS.get(key, "")
    return (
        f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table(frame: pd.DataFrame, digits: int = 1) -> str:
    return frame.to_html(
        index=False, border=0, na_rep="–", float_format=lambda v: f"{v:,.{digits}f}", classes="data", escape=True
    )


def overview(runs: Sequence[Member]) -> pd.DataFrame:
    """Per scenario and destination: deliveries, transit percentiles with 95% CIs (the run's own summary, so the
    report shows the numbers the run printed), and the share of containers inside the published band."""
    rows = []
    for run in runs:
        name, containers, published = run.label, run.table("containers"), run.table("published")
        m = analysis.measured(containers)
        reps = run.replications
        summary = run.summary.get("transit_days") or analysis.transit_summary(containers)
        for dest, s in sorted(summary.items(), key=lambda item: _headline_rank(run, item[0])):
            if dest == analysis.ALL and m["destination"].nunique() == 1:
                continue
            row: dict[str, Any] = {
                "scenario": name,
                "destination": dest,
                # `containers` in results written before the count was named `containers_total`
                "delivered per replication": f"{s.get('containers_total', s.get('containers', 0)) / reps:,.0f}",
            }
            for key in ("p10", "p50", "p90", "mean"):
                row[f"{key} (d)"] = s.get(key, np.nan)
            row["p50 95% CI"] = _ci(s, "p50")
            row["mean 95% CI"] = _ci(s, "mean")
            row["p90−p50 buffer (d)"] = s.get("buffer_days", np.nan)
            row["sd (d)"] = s.get("sd", np.nan)
            row["in promise"] = f"{s['within_promise_share']:.0%}" if "within_promise_share" in s else "–"
            money = (run.summary.get("costs") or {}).get(dest, {})
            for col, label in (("price_usd", "price USD"), ("generalised_cost_usd", "gen. cost USD")):
                row[f"mean {label}"] = money.get(col, {}).get("mean", np.nan)
            row["mean CO2e kg"] = money.get("co2e_kg", {}).get("mean", np.nan)
            bands = published[published["destination"].astype(str).eq(dest)] if len(published) else published
            if len(bands):
                band = bands.iloc[0]
                days = m.loc[m["destination"].astype(str).eq(dest), "transit_days"]
                row["published band"] = f"{band['low_days']:g}–{band['high_days']:g} d"
                row["share in band"] = (
                    f"{days.between(band['low_days'], band['high_days']).mean():.0%}" if len(days) else "–"
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _headline_rank(run: Run, destination: str) -> tuple[int, str]:
    """The headline destination (the scenario's first published band) first, then all destinations, then the rest."""
    bands = run.resolved.get("published") or []
    headline = bands[0].get("destination") if bands and isinstance(bands[0], dict) else None
    return (0 if destination == headline else 1 if destination == analysis.ALL else 2, destination)


def _ci(stats: dict[str, float], key: str) -> str:
    low, high = stats.get(f"{key}_ci_low"), stats.get(f"{key}_ci_high")  # null in summary.json without an interval
    return "–" if low is None or high is None or np.isnan(low) or np.isnan(high) else f"{low:.1f}–{high:.1f}"


def section_table(run: Run) -> pd.DataFrame:
    """Mean days per section (corridor order) and state, one column block per destination."""
    sections = run.table("sections")
    if sections.empty:
        return sections
    means = analysis.section_means(sections, by_state=True)
    wide = means.pivot_table(
        index="section", columns=["destination", "state"], values="days", aggfunc="sum", fill_value=0.0, observed=True
    )
    order = plots.section_order(wide.index, run.table("routes"))
    wide = wide.reindex(order)
    for dest in wide.columns.get_level_values(0).unique():
        wide[(dest, "total")] = wide[dest].sum(axis=1)
    wide = wide.sort_index(axis=1, level=0, sort_remaining=False)
    wide.columns = [f"to {d}: {s}" for d, s in wide.columns]
    total = wide.sum().to_frame().T.assign(section="total")
    return pd.concat([wide.reset_index(), total], ignore_index=True)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Leaf key paths of a resolved scenario, as the short text a planner would write."""
    if isinstance(value, dict) and "dist" in value:  # a distribution reads as one value: lognormal(mean=2d, cv=0.5)
        args = ", ".join(f"{k}={_short(v)}" for k, v in value.items() if k != "dist" and v is not None)
        return {prefix: f"{value['dist']}({args})"}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            if prefix == "" and key in SKIP_PARAMS:
                continue
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))
        return out
    if value is None or value == "":
        return {}
    if isinstance(value, list):
        return {prefix: ", ".join(_short(v) for v in value)}
    return {prefix: _short(value)}


def _short(value: Any) -> str:
    """Numbers to 4 significant digits, in the units scenario files use: the resolved scenario holds every duration
    in hours and every speed in km/h, so whole days read as days (8760h → 365d) and speeds that are whole km per
    day as km/d (33.333km/h → 800km/d)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    hours = re.fullmatch(r"(\d+(?:\.\d+)?)h", text)
    if hours and float(hours.group(1)) >= 48 and float(hours.group(1)) % 24 == 0:
        return f"{float(hours.group(1)) / 24:g}d"
    speed = re.fullmatch(r"(\d+(?:\.\d+)?)km/h", text)
    if speed and not float(speed.group(1)).is_integer() and abs(24 * float(speed.group(1)) % 1) < 1e-6:
        return f"{24 * float(speed.group(1)):.0f}km/d"
    return re.sub(r"\d+\.\d{5,}", lambda m: f"{float(m.group()):.4g}", text)


def _provenance(resolved: dict[str, Any], key: str) -> str:
    """The source or note recorded for a key path (or its nearest recorded parent)."""
    prov = resolved.get("provenance") or {}
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        entry = prov.get(".".join(parts[:n]))
        if entry:
            source = entry.get("source")
            if isinstance(source, dict):
                source = source.get("title")
            text = "; ".join(str(t) for t in (source, entry.get("note")) if t)
            return text + (" (estimate)" if entry.get("estimate") else "")
    return ""


def parameters_html(runs: Sequence[Member]) -> str:
    """Key parameters side by side: those that differ between scenarios first, then (folded) all of them."""
    resolved = {run.label: run.resolved for run in runs}
    flat = {name: flatten(res) for name, res in resolved.items()}
    keys = list(dict.fromkeys(k for f in flat.values() for k in f))
    differ = [k for k in keys if len({f.get(k, "–") for f in flat.values()}) > 1]

    def render(selection: list[str], mark: bool) -> str:
        head = "".join(f"<th>{html.escape(n)}</th>" for n in flat)
        body = []
        for key in selection:
            cells = []
            for name, f in flat.items():
                src = _provenance(resolved[name], key) if mark else ""
                note = f'<span class="src">{html.escape(src)}</span>' if src else ""
                cells.append(f"<td>{html.escape(f.get(key, '–'))}{note}</td>")
            cls = ' class="differs"' if key in differ and not mark else ""
            body.append(f'<tr{cls}><td class="key">{html.escape(key)}</td>{"".join(cells)}</tr>')
        return f'<div class="wide"><table class="params"><tr><th>parameter</th>{head}</tr>{"".join(body)}</table></div>'

    parts = []
    if len(flat) > 1:
        parts.append(f"<h3>Parameters that differ ({len(differ)})</h3>")
        parts.append(render(differ, True) if differ else "<p>The scenarios have identical parameters.</p>")
    parts.append(
        f"<details{' open' if len(flat) == 1 else ''}><summary>All parameters ({len(keys)})"
        f"{', differing rows highlighted' if len(flat) > 1 else ''}</summary>{render(keys, False)}</details>"
    )
    sources = sources_table(resolved.values())
    if len(sources):
        parts.append(f"<details><summary>Sources cited ({len(sources)})</summary>{_sources_html(sources)}</details>")
    return "\n".join(parts)


def _sources_html(sources: pd.DataFrame) -> str:
    """The sources as a table whose titles link to their pages (opened only when the reader clicks)."""
    rows = []
    for r in sources.itertuples(index=False):
        title = html.escape(str(r.title))
        if str(r.url).startswith(("http://", "https://")):
            title = f'<a href="{html.escape(str(r.url))}" rel="noreferrer">{title}</a>'
        rows.append(
            f"<tr><td>{html.escape(str(r.id))}</td><td class='key'>{title}</td>"
            f"<td>{html.escape(str(r.publisher))}</td><td>{html.escape(str(r.year))}</td></tr>"
        )
    head = "<tr><th>id</th><th>title</th><th>publisher</th><th>year</th></tr>"
    return f'<table class="sources">{head}{"".join(rows)}</table>'


def sources_table(resolved: Any) -> pd.DataFrame:
    """The sources the scenarios cite, once each."""
    rows: dict[str, dict[str, Any]] = {}
    for res in resolved:
        for key, src in ((res or {}).get("sources") or {}).items():
            rows.setdefault(
                str(key),
                {"id": str(key), **{f: (src or {}).get(f) or "" for f in ("title", "publisher", "year", "url")}},
            )
    return pd.DataFrame(list(rows.values()))


def build_report(directories: Sequence[Path], out: Path, progress: Progress | None = None) -> Path:
    """Write one HTML file of the directories' figures and tables; never overwrites an existing file. Figures that
    `plot` already drew are reused; missing ones are drawn where `plot` would put them. `progress` is told each
    stage (reading, figures, tables) and each step of it."""
    if out.exists():
        raise ScenarioError("already exists; a report is never overwritten (choose another --out)", file=str(out))
    progress = progress or Progress()
    runs, comparisons = expand(directories, progress)
    with tempfile.TemporaryDirectory(prefix="corridor-report-") as tmp:
        shared = comparisons[0] / "plots" if len(comparisons) == 1 and len(directories) == 1 else Path(tmp)
        comparison = comparisons[0] if shared != Path(tmp) else None  # its own directory: its band over the ranges
        side = plots.side_by_side_jobs([(r.label, r) for r in runs], shared, comparison) if len(runs) > 1 else []
        own = [plots.run_jobs(run, run.plots_dir) for run in runs]
        progress.begin("figures", len(side) + sum(map(len, own)))
        side_paths = figures(side, runs, progress)
        own_paths = [figures(jobs, [run], progress) for jobs, run in zip(own, runs, strict=True)]
        progress.begin("tables", len(runs) + 2)
        toc, body = _body(runs, comparisons, side_paths, own_paths, progress) if runs else ([], [])
    studies = [d for d in directories if is_study(d) and not is_run(d)]
    for i, study in enumerate(studies):
        toc.append((f"study-{i}", f"Study: {study.name}"))
        body += study_html(study, f"study-{i}")
    names = ", ".join([r.label for r in runs] + [str(read_study(d)[0].get("name") or d.name) for d in studies])
    nav = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in toc)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>corridor-sim report: '
        f"{html.escape(names)}</title><style>{CSS}</style></head><body>"
        f"<h1>Middle Corridor simulation: {html.escape(names)}</h1>"
        f'<p class="meta">corridor-sim {__version__} · generated {stamp} · from '
        f"{html.escape(', '.join(str(d) for d in directories))}</p>"
        f"<nav><ul>{nav}</ul></nav>{''.join(body)}</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with out.open("x", encoding="utf-8") as fh:
            fh.write(page)
    except FileExistsError as exc:
        raise ScenarioError(
            "already exists; a report is never overwritten (choose another --out)", file=str(out)
        ) from exc
    return out


def study_html(directory: Path, anchor: str) -> list[str]:
    """A tuning study (sweep, sensitivity, calibration, interventions, capacity): what was asked, its figures as
    the study drew them, and its tables."""
    meta, tables, figures = read_study(directory)
    kind = str(meta.get("study") or next(iter(tables), "study"))
    items = "".join(
        f"<tr><td class='key'>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items()
    )
    parts = [f'<h2 id="{anchor}">Study: {html.escape(kind)} ({html.escape(directory.name)})</h2>']
    parts.append(f'<table class="params">{items}</table>')
    parts += [_img(p) for p in figures]
    for name, table in tables.items():
        parts.append(f"<h3>{html.escape(name)}.csv</h3>")
        parts.append(f'<div class="wide">{_table(table, 2)}</div>')
    return parts


def _mismatch_warning(runs: Sequence[Run]) -> list[str]:
    """A warning when runs set side by side differ in seed or corridor-sim version: their differences then mix
    random noise (no common random numbers) or model changes into the scenarios' effect."""
    notes = []
    for what, values in (
        ("seeds", {str(r.seed) for r in runs}),
        ("corridor-sim versions", {str(r.version) for r in runs}),
    ):
        if len(values) > 1:
            notes.append(f"different {what} ({', '.join(sorted(values))})")
    if not notes:
        return []
    text = (
        f"Warning: these runs were made with {' and '.join(notes)}; differences between them are not paired on "
        "common random numbers and may include changes of the model itself."
    )
    return [f'<p class="warning">{html.escape(text)}</p>']


def _body(
    runs: Sequence[Member],
    comparisons: Sequence[Path],
    side: Sequence[Path],
    own: Sequence[Sequence[Path]],
    progress: Progress,
) -> tuple[list[tuple[str, str]], list[str]]:
    """The report's sections (table of contents, HTML parts), figures embedded from the given files."""
    toc = [("overview", "Transit times")]
    body = [
        *_mismatch_warning(runs),
        '<h2 id="overview">Transit times</h2>',
        "<p>Delivered containers that started in the measurement window (after warm-up), all "
        "replications pooled; intervals are 95% across replications.</p>",
        _table(overview(runs)),
    ]
    progress.step()
    if len(runs) > 1:
        toc.append(("compare", "Scenarios side by side"))
        body += ['<h2 id="compare">Scenarios side by side</h2>', *map(_img, side)]
    for comparison in comparisons:
        body.append(f"<h3>Comparison table ({html.escape(comparison.name)})</h3>")
        body.append(f'<div class="wide">{_table(read_table(comparison, "comparison"))}</div>')
        differences = read_table(comparison, "differences", required=False)
        if len(differences):
            body.append("<h3>Paired differences (common random numbers, as written by compare)</h3>")
            body.append(_table(differences, 2))
    toc.append(("parameters", "Key parameters"))
    body += ['<h2 id="parameters">Key parameters</h2>', parameters_html(runs)]
    progress.step()
    for i, (run, paths) in enumerate(zip(runs, own, strict=True)):
        anchor = f"scenario-{i}"
        toc.append((anchor, f"Scenario: {run.label}"))
        summary = run.summary
        body.append(f'<h2 id="{anchor}">Scenario: {html.escape(run.label)}</h2>')
        body.append(
            f'<p class="meta">{html.escape(str(run.path))} · {summary.get("replications", "?")} '
            f"replications · seed {summary.get('seed', '?')} · scenario hash "
            f"{html.escape(str(summary.get('scenario_hash', '?')))}</p>"
        )
        description = run.resolved.get("description")
        if description:
            body.append(f"<p>{html.escape(str(description))}</p>")
        body += [_img(p) for p in paths]
        sections = section_table(run)
        if len(sections):
            body.append("<h3>Mean days per corridor section</h3>")
            body.append(f'<div class="wide">{_table(sections, 2)}</div>')
        progress.step()
    return toc, body
