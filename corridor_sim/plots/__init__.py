"""Plots drawn from result tables only, so a results directory can be re-plotted without re-running.

Each figure function takes the DataFrames it draws (and a title) and returns a `matplotlib.figure.Figure`;
`save(fig, path)` writes it. `directory` turns a results directory into the list of figures to draw.

The figure modules import matplotlib, which takes most of a second: each name below is imported from its module
when first used (PEP 562), so that a command that draws nothing (a report whose figures `plot` already drew) never
imports it.
A name is never that of its module (the package attribute would be the module once it is imported).
"""

from importlib import import_module
from typing import Any

_MODULE = {
    "Job": "directory",
    "Progress": "directory",
    "directory_jobs": "directory",
    "draw": "directory",
    "headline": "directory",
    "plot_results": "directory",
    "read_all": "directory",
    "run_jobs": "directory",
    "side_by_side_jobs": "directory",
    "corridor_map": "map",
    "pools_in_use": "map",
    "occupancy_over_time": "occupancy",
    "pool_utilisation": "stock",
    "corridor_points": "time_cost",
    "time_cost_plane": "time_cost",
    "compare_bands_figure": "uncertainty",
    "section_order": "names",
    "slug": "names",
    "section_bars": "sections",
    "section_breakdown": "sections",
    "save": "style",
    "scenario_colours": "style",
    "section_colours": "style",
    "time_distance": "timeline",
    "compare_destinations": "transit",
    "compare_distributions": "transit",
    "transit_distribution": "transit",
    "capacity_utilisation": "utilisation",
}
__all__ = sorted(_MODULE)


def __getattr__(name: str) -> Any:
    if name not in _MODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULE[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
