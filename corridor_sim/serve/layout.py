"""The page's skeleton: controls grouped by node / segment / rolling stock / demand / disruption on the left, the
results in the middle, the edits (undo, save as scenario) on the right. Styles are inline in the page (no CDN)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from dash import dcc, html

from corridor_sim.serve.controls import GROUPS, Control
from corridor_sim.serve.session import Session

TICK_MS = 700

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; font-size: 14px; }
header { background: #24486b; color: #fff; padding: 8px 16px; display: flex; gap: 24px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
#status { margin-left: auto; padding: 3px 10px; border-radius: 10px; background: #3d6a94; }
#status.busy { background: #c77c11; }
#status.busy::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 6px;
  border: 2px solid #fff; border-top-color: transparent; border-radius: 50%; animation: spin 0.8s linear infinite; }
#status.error { background: #a22; }
@keyframes spin { to { transform: rotate(360deg); } }
.page { display: grid; grid-template-columns: 470px 1fr 280px; gap: 12px; padding: 12px; }
aside { max-height: calc(100vh - 70px); overflow-y: auto; }
details.group > summary { font-weight: 600; font-size: 15px; margin: 6px 0; cursor: pointer; }
details.owner { margin-left: 10px; } details.owner > summary { cursor: pointer; margin: 3px 0; }
.param { display: grid; grid-template-columns: 205px 70px 40px 1fr; gap: 2px 6px; align-items: center;
  margin: 2px 0 2px 18px; }
.param label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.param input { width: 64px; } .param .unit { color: #555; }
.param .hint { color: #777; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.param .msg { grid-column: 1 / -1; color: #a22; font-size: 12px; }
.param .msg:empty { display: none; }
.param.edited input { background: #fff4d6; }
table { border-collapse: collapse; margin: 6px 0; } th, td { padding: 3px 8px; border-bottom: 1px solid #ddd;
  text-align: left; } .num { font-variant-numeric: tabular-nums; } .ci { color: #666; font-size: 12px; }
td.diff { font-weight: 600; } .muted { color: #777; } .figure { max-width: 100%; border: 1px solid #eee; }
#error { color: #a22; }
#numbers.stale, #numbers.stale + #figures { opacity: 0.45; }
"""


def page(session: Session, destinations: list[str], destination: str, replications: int, seed: int) -> html.Div:
    base = session.study.base
    return html.Div(
        [
            html.Header(
                [
                    html.H1(f"corridor-sim · {base.name}"),
                    html.Span(f"{session.study.path} · {replications} replications · seed {seed} · common random"),
                    html.Span("starting", id="status", className="busy"),
                ]
            ),
            html.Div(
                [
                    html.Aside(_controls(session), id="controls"),
                    html.Main(
                        [
                            html.Label(
                                [
                                    "destination ",
                                    dcc.Dropdown(
                                        destinations,
                                        destination,
                                        id="destination",
                                        clearable=False,
                                        style={"width": "240px"},
                                    ),
                                ]
                            ),
                            html.Div(id="error"),
                            html.Div(id="numbers"),
                            html.Div(id="figures"),
                        ]
                    ),
                    html.Aside(
                        [
                            html.H3("Edits"),
                            html.Div(id="edits"),
                            html.Button("Undo last edit", id="undo", n_clicks=0),
                            html.H3("Save as scenario"),
                            dcc.Input(id="save-name", type="text", value=f"{session.name}.yaml", debounce=False),
                            html.Button("Save", id="save", n_clicks=0),
                            html.P(id="save-message"),
                            html.P(
                                "The file extends the original and holds only the changes; run it with "
                                "corridor-sim run or compare.",
                                className="muted",
                            ),
                        ],
                        id="edits-panel",
                    ),
                ],
                className="page",
            ),
            dcc.Interval(id="tick", interval=TICK_MS),
            dcc.Store(id="shown", data=""),
        ]
    )


def _controls(session: Session) -> list[Any]:
    out: list[Any] = [
        html.P(f"{len(session.controls)} parameters; values as in the file, in its units.", className="muted")
    ]
    controls = list(session.controls.values())
    for group in GROUPS:
        members = [c for c in controls if c.group == group]
        if not members:
            continue
        owners = [
            html.Details([html.Summary(f"{owner}"), *[_row(c) for c in items]], className="owner")
            for owner, items in groupby(members, key=lambda c: c.owner)
        ]
        html_group = html.Details([html.Summary(f"{group} ({len(members)})"), *owners], className="group")
        out.append(html_group)
    return out


def _row(c: Control) -> html.Div:
    shown = int(c.value) if c.integer else c.value
    step = 1 if c.integer else "any"
    hint = f"{c.low:g}–{c.high:g}" + (f" · {c.provenance}" if c.provenance else "")
    return html.Div(
        [
            html.Label(c.label, title=c.key),
            dcc.Input(id={"type": "param", "key": c.key}, type="number", value=shown, step=step, debounce=True),
            html.Span(c.shown_unit, className="unit"),
            html.Span(hint, className="hint", title=f"{c.key}\nrange {c.low:g}–{c.high:g}\n{c.provenance}"),
            html.Div(id={"type": "msg", "key": c.key}, className="msg"),
        ],
        className="param",
        **{"data-key": c.key},
    )
