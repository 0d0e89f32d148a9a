"""Digests through a real SMTP server, PostgreSQL, Redis and worker processes."""

from __future__ import annotations

import re
import signal
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select, update

from matcher.clock import london_today
from matcher.digests.periods import period_for
from matcher.digests.sending import (
    MAX_ATTEMPTS,
    Pacer,
    RetryLater,
    pending_ids,
    plan_period,
    recover,
    send_batch,
)
from matcher.extensions import db
from matcher.mail import mail_backend_for
from matcher.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    ErrorKind,
    SuppressedAddress,
    utcnow,
)
from tests import digest_world
from tests.smtp import SMTPSink
from tests.waiting import wait_until
from workers.digests import enqueue_batches

pytestmark = pytest.mark.integration

PERIOD = "2026-W48"
PERIOD_OVER = "2026-W40"


def _smtp_env(smtp: SMTPSink, **extra: str) -> dict[str, str]:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "DIGEST_RATE_PER_SECOND": "0",
        **extra,
    }


def _send_in_process(app: Flask, period: str = PERIOD):
    settings = app.config["MATCHER_SETTINGS"]
    return send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, period),
        lambda: mail_backend_for(settings),
        Pacer(0),
    )


def _per_recipient(smtp: SMTPSink) -> Counter[str]:
    return Counter(received.rcpt_tos[0] for received in smtp.messages())


def _message_ids(smtp: SMTPSink) -> Counter[str]:
    return Counter(str(received.message["Message-ID"]) for received in smtp.messages())


def _statuses() -> Counter[str]:
    db.session.rollback()
    return Counter(db.session.scalars(select(DigestDelivery.status)))


def test_planning_twice_sends_each_recipient_exactly_one_digest(service_app, smtp_server):
    app = service_app(**_smtp_env(smtp_server))
    with app.app_context():
        world = digest_world.build(db.session, 20, today=london_today())
        for _ in range(2):
            plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
            db.session.commit()
            _send_in_process(app)
        counts = _per_recipient(smtp_server)
        assert len(counts) == len(world.people) + 1
        assert set(counts.values()) == {1}
        assert set(_message_ids(smtp_server).values()) == {1}


def test_550_for_one_address_fails_that_delivery_and_suppresses_it(service_app, smtp_server):
    smtp_server.refuse["person3@example.gov.uk"] = "550 5.1.1 No such mailbox"
    app = service_app(**_smtp_env(smtp_server))
    with app.app_context():
        world = digest_world.build(db.session, 10, today=london_today())
        plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
        db.session.commit()
        outcome = _send_in_process(app)
        assert (outcome.sent, outcome.failed) == (10, 1)
        assert _statuses() == {DeliveryStatus.SENT: 10, DeliveryStatus.FAILED: 1}
        suppressed = db.session.get(SuppressedAddress, "person3@example.gov.uk")
        assert suppressed is not None and suppressed.reason == "bounced"
        counts = _per_recipient(smtp_server)
        assert "person3@example.gov.uk" not in counts
        assert len(counts) == len(world.people) and set(counts.values()) == {1}


def test_refusals_for_now_fail_a_delivery_only_after_its_period_and_send_resends_it(
    service_app, smtp_server
):
    app = service_app(**_smtp_env(smtp_server))
    with app.app_context():
        digest_world.build(db.session, 3, today=london_today())
        current = period_for(DigestKind.WEEKLY, utcnow())
        for period in (current, PERIOD_OVER):
            plan_period(db.session, DigestKind.WEEKLY, period, utcnow())
        # One more refusal each and they have been tried MAX_ATTEMPTS times.
        db.session.execute(update(DigestDelivery).values(attempts=MAX_ATTEMPTS - 1))
        db.session.commit()
        for period in (current, PERIOD_OVER):
            smtp_server.refuse_next = 1
            with pytest.raises(RetryLater):
                _send_in_process(app, period)
        failed = db.session.scalars(
            select(DigestDelivery).where(DigestDelivery.status == DeliveryStatus.FAILED)
        ).all()
        # Only the one tried, and only in the period that is over.
        assert [(row.period, row.last_error_kind, row.attempts) for row in failed] == [
            (PERIOD_OVER, ErrorKind.TEMPORARY, MAX_ATTEMPTS)
        ]
        assert _statuses() == {DeliveryStatus.PENDING: 7, DeliveryStatus.FAILED: 1}
        result = app.test_cli_runner().invoke(args=["digests", "send", "--period", PERIOD_OVER])
        assert "1 failed for now to try again" in result.output, result.output
        assert _statuses() == {DeliveryStatus.PENDING: 4, DeliveryStatus.SENT: 4}
        assert len(smtp_server.per_recipient()) == 4


