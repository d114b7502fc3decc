"""The one error a user's input can cause, carrying where it came from so the message names file and key."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad input: a malformed file, unknown key, bad value, broken network or bad `--set`.

    `str()` is one line: `file: key.path: message`, so the CLI can print it as is and exit 2.
    """

    def __init__(self, message: str, key: str = "", file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = file

    def with_file(self, file: str) -> ScenarioError:
        return ScenarioError(self.message, self.key, self.file or file)

    def __str__(self) -> str:
        key = self.key if self.key.isprintable() else repr(self.key)  # a key holding a line break stays visible
        parts = [p for p in (self.file, key) if p]
        return " ".join(": ".join([*parts, self.message]).splitlines())  # any line break, not only \n
