"""Reflections: asked for once when a placement ends, reminded once, sent through the outbox
and its email tasks, never twice; given on the form's rules; quoted only with consent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.clock import set_now
from matcher.events import REFLECTION_REMINDER, REFLECTION_REQUESTED
from matcher.extensions import app_settings, db
from matcher.models import (
    InterestStatus,
    NotificationDelivery,
    OutboxEvent,
    Placement,
    Reflection,
    ReflectionSide,
)
from matcher.services import reflections
from matcher.services.concurrency import StaleObject
from matcher.services.errors import NotFound, NotPermitted
from matcher.services.reflections import ReflectionAnswers
from matcher.services.validation import ValidationFailed
from tests import builders
from tests.unit.services.test_interest_notifications import delivered, run_pending
from tests.unit.services.world import World, interest_in, open_placement

GOOD = ReflectionAnswers(
    learned="How a district council runs rural transport with parish councils.",
    informed="The rural bus strategy",
    recommend="yes",
    rating="5",
    may_quote=True,
)


def _after(placement: Placement, days: int = 0) -> None:
    """Move the clock to ``days`` after the placement's end (the day after its last day)."""
    ends_on = placement.start_date + timedelta(weeks=placement.duration_weeks)
    set_now(datetime.combine(ends_on + timedelta(days=days), time(9), tzinfo=UTC))


def _ended(world: World, title: str = "Rural buses") -> Placement:
    placement = open_placement(db.session, world, title=title, duration_weeks=2)
    interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
    db.session.commit()
    return placement


def _events(name: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.task_name == name)
    )


def _ask() -> reflections.Asked:
    asked = reflections.ask_for_due(db.session, app_settings())
    db.session.commit()
    return asked


def test_each_side_is_asked_once_when_the_placement_ends_and_reminded_once(
    app: Flask, world: World
):
    placement = _ended(world)
    _after(placement, -1)
    assert _ask() == reflections.Asked(0, 0)

    _after(placement)
    assert _ask() == reflections.Asked(2, 0)
    assert _ask() == reflections.Asked(0, 0), "a second run asks nobody again"
    assert _events(REFLECTION_REQUESTED) == 2
    run_pending(app, REFLECTION_REQUESTED)
    sent = delivered(app)
    to = sorted(m["To"].addresses[0].addr_spec for m in sent)
    assert to == sorted([world.person.email, world.admin_a.email, world.member_a.email])
    subjects = {m["To"].addresses[0].addr_spec: m["Subject"] for m in sent}
    assert subjects[world.person.email] == f"How did your placement with {world.org_a.name} go?"
    assert subjects[world.admin_a.email] == f"How did hosting {world.person.display_name} go?"
    # Each recipient's link is signed for them alone.
    links = {m.get_body(("plain",)).get_content().split("reflection: ")[1].split()[0] for m in sent}
    assert len(links) == 3

    _after(placement, 13)
    assert _ask() == reflections.Asked(0, 0)
    _after(placement, 15)
    assert _ask() == reflections.Asked(0, 2)
    _after(placement, 40)
    assert _ask() == reflections.Asked(0, 0), "one reminder, never more"
    assert _events(REFLECTION_REMINDER) == 2
    run_pending(app, REFLECTION_REMINDER)
    reminders = delivered(app)[3:]
    assert len(reminders) == 3
    assert all(m["Subject"].startswith("Reminder: how did") for m in reminders)
    assert db.session.scalar(select(func.count()).select_from(NotificationDelivery)) == 6


def test_whoever_has_answered_is_not_reminded(app: Flask, world: World):
    placement = _ended(world)
    _after(placement)
    _ask()
    secondee = db.session.scalars(
        select(Reflection).where(Reflection.side == ReflectionSide.SECONDEE)
    ).one()
    reflections.reflect(db.session, world.person.id, secondee.id, GOOD)
    db.session.commit()
    _after(placement, 20)
    assert _ask() == reflections.Asked(0, 1)
    host = db.session.scalars(
        select(Reflection).where(Reflection.side == ReflectionSide.HOST)
    ).one()
    assert host.reminded_at is not None and secondee.reminded_at is None


