"""The corridor on a map drawn from the nodes' lat/lon (no tiles, works offline): legs coloured by waiting, nodes
sized by their queue."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from corridor_sim.plots.style import empty, new_figure, num, section_colours, section_order, styled

Labels = list[tuple[float, Annotation]]  # (priority, label): the lower keeps its place when two overlap
BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "linewidth": 0}


class Leg(NamedTuple):
    segment: str
    start: str
    end: str
    mode: str
    delay: float  # mean waiting days per container at the start node and on the leg


def map_legs(routes: pd.DataFrame, coords: dict[str, tuple[float, float]], waits: pd.Series) -> list[Leg]:
    """Each segment once, between its drawn end nodes, with the waiting charged to it."""
    legs = []
    for _, rows in routes.sort_values(["flow", "seq"]).groupby("flow", observed=True):
        rows = rows.reset_index(drop=True)
        for i in range(1, len(rows) - 1):
            r = rows.loc[i]
            start, end = str(rows.loc[i - 1, "location"]), str(rows.loc[i + 1, "location"])
            if r["kind"] == "segment" and start in coords and end in coords:
                delay = float(waits.get(str(r["location"]), 0.0) + waits.get(start, 0.0))
                legs.append(Leg(str(r["location"]), start, end, str(r["mode"]), delay))
    return list({leg.segment: leg for leg in legs}.values())


def _frame(nodes: pd.DataFrame) -> tuple[tuple[float, float, float, float], float, float]:
    """Map extent (lon0, lon1, lat0, lat1), the aspect that keeps distances true at this latitude, figure height."""
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    if not len(lon):
        return (0, 1, 0, 1), 1.0, 4.5
    pad_x, pad_y = max(np.ptp(lon) * 0.08, 2.5), max(np.ptp(lat) * 0.3, 3.0)
    aspect = 1 / np.cos(np.radians(np.mean(lat)))
    ratio = (np.ptp(lat) + 2 * pad_y) * aspect / (np.ptp(lon) + 2 * pad_x)
    extent = (lon.min() - pad_x, lon.max() + pad_x, lat.min() - pad_y, lat.max() + pad_y)
    return extent, aspect, float(np.clip(13 * ratio * 0.85 + 2.2, 4.5, 10))


@styled
def corridor_map(
    routes: pd.DataFrame, waits: pd.Series, occupancy: pd.DataFrame, warmup_day: float, title: str
) -> Figure:
    """Each leg coloured by the mean days a container waits at its start node and on it (`waits`, from
    `corridor_sim.waiting.waiting_by_location`), each node sized by its mean queue of trains."""
    nodes = routes[routes["kind"].eq("node")].dropna(subset=["lat", "lon"]).drop_duplicates("location")
    extent, aspect, height = _frame(nodes)
    fig = new_figure((13, height))
    ax = fig.subplots()
    if nodes.empty:
        empty(ax, "no node coordinates (lat/lon) in this scenario")
        ax.set_title(title)
        return fig
    coords = {str(r.location): (float(r.lon), float(r.lat)) for r in nodes.itertuples()}
    legs = map_legs(routes, coords, waits)
    norm = Normalize(0, max([leg.delay for leg in legs] + [0.5]))
    cmap = mpl.colormaps["YlOrRd"]
    labels: Labels = []
    _draw_legs(ax, legs, coords, norm, cmap, aspect, labels)
    queue = occupancy[(occupancy["metric"].eq("queue_trains")) & (occupancy["day"] >= warmup_day)]
    mean_queue = queue.groupby(queue["location"].astype(str), observed=True)["value"].mean()
    colours = section_colours(section_order(nodes["section"].astype(str), routes))
    markers = _draw_nodes(ax, nodes, legs, coords, mean_queue, colours, aspect, labels)
    ax.set_xlim(*extent[:2])
    ax.set_ylim(*extent[2:])
    ax.set_aspect(aspect)
    ax.set_facecolor("#f4f8fb")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7, pad=0.01)
    bar.set_label("mean waiting days per container\n(at the leg's start node and on the leg)")
    largest = float(mean_queue.max()) if len(mean_queue) else 0.0
    _legend(ax, colours, largest)
    drop_overlapping(fig, labels, markers)
    return fig


def _draw_legs(ax: Axes, legs: list[Leg], coords: dict, norm: Normalize, cmap, aspect: float, labels: Labels) -> None:
    """A cased line per leg in its waiting colour; the worst three get a callout even when short, others a number."""
    top_delay = norm.vmax
    worst = sorted(legs, key=lambda leg: -leg.delay)[:3]
    for leg in legs:
        (x0, y0), (x1, y1) = coords[leg.start], coords[leg.end]
        sea = leg.mode in ("ferry", "sea")
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="white" if sea else "0.3",
            linewidth=8,
            solid_capstyle="round",
            zorder=1,
            alpha=1.0 if sea else 0.35,
        )
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=cmap(0.15 + 0.85 * norm(leg.delay)),
            linewidth=6,
            zorder=2,
            linestyle=(0, (2, 1)) if sea else "-",
            solid_capstyle="round",
        )
        middle = ((x0 + x1) / 2, (y0 + y1) / 2)
        if leg.delay > 0 and leg in worst:
            dx, dy = np.array([-(y1 - y0) * aspect, x1 - x0]) / (np.hypot((y1 - y0) * aspect, x1 - x0) or 1)
            callout = ax.annotate(
                f"{leg.start} → {leg.end}\n{num(leg.delay)} d waiting",
                middle,
                xytext=(55 * dx, 55 * dy if dy else 55),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=8,
                color="#7f0000",
                fontweight="bold",
                bbox={**BOX, "edgecolor": "#7f0000", "linewidth": 0.8},
                zorder=7,
                arrowprops={"arrowstyle": "-", "color": "#7f0000", "linewidth": 0.8},
            )
            labels.append((-leg.delay, callout))
        elif leg.delay >= 0.05 * top_delay and leg.delay >= 0.05:
            note = ax.annotate(
                f"{num(leg.delay)} d", middle, fontsize=7, ha="center", va="center", color="0.15", bbox=BOX, zorder=5
            )
            labels.append((2, note))


def node_size(queue: float) -> float:
    """Marker area in points²: grows with the mean number of trains queued (absolute, so maps compare)."""
    return 45 + 260 * min(queue, 6.0)


def _draw_nodes(
    ax: Axes, nodes: pd.DataFrame, legs: list[Leg], coords: dict, queue: pd.Series, colours: dict, aspect: float, labels
) -> list:
    """A marker per node sized by its mean queue, labelled away from its own legs."""
    qmax = max(float(queue.max()) if len(queue) else 0.0, 1.0)
    neighbours: dict[str, set[str]] = {}
    for leg in legs:
        neighbours.setdefault(leg.start, set()).add(leg.end)
        neighbours.setdefault(leg.end, set()).add(leg.start)
    markers = []
    for r in nodes.itertuples():
        q = float(queue.get(str(r.location), 0.0))
        size = node_size(q)
        colour = colours[str(r.section)]
        markers.append(
            ax.scatter(r.lon, r.lat, s=size, color=colour, edgecolor="black", linewidth=1.0, zorder=4, alpha=0.9)
        )
        dx, dy = away(coords, str(r.location), neighbours.get(str(r.location), set()), aspect)
        reach = 6 + np.sqrt(size) / 2
        label = ax.annotate(
            f"{r.location}\nqueue {num(q)}" if q >= 0.01 else str(r.location),
            (r.lon, r.lat),
            xytext=(dx * reach, dy * reach),
            textcoords="offset points",
            ha="center" if abs(dx) < 0.5 else ("left" if dx > 0 else "right"),
            va="center" if abs(dy) < 0.5 else ("bottom" if dy > 0 else "top"),
            fontsize=8,
            fontweight="bold",
            zorder=6,
        )
        labels.append((1 - q / qmax, label))
    return markers


def _legend(ax: Axes, colours: dict[str, str], largest: float) -> None:
    handles = [Patch(facecolor=colour, edgecolor="black", label=s) for s, colour in colours.items()]
    handles += [
        Line2D([], [], color="0.5", linewidth=4, label="rail / road"),
        Line2D([], [], color="0.5", linewidth=4, linestyle=(0, (2, 1)), label="ferry / sea"),
        *[
            Line2D(
                [],
                [],
                marker="o",
                color="w",
                markeredgecolor="black",
                markerfacecolor="w",
                markersize=np.sqrt(node_size(q)),
                label=f"{q:g} train{'s' if q > 1 else ''} queued (mean)",
            )
            for q in (0.2, 2)
        ],
        Line2D([], [], color="w", label=f"largest mean queue: {num(largest)} trains"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(handles), 6), labelspacing=1.1
    )


def drop_overlapping(fig: Figure, labels: Labels, markers: list) -> None:
    """Keep labels in priority order, removing any that would cover a kept label or another node's marker."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    obstacles = []
    for m in markers:
        x, y = m.get_offset_transform().transform(m.get_offsets()[0])
        r = np.sqrt(m.get_sizes()[0]) / 2 * fig.dpi / 72
        obstacles.append(((x, y), Bbox([[x - r, y - r], [x + r, y + r]])))
    kept: list = []
    for priority, label in sorted(labels, key=lambda item: item[0]):
        box = label.get_window_extent(renderer)
        anchor = label.axes.transData.transform(label.xy)
        # callouts (negative priority) sit on a leader line and may cross markers; node labels may not
        blocked = [] if priority < 0 else [b for (xy, b) in obstacles if np.hypot(*(np.asarray(xy) - anchor)) > 1]
        if any(box.overlaps(other) for other in kept + blocked):
            label.remove()
        else:
            kept.append(box)


def away(coords: dict[str, tuple[float, float]], node: str, others: set[str], aspect: float) -> tuple[float, float]:
    """Unit direction pointing away from a node's neighbours, so its label does not sit on its own legs."""
    x, y = coords[node]
    vecs = [np.array([x - coords[o][0], (y - coords[o][1]) * aspect]) for o in others if o in coords]
    vecs = [v / np.linalg.norm(v) for v in vecs if np.linalg.norm(v) > 0]
    direction = np.sum(vecs, axis=0) if vecs else np.array([0.0, -1.0])
    if np.linalg.norm(direction) < 0.3 and vecs:  # straight through: go perpendicular, below the line
        direction = np.array([vecs[0][1], -vecs[0][0]])
        direction = direction if direction[1] <= 0 else -direction
    return tuple(direction / np.linalg.norm(direction))
