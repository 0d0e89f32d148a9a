"""Theme-led: declared themes are a fair view of what people want; about texts are short."""

from __future__ import annotations

from bench.generators.world import Dataset, Knobs, build

NAME = "theme-led"
KNOBS = Knobs(
    person_theme_miss=0.2,
    person_theme_spurious=0.3,
    about_sentences=(1, 2),
    empty_about=0.4,
    lay_share=0.8,
    truth_interest=1.0,
    truth_skills=0.3,
    truth_nearness=0.15,
)


def generate(n_people: int, n_placements: int, seed: int) -> Dataset:
    """People and placements whose worth to each other is mostly shared themes."""
    return build(NAME, KNOBS, n_people, n_placements, seed)
