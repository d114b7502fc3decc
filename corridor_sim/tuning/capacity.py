"""Capacity curve: transit and throughput against a demand multiplier, where the corridor saturates, what binds.

Every flow's volume (`teu_per_year` or `trains_per_week`) is multiplied. A point is *saturated* when queues grow
without bound, seen two ways: the corridor delivers, during the measurement window, less than `CARRIED_SHARE` of the
TEU that entered it in that window (throughput has stopped following demand), or more than `IN_FLIGHT_SHARE` of the
containers that started in the window are still in flight at the end of the cool-down. What binds is read from the run's
occupancy samples: at a saturated point the resource whose queue grows most over the window (in containers), else
the one with the highest utilisation — busy servers for handling, busy vessels (or, on a timetable, the load factor of
the sailings) for a sea leg, and the offered load (trains entering × headway) for a rail line.

Interventions are then added one after another (file order) and the curve redrawn after each, so the table shows
the bottleneck migrating: relieve the first constraint and the next one binds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor_sim import analysis
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import Tables
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario, Segment
from corridor_sim.tuning.evaluate import KPI_COLUMNS, Study, write_results
from corridor_sim.tuning.interventions import combined, packages
from corridor_sim.tuning.params import get_value, parse_quantity, unwrap

IN_FLIGHT_SHARE = 0.02
CARRIED_SHARE = 0.95
SATURATED_UTILISATION = 0.95  # a resource this busy whose queue grew by a train-load or more over the window
BASE = "base"


def parse_multipliers(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(f"expected multipliers such as 0.5,1,2, got {text!r}", file="--demand") from None
    if not values or any(not (v > 0 and np.isfinite(v)) for v in values):
        raise ScenarioError(f"multipliers must be positive numbers, got {text!r}", file="--demand")
    return sorted(set(values))


def demand_changes(study: Study, multiplier: float) -> dict[str, Any]:
    """Every flow's volume times `multiplier`, as key-path changes."""
    out: dict[str, Any] = {}
    for flow_id, flow in (get_value(study.raw, "demand.flows") or {}).items():
        for name in ("teu_per_year", "trains_per_week"):
            q = parse_quantity(unwrap(unwrap(flow).get(name)))
            if q is not None:
                out[f"demand.flows.{flow_id}.{name}"] = q.number * multiplier
    if not out:
        raise ScenarioError("the scenario has no demand flows to scale", key="demand.flows")
    return out


def _window(occ: pd.DataFrame, scenario: Scenario) -> tuple[pd.DataFrame, float, float]:
    sim = scenario.simulation
    w0, w1 = sim.warmup / 24, sim.duration / 24
    return occ[(occ["day"] >= w0) & (occ["day"] < w1)], w0, w1


def _level_and_growth(occ: pd.DataFrame, location: str, metric: str, w0: float, w1: float) -> tuple[float, float]:
    """Mean over the window, and the mean of its last quarter minus its first (per replication, then averaged)."""
    sel = occ[occ["location"].eq(location) & occ["metric"].eq(metric)]
    if sel.empty:
        return 0.0, 0.0
    q = (w1 - w0) / 4
    early = sel[sel["day"] < w0 + q].groupby("replication", observed=True)["value"].mean()
    late = sel[sel["day"] >= w1 - q].groupby("replication", observed=True)["value"].mean()
    return float(sel["value"].mean()), float((late - early).mean())


def _trains_into(scenario: Scenario, containers: pd.DataFrame, replications: int) -> dict[str, float]:
    """Trains per replication entering each land segment in the window, from the containers that started in it.

    Before a sea leg a train is as long as its flow's trains; after one, onward trains are formed to `train_size`.
    """
    net = scenario.network
    started = containers[containers["measured"]].groupby("flow", observed=True).size()
    out: dict[str, float] = {}
    for flow_id, route in build_network(scenario).routes.items():
        n = started.get(flow_id, 0) / replications
        size = scenario.demand.flows[flow_id].containers_per_train
        for seg_id in route.segments:
            seg = net.segments[seg_id]
            if seg.is_sea:
                rule = net.nodes[seg.to].formation
                size = rule.train_size if rule else size
                continue
            out[seg_id] = out.get(seg_id, 0.0) + n / size
    return out


