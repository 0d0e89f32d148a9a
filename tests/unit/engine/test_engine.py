"""The engine against a per-pair reference: filters, top k, reasons, incremental use."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.engine import Engine, EngineConfig, PeopleFrame, PlacementFrame, TopK
from matcher.engine.config import HOST_RATING_CAP
from tests.unit.engine.builders import (
    TODAY,
    eligible,
    people_records,
    placement_records,
    reference_score,
)

# Lists of one, capped at their fair share, so that small worlds have exposure prices too.
CONFIG = EngineConfig(
    today=TODAY, k=3, block_size=4, threads=1, exposure_depth=1, exposure_cap_factor=1.0
)
# Exposure prices are fitted like the text model: an update keeps them, a fresh fit redoes them.
UNPRICED = {"exposure_depth": 0}
TOLERANCE = 1e-5
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UPDATE_SETTINGS = settings(SETTINGS, max_examples=25)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """People and placements that refer to each other's ids."""
    n = draw(st.integers(1, 14))
    return draw(people_records(n)), draw(placement_records(n))


def _engine(people: list[dict[str, Any]], placements: list[dict[str, Any]], **kw: Any) -> Engine:
    config = replace(CONFIG, **kw)
    return Engine(config).fit(
        PeopleFrame.from_records(people), PlacementFrame.from_records(placements)
    )


def _grouped(top: TopK, by_person: bool) -> dict[int, list[tuple[int, float]]]:
    lists: dict[int, list[tuple[int, float]]] = {}
    keys, values = (
        (top.person_ids, top.placement_ids) if by_person else (top.placement_ids, top.person_ids)
    )
    for key, value, score in zip(keys, values, top.scores, strict=True):
        lists.setdefault(int(key), []).append((int(value), float(score)))
    return lists


def _assert_matches_reference(
    got: dict[int, list[tuple[int, float]]], expected: dict[int, list[tuple[int, float]]], k: int
) -> None:
    for key in set(got) | set(expected):
        mine, truth = got.get(key, []), expected.get(key, [])[:k]
        assert len(mine) == len(truth)
        assert np.allclose([s for _, s in mine], [s for _, s in truth], atol=TOLERANCE)
        if truth:
            # Ids must agree except among scores too close to call at the k-th place.
            kth = truth[-1][1]
            sure = {i for i, s in truth if s > kth + TOLERANCE}
            assert sure <= {i for i, _ in mine}


@SETTINGS
@given(worlds())
def test_top_placements_equal_brute_force_and_respect_filters(world: Any) -> None:
    people, placements = world
    engine = _engine(people, placements)
    top = engine.top_placements_for_people()
    by_id = {p["id"]: p for p in placements}
    expected: dict[int, list[tuple[int, float]]] = {}
    for person in people:
        scored = [
            (-reference_score(engine, person, q, by_id, CONFIG), q["id"])
            for q in placements
            if eligible(person, q)
        ]
        expected[person["id"]] = [(i, -s) for s, i in sorted(scored)]
    people_by_id = {p["id"]: p for p in people}
    for person_id, placement_id in zip(top.person_ids, top.placement_ids, strict=True):
        assert eligible(people_by_id[int(person_id)], by_id[int(placement_id)])
    _assert_matches_reference(_grouped(top, True), expected, CONFIG.k)


@SETTINGS
@given(worlds())
def test_top_people_equal_brute_force_and_respect_filters(world: Any) -> None:
    people, placements = world
    engine = _engine(people, placements)
    top = engine.top_people_for_placements()
    by_id = {p["id"]: p for p in placements}
    expected: dict[int, list[tuple[int, float]]] = {}
    for placement in placements:
        scored = [
            (-reference_score(engine, p, placement, by_id, CONFIG), p["id"])
            for p in people
            if eligible(p, placement, organisation_side=True)
        ]
        expected[placement["id"]] = [(i, -s) for s, i in sorted(scored)]
    people_by_id = {p["id"]: p for p in people}
    for person_id, placement_id in zip(top.person_ids, top.placement_ids, strict=True):
        assert eligible(people_by_id[int(person_id)], by_id[int(placement_id)], True)
    _assert_matches_reference(_grouped(top, False), expected, CONFIG.k)


