"""A change written through the outbox reaches a real worker, once, even past a dead broker."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from matcher.events import ORGANISATION_VERIFIED
from matcher.extensions import db
from matcher.models import MembershipRole, OutboxEvent, Role
from matcher.services.organisations import verify_organisation
from tests import builders
from tests.conftest import make_settings, migrated_app
from tests.services import redis_database_url
from tests.smtp import SMTPSink
from tests.waiting import stays_true, wait_until

QUIET_SECONDS = 3


def task_results(log: str) -> list[str]:
    """The return values the worker logged for the organisation-verified task, in order."""
    pattern = re.escape(ORGANISATION_VERIFIED) + r"\[[^\]]+\] succeeded in [\d.]+s: (\w+)"
    return re.findall(pattern, log)


def seed_organisation() -> tuple[int, int, str]:
    """A platform administrator and a proposed organisation with one admin and one member."""
    platform_admin = builders.user(db.session, role=Role.ADMINISTRATOR)
    organisation = builders.organisation(db.session)
    org_admin = builders.user(db.session, role=Role.ORGANISATION_MEMBER)
    member = builders.user(db.session, role=Role.ORGANISATION_MEMBER)
    builders.membership(db.session, org_admin, organisation, MembershipRole.ADMIN)
    builders.membership(db.session, member, organisation)
    db.session.commit()
    return platform_admin.id, organisation.id, org_admin.email


def verify_and_commit(actor_id: int, organisation_id: int) -> int:
    """Verify through the service as a view would, commit, and return the outbox event's id."""
    verify_organisation(db.session, actor_id=actor_id, organisation_id=organisation_id)
    db.session.commit()
    return db.session.scalars(select(OutboxEvent.id)).one()


def settled(event: OutboxEvent) -> OutboxEvent | None:
    """``event`` once no relay holds a claim on it, else None."""
    return event if event.dispatched_at is None else None


def stored_event(event_id: int) -> OutboxEvent:
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event_id)
    assert event is not None
    return event


def smtp_worker_environment(postgres_url: str, broker_url: str, smtp: SMTPSink) -> dict[str, str]:
    return {
        "DATABASE_URL": postgres_url,
        "CELERY_BROKER_URL": broker_url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
    }


def test_a_verified_organisations_admin_is_emailed_once_by_a_real_worker(
    service_app, celery_worker_process, smtp_server: SMTPSink, postgres_url: str
):
    broker_url = redis_database_url()
    app: Flask = service_app(CELERY_BROKER_URL=broker_url)
    worker = celery_worker_process(**smtp_worker_environment(postgres_url, broker_url, smtp_server))
    with app.app_context():
        actor_id, organisation_id, admin_email = seed_organisation()
        event_id = verify_and_commit(actor_id, organisation_id)

        [received] = smtp_server.wait_for(1)
        assert received.rcpt_tos == [admin_email]
        assert received.message["Subject"] == "Your organisation is verified"
        assert received.message.get_body(("plain",)) is not None
        assert received.message.get_body(("html",)) is not None
        wait_until(lambda: stored_event(event_id).processed_at is not None)

        # A second delivery of the same event, as after a redelivery or a double publish.
        app.extensions["celery"].send_task(ORGANISATION_VERIFIED, kwargs={"event_id": event_id})
        results = wait_until(
            lambda: len(task_results(worker.log())) == 2 and task_results(worker.log())
        )
        assert results == ["True", "False"]
        assert len(smtp_server.messages()) == 1


def test_a_change_made_while_the_broker_is_down_is_sent_once_it_is_back(
    service_app, celery_worker_process, smtp_server: SMTPSink, redis_server, postgres_url: str
):
    app: Flask = service_app(CELERY_BROKER_URL=redis_server.url, BROKER_PUBLISH_TIMEOUT_SECONDS="1")
    celery_worker_process(
        **smtp_worker_environment(postgres_url, redis_server.url, smtp_server),
        BROKER_PUBLISH_TIMEOUT_SECONDS="1",
    )
    with app.app_context():
        actor_id, organisation_id, admin_email = seed_organisation()
        redis_server.kill()

        started = time.monotonic()
        event_id = verify_and_commit(actor_id, organisation_id)
        assert time.monotonic() - started < 5
        # A relay may be between claiming the event and putting it back: once it is back, the
        # failed publish is uncounted and its error kept.
        event = wait_until(lambda: settled(stored_event(event_id)))
        assert event.processed_at is None
        assert event.publish_attempts == 0
        assert event.last_error is not None
        assert smtp_server.messages() == []

        redis_server.start()
        [received] = smtp_server.wait_for(1, timeout=45)
        assert received.rcpt_tos == [admin_email]
        wait_until(lambda: stored_event(event_id).processed_at is not None)
        assert stays_true(lambda: len(smtp_server.messages()) == 1, QUIET_SECONDS)
        assert stored_event(event_id).processed_at is not None


def test_a_worker_on_the_embedded_default_writes_the_email_to_the_outbox_folder(
    tmp_path: Path, celery_worker_process
):
    instance = tmp_path / "embedded"
    app = migrated_app(make_settings(instance))
    celery_worker_process(INSTANCE_DIR=str(instance))
    outbox_dir = instance / "outbox"
    try:
        with app.app_context():
            actor_id, organisation_id, admin_email = seed_organisation()
            event_id = verify_and_commit(actor_id, organisation_id)

            [path] = wait_until(lambda: list(outbox_dir.glob("*.eml")))
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert message["To"].addresses[0].addr_spec == admin_email
            assert message.get_body(("html",)) is not None
            wait_until(lambda: stored_event(event_id).processed_at is not None)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_empty_message_file_left_in_the_broker_folder_does_not_stop_the_worker(
    tmp_path: Path, celery_worker_process
):
    # kombu's filesystem transport creates a message file before writing it, so a worker could
    # read it empty and die; the embedded default keeps its messages elsewhere.
    instance = tmp_path / "embedded"
    queue_folder = instance / "broker" / "queue"
    queue_folder.mkdir(parents=True)
    (queue_folder / "1_00000000-0000-4000-8000-000000000000.email.msg").write_bytes(b"")
    app = migrated_app(make_settings(instance))
    worker = celery_worker_process(INSTANCE_DIR=str(instance))
    try:
        with app.app_context():
            actor_id, organisation_id, _ = seed_organisation()
            event_id = verify_and_commit(actor_id, organisation_id)

            wait_until(lambda: list((instance / "outbox").glob("*.eml")))
            wait_until(lambda: stored_event(event_id).processed_at is not None)
            assert worker.process.poll() is None
            assert "JSONDecodeError" not in worker.log()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
