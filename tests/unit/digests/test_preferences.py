"""Turning digests back on from the profile after a one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    PlacementKind,
    Profession,
    Role,
    SuppressedAddress,
)
from matcher.services import digest_preferences
from matcher.services.profiles import ProfileAnswers, save_profile
from tests.unit.services.world import build_world
from tests.web import confirmed_user, sign_in, submit


def _answers(
    world, frequency: DigestFrequency, about: str = "Social care policy"
) -> ProfileAnswers:
    return ProfileAnswers(
        department_id=db.session.scalar(select(Department.id).order_by(Department.id)),
        grade_rank=db.session.scalar(select(Grade.rank).order_by(Grade.rank)),
        profession_id=db.session.scalar(select(Profession.id).order_by(Profession.id)),
        theme_ids=tuple(world.theme_ids[:1]),
        skill_ids=tuple(world.skill_ids[:1]),
        postcode=None,
        region_code="E12000002",
        travel_limit_km=50,
        remote_ok=True,
        available_from=london_today() + timedelta(days=30),
        available_until=None,
        wanted_kinds=(PlacementKind.SECONDMENT,),
        hours=Hours.FULL_TIME,
        about=about,
        discoverable=True,
        digest_frequency=frequency,
    )


def _suppressed(email: str) -> bool:
    return db.session.get(SuppressedAddress, email.lower()) is not None


def test_choosing_digests_again_in_the_profile_lifts_an_unsubscribe(app: Flask):
    world = build_world(db.session)
    person = world.person
    save_profile(db.session, user_id=person.id, answers=_answers(world, DigestFrequency.WEEKLY))
    db.session.commit()
    assert not _suppressed(person.email)

    assert digest_preferences.unsubscribe(db.session, person.id)
    db.session.commit()
    assert person.profile.digest_frequency == DigestFrequency.NEVER
    assert _suppressed(person.email)

    # Editing something else keeps them unsubscribed.
    save_profile(
        db.session,
        user_id=person.id,
        answers=_answers(world, DigestFrequency.NEVER, about="Still no emails, please"),
    )
    db.session.commit()
    assert _suppressed(person.email)

    # The "emails" step: daily (or weekly) again.
    save_profile(db.session, user_id=person.id, answers=_answers(world, DigestFrequency.DAILY))
    db.session.commit()
    assert person.profile.digest_frequency == DigestFrequency.DAILY
    assert not _suppressed(person.email)
    assert not digest_preferences.is_suppressed(db.session, person)


def test_a_member_without_a_profile_turns_digests_back_on_from_email_preferences(app: Flask):
    member = confirmed_user(role=Role.ORGANISATION_MEMBER)
    assert digest_preferences.unsubscribe(db.session, member.id)
    db.session.commit()
    client = app.test_client()
    sign_in(client, member.email)

    page = client.get("/digest/preferences").get_data(as_text=True)
    assert "Email preferences" in page and "Daily" not in page
    assert 'value="never" checked' in page

    refused = submit(client, "/digest/preferences", {"frequency": "daily"})
    assert "Select how often you want digest emails" in refused.get_data(as_text=True)
    assert _suppressed(member.email)

    saved = submit(client, "/digest/preferences", {"frequency": "weekly"})
    assert saved.status_code == 302
    assert not _suppressed(member.email)
    page = client.get("/digest/preferences").get_data(as_text=True)
    assert 'value="weekly" checked' in page

    submit(client, "/digest/preferences", {"frequency": "never"})
    assert _suppressed(member.email)
