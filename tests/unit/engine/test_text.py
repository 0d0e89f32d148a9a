"""Text similarity reaches past shared words: the themes words imply, learned from both sides."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.engine import Engine, EngineConfig, PeopleFrame, PlacementFrame, Weights
from matcher.engine.features import _fit_sample
from matcher.engine.text import Tfidf
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


# Words, stop words, capitals (the texts' separator is one), digits, accents, other scripts,
# punctuation that joins or splits words, and every kind of whitespace str.split knows.
PIECES = st.sampled_from(
    [
        "housing",
        "Housing",
        "HOUSING",
        "the",
        "and",
        "Z",
        "ZZ",
        "z",
        "a",
        "x1",
        "42",
        "café",
        "ΟΔΟΣ",
        "straße",
        "İstanbul",
        "rough-sleepers",
        "co-op's",
        "e.g.",
        "/",
        "...",
        "__",
    ]
)
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\x1c", "\x85", ""])
TEXTS = st.lists(
    st.lists(st.tuples(PIECES, SPACES).map("".join), max_size=12).map("".join),
    min_size=1,
    max_size=8,
)


def _as_scikit_learn(ours: Tfidf, rows: Any, theirs: TfidfVectorizer) -> np.ndarray:
    """Our rows with their columns put in scikit-learn's order."""
    assert set(ours.vocabulary) == set(theirs.vocabulary_)
    order = np.empty(len(ours.vocabulary), np.intp)
    for word, column in ours.vocabulary.items():
        order[theirs.vocabulary_[word]] = column
    return rows.toarray()[:, order]


@settings(max_examples=150, deadline=None)
@given(TEXTS, TEXTS)
def test_tfidf_is_scikit_learns_model_with_its_columns_in_another_order(fitted, unseen):
    theirs = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
    ours = Tfidf()
    try:
        expected = theirs.fit_transform(fitted).toarray()
    except ValueError:
        with pytest.raises(ValueError):
            ours.fit_transform(fitted)
        return
    assert np.allclose(_as_scikit_learn(ours, ours.fit_transform(fitted), theirs), expected)
    assert np.allclose(
        _as_scikit_learn(ours, ours.transform(unseen), theirs),
        theirs.transform(unseen).toarray(),
    )


def test_tfidf_numbers_words_as_they_first_appear_and_counts_each_text_apart():
    model = Tfidf()
    rows = model.fit_transform(["Rough sleepers, rough nights", "", "the nights Z ZZ"])
    assert model.vocabulary == {"rough": 0, "sleepers": 1, "nights": 2, "zz": 3}
    counted = rows.toarray() > 0
    assert counted.tolist() == [
        [True, True, True, False],
        [False, False, False, False],
        [False, False, True, True],
    ]
