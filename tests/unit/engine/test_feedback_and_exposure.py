"""'Not for me' feedback, exposure metrics and the exposure re-ranking, on hand-made cases."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from matcher.engine import (
    Engine,
    EngineConfig,
    PeopleFrame,
    PlacementFrame,
    exposure,
    exposure_prices,
    gini,
)
from matcher.engine.components import COMPONENTS
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


def _interested_scores(interested: set[int]) -> dict[int, float]:
    person = {**_person(set()), "interested": interested}
    engine = Engine(CONFIG).fit(
        PeopleFrame.from_records([person]), PlacementFrame.from_records(PLACEMENTS)
    )
    top = engine.top_placements_for_people()
    return dict(zip(top.placement_ids.tolist(), top.scores.tolist(), strict=True))


def test_an_interest_raises_look_alikes_most_and_is_a_reason() -> None:
    before, after = _scores(set()), _interested_scores({1})
    assert after[2] - before[2] > after[3] - before[3] >= 0
    person = {**_person(set()), "interested": {1}}
    engine = Engine(CONFIG).fit(
        PeopleFrame.from_records([person]), PlacementFrame.from_records(PLACEMENTS)
    )
    reasons = {r["component"]: r for r in engine.explain(1, 2)}
    assert reasons["interests"]["contribution"] > 0
    assert reasons["interests"]["evidence"] == {"similar_to_interest_ids": [1]}


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


def test_prices_spread_a_favourite_among_people_within_their_candidates() -> None:
    # Four people all prefer placement 0 slightly over their own alternative.
    people = np.repeat(np.arange(4), 2)
    placements = np.array([0, 1, 0, 2, 0, 3, 0, 4])
    scores = np.array([1.0, 0.9] * 4)
    price = exposure_prices(people, placements, scores, depth=1, cap_factor=1.0, step=0.05)
    assert price[0] > 0 and not price[1:].any()
    adjusted = scores - price[placements]
    firsts = placements[np.argmax(adjusted.reshape(4, 2), axis=1) + np.arange(0, 8, 2)]
    assert len(set(firsts.tolist())) > 1


def _everyone_likes(config: EngineConfig) -> Engine:
    """Eight people whose words all favour placement 1 over the rest, each by a different gap
    (the more often they say "pilot", the wider)."""
    people = [
        {**_person(set()), "id": i, "themes": {1}, "about": "rural housing" + " pilot" * i}
        for i in range(1, 9)
    ]
    placements = [open_placement(1, {1}, "rural housing pilot")]
    placements += [open_placement(j, {1}, "rural housing") for j in range(2, 10)]
    return Engine(config).fit(
        PeopleFrame.from_records(people), PlacementFrame.from_records(placements)
    )


def test_the_engine_prices_a_placement_in_every_list_and_shows_others_first() -> None:
    unpriced = replace(CONFIG, exposure_depth=0)
    priced = replace(CONFIG, exposure_depth=1, exposure_cap_factor=1.0)
    before = _everyone_likes(unpriced).top_placements_for_people(k=1)
    after = _everyone_likes(priced).top_placements_for_people(k=1)
    assert set(before.placement_ids.tolist()) == {1}
    assert 0 < after.placement_ids.tolist().count(1) < 8
    reasons = after.reasons
    exposure_column = list(COMPONENTS).index("exposure")
    prices = -reasons.contributions[:, exposure_column]
    assert (prices >= 0).all()
    assert np.allclose(reasons.contributions.sum(axis=1), after.scores, atol=1e-5)


def test_a_theme_declared_beside_another_brings_it_near() -> None:
    # Themes 1 and 2 are declared together by several placements; 3 always alone.
    placements = [open_placement(j, {1, 2}, "") for j in (1, 2, 3)]
    placements += [open_placement(4, {2}, ""), open_placement(5, {3}, "")]
    person = {**_person(set()), "themes": {1}, "about": ""}
    engine = Engine(replace(CONFIG, exposure_depth=0)).fit(
        PeopleFrame.from_records([person]), PlacementFrame.from_records(placements)
    )
    scores = dict(
        zip(
            engine.top_placements_for_people().placement_ids.tolist(),
            engine.top_placements_for_people().scores.tolist(),
            strict=True,
        )
    )
    assert scores[4] > scores[5]
    near = {r["component"]: r for r in engine.explain(1, 4)}
    assert near["themes"]["contribution"] > 0
    assert near["themes"]["evidence"] == {"shared_theme_ids": []}
