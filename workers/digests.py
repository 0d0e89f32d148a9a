"""Digest tasks: plan a period and fan out batches, send one batch, recover what was lost.

Every task takes ids or names, never objects, and is safe to run twice: planning adds nothing
the second time, a batch claims only pending deliveries, recovery releases only stale claims.
Recovery runs on a queue of its own, so it never waits behind the batches it is there to save.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import timedelta

from celery import Task
from flask import current_app
from sqlalchemy.exc import OperationalError

from matcher.digests.periods import period_for
from matcher.digests.sending import (
    MAX_ATTEMPTS,
    Pacer,
    RetryLater,
    chunks,
    mark_enqueued,
    pending_ids,
    plan_period,
    recover,
    send_batch,
)
from matcher.extensions import app_settings, db
from matcher.mail import mail_backend_for
from matcher.models import DigestKind, utcnow
from workers.queues import MAX_RETRY_DELAY_SECONDS, QUEUE_EMAIL, QUEUE_RECOVERY, queued_task

logger = logging.getLogger(__name__)

START = "digests.start"
SEND_BATCH = "digests.send_batch"
RECOVER = "digests.recover"

# One pacer per worker process, so the rate limit holds across consecutive batches.
_pacers: dict[float, Pacer] = {}


def _pacer(rate: float) -> Pacer:
    return _pacers.setdefault(rate, Pacer(rate))


def batch_retry_delay(base: float, retries: int) -> float:
    """Seconds before a batch's retry number ``retries + 1``: exponential, jittered, capped."""
    ceiling = min(MAX_RETRY_DELAY_SECONDS / 2, base * 2**retries)
    # Half fixed, half random: delays still grow, and batches that failed together spread out.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def enqueue_batches(ids: Sequence[int], batch_size: int) -> int:
    """Publish a send task per batch of ``ids`` on the email queue; the number published."""
    batches = chunks(ids, batch_size)
    for batch in batches:
        # Recorded first: if publishing fails, recovery finds the deliveries' task overdue.
        mark_enqueued(db.session, batch, utcnow())
        db.session.commit()
        send_digest_batch.apply_async(args=[batch])
    return len(batches)


@queued_task(START, queue=QUEUE_EMAIL)
def start_digests(kind: str) -> int:
    """Plan this period's digests of ``kind`` and enqueue their batches (run by beat)."""
    settings = app_settings()
    digest_kind = DigestKind(kind)
    period = period_for(digest_kind, utcnow())
    planned = plan_period(db.session, digest_kind, period, utcnow())
    db.session.commit()
    ids = pending_ids(db.session, period)
    db.session.rollback()
    batches = enqueue_batches(ids, settings.digest_batch_size)
    logger.info("digests %s: %d planned, %d batches enqueued", period, planned, batches)
    return planned


@queued_task(SEND_BATCH, queue=QUEUE_EMAIL, bind=True, max_retries=MAX_ATTEMPTS)
def send_digest_batch(self: Task, delivery_ids: list[int]) -> int:
    """Send the pending deliveries among ``delivery_ids`` over one SMTP connection."""
    settings = app_settings()
    try:
        outcome = send_batch(
            db.session,
            settings,
            current_app.config["SECRET_KEY"],
            delivery_ids,
            lambda: mail_backend_for(settings),
            _pacer(settings.digest_rate_per_second),
        )
    except (RetryLater, OperationalError) as error:
        db.session.rollback()
        if self.request.retries >= self.max_retries:
            # The deliveries are pending again; the recovery job enqueues them later.
            logger.error(
                "digest batch gave up after %d retries; the recovery job enqueues it again",
                self.request.retries,
            )
            return 0
        delay = batch_retry_delay(settings.digest_retry_base_seconds, self.request.retries)
        if isinstance(error, RetryLater):
            mark_enqueued(db.session, delivery_ids, utcnow() + timedelta(seconds=delay))
            db.session.commit()
        logger.warning("digest batch: %s; retry in %.1f s", type(error).__name__, delay)
        raise self.retry(countdown=delay) from None
    logger.info(
        "digest batch: %d claimed, %d sent, %d skipped, %d failed",
        outcome.claimed,
        outcome.sent,
        outcome.skipped,
        outcome.failed,
    )
    return outcome.sent


@queued_task(RECOVER, queue=QUEUE_RECOVERY)
def recover_digests() -> int:
    """Release deliveries stuck in sending after a crash and enqueue pending ones lost."""
    settings = app_settings()
    ids = recover(
        db.session,
        settings.digest_claim_timeout_seconds,
        settings.digest_reenqueue_after_seconds,
    )
    return enqueue_batches(ids, settings.digest_batch_size)
