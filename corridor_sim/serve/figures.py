"""The page's figures, drawn by the project's own plot functions from the outcome's tables (PNG, served to the
page as files): transit distribution with the published band, where the days go before and after, the map of waiting."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from corridor_sim.network import build_network
from corridor_sim.runner import bands_table, scenarios_section_bands
from corridor_sim.serve.runner import Outcome
from corridor_sim.waiting import waiting_by_location
from corridor_sim.workspace import routes_table

FIGURES = ("distribution", "sections", "map")


def draw(outcome: Outcome, destination: str, check: Callable[[], None]) -> dict[str, bytes]:
    """Every figure for `destination`; `check()` between figures lets a newer edit stop
    the drawing of a stale outcome."""
    from corridor_sim import plots  # matplotlib is imported by the thread that draws, once

    comparison = outcome.comparison
    names = list(comparison.tables)
    base, edited = outcome.scenarios
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="corridor-sim-serve-") as tmp:
        folder = Path(tmp)
        bands = bands_table(base).assign(scenario=names[0])
        containers = {n: comparison.tables[n]["containers"] for n in names}
        out["distribution"] = _png(
            plots.save(plots.compare_distributions(containers, bands, destination), folder / "d.png")
        )
        check()
        means = comparison.section_means
        means = means[means["destination"].eq(destination)]
        bars = means.groupby(["scenario", "section", "state"], as_index=False, sort=False, observed=True)["days"].sum()
        title = f"Where the days go (to {destination}): before and after"
        published = scenarios_section_bands(names, outcome.scenarios)
        published = published[published["destination"].eq(destination)]  # the published Kazakh section, bracketed
        out["sections"] = _png(plots.save(plots.section_bars(bars, title, published), folder / "s.png"))
        check()
        tables = comparison.tables[names[1]]
        routes = routes_table(edited, build_network(edited))
        warmup = edited.simulation.warmup / 24
        title = f"{names[1]}: where containers wait"
        waits = waiting_by_location(tables["tracks"], routes)
        stock = {n: {"segments": p.segments, "sets": p.sets} for n, p in edited.network.rolling_stock.items()}
        pools = plots.pools_in_use(stock, tables["occupancy"], warmup)
        out["map"] = _png(plots.save(plots.corridor_map(routes, waits, pools, title), folder / "m.png", tight=True))
    return out


def _png(path: Path) -> bytes:
    return Path(path).read_bytes()
