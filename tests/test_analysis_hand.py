"""The statistics of `analysis` and the bookkeeping of `compare` on tables small enough to work out by hand.

Every expected figure is derived in a comment from the rows written in the test (Student's t quantiles from
tables: t(0.975, 4) = 2.776445, t(0.975, 1) = 12.706205, t(0.95, 2) = 2.919986). These cases were written to kill
mutants that the end-to-end tests let through (see docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from conftest import load, scenario_dict

from corridor_sim import analysis, compare
from corridor_sim.network import build_network


def rows(**columns) -> pd.DataFrame:
    """Containers: every column a list or a scalar; defaults make a measured delivered container to z."""
    base = {"replication": 0, "destination": "z", "measured": True, "status": "delivered", "start_day": 1.0}
    n = max(len(v) for v in columns.values() if isinstance(v, list))
    frame = pd.DataFrame({**base, **columns}, index=range(n))
    if "end_day" not in columns:
        frame["end_day"] = frame["start_day"] + frame["transit_days"]
    return frame


# --- t_interval --------------------------------------------------------------------------------------------------


def test_t_interval_of_five_values_by_hand() -> None:
    # 1..5: mean 3, sample sd sqrt(2.5) = 1.581139, sd / sqrt(5) = 0.707107, half = 2.776445 × 0.707107 = 1.963243
    low, high = analysis.t_interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert (low, high) == pytest.approx((3 - 1.963243, 3 + 1.963243), abs=1e-6)


def test_t_interval_drops_missing_values_and_uses_the_level() -> None:
    # [1, nan, 3] is [1, 3]: mean 2, sd sqrt(2), sd / sqrt(2) = 1, half = t(0.975, 1) = 12.706205
    assert analysis.t_interval(np.array([1.0, np.nan, 3.0])) == pytest.approx((2 - 12.706205, 2 + 12.706205))
    # 90 %: [0, 3, 6]: mean 3, sd 3, sd / sqrt(3) = 1.732051, half = 2.919986 × 1.732051 = 5.057563
    assert analysis.t_interval(np.array([0.0, 3.0, 6.0]), level=0.9) == pytest.approx((3 - 5.057563, 3 + 5.057563))


def test_t_interval_of_fewer_than_two_values_is_undefined() -> None:
    for values in ([5.0], [np.nan, 4.0], []):
        assert all(math.isnan(v) for v in analysis.t_interval(np.array(values)))
    assert analysis.t_interval(np.array([2.0, 2.0])) == (2.0, 2.0)  # two values suffice (width 0 here)


# --- interval, replication_groups, resample ------------------------------------------------------------------------


def test_percentile_interval_of_estimates_leaves_out_the_missing() -> None:
    # 0..40 (41 values): numpy's linear 2.5th percentile sits at index 0.025 × 40 = 1, the 97.5th at 39; 5th/95th
    # (level 0.9) at 2 and 38. A missing estimate is left out, not counted as a value.
    e = np.concatenate([np.arange(41.0), [np.nan, np.nan]])
    assert analysis.interval(e) == pytest.approx((1.0, 39.0))
    assert analysis.interval(e, level=0.9) == pytest.approx((2.0, 38.0))
    assert all(math.isnan(v) for v in analysis.interval(np.array([np.nan])))


def test_replication_groups_in_the_order_asked_with_empty_ones() -> None:
    frame = rows(replication=[2, 0, 2, 0], transit_days=[5.0, 3.0, 1.0, 4.0])
    default = analysis.replication_groups(frame)
    assert [g.tolist() for g in default] == [[3.0, 4.0], [1.0, 5.0]]  # sorted within, replications 0 and 2
    asked = analysis.replication_groups(frame, [2, 1, 0])
    assert [g.tolist() for g in asked] == [[1.0, 5.0], [], [3.0, 4.0]]


def test_resample_equals_percentiles_and_mean_of_the_concatenated_picks() -> None:
    """The reference: draw the same picks (numpy's generator with the seed), concatenate the picked replications'
    values and ask numpy for the percentiles and mean. An empty replication contributes nothing."""
    groups = [np.array([1.0, 2.0, 7.0]), np.array([3.0]), np.empty(0), np.array([4.0, 10.0])]
    qs, n_boot, seed = (10, 50, 90), 60, 5
    got = analysis.resample(groups, qs, n_boot=n_boot, seed=seed)
    picks = np.random.default_rng(seed).integers(0, len(groups), (n_boot, len(groups)))
    assert got.shape == (len(qs) + 1, n_boot)
    for j in range(n_boot):
        pooled = np.concatenate([groups[i] for i in picks[j]])
        if len(pooled) == 0:
            assert np.isnan(got[:, j]).all()
            continue
        assert got[:-1, j] == pytest.approx(np.percentile(pooled, qs))
        assert got[-1, j] == pytest.approx(pooled.mean())


def test_resample_of_nothing_delivered_is_all_missing() -> None:
    got = analysis.resample([np.empty(0), np.empty(0)], (50,), n_boot=4)
    assert got.shape == (2, 4) and np.isnan(got).all()


def test_bootstrap_percentiles_need_two_replications() -> None:
    one = rows(replication=0, transit_days=[1.0, 2.0, 3.0])
    assert all(math.isnan(v) for ci in analysis.bootstrap_percentiles(one, [50, 90]) for v in ci)
    # two replications of one value each: every resample's median is 1, 2 or 1.5; the interval spans [1, 2]
    two = rows(replication=[0, 1], transit_days=[1.0, 2.0])
    [(low, high)] = analysis.bootstrap_percentiles(two, [50], n_boot=200, seed=3)
    assert (low, high) == (1.0, 2.0)


# --- transit_summary, counts, promises, monthly --------------------------------------------------------------------


def test_transit_summary_counts_only_measured_deliveries_and_shares_of_those_started() -> None:
    # To z: delivered 1, 2, 10 days (measured), one still in flight (measured), one delivered but not measured.
    # Promise 5 days: 2 of the 4 measured starts were delivered within it: 0.5. To y: one delivered in 3 days.
    frame = rows(
        destination=["z", "z", "z", "z", "z", "y"],
        transit_days=[1.0, 2.0, 10.0, np.nan, 0.5, 3.0],
        status=["delivered", "delivered", "delivered", "in_flight", "delivered", "delivered"],
        measured=[True, True, True, True, False, True],
        replication=[0, 0, 1, 1, 1, 0],
    )
    out = analysis.transit_summary(frame, with_ci=False, promise={"z": 5.0, analysis.ALL: 2.5})
    z = out["z"]
    assert z["containers_total"] == 3 and z["mean"] == pytest.approx(13 / 3)
    assert z["p50"] == 2.0 and z["p10"] == pytest.approx(1.2) and z["p90"] == pytest.approx(8.4)
    assert z["p95"] == pytest.approx(9.2)  # index 0.95 × 2 = 1.9: 2 + 0.9 × 8
    assert (z["promise_days"], z["within_promise_share"]) == (5.0, 0.5)
    assert {k: out["y"][k] for k in ("containers_total", "mean", "p10", "p50", "p90", "p95")} == {
        "containers_total": 1,
        **{k: 3.0 for k in ("mean", "p10", "p50", "p90", "p95")},
    }
    assert "promise_days" not in out["y"] and math.isnan(out["y"]["sd"])  # one value: no promise, no spread
    # z: sample sd of 1, 2, 10 is sqrt(((10/3)^2 + (7/3)^2 + (17/3)^2) / 2) = sqrt(24.333) = 4.932883; buffer p90 - p50
    assert z["sd"] == pytest.approx(4.932883) and z["buffer_days"] == pytest.approx(8.4 - 2.0)
    # all: delivered measured 1, 2, 10, 3 of 5 measured starts; within 2.5 days: 1 and 2 -> 2/5
    assert out[analysis.ALL]["containers_total"] == 4 and out[analysis.ALL]["within_promise_share"] == 0.4
    assert set(out) == {analysis.ALL, "z", "y"}


def test_transit_summary_intervals_resample_whole_replications() -> None:
    # Two replications, each delivering one value: every resample pools 2 picks of {1, 3}; the mean is 1, 2 or 3.
    frame = rows(replication=[0, 1], transit_days=[1.0, 3.0])
    z = analysis.transit_summary(frame)["z"]
    assert z["mean_ci_low"] == 1.0 and z["mean_ci_high"] == 3.0
    assert z["p50_ci_low"] == 1.0 and z["p50_ci_high"] == 3.0 and 1.0 <= z["p90_ci_low"] <= z["p90_ci_high"] <= 3.0
    one = analysis.transit_summary(rows(replication=0, transit_days=[1.0, 3.0]))["z"]
    assert math.isnan(one["mean_ci_low"]) and math.isnan(one["p90_ci_high"])  # one replication: no interval


def test_counts_split_delivered_and_in_flight_measured_or_not() -> None:
    frame = rows(
        transit_days=[1.0, np.nan, 2.0, np.nan, 3.0],
        status=["delivered", "in_flight", "delivered", "in_flight", "delivered"],
        measured=[True, True, False, False, True],
    )
    assert analysis.counts(frame) == {
        "created": 5,
        "delivered": 3,
        "in_flight": 2,
        "measured_delivered": 2,
        "measured_in_flight": 1,
    }


def test_promises_from_the_flag_or_the_first_band_of_each_destination() -> None:
    assert analysis.promises([("z", 20.0)], ["z", "y"], 9.0) == {analysis.ALL: 9.0, "z": 9.0, "y": 9.0}
    assert analysis.promises([("z", 20.0), ("z", 30.0), ("y", 4.0)], ["z", "y"], None) == {"z": 20.0, "y": 4.0}


def test_monthly_rows_by_calendar_month_of_start_with_the_promise_share() -> None:
    # Start 2023-01-30. Day 0.5 is 30 January, day 3 is 2 February. January: 2 started, delivered in 1 and 3 days.
    # February: 2 started, one delivered in 5 days, one in flight. Promise 2 days: January 1/2, February 0/2.
    frame = rows(
        start_day=[0.5, 0.5, 3.0, 3.0],
        transit_days=[1.0, 3.0, 5.0, np.nan],
        status=["delivered", "delivered", "delivered", "in_flight"],
    )
    out = analysis.monthly(frame, dt.date(2023, 1, 30), promise={"z": 2.0}).set_index(["destination", "month"])
    assert list(out.index) == [(analysis.ALL, "2023-01"), (analysis.ALL, "2023-02"), ("z", "2023-01"), ("z", "2023-02")]
    jan, feb = out.loc[("z", "2023-01")], out.loc[("z", "2023-02")]
    assert jan["month_start"] == "2023-01-01" and feb["month_start"] == "2023-02-01"
    assert (jan["containers_started_total"], jan["containers_delivered_total"]) == (2, 2)
    assert (jan["p50_days"], jan["mean_days"]) == (2.0, 2.0) and jan["p90_days"] == pytest.approx(2.8)
    assert (feb["containers_started_total"], feb["containers_delivered_total"]) == (2, 1)
    assert (feb["p50_days"], feb["p90_days"], feb["mean_days"]) == (5.0, 5.0, 5.0)
    assert (jan["promise_days"], jan["within_promise_share"], feb["within_promise_share"]) == (2.0, 0.5, 0.0)
    assert math.isnan(out.loc[(analysis.ALL, "2023-01"), "within_promise_share"])  # no promise for all


def test_section_means_weight_each_replication_by_its_containers() -> None:
    # Replication 0: 10 containers to z, 2 days in A (queue) and 1 day in B (travel); replication 1: 30 containers,
    # 4 days in A (queue), no B row. Pooled per container: A (2×10 + 4×30) / 40 = 3.5, B 1×10 / 40 = 0.25.
    sections = pd.DataFrame(
        {
            "replication": [0, 0, 1],
            "destination": "z",
            "section": ["A", "B", "A"],
            "state": ["queue", "travel", "queue"],
            "days": [2.0, 1.0, 4.0],
            "containers": [10, 10, 30],
        }
    )
    out = analysis.section_means(sections).set_index("section")["days"]
    assert out.to_dict() == {"A": 3.5, "B": 0.25}
    by_state = analysis.section_means(sections, by_state=True)
    assert by_state[["section", "state", "days"]].values.tolist() == [["A", "queue", 3.5], ["B", "travel", 0.25]]


# --- compare bookkeeping -------------------------------------------------------------------------------------------


def test_unique_names_number_repeats_from_two() -> None:
    raw = scenario_dict({"o": {"role": "terminal"}, "z": {"role": "terminal"}}, {"oz": {"from": "o", "to": "z"}}, {})
    raw["network"]["segments"]["oz"]["travel_time"] = "1h"
    a = load({**raw, "name": "a"})
    b = load({**raw, "name": "b"})
    assert compare.unique_names([a, b, a, a]) == ["a", "b", "a-2", "a-3"]


def test_pairs_later_minus_earlier_or_against_the_reference() -> None:
    assert compare.pairs(["a", "b", "c"], None) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert compare.pairs(["a", "b", "c"], "b") == [("b", "a"), ("b", "c")]
    with pytest.raises(Exception, match="not a scenario of this comparison"):
        compare.pairs(["a", "b"], "x")


def test_paired_differences_are_scenario_minus_reference_per_metric() -> None:
    # point figures (p50, p90, mean) and 3 resamples each; b - a is (+1, +2, -0.5) exactly, resample by resample
    a_draws = np.array([[1.0, 1.5, 2.0], [3.0, 3.5, 4.0], [2.0, 2.0, 2.0]])
    draws = {
        "a": {"z": (np.array([1.0, 3.0, 2.0]), a_draws)},
        "b": {"z": (np.array([2.0, 5.0, 1.5]), a_draws + np.array([[1.0], [2.0], [-0.5]])), "y": (None, None)},
    }
    out = compare.paired_differences(draws, [("a", "b")], replications=3).set_index("metric")
    assert list(out.index) == ["mean", "p50", "p90"]  # only destinations both scenarios have
    assert out["difference_days"].to_dict() == {"mean": -0.5, "p50": 1.0, "p90": 2.0}
    assert out.loc["p50", ["scenario_days", "reference_days"]].tolist() == [2.0, 1.0]
    assert out["ci_low"].to_dict() == {"mean": -0.5, "p50": 1.0, "p90": 2.0} == out["ci_high"].to_dict()
    assert set(out["scenario"]) == {"b"} and set(out["reference"]) == {"a"} and set(out["replications"]) == {3}


def test_resamples_point_figures_are_the_pooled_table_figures() -> None:
    frame = rows(replication=[0, 0, 1], transit_days=[1.0, 2.0, 6.0])
    out = compare.resamples(frame, range(2))
    point, draws = out["z"]
    assert point.tolist() == pytest.approx([2.0, 5.2, 3.0])  # p50, p90 (index 1.8: 2 + 0.8 × 4), mean
    assert draws.shape == (3, 400) and set(out) == {analysis.ALL, "z"}


def test_busiest_destination_sums_deliveries_over_scenarios() -> None:
    table = pd.DataFrame(
        {
            "destination": [analysis.ALL, "z", "y", analysis.ALL, "z", "y"],
            "containers_delivered_total": [100, 30, 70, 100, 61, 20],
        }
    )
    delivered = table.set_index("destination")["containers_delivered_total"]
    assert analysis.headline([], delivered) == "z"  # 91 against 90 over both; 'all' never counts
    assert analysis.headline([], delivered[delivered.index == analysis.ALL]) is None


def test_terminal_view_names_each_figure_and_rounds_to_a_tenth() -> None:
    table = pd.DataFrame(
        {
            "scenario": ["a"],
            "destination": ["z"],
            "containers_delivered_per_replication": [90.0],
            "p10_days": [1.04],
            "p50_days": [2.0],
            "p90_days": [3.96],
            "buffer_days": [1.96],
            "mean_days": [2.5],
            "within_promise_share": [np.nan],
            "throughput_teu_per_day": [12.0],
            "mean_days Kazakhstan (group)": [0.75],
            "mean_days KZ rail": [0.5],  # a section column: not in the terminal view
        }
    )
    header, row = compare.format_table(table).splitlines()
    assert header.split() == [
        "scenario", "destination", "delivered/rep", "p10", "p50", "p90", "p90-p50", "mean", "in", "promise",
        "TEU/day", "mean", "Kazakhstan", "(group)",
    ]  # fmt: skip
    assert row.split() == ["a", "z", "90.0", "1.0", "2.0", "4.0", "2.0", "2.5", "12.0", "0.8"]  # no promise: blank


def test_accounting_summary_mean_median_and_p90_per_destination_by_hand() -> None:
    # to z: prices 100, 200, 300, 400 (p50 250, p90 at index 2.7: 300 + 0.7 × 100 = 370, mean 250); y: one at 50;
    # the unmeasured container and the missing CO2e are left out
    frame = rows(
        destination=["z", "z", "z", "z", "y", "z"],
        measured=[True, True, True, True, True, False],
        transit_days=1.0,
        price_usd=[100.0, 200.0, 300.0, 400.0, 50.0, 9000.0],
        co2e_kg=np.nan,
    )
    out = analysis.accounting_summary(frame)
    assert out["z"] == {"price_usd": {"mean": 250.0, "p50": 250.0, "p90": pytest.approx(370.0)}}
    assert out["y"] == {"price_usd": {"mean": 50.0, "p50": 50.0, "p90": 50.0}}
    assert out[analysis.ALL]["price_usd"]["mean"] == 210.0  # (1000 + 50) / 5


def test_resamples_of_nothing_measured_are_missing() -> None:
    frame = rows(measured=[False, False], transit_days=[1.0, 2.0])
    out = compare.resamples(frame, range(1))
    assert set(out) == {analysis.ALL}
    assert np.isnan(out[analysis.ALL][0]).all() and out[analysis.ALL][0].shape == (3,)


def test_a_reference_not_compared_is_refused_naming_the_scenarios() -> None:
    with pytest.raises(Exception, match=r"^--reference: not a scenario of this comparison \(names: a, b\)$"):
        compare.pairs(["a", "b"], "x")


def test_monthly_of_nothing_started_keeps_its_columns() -> None:
    frame = rows(transit_days=[1.0, 2.0]).iloc[:0]
    empty = analysis.monthly(frame, dt.date(2023, 1, 1))
    full = analysis.monthly(rows(transit_days=[1.0, 2.0]), dt.date(2023, 1, 1))
    assert len(empty) == 0 and list(empty.columns) == list(full.columns) and len(full.columns) > 3


def test_throughput_counts_deliveries_from_the_window_start_up_to_but_not_at_its_end() -> None:
    # window days 2 to 10, 2 replications, 2 TEU a container: deliveries at 2 (in) and 10 (out, the window is
    # half-open) to z, 5 (in) and 1.9 (out) to y, one in flight at 6 (out): 1 in to each, 8 days, 2 replications
    frame = rows(
        destination=["z", "z", "y", "y", "z"],
        replication=[0, 1, 1, 0, 0],
        status=["delivered", "delivered", "delivered", "delivered", "in_flight"],
        transit_days=1.0,
        end_day=[2.0, 10.0, 5.0, 1.9, 6.0],
    )
    out = analysis.throughput_teu_per_day(frame, (2.0, 10.0), 2.0, 2)
    assert out == {analysis.ALL: 2 * 2 / 2 / 8, "z": 2 / 2 / 8, "y": 2 / 2 / 8}


def test_section_columns_of_routes_of_equal_length_follow_the_flows_order_in_the_file() -> None:
    # two routes of 0 km (no distances): a tie, so the flows' order in the file decides, "west" before "east"
    nodes = {n: {"role": "terminal", "section": f"{n} yard"} for n in ("o", "p", "w", "e")}
    segments = {
        "ow": {"from": "o", "to": "w", "travel_time": "1h", "section": "W line"},
        "pe": {"from": "p", "to": "e", "travel_time": "1h", "section": "E line"},
    }
    train = {"trains_per_week": 7, "containers_per_train": 1}
    raw = scenario_dict(
        nodes,
        segments,
        {"west": {"origin": "o", "destination": "w"} | train, "east": {"origin": "p", "destination": "e"} | train},
    )
    s = load(raw)
    columns = ["scenario", "mean_days p yard", "mean_days E line", "mean_days o yard", "mean_days W line"]
    table = pd.DataFrame(columns=columns)
    ordered = compare._ordered_columns(table, [s], [build_network(s)])
    assert ordered == ["scenario", "mean_days o yard", "mean_days W line", "mean_days p yard", "mean_days E line"]


def test_share_within_the_promise_of_nothing_started_is_undefined() -> None:
    frame = rows(measured=[False, False], transit_days=[1.0, 2.0])
    out = analysis.transit_summary(frame, promise={analysis.ALL: 1.0})
    assert out[analysis.ALL]["containers_total"] == 0 and math.isnan(out[analysis.ALL]["within_promise_share"])


def test_transit_summary_has_no_row_for_a_destination_without_measured_deliveries() -> None:
    frame = rows(
        destination=pd.Categorical(["z", "y"], categories=["y", "z"]), measured=[True, False], transit_days=1.0
    )
    assert set(analysis.transit_summary(frame)) == {analysis.ALL, "z"}
