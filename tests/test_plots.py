"""Every plot drawn from a small run's tables, checked against figures computed here from the same tables: the
numbers in legends and bar lengths, the number of series, bars and lines, titles and axis labels."""

from __future__ import annotations

import multiprocessing
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from stages import Recorder

from corridor_sim import plots
from corridor_sim.cli import main
from corridor_sim.loader import load_scenario
from corridor_sim.plots import style
from corridor_sim.plots.occupancy import OCCUPANCY_PANELS
from corridor_sim.plots.occupancy import series as occupancy_series
from corridor_sim.plots.timeline import thin_ticks
from corridor_sim.results import Run
from corridor_sim.runner import execute_run
from corridor_sim.waiting import waiting_estimate

SCENARIO = Path(__file__).with_name("plot_scenario.yaml")
RUN_PLOTS = {"transit", "sections", "time_distance", "occupancy", "utilisation", "pools", "map"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = execute_run(load_scenario(SCENARIO), tmp_path_factory.mktemp("plots") / "run")
    return out


@pytest.fixture(scope="module")
def tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p) for p in run_dir.glob("*.csv")}


@pytest.fixture(scope="module")
def drawn(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, Figure]]:
    """All of the run's plots, and the figure each was drawn on."""
    figures: dict[str, Figure] = {}
    paths = []
    for job in plots.run_jobs(Run(run_dir), tmp_path_factory.mktemp("out")):
        figures[job.path.stem] = job.draw()
        paths.append(plots.save(figures[job.path.stem], job.path, tight=job.tight))
    return paths, figures


def _measured(containers: pd.DataFrame) -> pd.DataFrame:
    return containers[containers["measured"] & containers["status"].eq("delivered")]


def _titles(fig: Figure) -> str:
    return " ".join([ax.get_title(loc) for ax in fig.axes for loc in ("center", "left")] + [fig.get_suptitle()])


def _top_down(ax: Axes) -> list[str]:
    """Y tick labels from the top of the axes down."""
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels(), strict=True), key=lambda t: -t[0])
    return [label.get_text() for _, label in ticks]


def _bars_by_row(ax: Axes) -> dict[float, list[Rectangle]]:
    rows: dict[float, list[Rectangle]] = {}
    for p in ax.patches:
        if isinstance(p, Rectangle) and p.get_width() > 0:
            rows.setdefault(round(p.get_y() + p.get_height() / 2, 6), []).append(p)
    return {y: sorted(ps, key=lambda p: p.get_x()) for y, ps in rows.items()}


def test_every_run_plot_is_a_titled_png(drawn: tuple[list[Path], dict[str, Figure]]) -> None:
    paths, figures = drawn
    assert {p.stem for p in paths} == RUN_PLOTS
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        assert "plot_small" in _titles(figures[path.stem])


def test_transit_distribution_legend_matches_the_containers(drawn, tables) -> None:
    fig = drawn[1]["transit"]
    ax_h, ax_e, ax_b = fig.axes
    m = _measured(tables["containers"])
    labels = [t.get_text() for t in ax_h.get_legend().get_texts()]
    for dest, days in m.groupby("destination", observed=True)["transit_days"]:
        assert (
            f"to {dest}: median {np.median(days):.1f} d, p90 {np.percentile(days, 90):.1f} d (n={len(days)})" in labels
        )
    published = tables["published"]
    assert sum(lab.startswith("published:") for lab in labels) == len(published) == 2
    assert len(ax_e.get_lines()) == m["destination"].nunique()  # one ECDF per destination
    assert all(line.get_ydata()[-1] == pytest.approx(1.0) for line in ax_e.get_lines())
    assert {t.get_text() for t in ax_b.get_yticklabels()} == {f"to {d}" for d in m["destination"].unique()}
    assert "days" in ax_b.get_xlabel()


