"""Interest and invitation emails, run through the real outbox task as a worker would."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from matcher.events import INTEREST_CHANGED, MEMBERSHIP_INVITATION_SENT
from matcher.extensions import db
from matcher.models import OutboxEvent, Role
from matcher.services import interests, memberships
from tests import builders
from tests.unit.services.world import World, open_placement


def run_pending(app: Flask, task_name: str) -> None:
    """Run every unprocessed event of ``task_name`` through its Celery task, as a worker does."""
    task = app.extensions["celery"].tasks[task_name]
    ids = db.session.scalars(
        select(OutboxEvent.id).where(
            OutboxEvent.task_name == task_name, OutboxEvent.processed_at.is_(None)
        )
    ).all()
    for event_id in ids:
        assert task.apply(kwargs={"event_id": event_id}).get() is True
        # A second delivery of the same event sends nothing more.
        assert task.apply(kwargs={"event_id": event_id}).get() is False


def delivered(app: Flask) -> list[EmailMessage]:
    folder: Path = app.config["MATCHER_SETTINGS"].mail_outbox_dir
    messages = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def test_each_side_hears_of_the_others_moves(app: Flask, world: World):
    placement = open_placement(db.session, world, title="Rural buses")
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)

    to_organisation = delivered(app)
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in to_organisation) == sorted(
        [world.admin_a.email, world.member_a.email]
    )
    assert {m["Subject"] for m in to_organisation} == {
        f"{world.person.display_name} is interested in Rural buses"
    }
    text = to_organisation[0].get_body(("plain",)).get_content()
    assert f"/placements/{placement.id}/interests" in text

    interests.shortlist(db.session, world.member_a.id, interest.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)
    latest = delivered(app)[2:]
    assert [m["To"].addresses[0].addr_spec for m in latest] == [world.person.email]
    assert latest[0]["Subject"] == "You have been shortlisted for Rural buses"
    html = latest[0].get_body(("html",)).get_content()
    assert f"{world.org_a.name} has shortlisted you for Rural buses" in html
    assert f"/interests/{interest.id}" in latest[0].get_body(("plain",)).get_content()


def test_the_offer_email_carries_the_message_and_acceptance_tells_how_to_reach_the_person(
    app: Flask, world: World
):
    placement = open_placement(db.session, world, title="Rural buses")
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)
    before = len(delivered(app))

    interests.offer(db.session, world.member_a.id, interest.id, "Start on 2 March.\nCall me first.")
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)
    [offer] = delivered(app)[before:]
    assert offer["To"].addresses[0].addr_spec == world.person.email
    assert "Start on 2 March.\r\nCall me first." in offer.get_body(("plain",)).get_content()
    assert '<p style="margin: 0 0 10px;">Call me first.</p>' in (
        offer.get_body(("html",)).get_content()
    )

    interests.accept_offer(db.session, world.person.id, interest.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)
    accepted = delivered(app)[before + 1 :]
    assert sorted(m["To"].addresses[0].addr_spec for m in accepted) == sorted(
        [world.admin_a.email, world.member_a.email]
    )
    for message in accepted:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"Contact {world.person.display_name} at {world.person.email}" in text
        assert "the placement is filled and no longer taking interest" in text
        assert f'href="mailto:{world.person.email}"' in html


def test_the_invitation_email_carries_a_link_that_accepts_it(app: Flask, world: World):
    invitation = memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, "analyst@elsewhere.example.org"
    )
    db.session.commit()
    run_pending(app, MEMBERSHIP_INVITATION_SENT)

    [message] = delivered(app)
    assert message["To"].addresses[0].addr_spec == "analyst@elsewhere.example.org"
    assert message["Subject"] == f"You are invited to join {world.org_a.name} on matcher"
    link = next(
        word
        for word in message.get_body(("plain",)).get_content().split()
        if "/invitations/" in word
    )
    token = link.rsplit("/", 1)[1]
    invitee = builders.user(
        db.session, role=Role.ORGANISATION_MEMBER, email="analyst@elsewhere.example.org"
    )
    membership = memberships.accept_invitation(
        db.session, invitee.id, token, secret_key=current_app.config["SECRET_KEY"]
    )
    assert membership.organisation_id == world.org_a.id
    assert invitation.accepted_at is not None
