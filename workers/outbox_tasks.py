"""Tasks triggered by outbox events, each safe to receive twice.

``@outbox_task(name, queue=...)`` turns ``handler(session, event)`` into a Celery task that
takes an ``event_id``. In one transaction the task marks the event processed (only if it is not
already), runs the handler and commits; a redelivered or doubly published message finds the
event processed and does nothing. If the handler fails, the transaction rolls back, so the event
stays unprocessed: transient errors retry with Celery's own bounded, jittered exponential
backoff; anything else is recorded on the event and the relay publishes it again once its claim
lease expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Task
from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from matcher.extensions import db
from matcher.mail import MailError, TransientMailError
from matcher.models import OutboxEvent, utcnow
from matcher.outbox import purge_processed
from workers.queues import MAX_RETRY_DELAY_SECONDS, QUEUE_DEFAULT, queued_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """An outbox event as its handler sees it: the event's id, the same on every redelivery
    and different for every event, and its payload of ids."""

    id: int
    payload: dict[str, Any]


Handler = Callable[[Session, Event], None]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientMailError, OperationalError)
MAX_RETRIES = 10
RETRY_BASE_DELAY_SECONDS = 5
RETRY_DELAY_CAP_SECONDS = MAX_RETRY_DELAY_SECONDS // 2


def process_event(session: Session, event_id: int, handler: Handler) -> bool:
    """Mark the event processed, run ``handler`` and commit; False if it was already done."""
    payload = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.processed_at.is_(None))
        .values(processed_at=utcnow())
        .returning(OutboxEvent.payload)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if payload is None:
        session.rollback()
        return False
    handler(session, Event(event_id, payload))
    session.commit()
    return True


def _safe_description(error: BaseException) -> str:
    # Mail errors are written to carry no address; other messages may quote row values.
    if isinstance(error, MailError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


def _note_failure(event_id: int, error: BaseException) -> None:
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.processed_at.is_(None))
        .values(last_error=f"task failed: {_safe_description(error)}")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def outbox_task(
    name: str, *, queue: str, retry_on: tuple[type[BaseException], ...] = ()
) -> Callable[[Handler], Task]:
    """Register ``handler(session, event)`` as the idempotent task ``name`` on ``queue``."""
    transient = TRANSIENT_ERRORS + retry_on

    def decorate(handler: Handler) -> Task:
        # Celery retries the transient errors: 5 s, 10 s, 20 s ... capped, each drawn at random
        # below its bound so tasks that failed together do not retry in step.
        @queued_task(
            name,
            queue=queue,
            bind=True,
            max_retries=MAX_RETRIES,
            autoretry_for=transient,
            retry_backoff=RETRY_BASE_DELAY_SECONDS,
            retry_backoff_max=RETRY_DELAY_CAP_SECONDS,
            retry_jitter=True,
        )
        def run(self: Task, event_id: int) -> bool:
            try:
                return process_event(db.session, event_id, handler)
            except Exception as error:
                db.session.rollback()
                if isinstance(error, transient) and self.request.retries < self.max_retries:
                    logger.warning(
                        "%s: event %s failed (%s); Celery retries it",
                        name,
                        event_id,
                        _safe_description(error),
                    )
                else:
                    logger.error("%s: event %s failed for good", name, event_id)
                    _note_failure(event_id, error)
                raise

        run.__doc__ = handler.__doc__
        return run

    return decorate


@queued_task("outbox.purge", queue=QUEUE_DEFAULT)
def purge_outbox() -> int:
    """Delete outbox events processed more than OUTBOX_RETENTION_DAYS ago (run by beat)."""
    days = current_app.config["MATCHER_SETTINGS"].outbox_retention_days
    purged = purge_processed(db.session, timedelta(days=days))
    db.session.commit()
    logger.info("outbox: purged %d events processed more than %d days ago", purged, days)
    return purged