def test_placements_that_ended_before_the_window_are_not_asked_about(app: Flask, world: World):
    placement = _ended(world)
    _after(placement, app_settings().reflection_open_days)
    assert _ask() == reflections.Asked(0, 0)


def _requested(world: World, side: ReflectionSide) -> Reflection:
    placement = _ended(world)
    _after(placement)
    _ask()
    return db.session.scalars(select(Reflection).where(Reflection.side == side)).one()


def test_a_reflection_is_given_by_its_side_only_and_can_be_changed_until_it_closes(
    app: Flask, world: World
):
    secondee = _requested(world, ReflectionSide.SECONDEE)
    host = db.session.scalars(
        select(Reflection).where(Reflection.side == ReflectionSide.HOST)
    ).one()
    with pytest.raises(NotFound):
        reflections.reflect(db.session, world.member_a.id, secondee.id, GOOD)
    with pytest.raises(NotFound):
        reflections.reflect(db.session, world.person.id, host.id, GOOD)
    with pytest.raises(NotFound):
        reflections.reflect(db.session, world.admin_b.id, host.id, GOOD)

    given = reflections.reflect(db.session, world.person.id, secondee.id, GOOD)
    assert (given.rating, given.recommend, given.may_quote) == (5, True, True)
    first = given.submitted_at
    changed = reflections.reflect(
        db.session,
        world.person.id,
        secondee.id,
        ReflectionAnswers(learned="More", recommend="no", rating="2"),
        expected_version=given.version_id,
    )
    assert (changed.rating, changed.recommend, changed.may_quote) == (2, False, False)
    assert changed.submitted_at == first
    with pytest.raises(StaleObject):
        reflections.reflect(db.session, world.person.id, secondee.id, GOOD, expected_version=1)

    # The host's answer: any member gives it, and none may allow a quote.
    hosted = reflections.reflect(db.session, world.member_a.id, host.id, GOOD)
    assert hosted.may_quote is False

    set_now(secondee.closes_at)
    with pytest.raises(ValidationFailed) as closed:
        reflections.reflect(db.session, world.person.id, secondee.id, GOOD)
    assert closed.value.errors["learned"].startswith("Reflections on this placement closed on")


def test_every_question_is_checked(app: Flask, world: World):
    secondee = _requested(world, ReflectionSide.SECONDEE)
    with pytest.raises(ValidationFailed) as failed:
        reflections.reflect(db.session, world.person.id, secondee.id, ReflectionAnswers())
    assert failed.value.errors == {
        "learned": "Enter what was learned",
        "recommend": "Select yes if you would recommend it, or no if not",
        "rating": "Select a rating from 1 to 5",
    }
    too_long = ReflectionAnswers(learned="x" * 2001, recommend="maybe", rating="6")
    with pytest.raises(ValidationFailed) as failed:
        reflections.reflect(db.session, world.person.id, secondee.id, too_long)
    assert failed.value.errors["learned"] == "What was learned must be 2,000 characters or fewer"
    assert set(failed.value.errors) == {"learned", "recommend", "rating"}


def test_only_consented_reflections_are_quoted_and_only_members_start_notes_from_them(
    app: Flask, world: World
):
    secondee = _requested(world, ReflectionSide.SECONDEE)
    reflections.reflect(
        db.session,
        world.person.id,
        secondee.id,
        ReflectionAnswers(**{**GOOD.__dict__, "may_quote": False}),
    )
    assert reflections.quotes_for(db.session, world.org_a.id) == []
    with pytest.raises(NotFound):
        reflections.quotable(db.session, world.member_a.id, secondee.id)

    reflections.reflect(db.session, world.person.id, secondee.id, GOOD)
    [quote] = reflections.quotes_for(db.session, world.org_a.id)
    assert (quote.text, quote.placement_title, quote.rating) == (GOOD.learned, "Rural buses", 5)
    assert reflections.quotable(db.session, world.member_a.id, secondee.id).reflection is secondee
    with pytest.raises(NotPermitted):
        reflections.quotable(db.session, world.admin_b.id, secondee.id)
    outsider = builders.user(db.session)
    with pytest.raises(NotPermitted):
        reflections.quotable(db.session, outsider.id, secondee.id)
