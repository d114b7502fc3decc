"""The planner's edits to one scenario: checked one by one by the schema, undoable, savable as a child scenario.

An edit is kept only if the scenario with it (and every earlier edit) validates exactly as a file would; a refused
value leaves the edits as they were and gives the one-line message a file with that value would get.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario, validate
from corridor_sim.schema import Scenario
from corridor_sim.serve.controls import Control, controls
from corridor_sim.tuning.evaluate import Study


@dataclass(frozen=True)
class Edit:
    key: str
    value: Any  # as the file would hold it
    number: float  # as typed
    before: float  # the control's value before this edit


@dataclass
class Session:
    """The unchanged scenario (`study.base`), its controls, and the edits made so far, oldest first."""

    study: Study
    controls: dict[str, Control]
    sets: list[str] = field(default_factory=list)  # `--set` overrides the page started with, saved with the edits
    edits: list[Edit] = field(default_factory=list)
    replications: int | None = None  # per edit, for the work check (`study.max_events`); None: the file's count

    @classmethod
    def load(cls, path: Path, sets: list[str] | None = None) -> Session:
        study = Study.load(Path(path), sets or [])
        return cls(study, {c.key: c for c in controls(study.raw)}, list(sets or []))

    @property
    def name(self) -> str:
        return f"{self.study.base.name}-edited"

    def current(self, key: str) -> float:
        """The control's value with the edits so far."""
        for edit in reversed(self.edits):
            if edit.key == key:
                return edit.number
        return self.controls[key].value

    def changes(self) -> dict[str, Any]:
        """Each edited key path and its latest value, in the order first edited; keys edited back to the file's
        value are left out."""
        out: dict[str, Any] = {}
        for edit in self.edits:
            out[edit.key] = edit.value
        return {k: v for k, v in out.items() if self.current(k) != self.controls[k].value}

    def scenario(self, changes: dict[str, Any] | None = None) -> Scenario:
        """The edited scenario, validated as a file would be (named `<base>-edited` once anything changed)."""
        changes = self.changes() if changes is None else changes
        if not changes:
            return self.study.base
        raw = self.study.variant_raw(changes, origin="serve", exact=True)
        raw["name"] = self.name
        return validate(raw, f"{self.study.path} (edited)", name=self.name)

    def edit(self, key: str, number: Any) -> Scenario:
        """Apply one typed value; a refused value raises ScenarioError (one line) and changes nothing."""
        control = self.controls.get(key)
        if control is None:
            raise ScenarioError("not a parameter this page can change", key=key)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ScenarioError("enter a number", key=key)
        if control.integer and number != int(number):
            raise ScenarioError("must be a whole number", key=key)
        value = control.raw(number)
        scenario = self.scenario({**self.changes(), key: value})
        self.check_work(scenario)
        self.edits.append(Edit(key, value, float(number), self.current(key)))
        return scenario

    def check_work(self, scenario: Scenario) -> None:
        """Refuse, before it runs, a scenario whose estimated work is above the budget (as every command does)."""
        self.study.check_work(scenario, "serve", self.replications)

    def undo(self) -> Edit | None:
        return self.edits.pop() if self.edits else None

    def save(self, target: Path) -> Path:
        """Write a scenario file that `extends` the original and holds only the changes; it must load as written."""
        target = Path(target)
        if target.suffix not in (".yaml", ".yml"):
            raise ScenarioError("the file name must end in .yaml", file=str(target))
        if target.exists():
            raise ScenarioError("already exists; choose another name (files are never overwritten)", file=str(target))
        changes = self.changes()
        if not changes:
            raise ScenarioError("nothing to save: no parameter differs from the scenario", file=str(target))
        text = child_yaml(self, changes, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        try:
            load_scenario(tmp)
        except ScenarioError:
            tmp.unlink()
            raise
        os.replace(tmp, target)
        return target


def child_yaml(session: Session, changes: dict[str, Any], target: Path) -> str:
    """The changes as a scenario that extends the original (a path through a list writes the whole list, since a
    child's list replaces its parent's), each change marked as an estimate set on the page. The page's own `--set`
    overrides are written too, so the file describes exactly the scenario the page ran."""
    study = session.study
    raw = study.variant_raw(changes, origin="serve", exact=True)
    child: dict[str, Any] = {
        "extends": os.path.relpath(study.path.resolve(), target.parent.resolve()),
        "name": session.name,
    }
    set_keys = [s.partition("=")[0].strip() for s in session.sets]
    for key in [*set_keys, *changes]:
        parts = key.split(".")
        cut = next((i for i, p in enumerate(parts) if p.isdigit()), len(parts))
        node: Any = raw
        for p in parts[:cut]:
            node = node[p]
        tree = child
        for p in parts[: cut - 1]:
            tree = tree.setdefault(p, {})
        if cut < len(parts):
            tree[parts[cut - 1]] = node
        else:
            tree[parts[-1]] = node
    child["provenance"] = {k: {"estimate": True, "note": "set in corridor-sim serve"} for k in changes}
    edits = ", ".join(f"{k}={v}" for k, v in changes.items())
    header = f"# Saved by corridor-sim serve from {study.path.name}: {edits}\n"
    return header + yaml.safe_dump(child, sort_keys=False, allow_unicode=True, width=110)
