"""A digest says what is true when it is sent, and the web shows the digest that was sent."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from flask import Flask

from matcher.digests.sending import Pacer, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.models import DigestKind, InterestStatus, Match, utcnow
from matcher.security.passwords import hash_password
from matcher.services import interests
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.web import PASSWORD, delivered, sign_in

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


def test_see_this_digest_on_the_web_opens_the_digest_as_sent(app: Flask, world: World):
    offered = open_placement(db.session, world, title="Rural buses")
    interest = interest_in(db.session, world, offered, InterestStatus.OFFERED)
    matched = open_placement(db.session, world, title="Coastal housing")
    db.session.add(
        Match(
            person_id=world.person.id,
            placement_id=matched.id,
            score=0.8,
            rank=1,
            reasons=[],
            engine_version="test",
            computed_at=utcnow(),
        )
    )
    world.person.password_hash = hash_password(PASSWORD)
    db.session.commit()
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()
    _send(app)
    [message] = delivered(app.config["MATCHER_SETTINGS"], world.person.email)
    email_text = _text(message)
    as_sent = ["Rural buses", "You have been offered a place", "Coastal housing"]
    assert all(item in email_text for item in as_sent)

    # Things move on after the email went: the page still shows what the email said.
    interests.transition(db.session, world.person.id, interest.id, interests.Action.ACCEPT)
    db.session.commit()
    base_url = app.config["MATCHER_SETTINGS"].base_url
    link = next(
        line.split(": ", 1)[1]
        for line in email_text.splitlines()
        if line.startswith("See this digest on the web")
    )
    path = link.removeprefix(base_url)
    assert path.startswith("/digest/")

    client = app.test_client()
    assert client.get(path).status_code == 302
    sign_in(client, world.person.email)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(item in html for item in as_sent)
    assert "Your acceptance is confirmed" not in html
    assert message["Subject"] in html
    next_digest = client.get("/digest").get_data(as_text=True)
    assert "You have been offered a place" not in next_digest

    world.other_person.password_hash = hash_password(PASSWORD)
    world.other_person.email_confirmed_at = utcnow()
    db.session.commit()
    stranger = app.test_client()
    sign_in(stranger, world.other_person.email)
    assert stranger.get(path).status_code == 404
    assert stranger.get("/digest/999999").status_code == 404
