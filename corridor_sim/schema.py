"""The typed scenario: what a scenario file may say, checked strictly (unknown keys are errors).

Durations are hours, distances km and speeds km/h once validated; they serialise back to text with units, so the
resolved scenario written beside each run re-loads to exactly the same model.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_serializer,
    model_validator,
)

from corridor_sim.distributions import DurationDist, SpeedDist
from corridor_sim.errors import ScenarioError
from corridor_sim.units import format_hours, format_km, parse_distance, parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_hours)]
Distance = Annotated[float, BeforeValidator(parse_distance), PlainSerializer(format_km)]
Fraction = Annotated[float, Field(gt=0, le=1)]

# Physical bounds: every input runs in bounded time and memory or is refused here, naming its key. The maxima sit far
# above any corridor (the largest container ships carry ~24,000 TEU; world port throughput is ~10^9 TEU a year) and
# far below what would exhaust a machine; the work estimate (`workload.py`) bounds what they multiply into.
MIN_CLOCK_STEP_H = 1 / 60  # one minute: the shortest interval that alone drives the clock (monitor, timetable, outages)
LAST_DAY = dt.date(9999, 1, 1)  # a run (start + duration + cooldown) ends before it; the calendar runs to year 9999
MAX_NAME = 200
MAX_SEED = 2**64  # seeds are 64-bit: larger ones would silently alias smaller ones
MAX_REPLICATIONS = 100_000
MAX_COUNT = 10_000  # servers, berths, vessels of one kind
MAX_TRAIN = 1_000  # containers on one train (the longest block trains carry ~100)
MAX_TEU_PER_YEAR = 1e9
MAX_TRAINS_PER_WEEK = 10_080  # one a minute
MAX_TRAINS_PER_DAY = 1_440  # one a minute
MAX_FACTOR = 1_000.0  # a month's demand factor
MAX_VESSEL_TEU = 100_000.0
MAX_STOCK = 1_000_000  # wagon sets or locomotives in one pool
MAX_YARD = 10_000_000  # TEU or containers in one port yard (the world's largest ports hold a few hundred thousand)


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
    """Where one parameter comes from: a source id (see `sources`), an inline source, or an estimate; `range` is
    its plausible [low, high] as written (checked against the figure by `corridor_sim.ranges`)."""

    source: str | Source | None = None
    estimate: bool = False
    note: str = ""
    range: Any = None  # [low, high]; its shape is checked with the figure (`ranges.ranged`), naming both

    @model_serializer(mode="wrap")
    def _without_empty_range(self, handler: Any) -> Any:
        """A figure without a range serialises as before ranges existed (resolved files stay as they were)."""
        data = handler(self)
        if self.range is None and isinstance(data, dict):
            data.pop("range", None)
        return data


class Simulation(Strict):
    start: dt.date = dt.date(2023, 1, 1)
    duration: Duration = 365 * 24.0
    warmup: Duration = 30 * 24.0
    cooldown: Duration = 120 * 24.0
    seed: int = Field(1, ge=0, lt=MAX_SEED)
    replications: int = Field(5, ge=1, le=MAX_REPLICATIONS)
    # a 20-foot box is 1 TEU, a 53-foot one 2.7: below half a TEU no container exists (and rates would explode)
    teu_per_container: float = Field(2.0, ge=0.5, le=3.0)
    monitor_interval: Duration = 24.0

    @model_validator(mode="after")
    def _window(self) -> Simulation:
        if self.duration <= 0:
            raise ScenarioError("must be positive", key="duration")
        if self.warmup >= self.duration:
            raise ScenarioError("warmup must be shorter than duration", key="warmup")
        if self.monitor_interval < MIN_CLOCK_STEP_H:
            raise ScenarioError("must be at least 1min (samples drive the clock)", key="monitor_interval")
        days_left = (LAST_DAY - self.start).days
        if (self.duration + self.cooldown) / 24 >= days_left:
            raise ScenarioError(
                f"start + duration + cooldown must end before {LAST_DAY} (the calendar's end)",
                key="cooldown" if self.duration / 24 < days_left else "duration",
            )
        return self


class Handling(Strict):
    """A handling resource: `servers` in parallel, each train held for one draw of `time` (FIFO queue)."""

    servers: int = Field(1, ge=1, le=MAX_COUNT)
    time: DurationDist


class Formation(Strict):
    """Onward trains at a port: a train leaves when it holds `train_size` containers or after `max_wait`."""

    train_size: int = Field(50, ge=1, le=MAX_TRAIN)
    max_wait: Duration | None = None


class YardLimit(Strict):
    """Room for containers at a port (its yard and its onward-train queues), in TEU or containers. When it is full,
    trains bound for the yard wait before the port, counted in `section`, and are let in first come, first served;
    what vessels unload is always taken in (the limit is on intake by rail). An empty yard takes any train."""

    capacity_teu: float | None = Field(None, gt=0, le=MAX_YARD)
    containers: int | None = Field(None, ge=1, le=MAX_YARD)
    section: str = Field("held before port", max_length=MAX_NAME)

    @model_validator(mode="after")
    def _one_size(self) -> YardLimit:
        if (self.capacity_teu is None) == (self.containers is None):
            raise ValueError("give exactly one of `capacity_teu` or `containers`")
        return self


class Intake(Strict):
    """Intake control at a port (the rule KTZ applies on the approaches to Aktau / Kuryk): trains bound for the port's
    yard are held at node `hold_at` while the port's backlog — containers let past `hold_at` or into the yard and not
    yet loading onto a vessel — is above `stop_above`, and let go, in order, once it falls below `resume_below`."""

    stop_above: int = Field(ge=1, le=MAX_YARD)  # containers
    resume_below: int = Field(ge=1, le=MAX_YARD)  # containers
    hold_at: str = Field(max_length=MAX_NAME)

    @model_validator(mode="after")
    def _hysteresis(self) -> Intake:
        if self.resume_below > self.stop_above:
            raise ValueError("resume_below must not exceed stop_above")
        return self


class Node(Strict):
    name: str = ""
    role: Literal["terminal", "border", "port", "junction"] = "junction"
    country: str = ""
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    section: str = ""
    handling: Handling | None = None
    berths: int | None = Field(None, ge=1, le=MAX_COUNT)
    formation: Formation | None = None
    yard: YardLimit | None = None
    intake: Intake | None = None

    @model_validator(mode="after")
    def _yard_at_port(self) -> Node:
        if self.yard is not None and self.role != "port":
            raise ValueError("only a port stores containers: `yard` needs role: port")
        if self.intake is not None and self.role != "port":
            raise ValueError("intake control is a port's: `intake` needs role: port")
        return self


class Vessel(Strict):
    name: str = ""
    capacity_teu: float = Field(gt=0, le=MAX_VESSEL_TEU)
    count: int = Field(1, ge=1, le=MAX_COUNT)


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
        if self.every is not None and self.every < MIN_CLOCK_STEP_H:
            raise ScenarioError("must be at least 1min (loading slots drive the clock)", key="every")
        return self


class Segment(Strict):
    from_: str = Field(alias="from")
    to: str
    mode: Literal["rail", "road", "ferry", "sea"] = "rail"
    section: str = ""
    distance: Distance | None = None
    speed: SpeedDist | None = None
    travel_time: DurationDist | None = None
    trains_per_day: float | None = Field(None, gt=0, le=MAX_TRAINS_PER_DAY)
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
    sets: int = Field(ge=1, le=MAX_STOCK)
    return_time: DurationDist


class Flow(Strict):
    """Demand: trains of `containers_per_train` arriving at `origin` bound for `destination`.

    The yearly volume is `teu_per_year` (or `trains_per_week`); `monthly_factor` scales the rate month by month,
    so the year's total is the volume times the mean factor.
    """

    origin: str
    destination: str
    path: list[str] | None = None
    teu_per_year: float | None = Field(None, ge=0, le=MAX_TEU_PER_YEAR)
    trains_per_week: float | None = Field(None, ge=0, le=MAX_TRAINS_PER_WEEK)
    containers_per_train: int = Field(50, ge=1, le=MAX_TRAIN)
    arrivals: Literal["poisson", "timetable"] = "poisson"
    monthly_factor: list[Annotated[float, Field(ge=0, le=MAX_FACTOR)]] = Field(default_factory=lambda: [1.0] * 12)

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

    The open time drives the clock alone (outages back to back in zero time would never let it move): its mean must be
    at least `MIN_CLOCK_STEP_H` and each draw is floored there (a draw of a heavy-tailed `every` can be ~0). `months`
    cannot be empty: an outage season of no month is a disruption that never happens (delete it instead).
    """

    target: str
    every: DurationDist
    duration: DurationDist
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _some_time_open(self) -> Disruption:
        if self.every.expected < MIN_CLOCK_STEP_H:
            raise ScenarioError("the mean open time between outages must be at least 1min", key="every")
        return self


