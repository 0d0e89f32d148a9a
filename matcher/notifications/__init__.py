"""Every email the service sends about something that happened, in one package.

``messages`` decides, for each outbox event, who is told and what they are told (the words, the
template and its links, built from the routes by ``links``); ``delivery`` plans one row per
recipient and message and sends those rows, skipping addresses that bounced. Worker tasks are
thin adapters: an event's task calls ``send`` with its payload, and nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from config import Settings
from matcher.notifications.delivery import Outcome, message_key, plan, send_pending
from matcher.notifications.messages import MESSAGES, Message

__all__ = ["MESSAGES", "Message", "Outcome", "send", "send_pending"]


def send(
    session: Session, settings: Settings, event: str, event_id: int, payload: dict[str, Any]
) -> int:
    """Plan the message outbox event ``event_id`` asks for and send its deliveries that are due;
    return how many were sent.

    Planning commits with the event; each send then commits its own row, so a retry, a second
    run of the event or one recipient's bad address never repeats or stops the others.
    """
    message = MESSAGES[event](session, settings, payload)
    if message is None:
        return 0
    key = message_key(event, event_id)
    plan(
        session,
        key,
        message.recipients,
        message.subject,
        message.template,
        message.context,
        message.personal,
    )
    return send_pending(session, settings, key).sent
