"""A placement is completed for a person once they accepted it and its last day has passed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import InterestStatus, PlacementStatus
from matcher.services.completions import completed_placements
from tests.unit.services.world import World, interest_in, open_placement


def _completed(session: Session, days_later: int) -> list[tuple[int, ...]]:
    today = london_today() + timedelta(days=days_later)
    return [tuple(row) for row in session.execute(completed_placements(today)).all()]


def test_an_accepted_placement_is_completed_from_the_day_after_its_last_day(world: World):
    placement = open_placement(db.session, world, duration_weeks=2)
    interest = interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
    start = (placement.start_date - london_today()).days
    ends_on = placement.start_date + timedelta(days=14)

    assert _completed(db.session, start + 13) == []
    assert _completed(db.session, start + 14) == [
        (interest.id, world.person.id, placement.id, world.org_a.id, ends_on)
    ]


def test_offers_not_accepted_and_withdrawn_placements_are_never_completed(world: World):
    offered = open_placement(db.session, world, duration_weeks=1)
    interest_in(db.session, world, offered, InterestStatus.OFFERED)
    withdrawn = open_placement(db.session, world, duration_weeks=1, title="Withdrawn later")
    interest_in(db.session, world, withdrawn, InterestStatus.ACCEPTED)
    withdrawn.status = PlacementStatus.WITHDRAWN
    db.session.flush()

    assert _completed(db.session, 400) == []
