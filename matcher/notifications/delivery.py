"""Notification emails delivered one row per recipient and message: none lost, none repeated.

An outbox handler *plans* a message: one ``NotificationDelivery`` row per recipient, rendered,
in the handler's transaction. Sending is a separate step that claims one row at a time and
records what happened to it before taking the next:

- sent: never sent again, whatever fails later;
- refused for good (a 5xx reply, an address that cannot be written): failed, and only that
  recipient misses the message; an address refused as such is suppressed, as digests do;
- refused for now (a 4xx reply, no connection): back to pending with a growing delay, picked
  up by ``send_due`` from the beat schedule.

A row claimed by a worker that then died is pending again after ``CLAIM_TIMEOUT``: it may then
be sent twice (at least once, never lost), with the same content. A sent row keeps who was sent
what subject and when, not the body: bodies may hold signed links (a password reset) that the
database should not keep once they are on their way.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from config import MAIL_KINDS, Settings
from matcher.database import rows_changed
from matcher.mail import (
    MailError,
    PermanentMailError,
    TransientMailError,
    build_message,
    is_recipient_refusal,
    mail_backend_for,
    mailbox,
    render_email,
)
from matcher.models import (
    DeliveryStatus,
    NotificationDelivery,
    SuppressedAddress,
    SuppressionReason,
    utcnow,
)
from matcher.services.upsert import insert_unless_exists

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
CLAIM_TIMEOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Outcome:
    """What one sending pass did."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0


def message_key(event: str, event_id: int) -> str:
    """The key of the message an event asks for: the same for every delivery of one event, and
    different for two events with the same payload (two password resets in a row)."""
    return hashlib.sha256(f"{event}:{event_id}".encode()).hexdigest()


def _deliverable(session: Session, emails: Sequence[str]) -> set[str]:
    """The addresses that have not bounced or complained (unsubscribing is for digests)."""
    blocked = set(
        session.scalars(
            select(SuppressedAddress.email).where(
                SuppressedAddress.email.in_(list(emails)),
                SuppressedAddress.reason.in_(
                    [SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED]
                ),
            )
        )
    )
    return set(emails) - blocked


def plan(
    session: Session,
    key: str,
    recipients: Sequence[tuple[str, str]],
    subject: str,
    template: str,
    context: dict[str, Any],
    personal: Mapping[str, dict[str, Any]] | None = None,
) -> int:
    """Add a pending row for each deliverable (email, name) not yet planned; return how many.

    ``personal`` adds to the context of each address it names (a link signed for that person).

    ``template`` names the kind of email, which must be in ``config.MAIL_KINDS``: refused here,
    in the planning transaction, so the handler fails and is retried where it shows, instead
    of every row failing one by one when it is sent.
    """
    if template not in MAIL_KINDS:
        raise ValueError(f"unknown kind of email {template!r}; add it to config.MAIL_KINDS")
    deliverable = _deliverable(session, [email for email, _ in recipients])
    planned = set(
        session.scalars(
            select(NotificationDelivery.email).where(NotificationDelivery.message_key == key)
        )
    )
    added = 0
    for email, name in recipients:
        if email not in deliverable or email in planned:
            continue
        own = (personal or {}).get(email, {})
        text, html = render_email(template, {**context, **own, "recipient_name": name})
        session.add(
            NotificationDelivery(
                message_key=key,
                kind=template,
                email=email,
                recipient_name=name,
                subject=subject,
                text=text,
                html=html,
            )
        )
        planned.add(email)
        added += 1
    session.flush()
    return added


def _retry_delay(attempts: int) -> timedelta:
    ceiling = min(RETRY_CAP, RETRY_BASE * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + ceiling * random.uniform(0, 0.5)


def _claim_next(session: Session, key: str | None) -> NotificationDelivery | None:
    """Claim the next row that is due, committed, so no other worker takes it too."""
    now = utcnow()
    due = (
        select(NotificationDelivery.id)
        .where(
            or_(
                (NotificationDelivery.status == DeliveryStatus.PENDING)
                & (NotificationDelivery.next_attempt_at <= now),
                (NotificationDelivery.status == DeliveryStatus.SENDING)
                & (NotificationDelivery.claimed_at < now - CLAIM_TIMEOUT),
            )
        )
        .order_by(NotificationDelivery.id)
        .limit(1)
    )
    if key is not None:
        due = due.where(NotificationDelivery.message_key == key)
    for row_id in session.scalars(due).all():
        claimed = rows_changed(
            session,
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == row_id,
                or_(
                    NotificationDelivery.status == DeliveryStatus.PENDING,
                    NotificationDelivery.claimed_at < now - CLAIM_TIMEOUT,
                ),
            )
            .values(
                status=DeliveryStatus.SENDING,
                claimed_at=now,
                attempts=NotificationDelivery.attempts + 1,
            )
            .execution_options(synchronize_session=False),
        )
        session.commit()
        if claimed:
            return session.get(NotificationDelivery, row_id, populate_existing=True)
    return None


def _settle(session: Session, row: NotificationDelivery, error: MailError | None) -> str:
    """Record what sending ``row`` did and commit; return which of sent/failed/deferred."""
    if error is None:
        row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, utcnow(), None
        row.text = row.html = ""
        outcome = "sent"
    elif isinstance(error, TransientMailError) and row.attempts < MAX_ATTEMPTS:
        row.status, row.last_error = DeliveryStatus.PENDING, str(error)
        row.next_attempt_at = utcnow() + _retry_delay(row.attempts)
        outcome = "deferred"
    else:
        row.status, row.last_error = DeliveryStatus.FAILED, str(error)
        if isinstance(error, PermanentMailError) and is_recipient_refusal(error):
            # The address itself was refused: like a bounced digest, it is written to no more.
            insert_unless_exists(
                session,
                SuppressedAddress,
                {"email": row.email.lower(), "reason": SuppressionReason.BOUNCED},
            )
        outcome = "failed"
    session.commit()
    return outcome


def send_pending(session: Session, settings: Settings, key: str | None = None) -> Outcome:
    """Send every due row (of message ``key``, or all), one at a time; commits as it goes."""
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    with mail_backend_for(settings) as mailer:
        while (row := _claim_next(session, key)) is not None:
            try:
                message = build_message(
                    settings,
                    to=mailbox(row.email, row.recipient_name),
                    subject=row.subject,
                    text=row.text,
                    html=row.html,
                    kind=row.kind,
                    delivery_id=row.id,
                )
            except (ValueError, TypeError):
                # A header that cannot be written: no retry will make it writable.
                counts[_settle(session, row, MailError("the message could not be built"))] += 1
                logger.error("notification %s could not be built; not sent", row.id)
                continue
            try:
                mailer.send(message)
            except MailError as error:
                counts[_settle(session, row, error)] += 1
                logger.warning("notification %s not sent: %s", row.id, type(error).__name__)
                if isinstance(error, TransientMailError) and error.code is None:
                    # No connection: the rest would fail the same way, and stay due.
                    break
                continue
            counts[_settle(session, row, None)] += 1
    return Outcome(**counts)
