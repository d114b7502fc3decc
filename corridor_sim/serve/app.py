"""The Dash app: an edit is checked by the schema and handed to the runner; a timer shows what the runner has.

The page polls (`dcc.Interval`) rather than waiting in a callback, so a newer edit is never queued behind a stale
run: the runner drops the stale one and the next poll shows the newest outcome.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from corridor_sim.errors import ScenarioError
from corridor_sim.serve import layout, views
from corridor_sim.serve.runner import Runner, internal_error
from corridor_sim.serve.session import Session


def build_app(session: Session, runner: Runner, destinations: list[str], destination: str, save_dir: Path) -> Dash:
    """The page and its callbacks (long because Dash callbacks are closures registered on the app they serve)."""
    app = Dash(__name__, title=f"corridor-sim · {session.study.base.name}", serve_locally=True, update_title=None)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + layout.STYLE + "</style>")
    app.layout = layout.page(session, destinations, destination, runner.replications, runner.seed)
    lock = threading.Lock()
    messages: dict[str, str] = {}

    @app.callback(
        Output({"type": "param", "key": ALL}, "value"),
        Output({"type": "msg", "key": ALL}, "children"),
        Output("edits", "children"),
        Input({"type": "param", "key": ALL}, "value"),
        Input("undo", "n_clicks"),
        prevent_initial_call=True,
    )
    def on_edit(values: list[Any], _: int) -> tuple[Any, list[str], Any]:
        keys = [item["id"]["key"] for item in ctx.inputs_list[0]]
        shown: list[Any] = [no_update] * len(keys)
        with lock:
            if ctx.triggered_id == "undo":
                if session.undo() is not None:
                    messages.clear()
                    runner.submit(session.scenario())
                shown = [_shown(session, k) for k in keys]
            elif isinstance(ctx.triggered_id, dict):
                key = ctx.triggered_id["key"]
                number = values[keys.index(key)]
                try:
                    runner.submit(session.edit(key, number))
                    c = session.controls[key]
                    inside = c.low <= number <= c.high
                    messages[key] = "" if inside else f"note: outside the usual range {c.low:g}–{c.high:g}"
                except ScenarioError as exc:
                    messages[key] = str(exc)
                except Exception as exc:  # a bug: one line beside the control, never a broken page
                    messages[key] = internal_error(exc)
            return shown, [messages.get(k, "") for k in keys], views.edits(session)

    @app.callback(
        Output("status", "children"),
        Output("status", "className"),
        Output("error", "children"),
        Output("numbers", "children"),
        Output("numbers", "className"),
        Output("figures", "children"),
        Output("shown", "data"),
        Input("tick", "n_intervals"),
        Input("destination", "value"),
        State("shown", "data"),
    )
    def on_tick(_: int, dest: str | None, shown: str) -> tuple[Any, ...]:
        """Frequent, so cheap: nothing unless the runner has something new. (A poll slower than the interval would be
        dropped by the page for the next one; figures are therefore links to PNG files, not inline data.)"""
        dest = dest or destination
        runner.show(dest)
        status = runner.status
        mark = f"{status.version}|{dest}"
        if mark == shown:
            return (no_update,) * 7
        css = "busy" if status.busy else "error" if status.error else "idle"
        outcome = status.outcome
        if outcome is None:
            return status.text, css, status.error, no_update, no_update, no_update, mark
        names = list(outcome.figures.get(dest) or {})
        numbers = views.numbers(outcome, dest)
        stale = "stale" if outcome.generation != runner.generation else ""  # a newer edit is running
        return status.text, css, status.error, numbers, stale, views.figures(outcome.generation, dest, names), mark

    @app.server.route("/figure/<int:generation>/<dest>/<name>.png")
    def figure(generation: int, dest: str, name: str) -> Any:
        outcome = runner.status.outcome
        images = outcome.figures.get(dest, {}) if outcome is not None and outcome.generation == generation else {}
        if name not in images:
            return "figure no longer current", 404
        return images[name], 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}

    @app.callback(
        Output("save-message", "children"),
        Input("save", "n_clicks"),
        State("save-name", "value"),
        prevent_initial_call=True,
    )
    def on_save(_: int, name: str | None) -> str:
        if not name or not name.strip():
            return "give the file a name"
        target = Path(name.strip())
        target = target if target.is_absolute() else save_dir / target
        try:
            with lock:
                path = session.save(target)
        except ScenarioError as exc:
            return str(exc)
        except (OSError, ValueError) as exc:  # no such directory, no permission, a name the system refuses
            return f"{target}: cannot write: {getattr(exc, 'strerror', None) or exc}"
        return f"saved {path}"

    return app


def _shown(session: Session, key: str) -> float | int:
    value = session.current(key)
    return int(value) if session.controls[key].integer else value