def test_section_breakdown_bars_add_up_to_the_section_means(drawn, tables) -> None:
    ax = drawn[1]["sections"].axes[0]
    sections = tables["sections"]
    reps = sections["replication"].nunique()
    expected = sections.groupby("destination", observed=True)["days"].sum() / reps
    rows = _bars_by_row(ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == len(expected) == 2
    for y, patches in rows.items():
        dest = labels[[round(t, 6) for t in ax.get_yticks()].index(y)].removeprefix("to ")
        assert sum(p.get_width() for p in patches) == pytest.approx(expected[dest], rel=1e-9)
        # left to right the sections follow the corridor
        colour_section = {v: k for k, v in plots.section_colours(style.SECTION_ORDER).items()}
        seen = [style.SECTION_ORDER.index(colour_section[to_hex(p.get_facecolor(), keep_alpha=False)]) for p in patches]
        assert seen == sorted(seen)
    assert ax.get_xlabel() == "mean days per delivered container"


def test_section_bars_one_bar_per_scenario_in_corridor_order(tables, tmp_path: Path) -> None:
    from corridor_sim.analysis import section_means

    base = section_means(tables["sections"], by_state=True)
    base = base[base["destination"].eq("poti")].drop(columns="destination")
    faster = base.assign(days=np.where(base["state"].eq("waiting"), base["days"] / 2, base["days"]))
    detour = pd.DataFrame([{"section": "Ukraine detour", "state": "moving", "days": 3.0}])
    means = pd.concat(
        [base.assign(scenario="baseline_2022"), pd.concat([detour, faster]).assign(scenario="target")],
        ignore_index=True,
    )
    ax = plots.section_bars(means, title="Where the days go (to poti)").axes[0]
    assert ax.get_title() == "Where the days go (to poti)"
    assert _top_down(ax) == ["baseline_2022", "target"]  # first scenario on top
    rows = _bars_by_row(ax)
    totals = sorted(sum(p.get_width() for p in ps) for ps in rows.values())
    assert totals == pytest.approx(sorted(means.groupby("scenario", observed=True)["days"].sum()))
    unknown = plots.section_colours(plots.section_order(means["section"]))["Ukraine detour"]
    target_row = rows[min(rows)]
    assert to_hex(target_row[-1].get_facecolor(), keep_alpha=False) == unknown  # unknown sections come last
    hatches = {str(p.get_hatch() or "") for ps in rows.values() for p in ps}
    assert hatches == {style.STATE_STYLE[s]["hatch"] for s in ("moving", "handling", "waiting")}


def test_compare_distributions_draws_each_scenario_and_its_band(tables, tmp_path: Path) -> None:
    c = tables["containers"]
    containers = {"baseline_2022": c, "target": c.assign(transit_days=c["transit_days"] - 3)}
    band = tables["published"]
    bands = pd.concat(
        [
            band.assign(scenario="baseline_2022"),
            band.assign(scenario="target", low_days=band["low_days"] - 10, high_days=band["high_days"] - 10),
        ],
        ignore_index=True,
    )
    captured = {
        "one": plots.compare_distributions(containers, bands, "poti"),
        "all": plots.compare_distributions(containers, bands, None),
    }
    ax_e, ax_v = captured["one"].axes
    colours = plots.scenario_colours(containers)
    lines = ax_e.get_lines()
    assert [to_hex(line.get_color()) for line in lines] == [colours["baseline_2022"].lower(), colours["target"].lower()]
    for line, frame in zip(lines, containers.values(), strict=True):
        days = _measured(frame).query("destination == 'poti'")["transit_days"]
        assert line.get_xdata()[-1] == pytest.approx(days.max())
    assert _top_down(ax_v) == ["baseline_2022", "target"]
    band_boxes = [p for p in ax_v.patches if isinstance(p, Rectangle) and p.get_linestyle() == "--"]
    assert sorted((p.get_x(), p.get_x() + p.get_width()) for p in band_boxes) == sorted(
        map(tuple, bands.query("destination == 'poti'")[["low_days", "high_days"]].to_numpy())
    )
    assert sum(isinstance(col, PolyCollection) for col in ax_v.collections) == 2  # one violin each
    assert "to poti" in ax_e.get_title()
    ax_e, ax_v = captured["all"].axes
    assert len(ax_v.get_yticklabels()) == 4 and len(ax_e.get_lines()) == 4  # 2 scenarios x 2 destinations
    assert "all destinations" in ax_e.get_title()


def test_compare_destinations_one_panel_per_destination_with_each_scenario(tables) -> None:
    c = tables["containers"]
    containers = {"baseline_2022": c, "target": c.assign(transit_days=c["transit_days"] - 3)}
    bands = tables["published"].assign(scenario="target")
    fig = plots.compare_destinations(containers, bands, ["poti", "constanta"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["to poti", "to constanta"]
    colours = plots.scenario_colours(containers)
    for ax, dest in zip(fig.axes, ["poti", "constanta"], strict=True):
        lines = ax.get_lines()
        assert [to_hex(line.get_color()) for line in lines] == [colours[n].lower() for n in containers]
        written = [t.get_text() for t in ax.texts]
        for line, frame in zip(lines, containers.values(), strict=True):
            m = _measured(frame)
            days = m.loc[m["destination"].eq(dest), "transit_days"]
            assert line.get_xdata()[-1] == pytest.approx(days.max())
            assert f"{np.median(days):.1f} / {np.percentile(days, 90):.1f} d" in written
        band = bands[bands["destination"].eq(dest)].iloc[0]
        spans = [p for p in ax.patches if to_hex(p.get_facecolor()) == colours["target"].lower()]
        assert [(p.get_x(), p.get_x() + p.get_width()) for p in spans] == [(band["low_days"], band["high_days"])]
    legend = fig.legends[0].get_texts()
    assert [t.get_text() for t in legend][:2] == ["baseline_2022", "target"]


def test_a_comparison_is_about_its_published_destination_else_the_busiest(tables, run_dir: Path) -> None:
    run = Run(run_dir)
    c = tables["containers"]
    containers = {"a": c, "b": c}
    assert plots.headline([("a", run), ("b", run)], containers, ["constanta", "poti"]) == "poti"  # first band
    run.resolved["published"] = []
    counts = _measured(c)["destination"].value_counts()
    assert plots.headline([("a", run)], containers, ["constanta", "poti"]) == counts.idxmax()
    assert plots.headline([("a", run)], containers, [str(counts.idxmin())]) == counts.idxmin()  # shared only
    assert plots.headline([("a", run)], containers, []) is None


def test_time_distance_draws_every_sampled_stage_on_the_busiest_route(drawn, tables) -> None:
    fig = drawn[1]["time_distance"]
    tracks, routes = tables["tracks"], tables["routes"]
    rep0 = tracks[tracks["replication"].eq(tracks["replication"].min())]
    container_km = (
        rep0.groupby("flow", observed=True)["container_id"].nunique()
        * routes.groupby("flow", observed=True)["km_end"].max()
    )
    flow = container_km.idxmax()
    ax = fig.axes[0]
    assert f"along flow {flow}" in ax.get_title(loc="left")
    on_route = rep0[rep0["location"].isin(routes.query("flow == @flow")["location"])]
    pieces = [seg for col in ax.collections if isinstance(col, LineCollection) for seg in col.get_segments()]
    assert len(pieces) == len(on_route) < len(rep0)  # the other flow's sea leg is off this route
    # a train on segment xd climbs exactly its 2500 km; every piece spans exactly its stage's days
    climbs = {round(p[1, 1] - p[0, 1], 6) for p in pieces}
    assert 2500.0 in climbs
    assert sorted(round(p[1, 0] - p[0, 0], 6) for p in pieces) == sorted(
        round(v, 6) for v in on_route["end_day"] - on_route["start_day"]
    )
    nodes = routes.query("flow == @flow and kind == 'node'")["location"]
    assert [t.get_text().split(" (")[0] for t in ax.get_yticklabels()] == list(nodes)
    assert len(ax.get_legend().get_texts()) == 4


def test_occupancy_panels_and_means(drawn, tables) -> None:
    fig = drawn[1]["occupancy"]
    occ = tables["occupancy"]
    roles = {n: v["role"] for n, v in yaml.safe_load(SCENARIO.read_text())["network"]["nodes"].items()}
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    nonzero = occ[occ["value"] > 0]
    at_pool = nonzero["location"].eq("az_locomotives")  # trains waiting for a set are not waiting for a line path
    expected = [label for metric, label, _ in OCCUPANCY_PANELS if metric in set(nonzero.loc[~at_pool, "metric"])]
    if nonzero.loc[at_pool, "metric"].eq("waiting_trains").any():
        expected.append("trains waiting for a rolling-stock set")
    assert titles[: len(expected)] == expected
    assert titles[len(expected)].startswith("containers waiting, by place")
    assert len(titles) == len(expected) + 1  # no closures in this scenario
    queue_ax = fig.axes[titles.index("trains queued for handling")]
    queued = occ.query("metric == 'queue_trains' and value > 0")["location"].unique()
    assert len(queue_ax.get_lines()) == sum(roles[n] in ("border", "port") for n in queued) > 0
    yard_ax = fig.axes[titles.index("containers in port yards waiting for a vessel")]
    aktau = occ.query("metric == 'yard_containers' and location == 'aktau' and day >= 15")  # warm-up 15d
    expected_mean = aktau.groupby("day", observed=True)["value"].mean().mean()
    assert f"aktau (mean {style.num(expected_mean)})" in [t.get_text() for t in yard_ax.get_legend().get_texts()]
    assert fig.axes[-1].get_xlabel().startswith("date (simulated day 0 = ")
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels()][0].endswith(("2023", "2024", "2025", "2026"))


def test_waiting_estimate_scales_the_sample_by_hand() -> None:
    tracks = pd.DataFrame(
        {
            "replication": 0,
            "container_id": [1, 2, 1, 2],
            "flow": "f",
            "location": ["p", "p", "q", "q"],
            "section": "s",
            "state": ["yard_wait", "queue", "travel", "travel"],
            "start_day": [1.0, 2.0, 3.0, 5.0],
            "end_day": [3.0, 5.0, 4.0, 6.0],
        }
    )
    containers = pd.DataFrame(
        {"replication": 0, "measured": True, "status": "delivered", "destination": "z", "transit_days": 1.0},
        index=range(4),
    )  # 4 delivered, 2 sampled: each stands for 2
    est = waiting_estimate(tracks, containers, np.array([0.0, 1.5, 2.5, 4.0, 6.0]), 1)
    assert set(est["location"]) == {"p"}  # travel is not waiting
    assert est["value"].tolist() == [0, 2, 4, 2, 0]
    # on the sample days themselves: a wait counts from the day it starts, and not on the day it ends
    est = waiting_estimate(tracks, containers, np.arange(7.0), 1)
    assert est["value"].tolist() == [0, 2, 4, 2, 2, 0, 0]


def test_waiting_estimate_of_a_replication_without_waits_counts_as_zero() -> None:
    """Two replications; only replication 0 has a sampled container that waits (at p, days 1-3, standing for 2
    delivered containers). Replication 1 delivered one container that never waited. At day 2 the mean over the two
    replications is (2 + 0) / 2 = 1, not 2 (the mean of the replications that have rows)."""
    tracks = pd.DataFrame(
        {
            "replication": [0, 1],
            "container_id": [1, 7],
            "flow": "f",
            "location": ["p", "q"],
            "section": "s",
            "state": ["yard_wait", "travel"],
            "start_day": [1.0, 1.0],
            "end_day": [3.0, 2.0],
        }
    )
    containers = pd.DataFrame(
        {"replication": [0, 0, 1], "measured": True, "status": "delivered", "destination": "z", "transit_days": 1.0}
    )
    est = waiting_estimate(tracks, containers, np.array([2.0]), 2)
    assert sorted(est["replication"]) == [0, 1]
    assert est.groupby("day")["value"].mean().tolist() == [1.0]
    waiting = occupancy_series(est)["p"]
    assert waiting["mean"].tolist() == [1.0] and waiting["lo"].tolist() == [0.0] and waiting["hi"].tolist() == [2.0]


def test_utilisation_bars(drawn, tables) -> None:
    fig = drawn[1]["utilisation"]
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    vessels = fig.axes[titles.index("Vessel utilisation\n(after warm-up)")]
    sail = tables["sailings"].query("depart_day >= 15")
    by_seg = sail.groupby("segment", observed=True)
    expected = (100 * by_seg["containers"].sum() / by_seg["capacity_containers"].sum()).sort_index()
    bars = [p for p in vessels.patches if isinstance(p, Rectangle)]
    lengths = {t.get_text(): p.get_width() for t, p in zip(vessels.get_yticklabels(), bars, strict=True)}
    assert pd.Series(lengths).sort_index().to_numpy() == pytest.approx(expected.to_numpy())
    handling = fig.axes[titles.index("Handling utilisation by node (red ≥ 85%, amber ≥ 60%)")]
    occ = tables["occupancy"].query("metric == 'busy_servers' and day >= 15")
    busy = occ.groupby("location", observed=True)["value"].mean()
    widths = {t.get_text(): p.get_width() for t, p in zip(handling.get_yticklabels(), handling.patches, strict=True)}
    assert widths["dostyk"] == pytest.approx(100 * busy["dostyk"] / 1)
    assert set(widths) == set(busy.index)


def _waiting_by_hand(tracks: pd.DataFrame, routes: pd.DataFrame) -> pd.Series:
    """Mean waiting days per sampled container passing each place, counted here from the raw rows."""
    waiting_states = {"queue", "line_wait", "closed", "stock_wait", "yard_wait", "berth_wait", "formation_wait"}
    wait = tracks[tracks["state"].isin(waiting_states)]
    days = (wait["end_day"] - wait["start_day"]).groupby(wait["location"]).sum()
    sampled = tracks.drop_duplicates(["replication", "container_id"])["flow"].value_counts()
    passing = routes.assign(n=routes["flow"].map(sampled).fillna(0)).groupby("location")["n"].sum()
    return (days / passing).dropna()


def test_map_shows_seas_borders_and_waiting_where_it_happens(drawn, tables) -> None:
    from matplotlib.path import Path as MplPath

    fig = drawn[1]["map"]
    ax = fig.axes[0]
    routes, tracks = tables["routes"], tables["tracks"]
    land = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
    rings = [MplPath(p.vertices) for p in land.get_paths()]
    assert len(rings) > 20  # the countries of the region, not a blank grid
    assert not any(r.contains_point((51.3, 39.6)) for r in rings)  # the southern Caspian is water
    assert not any(r.contains_point((34.5, 43.3)) for r in rings)  # so is the Black Sea
    assert any(r.contains_point((67.0, 48.0)) for r in rings)  # central Kazakhstan is land
    expected = _waiting_by_hand(tracks, routes)
    bubbles = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection)
        and to_hex(c.get_facecolor()[0], keep_alpha=False) == style.STATE_COLOURS["waiting"]
    ]
    areas = sorted(c.get_sizes()[0] for c in bubbles)
    assert areas == pytest.approx(sorted(40.0 * expected[expected > 0]))  # area = 40 pt² per waiting day
    worst = expected.idxmax()
    nodes = routes.query("kind == 'node'").drop_duplicates("location").set_index("location")
    if worst in nodes.index:
        where = tuple(nodes.loc[worst, ["lon", "lat"]])
    else:  # a leg: the bubble sits half-way between its end nodes
        row = routes[routes["location"].eq(worst)].iloc[0]
        seq = routes[routes["flow"].eq(row["flow"])].set_index("seq")["location"]
        ends = nodes.loc[[seq[row["seq"] - 1], seq[row["seq"] + 1]], ["lon", "lat"]]
        where = tuple(ends.mean())
    biggest = max(bubbles, key=lambda c: c.get_sizes()[0])
    assert tuple(biggest.get_offsets()[0]) == pytest.approx(where)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"{expected.max():.2f} d waiting" in texts or f"{expected.max():.1f} d waiting" in texts  # named
    legend = " ".join(t.get_text() for lg in ax.findobj(Legend) for t in lg.get_texts())
    assert "pool az_locomotives: 2 sets" in legend and "trains waiting for a set" in legend
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert ax.get_xlabel() == "longitude (°E)" and ax.get_ylabel() == "latitude (°N)"


