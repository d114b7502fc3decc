"""The corridor on a map a planner recognises: land, seas and borders (bundled Natural Earth outlines, offline), the
legs by mode, and a bubble wherever containers wait whose area is the mean waiting days there, so a 40-km leg with a
month of waiting stands out as much as it matters. Rolling-stock pools are outlined along the legs they serve."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox, ScaledTranslation

from corridor_sim.plots.basemap import draw_basemap
from corridor_sim.plots.names import section_order
from corridor_sim.plots.style import STATE_COLOURS, empty, fixed_figure, num, section_colours, styled

Labels = list[tuple[float, Annotation]]  # (priority, label): the lower keeps its place when two overlap
BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "linewidth": 0}
WAIT_COLOUR = STATE_COLOURS["waiting"]
AREA_PER_DAY = 40.0  # bubble area in points² per mean waiting day (absolute, so maps of scenarios compare)
POOL_COLOURS = ("#6a3d9a", "#b15928", "#1f78b4", "#33a02c", "#e31a1c")


class Leg(NamedTuple):
    segment: str
    start: str
    end: str
    mode: str


class Pool(NamedTuple):
    """A rolling-stock pool: its segments, its sets, and (after warm-up) mean sets in use and trains waiting."""

    name: str
    segments: tuple[str, ...]
    sets: int
    busy: float
    waiting: float


def map_legs(routes: pd.DataFrame, coords: dict[str, tuple[float, float]]) -> list[Leg]:
    """Each segment once, between its drawn end nodes."""
    legs = []
    for _, rows in routes.sort_values(["flow", "seq"]).groupby("flow", observed=True):
        rows = rows.reset_index(drop=True)
        for i in range(1, len(rows) - 1):
            r = rows.loc[i]
            start, end = str(rows.loc[i - 1, "location"]), str(rows.loc[i + 1, "location"])
            if r["kind"] == "segment" and start in coords and end in coords:
                legs.append(Leg(str(r["location"]), start, end, str(r["mode"])))
    return list({leg.segment: leg for leg in legs}.values())


def pools_in_use(rolling_stock: dict, occupancy: pd.DataFrame, warmup_day: float) -> list[Pool]:
    """The scenario's pools (`network.rolling_stock` of the resolved scenario) with their sampled use."""
    after = occupancy[occupancy["day"] >= warmup_day]
    mean = after.groupby([after["metric"].astype(str), after["location"].astype(str)], observed=True)["value"].mean()
    return [
        Pool(
            str(name),
            tuple(str(s) for s in (spec or {}).get("segments") or ()),
            int((spec or {}).get("sets") or 0),
            float(mean.get(("stock_in_use", str(name)), 0.0)),
            float(mean.get(("waiting_trains", str(name)), 0.0)),
        )
        for name, spec in (rolling_stock or {}).items()
    ]


# The map's place in inches: a fixed width, and margins (left, top, bottom) for the latitude ticks, the title, and
# the longitude ticks, section legend and source line below; the figure is as wide as the legend on the right needs
# (measured) and is cropped to what is drawn, so a margin only has to be large enough. No layout engine.
MAP_WIDTH = 10.0
MARGINS = (0.9, 0.55, 2.1)
LEGEND_DROP = 0.55  # inches from the map's bottom edge down to the section legend (below the longitude label)


def _frame(nodes: pd.DataFrame) -> tuple[tuple[float, float, float, float], float, float]:
    """Map extent (lon0, lon1, lat0, lat1), the aspect that keeps distances true at this latitude, and the map's
    height in inches at `MAP_WIDTH`."""
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    if not len(lon):
        return (0, 1, 0, 1), 1.0, 2.0
    pad_x, pad_y = max(np.ptp(lon) * 0.06, 2.5), max(np.ptp(lat) * 0.3, 3.0)
    aspect = 1 / np.cos(np.radians(np.mean(lat)))
    ratio = (np.ptp(lat) + 2 * pad_y) * aspect / (np.ptp(lon) + 2 * pad_x)
    extent = (lon.min() - pad_x, lon.max() + pad_x, lat.min() - pad_y, lat.max() + pad_y)
    return extent, aspect, float(np.clip(MAP_WIDTH * ratio, 2.0, 11.0))


