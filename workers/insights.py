"""Count the insights again for the public page and the open data (run by beat)."""

from __future__ import annotations

import logging

from matcher.extensions import db
from matcher.services.insights import refresh_snapshot
from workers.queues import QUEUE_DEFAULT, queued_task

logger = logging.getLogger(__name__)


@queued_task("insights.refresh", queue=QUEUE_DEFAULT)
def refresh_insights() -> None:
    """Keep a new snapshot of the insights; running it twice only counts twice."""
    counted = refresh_snapshot(db.session)
    db.session.commit()
    logger.info("insights: counted at %s", counted.counted_at.isoformat())
