"""Every figure of a run or comparison directory, as a list of jobs (a file name and the call that draws it) so
that a command can show progress figure by figure and the report can reuse figures `plot` already drew. The figure
functions are called as `plots.<name>`: the package imports their modules (and matplotlib) when a figure is first
drawn, not when the jobs are listed."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from corridor_sim import analysis, plots
from corridor_sim.analysis import measured, section_means
from corridor_sim.plots.names import slug
from corridor_sim.results import RUN_TABLES, Run, comparison_runs, is_comparison, read_table
from corridor_sim.waiting import waiting_by_location, waiting_estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from corridor_sim.plots.map import Pool


class Job(NamedTuple):
    path: Path
    draw: Callable[[], Figure]
    tight: bool = False  # crop the margins a fixed-aspect axes leaves (the map)


class Progress:
    """What a long command tells its user: `begin` a named stage of `total` steps, then `step` after each one (the
    command line shows it as a progress bar; by default nothing is shown)."""

    def begin(self, stage: str, total: int) -> None:
        pass

    def step(self) -> None:
        pass


def run_jobs(run: Run, out_dir: Path) -> list[Job]:
    """The plots of one run directory. Every table is read (and checked) here, before anything is drawn; what only
    a figure needs is computed when that figure is drawn (the report reuses drawn figures without it)."""
    t = {name: run.table(name) for name in RUN_TABLES}
    name, warm, start = run.name, run.warmup_day, run.start
    reps = f"{run.replications} replications"
    title = f"{name}: transit time per destination ({reps})"
    jobs = [Job(out_dir / "transit.png", lambda: plots.transit_distribution(t["containers"], t["published"], title))]
    if len(t["sections"]):
        title_s = f"{name}: where the days go (mean days per corridor section)"
        jobs.append(
            Job(
                out_dir / "sections.png",
                lambda: plots.section_breakdown(
                    t["sections"], t["routes"], title_s, run.replications, t["published_sections"]
                ),
            )
        )
    title_t = f"{name}: time–distance chart of sampled containers"
    jobs.append(
        Job(out_dir / "time_distance.png", lambda: plots.time_distance(t["tracks"], t["routes"], title_t, start))
    )
    rolling = run.network.get("rolling_stock") or {}
    pools = cache(lambda: plots.pools_in_use(rolling, t["occupancy"], warm))
    if len(t["occupancy"]):
        jobs += _occupancy_jobs(run, t, [str(p) for p in rolling], pools, out_dir)
    title_m = f"{name}: where containers wait along the corridor"
    jobs.append(
        Job(
            out_dir / "map.png",
            lambda: plots.corridor_map(t["routes"], waiting_by_location(t["tracks"], t["routes"]), pools(), title_m),
            tight=True,
        )
    )
    return jobs


def _occupancy_jobs(
    run: Run, t: dict[str, pd.DataFrame], names: list[str], pools: Callable[[], list[Pool]], out_dir: Path
) -> list[Job]:
    name, warm, start, occupancy = run.name, run.warmup_day, run.start, t["occupancy"]

    def occupancy_figure() -> Figure:
        days = occupancy["day"].unique()
        days.sort()
        waiting = waiting_estimate(t["tracks"], t["containers"], days, run.replications) if len(t["tracks"]) else None
        title = f"{name}: queues, yards and waiting over time"
        return plots.occupancy_over_time(
            occupancy, t["routes"], run.roles, warm, title, waiting, start=start, pools=set(names)
        )

    title = f"{name}: vessel, handling and line utilisation"
    jobs = [
        Job(out_dir / "occupancy.png", occupancy_figure),
        Job(
            out_dir / "utilisation.png",
            lambda: plots.capacity_utilisation(
                t["sailings"], occupancy, run.servers, warm, title, run.replications, names, start
            ),
        ),
    ]
    if names:
        title_p = f"{name}: rolling-stock pools"
        jobs.append(
            Job(out_dir / "pools.png", lambda: plots.pool_utilisation(occupancy, pools(), warm, title_p, start))
        )
    return jobs


def comparison_inputs(runs: Sequence[tuple[str, Run]]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Containers per scenario, all published bands and section means by state, from (name, run)."""
    containers, bands, means = {}, [], []
    for name, run in runs:
        containers[name] = run.table("containers")
        published = run.table("published")
        if len(published):
            bands.append(published.assign(scenario=name))
        sections = run.table("sections")
        if len(sections):
            means.append(section_means(sections, by_state=True).assign(scenario=name))
    band_cols = ["scenario", "destination", "label", "low_days", "high_days"]
    mean_cols = ["scenario", "destination", "section", "state", "days"]
    return (
        containers,
        pd.concat(bands, ignore_index=True) if bands else pd.DataFrame(columns=band_cols),
        pd.concat(means, ignore_index=True) if means else pd.DataFrame(columns=mean_cols),
    )


