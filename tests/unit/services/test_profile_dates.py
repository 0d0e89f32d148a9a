"""A profile's availability dates: a start already past means now; an end already past is
refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    PlacementKind,
    Profession,
    Skill,
    Theme,
)
from matcher.services.profiles import ProfileAnswers, availability_words, save_profile
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World

TODAY = date(2026, 11, 25)


def answers(**changes) -> ProfileAnswers:
    given = ProfileAnswers(
        department_id=db.session.scalar(select(Department.id).limit(1)),
        grade_rank=db.session.scalar(select(Grade.rank).where(Grade.code == "HEO")),
        profession_id=db.session.scalar(select(Profession.id).limit(1)),
        theme_ids=(db.session.scalar(select(Theme.id).limit(1)),),
        skill_ids=(db.session.scalar(select(Skill.id).limit(1)),),
        postcode=None,
        region_code="E12000003",
        travel_limit_km=40,
        remote_ok=True,
        available_from=date(2027, 3, 1),
        available_until=None,
        wanted_kinds=(PlacementKind.SECONDMENT,),
        hours=Hours.FULL_TIME,
        about="",
        discoverable=True,
        digest_frequency=DigestFrequency.WEEKLY,
    )
    return replace(given, **changes)


def test_a_start_date_already_past_is_saved_as_today(world: World):
    profile = save_profile(
        db.session,
        user_id=world.person.id,
        answers=answers(available_from=date(2020, 1, 1)),
        today=TODAY,
    )
    assert profile.available_from == TODAY


def test_a_future_start_date_is_saved_as_given(world: World):
    profile = save_profile(db.session, user_id=world.person.id, answers=answers(), today=TODAY)
    assert profile.available_from == date(2027, 3, 1)


def test_an_end_date_already_past_is_refused(world: World):
    with pytest.raises(ValidationFailed) as raised:
        save_profile(
            db.session,
            user_id=world.person.id,
            answers=answers(available_from=date(2020, 1, 1), available_until=date(2021, 6, 1)),
            today=TODAY,
        )
    assert raised.value.errors == {
        "available_until": "The date you are available until must be today or in the future"
    }


def test_availability_reads_as_the_person_would_say_it():
    past, future = date(2020, 1, 1), date(2027, 3, 1)
    assert availability_words(future, None, today=TODAY) == "From 1 March 2027, with no end date"
    assert (
        availability_words(future, date(2027, 9, 30), today=TODAY)
        == "From 1 March 2027, until 30 September 2027"
    )
    assert availability_words(past, None, today=TODAY) == "From now, with no end date"
    assert availability_words(past, None, as_given=True, today=TODAY) == (
        "From now (1 January 2020 has passed, so we will save today), with no end date"
    )
