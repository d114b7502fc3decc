"""The one error a user's input can cause, carrying where it came from so the message names file and key; and where
the traceback of a genuine program error goes."""

from __future__ import annotations

import os
import tempfile


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


def one_line(text: str) -> str:
    """Any text as one line (an exception's message may hold line breaks)."""
    return " ".join(text.splitlines())


def save_traceback(text: str) -> str:
    """Write a crash's traceback to a new file only this user can read; say where, or why it could not be kept.

    A fixed name in the shared temporary directory could be a directory, a link to another file (which would be
    overwritten) or another run's log; `mkstemp` makes a fresh file (O_EXCL, mode 0600) for every crash. Never
    raises: the handler of an error must not fail in turn.
    """
    try:
        fd, path = tempfile.mkstemp(prefix=f"corridor-sim-crash-{os.getpid()}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(text)
        return f"traceback in {path}"
    except Exception as exc:  # noqa: BLE001 - any failure to keep the log is reported, never raised
        return f"traceback not kept: {one_line(f'{exc.__class__.__name__}: {exc}')}"