def test_pools_are_drawn_as_pools(drawn, tables) -> None:
    fig = drawn[1]["pools"]
    busy_ax, wait_ax = fig.axes
    occ = tables["occupancy"].query("location == 'az_locomotives' and day >= 15")
    busy = occ.query("metric == 'stock_in_use'")["value"].mean()
    waiting = occ.query("metric == 'waiting_trains'")["value"].mean()
    assert [line.get_ydata()[0] for line in busy_ax.get_lines() if line.get_linestyle() == "--"] == [2]  # its sets
    labels = [t.get_text() for t in busy_ax.get_legend().get_texts()]
    assert labels == [f"az_locomotives: {style.num(busy)} of 2 sets busy ({100 * busy / 2:.0f}%)"]
    assert [t.get_text() for t in wait_ax.get_legend().get_texts()] == [
        f"az_locomotives: {style.num(waiting)} trains waiting (mean)"
    ]
    # the pool is not a line: it does not appear under line congestion
    util = drawn[1]["utilisation"]
    lines_ax = [ax for ax in util.axes if ax.get_title(loc="left").startswith("Line congestion")][0]
    assert "az_locomotives" not in [t.get_text() for t in lines_ax.get_yticklabels()]


def test_waiting_by_location_by_hand() -> None:
    from corridor_sim.waiting import waiting_by_location

    tracks = pd.DataFrame(
        {
            "replication": [0, 0, 0, 1],
            "container_id": [1, 1, 2, 1],
            "flow": ["f", "f", "f", "f"],
            "location": ["p", "s", "p", "p"],
            "state": ["yard_wait", "stock_wait", "handling", "queue"],
            "start_day": [0.0, 2.0, 0.0, 0.0],
            "end_day": [1.0, 5.0, 4.0, 0.5],
        }
    )
    routes = pd.DataFrame({"flow": ["f", "f", "f"], "location": ["p", "s", "q"]})
    # 3 sampled containers pass p, s and q: p waits 1 + 0.5 days, s 3 days (handling is not waiting)
    assert waiting_by_location(tracks, routes).to_dict() == pytest.approx({"p": 0.5, "s": 1.0, "q": 0.0})


