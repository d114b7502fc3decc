"""Interventions ranked by days saved per container, by generalised cost saved per TEU and by days per USD million,
against what those figures must be given the KPIs of the same table."""

from __future__ import annotations

import pytest
from test_tuning import border_corridor, study

from corridor_sim.errors import ScenarioError
from corridor_sim.tuning.interventions import ALL_TOGETHER, rank


def priced_border(write_yaml):
    """The M/M/1 border of `test_tuning` with a value of time (50,000 USD per TEU at 1 %/day: 500 USD per TEU-day)
    and a flat charge, which no intervention changes, so generalised cost saved is the time saved at 500 USD."""
    raw = border_corridor()
    raw["costs"] = {
        "value_of_time": {"cargo_value_per_teu": 50000, "percent_per_day": 1, "year": 2020},
        "charges": {"rail": {"at": ["bz"], "amount": 300, "per": "feu", "currency": "USD", "year": 2024}},
    }
    return study(write_yaml, raw)


def test_interventions_rank_by_cost_and_days_per_usd_million(write_yaml) -> None:
    s = priced_border(write_yaml)
    by_gc = rank(s, by="generalised_cost").set_index("intervention")
    rows = by_gc.drop(index="(base)")
    assert (rows["saved_mean_days"] == by_gc.loc["(base)", "mean_days"] - rows["mean_days"]).all()
    assert rows["saved_generalised_cost_per_teu"].to_numpy() == pytest.approx(500 * rows["saved_mean_days"], rel=1e-9)
    # costs: faster_rail 10, second_lane 5, together 15 (MUSD)
    assert rows["cost_musd"].to_dict() == {"second_lane": 5, ALL_TOGETHER: 15, "faster_rail": 10}
    assert (rows["saved_mean_days_per_musd"] == rows["saved_mean_days"] / rows["cost_musd"]).all()
    assert list(rows["saved_generalised_cost_per_teu"]) == sorted(rows["saved_generalised_cost_per_teu"], reverse=True)
    assert by_gc.loc["(base)", "ranking"] == "ranked by generalised cost saved per TEU (USD)"
    assert rows["ranking"].iloc[0] == "1 by generalised cost saved per TEU (USD)"

    per_musd = rank(s, by="days_per_musd")
    assert per_musd["ranking"].iloc[0] == "ranked by days saved per container per USD million"
    ranked = per_musd["saved_mean_days_per_musd"].iloc[1:].tolist()
    assert ranked == sorted(ranked, reverse=True)
    # a second border lane saves days for 5 MUSD; 10% faster rail 0.2 d for 10 MUSD
    assert per_musd["intervention"].iloc[1] == "second_lane" and per_musd["intervention"].iloc[-1] == "faster_rail"


def test_an_unknown_ranking_is_refused_by_name(write_yaml) -> None:
    with pytest.raises(ScenarioError, match="--rank-by"):
        rank(priced_border(write_yaml), by="cheapest")
