"""The corridor as a networkx graph, its consistency checks, and the route each demand flow takes.

A flow either names its path or takes the fastest path by expected time (travel, handling and loading); the
choice is made once here, before the engine runs, so routes never depend on random draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from corridor_sim.errors import ScenarioError
from corridor_sim.schema import Scenario, Segment


@dataclass(frozen=True)
class Route:
    flow: str
    nodes: tuple[str, ...]
    segments: tuple[str, ...]


@dataclass(frozen=True)
class CorridorNetwork:
    graph: nx.DiGraph
    routes: dict[str, Route]

    def route_km(self, route: Route, scenario: Scenario) -> list[float]:
        """Cumulative distance at each node of a route (km; legs without a distance count as 0)."""
        km = [0.0]
        for seg_id in route.segments:
            km.append(km[-1] + (scenario.network.segments[seg_id].distance or 0.0))
        return km


def sections(scenario: Scenario) -> dict[str, str]:
    """The section each node, then each segment, is reported in: a node's own `section`, else its country, else its
    id; a segment's own, else its from-node's. One rule for the engine's records and the routes table, so a stage
    and the route row of its place always name the same section."""
    net = scenario.network
    out = {n: node.section or node.country or n for n, node in net.nodes.items()}
    out |= {s: seg.section or out[seg.from_] for s, seg in net.segments.items()}
    return out


def expected_hours(segment: Segment) -> float:
    """Expected time to traverse a segment when nothing queues: the routing weight."""
    if segment.is_sea:
        return sum(d.expected for d in (segment.crossing_time, segment.load_time, segment.unload_time) if d)
    if segment.travel_time is not None:
        base = segment.travel_time.expected
    else:
        speed = segment.speed.expected
        base = segment.distance / speed if speed > 0 else float("inf")
    headway = 24.0 / segment.trains_per_day if segment.trains_per_day else 0.0
    return base + headway / 2


def build_network(scenario: Scenario) -> CorridorNetwork:
    """Graph + routes, or a `ScenarioError` naming the offending key."""
    net = scenario.network
    graph = nx.DiGraph()
    for node_id, node in net.nodes.items():
        graph.add_node(node_id, role=node.role, handling_h=node.handling.time.expected if node.handling else 0.0)
    for seg_id, seg in net.segments.items():
        key = f"network.segments.{seg_id}"
        if seg_id in net.nodes:
            raise ScenarioError("a segment id must differ from every node id", key=key)
        for end, name in (("from", seg.from_), ("to", seg.to)):
            if name not in net.nodes:
                raise ScenarioError(f"unknown node {name!r}", key=f"{key}.{end}")
        if seg.from_ == seg.to:
            raise ScenarioError("a segment cannot start and end at the same node", key=key)
        if graph.has_edge(seg.from_, seg.to):
            other = graph.edges[seg.from_, seg.to]["id"]
            raise ScenarioError(f"a second segment from {seg.from_} to {seg.to} (first: {other})", key=key)
        if seg.is_sea:
            for name in (seg.from_, seg.to):
                if net.nodes[name].role != "port":
                    raise ScenarioError(
                        f"a {seg.mode} leg needs ports at both ends; {name!r} is a {net.nodes[name].role}", key=key
                    )
        weight = expected_hours(seg) + graph.nodes[seg.to]["handling_h"]
        graph.add_edge(seg.from_, seg.to, id=seg_id, mode=seg.mode, weight=weight)

    for pool_id, pool in net.rolling_stock.items():
        for i, seg_id in enumerate(pool.segments):
            if seg_id not in net.segments:
                raise ScenarioError(f"unknown segment {seg_id!r}", key=f"network.rolling_stock.{pool_id}.segments.{i}")
            if net.segments[seg_id].is_sea:
                raise ScenarioError(
                    f"{seg_id!r} is a sea leg; rolling stock serves land legs",
                    key=f"network.rolling_stock.{pool_id}.segments.{i}",
                )
    for d_id, d in scenario.disruptions.items():
        if d.target not in net.nodes and d.target not in net.segments:
            raise ScenarioError(f"unknown node or segment {d.target!r}", key=f"disruptions.{d_id}.target")
    for i, band in enumerate(scenario.published):
        if band.destination not in net.nodes:
            raise ScenarioError(f"unknown node {band.destination!r}", key=f"published.{i}.destination")
        if band.low > band.high:
            raise ScenarioError("low must not exceed high", key=f"published.{i}")
    for i, sec in enumerate(scenario.published_sections):
        if sec.group not in scenario.section_groups:
            raise ScenarioError(f"unknown section group {sec.group!r}", key=f"published_sections.{i}.group")
        if sec.destination not in net.nodes:
            raise ScenarioError(f"unknown node {sec.destination!r}", key=f"published_sections.{i}.destination")
        if sec.low > sec.high:
            raise ScenarioError("low must not exceed high", key=f"published_sections.{i}")

    routes = {flow_id: _route(graph, scenario, flow_id) for flow_id in scenario.demand.flows}
    return CorridorNetwork(graph=graph, routes=routes)


def _route(graph: nx.DiGraph, scenario: Scenario, flow_id: str) -> Route:
    flow = scenario.demand.flows[flow_id]
    key = f"demand.flows.{flow_id}"
    for end in ("origin", "destination"):
        if getattr(flow, end) not in scenario.network.nodes:
            raise ScenarioError(f"unknown node {getattr(flow, end)!r}", key=f"{key}.{end}")
    if flow.origin == flow.destination:
        raise ScenarioError("origin and destination are the same node", key=key)
    if flow.path is not None:
        path = list(flow.path)
        if len(path) < 2 or path[0] != flow.origin or path[-1] != flow.destination:
            raise ScenarioError("path must run from the origin to the destination", key=f"{key}.path")
        for i, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            for name in (a, b):
                if name not in scenario.network.nodes:
                    raise ScenarioError(f"unknown node {name!r}", key=f"{key}.path")
            if not graph.has_edge(a, b):
                raise ScenarioError(f"no segment from {a} to {b}", key=f"{key}.path.{i + 1}")
        if len(set(path)) != len(path):
            raise ScenarioError("path visits a node twice", key=f"{key}.path")
    else:
        try:
            path = nx.shortest_path(graph, flow.origin, flow.destination, weight="weight")
        except nx.NetworkXNoPath:
            raise ScenarioError(
                f"destination {flow.destination!r} is unreachable from {flow.origin!r}", key=f"{key}.destination"
            ) from None
    segments = tuple(graph.edges[a, b]["id"] for a, b in zip(path, path[1:], strict=False))
    for i, seg_id in enumerate(segments):
        seg = scenario.network.segments[seg_id]
        if seg.is_sea and i + 1 < len(segments) and not scenario.network.segments[segments[i + 1]].is_sea:
            port = scenario.network.nodes[seg.to]
            if port.formation is None:
                raise ScenarioError(
                    f"port {seg.to!r} forms onward trains for flow {flow_id!r} but has no `formation` rule",
                    key=f"network.nodes.{seg.to}.formation",
                )
    return Route(flow=flow_id, nodes=tuple(path), segments=segments)