def test_one_click_unsubscribe_stops_the_next_digest(service_app, smtp_server):
    app = service_app(**_smtp_env(smtp_server))
    with app.app_context():
        digest_world.build(db.session, 3, today=london_today())
        plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
        db.session.commit()
        _send_in_process(app)
        message = next(
            r.message for r in smtp_server.messages() if r.rcpt_tos == ["person0@example.gov.uk"]
        )
        url = str(message["List-Unsubscribe"]).strip("<>")
        path = url.removeprefix(app.config["MATCHER_SETTINGS"].base_url)
        client = app.test_client(use_cookies=False)
        tampered = client.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"})
        assert tampered.status_code == 400
        assert client.get(path).status_code == 200
        response = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        db.session.rollback()
        smtp_server.received.clear()
        plan_period(db.session, DigestKind.WEEKLY, "2026-W49", utcnow())
        db.session.commit()
        _send_in_process(app, "2026-W49")
        assert "person0@example.gov.uk" not in _per_recipient(smtp_server)


def test_every_message_parses_with_both_parts_headers_and_working_links(service_app, smtp_server):
    app = service_app(**_smtp_env(smtp_server))
    with app.app_context():
        digest_world.build(db.session, 3, today=london_today())
        plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
        db.session.commit()
        _send_in_process(app)
        base_url = app.config["MATCHER_SETTINGS"].base_url
        client = app.test_client(use_cookies=False)
        messages = [received.message for received in smtp_server.messages()]
        assert len(messages) == 4
        for message in messages:
            assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"]
            assert message["Date"] and message["From"] and message["Reply-To"]
            text = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            links = set(re.findall(re.escape(base_url) + r"[^\s\"<>]*", text + html))
            assert links
            for link in links:
                path = link.removeprefix(base_url).split("#")[0] or "/"
                response = client.get(path, follow_redirects=True)
                assert response.status_code == 200, link


def _wait_until_all_sent(smtp: SMTPSink, expected: int) -> None:
    """Wait until every delivery is sent and its message arrived; no copy can follow after."""
    wait_until(lambda: _statuses() == {DeliveryStatus.SENT: expected}, 60, "every delivery sent")
    wait_until(lambda: len(smtp.messages()) >= expected, 10, "every digest to arrive")


def _worker_env(postgres_url: str, redis_url: str, smtp: SMTPSink, **extra: str) -> dict:
    return {
        "DATABASE_URL": postgres_url,
        "CELERY_BROKER_URL": redis_url,
        "DIGEST_BATCH_SIZE": "50",
        **_smtp_env(smtp, **extra),
    }


def test_a_worker_killed_mid_batch_leaves_every_recipient_exactly_one_digest(
    service_app, smtp_server, redis_server, celery_worker_process, postgres_url
):
    env = _worker_env(postgres_url, redis_server.url, smtp_server, DIGEST_CLAIM_TIMEOUT_SECONDS="2")
    app = service_app(**{key: value for key, value in env.items() if key != "DATABASE_URL"})
    with app.app_context():
        world = digest_world.build(db.session, 1000, today=london_today())
        expected = len(world.people) + 1
        plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
        db.session.commit()
        ids = pending_ids(db.session, PERIOD)
        db.session.rollback()
        worker = celery_worker_process(**env)
        enqueue_batches(ids, 50)
        wait_until(lambda: len(smtp_server.messages()) >= 300, 60, "the first 300 digests")
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait()
        arrived_before_restart = len(smtp_server.messages())
        assert arrived_before_restart < expected
        celery_worker_process(**env)
        # What the beat's recovery job does, once the claims are stale.
        lost = wait_until(
            lambda: recover(db.session, claim_timeout_seconds=2, reenqueue_after_seconds=2),
            30,
            "the killed batch's claims to go stale",
        )
        enqueue_batches(lost, 50)
        _wait_until_all_sent(smtp_server, expected)
        counts = _per_recipient(smtp_server)
        assert len(counts) == expected
        assert set(counts.values()) == {1}
        assert set(_message_ids(smtp_server).values()) == {1}
        assert _statuses() == {DeliveryStatus.SENT: expected}


def test_a_server_answering_421_for_a_while_gets_everything_once_after(
    service_app, smtp_server, redis_server, celery_worker_process, postgres_url
):
    smtp_server.refuse_all = "421 4.3.2 Service not available, try later"
    env = _worker_env(postgres_url, redis_server.url, smtp_server, DIGEST_RETRY_BASE_SECONDS="0.2")
    app = service_app(**{key: value for key, value in env.items() if key != "DATABASE_URL"})
    with app.app_context():
        world = digest_world.build(db.session, 120, today=london_today())
        expected = len(world.people) + 1
        plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
        db.session.commit()
        ids = pending_ids(db.session, PERIOD)
        db.session.rollback()
        worker = celery_worker_process(**env)
        enqueue_batches(ids, 50)
        wait_until(lambda: worker.log().count("retry in") >= 3, 30, "retries")
        assert smtp_server.messages() == []
        smtp_server.refuse_all = None
        _wait_until_all_sent(smtp_server, expected)
        counts = _per_recipient(smtp_server)
        assert len(counts) == expected and set(counts.values()) == {1}
        assert _statuses() == {DeliveryStatus.SENT: expected}
