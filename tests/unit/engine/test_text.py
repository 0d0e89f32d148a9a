"""Text similarity reaches past shared words: the themes words imply, learned from both sides."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.engine import Engine, EngineConfig, PeopleFrame, PlacementFrame, Weights
from matcher.engine.features import _fit_sample
from tests.unit.engine.builders import TODAY, open_placement

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
        open_placement(1, {HOUSING}, "temporary accommodation duty"),
        open_placement(2, {NATURE}, "local nature recovery strategy"),
        open_placement(3, {HOUSING}, "homelessness reduction duty"),
        open_placement(4, {NATURE}, "biodiversity net gain"),
    ]
    engine = Engine(EngineConfig(weights=TEXT_ONLY, today=TODAY, threads=1))
    engine.fit(PeopleFrame.from_records(people), PlacementFrame.from_records(placements))

    scores = engine.scores(np.array([4]), np.arange(4))[0]

    assert min(scores[0], scores[2]) > max(scores[1], scores[3])


def test_the_text_model_fitted_on_a_sample_of_texts_still_gives_every_text_a_vector():
    config = EngineConfig(weights=TEXT_ONLY, today=TODAY, threads=1, text_dims=2, text_fit_sample=4)
    sample = _fit_sample(n_texts=5, n_about=20, config=config)
    assert isinstance(sample, np.ndarray)
    # Placements' texts first (up to half), then people's; each row once, ascending.
    assert list(sample) == sorted(set(sample.tolist()))
    assert (sample < 5).sum() == 2 and len(sample) == 4
    people = [_person(pid, {HOUSING}, f"renters landlords word{pid}") for pid in range(1, 9)]
    placements = [open_placement(pid, {HOUSING}, f"housing duty term{pid}") for pid in range(1, 5)]
    engine = Engine(config).fit(
        PeopleFrame.from_records(people), PlacementFrame.from_records(placements)
    )
    assert engine.fitted.text_model.svd is not None
    fitted = engine.fitted
    assert fitted.p_text.shape[0] == 8 and fitted.q_text.shape[0] == 4
    assert np.isfinite(fitted.p_text).all() and np.isfinite(fitted.q_text).all()
