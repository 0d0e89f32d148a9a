"""Text-led: people declare few of their interests and many they do not hold; their about text,
in their own words rather than the sector's, tells what they are after."""

from __future__ import annotations

from bench.generators.world import Dataset, Knobs, build

NAME = "text-led"
KNOBS = Knobs(
    person_theme_miss=0.6,
    person_theme_spurious=0.7,
    about_sentences=(3, 6),
    empty_about=0.05,
    lay_share=0.65,
    about_distractors=0.15,
    truth_interest=1.0,
    truth_skills=0.25,
    truth_nearness=0.15,
)


def generate(n_people: int, n_placements: int, seed: int) -> Dataset:
    """People whose declared themes mislead and whose about text does not."""
    return build(NAME, KNOBS, n_people, n_placements, seed)
