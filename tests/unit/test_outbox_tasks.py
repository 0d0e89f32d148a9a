"""Outbox-triggered tasks run their handler once per event, however often they are delivered."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matcher.extensions import db
from matcher.models import OutboxEvent
from workers.app import MAX_RETRY_DELAY_SECONDS
from workers.outbox_tasks import MAX_RETRIES, process_event, retry_delay


def _stored_event(payload: dict[str, Any]) -> int:
    event = OutboxEvent(task_name="test.event", payload=payload, publish_attempts=0)
    db.session.add(event)
    db.session.commit()
    return event.id


def test_the_handler_runs_once_however_often_the_event_is_delivered(app: Flask):
    event_id = _stored_event({"n": 1})
    seen: list[dict[str, Any]] = []

    def handler(session: Session, payload: dict[str, Any]) -> None:
        seen.append(payload)

    assert process_event(db.session, event_id, handler) is True
    assert process_event(db.session, event_id, handler) is False
    assert process_event(db.session, event_id + 1000, handler) is False
    assert seen == [{"n": 1}]
    db.session.expire_all()
    assert db.session.get(OutboxEvent, event_id).processed_at is not None


def test_a_failing_handler_leaves_the_event_unprocessed_and_its_writes_undone(app: Flask):
    event_id = _stored_event({})

    def handler(session: Session, payload: dict[str, Any]) -> None:
        session.add(OutboxEvent(task_name="follow.up", payload={}, publish_attempts=0))
        session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        process_event(db.session, event_id, handler)
    db.session.rollback()
    events = db.session.query(OutboxEvent).all()
    assert [(event.id, event.processed_at) for event in events] == [(event_id, None)]


def test_retry_delays_grow_and_stay_below_the_brokers_limit():
    for retries in range(MAX_RETRIES + 1):
        ceiling = min(MAX_RETRY_DELAY_SECONDS / 2, 5 * 2**retries)
        delays = [retry_delay(retries) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling < MAX_RETRY_DELAY_SECONDS for delay in delays)
        assert len(set(delays)) > 1
