"""Transactional outbox: record work in the caller's transaction, publish it once committed.

A service calls ``record_event`` inside its transaction. After the commit, a session hook
publishes the ids that transaction recorded (low latency); the relay in every worker process
(``workers.relay``) sweeps whatever is still pending, so an event written while the broker was
down is published once it is back. Publishing claims each event first, so two publishers do not
normally send the same event twice; the task that consumes it is idempotent for when they do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as RequestSession
from sqlalchemy import ColumnElement, and_, delete, event, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from matcher.database import rows_changed
from matcher.extensions import db
from matcher.models import OutboxEvent, utcnow
from matcher.observability.context import current_request_id
from matcher.observability.tasks import request_id_header

logger = logging.getLogger(__name__)

# A claimed event whose task has not finished after this long is published again: it covers a
# publisher that died between claim and publish. Longer than any retry delay of a task, so a
# task waiting to retry is not normally published twice (and a second copy would be harmless).
CLAIM_LEASE = timedelta(minutes=30)
# An event whose task has reached the broker this many times without finishing is a poison
# message: it stays in the table with its last error for an operator instead of looping forever.
MAX_PUBLISHES = 5
SWEEP_BATCH_SIZE = 100
_SESSION_KEY = "matcher.outbox.recorded"
_ERROR_LIMIT = 300


class UnknownTask(LookupError):
    """An outbox event names a task that no worker module registers."""


@dataclass(frozen=True)
class Claimed:
    """An event claimed for publishing."""

    id: int
    task_name: str
    claimed_at: datetime
    request_id: str | None = None


class PayloadNotIds(ValueError):
    """An outbox payload holds something other than ids, which could be personal data."""


def _check_ids_only(payload: dict[str, Any]) -> None:
    # Events outlive what they name for the retention period (and for ever if never
    # processed), so they hold ids only; the task loads addresses and names by id.
    for key, value in payload.items():
        if not key.endswith("_id") or isinstance(value, bool) or not isinstance(value, int):
            raise PayloadNotIds(f"outbox payloads hold ids only; {key!r} is not an id")


def record_event(session: Session, task_name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Add an event to the caller's transaction; it is published after that transaction commits.

    ``payload`` maps names ending in ``_id`` to integer ids, nothing else (``PayloadNotIds``).
    """
    _check_ids_only(payload)
    event = OutboxEvent(
        task_name=task_name,
        payload=payload,
        publish_attempts=0,
        request_id=current_request_id(),
    )
    session.add(event)
    session.flush([event])
    session.info.setdefault(_SESSION_KEY, []).append(event.id)
    return event


def purge_processed(session: Session, retention: timedelta, now: datetime | None = None) -> int:
    """Delete events processed longer than ``retention`` ago; the number deleted (caller commits).

    Events not yet processed stay, however old: they are work still to do, or poison events
    an operator has to look at.
    """
    cutoff = (now or utcnow()) - retention
    return rows_changed(
        session,
        delete(OutboxEvent)
        .where(OutboxEvent.processed_at.is_not(None), OutboxEvent.processed_at < cutoff)
        .execution_options(synchronize_session=False),
    )


def _publishable(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxEvent.processed_at.is_(None),
        OutboxEvent.publish_attempts < MAX_PUBLISHES,
        or_(
            OutboxEvent.dispatched_at.is_(None),
            OutboxEvent.dispatched_at < now - CLAIM_LEASE,
        ),
    )


def claim_events(
    connection: Connection, ids: Iterable[int] | None = None, limit: int = SWEEP_BATCH_SIZE
) -> list[Claimed]:
    """Mark up to ``limit`` publishable events as dispatched and return them (caller commits)."""
    now = utcnow()
    candidates = (
        select(OutboxEvent.id).where(_publishable(now)).order_by(OutboxEvent.id).limit(limit)
    )
    if ids is not None:
        candidates = candidates.where(OutboxEvent.id.in_(list(ids)))
    if connection.dialect.name == "postgresql":
        # Concurrent relays skip rows another one is claiming instead of queueing behind it.
        candidates = candidates.with_for_update(skip_locked=True)
    rows = connection.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(candidates.scalar_subquery()), _publishable(now))
        .values(dispatched_at=now, publish_attempts=OutboxEvent.publish_attempts + 1)
        .returning(OutboxEvent.id, OutboxEvent.task_name, OutboxEvent.request_id)
    ).all()
    return sorted(
        (
            Claimed(id=row.id, task_name=row.task_name, claimed_at=now, request_id=row.request_id)
            for row in rows
        ),
        key=lambda claimed: claimed.id,
    )


