"""Text similarity reaches past shared words: the themes words imply, learned from both sides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from matcher.engine import Engine, EngineConfig, PeopleFrame, PlacementFrame, Weights
from tests.unit.engine.builders import TODAY

TEXT_ONLY = Weights(themes=0, skills=0, text=1, distance=0, start=0, bridging=0, not_for_me=0)
HOUSING, NATURE, TRANSPORT = 1, 2, 3


def _person(pid: int, themes: set[int], about: str) -> dict[str, Any]:
    return {
        "id": pid,
        "grade_rank": 5,
        "themes": themes,
        "about": about,
        "travel_limit_km": 50,
        "remote_ok": True,
        "wanted_kinds": {"secondment"},
    }


def _placement(pid: int, themes: set[int], text: str) -> dict[str, Any]:
    return {
        "id": pid,
        "organisation_kind": "council",
        "status": "open",
        "closing_date": TODAY + timedelta(days=10),
        "grade_min_rank": 4,
        "grade_max_rank": 6,
        "kind": "secondment",
        "themes": themes,
        "description": text,
        "remote_possible": True,
        "start_date": TODAY + timedelta(days=30),
        "duration_weeks": 12,
    }


def test_a_persons_own_words_meet_a_placement_on_the_theme_others_declare_beside_them():
    people = [
        _person(1, {HOUSING}, "rough sleepers and renters"),
        _person(2, {HOUSING}, "rough sleepers and landlords"),
        _person(3, {NATURE}, "wildlife and birds"),
        _person(4, {NATURE}, "wildlife and rivers"),
        # Declares nothing about housing and shares no word with any placement.
        _person(5, {TRANSPORT}, "rough sleepers"),
    ]
    placements = [
        _placement(1, {HOUSING}, "temporary accommodation duty"),
        _placement(2, {NATURE}, "local nature recovery strategy"),
        _placement(3, {HOUSING}, "homelessness reduction duty"),
        _placement(4, {NATURE}, "biodiversity net gain"),
    ]
    engine = Engine(EngineConfig(weights=TEXT_ONLY, today=TODAY, threads=1))
    engine.fit(PeopleFrame.from_records(people), PlacementFrame.from_records(placements))

    scores = engine.scores(np.array([4]), np.arange(4))[0]

    assert min(scores[0], scores[2]) > max(scores[1], scores[3])
