"""A digest says what is true when it is sent, and the web shows the digest that was sent."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from flask import Flask

from matcher.digests.sending import Pacer, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.models import DigestKind, InterestStatus, utcnow
from matcher.services import interests
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.web import delivered

PERIOD = "2026-W48"


@pytest.fixture
def world(app: Flask) -> World:
    built = build_world(db.session)
    for user in (built.person, built.member_a, built.admin_a):
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return built


def _send(app: Flask) -> None:
    settings = app.config["MATCHER_SETTINGS"]
    send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, PERIOD),
        lambda: OutboxFolderBackend(settings.mail_outbox_dir),
        Pacer(0),
    )


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_offer_accepted_after_planning_is_reported_as_accepted(app: Flask, world: World):
    placement = open_placement(db.session, world, title="Rural buses")
    interest = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    db.session.commit()
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()

    interests.transition(db.session, world.person.id, interest.id, interests.Action.ACCEPT)
    db.session.commit()
    _send(app)

    [message] = delivered(app.config["MATCHER_SETTINGS"], world.person.email)
    text = _text(message)
    assert "Your acceptance is confirmed" in text
    assert "offered" not in text.lower()
