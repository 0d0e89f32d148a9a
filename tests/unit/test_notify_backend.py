"""MAIL_BACKEND=notify against a local server that answers like GOV.UK Notify.

Through the real sending paths (a digest batch and notification deliveries, on SQLite): 201 is
sent; 400 fails the delivery for good, suppressing the address only when Notify refused the
address itself; a rejected key (403), a rate limit (429), a server error (500) and no answer at
all leave the delivery to be sent again. Every request names the kind's template and carries the
delivery row's id as its reference.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from config import MAIL_KINDS, Settings
from matcher import create_app
from matcher.clock import london_today
from matcher.digests.sending import Pacer, RetryLater, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import mail_backend_for
from matcher.mail.message import TEMPLATES_DIR
from matcher.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    NotificationDelivery,
    SuppressedAddress,
    User,
    utcnow,
)
from matcher.notifications.delivery import message_key, plan, send_pending
from tests import digest_world
from tests.conftest import make_settings
from tests.notify import (
    API_KEY,
    INVALID_ADDRESS,
    RATE_LIMITED,
    SERVER_ERROR,
    TEAM_ONLY_KEY,
    UNKNOWN_KEY,
    FakeNotify,
    running_fake_notify,
)
from tests.waiting import unused_port

PERIOD = "2026-W48"


def template_id(kind: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"matcher-test/{kind}"))


@dataclass
class Sender:
    """An app whose mail goes to the fake Notify, and that server."""

    app: Flask
    notify: FakeNotify

    @property
    def settings(self) -> Settings:
        return self.app.config["MATCHER_SETTINGS"]


@pytest.fixture
def sender(tmp_path: Path, sqlite_template: Path) -> Iterator[Sender]:
    with running_fake_notify() as notify:
        shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
        templates = {f"NOTIFY_TEMPLATE_{kind.upper()}": template_id(kind) for kind in MAIL_KINDS}
        settings = make_settings(
            tmp_path,
            MAIL_BACKEND="notify",
            NOTIFY_API_KEY=API_KEY,
            NOTIFY_BASE_URL=notify.base_url,
            **templates,
        )
        app = create_app(settings)
        with app.app_context():
            yield Sender(app, notify)
            db.session.remove()
            db.engine.dispose()


# What goes wrong, and how: the server's scripted answer, or settings it cannot accept.
TEMPORARY = {
    "rejected key": lambda sender: replace(sender.settings, notify_api_key=UNKNOWN_KEY),
    "rate limited": RATE_LIMITED,
    "server error": SERVER_ERROR,
    "no answer": lambda sender: replace(
        sender.settings, notify_base_url=f"http://127.0.0.1:{unused_port()}"
    ),
}


def _temporarily_failing(sender: Sender, trouble: str) -> Settings:
    """The settings to send with while ``trouble`` lasts."""
    how = TEMPORARY[trouble]
    if callable(how):
        return how(sender)
    sender.notify.answer_all = how
    return sender.settings


def _plan_digests() -> dict[str, DigestDelivery]:
    digest_world.build(db.session, 3, today=london_today())
    plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
    db.session.commit()
    rows = db.session.execute(
        select(User.email, DigestDelivery).join(User, User.id == DigestDelivery.recipient_id)
    )
    return dict(rows.tuples().all())


def _send_digests(sender: Sender, settings: Settings | None = None):
    settings = settings or sender.settings
    return send_batch(
        db.session,
        settings,
        sender.app.config["SECRET_KEY"],
        pending_ids(db.session, PERIOD),
        lambda: mail_backend_for(settings),
        Pacer(0),
    )


def _statuses(rows: dict[str, DigestDelivery]) -> dict[str, DeliveryStatus]:
    for row in rows.values():
        db.session.refresh(row)
    return {email: row.status for email, row in rows.items()}


def _suppressed() -> set[str]:
    return set(db.session.scalars(select(SuppressedAddress.email)))


def test_a_digest_accepted_by_notify_is_sent_through_the_digest_template(sender: Sender):
    rows = _plan_digests()

    outcome = _send_digests(sender)

    assert outcome.sent == len(rows) == 4
    assert set(_statuses(rows).values()) == {DeliveryStatus.SENT}
    received = {request.email_address: request for request in sender.notify.received()}
    assert set(received) == set(rows)
    for email, request in received.items():
        assert request.template_id == template_id("digest")
        assert request.reference == str(rows[email].id)
        assert request.personalisation["subject"].endswith(": your weekly digest")
        assert "Unsubscribe from digests: http" in request.personalisation["body"]
        assert request.one_click_unsubscribe_url.startswith(sender.settings.base_url)


def test_an_address_notify_refuses_fails_and_is_suppressed_and_the_rest_are_sent(
    sender: Sender,
):
    rows = _plan_digests()
    sender.notify.answer_for["person1@example.gov.uk"] = INVALID_ADDRESS

    outcome = _send_digests(sender)

    assert (outcome.sent, outcome.failed) == (3, 1)
    statuses = _statuses(rows)
    assert statuses.pop("person1@example.gov.uk") == DeliveryStatus.FAILED
    assert set(statuses.values()) == {DeliveryStatus.SENT}
    assert _suppressed() == {"person1@example.gov.uk"}


def test_a_refusal_of_our_request_fails_the_delivery_but_never_suppresses_the_address(
    sender: Sender, caplog: pytest.LogCaptureFixture
):
    rows = _plan_digests()
    sender.notify.answer_for["person1@example.gov.uk"] = TEAM_ONLY_KEY

    with caplog.at_level(logging.ERROR, logger="matcher.mail.notify"):
        outcome = _send_digests(sender)

    assert (outcome.sent, outcome.failed) == (3, 1)
    assert _statuses(rows)["person1@example.gov.uk"] == DeliveryStatus.FAILED
    assert _suppressed() == set()
    assert "team-only API key" in caplog.text
    assert "person1" not in caplog.text


@pytest.mark.parametrize("trouble", sorted(TEMPORARY))
def test_a_temporary_failure_puts_the_digests_back_to_be_sent_again(sender: Sender, trouble: str):
    rows = _plan_digests()
    settings = _temporarily_failing(sender, trouble)

    with pytest.raises(RetryLater):
        _send_digests(sender, settings)

    assert set(_statuses(rows).values()) == {DeliveryStatus.PENDING}
    assert _suppressed() == set()

    sender.notify.answer_all = None
    again = _send_digests(sender)

    assert again.sent == len(rows)
    assert set(_statuses(rows).values()) == {DeliveryStatus.SENT}


def test_a_rejected_key_is_logged_as_an_error_without_the_key(
    sender: Sender, caplog: pytest.LogCaptureFixture
):
    _plan_digests()

    with caplog.at_level(logging.ERROR, logger="matcher.mail.notify"), pytest.raises(RetryLater):
        _send_digests(sender, replace(sender.settings, notify_api_key=UNKNOWN_KEY))

    assert "rejected the API key" in caplog.text
    assert UNKNOWN_KEY[-36:] not in caplog.text


RECIPIENTS = [("ada@cumbria.police.uk", "Ada"), ("grace@cumbria.police.uk", "Grace")]


def _plan_notifications() -> dict[str, NotificationDelivery]:
    plan(
        db.session,
        message_key("notifications.organisation_verified", 1),
        RECIPIENTS,
        "Your organisation is verified",
        "organisation_verified",
        {"organisation_name": "Cumbria Constabulary", "sign_in_url": "https://matcher.example/"},
    )
    db.session.commit()
    rows = db.session.scalars(select(NotificationDelivery))
    return {row.email: row for row in rows}


def _notification_statuses(rows: dict[str, NotificationDelivery]) -> dict[str, DeliveryStatus]:
    for row in rows.values():
        db.session.refresh(row)
    return {email: row.status for email, row in rows.items()}


def test_a_notification_goes_through_its_kinds_template_with_its_row_as_reference(
    sender: Sender,
):
    rows = _plan_notifications()

    outcome = send_pending(db.session, sender.settings)

    assert outcome.sent == 2
    assert set(_notification_statuses(rows).values()) == {DeliveryStatus.SENT}
    received = sender.notify.received()
    assert sorted(request.email_address for request in received) == sorted(rows)
    for request in received:
        assert request.template_id == template_id("organisation_verified")
        assert request.reference == str(rows[request.email_address].id)
        assert request.personalisation["subject"] == "Your organisation is verified"
        assert "Cumbria Constabulary" in request.personalisation["body"]
        assert request.one_click_unsubscribe_url is None


def test_a_notification_to_an_address_notify_refuses_fails_alone_and_suppresses_it(
    sender: Sender,
):
    rows = _plan_notifications()
    sender.notify.answer_for["ada@cumbria.police.uk"] = INVALID_ADDRESS

    outcome = send_pending(db.session, sender.settings)

    assert (outcome.sent, outcome.failed) == (1, 1)
    assert _notification_statuses(rows) == {
        "ada@cumbria.police.uk": DeliveryStatus.FAILED,
        "grace@cumbria.police.uk": DeliveryStatus.SENT,
    }
    assert _suppressed() == {"ada@cumbria.police.uk"}


def test_a_notification_refused_for_our_request_fails_without_suppressing(sender: Sender):
    rows = _plan_notifications()
    sender.notify.answer_for["ada@cumbria.police.uk"] = TEAM_ONLY_KEY

    send_pending(db.session, sender.settings)

    assert _notification_statuses(rows)["ada@cumbria.police.uk"] == DeliveryStatus.FAILED
    assert _suppressed() == set()


@pytest.mark.parametrize("trouble", sorted(TEMPORARY))
def test_a_temporary_failure_defers_the_notification(sender: Sender, trouble: str):
    rows = _plan_notifications()
    settings = _temporarily_failing(sender, trouble)

    outcome = send_pending(db.session, settings)

    assert outcome.sent == outcome.failed == 0
    assert outcome.deferred >= 1
    assert set(_notification_statuses(rows).values()) == {DeliveryStatus.PENDING}
    assert _suppressed() == set()


def test_every_email_template_is_a_kind_notify_has_a_template_for():
    templates = {path.stem for path in TEMPLATES_DIR.glob("*.txt")}

    assert templates == set(MAIL_KINDS)
