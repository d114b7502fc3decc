"""Date axes: ticks at month starts (or every few days) counted by hand from the start date, and never more labels
than the axis has room for, however narrow the panel."""

from __future__ import annotations

import pytest

from corridor_sim.plots import style
from corridor_sim.plots.calendar import calendar_axis

# days from 2023-01-01 to the first of each month of 2023, and to 2024-01-01
MONTH_STARTS_2023 = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]


def _axis(width: float, days: tuple[float, float], start: str | None = "2023-01-01"):
    fig = style.fixed_figure((width + 1.0, 2.0))
    ax = fig.add_axes((0.5 / (width + 1.0), 0.3, width / (width + 1.0), 0.6))
    ax.plot(days, [0, 1])
    ax.set_xlim(*days)
    calendar_axis(ax, start)
    style.render(fig)  # ticks are chosen as the axis is drawn, at its final size
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    return ax, labels, [t.get_window_extent(renderer) for t in labels]


def test_a_wide_year_is_ticked_at_every_month_start() -> None:
    ax, labels, _ = _axis(12.0, (0.0, 365.0))
    assert list(ax.get_xticks()) == MONTH_STARTS_2023
    assert [t.get_text() for t in labels][:3] == ["Jan 2023", "Feb 2023", "Mar 2023"]
    assert labels[-1].get_text() == "Jan 2024"
    assert ax.get_xlabel() == "date (simulated day 0 = 2023-01-01)"


@pytest.mark.parametrize("width", [1.5, 2.5, 4.0])
def test_a_narrow_year_keeps_fewer_month_starts_and_no_label_overlaps(width: float) -> None:
    ax, labels, boxes = _axis(width, (0.0, 365.0))
    assert set(ax.get_xticks()) < set(MONTH_STARTS_2023)  # a subset of the month starts, evenly spaced
    months = [MONTH_STARTS_2023.index(t) for t in ax.get_xticks()]
    assert len({b - a for a, b in zip(months, months[1:], strict=False)}) == 1  # every k-th month
    assert len(labels) >= 2
    assert not any(a.x1 > b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_a_short_span_is_ticked_by_day_without_overlaps() -> None:
    ax, labels, boxes = _axis(2.0, (10.0, 40.0))
    assert labels[0].get_text() == f"{int(ax.get_xticks()[0]) + 1:02d} Jan"  # day 10 is 11 January
    assert all(t.get_text().endswith(("Jan", "Feb")) for t in labels)
    assert not any(a.x1 > b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_without_a_start_date_the_axis_counts_simulated_days() -> None:
    ax, labels, _ = _axis(6.0, (0.0, 100.0), start=None)
    assert ax.get_xlabel() == "simulated day"
    assert labels[0].get_text() == "0"
