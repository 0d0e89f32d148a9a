"""One delivery per recipient and message: a bad recipient neither stops nor repeats the rest.

Through a real SMTP server on loopback that refuses chosen recipients, as a worker would run
the outbox task and the beat job that retries what was deferred.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from matcher import create_app
from matcher.events import INTEREST_CHANGED
from matcher.extensions import db
from matcher.models import DeliveryStatus, NotificationDelivery, Role, utcnow
from matcher.notifications import delivery
from matcher.services import interests
from tests import builders
from tests.conftest import make_settings
from tests.smtp import SMTPSink, running_smtp_sink
from tests.unit.services.test_interest_notifications import run_pending
from tests.unit.services.world import World, build_world, open_placement
from workers.emails import send_due_notifications


@dataclass
class Office:
    """An app sending through the sink, and an organisation with three members to notify."""

    app: Flask
    sink: SMTPSink
    world: World
    third: str


@pytest.fixture
def office(tmp_path: Path, sqlite_template: Path) -> Iterator[Office]:
    with running_smtp_sink() as sink:
        shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
        app = create_app(
            make_settings(
                tmp_path, MAIL_BACKEND="smtp", SMTP_HOST=sink.host, SMTP_PORT=str(sink.port)
            )
        )
        with app.app_context():
            world = build_world(db.session)
            third = builders.user(
                db.session, role=Role.ORGANISATION_MEMBER, email="third@a-police.example.gov.uk"
            )
            builders.membership(db.session, third, world.org_a)
            db.session.commit()
            yield Office(app, sink, world, third.email)
            db.session.remove()
            db.engine.dispose()


def _interest(office: Office) -> None:
    placement = open_placement(db.session, office.world)
    interests.express_interest(db.session, office.world.person.id, placement.id)
    db.session.commit()


def _received_by(sink: SMTPSink) -> list[str]:
    return sorted(address for item in sink.messages() for address in item.rcpt_tos)


def _rows() -> dict[str, DeliveryStatus]:
    rows = db.session.execute(select(NotificationDelivery.email, NotificationDelivery.status))
    return dict(rows.tuples().all())


def test_a_recipient_refused_for_good_misses_the_message_and_nobody_else_does(office: Office):
    refused = office.world.member_a.email
    office.sink.refuse[refused] = "550 5.1.1 No such mailbox"
    _interest(office)

    run_pending(office.app, INTEREST_CHANGED)
    office.app.extensions["celery"].tasks[send_due_notifications.name].apply().get()

    assert _received_by(office.sink) == sorted([office.world.admin_a.email, office.third])
    assert _rows()[refused] == DeliveryStatus.FAILED


def test_a_recipient_refused_for_now_gets_it_later_and_nobody_gets_it_twice(office: Office):
    busy = office.world.member_a.email
    office.sink.refuse[busy] = "450 4.2.1 Mailbox busy, try later"
    _interest(office)

    run_pending(office.app, INTEREST_CHANGED)
    first = _received_by(office.sink)
    assert busy not in first and len(first) == 2
    assert _rows()[busy] == DeliveryStatus.PENDING

    del office.sink.refuse[busy]
    # The retry is due once its delay has passed; here it is made due now.
    db.session.execute(
        update(NotificationDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    office.app.extensions["celery"].tasks[send_due_notifications.name].apply().get()

    assert _received_by(office.sink) == sorted([*first, busy])
    assert set(_rows().values()) == {DeliveryStatus.SENT}


def test_an_event_processed_again_plans_nothing_new(office: Office):
    _interest(office)
    run_pending(office.app, INTEREST_CHANGED)
    planned = db.session.scalars(select(NotificationDelivery.id)).all()

    # run_pending has already delivered the event twice; the rows stayed one per recipient.
    assert len(planned) == 3
    assert len(office.sink.messages()) == 3


def test_a_kind_of_email_missing_from_mail_kinds_fails_when_planned_not_when_sent(app: Flask):
    # Before, the row was saved and then failed quietly at sending, "could not be built".
    with app.app_context():
        with pytest.raises(ValueError, match=r"add it to config\.MAIL_KINDS"):
            delivery.plan(
                db.session,
                "key",
                [("someone@cabinetoffice.gov.uk", "Someone")],
                "Subject",
                "round_invitation_typo",
                {},
            )
        assert db.session.scalars(select(NotificationDelivery.id)).all() == []
