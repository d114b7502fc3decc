"""Price, time cost and CO2e of each container against sums worked out by hand on small deterministic corridors.

The figures are chosen to be exact in binary floating point, so the checks are equalities, not tolerances.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import load, run, scenario_dict
from test_deterministic import TRAIN, corridor

from corridor_sim.errors import ScenarioError


def priced() -> dict:
    """`test_deterministic.corridor()` (o -rail-> p =ferry=> q -rail-> z, formation of 15 at q) with charges of every
    kind, a value of time and emission factors. Distances for the ferry and the last leg are added (accounting
    only: the ferry sails by crossing_time, qz runs by travel_time)."""
    raw = corridor()
    segs = raw["network"]["segments"]
    segs["pq"]["distance"] = "400km"
    segs["qz"]["distance"] = "200km"
    raw["costs"] = {
        "exchange_rates": {"KZT": 470},
        "value_of_time": {"cargo_value_per_teu": 50000, "percent_per_day": 1, "year": 2020},
        "charges": {
            "rail_km": {"at": ["op"], "amount": 0.25, "per": "teu_km", "currency": "USD", "year": 2023},
            "ferry_feu": {"at": ["pq"], "amount": 700, "per": "feu", "currency": "USD", "year": 2023},
            "terminals": {"at": ["o", "z"], "amount": 50, "per": "teu", "currency": "USD", "year": 2023},
            "port_kzt": {"at": ["p"], "amount": 47000, "per": "container", "currency": "KZT", "year": 2023},
            "sailing": {"at": ["pq"], "amount": 4000, "per": "call", "currency": "USD", "year": 2023},
            "onward_train": {"at": ["qz"], "amount": 1500, "per": "call", "currency": "USD", "year": 2023},
        },
    }
    raw["emissions"] = {
        "tonnes_per_teu": 10,
        "factors": {
            "diesel_rail": {"mode": "rail", "per": "tonne_km", "kg_co2e": 0.03125, "segments": ["op"]},
            "feeder": {"mode": "ferry", "per": "teu_km", "kg_co2e": 0.25, "segments": ["pq"]},
            "mixed_rail": {
                "mode": "rail",
                "per": "tonne_km",
                "electric": 0.0625,
                "diesel": 0.03125,
                "electric_share": 0.5,
                "segments": ["qz"],
            },
        },
    }
    return raw


def onward_train_size(container_id: int) -> int:
    """The onward train out of q (see `test_deterministic.corridor_expectation`): per batch of four trains, A holds
    train 1 and the first 5 of train 2 (15), B the rest of train 2 and train 3 (15), C train 4 (10)."""
    k = container_id // TRAIN + 1
    return 10 if (k - 1) % 4 == 3 else 15


def test_price_time_cost_and_co2e_match_hand_sums() -> None:
    c = run(priced())["containers"]
    d = c[c.status.eq("delivered")]
    assert len(d) > 40
    # per unit: rail 0.25 USD/TEU-km x 600 km x 2 TEU = 300; ferry 700/FEU = 700; terminals 2 x 50/TEU x 2 TEU =
    # 200; port 47,000 KZT / 470 = 100. Per call: the sailing 4,000 / 40 containers = 100; the onward train
    # 1,500 / 15 = 100 (trains A, B) or 1,500 / 10 = 150 (train C).
    onward = np.array([1500 / onward_train_size(i) for i in d.container_id])
    assert (d.price_usd.to_numpy() == 300 + 700 + 200 + 100 + 100 + onward).all()
    # 50,000 USD per TEU x 2 TEU x 1 %/day = 1,000 USD per container-day
    assert (d.time_cost_usd.to_numpy() == d.transit_days.to_numpy() * 1000).all()
    assert (d.generalised_cost_usd == d.price_usd + d.time_cost_usd).all()
    # op 0.03125 kg/t-km x 600 km x 20 t = 375; pq 0.25 kg/TEU-km x 400 km x 2 TEU = 200; qz (0.5 x 0.0625 +
    # 0.5 x 0.03125) x 200 km x 20 t = 187.5
    assert (d.co2e_kg == 375 + 200 + 187.5).all()


def test_containers_in_flight_have_no_price_yet() -> None:
    c = run(priced())["containers"]
    late = c[c.status.eq("in_flight")]
    assert len(late) > 0
    assert late[["price_usd", "time_cost_usd", "generalised_cost_usd", "co2e_kg"]].isna().all().all()


def test_without_costs_the_columns_are_empty_and_transit_is_unchanged() -> None:
    plain, with_costs = run(corridor())["containers"], run(priced())["containers"]
    assert plain[["price_usd", "co2e_kg", "time_cost_usd"]].isna().all().all()
    cols = ["container_id", "start_day", "end_day", "transit_days", "waiting_days", "status"]
    assert plain[cols].equals(with_costs[cols])


@pytest.mark.parametrize(
    ("per", "teu_per_container", "expected"),
    [
        ("teu", 2.0, 1000.0),  # 500 per TEU x 2 TEU
        ("feu", 2.0, 500.0),  # a 40' box is one FEU
        ("feu", 1.0, 250.0),  # a 20' box is half an FEU
        ("teu", 1.0, 500.0),
        ("container", 1.0, 500.0),
        ("teu_km", 2.0, 500 * 600 * 2.0),  # on op, 600 km
        ("feu_km", 2.0, 500 * 600 * 1.0),
        ("container_km", 1.0, 500 * 600.0),
    ],
)
def test_per_unit_variants(per: str, teu_per_container: float, expected: float) -> None:
    raw = corridor()
    raw["simulation"]["teu_per_container"] = teu_per_container
    raw["costs"] = {"charges": {"x": {"at": ["op"], "amount": 500, "per": per, "currency": "USD", "year": 2024}}}
    c = run(raw)["containers"]
    d = c[c.status.eq("delivered")]
    assert len(d) > 0 and (d.price_usd == expected).all()


def test_per_call_at_a_node_is_shared_among_the_train_it_handles() -> None:
    raw = corridor()  # o handles each arriving train of TRAIN = 10 containers once
    raw["costs"] = {"charges": {"x": {"at": ["o"], "amount": 1000, "per": "call", "currency": "USD", "year": 2024}}}
    c = run(raw)["containers"]
    d = c[c.status.eq("delivered")]
    assert (d.price_usd == 1000 / TRAIN).all()


def branching() -> dict:
    """a -> b, then b -> c or b -> d: two flows share the first leg and part at b."""
    nodes = {"a": {"role": "terminal"}, "b": {"role": "junction"}, "c": {"role": "terminal"}, "d": {"role": "terminal"}}
    segments = {
        "ab": {"from": "a", "to": "b", "distance": "100km", "travel_time": "10h"},
        "bc": {"from": "b", "to": "c", "distance": "200km", "travel_time": "10h"},
        "bd": {"from": "b", "to": "d", "distance": "300km", "travel_time": "10h"},
    }
    flow = {"origin": "a", "trains_per_week": 7, "arrivals": "timetable", "containers_per_train": 5}
    flows = {"to_c": {**flow, "destination": "c"}, "to_d": {**flow, "destination": "d"}}
    raw = scenario_dict(nodes, segments, flows, duration="10d", cooldown="2d")
    raw["costs"] = {
        "charges": {
            "shared": {"at": ["ab", "b"], "amount": 10, "per": "container", "currency": "USD", "year": 2024},
            "c_only": {"at": ["bc"], "amount": 1, "per": "container_km", "currency": "USD", "year": 2024},
            "d_only": {"at": ["d"], "amount": 7, "per": "container", "currency": "USD", "year": 2024},
        }
    }
    raw["emissions"] = {
        "tonnes_per_teu": 10,
        "factors": {"rail": {"mode": "rail", "per": "teu_km", "kg_co2e": 0.5, "segments": ["ab", "bc", "bd"]}},
    }
    return raw


def test_each_container_pays_only_the_charges_on_its_own_path() -> None:
    c = run(branching())["containers"]
    d = c[c.status.eq("delivered")]
    to_c, to_d = d[d.flow.eq("to_c")], d[d.flow.eq("to_d")]
    assert len(to_c) > 0 and len(to_d) > 0
    assert (to_c.price_usd == 10 + 10 + 200).all()  # ab and b, then 1 USD per km of bc
    assert (to_d.price_usd == 10 + 10 + 7).all()  # ab and b, then d
    assert (to_c.co2e_kg == 0.5 * (100 + 200) * 2).all()  # TEU-km: 2 TEU per container
    assert (to_d.co2e_kg == 0.5 * (100 + 300) * 2).all()


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda r: r["costs"]["charges"]["rail_km"].update(amount=-1), "costs.charges.rail_km.amount", "greater"),
        (lambda r: r["costs"]["charges"]["rail_km"].update(currency="EUR"), "costs.charges.rail_km.currency", "EUR"),
        (lambda r: r["costs"]["charges"]["rail_km"].update(at=["nowhere"]), "costs.charges.rail_km.at.0", "nowhere"),
        (lambda r: r["costs"]["charges"]["rail_km"].update(per="pallet"), "costs.charges.rail_km.per", "teu"),
        (lambda r: r["costs"]["charges"]["rail_km"].pop("year"), "costs.charges.rail_km.year", "missing"),
        (lambda r: r["costs"]["charges"]["ferry_feu"].update(at=["p"], per="feu_km"), "ferry_feu.at.0", "distance"),
        (lambda r: r["costs"]["charges"]["sailing"].update(at=["z"]), "costs.charges.sailing.at.0", "handling"),
        (lambda r: r["costs"]["exchange_rates"].update(KZT=0), "costs.exchange_rates.KZT", "greater"),
        (lambda r: r["costs"]["value_of_time"].update(percent_per_day=-1), "value_of_time.percent_per_day", ""),
        (lambda r: r["emissions"]["factors"]["feeder"].update(mode="rail"), "factors.feeder.segments.0", "ferry"),
        (lambda r: r["emissions"]["factors"].pop("feeder"), "emissions.factors", "pq"),
        (lambda r: r["emissions"]["factors"]["feeder"].update(segments=["pq", "op"]), "feeder.segments.1", "already"),
        (lambda r: r["emissions"]["factors"]["feeder"].update(electric=1), "emissions.factors.feeder", "kg_co2e"),
        (lambda r: r["emissions"].update(tonnes_per_teu=0), "emissions.tonnes_per_teu", "greater"),
    ],
)
def test_bad_accounting_input_names_its_key(change, key: str, words: str) -> None:
    raw = copy.deepcopy(priced())
    change(raw)
    with pytest.raises(ScenarioError) as err:
        load(raw)
    assert key in err.value.key and words in str(err.value)
    assert "\n" not in str(err.value)


def test_summary_and_comparison_carry_price_cost_co2e_and_reliability() -> None:
    from corridor_sim import analysis
    from corridor_sim.compare import tabulate
    from corridor_sim.runner import summarise

    scenario = load(priced())
    tables = run(scenario)
    d = analysis.measured(tables["containers"])
    summary = summarise(scenario, tables, 1, 1, "digest")
    z = summary["costs"]["z"]
    assert z["price_usd"]["mean"] == d.price_usd.mean() and z["co2e_kg"]["p90"] == 762.5
    assert z["generalised_cost_usd"]["p50"] == np.percentile(d.generalised_cost_usd, 50)
    assert summary["cost_basis"]["emissions"]["factors"]["mixed_rail"]["kg_co2e"] == 0.046875
    t = summary["transit_days"]["z"]
    assert t["sd"] == d.transit_days.std(ddof=1) and t["buffer_days"] == t["p90"] - t["p50"]
    row = tabulate([scenario], [tables], 1).table.set_index("destination").loc["z"]
    assert row["price_usd_p90"] == z["price_usd"]["p90"] and row["co2e_kg_mean"] == 762.5
    assert row["buffer_days"] == t["buffer_days"] and row["sd_days"] == t["sd"]


def test_the_report_shows_reliability_price_and_co2e_beside_the_median(tmp_path) -> None:
    from corridor_sim.report import Member, overview
    from corridor_sim.runner import execute_run

    out, summary = execute_run(load(priced()), tmp_path / "run")
    row = overview([Member(out, "priced", tmp_path)]).set_index("destination").loc["z"]
    t, money = summary["transit_days"]["z"], summary["costs"]["z"]
    assert row["p90−p50 buffer (d)"] == t["buffer_days"] and row["sd (d)"] == t["sd"]
    assert row["mean price USD"] == money["price_usd"]["mean"] and row["mean CO2e kg"] == 762.5
    assert row["mean gen. cost USD"] == money["generalised_cost_usd"]["mean"]


def test_a_comparisons_time_cost_plane_keeps_its_own_title(tmp_path) -> None:
    """The time-cost job is made before the per-destination section jobs; its title must not be theirs (a closure
    over the loop's `title` once drew the plane under "Where the days go")."""
    import yaml

    from corridor_sim.cli import main
    from corridor_sim.plots.directory import directory_jobs

    paths = []
    for name in ("a", "b"):
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(yaml.safe_dump({**priced(), "name": name}), encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, paths), "--out", str(out), "--quiet", "--no-cache", "--replications", "2"]) == 0
    assert (out / "time_cost.png").stat().st_size > 0  # compare draws the plane of a priced pair itself
    (job,) = [j for j in directory_jobs(out, tmp_path / "plots") if j.path.name == "time_cost.png"]
    assert job.draw().axes[0].get_title(loc="left").startswith("Corridors on the time-cost plane")
