"""Containers as payload: a `Piece` is an array of container ids travelling together on one route, and the FIFO
helper that takes whole or split pieces off the front of a queue (port yards, formation queues)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class Piece:
    """Containers that travel together on one route, and when they reached where they now wait."""

    ids: np.ndarray
    route: int
    pos: int
    t_in: float


def take_front(pieces: deque[Piece], limit: int) -> tuple[list[Piece], int]:
    """Up to `limit` containers from the front of a FIFO of pieces, splitting the last one if needed.

    Returns the pieces taken and how many containers they hold; what is split off keeps its arrival time.
    """
    out: list[Piece] = []
    room = limit
    while pieces and room > 0:
        head = pieces[0]
        if len(head.ids) <= room:
            out.append(pieces.popleft())
            room -= len(head.ids)
        else:
            out.append(Piece(head.ids[:room], head.route, head.pos, head.t_in))
            head.ids = head.ids[room:]
            room = 0
    return out, limit - room
