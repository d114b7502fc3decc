"""Names without drawing (no matplotlib here, so the report can use them without importing it): the corridor's
sections in the order a container meets them, and file-safe names for figures."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

SECTION_ORDER = (
    "China",
    "KZ border",
    "KZ rail",
    "KZ approaches",  # trains held before a full port yard (a `yard:` limit)
    "Caspian port wait",
    "Caspian crossing",
    "Azerbaijan",
    "Georgia",
    "Black Sea / Türkiye",
    "Europe",
)


def section_order(sections: Iterable[str], routes: pd.DataFrame | None = None) -> list[str]:
    """Corridor order: the canonical sections first, then any others in route order (or first appearance)."""
    present = list(dict.fromkeys(str(s) for s in sections))
    known = [s for s in SECTION_ORDER if s in present]
    route_seq: list[str] = []
    if routes is not None and len(routes):
        route_seq = list(dict.fromkeys(routes.sort_values(["flow", "seq"])["section"].astype(str)))
    rest = [s for s in present if s not in SECTION_ORDER]
    rest.sort(key=lambda s: route_seq.index(s) if s in route_seq else len(route_seq) + present.index(s))
    return known + rest


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_") or "all"