@SETTINGS
@given(worlds())
def test_same_input_same_output_whatever_the_threads_and_blocks(world: Any) -> None:
    people, placements = world
    first = _engine(people, placements).top_placements_for_people()
    same = _engine(people, placements).top_placements_for_people()
    for name in ("person_ids", "placement_ids", "scores", "ranks"):
        assert np.array_equal(getattr(first, name), getattr(same, name))
    # Other block sizes sum in another order, so scores may differ in the last float bits.
    again = _engine(people, placements, threads=2, block_size=1).top_placements_for_people()
    assert np.array_equal(first.person_ids, again.person_ids)
    assert np.array_equal(first.ranks, again.ranks)
    assert np.allclose(first.scores, again.scores, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(worlds())
def test_reasons_sum_to_the_score(world: Any) -> None:
    people, placements = world
    top = _engine(people, placements).top_placements_for_people()
    for record in top.records():
        total = sum(reason["contribution"] for reason in record["reasons"])
        assert abs(total - record["score"]) < TOLERANCE


@SETTINGS
@given(worlds(), st.data())
def test_one_person_or_placement_equals_its_part_of_the_full_run(world: Any, data: Any) -> None:
    people, placements = world
    engine = _engine(people, placements)
    i = data.draw(st.integers(0, len(people) - 1))
    j = data.draw(st.integers(0, len(placements) - 1))
    full = engine.top_placements_for_people()
    one = engine.top_placements_for_people(np.array([i]))
    row = full.person_index == i
    assert np.array_equal(one.placement_ids, full.placement_ids[row])
    assert np.allclose(one.scores, full.scores[row], atol=TOLERANCE)
    full = engine.top_people_for_placements()
    one = engine.top_people_for_placements(np.array([j]))
    column = full.placement_index == j
    assert np.array_equal(one.person_ids, full.person_ids[column])
    assert np.allclose(one.scores, full.scores[column], atol=TOLERANCE)


def _same_grid(a: Engine, b: Engine) -> None:
    people = np.arange(len(b.people or ()), dtype=np.intp)
    placements = np.arange(len(b.placements or ()), dtype=np.intp)
    for side in (False, True):
        x, y = a.scores(people, placements, side), b.scores(people, placements, side)
        assert np.array_equal(np.isfinite(x), np.isfinite(y))
        assert np.allclose(x[np.isfinite(x)], y[np.isfinite(y)], atol=TOLERANCE)


@UPDATE_SETTINGS
@given(worlds(), st.data())
def test_an_update_equals_a_fresh_fit_when_the_vocabulary_is_unchanged(
    world: Any, data: Any
) -> None:
    people, placements = world
    engine = _engine(people, placements, **UNPRICED)
    i = data.draw(st.integers(0, len(people) - 1))
    other = data.draw(st.integers(0, len(people) - 1))
    j = data.draw(st.integers(0, len(placements) - 1))
    # Every field may change; texts are swapped together with the themes and skills declared
    # beside them, so the corpus (and so idf, LSA, the themes words imply and which themes and
    # skills go together) stays the same.
    people = [dict(p) for p in people]
    about_i, themes_i, skills_i = people[i]["about"], people[i]["themes"], people[i]["skills"]
    people[i] = {**people[other], "id": people[i]["id"]}
    people[other] = {**people[other], "about": about_i, "themes": themes_i, "skills": skills_i}
    placements = [dict(q) for q in placements]
    placements[j] = {
        **placements[j],
        "status": "open",
        "grade_min_rank": 1,
        "grade_max_rank": 11,
        "remote_possible": not placements[j]["remote_possible"],
    }
    changed_people = list({p["id"]: p for p in (people[i], people[other])}.values())
    assert engine.update_people(PeopleFrame.from_records(changed_people))
    assert engine.update_placements(PlacementFrame.from_records([placements[j]]))
    fresh = _engine(people, placements, **UNPRICED)
    _same_grid(engine, fresh)
    top, expected = engine.top_placements_for_people(), fresh.top_placements_for_people()
    assert np.array_equal(top.person_ids, expected.person_ids)
    assert np.allclose(top.scores, expected.scores, atol=TOLERANCE)
    assert np.allclose(top.reasons.contributions, expected.reasons.contributions, atol=TOLERANCE)


@UPDATE_SETTINGS
@given(worlds(), st.data())
def test_added_and_removed_rows_equal_a_fresh_fit(world: Any, data: Any) -> None:
    people, placements = world
    engine = _engine(people[:-1] or people, placements[:-1] or placements, **UNPRICED)
    # The last rows arrive (their words may be unknown to the fit: text is then approximate).
    engine.update_people(PeopleFrame.from_records(people[-1:]))
    engine.update_placements(PlacementFrame.from_records(placements[-1:]))
    gone = data.draw(st.integers(0, len(people) - 1))
    engine.update_people(PeopleFrame.from_records([]), removed=[people[gone]["id"]])
    kept = [p for k, p in enumerate(people) if k != gone]
    assert engine.people is not None and engine.placements is not None
    assert sorted(engine.people.ids) == sorted(p["id"] for p in kept)
    assert sorted(engine.placements.ids) == sorted(q["id"] for q in placements)
    # Text (and "not for me" and interests, which compare texts) and neighbouring themes and
    # skills left out: they use the fitted text model and affinities.
    weights = replace(
        CONFIG.weights,
        text=0.0,
        not_for_me=0.0,
        interests=0.0,
        related_themes=0.0,
        related_skills=0.0,
    )
    fresh = _engine(kept, placements, weights=weights, **UNPRICED)
    engine.config = replace(engine.config, weights=fresh.config.weights)
    engine.update(engine.people, engine.placements, engine.people.ids, engine.placements.ids)
    _same_grid(engine, fresh)


@SETTINGS
@given(worlds(), st.data(), st.floats(0.0, 10.0))
def test_a_host_rating_never_lifts_a_placement_over_a_clearly_better_fit(
    world: Any, data: Any, weight: float
) -> None:
    people, placements = world
    unrated = [{**q, "host_rating": None, "host_reflections": 0} for q in placements]
    # Some hosts rated 5 out of 5 by many secondees, with the weight set as high as anyone likes.
    rated = data.draw(st.sets(st.sampled_from([q["id"] for q in placements])))
    perfect = [
        {**q, "host_rating": 5.0, "host_reflections": 1_000} if q["id"] in rated else q
        for q in unrated
    ]
    config = {**UNPRICED, "k": 50, "weights": replace(CONFIG.weights, host_rating=weight)}
    before = _grouped(_engine(people, unrated, **config).top_placements_for_people(), True)
    after = _grouped(_engine(people, perfect, **config).top_placements_for_people(), True)
    for person, ranked in before.items():
        scores, lifted = dict(ranked), dict(after[person])
        assert scores.keys() == lifted.keys()
        for placement, score in scores.items():
            assert 0.0 <= lifted[placement] - score <= HOST_RATING_CAP + TOLERANCE
        # A placement ahead by more than the cap stays ahead of one whose host is perfect.
        for better in scores:
            for worse in scores:
                if scores[better] > scores[worse] + HOST_RATING_CAP + TOLERANCE:
                    assert lifted[better] > lifted[worse]
