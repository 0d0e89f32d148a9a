"""The beat job that asks for reflections on completed placements, and reminds once."""

from __future__ import annotations

import logging

from matcher.extensions import app_settings, db
from matcher.services import reflections
from workers.queues import QUEUE_DEFAULT, queued_task

logger = logging.getLogger(__name__)


@queued_task("reflections.ask_for_due", queue=QUEUE_DEFAULT)
def ask_for_reflections() -> None:
    """Ask both sides of each newly completed placement for a reflection, and remind once.

    Each request and reminder is recorded with its outbox event in one transaction, so a
    second run (or a retried one) asks and reminds nobody twice; the events' email tasks send.
    """
    asked = reflections.ask_for_due(db.session, app_settings())
    db.session.commit()
    if asked.requested or asked.reminded:
        logger.info("reflections: %d asked for, %d reminded", asked.requested, asked.reminded)
