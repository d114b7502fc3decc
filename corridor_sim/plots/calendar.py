"""Axes of simulated days labelled with calendar dates from the scenario's start. The ticks are chosen when the axis
is drawn, at its final size, so that no two labels overlap however narrow the panel (a zoom beside a year)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import Formatter, Locator

MONTHLY = 75  # days: a longer span is ticked at month starts, a shorter one every few days
MONTH_STEPS = (1, 2, 3, 4, 6, 12, 24, 60)
DAY_STEPS = (1, 2, 3, 5, 7, 10, 14, 21, 28)
CHARS = {True: 8, False: 6}  # label width in characters: "Sep 2023" by month, "09 Mar" by day


class CalendarTicks(Locator):
    """Month starts (or every few days) counted from `origin`, spaced so that their labels fit the axis's length."""

    def __init__(self, origin: np.datetime64) -> None:
        self.origin = origin

    def __call__(self) -> np.ndarray:
        lo, hi = self.axis.get_view_interval()
        return self.tick_values(lo, hi)

    def room(self, monthly: bool) -> int:
        """How many labels fit side by side: the axis's length over a label's width plus a gap (both in points)."""
        length = self.axis.axes.get_window_extent().width * 72 / self.axis.axes.figure.dpi
        size = FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
        return max(2, int(length // ((0.62 * CHARS[monthly] + 1.2) * size)))

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        lo, hi = sorted((vmin, vmax))
        monthly = hi - lo > MONTHLY
        room = self.room(monthly) if self.axis is not None else 12
        if monthly:
            first = (self.origin + int(np.floor(lo))).astype("datetime64[M]")
            months = np.arange(first, (self.origin + int(np.ceil(hi))).astype("datetime64[M]") + 1)
            step = next((s for s in MONTH_STEPS if len(months) / s <= room), MONTH_STEPS[-1])
            ticks = months[months.astype(int) % step == 0].astype("datetime64[D]")
        else:
            span = int(np.ceil(hi)) - int(np.ceil(lo)) + 1
            step = next((s for s in DAY_STEPS if span / s <= room), max(1, int(np.ceil(span / room))))
            ticks = self.origin + np.arange(int(np.ceil(lo)), int(hi) + 1, step)
        days = (ticks - self.origin).astype(float)
        return days[(days >= lo) & (days <= hi)]


class CalendarLabels(Formatter):
    """A simulated day as its date: month and year on long spans, day and month on short ones."""

    def __init__(self, origin: np.datetime64) -> None:
        self.origin = origin

    def __call__(self, x: float, pos: int | None = None) -> str:
        lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (0.0, MONTHLY + 1.0)
        day = pd.Timestamp(self.origin + int(round(x)))
        return day.strftime("%b %Y" if hi - lo > MONTHLY else "%d %b")


def calendar_axis(ax: Axes, start: str | None) -> None:
    """Label the x axis of simulated days with calendar dates counted from the scenario's start (ISO date); without
    one, as simulated days."""
    if not start:
        ax.set_xlabel("simulated day")
        return
    origin = np.datetime64(str(start)[:10], "D")
    ax.xaxis.set_major_locator(CalendarTicks(origin))
    ax.xaxis.set_major_formatter(CalendarLabels(origin))
    ax.set_xlabel(f"date (simulated day 0 = {str(start)[:10]})")
