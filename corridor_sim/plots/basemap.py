"""The map's background: land, seas and country borders from the bundled Natural Earth outlines (offline)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.text import Annotation

LAND, WATER, BORDER = "#f3f0e8", "#d4e6f1", "#a8a294"
# where a sea's name is written, if it is in view (lon, lat of open water)
SEAS = {"Caspian\nSea": (51.3, 39.6), "Black Sea": (34.5, 43.3), "Mediterranean Sea": (19.0, 34.5)}


@cache
def country_rings() -> tuple[tuple[str, tuple[tuple[float, float], ...]], ...]:
    """(country, ring) for every ring of every bundled country outline."""
    path = resources.files("corridor_sim") / "data" / "ne_110m_countries_corridor.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (f["properties"]["name"], tuple(map(tuple, ring)))
        for f in data["features"]
        for ring in f["geometry"]["coordinates"]
    )


def draw_basemap(ax: Axes, extent: tuple[float, float, float, float]) -> list[Annotation]:
    """Water as the background, land on it with its borders, the seas named; all beneath the corridor. Returns the
    names, which give way to the corridor's own labels."""
    x0, x1, y0, y1 = extent
    rings = [
        ring
        for _, ring in country_rings()
        if max(x for x, _ in ring) >= x0
        and min(x for x, _ in ring) <= x1
        and max(y for _, y in ring) >= y0
        and min(y for _, y in ring) <= y1
    ]
    ax.set_facecolor(WATER)
    ax.add_collection(PolyCollection(rings, facecolor=LAND, edgecolor=BORDER, linewidth=0.7, zorder=0.5))
    return [
        ax.annotate(name, (x, y), ha="center", va="center", fontsize=8, style="italic", color="#3b6e8f", zorder=0.6)
        for name, (x, y) in SEAS.items()
        if x0 < x < x1 and y0 < y < y1
    ]
