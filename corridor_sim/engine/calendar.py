"""Simulation hours ↔ calendar months, in UTC days only (no local time), for monthly demand and seasonal outages."""

from __future__ import annotations

import bisect
import datetime as dt


class Calendar:
    def __init__(self, start: dt.date, horizon_h: float) -> None:
        self.start = start
        self._bounds: list[float] = [0.0]  # hour at which each calendar month (after the first) begins
        self._months: list[int] = [start.month]
        year, month = start.year, start.month
        while self._bounds[-1] <= horizon_h + 24 * 62:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            hours = (dt.date(year, month, 1) - start).days * 24.0
            self._bounds.append(hours)
            self._months.append(month)

    def month(self, t: float) -> int:
        """Calendar month (1–12) at simulation hour t."""
        return self._months[bisect.bisect_right(self._bounds, t) - 1]

    def next_boundary(self, t: float) -> float:
        """Hour at which the month after the one holding t begins."""
        i = bisect.bisect_right(self._bounds, t)
        return self._bounds[i] if i < len(self._bounds) else float("inf")

    def hours_until_months(self, t: float, months: set[int]) -> float:
        """Hours from t until the start of the next month that is in `months` (0 if t already is in one)."""
        now = t
        for _ in range(13):
            if self.month(now) in months:
                return now - t
            now = self.next_boundary(now)
        return float("inf")
