"""`compare` end to end on corridors whose transit is worked out by hand, and the statistics it is built from.

Every expected figure is derived in the comments from the scenarios alone. Times are hours unless a name ends in
`_days`.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import load, scenario_dict

from corridor_sim import analysis, plots
from corridor_sim.cli import main
from corridor_sim.compare import compare, comparison_table, format_table, resamples, tabulate, write_comparison


def line(
    travel: str, name: str, handling: str | dict = "2h", arrivals: str = "timetable", cooldown: str = "3d"
) -> dict:
    """o --rail--> z: block trains of 10 every 24 h (the k-th at 24 k h, k = 1, 2, ...), o handles one in
    `handling`, then the line takes `travel`. With fixed times and 24 h between trains nothing ever queues, so every
    container takes handling + travel."""
    nodes = {"o": {"role": "terminal", "handling": {"servers": 1, "time": handling}}, "z": {"role": "terminal"}}
    segments = {"oz": {"from": "o", "to": "z", "travel_time": travel, "trains_per_day": 4}}
    flows = {
        "f": {"origin": "o", "destination": "z", "trains_per_week": 7, "arrivals": arrivals, "containers_per_train": 10}
    }
    raw = scenario_dict(
        nodes, segments, flows, name=name, duration="10d", warmup="0h", cooldown=cooldown, replications=2
    )
    raw["published"] = [{"destination": "z", "low": "1d", "high": "1d"}]
    return raw


# Fast: 2 h + 6 h = 8 h = 1/3 day; slow: 2 h + 30 h = 32 h = 4/3 days. Trains start at 24 k h for k = 1..9 inside the
# 10-day window (240 h is its end), so 90 containers per replication, 180 over two. Slow minus fast: +1 day exactly
# for every statistic, with a zero-width interval. Within the promise of 1 day (the band's upper end): all of fast,
# none of slow.
FAST_DAYS, SLOW_DAYS = 8 / 24, 32 / 24


@pytest.fixture(scope="module")
def fixed_pair(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """`corridor-sim compare fast.yaml slow.yaml` through the CLI; its files read back."""
    d = tmp_path_factory.mktemp("compare")
    paths = []
    for raw in (line("6h", "fast"), line("30h", "slow")):
        paths.append(d / f"{raw['name']}.yaml")
        paths[-1].write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = d / "out"
    assert main(["compare", *map(str, paths), "--out", str(out), "--quiet", "--no-cache"]) == 0
    files = {n: pd.read_csv(out / f"{n}.csv") for n in ("comparison", "differences", "monthly", "section_means")}
    files["text"] = {n: (out / f"{n}.csv").read_text() for n in ("comparison", "differences")}
    files["summary"] = json.loads((out / "slow" / "summary.json").read_text())
    files["out"] = out
    return files


def test_compare_tables_hold_the_hand_computed_transit(fixed_pair) -> None:
    table = fixed_pair["comparison"].set_index(["scenario", "destination"])
    for name, days in (("fast", FAST_DAYS), ("slow", SLOW_DAYS)):
        row = table.loc[(name, "z")]
        for col in ("p10_days", "p50_days", "p90_days", "mean_days", "p50_ci_low", "p50_ci_high"):
            assert row[col] == pytest.approx(days, abs=1e-6)
        assert row["containers_delivered_total"] == 180 and row["containers_delivered_per_replication"] == 90
        assert row["replications"] == 2
        assert row["within_promise_share"] == (1.0 if name == "fast" else 0.0)
    assert fixed_pair["text"]["comparison"].count("0.333333") >= 4  # six decimals, not four significant figures


def test_paired_difference_is_the_later_scenario_minus_the_earlier_with_its_sign(fixed_pair) -> None:
    diff = fixed_pair["differences"]
    assert set(diff["metric"]) == {"mean", "p50", "p90"}
    assert (diff["scenario"] == "slow").all() and (diff["reference"] == "fast").all()
    for col in ("difference_days", "ci_low", "ci_high"):
        assert diff[col].to_numpy() == pytest.approx(np.ones(len(diff)), abs=1e-6)  # slow - fast = +1 day
    table = fixed_pair["comparison"].set_index(["scenario", "destination"])
    for _, row in diff.iterrows():
        metric = f"{row['metric']}_days"
        expected = table.loc[("slow", row["destination"]), metric] - table.loc[("fast", row["destination"]), metric]
        assert row["difference_days"] == pytest.approx(expected, abs=2e-6)  # the table's own figures, subtracted


def test_sections_add_up_to_the_table_mean(fixed_pair) -> None:
    table = fixed_pair["comparison"]
    for _, row in table[table["destination"].ne("(all)")].iterrows():
        sections = [c for c in table.columns if c.startswith("mean_days ") and not c.endswith("(group)")]
        assert row[sections].sum() == pytest.approx(row["mean_days"], abs=1e-5)


def test_monthly_table_has_calendar_months_and_counts(fixed_pair) -> None:
    monthly = fixed_pair["monthly"]
    z = monthly[(monthly["scenario"] == "slow") & (monthly["destination"] == "z")]
    # simulation.start defaults to 2023-01-01: trains on days 1..9 all start in January 2023
    assert z["month"].tolist() == ["2023-01"] and z["month_start"].tolist() == ["2023-01-01"]
    assert z["containers_started_total"].tolist() == [180] and z["p50_days"].iloc[0] == pytest.approx(SLOW_DAYS)


def test_summary_json_is_strict_json_with_the_promise_share(fixed_pair, tmp_path) -> None:
    z = fixed_pair["summary"]["transit_days"]["z"]
    assert z["promise_days"] == 1 and z["within_promise_share"] == 0
    assert fixed_pair["summary"]["seed"] == 1  # each scenario's run directory records the comparison's seed


def _strict(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_summary_json_of_one_replication_has_null_not_nan(tmp_path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(line("6h", "one")), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(path), "--replications", "1", "--out", str(out), "--quiet", "--no-cache"]) == 0
    summary = _strict((out / "summary.json").read_text())
    assert summary["transit_days"]["z"]["p50_ci_low"] is None  # one replication: no interval, and it says so
    assert summary["transit_days"]["z"]["p50"] == pytest.approx(FAST_DAYS)


def test_reference_gives_each_scenario_against_it_and_every_pair_by_default() -> None:
    scenarios = [load(line("6h", "a")), load(line("30h", "b")), load(line("18h", "c"))]
    every = compare(scenarios, replications=2, seed=1).differences
    assert sorted(set(zip(every["scenario"], every["reference"], strict=True))) == [("b", "a"), ("c", "a"), ("c", "b")]
    c_b = every[(every["scenario"] == "c") & (every["reference"] == "b") & (every["metric"] == "p50")]
    assert c_b["difference_days"].iloc[0] == pytest.approx((20 - 32) / 24)  # c (2 h + 18 h) minus b (2 h + 30 h)
    against = compare(scenarios, replications=2, seed=1, reference="c").differences
    assert sorted(set(zip(against["scenario"], against["reference"], strict=True))) == [("a", "c"), ("b", "c")]


def test_paired_difference_of_random_scenarios_equals_the_difference_of_pooled_figures() -> None:
    """Poisson arrivals and a random handling time (queues at o): the difference is still the table's p50s subtracted.
    On common random numbers both scenarios draw the same arrivals and handling times, and the later one only adds
    24 h of travel to every container (a long cool-down delivers them all), so each paired resample differs by
    exactly one day: a zero-width interval, where each scenario's own p50 interval is wide."""
    handling = {"dist": "exponential", "mean": "20h"}
    a, b = (load(line(t, n, handling, "poisson", cooldown="60d")) for t, n in (("6h", "a"), ("30h", "b")))
    result = compare([a, b], replications=4, seed=3)
    table = result.table.set_index(["scenario", "destination"])
    row = result.differences.query("destination == 'z' and metric == 'p50'").iloc[0]
    assert row["difference_days"] == pytest.approx(
        table.loc[("b", "z"), "p50_days"] - table.loc[("a", "z"), "p50_days"]
    )
    assert row["difference_days"] == pytest.approx(1.0) and (row["ci_low"], row["ci_high"]) == pytest.approx((1, 1))
    assert table.loc[("a", "z"), "p50_ci_high"] - table.loc[("a", "z"), "p50_ci_low"] > 0.1
    sections = [c for c in table.columns if c.startswith("mean_days ")]
    assert table.loc[("a", "z"), sections].sum() == pytest.approx(table.loc[("a", "z"), "mean_days"], rel=1e-9)


