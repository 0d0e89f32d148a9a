"""Geography-led: short travel limits, little remote work, and nearness worth more than topic."""

from __future__ import annotations

from bench.generators.world import Dataset, Knobs, build

NAME = "geography-led"
KNOBS = Knobs(
    person_theme_miss=0.3,
    person_theme_spurious=0.4,
    travel_limit_km=(20, 30, 40, 60, 80, 100),
    person_remote=0.25,
    placement_remote=0.2,
    nearness_fraction_of_limit=0.3,
    remote_nearness=0.4,
    truth_interest=0.45,
    truth_skills=0.15,
    truth_nearness=1.0,
)


def generate(n_people: int, n_placements: int, seed: int) -> Dataset:
    """People who would rather go somewhere near than somewhere on their favourite theme."""
    return build(NAME, KNOBS, n_people, n_placements, seed)