def section_bands(runs: Sequence[tuple[str, Run]]) -> pd.DataFrame:
    """Every run's published section-group durations, by scenario (runs written before they existed have none)."""
    parts = [run.table("published_sections").assign(scenario=name) for name, run in runs]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario", "destination"])


def headline(runs: Sequence[tuple[str, Run]], containers: dict[str, pd.DataFrame], shared: list[str]) -> str | None:
    """The destination a comparison is about, by `analysis.headline` (as `compare` picks it), among the destinations
    every run delivers to: the runs' first published bands, then the containers they delivered."""
    firsts = [(run.resolved.get("published") or [None])[0] for _, run in runs]
    bands = [str(b.get("destination")) for b in firsts if isinstance(b, dict)]
    delivered = pd.concat([measured(c)["destination"].astype(str).value_counts() for c in containers.values()])
    return analysis.headline(bands, delivered, shared)


def side_by_side_jobs(runs: Sequence[tuple[str, Run]], out_dir: Path, comparison: Path | None = None) -> list[Job]:
    """The time-cost plane (priced runs), every shared destination's transit times in one figure of small panels,
    and the headline destination's distributions and section bars in full; given the `comparison` directory of a
    `compare --uncertainty-samples`, each scenario's band over its estimates' ranges beside its replication CI.
    Full figures for every destination repeated one another (the routes share all but their last sections): each
    run's own section chart and the report's section table keep the other destinations' sections."""
    containers = {name: run.table("containers") for name, run in runs}
    for _, run in runs:
        for table in ("published", "sections", "published_sections"):
            run.table(table)  # read and checked before anything is drawn
    inputs = cache(lambda: comparison_inputs(runs))
    dests = [set(map(str, measured(c)["destination"].unique())) for c in containers.values()]  # not per row
    shared = sorted(set.intersection(*dests)) if dests else []
    jobs = []
    if any("price_usd" in c.columns and measured(c)["price_usd"].notna().any() for c in containers.values()):
        teu = {n: run.resolved["simulation"]["teu_per_container"] for n, run in runs}
        title = "Corridors on the time-cost plane: mean days and price per TEU"  # every corridor and destination
        jobs.append(
            Job(out_dir / "time_cost.png", lambda: plots.time_cost_plane(plots.corridor_points(containers, teu), title))
        )
    dest = headline(runs, containers, shared)
    if dest is None:
        return jobs
    if len(shared) > 1:
        order = [dest, *(d for d in shared if d != dest)]
        jobs.append(
            Job(
                out_dir / "transit_compare_destinations.png",
                lambda: plots.compare_destinations(containers, inputs()[1], order),
            )
        )
    jobs.append(
        Job(
            out_dir / f"transit_compare_{slug(dest)}.png",
            lambda: plots.compare_distributions(containers, inputs()[1], dest),
        )
    )
    if any(run.table("sections")["destination"].astype(str).eq(dest).any() for _, run in runs):
        title_s = f"Where the days go, to {dest}: mean days per corridor section"
        jobs.append(
            Job(out_dir / f"sections_compare_{slug(dest)}.png", lambda: _sections_compare(runs, inputs, dest, title_s))
        )
    table = read_table(comparison, "comparison") if comparison is not None else None
    if table is not None and "p50_days_ranges_p5" in table.columns:  # compare --uncertainty-samples
        jobs.append(
            Job(out_dir / "uncertainty_compare.png", lambda: plots.compare_bands_figure(table, inputs()[1], dest))
        )
    return jobs


