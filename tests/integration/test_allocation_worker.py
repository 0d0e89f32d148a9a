"""A round moved to allocating is allocated by a real worker, once, however often the job comes."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from matcher.events import ROUND_ALLOCATION_REQUESTED
from matcher.extensions import db
from matcher.models import AllocationResult, AllocationRound, OutboxEvent, RoundState
from matcher.services import rounds
from tests.services import redis_database_url
from tests.unit.services.allocation_world import allocating_round
from tests.unit.services.world import build_world
from tests.waiting import wait_until


def job_results(log: str) -> list[str]:
    """The return values the worker logged for the allocation job, in order."""
    pattern = re.escape(ROUND_ALLOCATION_REQUESTED) + r"\[[^\]]+\] succeeded in [\d.]+s: (\w+)"
    return re.findall(pattern, log)


def allocated_at(round_id: int) -> object:
    db.session.expire_all()
    allocation_round = db.session.get(AllocationRound, round_id)
    assert allocation_round is not None
    return allocation_round.allocated_at


def test_a_real_worker_allocates_a_round_once(service_app, celery_worker_process, postgres_url):
    broker_url = redis_database_url()
    app: Flask = service_app(CELERY_BROKER_URL=broker_url)
    worker = celery_worker_process(DATABASE_URL=postgres_url, CELERY_BROKER_URL=broker_url)
    with app.app_context():
        aw = allocating_round(db.session, build_world(db.session))
        # Back one step, so the manager's move to allocating asks for the job as it would.
        aw.round.state = RoundState.COLLECTING_PREFERENCES
        db.session.commit()
        rounds.advance(db.session, aw.world.platform_admin.id, aw.round.id, RoundState.ALLOCATING)
        db.session.commit()

        wait_until(lambda: allocated_at(aw.round.id) is not None)
        event_id = db.session.scalar(
            select(OutboxEvent.id).where(OutboxEvent.task_name == ROUND_ALLOCATION_REQUESTED)
        )
        app.extensions["celery"].send_task(
            ROUND_ALLOCATION_REQUESTED, kwargs={"event_id": event_id}
        )
        results = wait_until(
            lambda: len(job_results(worker.log())) == 2 and job_results(worker.log())
        )

        assert results == ["True", "False"]
        stored = db.session.scalar(
            select(func.count()).where(AllocationResult.round_id == aw.round.id)
        )
        assert stored == 4
