"""Email tasks: one per event that asks for a message, and the beat job that retries deferrals.

Each task is a thin adapter: ``matcher.notifications`` decides who is told what, plans one
delivery row per recipient and sends them; the task only says how many went.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from matcher import notifications
from matcher.extensions import app_settings, db
from workers.outbox_tasks import Event, Handler, outbox_task
from workers.queues import QUEUE_EMAIL, queued_task

logger = logging.getLogger(__name__)


def _email_handler(event_name: str) -> Handler:
    def send_message(session: Session, event: Event) -> None:
        sent = notifications.send(session, app_settings(), event_name, event.id, event.payload)
        logger.info("%s event %s: sent %d emails", event_name, event.id, sent)

    send_message.__doc__ = notifications.MESSAGES[event_name].__doc__
    return send_message


EMAIL_TASKS = {
    name: outbox_task(name, queue=QUEUE_EMAIL)(_email_handler(name))
    for name in notifications.MESSAGES
}


@queued_task("notifications.send_due", queue=QUEUE_EMAIL)
def send_due_notifications() -> None:
    """Retry the notification deliveries a temporary failure left pending, once they are due."""
    outcome = notifications.send_pending(db.session, app_settings())
    if outcome.sent or outcome.failed or outcome.deferred:
        logger.info(
            "due notifications: %d sent, %d failed for good, %d deferred",
            outcome.sent,
            outcome.failed,
            outcome.deferred,
        )
