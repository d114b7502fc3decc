"""Where waiting is booked: cargo stays in the yard (yard wait at the port) until its vessel has a berth, and keeps its
room in the yard until loading starts; cargo aboard waits for a berth at the port where it waits, not on the sea leg.
Times are worked out by hand in each docstring (hours from the start)."""

from __future__ import annotations

import numpy as np
from conftest import model, scenario_dict

from corridor_sim.records import STATES

NAMES = list(STATES)


def two_vessels_one_berth(load_time: str = "10h", yard: dict | None = None) -> dict:
    """o --10 h--> p ==ferry==> q. One train of 10 containers at 24 (in p's yard at 34); two 5-container vessels
    wait at p; p and q have one berth each; load `load_time`, cross 20 h, unload 12 h, back after 300 h."""
    nodes = {
        "o": {"role": "terminal", "section": "Origin"},
        "p": {"role": "port", "berths": 1, "section": "Port P"},
        "q": {"role": "port", "berths": 1, "section": "Port Q"},
    }
    if yard is not None:
        nodes["p"]["yard"] = yard
    segments = {
        "op": {"from": "o", "to": "p", "travel_time": "10h"},
        "pq": {
            "from": "p",
            "to": "q",
            "mode": "ferry",
            "section": "Crossing",
            "vessels": [{"capacity_teu": 10, "count": 2}],
            "crossing_time": "20h",
            "return_time": "300h",
            "load_time": load_time,
            "unload_time": "12h",
        },
    }
    flows = {
        "f": {
            "origin": "o",
            "destination": "q",
            "trains_per_week": 7,
            "arrivals": "timetable",
            "containers_per_train": 10,
        }
    }
    return scenario_dict(nodes, segments, flows, duration="2d", warmup="0h", cooldown="100h")


def stages_of(m, container: int) -> list[tuple[str, str, float, float]]:
    """(location, state, start, end) of one container's stages, in time order, from the model's records."""
    out = []
    for number, loc, state, t0, t1 in m.rec.stages:
        if container in m.rec.loads[number]:
            out.append((m.rec.locations[loc], NAMES[state], t0, t1))
    return sorted(out, key=lambda r: (r[2], r[3]))


def test_berth_waits_are_booked_at_the_port_where_they_happen() -> None:
    """Both vessels take 5 containers at 34. Vessel 1 has p's berth and loads 34-44; vessel 2 waits for it, its
    cargo still in the yard, and loads 44-54. Vessel 1 reaches q at 64 and unloads 64-76; vessel 2 reaches q at 74
    and waits there for the berth until 76, then unloads 76-88."""
    m = model(two_vessels_one_berth())
    tables = m.run()
    assert stages_of(m, 0) == [
        ("op", "travel", 24, 34),  # (stages of no length are not recorded)
        ("pq", "loading", 34, 44),
        ("pq", "sailing", 44, 64),
        ("pq", "unloading", 64, 76),
    ]
    assert stages_of(m, 5) == [
        ("op", "travel", 24, 34),
        ("p", "yard_wait", 34, 44),
        ("pq", "loading", 44, 54),
        ("pq", "sailing", 54, 74),
        ("q", "berth_wait", 74, 76),
        ("pq", "unloading", 76, 88),
    ]
    # per section, mean days per delivered container: half waited 10 h in p's yard and 2 h at q's berth
    sec = tables["sections"]
    w = sec[sec.state.astype(str).eq("waiting")]
    waiting = w.set_index(w.section.astype(str))["days"]
    assert np.isclose(waiting.get("Port P", 0) * 24, 5)
    assert np.isclose(waiting.get("Port Q", 0) * 24, 1)
    assert np.isclose(waiting.get("Crossing", 0), 0)


def test_cargo_keeps_its_room_in_the_yard_until_loading_starts() -> None:
    """Yard of 10 containers, loading 30 h. Train 1 fills the yard at 34; both vessels take their 5 then. Vessel 1
    loads 34-64, so 5 containers leave the yard at 34; vessel 2's 5 stay until it has the berth and starts loading at
    64. Train 2 reaches p at 58: 5 + 10 > 10, so it is held before the port until 64."""
    m = model(two_vessels_one_berth("30h", {"containers": 10}))
    m.run()
    assert ("p approach", "held_before_port", 58, 64) in stages_of(m, 10)
    assert ("p", "yard_wait", 34, 64) in stages_of(m, 5)