class Network(Strict):
    nodes: dict[str, Node] = Field(min_length=1)
    segments: dict[str, Segment] = Field(default_factory=dict)
    rolling_stock: dict[str, RollingStock] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _intake_holds_at_a_node(self) -> Network:
        for n, node in self.nodes.items():
            if node.intake is not None and node.intake.hold_at not in self.nodes:
                raise ScenarioError(f"no node {node.intake.hold_at!r}", key=f"network.nodes.{n}.intake.hold_at")
        return self


class PublishedBand(Strict):
    """A published transit-time range to draw beside results (a check, never an input to the model)."""

    destination: str
    low: Duration
    high: Duration
    label: str = ""


class PublishedSection(Strict):
    """A published duration of a group of sections (e.g. "the Kazakh section"), drawn on the section charts beside
    the model's own for `destination`: a check, never an input. `group` names a key of `section_groups`."""

    group: str
    destination: str
    low: Duration = Field(ge=0)
    high: Duration = Field(ge=0)
    label: str = ""


class Intervention(Strict):
    """A named package of changes: `set` maps key paths to values, as `--set` would."""

    description: str = ""
    cost: float | None = Field(None, ge=0)
    cost_unit: str = ""
    set: dict[str, Any] = Field(min_length=1)


MAX_MONEY = 1e12  # USD (or a currency's units) in one charge or one cargo value: far above any corridor tariff


