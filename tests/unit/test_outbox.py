"""The transactional outbox: events join the caller's transaction and are claimed once."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select, update

from matcher import outbox
from matcher.events import ORGANISATION_VERIFIED
from matcher.extensions import db
from matcher.models import OutboxEvent, utcnow
from tests.conftest import make_settings, migrated_app
from tests.waiting import unused_port


def _stored_event(payload: dict | None = None) -> int:
    """An event committed without the after-commit publish, as if its publisher had died."""
    event = OutboxEvent(task_name=ORGANISATION_VERIFIED, payload=payload or {}, publish_attempts=0)
    db.session.add(event)
    db.session.commit()
    return event.id


def _event(event_id: int) -> OutboxEvent:
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event_id)
    assert event is not None
    return event


def _claim() -> list[int]:
    with db.engine.begin() as connection:
        return [claimed.id for claimed in outbox.claim_events(connection)]


def _queued(app: Flask) -> list[dict]:
    """The task messages waiting in the embedded broker's SQLite file."""
    path = app.config["MATCHER_SETTINGS"].instance_dir / "broker.sqlite3"
    if not path.exists():
        return []
    with closing(sqlite3.connect(path)) as broker:
        rows = broker.execute(
            "SELECT payload FROM kombu_message WHERE visible ORDER BY id"
        ).fetchall()
    return [json.loads(payload) for (payload,) in rows]


def test_record_event_joins_the_callers_transaction_without_committing(app: Flask):
    event = outbox.record_event(db.session, ORGANISATION_VERIFIED, {"organisation_id": 1})
    assert event.id is not None
    db.session.rollback()
    assert db.session.scalars(select(OutboxEvent)).all() == []
    assert _queued(app) == []


def test_an_event_is_claimed_once_until_its_claim_is_released(app: Flask):
    event_id = _stored_event()
    claimed_at = utcnow()
    assert _claim() == [event_id]
    assert _claim() == []

    event = _event(event_id)
    assert event.dispatched_at is not None and event.dispatched_at >= claimed_at
    assert event.publish_attempts == 1

    with db.engine.begin() as connection:
        claim = outbox.Claimed(event_id, ORGANISATION_VERIFIED, event.dispatched_at)
        outbox.release_claim(connection, claim, "OperationalError: broker down")
    event = _event(event_id)
    assert (event.dispatched_at, event.last_error) == (None, "OperationalError: broker down")
    assert event.publish_attempts == 0
    assert _claim() == [event_id]
    assert _event(event_id).publish_attempts == 1


def test_an_event_published_too_often_without_finishing_is_left_for_an_operator(app: Flask):
    poison, healthy = _stored_event(), _stored_event()
    long_ago = utcnow() - outbox.CLAIM_LEASE - timedelta(seconds=1)
    db.session.execute(update(OutboxEvent).values(dispatched_at=long_ago))
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == poison)
        .values(publish_attempts=outbox.MAX_PUBLISHES)
    )
    db.session.commit()

    assert _claim() == [healthy]


def test_a_claim_older_than_the_lease_is_taken_again_but_processed_events_never(app: Flask):
    stale, processed = _stored_event(), _stored_event()
    long_ago = utcnow() - outbox.CLAIM_LEASE - timedelta(seconds=1)
    db.session.execute(update(OutboxEvent).values(dispatched_at=long_ago))
    db.session.execute(
        update(OutboxEvent).where(OutboxEvent.id == processed).values(processed_at=utcnow())
    )
    db.session.commit()
    assert _claim() == [stale]
    assert _claim() == []


def test_commit_publishes_the_recorded_event_to_the_tasks_queue(app: Flask):
    event = outbox.record_event(db.session, ORGANISATION_VERIFIED, {"organisation_id": 7})
    db.session.commit()

    [message] = _queued(app)
    assert message["headers"]["task"] == ORGANISATION_VERIFIED
    assert message["properties"]["delivery_info"]["routing_key"] == "email"
    stored = _event(event.id)
    assert stored.dispatched_at is not None
    assert stored.processed_at is None
    # The relay finds nothing left to publish.
    assert outbox.dispatch_pending(app) == 0
    assert len(_queued(app)) == 1


def test_an_event_for_an_unknown_task_stays_pending_without_holding_up_the_others(app: Flask):
    event_id = _stored_event()
    db.session.execute(update(OutboxEvent).values(task_name="no.such.task"))
    db.session.commit()
    healthy_id = _stored_event()

    assert outbox.dispatch_pending(app) == 1
    event = _event(event_id)
    assert event.dispatched_at is None
    assert event.last_error.startswith("UnknownTask")
    assert _event(healthy_id).dispatched_at is not None
    assert [m["headers"]["task"] for m in _queued(app)] == [ORGANISATION_VERIFIED]


def test_releasing_a_savepoint_publishes_nothing_until_the_transaction_commits(app: Flask):
    with db.session.begin_nested():
        event = outbox.record_event(db.session, ORGANISATION_VERIFIED, {"organisation_id": 3})
    assert _queued(app) == []

    db.session.commit()

    assert len(_queued(app)) == 1
    assert _event(event.id).dispatched_at is not None


def test_a_dead_broker_fails_the_commit_hook_fast_and_leaves_the_event_pending(
    tmp_path: Path, sqlite_template: Path
):
    (tmp_path / "matcher.sqlite3").write_bytes(sqlite_template.read_bytes())
    settings = make_settings(
        tmp_path,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{unused_port()}/0",
        BROKER_PUBLISH_TIMEOUT_SECONDS="0.5",
    )
    app = migrated_app(settings)
    with app.app_context():
        event = outbox.record_event(db.session, ORGANISATION_VERIFIED, {"organisation_id": 1})
        started = time.monotonic()
        db.session.commit()
        assert time.monotonic() - started < 5

        stored = _event(event.id)
        assert stored.dispatched_at is None
        assert stored.publish_attempts == 0
        assert stored.last_error.startswith("OperationalError")
        db.session.remove()
        db.engine.dispose()


def test_purge_deletes_only_events_processed_longer_ago_than_the_retention(app: Flask):
    now = utcnow()
    retention = timedelta(days=7)
    old_processed, recent_processed, old_pending, old_poison = (_stored_event() for _ in range(4))
    db.session.execute(update(OutboxEvent).values(created_at=now - timedelta(days=30)))
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == old_processed)
        .values(processed_at=now - retention - timedelta(seconds=1))
    )
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == recent_processed)
        .values(processed_at=now - retention + timedelta(minutes=1))
    )
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == old_poison)
        .values(publish_attempts=outbox.MAX_PUBLISHES, dispatched_at=now - timedelta(days=30))
    )
    db.session.commit()

    assert outbox.purge_processed(db.session, retention, now) == 1
    db.session.commit()

    remaining = db.session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)).all()
    assert remaining == [recent_processed, old_pending, old_poison]