def _rates(scenario: Scenario, containers: pd.DataFrame, replications: int) -> tuple[float, float]:
    """TEU/day offered (containers starting in the window) and carried (delivered in the window, whenever they
    started: on a saturated corridor it flattens at the capacity)."""
    sim = scenario.simulation
    window = (sim.warmup / 24, sim.duration / 24)
    offered = containers["measured"].sum() * sim.teu_per_container / replications / (window[1] - window[0])
    carried = analysis.throughput_teu_per_day(containers, window, sim.teu_per_container, replications)[analysis.ALL]
    return float(offered), float(carried)


def _fleet_utilisation(
    seg_id: str, seg: Segment, occ: pd.DataFrame, sailings: pd.DataFrame, w0: float, w1: float
) -> float:
    """How much of a sea leg's capacity is used.

    On a timetable the slots are the capacity, so it is the load factor of the sailings (containers over places);
    sailing when full, the vessels are the capacity, so it is the share of the fleet not idle waiting for cargo.
    """
    if seg.departure is not None and seg.departure.rule == "timetable":
        s = sailings[sailings["segment"].eq(seg_id) & sailings["depart_day"].between(w0, w1, inclusive="left")]
        return float(s["containers"].sum() / s["capacity_containers"].sum()) if len(s) else 0.0
    idle, _ = _level_and_growth(occ, seg_id, "vessels_waiting_for_cargo", w0, w1)
    return 1 - idle / sum(v.count for v in seg.vessels)


def resources(scenario: Scenario, tables: Tables, replications: int) -> pd.DataFrame:
    """Utilisation and queue growth (containers over the window) of every handling node, rail line, sea leg and
    rolling-stock pool; rates per replication are over the run's `replications`."""
    net = scenario.network
    occ, w0, w1 = _window(tables["occupancy"], scenario)
    hours = (w1 - w0) * 24
    flows = scenario.demand.flows.values()
    per_train = float(np.mean([f.containers_per_train for f in flows])) if flows else 1.0
    rows = []
    for node_id, node in net.nodes.items():
        if node.handling is not None:
            busy, _ = _level_and_growth(occ, node_id, "busy_servers", w0, w1)
            _, growth = _level_and_growth(occ, node_id, "queue_trains", w0, w1)
            rows.append((node_id, "handling", busy / node.handling.servers, growth * per_train))
    trains = _trains_into(scenario, tables["containers"], replications)
    for seg_id, seg in net.segments.items():
        if seg.is_sea:
            _, growth = _level_and_growth(occ, seg.from_, "yard_containers", w0, w1)
            rows.append(
                (seg_id, f"{seg.mode} fleet", _fleet_utilisation(seg_id, seg, occ, tables["sailings"], w0, w1), growth)
            )
        elif seg.trains_per_day:
            _, growth = _level_and_growth(occ, seg_id, "waiting_trains", w0, w1)
            rows.append(
                (
                    seg_id,
                    f"{seg.mode} line",
                    trains.get(seg_id, 0.0) * 24 / seg.trains_per_day / hours,
                    growth * per_train,
                )
            )
    for pool_id, pool in net.rolling_stock.items():
        in_use, _ = _level_and_growth(occ, pool_id, "stock_in_use", w0, w1)
        _, growth = _level_and_growth(occ, pool_id, "waiting_trains", w0, w1)
        rows.append((pool_id, "rolling stock", in_use / pool.sets, growth * per_train))
    out = pd.DataFrame(rows, columns=["resource", "kind", "utilisation", "queue_growth_containers"])
    return out.assign(
        saturated=(out["utilisation"] >= SATURATED_UTILISATION) & (out["queue_growth_containers"] >= per_train)
    )


def binding(res: pd.DataFrame, saturated: bool) -> pd.Series | None:
    """At a saturated point the fastest-growing queue, else the most utilised resource."""
    if res.empty:
        return None
    return res.loc[res["queue_growth_containers"].idxmax() if saturated else res["utilisation"].idxmax()]