class Charge(Strict):
    """A tariff or fee on nodes and segments (`at`): `amount` in `currency` (at `year`'s prices) per TEU, FEU or
    container, per TEU-/FEU-/container-km of a segment, or per `call` (one train handled at a node, one train run or
    sailing of a segment, shared among the containers it carries). Accounting only: it never changes the model."""

    at: list[str] = Field(min_length=1)
    amount: float = Field(ge=0, le=MAX_MONEY)
    per: Literal["teu", "feu", "container", "teu_km", "feu_km", "container_km", "call"]
    currency: str = Field(min_length=1, max_length=12)
    year: int = Field(ge=1900, le=2200)


class ValueOfTime(Strict):
    """What a day in transit costs the cargo owner: `percent_per_day` of the cargo's value (Hummels & Schaur's
    ad-valorem equivalent of a day; their band 0.6-2.1 %/day), for cargo worth `cargo_value_per_teu` USD."""

    cargo_value_per_teu: float = Field(ge=0, le=MAX_MONEY)
    percent_per_day: float = Field(ge=0, le=100)
    year: int = Field(ge=1900, le=2200)


class Costs(Strict):
    """Charges along the path (reported in USD; `exchange_rates` give units of each other currency per USD) and
    the value of transit time."""

    exchange_rates: dict[str, Annotated[float, Field(gt=0, le=MAX_MONEY)]] = Field(default_factory=dict)
    charges: dict[str, Charge] = Field(default_factory=dict)
    value_of_time: ValueOfTime | None = None