@styled
def corridor_map(routes: pd.DataFrame, waits: pd.Series, pools: list[Pool], title: str) -> Figure:
    """`waits`: mean waiting days per container at each node and segment (`corridor_sim.waiting.waiting_by_location`);
    `pools`: from `pools_in_use`."""
    nodes = routes[routes["kind"].eq("node")].dropna(subset=["lat", "lon"]).drop_duplicates("location")
    extent, aspect, height = _frame(nodes)
    fig = fixed_figure((MAP_WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    _place(ax, height)
    if nodes.empty:
        empty(ax, "no node coordinates (lat/lon) in this scenario")
        ax.set_title(title)
        return fig
    seas = draw_basemap(ax, extent)
    coords = {str(r.location): (float(r.lon), float(r.lat)) for r in nodes.itertuples()}
    legs = map_legs(routes, coords)
    pool_colour = {p.name: POOL_COLOURS[i % len(POOL_COLOURS)] for i, p in enumerate(pools)}
    _draw_legs(ax, legs, coords, pools, pool_colour)
    labels: Labels = [(3, name) for name in seas]
    _draw_waiting(ax, legs, coords, waits, aspect, labels)
    colours = section_colours(section_order(nodes["section"].astype(str), routes))
    markers = _draw_nodes(ax, nodes, legs, coords, colours, aspect, labels)
    ax.set_xlim(*extent[:2])
    ax.set_ylim(*extent[2:])
    ax.set_aspect(aspect)
    ax.grid(False)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title)
    side = _legend(ax, colours, pools, pool_colour)
    box = side.get_window_extent(fig.canvas.get_renderer())
    _place(ax, height, (box.width / fig.dpi, box.height / fig.dpi))
    ax.apply_aspect()  # the map's final place: labels can now be measured without drawing the figure
    drop_overlapping(fig, labels, markers)
    return fig


def _place(ax: Axes, height: float, legend: tuple[float, float] = (0.0, 0.0)) -> None:
    """The map `MAP_WIDTH` by `height` inches at the fixed margins, in a figure widened for a `legend` (width,
    height in inches) on its right, and lengthened below when that legend is taller than the map."""
    fig = ax.get_figure()
    left, top, bottom = MARGINS
    bottom = max(bottom, legend[1] + 0.2 - height)
    width, total = left + MAP_WIDTH + 0.2 + legend[0] + 0.3, top + height + bottom
    fig.set_size_inches(width, total)
    ax.set_position((left / width, bottom / total, MAP_WIDTH / width, height / total))


def _draw_legs(ax: Axes, legs: list[Leg], coords: dict, pools: list[Pool], pool_colour: dict) -> None:
    """Rail and road legs solid, sea legs dashed; a pool's legs under a wide halo of the pool's colour."""
    halo = {s: pool_colour[p.name] for p in pools for s in p.segments}
    for leg in legs:
        (x0, y0), (x1, y1) = coords[leg.start], coords[leg.end]
        sea = leg.mode in ("ferry", "sea")
        if leg.segment in halo:
            ax.plot([x0, x1], [y0, y1], color=halo[leg.segment], linewidth=9, alpha=0.35, zorder=1.5)
        ax.plot(
            [x0, x1],
            [y0, y1],
            color="#1f5f8b" if sea else "0.25",
            linewidth=2.2,
            linestyle=(0, (4, 2)) if sea else "-",
            solid_capstyle="round",
            zorder=2,
        )


def waiting_places(legs: list[Leg], coords: dict, waits: pd.Series) -> list[tuple[str, tuple[float, float], float]]:
    """(what, where, mean waiting days) of each place with waiting: a node at its position, a leg at its middle."""
    places = []
    for node, xy in coords.items():
        if waits.get(node, 0.0) > 0:
            places.append((node, xy, float(waits[node])))
    for leg in legs:
        if waits.get(leg.segment, 0.0) > 0:
            (x0, y0), (x1, y1) = coords[leg.start], coords[leg.end]
            places.append((f"{leg.start} → {leg.end}", ((x0 + x1) / 2, (y0 + y1) / 2), float(waits[leg.segment])))
    return places


def _draw_waiting(ax: Axes, legs: list[Leg], coords: dict, waits: pd.Series, aspect: float, labels: Labels) -> None:
    """A bubble per place of waiting, area ∝ days; the three largest named in a callout, others numbered."""
    places = sorted(waiting_places(legs, coords, waits), key=lambda p: -p[2])
    top = places[0][2] if places else 0.0
    for rank, (what, (x, y), days) in enumerate(places):
        ax.scatter(x, y, s=AREA_PER_DAY * days, color=WAIT_COLOUR, alpha=0.35, edgecolor=WAIT_COLOUR, zorder=3)
        if rank < 3 and days >= 0.5:
            reach = 12 + np.sqrt(AREA_PER_DAY * days) / 2
            callout = ax.annotate(
                f"{what}\n{num(days)} d waiting",
                (x, y),
                xytext=(0, -reach) if rank % 2 else (0, reach),
                textcoords="offset points",
                ha="center",
                va="top" if rank % 2 else "bottom",
                fontsize=8,
                color="#7f0000",
                fontweight="bold",
                bbox={**BOX, "edgecolor": "#7f0000", "linewidth": 0.8},
                zorder=7,
                arrowprops={"arrowstyle": "-", "color": "#7f0000", "linewidth": 0.8},
            )
            labels.append((-days, callout))
        elif days >= max(0.05 * top, 0.1):
            note = ax.annotate(
                f"{num(days)} d",
                (x, y),
                xytext=(5, -5),  # beside the place, not over its node
                textcoords="offset points",
                fontsize=7,
                ha="left",
                va="top",
                color="#7f0000",
                zorder=5,
            )
            labels.append((2, note))


def _draw_nodes(
    ax: Axes, nodes: pd.DataFrame, legs: list[Leg], coords: dict, colours: dict, aspect: float, labels: Labels
) -> list:
    """A dot per node in its section's colour, named away from its own legs."""
    neighbours: dict[str, set[str]] = {}
    for leg in legs:
        neighbours.setdefault(leg.start, set()).add(leg.end)
        neighbours.setdefault(leg.end, set()).add(leg.start)
    markers = []
    for r in nodes.itertuples():
        colour = colours[str(r.section)]
        markers.append(ax.scatter(r.lon, r.lat, s=42, color=colour, edgecolor="black", linewidth=0.8, zorder=4))
        dx, dy = away(coords, str(r.location), neighbours.get(str(r.location), set()), aspect)
        label = ax.annotate(
            str(r.location),
            (r.lon, r.lat),
            xytext=(dx * 8, dy * 8),
            textcoords="offset points",
            ha="center" if abs(dx) < 0.5 else ("left" if dx > 0 else "right"),
            va="center" if abs(dy) < 0.5 else ("bottom" if dy > 0 else "top"),
            fontsize=7.5,
            zorder=6,
        )
        labels.append((1, label))
    return markers


def _legend(ax: Axes, colours: dict[str, str], pools: list[Pool], pool_colour: dict) -> Legend:
    """The sections and modes below the map, with the source line; waiting and pools on the right (returned)."""
    handles = [Patch(facecolor=colour, edgecolor="black", label=s) for s, colour in colours.items()]
    handles += [
        Line2D([], [], color="0.25", linewidth=2.2, label="rail / road"),
        Line2D([], [], color="#1f5f8b", linewidth=2.2, linestyle=(0, (4, 2)), label="ferry / sea"),
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor=WAIT_COLOUR,
            alpha=0.35,
            markeredgecolor=WAIT_COLOUR,
            markersize=np.sqrt(AREA_PER_DAY * d),
            label=f"{d:g} day{'s' if d != 1 else ''} waiting\nper container (mean)",
        )
        for d in (1, 5, 20)
    ]
    handles += [
        Line2D(
            [],
            [],
            color=pool_colour[p.name],
            linewidth=8,
            alpha=0.35,
            label=f"pool {p.name}: {p.sets} sets,\n{num(p.busy)} busy ({100 * p.busy / max(p.sets, 1):.0f}%),\n"
            f"{num(p.waiting)} trains waiting for a set",
        )
        for p in pools
    ]
    below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP, ax.figure.dpi_scale_trans)
    sections = ax.legend(
        handles=handles[: len(colours) + 2],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncol=5,
        labelspacing=1.0,
    )
    ax.add_artist(sections)
    side = ax.legend(
        handles=handles[len(colours) + 2 :], loc="upper left", bbox_to_anchor=(1.01, 1.0), labelspacing=2.2
    )
    ax.annotate(  # under the section legend, at the map's left edge
        "Borders and coastlines: Natural Earth 1:110m (public domain)",
        (0.0, 0.0),
        xycoords=("axes fraction", sections),
        xytext=(0, -4),
        textcoords="offset points",
        va="top",
        fontsize=6.5,
        color="0.45",
        annotation_clip=False,
    )
    return side


