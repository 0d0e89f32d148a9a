"""The frames the engine is fitted on carry each person's feedback: "not for me" and interests."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import CivilServantProfile, Interest, InterestStatus, Placement, PlacementStatus
from matcher.stored_matches.loading import load_people, load_placements
from tests.unit.stored_matches.helpers import seed


def test_interests_still_held_reach_the_frames_with_their_placements(app: Flask) -> None:
    seed(db.session, people=6, placements=4)
    person, other = db.session.scalars(
        select(CivilServantProfile.user_id)
        .where(CivilServantProfile.completed_at.is_not(None))
        .order_by(CivilServantProfile.user_id)
        .limit(2)
    ).all()
    held, declined, filled = db.session.scalars(
        select(Placement.id).order_by(Placement.id).limit(3)
    ).all()
    db.session.get_one(Placement, filled).status = PlacementStatus.FILLED
    db.session.add_all(
        [
            Interest(person_id=person, placement_id=held, status=InterestStatus.SHORTLISTED),
            Interest(person_id=person, placement_id=filled, status=InterestStatus.ACCEPTED),
            Interest(person_id=other, placement_id=declined, status=InterestStatus.DECLINED),
        ]
    )
    db.session.commit()

    people = load_people(db.session)
    interested = dict(zip(people.ids.tolist(), people.interested, strict=True))
    assert interested[person] == frozenset({held, filled})
    assert interested[other] == frozenset()
    # A filled placement is final, but its words still tell what the person is after.
    assert filled in load_placements(db.session).ids.tolist()
