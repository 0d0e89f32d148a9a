"""Digests under SMTP and broker faults: real SMTP server, PostgreSQL, Redis, worker and beat.

Each drill is the issue's (#12) at a smaller scale that keeps what made the old code fail:
more 421s than batches x MAX_ATTEMPTS, a server refusing connections, a server that takes a
message and never answers, a broker restarted without its queue. None may wait for the claim
timeout, which is set far beyond the tests' deadlines. ``bench.delivery_drills`` runs them
full size and prints the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask

from matcher.clock import london_today
from matcher.digests.periods import period_for
from matcher.digests.sending import MAX_ATTEMPTS, pending_ids, plan_period
from matcher.extensions import db
from matcher.models import DigestKind, utcnow
from tests import digest_world
from tests.integration.conftest import WorkerProcess
from tests.smtp import SMTPSink
from tests.waiting import wait_until
from workers.digests import enqueue_batches

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 60


def _environment(postgres_url: str, redis_url: str, smtp: SMTPSink, batch_size: int, **extra):
    return {
        "DATABASE_URL": postgres_url,
        "CELERY_BROKER_URL": redis_url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_TIMEOUT_SECONDS": "5",
        "DIGEST_BATCH_SIZE": str(batch_size),
        "DIGEST_RATE_PER_SECOND": "0",
        "DIGEST_RETRY_BASE_SECONDS": "0.05",
        # Far beyond any deadline here: a delivery that waits for it fails the test.
        "DIGEST_CLAIM_TIMEOUT_SECONDS": "100000",
        "DIGEST_REENQUEUE_AFTER_SECONDS": "3",
        "DIGEST_RECOVERY_INTERVAL_SECONDS": "1",
        **extra,
    }


def _start_period(people: int, batch_size: int) -> int:
    """Plan this week's digests for ``people`` and their organisation, enqueued; the count."""
    digest_world.build(db.session, people, today=london_today())
    plan_period(db.session, DigestKind.WEEKLY, period_for(DigestKind.WEEKLY, utcnow()), utcnow())
    db.session.commit()
    ids = pending_ids(db.session)
    db.session.rollback()
    enqueue_batches(ids, batch_size)
    return len(ids)


def _everyone_answered(smtp: SMTPSink, expected: int) -> Callable[[], bool]:
    return lambda: len(smtp.per_recipient(answered_only=True)) >= expected


@dataclass
class Drill:
    """The test's app, and the worker and beat processes sending for it."""

    app: Flask
    worker: WorkerProcess


@pytest.fixture
def drill(service_app, smtp_server, redis_server, celery_worker_process, celery_beat_process):
    """``start(postgres_url, batch_size, **settings)``: a worker and beat, and the app."""

    def start(postgres_url: str, batch_size: int, **extra: str) -> Drill:
        env = _environment(postgres_url, redis_server.url, smtp_server, batch_size, **extra)
        worker = celery_worker_process(**env)
        beat = celery_beat_process(**env)
        wait_until(lambda: "beat: Starting" in beat.log(), 120, "beat to start")
        app = service_app(**{key: value for key, value in env.items() if key != "DATABASE_URL"})
        return Drill(app, worker)

    return start


def test_a_421_storm_longer_than_every_batchs_attempts_still_delivers_everything_once(
    drill, smtp_server, postgres_url
):
    batch_size = 25
    run = drill(postgres_url, batch_size)
    with run.app.app_context():
        people = 120
        refusals = int((people + 1) * 0.4)
        # The old code counted each refusal against every delivery of the batch it claimed.
        assert refusals > -(-(people + 1) // batch_size) * MAX_ATTEMPTS
        smtp_server.refuse_next = refusals
        planned = _start_period(people, batch_size)
        wait_until(_everyone_answered(smtp_server, planned), DEADLINE_SECONDS, "every digest")
        assert smtp_server.refused == refusals
        counts = smtp_server.per_recipient()
        assert len(counts) == planned and set(counts.values()) == {1}


def test_a_server_refusing_connections_for_a_while_gets_everything_once_after(
    drill, smtp_server, postgres_url
):
    run = drill(postgres_url, 25)
    smtp_server.stop()
    with run.app.app_context():
        planned = _start_period(100, 25)
        wait_until(
            lambda: run.worker.log().count("cannot connect") >= 3, DEADLINE_SECONDS, "refusals"
        )
        smtp_server.start()
        wait_until(_everyone_answered(smtp_server, planned), DEADLINE_SECONDS, "every digest")
        counts = smtp_server.per_recipient()
        assert len(counts) == planned and set(counts.values()) == {1}


def test_a_server_that_never_answers_after_the_final_dot_loses_nothing(
    drill, smtp_server, postgres_url
):
    run = drill(postgres_url, 20)
    unanswered = {f"person{index}@example.gov.uk" for index in (3, 27, 28, 59)}
    smtp_server.leave_unanswered = set(unanswered)
    with run.app.app_context():
        planned = _start_period(60, 20)
        # Every recipient hears 250 for one copy: a server that died before answering may
        # have lost the one it took.
        wait_until(_everyone_answered(smtp_server, planned), DEADLINE_SECONDS, "every digest")
        answered = smtp_server.per_recipient(answered_only=True)
        assert len(answered) == planned and set(answered.values()) == {1}
        # Had it kept them, those recipients got two copies with one Message-ID between them.
        counts = smtp_server.per_recipient()
        assert {address for address, count in counts.items() if count > 1} == unanswered
        assert set(counts.values()) == {1, 2}
        assert all(len(smtp_server.message_ids(address)) == 1 for address in unanswered)


def test_batches_lost_with_a_broker_restart_are_enqueued_again(
    drill, smtp_server, redis_server, postgres_url
):
    # Paced, so most batches are still queued in Redis when it dies.
    run = drill(postgres_url, 10, DIGEST_RATE_PER_SECOND="25")
    with run.app.app_context():
        planned = _start_period(150, 10)
        wait_until(lambda: len(smtp_server.messages()) >= 30, 30, "the first digests")
        redis_server.kill()
        redis_server.start()
        wait_until(_everyone_answered(smtp_server, planned), DEADLINE_SECONDS, "every digest")
        counts = smtp_server.per_recipient()
        assert len(counts) == planned and set(counts.values()) == {1}