def test_section_means_pool_containers_over_replications() -> None:
    """Replication 0 has 1 container with 2 days in section S, replication 1 has 3 with 4 days each: 14 days over 4
    containers = 3.5 (a mean of replication means would say 3, one replication's denominator 7 or 14)."""
    sections = pd.DataFrame(
        {
            "replication": [0, 1],
            "destination": ["z", "z"],
            "section": ["S", "S"],
            "state": ["moving", "moving"],
            "days": [2.0, 4.0],
            "containers": [1, 3],
        }
    )
    assert analysis.section_means(sections)["days"].tolist() == [3.5]


def test_t_interval_uses_the_sample_standard_deviation() -> None:
    """1, 2, 3, 4: mean 2.5, sample sd sqrt(5/3) (ddof 1), t quantile 3.182446 for 3 degrees of freedom at 97.5 %."""
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2
    assert analysis.t_interval(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx((2.5 - half, 2.5 + half), rel=1e-9)


def test_export_writes_the_summary_tables_to_one_workbook(fixed_pair, tmp_path) -> None:
    out = fixed_pair["out"]
    assert main(["export", str(out), "--xlsx", "--out", str(tmp_path / "c.xlsx")]) == 0
    book = pd.read_excel(tmp_path / "c.xlsx", sheet_name=None)
    assert list(book) == ["comparison", "differences", "section_means", "monthly"]
    pd.testing.assert_frame_equal(book["differences"], fixed_pair["differences"], check_dtype=False)
    assert main(["export", str(out / "slow"), "--xlsx", "--out", str(tmp_path / "r.xlsx")]) == 0
    run = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)
    assert list(run) == ["summary", "section_means", "monthly", "published"]
    z = run["summary"].set_index("destination").loc["z"]
    assert z["p50"] == pytest.approx(SLOW_DAYS) and z["containers_delivered_total"] == 180
    assert main(["export", str(out), "--xlsx", "--out", str(tmp_path / "c.xlsx")]) == 2  # never overwritten


