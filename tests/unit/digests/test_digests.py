"""Planning, content, rendering, sending and recovery on SQLite with the outbox folder."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from flask import Flask
from sqlalchemy import select, update

from matcher.clock import london_today
from matcher.digests.content import load_contents
from matcher.digests.sending import Pacer, pending_ids, plan_period, recover, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    Interest,
    InterestStatus,
    InterestTransition,
    Match,
    Placement,
    PlacementStatus,
    SuppressedAddress,
    utcnow,
)
from tests import digest_world

PERIOD = "2026-W48"


def _send_all(app: Flask):
    settings = app.config["MATCHER_SETTINGS"]
    return send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, PERIOD),
        lambda: OutboxFolderBackend(settings.mail_outbox_dir),
        Pacer(0),
    )


def _delivered(app: Flask):
    folder = app.config["MATCHER_SETTINGS"].mail_outbox_dir
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def test_planning_twice_adds_nothing_the_second_time(app: Flask):
    world = digest_world.build(db.session, 3, today=london_today())
    assert plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow()) == 4
    assert plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow()) == 0
    db.session.commit()
    # Daily planning finds nobody: everyone chose weekly, and members only get weekly.
    assert plan_period(db.session, DigestKind.DAILY, "2026-11-25", utcnow()) == 0
    rows = db.session.scalars(select(DigestDelivery)).all()
    assert sorted(row.recipient_id for row in rows) == sorted([*world.people, world.member_id])
    assert len({row.message_id for row in rows}) == 4


def test_a_batch_sends_once_skips_the_empty_and_a_second_run_does_nothing(app: Flask):
    world = digest_world.build(db.session, 3, today=london_today())
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()
    ids = pending_ids(db.session, PERIOD)
    outcome = _send_all(app)
    # The member's organisation has interest-free placements and people recommended: news.
    assert (outcome.sent, outcome.skipped, outcome.failed) == (4, 0, 0)
    settings = app.config["MATCHER_SETTINGS"]
    again = send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        ids,
        lambda: OutboxFolderBackend(settings.mail_outbox_dir),
        Pacer(0),
    )
    assert again.claimed == 0
    messages = _delivered(app)
    assert len(messages) == 4
    person = next(m for m in messages if "person0@" in str(m["To"]))
    assert person["Subject"] == "1 new placement match: your weekly digest"
    assert person["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert person["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/digests/unsubscribe/")
    text = person.get_body(("plain",)).get_content()
    assert "Rural access to care, Cumbria County Council" in text
    assert "- Shares your interest in social care" in text
    assert "- 11 miles from your home" in text
    html = person.get_body(("html",)).get_content()
    assert '<html lang="en">' in html and "<h2" in html
    member = next(m for m in messages if "officer@" in str(m["To"]))
    assert "3 recommended people" in member["Subject"]
    # Next week nothing is new for the people: their digests are skipped, not sent empty.
    next_week = "2026-W49"
    plan_period(db.session, DigestKind.WEEKLY, next_week, utcnow())
    db.session.commit()
    contents = load_contents(db.session, world.people, DigestKind.WEEKLY, utcnow())
    assert all(content.is_empty for content in contents.values())


def test_interest_changes_made_by_the_organisation_are_news(app: Flask):
    world = digest_world.build(db.session, 1, today=london_today())
    person = world.people[0]
    db.session.execute(update(Match).values(computed_at=utcnow() - timedelta(days=30)))
    interest = Interest(
        person_id=person, placement_id=world.placement_id, status=InterestStatus.SHORTLISTED
    )
    db.session.add(interest)
    db.session.flush()
    db.session.add_all(
        [
            InterestTransition(
                interest_id=interest.id, to_status=InterestStatus.INTERESTED, actor_id=person
            ),
            InterestTransition(
                interest_id=interest.id,
                from_status=InterestStatus.INTERESTED,
                to_status=InterestStatus.SHORTLISTED,
                actor_id=world.member_id,
            ),
        ]
    )
    db.session.commit()
    content = load_contents(db.session, [person], DigestKind.WEEKLY, utcnow())[person]
    assert content.new_matches == []
    assert [line.news for line in content.interest_changes] == ["You are on the shortlist"]
    member = load_contents(db.session, [world.member_id], DigestKind.WEEKLY, utcnow())
    assert [line.count for line in member[world.member_id].new_interest] == [1]


def test_an_organisation_digest_says_an_offer_was_accepted_and_the_placement_filled(
    app: Flask,
):
    world = digest_world.build(db.session, 1, today=london_today())
    person = world.people[0]
    db.session.execute(update(Match).values(computed_at=utcnow() - timedelta(days=30)))
    db.session.execute(update(Placement).values(status=PlacementStatus.FILLED))
    interest = Interest(
        person_id=person, placement_id=world.placement_id, status=InterestStatus.ACCEPTED
    )
    db.session.add(interest)
    db.session.flush()
    db.session.add(
        InterestTransition(
            interest_id=interest.id,
            from_status=InterestStatus.OFFERED,
            to_status=InterestStatus.ACCEPTED,
            actor_id=person,
        )
    )
    db.session.commit()
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()
    _send_all(app)

    member = next(m for m in _delivered(app) if "officer@" in str(m["To"]))
    assert member["Subject"] == "1 offer accepted: your weekly digest"
    text = member.get_body(("plain",)).get_content()
    html = member.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Rural access to care" in body
        assert "1 person accepted your offer" in body
        assert "the placement is now filled" in body


def test_suppressed_addresses_are_not_planned_and_not_sent(app: Flask):
    world = digest_world.build(db.session, 2, today=london_today())
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.add(SuppressedAddress(email="person1@example.gov.uk", reason="unsubscribed"))
    db.session.commit()
    outcome = _send_all(app)
    assert (outcome.sent, outcome.skipped) == (2, 1)
    assert plan_period(db.session, DigestKind.WEEKLY, "2026-W49", utcnow()) == 2
    assert world.people[1] not in {
        row.recipient_id
        for row in db.session.scalars(
            select(DigestDelivery).where(DigestDelivery.period == "2026-W49")
        )
    }


def test_recovery_releases_stale_claims_but_never_touches_sent(app: Flask):
    digest_world.build(db.session, 2, today=london_today())
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    long_ago = utcnow() - timedelta(hours=2)
    first, second, third = pending_ids(db.session, PERIOD)
    db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id == first)
        .values(status=DeliveryStatus.SENDING, claimed_at=long_ago, attempts=1)
    )
    db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id == second)
        .values(status=DeliveryStatus.SENT, claimed_at=long_ago, sent_at=long_ago)
    )
    db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id == third)
        .values(status=DeliveryStatus.SENDING, claimed_at=utcnow(), attempts=1)
    )
    db.session.commit()
    assert recover(db.session, claim_timeout_seconds=1800, reenqueue_after_seconds=60) == [first]
    statuses = dict(db.session.execute(select(DigestDelivery.id, DigestDelivery.status)).all())
    assert statuses == {
        first: DeliveryStatus.PENDING,
        second: DeliveryStatus.SENT,
        third: DeliveryStatus.SENDING,
    }


def test_rendering_a_batch_takes_a_constant_number_of_queries(app: Flask):
    from sqlalchemy import event

    world = digest_world.build(db.session, 60, today=london_today())
    counts = []
    for size in (5, 60):
        statements: list[str] = []

        def count(*_args, **_kwargs) -> None:
            statements.append("query")  # noqa: B023

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            load_contents(db.session, world.people[:size], DigestKind.WEEKLY, utcnow())
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_an_organisation_digest_shows_recommended_people_without_name_or_contact(app: Flask):
    world = digest_world.build(db.session, 2, today=london_today())
    content = load_contents(db.session, [world.member_id], DigestKind.WEEKLY, utcnow())
    assert [len(line.people) for line in content[world.member_id].recommendations] == [2]
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()
    _send_all(app)

    member = next(m for m in _delivered(app) if "officer@" in str(m["To"]))
    text = member.get_body(("plain",)).get_content()
    html = member.get_body(("html",)).get_content()

    for body in (text, html):
        assert "Higher Executive Officer" in body
        for number in range(2):
            assert f"Person {number}" not in body
            assert f"person{number}@" not in body
