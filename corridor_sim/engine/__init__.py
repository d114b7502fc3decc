"""The discrete-event model: vehicles are SimPy processes, containers ride as arrays of ids.

The engine knows nothing of files, the CLI or plots: it takes a validated `Scenario` and its `CorridorNetwork`
and returns columnar tables.
"""

from corridor_sim.engine.model import simulate

__all__ = ["simulate"]