def drop_overlapping(fig: Figure, labels: Labels, markers: list) -> None:
    """Keep labels in priority order, removing any that would cover a kept label or another node's marker. A node's
    name tries its place away from its legs, then the other side, above and below, and takes the first place inside
    the map's frame that is free (else the first free one). Measured on the placed axes (`apply_aspect` done),
    without drawing the figure."""
    renderer = fig.canvas.get_renderer()
    frame = markers[0].axes.get_window_extent(renderer) if markers else None
    obstacles = []
    for m in markers:
        x, y = m.get_offset_transform().transform(m.get_offsets()[0])
        r = np.sqrt(m.get_sizes()[0]) / 2 * fig.dpi / 72
        obstacles.append(((x, y), Bbox([[x - r, y - r], [x + r, y + r]])))
    kept: list = []
    for priority, label in sorted(labels, key=lambda item: item[0]):
        anchor = label.axes.transData.transform(label.xy)
        # callouts (negative priority) sit on a leader line and may cross markers; other labels may not
        blocked = [] if priority < 0 else [b for (xy, b) in obstacles if np.hypot(*(np.asarray(xy) - anchor)) > 1]
        places = _places(label) if priority == 1 else [(label.xyann, label.get_ha(), label.get_va())]
        free = []
        for xyann, ha, va in places:
            label.xyann = xyann
            label.set(ha=ha, va=va)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in kept + blocked):
                free.append(((xyann, ha, va), box))
                if frame is None or frame.x0 <= box.x0 and box.x1 <= frame.x1:
                    free = free[-1:]
                    break
        if free:
            (xyann, ha, va), box = free[0]
            label.xyann = xyann
            label.set(ha=ha, va=va)
            kept.append(box)
        else:
            label.remove()


