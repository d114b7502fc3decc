"""What the page shows of an outcome, as Dash HTML: the numbers (with CIs and the paired difference), the binding
resource, the figures, and the list of edits. Every number also carries its full value in `data-value`, so a test
reads exactly what was computed, not only its rounding."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from dash import html

from corridor_sim.serve.runner import Outcome
from corridor_sim.serve.session import Session
from corridor_sim.tuning.capacity import binding

_METRICS = (("p50", "median"), ("p90", "90th percentile"), ("mean", "mean"))


def _num(value: Any, ident: str | None = None, signed: bool = False) -> html.Span:
    v = float(value) if value is not None else math.nan
    text = "–" if math.isnan(v) else (f"{v:+.2f}" if signed else f"{v:.2f}")
    props = {"data-value": repr(v)}
    if ident:
        props["id"] = ident
    return html.Span(text, className="num", **props)


def _ci(low: Any, high: Any, ident: str) -> html.Span | str:
    if low is None or high is None or math.isnan(float(low)) or math.isnan(float(high)):
        return ""
    return html.Span(["[", _num(low, f"{ident}-low"), " – ", _num(high, f"{ident}-high"), "]"], className="ci")


def numbers(outcome: Outcome, destination: str) -> html.Div:
    """Transit days for `destination`, unchanged and edited, and the paired difference with its 95% CI."""
    comparison = outcome.comparison
    names = list(comparison.tables)
    table = comparison.table[comparison.table["destination"].eq(destination)].set_index("scenario")
    diffs = comparison.differences
    diffs = diffs[diffs["destination"].eq(destination)].set_index("metric")
    head = html.Tr([html.Th(""), *[html.Th(f"{label} (days)") for _, label in _METRICS], html.Th("delivered / rep")])
    rows = []
    shown = (f"unchanged: {names[0]}", f"edited: {names[1]}" if outcome.generation else "edited: (no edit yet)")
    for role, name, label in zip(("unchanged", "edited"), names, shown, strict=True):
        r = table.loc[name] if name in table.index else pd.Series(dtype=float)
        cells = [html.Th(label)]
        for metric, _ in _METRICS:
            ci = [_ci(r.get(f"{metric}_ci_low"), r.get(f"{metric}_ci_high"), f"{role}-{metric}-ci")]
            cells.append(html.Td([_num(r.get(f"{metric}_days"), f"{role}-{metric}"), " ", *ci]))
        cells.append(html.Td(_num(r.get("containers_delivered_per_replication"), f"{role}-delivered")))
        rows.append(html.Tr(cells))
    cells = [html.Th("difference (paired, 95% CI)")]
    for metric, _ in _METRICS:
        d = diffs.loc[metric] if metric in diffs.index else pd.Series(dtype=float)
        cells.append(
            html.Td(
                [
                    _num(d.get("difference_days"), f"diff-{metric}", signed=True),
                    " ",
                    _ci(d.get("ci_low"), d.get("ci_high"), f"diff-{metric}-ci"),
                ],
                className="diff",
            )
        )
    rows.append(html.Tr([*cells, html.Td("")]))
    bands = [f"{b.label or f'{b.low / 24:g}–{b.high / 24:g} d'}" for b in outcome.scenarios[0].published]
    bands = [b for b, p in zip(bands, outcome.scenarios[0].published, strict=True) if p.destination == destination]
    return html.Div(
        id="result",
        **{"data-generation": str(outcome.generation)},
        children=[
            html.H2(f"Transit to {destination}"),
            html.Table([html.Thead(head), html.Tbody(rows)], className="numbers"),
            html.P(f"published: {'; '.join(bands)}" if bands else "no published band for this destination"),
            _binding(outcome),
        ],
    )


def _binding(outcome: Outcome) -> html.Div:
    """The most utilised resource of each scenario, and the utilisation of the busiest resources before and after."""
    names = list(outcome.resources)
    before, after = (outcome.resources[n].set_index("resource") for n in names)
    tops = []
    for role, name in zip(("unchanged", "edited"), names, strict=True):
        top = binding(outcome.resources[name], saturated=False)
        if top is not None:
            tops.append(
                html.Li(
                    [
                        f"{role}: ",
                        html.B(str(top["resource"]), id=f"{role}-binding"),
                        f" ({top['kind']}), utilisation {100 * top['utilisation']:.0f} %",
                    ]
                )
            )
    busiest = after["utilisation"].combine(before["utilisation"], max).sort_values(ascending=False).head(6)
    rows = [
        html.Tr(
            [
                html.Td(str(r)),
                html.Td(str(after.loc[r, "kind"])),
                html.Td(f"{100 * before.loc[r, 'utilisation']:.0f} %"),
                html.Td(f"{100 * after.loc[r, 'utilisation']:.0f} %"),
            ]
        )
        for r in busiest.index
    ]
    head = html.Tr([html.Th("resource"), html.Th("kind"), html.Th("unchanged"), html.Th("edited")])
    return html.Div(
        [
            html.H3("Binding resource (most utilised)"),
            html.Ul(tops),
            html.Table([html.Thead(head), html.Tbody(rows)], className="resources"),
        ]
    )


def figures(generation: int, destination: str, names: list[str]) -> list[Any]:
    if not names:
        return [html.P("drawing figures…", className="muted")]
    return [
        html.Img(src=f"/figure/{generation}/{destination}/{name}.png", alt=name, className="figure") for name in names
    ]


def edits(session: Session) -> list[Any]:
    if not session.edits:
        return [html.P("no edits yet: change a value on the left", className="muted")]
    items = []
    for e in session.edits:
        c = session.controls[e.key]
        items.append(html.Li(f"{c.owner} · {c.label}: {c.raw(e.before)} → {e.value}", title=e.key, className="edit"))
    return [html.Ol(items, id="edit-list")]
