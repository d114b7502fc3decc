"""The event log of one replication: what the engine tells it, as flat rows with explicit states.

Containers never become objects: a train or vessel load is a numpy array of container ids, and a stage row names
the load it moved, so recording costs a dict lookup and a tuple append. The engine only calls methods; the tables
are built from the finished log by the pure functions of `corridor_sim.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Explicit states of a container at a stage, and the broad class each counts as in the moving/handling/waiting split.
STATES: dict[str, str] = {
    "travel": "moving",
    "sailing": "moving",
    "handling": "handling",
    "loading": "handling",
    "unloading": "handling",
    "queue": "waiting",
    "line_wait": "waiting",
    "closed": "waiting",
    "stock_wait": "waiting",
    "yard_wait": "waiting",
    "berth_wait": "waiting",
    "formation_wait": "waiting",
    "held_before_port": "waiting",
    "held_by_intake": "waiting",
}
STATE_CODE = {name: i for i, name in enumerate(STATES)}
STATUSES = ("delivered", "in_flight")
# every occupancy metric the model samples: the `metric` column has them all as categories, so a replication without
# a closure or a formation queue has the same column type as one with, and replications concatenate as categoricals
METRICS = (
    "busy_servers",
    "closed",
    "formation_containers",
    "queue_trains",
    "stock_in_use",
    "vessels_waiting_for_cargo",
    "waiting_trains",
    "yard_containers",
)
CLASSES = ("moving", "handling", "waiting")


@dataclass
class Recorder:
    """Appends during the run, through methods only; read by `corridor_sim.tables.build` once the run is over."""

    locations: list[str]
    location_section: list[str]
    flows: list[str]
    flow_origin: list[str]
    flow_destination: list[str]
    trains: list[tuple[int, int, int, float]] = field(default_factory=list)  # first id, n, flow, t0
    delivered: list[tuple[np.ndarray, float]] = field(default_factory=list)
    loads: list[np.ndarray] = field(default_factory=list)  # each load that has a stage row, once, in order of first use
    stages: list[tuple[int, int, int, float, float]] = field(default_factory=list)  # load, location, state, t0, t1
    sailings: list[tuple[str, str, float, float, int, int, float]] = field(default_factory=list)
    gauges: tuple[tuple[str, str], ...] = ()  # (location, metric) of each value of a `gauge` row
    gauge_days: list[float] = field(default_factory=list)
    gauge_rows: list[list[int]] = field(default_factory=list)
    samples: list[tuple[float, str, str, int]] = field(default_factory=list)  # sparse occupancy: day, location, ...
    next_id: int = 0
    _loc_index: dict[str, int] = field(init=False, repr=False)
    _load_of: dict[int, int] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._loc_index = {name: i for i, name in enumerate(self.locations)}

    def loc(self, name: str) -> int:
        return self._loc_index[name]

    def new_containers(self, n: int, flow: int, t: float) -> np.ndarray:
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.trains.append((self.next_id, n, flow, t))
        self.next_id += n
        return ids

    def stage(self, ids: np.ndarray, loc: int, state: int, t0: float, t1: float) -> None:
        """Containers `ids` spent [t0, t1) at `loc` in `state` (an empty interval is not a stage).

        The engine hands the same array through every stage a train or vessel load rides, so the log keeps each
        array once and numbers it (`loads`): the tables then sum per load, not per (container, stage). The number is
        found by the array's identity, which stays unique because `loads` keeps every numbered array alive. Two
        arrays with the same ids would only be two loads: the sums are the same either way.
        """
        if t1 > t0:
            load = self._load_of.setdefault(id(ids), len(self.loads))
            if load == len(self.loads):
                self.loads.append(ids)
            self.stages.append((load, loc, state, t0, t1))

    def deliver(self, ids: np.ndarray, t: float) -> None:
        self.delivered.append((ids, t))

    def sailing(
        self, segment: str, vessel: str, depart_h: float, arrive_h: float, containers: int, capacity: int, teu: float
    ) -> None:
        """One completed crossing of `segment` by `vessel`, times in hours."""
        self.sailings.append((segment, vessel, depart_h / 24, arrive_h / 24, containers, capacity, teu))

    def declare_gauges(self, series: list[tuple[str, str]]) -> None:
        """The (location, metric) series each later `gauge` row holds, in order."""
        self.gauges = tuple(series)

    def gauge(self, day: float, values: list[int]) -> None:
        """One occupancy sample of every declared series: a row per sample, not a tuple per series."""
        self.gauge_days.append(day)
        self.gauge_rows.append(values)

    def sample(self, day: float, location: str, metric: str, value: int) -> None:
        """One occupancy sample of a series that comes and goes (a formation queue, a closure)."""
        self.samples.append((day, location, metric, value))
