"""The typed scenario: what a scenario file may say, checked strictly (unknown keys are errors).

Durations are hours, distances km and speeds km/h once validated; they serialise back to text with units, so the
resolved scenario written beside each run re-loads to exactly the same model.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from corridor_sim.distributions import DurationDist, SpeedDist
from corridor_sim.units import format_hours, format_km, parse_distance, parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_hours)]
Distance = Annotated[float, BeforeValidator(parse_distance), PlainSerializer(format_km)]
PositiveInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(gt=0, le=1)]


class Strict(BaseModel):
    # no .inf/.nan in any number: an infinite capacity or demand would crash or hang the engine, not inform a plan;
    # non-finite values inside free-form data (an intervention's `set`) serialise as YAML's .inf/.nan, not null
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, ser_json_inf_nan="strings"
    )


class Source(Strict):
    """A public source: where a figure comes from (title, publisher, year)."""

    title: str
    publisher: str = ""
    year: int | None = None
    url: str = ""


class Provenance(Strict):
    """Where one parameter comes from: a source id (see `sources`), an inline source, or an estimate."""

    source: str | Source | None = None
    estimate: bool = False
    note: str = ""


class Simulation(Strict):
    start: dt.date = dt.date(2023, 1, 1)
    duration: Duration = 365 * 24.0
    warmup: Duration = 30 * 24.0
    cooldown: Duration = 120 * 24.0
    seed: int = 1
    replications: PositiveInt = 5
    teu_per_container: float = Field(2.0, gt=0)
    monitor_interval: Duration = 24.0

    @model_validator(mode="after")
    def _window(self) -> Simulation:
        if self.duration <= 0:
            raise ValueError("duration must be positive")
        if self.warmup >= self.duration:
            raise ValueError("warmup must be shorter than duration")
        if self.monitor_interval <= 0:
            raise ValueError("monitor_interval must be positive")
        return self


class Handling(Strict):
    """A handling resource: `servers` in parallel, each train held for one draw of `time` (FIFO queue)."""

    servers: PositiveInt = 1
    time: DurationDist


class Formation(Strict):
    """Onward trains at a port: a train leaves when it holds `train_size` containers or after `max_wait`."""

    train_size: PositiveInt = 50
    max_wait: Duration | None = None


class Node(Strict):
    name: str = ""
    role: Literal["terminal", "border", "port", "junction"] = "junction"
    country: str = ""
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    section: str = ""
    handling: Handling | None = None
    berths: PositiveInt | None = None
    formation: Formation | None = None


class Vessel(Strict):
    name: str = ""
    capacity_teu: float = Field(gt=0)
    count: PositiveInt = 1


class Departure(Strict):
    """When a vessel sails: `when_full` (optionally at most `max_wait` after it is ready) or on a `timetable`."""

    rule: Literal["when_full", "timetable"] = "when_full"
    fill: Fraction = 1.0
    max_wait: Duration | None = None
    every: Duration | None = None
    offset: Duration = 0.0

    @model_validator(mode="after")
    def _rule(self) -> Departure:
        if self.rule == "timetable" and not self.every:
            raise ValueError("a timetable needs a positive `every`")
        return self


class Segment(Strict):
    from_: str = Field(alias="from")
    to: str
    mode: Literal["rail", "road", "ferry", "sea"] = "rail"
    section: str = ""
    distance: Distance | None = None
    speed: SpeedDist | None = None
    travel_time: DurationDist | None = None
    trains_per_day: float | None = Field(None, gt=0)
    # ferry / sea
    vessels: list[Vessel] | None = None
    crossing_time: DurationDist | None = None
    return_time: DurationDist | None = None
    load_time: DurationDist | None = None
    # a terminal's ship-loading rate: each call takes `load_time` plus this for every TEU loaded, so a half-empty
    # sailing is loaded faster than a full one
    load_time_per_teu: DurationDist | None = None
    unload_time: DurationDist | None = None
    load_factor: Fraction = 1.0
    departure: Departure | None = None

    @property
    def is_sea(self) -> bool:
        return self.mode in ("ferry", "sea")

    @model_validator(mode="after")
    def _mode(self) -> Segment:
        if self.is_sea:
            if not self.vessels:
                raise ValueError(f"a {self.mode} segment needs `vessels`")
            if self.crossing_time is None:
                raise ValueError(f"a {self.mode} segment needs `crossing_time`")
            if self.speed is not None or self.travel_time is not None or self.trains_per_day is not None:
                raise ValueError(f"a {self.mode} segment takes crossing_time, not speed/travel_time/trains_per_day")
        else:
            if (
                self.vessels is not None
                or self.crossing_time is not None
                or self.departure is not None
                or self.load_time_per_teu is not None
            ):
                raise ValueError(
                    f"a {self.mode} segment takes no vessels, crossing_time, load_time_per_teu or departure"
                )
            if self.travel_time is None and (self.distance is None or self.speed is None):
                raise ValueError(f"a {self.mode} segment needs `distance` and `speed`, or `travel_time`")
            if self.travel_time is not None and self.speed is not None:
                raise ValueError("give `speed` or `travel_time`, not both")
        return self


class RollingStock(Strict):
    """A pool of wagon sets or locomotives that serve `segments` and must return empty before reuse."""

    segments: list[str] = Field(min_length=1)
    sets: PositiveInt
    return_time: DurationDist


class Flow(Strict):
    """Demand: trains of `containers_per_train` arriving at `origin` bound for `destination`.

    The yearly volume is `teu_per_year` (or `trains_per_week`); `monthly_factor` scales the rate month by month,
    so the year's total is the volume times the mean factor.
    """

    origin: str
    destination: str
    path: list[str] | None = None
    teu_per_year: float | None = Field(None, ge=0)
    trains_per_week: float | None = Field(None, ge=0)
    containers_per_train: PositiveInt = 50
    arrivals: Literal["poisson", "timetable"] = "poisson"
    monthly_factor: list[Annotated[float, Field(ge=0)]] = Field(default_factory=lambda: [1.0] * 12)

    @model_validator(mode="after")
    def _volume(self) -> Flow:
        if (self.teu_per_year is None) == (self.trains_per_week is None):
            raise ValueError("give exactly one of `teu_per_year` or `trains_per_week`")
        if len(self.monthly_factor) != 12:
            raise ValueError("monthly_factor needs 12 values, January first")
        return self


class Demand(Strict):
    flows: dict[str, Flow] = Field(default_factory=dict)


class Disruption(Strict):
    """Random outages of a node or segment: open for an `every` draw, then closed for a `duration` draw, and again
    (closures start only in `months` if given); so the share of time closed is E[duration] / (E[every] + E[duration]).
    """

    target: str
    every: DurationDist
    duration: DurationDist
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = None

    @model_validator(mode="after")
    def _some_time_open(self) -> Disruption:
        if self.every.expected <= 0:  # outages back to back in zero time would never let the clock move
            raise ValueError("`every` must be positive (the open time between outages)")
        return self


class Network(Strict):
    nodes: dict[str, Node] = Field(min_length=1)
    segments: dict[str, Segment] = Field(default_factory=dict)
    rolling_stock: dict[str, RollingStock] = Field(default_factory=dict)


class PublishedBand(Strict):
    """A published transit-time range to draw beside results (a check, never an input to the model)."""

    destination: str
    low: Duration
    high: Duration
    label: str = ""


class Intervention(Strict):
    """A named package of changes: `set` maps key paths to values, as `--set` would."""

    description: str = ""
    cost: float | None = Field(None, ge=0)
    cost_unit: str = ""
    set: dict[str, Any] = Field(min_length=1)


class Change(Strict):
    """Values that change on a calendar date (`set` maps key paths to values, as `--set` would): from `from` on,
    the scenario runs as if written with them. Each state must itself be a valid scenario (see `corridor_sim.dated`)."""

    from_: dt.date = Field(alias="from")
    set: dict[str, Any] = Field(min_length=1)


class Scenario(Strict):
    name: str
    description: str = ""
    sources: dict[str, Source] = Field(default_factory=dict)
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    simulation: Simulation = Simulation()
    network: Network
    demand: Demand = Demand()
    disruptions: dict[str, Disruption] = Field(default_factory=dict)
    published: list[PublishedBand] = Field(default_factory=list)
    section_groups: dict[str, list[str]] = Field(default_factory=dict)
    interventions: dict[str, Intervention] = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sources_known(self) -> Scenario:
        for key, prov in self.provenance.items():
            if isinstance(prov.source, str) and prov.source not in self.sources:
                raise ValueError(f"provenance of {key} names source {prov.source!r}, not listed in `sources`")
        return self