def release_claim(connection: Connection, claimed: Claimed, error: str) -> None:
    """Put a claim back after a failed publish, keeping the error (caller commits).

    The attempt is uncounted: ``publish_attempts`` counts messages that reached the broker, so
    a long broker outage does not turn healthy events into poison ones.
    """
    connection.execute(
        update(OutboxEvent)
        .where(
            OutboxEvent.id == claimed.id,
            OutboxEvent.dispatched_at == claimed.claimed_at,
            OutboxEvent.processed_at.is_(None),
        )
        .values(
            dispatched_at=None,
            publish_attempts=OutboxEvent.publish_attempts - 1,
            last_error=error[:_ERROR_LIMIT],
        )
    )


def publish(celery: Celery, claimed: Claimed) -> None:
    """Send the task for one claimed event, failing fast if the broker is down.

    The Celery app's router (``task_routes``) puts the message on the task's own queue.
    """
    if claimed.task_name not in celery.tasks:
        raise UnknownTask(f"no task is registered as {claimed.task_name!r}")
    # retry=False: a dead broker must fail this call within the connection timeout instead of
    # holding up a web request; the relay publishes the event later.
    celery.send_task(
        claimed.task_name,
        kwargs={"event_id": claimed.id},
        retry=False,
        headers=request_id_header(claimed.request_id),
    )


def describe_error(error: BaseException) -> str:
    """A short error text for ``last_error``: the exception type and message, no payload."""
    return f"{type(error).__name__}: {error}"[:_ERROR_LIMIT]


def dispatch(engine: Engine, celery: Celery, ids: Iterable[int] | None = None) -> int:
    """Claim and publish pending events (``ids`` only, or any); return how many were published.

    Stops at the first publish failure: the broker is down, and trying every other event would
    only multiply the wait.
    """
    published = 0
    while True:
        with engine.begin() as connection:
            batch = claim_events(connection, ids)
        if not batch:
            return published
        for index, claimed in enumerate(batch):
            try:
                publish(celery, claimed)
            except UnknownTask as error:
                # A deployment problem with this one event, not a broker outage: keep the
                # reason on the event and go on with the others.
                logger.error("outbox: event %s: %s", claimed.id, error)
                with engine.begin() as connection:
                    release_claim(connection, claimed, describe_error(error))
                continue
            except Exception as error:
                logger.warning(
                    "outbox: publishing event %s (%s) failed: %s",
                    claimed.id,
                    claimed.task_name,
                    describe_error(error),
                )
                with engine.begin() as connection:
                    for unpublished in batch[index:]:
                        release_claim(connection, unpublished, describe_error(error))
                return published
            published += 1
        if ids is not None or len(batch) < SWEEP_BATCH_SIZE:
            return published


def dispatch_pending(flask_app: Flask) -> int:
    """Publish every pending event of ``flask_app``'s database; used by the relay."""
    with flask_app.app_context():
        return dispatch(db.engine, flask_app.extensions["celery"])


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint was released: the outer transaction, and so the events, are not
        # committed yet.
        return
    ids = session.info.pop(_SESSION_KEY, None)
    if not ids or not has_app_context():
        return
    try:
        dispatch(db.engine, current_app.extensions["celery"], ids)
    except Exception:
        # The change is committed and the relay will publish its events; the caller must not
        # see an error for work that succeeded.
        logger.exception("outbox: immediate dispatch failed; the relay will retry")


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)


def install_commit_hook() -> None:
    """Publish the events a Flask-SQLAlchemy session recorded right after it commits."""
    if not event.contains(RequestSession, "after_commit", _after_commit):
        event.listen(RequestSession, "after_commit", _after_commit)
        event.listen(RequestSession, "after_soft_rollback", _after_soft_rollback)
