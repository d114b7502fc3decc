"""Run-time invariants over a run's result tables: what must hold whatever the scenario, so a run never silently lies.

Checked on the tables alone (optionally with the scenario for capacities and the horizon), independent of the
engine's code: conservation of containers (every id created once, delivered or in flight, sea legs carrying no more
and no fewer than the flows through them imply), non-negative and monotone timelines (a container's stages tile its
transit without overlap, so it is never in two places or on two vehicles at once), vessel and train loads within
capacity, and a vessel on one sailing at a time. Times may come back from CSV rounded to 6 significant figures, so
comparisons allow a tolerance relative to the largest time in the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from corridor_sim.errors import ScenarioError
from corridor_sim.schema import Scenario, vessel_capacity

MAX_LISTED = 8


class InvariantError(RuntimeError):
    """One or more invariants fail; `violations` lists them, `str()` is one line naming the first few."""

    def __init__(self, violations: list[str], where: str = "") -> None:
        self.violations = violations
        shown = "; ".join(violations[:MAX_LISTED])
        more = f"; and {len(violations) - MAX_LISTED} more" if len(violations) > MAX_LISTED else ""
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{len(violations)} invariant violation(s): {shown}{more}")


def _ids(values: pd.Series, limit: int = 3) -> str:
    shown = ", ".join(str(v) for v in values.iloc[:limit])
    return shown + (f" (+{len(values) - limit})" if len(values) > limit else "")


def _bad(c: pd.DataFrame, mask: pd.Series) -> str:
    return _ids(c.loc[mask, "container_id"])


def _tolerance(tables: Mapping[str, pd.DataFrame], horizon_days: float | None) -> float:
    biggest = horizon_days or 0.0
    for name, cols in (("containers", ("start_day", "end_day")), ("sailings", ("arrive_day",))):
        frame = tables.get(name)
        if frame is not None and len(frame):
            for col in cols:
                if col in frame:
                    biggest = max(biggest, float(np.nanmax(np.abs(frame[col].to_numpy(float)), initial=0.0)))
    return 2e-5 * max(biggest, 1.0)


def _containers(c: pd.DataFrame, tol: float, horizon: float | None) -> list[str]:
    out: list[str] = []
    for rep, g in c.groupby("replication", observed=True):
        ids = np.sort(g["container_id"].to_numpy())
        if len(ids) and not np.array_equal(ids, np.arange(len(ids))):
            dup = g.loc[g["container_id"].duplicated(), "container_id"]
            out.append(
                f"containers: replication {rep}: ids are not 0..{len(ids) - 1} once each "
                f"({'duplicated ' + _ids(dup) if len(dup) else 'some ids missing'}): containers lost or "
                "double-counted"
            )
    bad_status = ~c["status"].isin(["delivered", "in_flight"])
    if bad_status.any():
        out.append(f"containers: unknown status {_ids(c.loc[bad_status, 'status'].drop_duplicates())}")
    delivered = c["status"].eq("delivered")
    has_end = c["end_day"].notna()
    if (delivered != has_end).any():
        out.append(f"containers: status disagrees with end_day for ids {_bad(c, delivered != has_end)}")
    no_start = ~(c["start_day"] >= -tol)
    if no_start.any():
        out.append(f"containers: missing or negative start_day for ids {_bad(c, no_start)}")
    back = has_end & (c["end_day"] < c["start_day"] - tol)
    if back.any():
        out.append(f"containers: end_day before start_day for ids {_bad(c, back)}")
    if horizon is not None:
        late = has_end & (c["end_day"] > horizon + tol) | (c["start_day"] > horizon + tol)
        if late.any():
            out.append(f"containers: times beyond the horizon ({horizon:g} d) for ids {_bad(c, late)}")
    parts = c[["moving_days", "handling_days", "waiting_days"]]
    if (parts < -tol).any(axis=None):
        out.append("containers: negative moving/handling/waiting days")
    total = parts.sum(axis=1)
    d = delivered & has_end
    off = d & ((total - (c["end_day"] - c["start_day"])).abs() > tol)
    if off.any():
        out.append(
            f"containers: moving+handling+waiting differs from transit for delivered ids "
            f"{_bad(c, off)} (time unaccounted or counted twice)"
        )
    if "transit_days" in c:
        wrong = d & ((c["transit_days"] - (c["end_day"] - c["start_day"])).abs() > tol)
        if wrong.any():
            out.append(f"containers: transit_days is not end_day - start_day for ids {_bad(c, wrong)}")
    if horizon is not None:
        over = ~delivered & (total > horizon - c["start_day"] + tol)
        if over.any():
            out.append(f"containers: in-flight ids {_bad(c, over)} have more staged time than the run lasted")
    return out


def _tracks(t: pd.DataFrame, c: pd.DataFrame | None, tol: float) -> list[str]:
    out: list[str] = []
    if (t["end_day"] < t["start_day"] - tol).any() or (t["start_day"] < -tol).any():
        out.append("tracks: a stage ends before it starts or starts before day 0")
    s = t.sort_values(["replication", "container_id", "start_day", "end_day"], kind="stable")
    same = (s["replication"].to_numpy()[1:] == s["replication"].to_numpy()[:-1]) & (
        s["container_id"].to_numpy()[1:] == s["container_id"].to_numpy()[:-1]
    )
    overlap = same & (s["start_day"].to_numpy()[1:] < s["end_day"].to_numpy()[:-1] - tol)
    if overlap.any():
        rows = s.iloc[1:][overlap]
        out.append(
            f"tracks: container(s) {_ids(rows['container_id'].drop_duplicates())} in two stages at once "
            f"(e.g. {rows['location'].iloc[0]} {rows['state'].iloc[0]} from day {rows['start_day'].iloc[0]:g})"
        )
    if c is not None and len(s):
        span = s.groupby(["replication", "container_id"], observed=True).agg(
            first=("start_day", "min"), last=("end_day", "max")
        )
        life = c.set_index(["replication", "container_id"])[["start_day", "end_day"]]
        j = span.join(life, how="left")
        unknown = j["start_day"].isna()
        early = j["first"] < j["start_day"] - tol
        outside = ~unknown & (early | (j["end_day"].notna() & (j["last"] > j["end_day"] + tol)))
        if unknown.any():
            out.append(
                f"tracks: container ids {_ids(j.index[unknown].to_series().map(lambda k: k[1]))} not in containers"
            )
        if outside.any():
            out.append(
                f"tracks: stages outside the container's start..end for ids "
                f"{_ids(j.index[outside].to_series().map(lambda k: k[1]))}"
            )
    return out


def _sailings(s: pd.DataFrame, tol: float, horizon: float | None) -> list[str]:
    out: list[str] = []
    if (s["containers"] < 0).any():
        out.append("sailings: negative load")
    over = s["containers"] > s["capacity_containers"]
    if over.any():
        r = s[over].iloc[0]
        out.append(
            f"sailings: {int(over.sum())} sailing(s) above capacity (e.g. {r['vessel']} on {r['segment']} day "
            f"{r['depart_day']:g}: {r['containers']} > {r['capacity_containers']})"
        )
    if (s["arrive_day"] < s["depart_day"] - tol).any():
        out.append("sailings: a vessel arrives before it departs")
    if horizon is not None and (s["arrive_day"] > horizon + tol).any():
        out.append(f"sailings: arrivals beyond the horizon ({horizon:g} d)")
    o = s.sort_values(["replication", "segment", "vessel", "depart_day"], kind="stable")
    key = o[["replication", "segment", "vessel"]].astype(str).agg("|".join, axis=1).to_numpy()
    same = key[1:] == key[:-1]
    clash = same & (o["depart_day"].to_numpy()[1:] < o["arrive_day"].to_numpy()[:-1] - tol)
    if clash.any():
        out.append(f"sailings: vessel(s) {_ids(o.iloc[1:][clash]['vessel'].drop_duplicates())} on two sailings at once")
    return out


def _sea_conservation(c: pd.DataFrame, s: pd.DataFrame, routes: pd.DataFrame) -> list[str]:
    """Delivered containers through a sea leg ≤ containers carried on it ≤ containers created on flows through it."""
    out: list[str] = []
    sea = routes[routes["kind"].eq("segment") & routes["mode"].isin(["ferry", "sea"])]
    for seg, flows in sea.groupby("location", observed=True)["flow"]:
        through = c[c["flow"].isin(set(flows))]
        carried = s[s["segment"].eq(seg)].groupby("replication", observed=True)["containers"].sum()
        for rep, g in through.groupby("replication", observed=True):
            lo, hi, n = int(g["status"].eq("delivered").sum()), len(g), int(carried.get(rep, 0))
            if not lo <= n <= hi:
                out.append(
                    f"sailings: replication {rep}: {seg} carried {n} containers, but {lo} were delivered "
                    f"through it and {hi} created on its flows"
                )
    return out


def _scenario_checks(tables: Mapping[str, pd.DataFrame], scenario: Scenario) -> list[str]:
    """Loads against the scenario's own capacities: train sizes on timetabled lines, vessel sizes, servers."""
    out: list[str] = []
    net, sim = scenario.network, scenario.simulation
    t = tables.get("tracks")
    sizes = [f.containers_per_train for f in scenario.demand.flows.values()]
    sizes += [n.formation.train_size for n in net.nodes.values() if n.formation is not None]
    headway_lines = [k for k, seg in net.segments.items() if not seg.is_sea and seg.trains_per_day]
    if t is not None and len(t) and sizes and headway_lines:
        # with a headway two trains never share a departure time, so a shared travel interval is one train
        moving = t[t["state"].eq("travel") & t["location"].isin(headway_lines)]
        loads = moving.groupby(["replication", "location", "start_day", "end_day"], observed=True).size()
        if len(loads) and loads.max() > max(sizes):
            where = loads.idxmax()
            out.append(
                f"tracks: a train on {where[1]} carried at least {int(loads.max())} containers, above the "
                f"largest train ({max(sizes)})"
            )
    s = tables.get("sailings")
    if s is not None and len(s):
        for seg_id, g in s.groupby("segment", observed=True):
            seg = net.segments.get(str(seg_id))
            if seg is None or not seg.vessels:
                out.append(f"sailings: segment {seg_id!r} is not a sea leg of the scenario")
                continue
            allowed = {vessel_capacity(v, seg, sim.teu_per_container) for v in seg.vessels}
            odd = ~g["capacity_containers"].isin(allowed)
            if odd.any():
                out.append(
                    f"sailings: {seg_id} capacities {_ids(g.loc[odd, 'capacity_containers'].drop_duplicates())}"
                    f" match no vessel ({sorted(allowed)})"
                )
            # in TEU, against the scenario's own figure: no rounding of containers can hide a box too big to board
            most = max(v.capacity_teu for v in seg.vessels) * seg.load_factor
            heavy = g["containers"] * sim.teu_per_container > most * (1 + 1e-9)
            if heavy.any():
                r = g[heavy].iloc[0]
                out.append(
                    f"sailings: {int(heavy.sum())} sailing(s) on {seg_id} carry more TEU than its largest vessel "
                    f"takes (e.g. {r['vessel']} day {r['depart_day']:g}: {r['containers']} x "
                    f"{sim.teu_per_container:g} TEU > {most:g} TEU)"
                )
        if not np.allclose(s["teu"], s["containers"] * sim.teu_per_container):
            out.append("sailings: teu is not containers x teu_per_container")
    o = tables.get("occupancy")
    if o is not None and len(o):
        if (o["value"] < 0).any():
            out.append("occupancy: negative value")
        busy = o[o["metric"].eq("busy_servers")]
        servers = {n: node.handling.servers for n, node in net.nodes.items() if node.handling is not None}
        over = busy["value"] > busy["location"].map(servers)
        if over.any():
            places = _ids(busy.loc[over, "location"].drop_duplicates())
            out.append(f"occupancy: more busy servers than exist at {places}")
    return out