def test_crowded_tick_labels_are_thinned() -> None:
    assert thin_ticks([(5.0, "c"), (0.0, "a"), (1.0, "b"), (2.5, "d")], 2.0) == [
        (0.0, "a"),
        (2.5, "d"),
        (5.0, "c"),
    ]


def test_section_order_known_first_then_route_order() -> None:
    routes = pd.DataFrame({"flow": ["f"] * 4, "seq": [0, 1, 2, 3], "section": ["Zeta", "China", "Alpha", "Europe"]})
    assert plots.section_order(["Europe", "Alpha", "China", "Zeta"], routes) == ["China", "Europe", "Zeta", "Alpha"]
    assert plots.section_order(["Europe", "b", "China", "a"]) == ["China", "Europe", "b", "a"]
    assert plots.section_colours(["Europe"])["Europe"] == plots.section_colours(style.SECTION_ORDER)["Europe"]


def test_plot_command_on_a_comparison_directory(run_dir: Path, tmp_path: Path, capsys) -> None:
    comparison = tmp_path / "cmp"
    comparison.mkdir()
    for name in ("baseline_2022", "target"):
        shutil.copytree(run_dir, comparison / name)
    pd.DataFrame({"scenario": ["baseline_2022", "target"], "destination": "poti"}).to_csv(
        comparison / "comparison.csv", index=False
    )
    # which figures a comparison directory gets, and where (the drawing itself is checked above)
    made = sorted(str(job.path.relative_to(comparison)) for job in plots.directory_jobs(comparison, comparison / "p"))
    # every shared destination in one figure of panels; the headline (the first published band's) in full
    side = ["p/transit_compare_destinations.png", "p/transit_compare_poti.png", "p/sections_compare_poti.png"]
    own = [f"p/{n}/{stem}.png" for n in ("baseline_2022", "target") for stem in sorted(RUN_PLOTS)]
    assert made == sorted(side + own)
    assert main(["plot", str(run_dir), "--quiet"]) == 0
    assert sorted(p.stem for p in (run_dir / "plots").glob("*.png")) == sorted(RUN_PLOTS)
    assert main(["plot", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_time_cost_labels_never_overlap_when_scenarios_and_destinations_crowd() -> None:
    """Four scenarios x five destinations, prices a few dollars apart and days close together (the bundled compare
    plus a scenario): every label inside the axes, none covering another, each point's days written, and one label
    (name and price) per destination's row."""
    from corridor_sim.plots.time_cost import time_cost_plane

    rows = []
    slowest = {
        "alat": (1020, 38),
        "batumi": (1355, 20),
        "poti": (2601, 52),
        "istanbul": (2796, 35),
        "budapest": (3594, 70),
    }
    for s, scenario in enumerate(["baseline_2022", "current_2023", "target", "target_plus"]):
        for dest, (price, slow) in slowest.items():
            mean = slow / (1 + 1.2 * s) + 4
            rows.append(
                {
                    "alternative": dest,
                    "group": scenario,
                    "mean_days": mean,
                    "p10_days": 0.7 * mean,
                    "p90_days": 1.4 * mean,
                    "price_per_teu": price - 3 * (s == 2),
                }
            )
    table = pd.DataFrame(rows)
    fig = time_cost_plane(table, "crowded")
    style.render(fig)  # drawn as saved
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the words, without a leader line
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    texts = [t.get_text() for t in ax.texts]
    overlapping = [(texts[i], texts[j]) for i, j in combinations(range(len(boxes)), 2) if boxes[i].overlaps(boxes[j])]
    assert not overlapping
    assert sorted(texts[len(slowest) :]) == sorted(f"{d:.1f} d" for d in table["mean_days"])
    assert sorted(texts[: len(slowest)]) == sorted(f"{d}: {p - 3:,}–{p:,}/TEU" for d, (p, _) in slowest.items())


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_figures_drawn_by_worker_processes_are_those_drawn_serially(run_dir: Path, tmp_path: Path, method) -> None:
    """Whatever starts the workers (a forked worker finds the tables its parent read; a spawned one reads them), the
    same files byte for byte, and the progress told: the run read, then each figure drawn."""
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for copy in (serial, parallel):
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("plots"))
    drawn = plots.plot_results(serial)
    told = Recorder()
    paths = plots.plot_results(parallel, workers=2, progress=told, start_method=method)
    assert [p.relative_to(parallel) for p in paths] == [p.relative_to(serial) for p in drawn]
    assert {p.name for p in paths} == {f"{stem}.png" for stem in RUN_PLOTS}
    for path in paths:
        assert path.read_bytes() == (serial / path.relative_to(parallel)).read_bytes(), path.name
    assert told.stages == [["reading", 1, 1], ["drawing", len(RUN_PLOTS), len(RUN_PLOTS)]]
    assert multiprocessing.active_children() == []


LONG_PLACES = ["Khorgos Eastern Gate dry port", "Aktau multimodal container hub (north quay)", "alat"]


def _inside_and_apart(fig: Figure, artists: list) -> None:
    """After drawing as saved: each artist (legends, texts) wholly inside the figure, and no legend over an axes."""
    style.render(fig)
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    for artist in artists:
        box = artist.get_window_extent(renderer)
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        assert inside, f"{artist} reaches past the figure: {box} {frame}"
    legends = [a for a in artists if isinstance(a, Legend)]
    for legend, ax in [(lg, ax) for lg in legends for ax in fig.axes]:
        assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


def test_occupancy_with_long_place_names_keeps_every_label_inside_the_figure() -> None:
    """Margins are set from the legends and the closures' place names as the scenario names them: names far longer
    than the bundled ones are neither cut at the figure's edge nor drawn over a panel."""
    from corridor_sim.plots.occupancy import occupancy_over_time

    days = np.arange(0.0, 60.0)
    rows = [
        {"replication": 0, "day": d, "location": loc, "metric": metric, "value": value}
        for loc in LONG_PLACES
        for metric, value in (("queue_trains", 12500.0), ("yard_containers", 3.0))
        for d in days
    ]
    rows += [
        {"replication": 0, "day": d, "location": loc, "metric": "closed", "value": 1.0}
        for loc in LONG_PLACES
        for d in days[::9]
    ]
    occupancy = pd.DataFrame(rows)
    routes = pd.DataFrame({"flow": "f", "seq": range(len(LONG_PLACES)), "location": LONG_PLACES})
    roles = dict.fromkeys(LONG_PLACES, "port")
    waiting = occupancy[occupancy["metric"].eq("yard_containers")]  # its long title wraps beside long names
    fig = occupancy_over_time(occupancy, routes, roles, 10.0, "long names", waiting, start="2023-01-01")
    closures = fig.axes[-1]
    assert [t.get_text() for t in closures.get_yticklabels()] == LONG_PLACES
    titles = [c for ax in fig.axes for c in ax.get_children() if isinstance(c, Text) and c.get_text()]
    texts = [*closures.get_yticklabels(), *titles]
    _inside_and_apart(fig, [*texts, *(ax.get_legend() for ax in fig.axes[:-1])])


def test_utilisation_with_long_place_names_keeps_every_label_inside_the_figure() -> None:
    """The handling bars' place names, the vessel segments' and the line names beside the right-hand panels are
    measured: long ones push the panels aside instead of running off the figure or over the panel beside them."""
    from corridor_sim.plots.utilisation import capacity_utilisation

    segments = [f"{place} ferry" for place in LONG_PLACES]
    sailings = pd.DataFrame(
        {
            "segment": np.repeat(segments, 20),
            "depart_day": np.tile(np.arange(20.0) * 3, len(segments)),
            "containers": 40,
            "capacity_containers": 50,
        }
    )
    rows = [
        {"replication": 0, "day": d, "location": loc, "metric": metric, "value": 1.0}
        for loc, metric in [*((p, "busy_servers") for p in LONG_PLACES), *((s, "waiting_trains") for s in segments)]
        for d in np.arange(0.0, 60.0)
    ]
    fig = capacity_utilisation(sailings, pd.DataFrame(rows), dict.fromkeys(LONG_PLACES, 2), 10.0, "long names", 1)
    ax_t, ax_v, ax_h, ax_l = fig.axes
    assert sorted(t.get_text() for t in ax_h.get_yticklabels()) == sorted(LONG_PLACES)
    assert sorted(t.get_text() for t in ax_l.get_yticklabels()) == sorted(segments)
    names = [t for ax in (ax_v, ax_h, ax_l) for t in ax.get_yticklabels()]
    legend = ax_t.get_legend()
    titles = {c.get_text(): c for ax in fig.axes for c in ax.get_children() if isinstance(c, Text) and c.get_text()}
    _inside_and_apart(fig, [*names, legend, *titles.values()])
    renderer = fig.canvas.get_renderer()
    assert not legend.get_window_extent(renderer).overlaps(
        titles["Vessel load per sailing"].get_window_extent(renderer)
    )
    for left, right in ((ax_t, ax_v), (ax_h, ax_l)):  # the right panel's names clear the left panel
        assert left.get_window_extent(renderer).x1 < min(
            t.get_window_extent(renderer).x0 for t in right.get_yticklabels()
        )


def test_pools_with_long_names_keep_their_legends_inside_the_figure() -> None:
    from corridor_sim.plots.map import Pool
    from corridor_sim.plots.stock import pool_utilisation

    pools = [Pool(f"{place} wagons", ("s",), 12, 6.5, 0.25) for place in LONG_PLACES]
    rows = [
        {"replication": 0, "day": d, "location": pool.name, "metric": metric, "value": 3.0}
        for pool in pools
        for metric in ("stock_in_use", "waiting_trains")
        for d in np.arange(0.0, 60.0)
    ]
    fig = pool_utilisation(pd.DataFrame(rows), pools, 10.0, "long names")
    legends = [ax.get_legend() for ax in fig.axes]
    assert [t.get_text() for t in legends[0].get_texts()][1] == f"{pools[1].name}: 6.50 of 12 sets busy (54%)"
    _inside_and_apart(fig, legends)


def test_transit_figures_with_long_names_keep_their_labels_inside_the_figure() -> None:
    """A run's destinations left of its box plots, a comparison's scenario → destination rows left of its violins
    and its legend right of the curves are measured: long names are neither cut nor drawn over a panel."""
    rng = np.random.default_rng(1)
    containers = pd.DataFrame(
        {
            "destination": np.repeat(LONG_PLACES, 50),
            "transit_days": rng.uniform(5, 40, 150),
            "measured": True,
            "status": "delivered",
        }
    )
    scenarios = {"a scenario with a long name (2030 plan)": containers, "b": containers.assign(transit_days=9.0)}
    bands = pd.DataFrame(
        {"scenario": "b", "destination": LONG_PLACES[0], "low_days": 8.0, "high_days": 12.0, "label": "plan"},
        index=[0],
    )
    one = plots.transit_distribution(containers, bands, "long names")
    ax_b = one.axes[-1]
    assert len(ax_b.get_yticklabels()) == len(LONG_PLACES)
    _inside_and_apart(one, ax_b.get_yticklabels())
    every = plots.compare_distributions(scenarios, bands, None)
    ax_e, ax_v = every.axes
    assert len(ax_v.get_yticklabels()) == 2 * len(LONG_PLACES)
    _inside_and_apart(every, [*ax_v.get_yticklabels(), ax_e.get_legend()])


def test_time_distance_with_long_names_keeps_its_labels_inside_and_its_titles_apart() -> None:
    """The node names left of the chart and the section names right of the zoom are measured, and the left panel's
    title (it names the flow) wraps before it reaches the zoom's title."""
    from corridor_sim.plots.timeline import time_distance

    flow = "china_khorgos_eastern_gate_aktau_north_quay_alat_poti"
    a, b = LONG_PLACES[:2]
    routes = pd.DataFrame(
        {
            "flow": flow,
            "seq": [0, 1, 2],
            "kind": ["node", "segment", "node"],
            "location": [a, "line", b],
            "section": ["Kazakhstan and its long dry-port section", "KZ rail", "Caspian multimodal hub section"],
            "km_start": [0.0, 0.0, 900.0],
            "km_end": [0.0, 900.0, 900.0],
        }
    )
    tracks = pd.DataFrame(
        {
            "replication": 0,
            "container_id": np.repeat([1, 2], 3),
            "flow": flow,
            "location": [a, "line", b] * 2,
            "state": ["handling", "travel", "handling"] * 2,
            "start_day": [0.0, 1.0, 4.0, 5.0, 6.0, 9.0],
            "end_day": [1.0, 4.0, 5.0, 6.0, 9.0, 10.0],
        }
    )
    fig = time_distance(tracks, routes, "long names")
    ax_left, ax_zoom = fig.axes
    assert [t.get_text() for t in ax_left.get_yticklabels()] == [f"{a} (0 km)", f"{b} (900 km)"]
    titles = [c for ax in fig.axes for c in ax.get_children() if isinstance(c, Text) and c.get_text()]
    _inside_and_apart(fig, [*ax_left.get_yticklabels(), *titles])
    renderer = fig.canvas.get_renderer()
    heading, zoom = (next(t for t in titles if t.get_text().startswith(s)) for s in ("long names", "zoom"))
    assert heading.get_window_extent(renderer).x1 < zoom.get_window_extent(renderer).x0


def test_section_bars_with_long_names_keep_their_labels_and_legend_inside_the_figure() -> None:
    """The bars' names on the left and the legend below are measured (the legend in fewer columns when six do not
    fit), and a published bracket's note near the longest bar's end narrows the axes instead of leaving the figure."""
    sections = [f"{place} section of the corridor" for place in LONG_PLACES] + ["KZ rail"]
    means = pd.DataFrame(
        [
            {"scenario": name, "section": section, "state": state, "days": days}
            for name in ("a scenario with a long name (2030 plan)", "b")
            for section in sections
            for state, days in (("moving", 2.0), ("waiting", 3.0))
        ]
    )
    bands = pd.DataFrame(
        {"scenario": "b", "group": "the whole corridor as the ministry counts it", "sections": ";".join(sections)},
        index=[0],
    ).assign(low_days=18.0, high_days=20.0)
    fig = plots.section_bars(means, "long names", bands)
    ax = fig.axes[0]
    note = next(t for t in ax.texts if "published" in t.get_text())
    _inside_and_apart(fig, [*ax.get_yticklabels(), ax.get_legend(), note])