def _sections_compare(runs: Sequence[tuple[str, Run]], inputs: Callable, dest: str, title: str) -> Figure:
    means = inputs()[2]
    table = means.loc[means["destination"].astype(str).eq(dest), ["scenario", "section", "state", "days"]]
    published = section_bands(runs)
    return plots.section_bars(table, title, published[published["destination"].astype(str).eq(dest)])


def directory_groups(directory: Path, out_dir: Path) -> list[Callable[[], list[Job]]]:
    """The figures of a directory in groups, each built (its tables read and checked) once, when first called: each
    scenario's own plots in a subfolder, then a comparison's side-by-side plots; or one run's plots."""
    if not is_comparison(directory):
        return [cache(lambda: run_jobs(Run(directory), out_dir))]
    runs = [Run(path) for path in comparison_runs(directory)]
    groups = [cache(lambda run=run: run_jobs(run, out_dir / run.path.name)) for run in runs]
    return [*groups, cache(lambda: side_by_side_jobs([(run.path.name, run) for run in runs], out_dir, directory))]


def directory_jobs(directory: Path, out_dir: Path) -> list[Job]:
    """A comparison's side-by-side plots and then each scenario's own plots; or one run's plots."""
    return _in_order(directory_groups(directory, out_dir))


def _in_order(groups: list[Callable[[], list[Job]]]) -> list[Job]:
    """A comparison's side-by-side plots (its last group) first."""
    return [job for group in groups[-1:] + groups[:-1] for job in group()]


def read_all(loaders: Sequence[Callable[[], object]], step: Callable[[], None]) -> None:
    """Call each loader (one run's tables read and checked) on threads, `step` after each in order: pandas parses a
    CSV file without holding the GIL, so two runs are read in little more than the time of one. The first loader's
    error in order is raised, whichever thread failed first."""
    if not loaders:
        return
    with ThreadPoolExecutor(min(len(loaders), os.cpu_count() or 1)) as pool:
        for future in [pool.submit(loader) for loader in loaders]:
            future.result()
            step()


def draw(jobs: Sequence[Job], step: Callable[[], None] | None = None) -> list[Path]:
    """Draw and save each job's figure in turn (`step` after each)."""
    paths = []
    for job in jobs:
        paths.append(plots.save(job.draw(), job.path, tight=job.tight))
        if step is not None:
            step()
    return paths


# Groups the parent has built, found by a worker it forks (it then reads nothing again); a worker started by spawn or
# forkserver builds the groups of the figures it is given.
_BUILT: dict[tuple[Path, Path], list[Callable[[], list[Job]]]] = {}


@cache
def _worker_groups(directory: Path, out_dir: Path) -> list[Callable[[], list[Job]]]:
    return _BUILT.get((directory, out_dir)) or directory_groups(directory, out_dir)


def _draw_one(directory: Path, out_dir: Path, group: int, index: int) -> Path:
    job = _worker_groups(directory, out_dir)[group]()[index]
    return plots.save(job.draw(), job.path, tight=job.tight)


def plot_results(directory: Path, workers: int = 1, progress: Progress | None = None, start_method=None) -> list[Path]:
    """(Re)draw every plot of a run or comparison directory into `directory/plots/`: every table is read and
    checked first (stage "reading", a step per run), then the figures are drawn (stage "drawing", a step per figure)
    by `workers` processes started by `start_method` (the platform's default if None)."""
    directory = Path(directory)
    out_dir = directory / "plots"
    progress = progress or Progress()
    groups = directory_groups(directory, out_dir)
    progress.begin("reading", len(groups))
    read_all(groups[:-1], progress.step)  # each run on its own (a comparison's side-by-side group reads them all)
    read_all(groups[-1:], progress.step)
    jobs = _in_order(groups)
    progress.begin("drawing", len(jobs))
    if workers <= 1 or len(jobs) < 2:
        return draw(jobs, progress.step)
    tasks = [(directory, out_dir, g, i) for g, group in enumerate(groups) for i in range(len(group()))]
    _BUILT[(directory, out_dir)] = groups
    try:
        context = multiprocessing.get_context(start_method)
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            for done in as_completed([pool.submit(_draw_one, *task) for task in tasks]):
                done.result()
                progress.step()
    finally:
        del _BUILT[(directory, out_dir)]
    return [job.path for job in jobs]