def find_violations(
    tables: Mapping[str, pd.DataFrame], scenario: Scenario | None = None, summary: Mapping | None = None
) -> list[str]:
    """Every invariant that fails on these tables (empty when all hold)."""
    horizon = None
    if scenario is not None:
        horizon = (scenario.simulation.duration + scenario.simulation.cooldown) / 24.0
    tol = _tolerance(tables, horizon)
    c = tables.get("containers")
    out: list[str] = []
    if c is not None:
        out += _containers(c, tol, horizon)
    if tables.get("tracks") is not None and len(tables["tracks"]):
        out += _tracks(tables["tracks"], c, tol)
    s = tables.get("sailings")
    if s is not None and len(s):
        out += _sailings(s, tol, horizon)
    if c is not None and s is not None and tables.get("routes") is not None and len(tables["routes"]):
        out += _sea_conservation(c, s, tables["routes"])
    if c is not None and tables.get("sections") is not None and len(tables["sections"]):
        counted = (
            c[c["status"].eq("delivered") & c["measured"].astype(bool)]
            .groupby(["replication", "destination"], observed=True)
            .size()
        )
        sec = tables["sections"].groupby(["replication", "destination"], observed=True)["containers"].first()
        wrong = sec.index[sec.to_numpy() != counted.reindex(sec.index, fill_value=0).to_numpy()]
        if len(wrong):
            out.append(f"sections: container counts disagree with containers for {list(wrong)[:3]}")
    if scenario is not None:
        out += _scenario_checks(tables, scenario)
    if summary is not None and c is not None:
        counts = summary.get("containers_total", {})
        delivered = int(c["status"].eq("delivered").sum())
        expected = {"created": len(c), "delivered": delivered, "in_flight": len(c) - delivered}
        for k, v in expected.items():
            if k in counts and counts[k] != v:
                out.append(f"summary: containers_total.{k} is {counts[k]}, the containers table says {v}")
    return out