def test_a_replication_without_deliveries_still_resamples() -> None:
    """Replication 1 delivered nothing: a resample that picks only it has no percentile (NaN), the others pool
    replication 0's values, whose median is 2."""
    draws = analysis.resample([np.array([1.0, 2.0, 3.0]), np.empty(0)], [50], n_boot=50, seed=1)
    p50 = draws[0]
    assert np.isnan(p50).any() and (p50[~np.isnan(p50)] == 2.0).all()


def two_destinations(name: str, published: bool = True) -> dict:
    """o --Z line, 6 h, 900 km--> z and p --Y line, 300 h, 300 km--> y, each origin handling one train in 2 h (its
    own section). Trains of 10: to z every 24 h from hour 24, to y every 48 h from hour 48. Window: warm-up 2 d,
    duration 10 d (hours 48 to 240), cool-down 15 d. To z: trains 2..9 start in the window, 80 containers, delivered
    at 24 k + 8 h (56 ... 224), all in the window: 80 × 2 TEU / 8 d = 20 TEU/day. To y: trains at 48, 96, 144, 192
    start in the window, 40 containers, delivered at 48 k + 302 h (350 ... 494), all after the window: 0 TEU/day.
    z is the busier destination; the published band (if any) is on y."""
    nodes = {
        "o": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}, "section": "O yard"},
        "z": {"role": "terminal"},
        "p": {"role": "terminal", "handling": {"servers": 1, "time": "2h"}, "section": "P yard"},
        "y": {"role": "terminal"},
    }
    segments = {
        "oz": {"from": "o", "to": "z", "travel_time": "6h", "distance": "900km", "section": "Z line"},
        "py": {"from": "p", "to": "y", "travel_time": "300h", "distance": "300km", "section": "Y line"},
    }
    train = {"arrivals": "timetable", "containers_per_train": 10}
    flows = {
        "f": {"origin": "o", "destination": "z", "trains_per_week": 7} | train,
        "g": {"origin": "p", "destination": "y", "trains_per_week": 3.5} | train,
    }
    raw = scenario_dict(nodes, segments, flows, name=name, duration="10d", warmup="2d", cooldown="15d")
    raw["section_groups"] = {"lines": ["Z line", "Y line"]}
    if published:
        raw["published"] = [{"destination": "y", "low": "13d", "high": "14d"}]
    return raw


@pytest.fixture(scope="module")
def two_way():
    scenarios = [load(two_destinations("a")), load(two_destinations("b"))]
    return scenarios, compare(scenarios, replications=1, seed=1)


