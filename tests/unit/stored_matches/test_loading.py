"""The frames the engine is fitted on carry each person's feedback: "not for me" and interests."""

from __future__ import annotations

import numpy as np
from flask import Flask
from sqlalchemy import select

from matcher.engine.frames import KIND_BIT
from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    Interest,
    InterestStatus,
    Placement,
    PlacementStatus,
    Reflection,
    ReflectionSide,
    WantedKind,
    utcnow,
)
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


def test_each_placement_carries_its_hosts_ratings_by_secondees_only(app: Flask) -> None:
    seed(db.session, people=4, placements=4)
    person = db.session.scalars(select(CivilServantProfile.user_id).limit(1)).one()
    placement = db.session.scalars(select(Placement).order_by(Placement.id).limit(1)).one()
    host = placement.organisation_id
    now = utcnow()
    for number, (side, rating, submitted) in enumerate(
        [
            (ReflectionSide.SECONDEE, 5, True),
            (ReflectionSide.SECONDEE, 4, True),
            (ReflectionSide.SECONDEE, 1, False),  # never sent: not counted
            (ReflectionSide.HOST, 1, True),  # the host's rating of its secondee
        ]
    ):
        interest = Interest(
            person_id=person,
            placement_id=placement.id,
            status=InterestStatus.ACCEPTED,
        )
        if number:
            interest.person_id = db.session.scalars(
                select(CivilServantProfile.user_id).offset(number).limit(1)
            ).one()
        db.session.add(interest)
        db.session.flush()
        db.session.add(
            Reflection(
                interest_id=interest.id,
                side=side,
                organisation_id=host,
                ended_on=placement.start_date,
                closes_at=now,
                learned="Plenty",
                recommend=True,
                rating=rating,
                submitted_at=now if submitted else None,
            )
        )
    db.session.commit()

    frame = load_placements(db.session)
    by_id = {
        pid: (float(rating), int(count))
        for pid, rating, count in zip(
            frame.ids.tolist(), frame.host_rating, frame.host_reflections, strict=True
        )
    }
    assert by_id[placement.id] == (4.5, 2)
    hosts = {
        pid: organisation
        for pid, organisation in db.session.execute(select(Placement.id, Placement.organisation_id))
    }
    for pid, (rating, count) in by_id.items():
        if hosts[pid] != host:
            assert count == 0 and np.isnan(rating)


def test_each_person_reaches_the_frame_with_the_kinds_themes_and_skills_of_their_profile(
    app: Flask,
) -> None:
    seed(db.session, people=6, placements=3)
    profiles = db.session.scalars(
        select(CivilServantProfile).where(CivilServantProfile.completed_at.is_not(None))
    ).all()
    kinds: dict[int, set[str]] = {}
    for kind in db.session.scalars(select(WantedKind)):
        kinds.setdefault(kind.user_id, set()).add(str(kind.kind))

    people = load_people(db.session)

    assert people.ids.tolist() == sorted(profile.user_id for profile in profiles)
    assert any(kinds.values())
    for row, profile in enumerate(sorted(profiles, key=lambda p: p.user_id)):
        wanted = sum(KIND_BIT[kind] for kind in kinds.get(profile.user_id, ()))
        assert people.wanted_kinds[row] == wanted
        assert people.themes[row] == frozenset(theme.id for theme in profile.themes)
        assert people.skills[row] == frozenset(skill.id for skill in profile.skills)
        assert people.about[row] == (profile.about or "")
