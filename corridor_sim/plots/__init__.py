"""Plots drawn from result tables only, so a results directory can be re-plotted without re-running.

Each figure function takes the DataFrames it draws (and a title) and returns a `matplotlib.figure.Figure`;
`save(fig, path)` writes it. `directory` turns a results directory into the list of figures to draw.
"""

from corridor_sim.plots.directory import (
    Job,
    Progress,
    directory_jobs,
    draw,
    headline,
    plot_results,
    run_jobs,
    side_by_side_jobs,
)
from corridor_sim.plots.map import corridor_map, pools_in_use
from corridor_sim.plots.occupancy import occupancy_over_time
from corridor_sim.plots.sections import section_bars, section_breakdown
from corridor_sim.plots.style import save, scenario_colours, section_colours, section_order
from corridor_sim.plots.timeline import time_distance
from corridor_sim.plots.transit import compare_destinations, compare_distributions, transit_distribution
from corridor_sim.plots.utilisation import utilisation

__all__ = [
    "Job",
    "Progress",
    "compare_destinations",
    "compare_distributions",
    "corridor_map",
    "directory_jobs",
    "draw",
    "headline",
    "occupancy_over_time",
    "plot_results",
    "pools_in_use",
    "run_jobs",
    "save",
    "scenario_colours",
    "section_bars",
    "section_breakdown",
    "section_colours",
    "section_order",
    "side_by_side_jobs",
    "time_distance",
    "transit_distribution",
    "utilisation",
]