class EmissionFactor(Strict):
    """Well-to-wheel CO2e of one vehicle class on `segments` (all of one `mode`): kg per tonne-km or per TEU-km.
    Rail may give `electric` and `diesel` factors and the `electric_share` of the tonne-km instead of `kg_co2e`."""

    mode: Literal["rail", "road", "ferry", "sea"]
    per: Literal["tonne_km", "teu_km"]
    kg_co2e: float | None = Field(None, ge=0, le=1000)
    electric: float | None = Field(None, ge=0, le=1000)
    diesel: float | None = Field(None, ge=0, le=1000)
    electric_share: float | None = Field(None, ge=0, le=1)
    segments: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> EmissionFactor:
        blend = (self.electric, self.diesel, self.electric_share)
        given = [v is not None for v in blend]
        if any(given) if self.kg_co2e is not None else not all(given):
            raise ValueError("give `kg_co2e`, or all of `electric`, `diesel` and `electric_share`")
        return self

    @property
    def kg(self) -> float:
        """The factor, the blend's weighted mean where electric and diesel are given."""
        if self.kg_co2e is not None:
            return self.kg_co2e
        return self.electric_share * self.electric + (1 - self.electric_share) * self.diesel


class Emissions(Strict):
    """CO2e per container along its path: each segment's factor times its distance and the container's tonnes
    (or TEU). Every segment of the network needs exactly one factor, so none counts silently as zero."""

    method: str = Field(
        "ISO 14083 / GLEC Framework style, well-to-wheel: factor x tonne-km (or TEU-km) of each leg of the path; "
        "terminal and idle emissions not included",
        max_length=1000,
    )
    tonnes_per_teu: float = Field(gt=0, le=40)
    factors: dict[str, EmissionFactor] = Field(min_length=1)


class Change(Strict):
    """Values that change on a calendar date (`set` maps key paths to values, as `--set` would): from `from` on,
    the scenario runs as if written with them. Each state must itself be a valid scenario (see `corridor_sim.dated`)."""

    from_: dt.date = Field(alias="from")
    set: dict[str, Any] = Field(min_length=1)


