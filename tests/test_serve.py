"""`corridor-sim serve` without a browser: its controls, edits, saved scenario, and numbers equal to `compare`'s."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from corridor_sim.cli import main
from corridor_sim.compare import compare
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_raw, load_scenario, scenario_hash
from corridor_sim.serve.controls import GROUPS, controls
from corridor_sim.serve.runner import Runner
from corridor_sim.serve.session import Session
from corridor_sim.workload import estimate

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "plot_scenario.yaml"
CURRENT = ROOT / "scenarios" / "current_2023.yaml"
VESSELS = "network.segments.ferry.vessels.0.count"


def test_controls_cover_every_group_with_units_integers_and_provenance():
    found = {c.key: c for c in controls(load_raw(CURRENT))}
    assert {c.group for c in found.values()} == set(GROUPS)
    count = found["network.segments.aktau_alat.vessels.2.count"]
    assert (count.integer, count.value, count.unit, count.low <= 3 <= count.high) == (True, 3, "", True)
    mean = found["network.nodes.dostyk.handling.time.mean"]  # a distribution, edited by its natural parameters
    assert (mean.integer, mean.value, mean.unit) == (False, 38.0, "h")
    assert mean.provenance.startswith("estimate")
    speed = found["network.segments.dostyk_moyinty.speed.mode"]
    assert speed.unit == "km/d" and speed.provenance.startswith("source S43")
    assert found["demand.flows.china_poti_dostyk.teu_per_year"].integer
    assert found["disruptions.caspian_winter_storms.every.mean"].unit == "d"
    assert not any(k.endswith((".lat", ".lon", ".distance")) for k in found)  # geography is not a lever
    shown = {k: found[k].shown_unit for k in found}  # beside the box: what the number counts
    assert shown["network.segments.aktau_alat.vessels.2.count"] == "count"
    assert shown["network.segments.aktau_alat.vessels.2.capacity_teu"] == "TEU"  # was "count"
    assert shown["demand.flows.china_poti_dostyk.teu_per_year"] == "TEU/year"
    assert shown["network.nodes.dostyk.handling.time.mean"] == "h"


def test_a_refused_edit_gets_the_files_message_and_changes_nothing():
    session = Session.load(SMALL)
    with pytest.raises(ScenarioError) as page:
        session.edit(VESSELS, -1)
    with pytest.raises(ScenarioError) as file:
        load_scenario(SMALL, [f"{VESSELS}=-1"])
    assert (page.value.key, page.value.message) == (file.value.key, file.value.message)
    assert "\n" not in str(page.value)
    assert session.edits == [] and session.changes() == {}
    with pytest.raises(ScenarioError, match="whole number"):
        session.edit(VESSELS, 2.5)
    with pytest.raises(ScenarioError, match="enter a number"):
        session.edit(VESSELS, None)


def test_an_edit_asking_for_too_much_work_is_refused_before_it_runs():
    session = Session.load(SMALL)
    session.replications = 10
    session.study.max_events = 20 * 10 * estimate(session.study.base, 1).events  # 20 times the file's work
    session.edit("demand.flows.to_poti.teu_per_year", 90_000)  # 10 times the demand: within the budget
    with pytest.raises(ScenarioError, match="work estimate"):
        session.edit("demand.flows.to_poti.teu_per_year", 900_000)
    assert session.changes() == {"demand.flows.to_poti.teu_per_year": 90_000}


def test_edits_undo_and_a_value_set_back_is_no_change():
    session = Session.load(SMALL)
    session.edit(VESSELS, 3)
    session.edit("network.nodes.dostyk.handling.time.mean", 20)
    assert session.changes() == {VESSELS: 3, "network.nodes.dostyk.handling.time.mean": "20h"}
    session.undo()
    assert session.changes() == {VESSELS: 3} and session.current("network.nodes.dostyk.handling.time.mean") == 12
    session.edit(VESSELS, 2)  # the file's value again
    assert session.changes() == {} and session.scenario() is session.study.base


def test_save_as_scenario_extends_the_original_with_only_the_changes(tmp_path):
    session = Session.load(SMALL, ["simulation.seed=9"])
    with pytest.raises(ScenarioError, match="nothing to save"):
        session.save(tmp_path / "none.yaml")
    session.edit(VESSELS, 3)
    session.edit("network.nodes.dostyk.handling.time.mean", 20)
    path = session.save(tmp_path / "sub" / "edited.yaml")
    data = yaml.safe_load(path.read_text())
    assert (tmp_path / "sub" / data["extends"]).resolve() == SMALL.resolve()
    assert data["network"] == {
        "nodes": {"dostyk": {"handling": {"time": {"mean": "20h"}}}},
        "segments": {"ferry": {"vessels": [{"capacity_teu": 160, "count": 3}]}},  # a list is written whole
    }
    assert data["simulation"] == {"seed": 9}
    assert scenario_hash(load_scenario(path), exclude_runs=True) == scenario_hash(session.scenario(), exclude_runs=True)
    with pytest.raises(ScenarioError, match="already exists"):
        session.save(path)
    assert not list(path.parent.glob(".*.tmp"))


def _wait(runner: Runner, generation: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while runner.status.outcome is None or runner.status.outcome.generation != generation or runner.status.busy:
        assert time.monotonic() < end, runner.status.text
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [1, 2])
def test_page_numbers_are_compares_numbers(workers):
    """The unchanged scenario's tables are kept and only the edited one runs again: the comparison must be the very
    one `compare` makes of the two scenarios (same seed, same replications, common random numbers)."""
    session = Session.load(SMALL)
    runner = Runner(session.study.base, 2, 5, workers)
    runner.start()
    try:
        generation = runner.submit(session.edit(VESSELS, 1))
        _wait(runner, generation)
        page = runner.status.outcome.comparison
    finally:
        runner.stop()
    cli = compare([session.study.base, session.scenario()], 2, 5)
    pd.testing.assert_frame_equal(page.differences, cli.differences)
    pd.testing.assert_frame_equal(page.table, cli.table)
    assert page.differences.query("metric == 'p50'")["difference_days"].abs().max() > 0  # the edit mattered


def test_a_newer_edit_cancels_the_stale_run(monkeypatch):
    session = Session.load(SMALL)
    runner = Runner(session.study.base, 3, 5, 1)
    runner.start()
    made: list[int] = []
    original = runner._outcome
    monkeypatch.setattr(runner, "_outcome", lambda g, *a: made.append(g) or original(g, *a))
    try:
        first = runner.submit(session.edit(VESSELS, 1))
        last = runner.submit(session.edit(VESSELS, 3))
        _wait(runner, last)
    finally:
        runner.stop()
    assert made == [last] and first != last
    assert runner.status.outcome.scenarios[1] is not session.study.base


def test_page_serves_every_script_itself_and_missing_extra_is_one_line(monkeypatch, capsys):
    pytest.importorskip("dash", reason="the ui extra (pip install -e '.[ui]') is not installed")
    from corridor_sim.serve.app import build_app

    session = Session.load(SMALL)
    runner = Runner(session.study.base, 1, 5, 1)
    app = build_app(session, runner, ["constanta", "poti"], "poti", Path("."))
    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)
    for link in links:
        assert client.get(link).status_code == 200, link
    monkeypatch.setitem(__import__("sys").modules, "dash", None)  # as if the extra were not installed
    monkeypatch.delitem(__import__("sys").modules, "corridor_sim.serve.app", raising=False)
    assert main(["serve", str(SMALL)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install -e ".[ui]"' in err


def test_serve_refuses_a_bad_scenario_before_serving(tmp_path, capsys):
    assert main(["serve", str(SMALL), "--set", "network.segments.ferry.vessels.0.count=-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vessels.0.count" in err


def _edit_request(session: Session, key: str | None, number: float | None, undo: int = 0) -> dict:
    """The request the page sends when a control changes (or Undo is clicked)."""
    keys = list(session.controls)
    ident = [{"key": k, "type": "param"} for k in keys]
    values = [number if k == key else session.current(k) for k in keys]
    changed = f'{{"key":"{key}","type":"param"}}.value' if key else "undo.n_clicks"
    return {
        "output": '..{"key":["ALL"],"type":"param"}.value...{"key":["ALL"],"type":"msg"}.children...edits.children..',
        "outputs": [
            [{"id": i, "property": "value"} for i in ident],
            [{"id": {**i, "type": "msg"}, "property": "children"} for i in ident],
            {"id": "edits", "property": "children"},
        ],
        "inputs": [
            [{"id": i, "property": "value", "value": v} for i, v in zip(ident, values, strict=True)],
            {"id": "undo", "property": "n_clicks", "value": undo},
        ],
        "changedPropIds": [changed],
        "state": [],
    }


def _post(client, request: dict) -> dict:
    """The callback's response, by (type, key) for pattern-matched components."""
    response = client.post("/_dash-update-component", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    out = {}
    for ident, props in response.get_json()["response"].items():
        parsed = json.loads(ident) if ident.startswith("{") else {"type": ident, "key": None}
        out[(parsed["type"], parsed["key"])] = props
    return out


def test_page_edit_callback_refuses_runs_and_undoes(monkeypatch):
    pytest.importorskip("dash", reason="the ui extra (pip install -e '.[ui]') is not installed")
    from corridor_sim.serve.app import build_app

    session = Session.load(SMALL)
    runner = Runner(session.study.base, 1, 5, 1)
    submitted: list = []
    monkeypatch.setattr(runner, "submit", submitted.append)
    client = build_app(session, runner, ["poti"], "poti", Path(".")).server.test_client()
    client.get("/")
    keys = list(session.controls)

    refused = _post(client, _edit_request(session, VESSELS, 0))
    messages = {k: refused.get(("msg", k), {}).get("children", "") for k in keys}
    assert "greater than or equal to 1" in messages[VESSELS] and VESSELS in messages[VESSELS]
    assert submitted == [] and session.edits == []

    client.post("/_dash-update-component", json=_edit_request(session, VESSELS, 3))
    assert len(submitted) == 1 and session.changes() == {VESSELS: 3}
    undone = _post(client, _edit_request(session, None, None, undo=1))
    values = {k: undone[("param", k)]["value"] for k in keys}
    assert values[VESSELS] == 2 and session.edits == [] and submitted[-1] is session.study.base


def _figures_after_one_edit(session: Session) -> dict[str, bytes]:
    """The page's figures for Poti once one vessel less has run (one replication, seed 5)."""
    from corridor_sim.serve.figures import draw

    runner = Runner(session.study.base, 1, 5, 1, draw)
    runner.start()
    try:
        generation = runner.submit(session.edit(VESSELS, 1))
        runner.show("poti")
        _wait(runner, generation)
        end = time.monotonic() + 120
        while "poti" not in runner.status.outcome.figures:
            assert time.monotonic() < end
            time.sleep(0.05)
        return runner.status.outcome.figures["poti"]
    finally:
        runner.stop()


def test_figures_are_drawn_by_the_projects_plot_functions():
    from corridor_sim.serve.figures import FIGURES

    figures = _figures_after_one_edit(Session.load(SMALL))
    assert tuple(figures) == FIGURES and all(png.startswith(b"\x89PNG") for png in figures.values())


@pytest.mark.parametrize(
    ("name", "said"),
    [("bad\x00name.yaml", "cannot write"), ("notes.txt", "must end in .yaml"), ("", "give the file a name")],
)
def test_save_with_a_bad_name_is_one_line_on_the_page(tmp_path, name, said):
    pytest.importorskip("dash", reason="the ui extra (pip install -e '.[ui]') is not installed")
    from corridor_sim.serve.app import build_app

    session = Session.load(SMALL)
    session.edit(VESSELS, 3)
    client = build_app(session, Runner(session.study.base, 1, 5, 1), ["poti"], "poti", tmp_path).server.test_client()
    client.get("/")
    request = {
        "output": "save-message.children",
        "outputs": {"id": "save-message", "property": "children"},
        "inputs": [{"id": "save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["save.n_clicks"],
        "state": [{"id": "save-name", "property": "value", "value": name}],
    }
    response = client.post("/_dash-update-component", json=request)
    assert response.status_code == 200
    message = response.get_json()["response"]["save-message"]["children"]
    assert said in message and "\n" not in message and not list(tmp_path.iterdir())


def test_an_edit_made_while_the_unchanged_scenario_runs_waits_for_it():
    session = Session.load(SMALL)
    runner = Runner(session.study.base, 3, 5, 1)
    edited = session.edit(VESSELS, 1)
    early = threading.Timer(0.05, runner.submit, args=(edited,))  # the page is up before the unchanged run is in
    early.start()
    try:
        runner.start()
        early.join()
        _wait(runner, 1)
    finally:
        runner.stop()
    assert runner.status.outcome.scenarios == [session.study.base, edited]


def test_a_bug_in_an_edit_is_one_line_beside_the_control(monkeypatch, tmp_path, capsys):
    pytest.importorskip("dash", reason="the ui extra (pip install -e '.[ui]') is not installed")
    from corridor_sim.serve.app import build_app

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    session = Session.load(SMALL)
    client = build_app(session, Runner(session.study.base, 1, 5, 1), ["poti"], "poti", tmp_path).server.test_client()
    client.get("/")

    def boom(*_):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(session, "edit", boom)
    response = _post(client, _edit_request(session, VESSELS, 3))
    assert response[("msg", VESSELS)]["children"].startswith("internal error: RuntimeError: boom second line")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_the_poll_shows_status_numbers_and_figure_links_once_per_change(tmp_path):
    pytest.importorskip("dash", reason="the ui extra (pip install -e '.[ui]') is not installed")
    from corridor_sim.serve.app import build_app

    session = Session.load(SMALL)
    runner = Runner(session.study.base, 1, 5, 1)
    client = build_app(session, runner, ["poti"], "poti", tmp_path).server.test_client()
    client.get("/")
    runner.start()
    try:
        outputs = ["status.children", "status.className", "error.children", "numbers.children"]
        outputs += ["numbers.className", "figures.children", "shown.data"]

        def poll(shown: str) -> dict:
            request = {
                "output": "".join(f"..{o}.." for o in outputs).replace("....", "..."),
                "outputs": [dict(zip(("id", "property"), o.split("."), strict=True)) for o in outputs],
                "inputs": [
                    {"id": "tick", "property": "n_intervals", "value": 1},
                    {"id": "destination", "property": "value", "value": "poti"},
                ],
                "changedPropIds": ["tick.n_intervals"],
                "state": [{"id": "shown", "property": "data", "value": shown}],
            }
            response = client.post("/_dash-update-component", json=request)
            assert response.status_code == 200, response.get_data(as_text=True)[-300:]
            return response.get_json().get("response", {})

        first = poll("")
        assert first["status"]["children"] == "unchanged scenario: 1 replications"
        assert first["numbers"]["children"]["props"]["data-generation"] == "0"
        assert poll(first["shown"]["data"]) == {}  # nothing new: nothing sent
        runner.submit(session.edit(VESSELS, 1))
        busy = poll(first["shown"]["data"])
        assert busy["status"]["className"] == "busy" and busy["numbers"]["className"] == "stale"
    finally:
        runner.stop()


def test_the_pages_section_chart_brackets_the_published_section(tmp_path, monkeypatch):
    """The page's "where the days go" names the published duration of a section group, as compare's chart does."""
    from corridor_sim import plots

    scenario = tmp_path / "published.yaml"
    published = {"group": "Kazakhstan", "destination": "poti", "low": "3d", "high": "5d", "label": "source X"}
    scenario.write_text(
        yaml.safe_dump(
            {
                "extends": str(SMALL),
                "section_groups": {"Kazakhstan": ["KZ border", "KZ rail"]},
                "published_sections": [published],
            }
        )
    )
    said: list[str] = []
    original = plots.section_bars

    def reading(*args, **kwargs):
        fig = original(*args, **kwargs)
        said.extend(t.get_text() for ax in fig.axes for t in ax.texts)
        return fig

    monkeypatch.setattr(plots, "section_bars", reading)
    _figures_after_one_edit(Session.load(scenario))
    brackets = [t for t in said if "Kazakhstan: published 3–5 d" in t]
    assert len(brackets) == 2  # one on each bar: the unchanged scenario and the edited one
