"""'Not for me' feedback, exposure metrics and the exposure re-ranking, on hand-made cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from matcher.engine import (
    Engine,
    EngineConfig,
    PeopleFrame,
    PlacementFrame,
    exposure,
    gini,
    rerank_for_exposure,
)
from tests.unit.engine.builders import TODAY, open_placement

CONFIG = EngineConfig(today=TODAY, k=10, threads=1)


def _person(dismissed: set[int]) -> dict[str, Any]:
    return {
        "id": 1,
        "grade_rank": 5,
        "themes": {1, 2},
        "about": "rural housing and social care",
        "travel_limit_km": 50,
        "remote_ok": True,
        "wanted_kinds": {"secondment"},
        "discoverable": True,
        "dismissed": dismissed,
    }


PLACEMENTS = [
    open_placement(1, {1}, "rural housing pilot"),
    open_placement(2, {1}, "rural housing delivery"),
    open_placement(3, {2}, "social care digital records"),
]


def _scores(dismissed: set[int]) -> dict[int, float]:
    engine = Engine(CONFIG).fit(
        PeopleFrame.from_records([_person(dismissed)]), PlacementFrame.from_records(PLACEMENTS)
    )
    top = engine.top_placements_for_people()
    return dict(zip(top.placement_ids.tolist(), top.scores.tolist(), strict=True))


def test_not_for_me_removes_the_placement_and_lowers_similar_ones_most() -> None:
    before, after = _scores(set()), _scores({1})
    assert 1 in before and 1 not in after
    drop_similar = before[2] - after[2]
    drop_other = before[3] - after[3]
    assert drop_similar > drop_other >= 0


def test_not_for_me_is_a_reason() -> None:
    engine = Engine(CONFIG).fit(
        PeopleFrame.from_records([_person({1})]), PlacementFrame.from_records(PLACEMENTS)
    )
    reasons = {r["component"]: r for r in engine.explain(1, 2)}
    assert reasons["not_for_me"]["contribution"] < 0
    assert reasons["not_for_me"]["evidence"] == {"similar_to_dismissed_ids": [1]}
    assert reasons["themes"]["evidence"] == {"shared_theme_ids": [1]}


def test_gini_of_hand_made_counts() -> None:
    assert gini(np.array([3, 3, 3, 3])) == 0.0
    assert gini(np.array([0, 0, 0, 4])) == pytest.approx(0.75)
    assert gini(np.array([0, 0])) == 0.0


def test_exposure_counts_only_lists_cut_at_depth() -> None:
    placements = np.array([0, 1, 0, 2])
    ranks = np.array([1, 2, 1, 2])
    shown = exposure(placements, ranks, open_placements=np.arange(4), depth=1)
    assert shown.coverage == 0.25
    assert shown.counts.tolist() == [2, 0, 0, 0]
    assert shown.gini == pytest.approx(0.75)


def test_rerank_spreads_a_favourite_among_people_within_their_candidates() -> None:
    # Four people all prefer placement 0 slightly over their own alternative.
    people = np.repeat(np.arange(4), 2)
    placements = np.array([0, 1, 0, 2, 0, 3, 0, 4])
    scores = np.array([1.0, 0.9] * 4)
    before = exposure(placements[::2], np.ones(4, np.int32), np.arange(5), depth=1)
    after = rerank_for_exposure(people, placements, scores, depth=1, cap_factor=1.0, step=0.05)
    shown = exposure(after.placement_index, after.ranks, np.arange(5), depth=1)
    assert shown.coverage > before.coverage and shown.gini < before.gini
    candidates = set(zip(people.tolist(), placements.tolist(), strict=True))
    chosen = zip(after.person_index.tolist(), after.placement_index.tolist(), strict=True)
    assert set(chosen) <= candidates
    assert sorted(after.person_index.tolist()) == [0, 1, 2, 3]
