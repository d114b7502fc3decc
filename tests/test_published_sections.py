"""A published duration of a section group (the "Kazakh section" of S16/S18) is validated, carried in a run's tables
and drawn on the section charts where the group starts, beside the model's own figure."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import load, scenario_dict

from corridor_sim.errors import ScenarioError
from corridor_sim.plots.sections import section_bars
from corridor_sim.runner import section_bands_table

NODES = {
    "o": {"role": "terminal", "section": "A"},
    "m": {"role": "terminal", "section": "B"},
    "z": {"role": "terminal"},
}
SEGMENTS = {
    "om": {"from": "o", "to": "m", "travel_time": "1d", "section": "B"},
    "mz": {"from": "m", "to": "z", "travel_time": "1d", "section": "C"},
}
FLOWS = {"f": {"origin": "o", "destination": "z", "trains_per_week": 7, "containers_per_train": 10}}


def raw(**published: object) -> dict:
    out = scenario_dict(NODES, SEGMENTS, FLOWS)
    out["section_groups"] = {"middle": ["B", "C"]}
    out["published_sections"] = [{"group": "middle", "destination": "z", "low": "2d", "high": "3d", **published}]
    return out


def test_the_table_names_the_group_and_its_sections_in_days() -> None:
    table = section_bands_table(load(raw(label="source X")))
    assert table.to_dict("records") == [
        {
            "scenario": "test",
            "group": "middle",
            "destination": "z",
            "sections": "B;C",
            "label": "source X",
            "low_days": 2.0,
            "high_days": 3.0,
        }
    ]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"group": "nowhere"}, "published_sections.0.group"),
        ({"destination": "atlantis"}, "published_sections.0.destination"),
        ({"low": "4d"}, "published_sections.0"),
    ],
)
def test_a_bad_published_section_is_named(change: dict, key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load(raw(**change))
    assert err.value.key == key


def test_the_bracket_starts_where_the_group_starts_and_says_both_figures() -> None:
    """Sections A (1.5 d), B (2 d), C (0.5 d): group B + C starts at 1.5 d and the model says 2.5 d; the published
    2-3 d span is drawn from 1.5 to 4.5 d with end marks at 3.5 and 4.5."""
    means = pd.DataFrame({"scenario": "s", "section": ["A", "B", "C"], "state": "moving", "days": [1.5, 2.0, 0.5]})
    bands = pd.DataFrame(
        [{"scenario": "s", "group": "middle", "sections": "B;C", "low_days": 2.0, "high_days": 3.0, "label": ""}]
    )
    ax = section_bars(means, "t", bands).axes[0]
    spans = [tuple(line.get_xdata()) for line in ax.lines if line.get_linestyle() == "-"]
    assert spans == [(1.5, 4.5)]
    ends = sorted(x for line in ax.lines if line.get_marker() == "|" for x in line.get_xdata())
    assert ends == [1.5, 3.5, 4.5]  # the group's start (grey), the published low and high
    (text,) = [t.get_text() for t in ax.texts if "published" in t.get_text()]
    assert "published 2–3 d" in text and "model 2.5 d" in text


def test_no_bands_no_bracket() -> None:
    means = pd.DataFrame({"scenario": "s", "section": ["A"], "state": "moving", "days": [1.0]})
    ax = section_bars(means, "t").axes[0]
    assert not [line for line in ax.lines if line.get_marker() == "|"]
