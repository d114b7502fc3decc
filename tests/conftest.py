"""Shared helpers: build small scenarios as plain dicts, validate them, write them to YAML and simulate them.

Kept generic on purpose: a test states its own network and demand, these helpers only remove the boilerplate.
"""

from __future__ import annotations

import copy
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from corridor_sim.engine import simulate
from corridor_sim.engine.model import CorridorModel
from corridor_sim.loader import validate
from corridor_sim.network import build_network
from corridor_sim.schema import Scenario


def scenario_dict(
    nodes: dict[str, Any], segments: dict[str, Any], flows: dict[str, Any], *, name: str = "test", **simulation: Any
) -> dict[str, Any]:
    """A raw scenario mapping as a file would hold it (units as text); `simulation` keys override the defaults."""
    sim = {"duration": "60d", "warmup": "0h", "cooldown": "10d", "seed": 1, "replications": 1}
    sim.update(simulation)
    return {
        "name": name,
        "simulation": sim,
        "network": {"nodes": copy.deepcopy(nodes), "segments": copy.deepcopy(segments)},
        "demand": {"flows": copy.deepcopy(flows)},
    }


def load(raw: dict[str, Any]) -> Scenario:
    """Validate a raw mapping exactly as the loader does for a file (provenance lifting, network checks)."""
    return validate(copy.deepcopy(raw))


def run(raw: dict[str, Any] | Scenario, replication: int = 0, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """One replication's tables."""
    scenario = raw if isinstance(raw, Scenario) else load(raw)
    return simulate(scenario, build_network(scenario), replication, seed)


def model(raw: dict[str, Any] | Scenario, replication: int = 0) -> CorridorModel:
    """A built but not yet run model, for tests that inspect the engine's state after `run()`."""
    scenario = raw if isinstance(raw, Scenario) else load(raw)
    return CorridorModel(scenario, build_network(scenario), replication)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """`write_yaml(data, name="s.yaml")` writes a mapping (or raw text) to tmp_path and returns the path."""

    def write(data: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _private_replication_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by tests keep replications in a directory of the test session, never the user's cache."""
    monkeypatch.setenv("CORRIDOR_SIM_CACHE", str(tmp_path_factory.getbasetemp() / "replication-cache"))


def sigint_as_from_a_terminal() -> None:
    """`preexec_fn` for a child that a test interrupts: Ctrl-C as from a terminal. A test run started in the
    background (`cmd &` in a script, as a CI runner may) passes on an ignored SIGINT, which Python keeps, so the child
    ran on to its end (seen in CI as a Ctrl-C test that "hung")."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
