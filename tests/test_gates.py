"""Overlapping outages of one place: it reopens only when the last of them ends."""

import datetime as dt

import simpy

from corridor_sim.engine.calendar import Calendar
from corridor_sim.engine.gates import Gate, outages


def test_overlapping_outages_keep_the_gate_closed_until_the_last_ends() -> None:
    env = simpy.Environment()
    gate = Gate(env)
    cal = Calendar(dt.date(2023, 1, 1), 100.0)
    # A: open 10 h, closed 10 h (closed 10-20, 30-40, ...); B: open 15 h, closed 10 h (closed 15-25, 40-50, ...)
    env.process(outages(env, [gate], lambda: 10.0, lambda: 10.0, None, cal))
    env.process(outages(env, [gate], lambda: 15.0, lambda: 10.0, None, cal))
    seen = {}

    def probe():
        for t in (5, 12, 18, 22, 27, 27.5, 35, 45, 52):
            yield env.timeout(t - env.now)
            seen[t] = gate.is_open

    env.process(probe())
    env.run(until=60)
    # by hand: closed by A on [10,20), [30,40), [50,60); by B on [15,25), [40,50)
    assert seen == {5: True, 12: False, 18: False, 22: False, 27: True, 35: False, 45: False, 52: False, 27.5: True}
