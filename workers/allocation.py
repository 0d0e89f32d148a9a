"""The allocation job: allocate a round its manager moved to allocating.

The outbox event the move recorded names the round; the task marks the event processed, runs
``allocate_round`` and commits in one transaction, so a redelivered message finds the event done,
and a second event for the same round finds its results stored: neither allocates twice.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from matcher.events import ROUND_ALLOCATION_REQUESTED
from matcher.services.allocation_runs import allocate_round
from workers.outbox_tasks import Event, outbox_task
from workers.queues import QUEUE_MATCHING

logger = logging.getLogger(__name__)


# Allocation is CPU work over a whole round, like a matching run, so it shares their workers.
@outbox_task(ROUND_ALLOCATION_REQUESTED, queue=QUEUE_MATCHING)
def allocate_round_task(session: Session, event: Event) -> None:
    """Allocate one round and store its results."""
    round_id = int(event.payload["round_id"])
    summary = allocate_round(session, round_id, by=None)
    logger.info(
        "round %s: %d participants, %d placed%s",
        round_id,
        summary.participants,
        summary.placed,
        " (already allocated)" if summary.already_allocated else "",
    )