def _places(label: Annotation) -> list[tuple[tuple[float, float], str, str]]:
    """A node name's places (offset in points, alignments): where it was put, mirrored left for right, above,
    below."""
    (dx, dy), ha, va = label.xyann, label.get_ha(), label.get_va()
    gap = float(np.hypot(dx, dy)) or 8.0
    mirrored = {"left": "right", "right": "left"}.get(ha, "center")
    return [((dx, dy), ha, va), ((-dx, dy), mirrored, va), ((0, gap), "center", "bottom"), ((0, -gap), "center", "top")]


def away(
    coords: dict[str, tuple[float, float]], node: str, others: Iterable[str], aspect: float
) -> tuple[float, float]:
    """Unit direction pointing away from a node's neighbours, so its label does not sit on its own legs."""
    x, y = coords[node]
    # in name order: a set's order changes from one process to the next, and the first neighbour sets a straight
    # line's side
    vecs = [np.array([x - coords[o][0], (y - coords[o][1]) * aspect]) for o in sorted(others) if o in coords]
    vecs = [v / np.linalg.norm(v) for v in vecs if np.linalg.norm(v) > 0]
    direction = np.sum(vecs, axis=0) if vecs else np.array([0.0, -1.0])
    if np.linalg.norm(direction) < 0.3 and vecs:  # straight through: go perpendicular, below the line
        direction = np.array([vecs[0][1], -vecs[0][0]])
        direction = direction if direction[1] <= 0 else -direction
    return tuple(direction / np.linalg.norm(direction))
