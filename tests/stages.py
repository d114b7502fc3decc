"""A progress sink for tests: the stages a command announced, each with its number of steps and the steps it took."""

from __future__ import annotations

from corridor_sim import plots


class Recorder(plots.Progress):
    def __init__(self) -> None:
        self.stages: list[list] = []

    def begin(self, stage: str, total: int) -> None:
        self.stages.append([stage, total, 0])

    def step(self) -> None:
        self.stages[-1][2] += 1