def check(
    tables: Mapping[str, pd.DataFrame],
    scenario: Scenario | None = None,
    summary: Mapping | None = None,
    where: str = "",
) -> None:
    """Raise `InvariantError` listing every violation, or return quietly."""
    found = find_violations(tables, scenario, summary)
    if found:
        raise InvariantError(found, where)


def check_run_dir(path: Path) -> None:
    """Check a written run directory as read back from disk (what a planner would actually use)."""
    from corridor_sim.loader import load_scenario
    from corridor_sim.workspace import RESOLVED

    path = Path(path)
    tables = {
        name: pd.read_csv(path / f"{name}.csv")
        for name in ("containers", "tracks", "sailings", "sections", "occupancy", "routes")
        if (path / f"{name}.csv").exists() and (path / f"{name}.csv").stat().st_size > 1
    }
    scenario = None
    if (path / RESOLVED).exists():
        try:
            scenario = load_scenario(path / RESOLVED)
        except ScenarioError as exc:  # the run's own record must re-load: if not, that is the run's fault, not input
            raise InvariantError([f"the resolved scenario does not re-load: {exc}"], str(path)) from None
    summary = json.loads((path / "summary.json").read_text()) if (path / "summary.json").exists() else None
    check(tables, scenario, summary, where=str(path))
