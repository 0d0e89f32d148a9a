"""The allocation job: allocate a round its manager moved to allocating; and the beat job that
closes published rounds once their deadline for confirming has passed.

The outbox event the move recorded names the round; the task marks the event processed, runs
``allocate_round`` and commits in one transaction, so a redelivered message finds the event done,
and a second event for the same round finds its results stored: neither allocates twice.

The beat job finds the rounds past their deadline and sends one closing task per round id; a
round closes only while it is published and past its deadline, so a task run twice, or beside
a manager closing the round by hand, closes it once. A task lost with the broker is sent again
by the next beat, which finds the round still published.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from matcher.events import ROUND_ALLOCATION_REQUESTED
from matcher.extensions import db
from matcher.services.allocation_runs import allocate_round
from matcher.services.rounds import close_at_deadline, rounds_past_deadline
from workers.outbox_tasks import Event, outbox_task
from workers.queues import QUEUE_DEFAULT, QUEUE_MATCHING, queued_task

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


@queued_task("rounds.close_past_deadline", queue=QUEUE_DEFAULT)
def close_rounds_past_deadline() -> int:
    """Send a closing task for each published round past its deadline (run by beat)."""
    due = rounds_past_deadline(db.session)
    db.session.rollback()
    for round_id in due:
        close_round.apply_async(args=(round_id,))
    return len(due)


@queued_task("rounds.close_at_deadline", queue=QUEUE_DEFAULT)
def close_round(round_id: int) -> bool:
    """Close one round whose deadline for confirming has passed; nothing if it is not due."""
    closed = close_at_deadline(db.session, round_id)
    db.session.commit()
    if closed:
        logger.info("round %s closed at its deadline for confirming", round_id)
    return closed