def test_throughput_counts_deliveries_inside_the_window_per_day(two_way) -> None:
    table = two_way[1].table.set_index(["scenario", "destination"])["throughput_teu_per_day"]
    assert table.loc["a"].to_dict() == pytest.approx({analysis.ALL: 20.0, "y": 0.0, "z": 20.0})  # see two_destinations
    assert two_way[1].table.set_index(["scenario", "destination"]).loc[("a", "y"), "containers_delivered_total"] == 40


def test_spread_of_transit_is_the_sample_standard_deviation(two_way) -> None:
    """Over both destinations: 80 containers at 1/3 day and 40 at 12 7/12 days (302 h), 12.25 days apart: population
    sd 12.25 × sqrt(2/3 × 1/3), times sqrt(120/119) for the sample sd; each destination alone: 0."""
    sd = two_way[1].table.set_index(["scenario", "destination"])["sd_days"]
    assert sd.loc[("a", analysis.ALL)] == pytest.approx(12.25 * math.sqrt(2 / 9) * math.sqrt(120 / 119))
    assert sd.loc[("a", "z")] == pytest.approx(0.0, abs=1e-12) == sd.loc[("a", "y")]
    buffer = two_way[1].table.set_index(["scenario", "destination"])["buffer_days"]  # p90 - p50: 302 h - 8 h
    assert buffer.loc[("a", analysis.ALL)] == pytest.approx(12.25) and buffer.loc[("a", "z")] == 0.0


def test_comparison_table_carries_the_price_figures_of_each_destination(two_way) -> None:
    """A price of 100 USD a day in transit (added to the run's rows): to y every container 1258 1/3 USD (12 7/12
    days), to z 33 1/3; mean, p50 and p90 of each."""
    scenarios, result = two_way
    tables = dict(result.tables["a"])
    tables["containers"] = tables["containers"].assign(price_usd=lambda c: c["transit_days"] * 100)
    table = comparison_table("a", scenarios[0], tables, 1, {}).set_index("destination")
    y = table.loc["y", ["price_usd_mean", "price_usd_p50", "price_usd_p90"]].tolist()
    assert y == pytest.approx([1258 + 1 / 3] * 3)
    assert table.loc["z", "price_usd_p90"] == pytest.approx(100 / 3)


def test_a_promise_given_to_compare_replaces_the_published_band() -> None:
    """`--promise 0.5d`: fast (1/3 day) is always within it, slow (4/3 days) never, although the band says 1 day."""
    table = compare([load(line("6h", "fast")), load(line("30h", "slow"))], replications=1, seed=1, promise_days=0.5)
    rows = table.table.set_index(["scenario", "destination"])
    assert rows.loc[("fast", "z"), "promise_days"] == 0.5 == rows.loc[("slow", "z"), "promise_days"]
    assert (
        rows.loc[("fast", "z"), "within_promise_share"] == 1.0
        and rows.loc[("slow", "z"), "within_promise_share"] == 0.0
    )


def test_section_columns_follow_the_longest_route_then_the_others_groups_last(two_way) -> None:
    """The route to z (900 km) is the longer: its sections first, in the order its containers meet them (O yard,
    then Z line), then the route to y's; the group after every section; nothing else after them."""
    columns = list(two_way[1].table.columns)
    tail = ["O yard", "Z line", "P yard", "Y line", "lines (group)"]
    assert columns[-5:] == [f"mean_days {c}" for c in tail]
    assert not any(c.startswith("mean_days ") for c in columns[:-5] if c != "mean_days")


@pytest.mark.parametrize(("published", "expected"), [(True, "y"), (False, "z")])
def test_comparison_figures_speak_of_the_banded_destination_else_the_busiest(
    two_way, tmp_path, monkeypatch, published: bool, expected: str
) -> None:
    """With a published band the comparison's figures are of the band's destination (y, the quieter one); without
    one, of the destination with the most deliveries (z: 80 a scenario against 40). The figures are read as they
    are handed to be saved (titles), not decoded from the PNGs."""
    titles: dict[str, list[str]] = {}

    def keep(fig, path, tight=False):
        titles[path.name] = [ax.get_title() for ax in fig.axes]

    monkeypatch.setattr(plots, "save", keep)
    scenarios = [load(two_destinations(n, published)) for n in ("a", "b")]
    write_comparison(tmp_path, two_way[1], scenarios, replications=1, seed=1)
    assert f"Transit time by scenario, to {expected}" in titles["transit_compare.png"]
    assert f"Where the days go (to {expected}; mean days per container)" in titles["sections_compare.png"]


