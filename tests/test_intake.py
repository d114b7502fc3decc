"""Intake control: trains bound for a port are held at a named node while the port's backlog (approach + yard) is
above `stop_above`, and let go in order once it falls below `resume_below`. Times worked out by hand (hours)."""

from __future__ import annotations

import pytest
from conftest import load, model
from test_yard_capacity import TRAIN, blocked

from corridor_sim.errors import ScenarioError
from corridor_sim.invariants import find_violations

HELD = "held_by_intake"


def controlled(stop_above: int = 35, resume_below: int = 20, hold_at: str = "o") -> dict:
    """`blocked` without a yard limit, with intake control at p holding trains at the origin o: train k (10
    containers) reaches o at 24k and p at 24k + 10; one 20-container vessel with a 124 h cycle from taking cargo."""
    raw = blocked(None)
    raw["network"]["nodes"]["p"]["intake"] = {
        "stop_above": stop_above,
        "resume_below": resume_below,
        "hold_at": hold_at,
    }
    return raw


def held_at_origin(m) -> dict[int, tuple[float, float]]:
    """(start, end) of each train's hold at o, by train number (from 1), from the model's records."""
    from corridor_sim.records import STATE_CODE

    out = {}
    for number, loc, state, t0, t1 in m.rec.stages:
        if state == STATE_CODE[HELD]:
            assert m.rec.locations[loc] == "o"
            out[int(m.rec.loads[number][0]) // TRAIN + 1] = (t0, t1)
    return out


def test_intake_stops_above_and_resumes_below_with_hysteresis() -> None:
    """Backlog = containers let go from o and not yet loading. Trains 1-2 (20) fill the vessel at 58: backlog 0.
    Trains 3-6 go (72-144): 40 > 35, intake stops; trains 7, 8, ... are held at o. The vessel, back at 182, loads
    20: backlog 20, not below 20, so intake stays stopped (a single threshold would have let trains go here). Back at
    306 it loads trains 5-6: backlog 0 < 20, so held trains 7, 8, 9, 10 go, in order, until the backlog is 40 > 35.
    The pattern repeats every two sailings (248 h): train k >= 7 is let go at 306 + 248 ((k - 7) // 4)."""
    m = model(controlled())
    tables = m.run()
    held = held_at_origin(m)
    expected = {k: (24.0 * k, 306 + 248 * ((k - 7) // 4)) for k in range(7, 19)}  # released by the end (840 h)
    assert held == expected
    assert find_violations(tables, load(controlled())) == []
    c = tables["containers"]
    assert len(c) == m.rec.next_id  # the trains still held at the end are in flight, not lost


def test_a_single_threshold_resumes_at_once() -> None:
    """resume_below = stop_above = 35: at 182 the backlog (20) is below 35, so train 7, held since 168, goes at once
    (backlog 30); train 8 (192) goes too and makes it 40; train 9 (216) is held until the sailing at 306."""
    m = model(controlled(35, 35))
    m.run()
    held = held_at_origin(m)
    assert held[7] == (168.0, 182.0) and 8 not in held and held[9] == (216.0, 306.0)


@pytest.mark.parametrize(
    ("intake", "message"),
    [
        ({"stop_above": 10, "resume_below": 20, "hold_at": "o"}, "intake: resume_below must not exceed stop_above"),
        ({"stop_above": 40, "resume_below": 20, "hold_at": "x"}, "intake.hold_at: no node 'x'"),
        ({"stop_above": 40, "resume_below": 10, "hold_at": "o"}, "intake.resume_below: a vessel of pq waits for 20"),
    ],
)
def test_bad_intake_rules_are_refused(intake: dict, message: str) -> None:
    raw = blocked(None)
    raw["network"]["nodes"]["p"]["intake"] = intake
    with pytest.raises(ScenarioError, match=message):
        load(raw)
