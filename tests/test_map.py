"""The map's placement rules on a hand-made route: names stay inside the map's frame, the legends and the source line
lie inside the saved (cropped) image, and the map keeps its width whatever the legend on its right holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.legend import Legend

from corridor_sim.plots import style
from corridor_sim.plots.map import MAP_WIDTH, Pool, away, corridor_map

WEST = "budapest_keleti_long_name"  # at the map's western edge, its only neighbour to the east


def _routes() -> pd.DataFrame:
    rows = []
    for seq, (kind, location, lon, lat, mode) in enumerate(
        [
            ("node", WEST, 19.0, 47.5, ""),
            ("segment", "west_leg", np.nan, np.nan, "rail"),
            ("node", "middle", 45.0, 42.0, ""),
            ("segment", "east_leg", np.nan, np.nan, "rail"),
            ("node", "east", 75.0, 43.0, ""),
        ]
    ):
        rows.append(
            {
                "flow": "f",
                "seq": seq,
                "kind": kind,
                "location": location,
                "section": "Europe" if lon and lon < 30 else "KZ rail",
                "km_start": 0.0,
                "km_end": 0.0,
                "lat": lat,
                "lon": lon,
                "mode": mode,
            }
        )
    return pd.DataFrame(rows)


def _figure(pools: list[Pool]):
    fig = corridor_map(_routes(), pd.Series({"middle": 3.0}), pools, "map")
    style.render(fig, tight=True)  # drawn as it is saved
    return fig, fig.axes[0], fig.canvas.get_renderer()


def test_a_name_at_the_edge_goes_to_the_inner_side_of_its_node() -> None:
    fig, ax, renderer = _figure([])
    frame = ax.get_window_extent(renderer)
    label = next(t for t in ax.texts if t.get_text() == WEST)
    box = label.get_window_extent(renderer)
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1  # not across the frame (it pointed west, away from its leg)
    assert label.get_horizontalalignment() == "left"


def test_legends_and_source_line_are_inside_the_cropped_image() -> None:
    fig, ax, renderer = _figure([])
    crop = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)  # what `save(..., tight=True)` keeps
    legends = [lg.get_window_extent(renderer) for lg in ax.findobj(Legend)]
    source = next(t for t in ax.texts if t.get_text().startswith("Borders and coastlines"))
    below = min(legends, key=lambda b: b.y0)  # the section legend, under the map
    note = source.get_window_extent(renderer)
    for box in [*legends, note]:
        assert crop.x0 <= box.x0 and box.x1 <= crop.x1 and crop.y0 <= box.y0 and box.y1 <= crop.y1
    assert ax.get_tightbbox(renderer).y0 <= below.y0  # the legend counts as the map's own (it is cropped to)
    assert 0 < below.y0 - note.y1 < 12  # the source line right under the legend, no gap
    assert fig.get_tightbbox(renderer).y0 * fig.dpi == pytest.approx(note.y0, abs=2)  # and nothing below it


def test_the_map_keeps_its_size_and_the_figure_grows_for_a_wide_or_tall_legend() -> None:
    narrow, ax_n, r_n = _figure([])
    long = "a_rolling_stock_pool_with_a_very_long_name_indeed"
    wide, ax_w, r_w = _figure([Pool(f"{long}_{i}", ("west_leg",), 3, 1.0, 0.5) for i in range(5)])
    for size in ("width", "height"):
        assert getattr(ax_n.get_window_extent(r_n), size) == pytest.approx(getattr(ax_w.get_window_extent(r_w), size))
    assert ax_n.get_window_extent(r_n).width / narrow.dpi <= MAP_WIDTH + 1e-6
    side = ax_w.get_legend().get_window_extent(r_w)
    assert side.x1 <= wide.bbox.x1 and side.y0 >= 0  # the legend on the right is on the canvas, not cut off
    assert wide.get_size_inches()[0] > narrow.get_size_inches()[0]


def test_a_name_on_a_nearly_straight_line_goes_to_the_same_side_whatever_the_order_of_its_neighbours() -> None:
    """A set's order changes from one process to the next (string hashing): the side may not depend on it."""
    coords = {"west": (20.0, 42.0), "middle": (45.0, 42.3), "east": (70.0, 42.0)}
    one = away(coords, "middle", ["west", "east"], 1.3)
    other = away(coords, "middle", ["east", "west"], 1.3)
    assert one == pytest.approx(other)
    assert one[1] < 0  # below the line, as the rule says