class Scenario(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME)  # a label; file names are made from it (workspace)
    description: str = ""
    sources: dict[str, Source] = Field(default_factory=dict)
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    simulation: Simulation = Simulation()
    network: Network
    demand: Demand = Demand()
    disruptions: dict[str, Disruption] = Field(default_factory=dict)
    published: list[PublishedBand] = Field(default_factory=list)
    section_groups: dict[str, list[str]] = Field(default_factory=dict)
    published_sections: list[PublishedSection] = Field(default_factory=list)
    interventions: dict[str, Intervention] = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)
    costs: Costs | None = None
    emissions: Emissions | None = None

    @model_validator(mode="after")
    def _sources_known(self) -> Scenario:
        for key, prov in self.provenance.items():
            if isinstance(prov.source, str) and prov.source not in self.sources:
                raise ValueError(f"provenance of {key} names source {prov.source!r}, not listed in `sources`")
        if not self.name.isprintable():
            raise ScenarioError("must be printable text (no line breaks, tabs or NUL)", key="name")
        return self

    @model_validator(mode="after")
    def _intake_can_resume(self) -> Scenario:
        """A vessel waiting to be full at a port whose intake is stopped must be able to fill from what was let in,
        or the port would wait for trains its own rule holds back: its need may not exceed `resume_below`."""
        for seg_id, seg in self.network.segments.items():
            intake = self.network.nodes[seg.from_].intake if seg.from_ in self.network.nodes else None
            dep = seg.departure or Departure()
            if intake is None or not seg.vessels or dep.rule != "when_full" or dep.max_wait is not None:
                continue
            need = max(
                math.ceil(dep.fill * vessel_capacity(v, seg, self.simulation.teu_per_container)) for v in seg.vessels
            )
            if need > intake.resume_below:
                raise ScenarioError(
                    f"a vessel of {seg_id} waits for {need} containers, more than intake control lets in before it "
                    f"resumes ({intake.resume_below}): raise resume_below or give the departure a max_wait",
                    key=f"network.nodes.{seg.from_}.intake.resume_below",
                )
        return self

    @model_validator(mode="after")
    def _vessels_hold_a_container(self) -> Scenario:
        """A vessel that cannot hold one container would sail forever empty, or (rounded up) carry more than it can."""
        teu = self.simulation.teu_per_container
        for seg_id, seg in self.network.segments.items():
            for i, vessel in enumerate(seg.vessels or ()):
                if vessel.capacity_teu * seg.load_factor < teu:
                    raise ScenarioError(
                        f"{vessel.capacity_teu:g} TEU x load_factor {seg.load_factor:g} holds less than one "
                        f"container (simulation.teu_per_container {teu:g})",
                        key=f"network.segments.{seg_id}.vessels.{i}.capacity_teu",
                    )
        return self

    @model_validator(mode="after")
    def _accounting_refers_to_the_network(self) -> Scenario:
        """Charges and emission factors name nodes and segments that exist, in currencies with a rate; per-km
        charges and factors need segments with a distance; a per-call charge at a node needs its handling (the
        call it counts); every segment has exactly one emission factor of its own mode."""
        net = self.network
        if self.costs is not None:
            for cid, charge in self.costs.charges.items():
                key = f"costs.charges.{cid}"
                if charge.currency != "USD" and charge.currency not in self.costs.exchange_rates:
                    known = ", ".join(["USD", *self.costs.exchange_rates])
                    raise ScenarioError(f"unknown currency {charge.currency!r} (known: {known})", key=f"{key}.currency")
                for i, place in enumerate(charge.at):
                    where = f"{key}.at.{i}"
                    if place not in net.nodes and place not in net.segments:
                        raise ScenarioError(f"unknown node or segment {place!r}", key=where)
                    seg = net.segments.get(place)
                    if charge.per.endswith("_km") and (seg is None or seg.distance is None):
                        raise ScenarioError(f"a per-km charge needs a segment with a distance: {place!r}", key=where)
                    if charge.per == "call" and place in net.nodes and net.nodes[place].handling is None:
                        raise ScenarioError(
                            f"a per-call charge at a node counts its handling; {place!r} has none", key=where
                        )
        if self.emissions is not None:
            owner: dict[str, str] = {}
            for fid, factor in self.emissions.factors.items():
                for i, seg_id in enumerate(factor.segments):
                    where = f"emissions.factors.{fid}.segments.{i}"
                    seg = net.segments.get(seg_id)
                    if seg is None:
                        raise ScenarioError(f"unknown segment {seg_id!r}", key=where)
                    if seg_id in owner:
                        raise ScenarioError(f"{seg_id!r} already has factor {owner[seg_id]!r}", key=where)
                    if seg.mode != factor.mode:
                        raise ScenarioError(
                            f"{seg_id!r} is a {seg.mode} segment, the factor is for {factor.mode}", key=where
                        )
                    if seg.distance is None:
                        raise ScenarioError(f"{seg_id!r} has no distance to multiply the factor by", key=where)
                    owner[seg_id] = fid
            missing = [s for s in net.segments if s not in owner]
            if missing:
                raise ScenarioError(f"no factor for segment(s) {', '.join(missing)}", key="emissions.factors")
        return self


def whole_containers(teu: float, teu_per_container: float) -> int:
    """Whole containers in `teu` (at least one). The quotient is rounded to 9 decimals before it is floored, so that
    11 TEU at 1.1 TEU per container is 10 boxes as written, although `11 // 1.1` is 9 (binary 1.1 is a hair above)."""
    return max(math.floor(round(teu / teu_per_container, 9)), 1)


def vessel_capacity(vessel: Vessel, seg: Segment, teu_per_container: float) -> int:
    """Containers a vessel carries: its TEU times the segment's load factor, in whole containers (at least one)."""
    return whole_containers(vessel.capacity_teu * seg.load_factor, teu_per_container)