def test_resamples_leave_out_destinations_without_measured_rows() -> None:
    """`destination` is a categorical (as in a run's tables) that also knows y, which has no measured row: only z
    and the whole get figures (pandas < 3 groups unobserved categories unless told `observed=True`)."""
    containers = pd.DataFrame(
        {
            "replication": [0, 0, 1],
            "destination": pd.Categorical(["z", "z", "y"], categories=["y", "z"]),
            "measured": [True, True, False],
            "status": "delivered",
            "transit_days": [1.0, 3.0, 9.0],
        }
    )
    out = resamples(containers, range(2))
    assert set(out) == {analysis.ALL, "z"}
    assert out["z"][0].tolist() == pytest.approx([2.0, 2.8, 2.0])  # p50, p90 (1 + 0.9 × 2), mean of 1 and 3


def test_tabulate_reads_the_replications_off_the_runs_and_gives_compare_s_table() -> None:
    """Two replications of fixed corridors: every container of a scenario takes the same time, so the mean's
    interval has zero width at that time; `tabulate` of the runs (replications not given: 1 + the highest index
    found, 2) gives exactly `compare`'s table."""
    scenarios = [load(line("6h", "fast")), load(line("30h", "slow"))]
    done: list[int] = []
    result = compare(scenarios, replications=2, seed=1, progress=done.append)
    assert sum(done) == 4  # the progress bar hears of every replication of every scenario
    rows = result.table.set_index(["scenario", "destination"])
    assert rows.loc[("slow", "z"), ["mean_ci_low", "mean_days", "mean_ci_high"]].tolist() == pytest.approx(
        [SLOW_DAYS] * 3
    )
    for key in ("p50", "p90"):
        assert rows.loc[("slow", "z"), [f"{key}_ci_low", f"{key}_ci_high"]].tolist() == pytest.approx([SLOW_DAYS] * 2)
    again = tabulate(scenarios, [result.tables[n] for n in ("fast", "slow")])
    pd.testing.assert_frame_equal(again.table, result.table)
    assert set(again.table["replications"]) == {2}


def test_resamples_count_a_replication_without_rows_for_a_destination() -> None:
    """Replication 1 delivered nothing to z: a resample that picks it twice (1 in 4) has no percentile, so some of
    the 400 resamples are missing; the point figures are those of replication 0's rows."""
    frame = pd.DataFrame(
        {"replication": [0, 0], "destination": "z", "measured": True, "status": "delivered", "transit_days": [1.0, 3.0]}
    )
    point, draws = resamples(frame, range(2))["z"]
    assert point.tolist() == pytest.approx([2.0, 2.8, 2.0])
    assert np.isnan(draws).any() and not np.isnan(draws).all()


def test_without_any_promise_the_terminal_view_leaves_the_share_blank() -> None:
    """No published band and no --promise: there is no share to show, in any row (not the word None)."""
    raws = [line("6h", "fast"), line("30h", "slow")]
    for raw in raws:
        del raw["published"]
    table = compare([load(r) for r in raws], replications=1, seed=1).table
    assert table["within_promise_share"].isna().all()
    header, *rows = format_table(table).splitlines()
    assert header.split()[-3:] == ["in", "promise", "TEU/day"]
    # TEU/day in the 10-day window: fast delivers all 9 trains of 20 TEU (18.0), slow 8 (the 9th at 248 h): 16.0
    assert [r.split()[-2:] for r in rows] == [["0.3", "18.0"], ["0.3", "18.0"], ["1.3", "16.0"], ["1.3", "16.0"]]


def test_each_scenario_s_run_directory_takes_the_comparison_s_promise(two_way, tmp_path, monkeypatch) -> None:
    """`compare --promise 0.5d`: the run directory of each scenario says so too (not the band's 14 days)."""
    monkeypatch.setattr(plots, "save", lambda fig, path, tight=False: path)  # the figures are not what is checked
    scenarios, result = two_way
    write_comparison(tmp_path, result, scenarios, replications=1, seed=1, promise_days=0.5)
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["transit_days"]["y"]["promise_days"] == 0.5
