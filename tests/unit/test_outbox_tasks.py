"""Outbox-triggered tasks run their handler once per event, however often they are delivered."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.utils.time import get_exponential_backoff_interval
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from matcher import create_app
from matcher.events import PERSON_CHANGED
from matcher.extensions import db
from matcher.models import OutboxEvent, utcnow
from tests.conftest import make_settings
from workers.outbox_tasks import MAX_RETRIES, Event, outbox_task, process_event, purge_outbox
from workers.queues import MAX_RETRY_DELAY_SECONDS, QUEUE_DEFAULT, TASK_QUEUES
from workers.schedule import beat_schedule


def _stored_event(payload: dict[str, Any]) -> int:
    event = OutboxEvent(task_name="test.event", payload=payload, publish_attempts=0)
    db.session.add(event)
    db.session.commit()
    return event.id


def test_the_handler_runs_once_however_often_the_event_is_delivered(app: Flask):
    event_id = _stored_event({"n": 1})
    seen: list[Event] = []

    def handler(session: Session, event: Event) -> None:
        seen.append(event)

    assert process_event(db.session, event_id, handler) is True
    assert process_event(db.session, event_id, handler) is False
    assert process_event(db.session, event_id + 1000, handler) is False
    assert seen == [Event(event_id, {"n": 1})]
    db.session.expire_all()
    assert db.session.get(OutboxEvent, event_id).processed_at is not None


def test_a_failing_handler_leaves_the_event_unprocessed_and_its_writes_undone(app: Flask):
    event_id = _stored_event({})

    def handler(session: Session, event: Event) -> None:
        session.add(OutboxEvent(task_name="follow.up", payload={}, publish_attempts=0))
        session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        process_event(db.session, event_id, handler)
    db.session.rollback()
    events = db.session.query(OutboxEvent).all()
    assert [(event.id, event.processed_at) for event in events] == [(event_id, None)]


def _failing_task(name: str, error: Exception, calls: list[int]):
    def handler(session: Session, event: Event) -> None:
        calls.append(event.id)
        session.add(OutboxEvent(task_name="follow.up", payload={}, publish_attempts=0))
        session.flush()
        raise error

    return outbox_task(name, queue=QUEUE_DEFAULT)(handler)


def test_a_transient_failure_is_retried_by_celery_and_recorded_when_retries_run_out(
    app: Flask,
):
    calls: list[int] = []
    task = _failing_task("test.flaky", OperationalError("SELECT", {}, Exception("gone")), calls)
    event_id = _stored_event({})

    # Run eagerly, Celery performs each retry at once instead of after its countdown.
    assert task.apply(args=[event_id]).state == "FAILURE"

    assert calls == [event_id] * (MAX_RETRIES + 1)
    db.session.expire_all()
    event = db.session.get(OutboxEvent, event_id)
    assert (event.processed_at, event.last_error) == (None, "task failed: OperationalError")
    assert db.session.scalars(select(OutboxEvent.task_name)).all() == ["test.event"]


def test_a_failure_that_no_retry_mends_is_recorded_at_once(app: Flask):
    calls: list[int] = []
    task = _failing_task("test.broken", KeyError("placement_id"), calls)
    event_id = _stored_event({})

    assert task.apply(args=[event_id]).state == "FAILURE"

    assert calls == [event_id]
    db.session.expire_all()
    assert db.session.get(OutboxEvent, event_id).last_error == "task failed: KeyError"


def test_retry_delays_grow_and_stay_below_the_brokers_limit(app: Flask):
    task = app.extensions["celery"].tasks[PERSON_CHANGED]
    bounds = [
        get_exponential_backoff_interval(
            task.retry_backoff, retries, task.retry_backoff_max, full_jitter=False
        )
        for retries in range(task.max_retries + 1)
    ]
    assert task.max_retries == MAX_RETRIES
    assert bounds[:3] == [5, 10, 20]
    assert bounds == sorted(bounds)
    assert max(bounds) < MAX_RETRY_DELAY_SECONDS
    jittered = {
        get_exponential_backoff_interval(task.retry_backoff, 3, task.retry_backoff_max, True)
        for _ in range(50)
    }
    assert len(jittered) > 1


def test_the_purge_task_keeps_processed_events_for_the_configured_retention(
    tmp_path: Path, sqlite_template: Path
):
    shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
    app = create_app(make_settings(tmp_path, OUTBOX_RETENTION_DAYS="2"))
    with app.app_context():
        now = utcnow()
        for days_ago in (3, 1):
            db.session.add(
                OutboxEvent(
                    task_name="test.event",
                    payload={"n": days_ago},
                    publish_attempts=1,
                    processed_at=now - timedelta(days=days_ago),
                )
            )
        db.session.commit()

        assert purge_outbox.run() == 1
        assert [event.payload for event in db.session.scalars(select(OutboxEvent))] == [{"n": 1}]
        db.session.remove()
        db.engine.dispose()


def test_every_beat_entry_names_a_task_the_workers_register(app: Flask):
    celery = app.extensions["celery"]
    entries = beat_schedule(app.config["MATCHER_SETTINGS"])

    assert entries["outbox-purge"]["task"] == purge_outbox.name
    for entry in entries.values():
        assert entry["task"] in celery.tasks
        assert TASK_QUEUES[entry["task"]] == entry["options"]["queue"]
