"""Matching jobs: re-score what an outbox event changed, and the chunked full rebuild.

``rebuild-all`` (``matching.rebuild_all``) starts a run, fits its snapshot and writes it to
``MATCH_SNAPSHOT_DIR``, then sends one ``matching.rebuild_chunk`` per chunk of people as a
Celery group, so every running worker takes a share, reading that snapshot instead of fitting
its own; the chunk that finds every chunk done sends ``matching.publish_rebuild``, which swaps
the run in atomically, deletes the snapshot file and redoes whatever changed while it was
building. Every task takes ids and is safe twice.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import group
from sqlalchemy.orm import Session

from matcher.events import PERSON_CHANGED, PLACEMENT_CHANGED
from matcher.extensions import app_settings, db
from matcher.stored_matches.incremental import placement_changed, recompute_people
from matcher.stored_matches.publishing import RunNotBuilding, discard_rows, fail_run
from matcher.stored_matches.rebuild import (
    discard_shared_snapshot,
    finish_rebuild,
    plan_rebuild,
    run_chunk,
    share_snapshot,
)
from workers.outbox_tasks import Event, outbox_task
from workers.queues import QUEUE_MATCHING, queued_task

logger = logging.getLogger(__name__)

REBUILD_ALL = "matching.rebuild_all"
REBUILD_CHUNK = "matching.rebuild_chunk"
PUBLISH_REBUILD = "matching.publish_rebuild"


@outbox_task(PERSON_CHANGED, queue=QUEUE_MATCHING)
def person_changed(session: Session, event: Event) -> None:
    """Recompute one person's top k placements."""
    person_id = int(event.payload["person_id"])
    rows = recompute_people(session, app_settings(), [person_id])
    logger.info("person %s: %d matches stored", person_id, rows)


@outbox_task(PLACEMENT_CHANGED, queue=QUEUE_MATCHING)
def placement_changed_task(session: Session, event: Event) -> None:
    """Re-score one placement and update the top k of the people it enters or leaves."""
    placement_id = int(event.payload["placement_id"])
    update = placement_changed(session, app_settings(), placement_id)
    logger.info(
        "placement %s: %d eligible; entered %d lists, kept %d, left %d, recomputed %d; "
        "%d rows inserted, %d shifted",
        placement_id,
        update.eligible_people,
        update.entered,
        update.kept,
        update.left,
        update.recomputed,
        update.rows,
        update.shifted,
    )


@queued_task(REBUILD_ALL, queue=QUEUE_MATCHING)
def rebuild_all() -> int:
    """Start a full rebuild, share its snapshot and fan its chunks out; return the run id."""
    settings = app_settings()
    plan = plan_rebuild(db.session, settings)
    if not plan.chunks:
        publish_rebuild.apply_async(args=(plan.run_id,))
        return plan.run_id
    try:
        share_snapshot(db.session, settings, plan.run_id)
    except Exception:
        db.session.rollback()
        fail_run(db.session, plan.run_id)  # no chunk was sent: nothing would ever publish it
        db.session.commit()
        raise
    db.session.commit()
    group(
        rebuild_chunk.si(plan.run_id, index, ids) for index, ids in enumerate(plan.chunks)
    ).apply_async()
    logger.info("match run %s: %d chunks sent", plan.run_id, len(plan.chunks))
    return plan.run_id


@queued_task(REBUILD_CHUNK, queue=QUEUE_MATCHING, bind=True, max_retries=3)
def rebuild_chunk(self: Any, run_id: int, chunk: int, person_ids: list[int]) -> None:
    """Score and stage one chunk of people; the last chunk to finish sends the publish."""
    try:
        last = run_chunk(db.session, app_settings(), run_id, chunk, person_ids)
    except Exception:
        db.session.rollback()
        if self.request.retries >= self.max_retries:
            fail_run(db.session, run_id)
            db.session.commit()
            discard_shared_snapshot(db.session, app_settings(), run_id)
            raise
        raise self.retry(countdown=5) from None
    if last:
        publish_rebuild.apply_async(args=(run_id,))


@queued_task(PUBLISH_REBUILD, queue=QUEUE_MATCHING)
def publish_rebuild(run_id: int) -> None:
    """Publish a run whose chunks are all staged; a second delivery finds it published."""
    try:
        published = finish_rebuild(db.session, app_settings(), run_id)
    except RunNotBuilding as reason:
        db.session.rollback()
        discard_rows(db.session, run_id)  # its build table or staged rows are of no more use
        db.session.commit()
        discard_shared_snapshot(db.session, app_settings(), run_id)
        logger.info("match run %s not published: %s", run_id, reason)
        return
    logger.info(
        "match run %s published: %d rows; caught up %d people and %d placements",
        run_id,
        published.rows,
        published.caught_up_people,
        published.caught_up_placements,
    )
