"""Named random streams: each part of the model draws from its own generator, derived from (seed, replication, name).

A global RNG would let one change anywhere (a new disruption, one more vessel) reshuffle every later draw of every
other part, so two scenarios would differ by noise as much as by design. With named streams the draws of a part
depend only on the seed, the replication and that part's name: common random numbers across scenarios for free, and
the same tables whatever process runs the replication.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named source of randomness in one replication."""
    seq = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, int(replication), _name_key(name)])
    return np.random.Generator(np.random.PCG64(seq))
