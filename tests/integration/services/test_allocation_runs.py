"""allocate_round on SQLite and PostgreSQL: who goes where, why, and once only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.allocation_reasons import PlaceNames, result_in_words
from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import AllocationResult, AuditEntry, Placement, RoundState
from matcher.services import InvalidState, NotPermitted
from matcher.services.allocation_runs import allocate_round, summarise
from tests.unit.services.allocation_world import (
    UNACCEPTABLE_REASON,
    AllocationWorld,
    allocating_round,
)
from tests.unit.services.world import build_world


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Flask]:
    if request.param == "postgresql":
        request.applymarker(pytest.mark.integration)
    yield request.getfixturevalue("pg_app" if request.param == "postgresql" else "app")


@pytest.fixture
def aw(database: Flask) -> AllocationWorld:
    return allocating_round(db.session, build_world(db.session))


def results(aw: AllocationWorld) -> dict[int, AllocationResult]:
    rows = db.session.scalars(
        select(AllocationResult).where(AllocationResult.round_id == aw.round.id)
    )
    return {row.participant_id: row for row in rows}


def test_each_participant_gets_the_stable_place_and_the_facts_of_why(aw: AllocationWorld):
    summary = allocate_round(db.session, aw.round.id, by=aw.world.platform_admin)
    db.session.commit()

    stored = results(aw)
    first, second, third, late, withdrawn = (p.id for p in aw.participants)
    assert withdrawn not in stored
    assert (stored[second].round_place_id, stored[second].choice_number) == (aw.place_a.id, 1)
    assert (stored[first].round_place_id, stored[first].choice_number) == (aw.place_b.id, 2)
    assert stored[first].explanation["choices"] == [
        {"round_place_id": aw.place_a.id, "verdict": "filled_by_higher"},
        {"round_place_id": aw.place_b.id, "verdict": "got"},
    ]
    assert stored[third].round_place_id is None
    assert stored[third].explanation["choices"] == [
        {"round_place_id": aw.place_a.id, "verdict": "unacceptable", "reason": UNACCEPTABLE_REASON}
    ]
    assert stored[late].round_place_id is None
    late_choices = stored[late].explanation["choices"]
    assert [c["verdict"] for c in late_choices] == ["cannot_start", "cannot_start"]
    # The dates come from the database as day numbers, counted in SQL on each database.
    placement = db.session.get(Placement, aw.place_a.placement_id)
    assert placement is not None
    assert late_choices[0]["cannot_start"] == {
        "why": "starts_before_free",
        "starts": placement.start_date.isoformat(),
        "free_from": (london_today() + timedelta(days=90)).isoformat(),
        "free_until": None,
    }
    assert sorted(row.lottery_number for row in stored.values()) == [0, 1, 2, 3]
    assert (summary.participants, summary.placed, summary.first_choice) == (4, 2, 1)
    assert (summary.unplaced, summary.places_offered, summary.already_allocated) == (2, 2, False)
    # Counted from the rows it stored, as summarise counts them from the table.
    assert summary == replace(
        summarise(db.session, aw.round.id, already_allocated=True), already_allocated=False
    )
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round.allocated"))


def test_the_stored_facts_read_as_plain_english(aw: AllocationWorld):
    allocate_round(db.session, aw.round.id, by=None)
    db.session.commit()
    names = {
        aw.place_a.id: PlaceNames("Rural transport secondment", "Organisation A"),
        aw.place_b.id: PlaceNames("Rural transport secondment", "Organisation B"),
    }
    stored = results(aw)

    placed = result_in_words(
        stored[aw.participants[0].id].choice_number,
        stored[aw.participants[0].id].explanation,
        names,
    )
    unacceptable = result_in_words(None, stored[aw.participants[2].id].explanation, names)

    assert placed.headline == (
        "You got your second choice: Rural transport secondment with Organisation B"
    )
    assert placed.choices[0] == (
        "Rural transport secondment with Organisation A: its places were filled by "
        "participants Organisation A ranked above you"
    )
    assert unacceptable.headline == "You have not been given a place in this round"
    assert unacceptable.choices == [
        "Rural transport secondment: Organisation A marked you unacceptable: " + UNACCEPTABLE_REASON
    ]


def test_a_second_run_changes_nothing(aw: AllocationWorld):
    allocate_round(db.session, aw.round.id, by=None)
    db.session.commit()
    before = {k: (v.round_place_id, v.lottery_number) for k, v in results(aw).items()}

    again = allocate_round(db.session, aw.round.id, by=None)

    assert again.already_allocated
    assert {k: (v.round_place_id, v.lottery_number) for k, v in results(aw).items()} == before


def test_only_a_round_that_is_allocating_allocates(aw: AllocationWorld):
    aw.round.state = RoundState.COLLECTING_PREFERENCES
    db.session.commit()

    with pytest.raises(InvalidState):
        allocate_round(db.session, aw.round.id, by=None)


def test_only_the_schemes_managers_may_allocate(aw: AllocationWorld):
    with pytest.raises(NotPermitted):
        allocate_round(db.session, aw.round.id, by=aw.world.person)