def _point(study: Study, scenario: Scenario, tables: Tables) -> tuple[dict[str, Any], pd.DataFrame]:
    """One point of the curve: rates, KPIs, whether it saturates and what binds; and its resources table."""
    k = study.kpis(scenario, tables)
    offered, carried = _rates(scenario, tables["containers"], study.replications)
    saturated = bool(k["in_flight_share"] > IN_FLIGHT_SHARE or carried < CARRIED_SHARE * offered)
    res = resources(scenario, tables, study.replications)
    top = binding(res, saturated)
    row = {
        "offered_teu_per_day": offered,
        "carried_teu_per_day": carried,
        **k,
        "saturated": saturated,
        "saturated_resources": " ".join(
            res[res["saturated"]].sort_values("queue_growth_containers", ascending=False)["resource"]
        ),
        "binding": top["resource"] if top is not None else "",
        "binding_utilisation": top["utilisation"] if top is not None else np.nan,
        "binding_queue_growth": top["queue_growth_containers"] if top is not None else np.nan,
    }
    return row, res


def capacity(
    study: Study, multipliers: Sequence[float], names: Sequence[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curve (one row per stage and multiplier) and the resources table behind its bottleneck column.

    `names`: interventions added cumulatively after the base curve (None: all listed, in file order; empty: none).
    """
    stages: list[tuple[str, dict[str, Any]]] = [(BASE, {})]
    if (names is None and study.base.interventions) or names:
        chosen = packages(study, names)
        for k, name in enumerate(chosen):
            stages.append((f"+{name}", combined(list(chosen.values())[: k + 1])))
    points = [(stage, changes, m) for stage, changes in stages for m in multipliers]
    scenarios = [
        study.variant({**changes, **demand_changes(study, m)}, f"{stage} ×{m:g}", exact=True)
        for stage, changes, m in points
    ]
    results = study.evaluate(scenarios, lambda s, t: _point(study, s, t))
    rows, res_rows = [], []
    for (stage, _, m), (row, res) in zip(points, results, strict=True):
        rows.append({"stage": stage, "demand_multiplier": m, **row})
        res_rows.append(res.assign(stage=stage, demand_multiplier=m))
    curve = pd.DataFrame(
        rows,
        columns=[
            "stage",
            "demand_multiplier",
            "offered_teu_per_day",
            "carried_teu_per_day",
            *KPI_COLUMNS,
            "saturated",
            "saturated_resources",
            "binding",
            "binding_utilisation",
            "binding_queue_growth",
        ],
    )
    res_table = pd.concat(res_rows, ignore_index=True)
    return curve, res_table[
        ["stage", "demand_multiplier", "resource", "kind", "utilisation", "queue_growth_containers", "saturated"]
    ]


def migration(curve: pd.DataFrame) -> list[str]:
    """One line per stage: where it first saturates, what binds there and what saturates next as demand grows."""
    lines = []
    for stage, g in curve.groupby("stage", sort=False, observed=True):
        sat = g[g["saturated"]]
        if len(sat):
            first = sat.iloc[0]
            text = (
                f"{stage}: saturates at ×{first['demand_multiplier']:g} "
                f"({first['offered_teu_per_day']:.0f} TEU/day offered); binds: {first['binding']}"
            )
            seen = {first["binding"]}
            for _, row in sat.iterrows():
                for resource in str(row["saturated_resources"] or "").split():
                    if resource not in seen:
                        seen.add(resource)
                        text += f"; then {resource} at ×{row['demand_multiplier']:g}"
            lines.append(text)
        else:
            last = g.iloc[-1]
            lines.append(
                f"{stage}: no saturation up to ×{last['demand_multiplier']:g}; most utilised: "
                f"{last['binding']} (ρ≈{last['binding_utilisation']:.2f})"
            )
    return lines


def write_capacity(out: Path, study: Study, curve: pd.DataFrame, res: pd.DataFrame) -> Path:
    from corridor_sim.tuning.plots import capacity_plot

    title = (
        f"{study.base.name}: capacity, to {study.target_label} ({study.replications} replications, seed {study.seed})"
    )
    meta = study.meta(
        "capacity", in_flight_share=IN_FLIGHT_SHARE, carried_share=CARRIED_SHARE, migration=migration(curve)
    )
    return write_results(
        out,
        study,
        {"capacity": curve, "resources": res},
        meta,
        lambda d: capacity_plot(curve, title, d / "capacity.png"),
    )
