"""Planning deliveries, claiming them, sending a batch over one connection, and recovery.

A delivery moves pending -> sending (claimed: ``claimed_at`` is the claim's fence) -> sent |
skipped | failed. "sent" is written at the mail backend's commit point, just before the final
"." of DATA, and only while this claim still holds (the UPDATE finds the row still ours and the
address not suppressed), and committed straight after the "." is written, before the server's
reply is read; so a row in "sending" was never handed to the mail system, and the recovery job
may put it back to pending without risking a second copy. The one window left is between
writing the "." and sending the COMMIT (two socket writes, microseconds): a crash there would
send it twice. (Committing before the "." instead left a window as long as the commit's fsync
in which a crash lost the message.) A reply refusing the message after the "." puts the row
back; a connection lost before the reply leaves it sent (the server most likely took it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import String, and_, bindparam, cast, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config import Settings
from matcher.digests.archive import content_record
from matcher.digests.content import DigestContent, load_contents
from matcher.digests.rendering import render_digest
from matcher.mail import (
    MailBackend,
    MailError,
    PermanentMailError,
    TransientMailError,
    is_recipient_refusal,
)
from matcher.models import (
    CivilServantProfile,
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    Membership,
    Organisation,
    Role,
    SuppressedAddress,
    SuppressionReason,
    User,
    VerificationStatus,
    utcnow,
)

logger = logging.getLogger(__name__)

# Claims per delivery before a delivery that keeps failing for now is given up as failed.
MAX_ATTEMPTS = 8


class RetryLater(Exception):
    """The mail system failed for now; the batch's unsent deliveries went back to pending."""

    def __init__(self, error: MailError) -> None:
        super().__init__(str(error))
        self.error = error


class _NotHandedOver(Exception):
    """The commit point found the delivery no longer ours to send (claim lost or suppressed)."""


@dataclass
class BatchOutcome:
    """What one batch did; the CLI and the benchmark add these up."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0


class Pacer:
    """At most ``rate`` sends a second in this process; zero means no limit."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def _message_domain(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "matcher.localhost"


def plan_period(session: Session, kind: DigestKind, period: str, now: datetime) -> int:
    """Add a pending delivery for every eligible recipient not yet planned; the count added."""
    from flask import current_app

    domain = _message_domain(current_app.config["MATCHER_SETTINGS"])
    return plan_period_for_domain(session, kind, period, now, domain)


def plan_period_for_domain(
    session: Session, kind: DigestKind, period: str, now: datetime, domain: str
) -> int:
    """``plan_period`` with the Message-ID domain given (for callers without an app)."""
    suppressed = exists().where(SuppressedAddress.email == User.email)
    member_of_verified = (
        exists()
        .where(Membership.user_id == User.id)
        .where(Organisation.id == Membership.organisation_id)
        .where(Organisation.status == VerificationStatus.VERIFIED)
    )
    wants = and_(
        User.role == Role.CIVIL_SERVANT, CivilServantProfile.digest_frequency == kind.value
    )
    if kind == DigestKind.WEEKLY:
        wants = or_(wants, and_(User.role == Role.ORGANISATION_MEMBER, member_of_verified))
    # Stable per delivery and unique by the same key as the row: a resend could never differ.
    message_id = (
        literal(f"<digest.{kind.value}.{period}.", String)
        + cast(User.id, String)
        + literal(f"@{domain}>", String)
    )
    eligible = (
        select(
            User.id,
            literal(kind.value, String),
            literal(period, String),
            literal(DeliveryStatus.PENDING.value, String),
            message_id,
            literal(0),
            literal(now, DigestDelivery.created_at.type),
        )
        .outerjoin(CivilServantProfile, CivilServantProfile.user_id == User.id)
        .where(User.email_confirmed_at.is_not(None), ~suppressed, wants)
    )
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(DigestDelivery)
        .from_select(
            ["recipient_id", "kind", "period", "status", "message_id", "attempts", "created_at"],
            eligible,
        )
        .on_conflict_do_nothing()
        .returning(DigestDelivery.id)
    )
    # RETURNING, because the driver's rowcount for INSERT ... SELECT is not reliable everywhere.
    return len(session.execute(statement).all())


def reopen_sent(session: Session, kind: DigestKind, period: str, now: datetime) -> int:
    """Put ``period``'s sent deliveries back to pending, each with a new Message-ID; the count.

    For an operator sending a period again after a send that went wrong (links to the wrong
    server, say): a new Message-ID, or mail clients would take the copy for the one they have.
    """
    from flask import current_app

    domain = _message_domain(current_app.config["MATCHER_SETTINGS"])
    message_id = (
        literal(f"<digest.{kind.value}.{period}.", String)
        + cast(DigestDelivery.recipient_id, String)
        + literal(f".resent-{now:%Y%m%d%H%M%S%f}@{domain}>", String)
    )
    return len(
        session.execute(
            update(DigestDelivery)
            .where(DigestDelivery.period == period, DigestDelivery.status == DeliveryStatus.SENT)
            .values(
                status=DeliveryStatus.PENDING,
                message_id=message_id,
                attempts=0,
                claimed_at=None,
                sent_at=None,
                last_error=None,
            )
            .returning(DigestDelivery.id)
            .execution_options(synchronize_session=False)
        ).all()
    )


def pending_ids(session: Session, period: str | None = None) -> list[int]:
    """Ids of pending deliveries (of one period, or all), oldest first."""
    query = select(DigestDelivery.id).where(DigestDelivery.status == DeliveryStatus.PENDING)
    if period is not None:
        query = query.where(DigestDelivery.period == period)
    return list(session.scalars(query.order_by(DigestDelivery.id)))


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """``ids`` in consecutive lists of at most ``size``."""
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def _claim(session: Session, ids: Sequence[int], claimed_at: datetime) -> list:
    rows = session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id.in_(ids), DigestDelivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.SENDING,
            claimed_at=claimed_at,
            attempts=DigestDelivery.attempts + 1,
            last_error=None,
        )
        .returning(
            DigestDelivery.id,
            DigestDelivery.recipient_id,
            DigestDelivery.kind,
            DigestDelivery.period,
            DigestDelivery.message_id,
            DigestDelivery.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(rows, key=lambda row: row.id)


def _ours(
    ids: Sequence[int], claimed_at: datetime, status: DeliveryStatus = DeliveryStatus.SENDING
):
    return and_(
        DigestDelivery.id.in_(ids),
        DigestDelivery.status == status,
        DigestDelivery.claimed_at == claimed_at,
    )


def _finish(
    session: Session,
    ids: Sequence[int],
    claimed_at: datetime,
    status: DeliveryStatus,
    error: str | None = None,
) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(DigestDelivery)
        .where(_ours(ids, claimed_at))
        .values(status=status, last_error=error)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0


def _suppress(session: Session, email: str, reason: SuppressionReason) -> None:
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SuppressedAddress)
        .values(email=email.lower(), reason=reason.value, created_at=utcnow())
        .on_conflict_do_nothing()
    )


def _release(session: Session, rows: Sequence, claimed_at: datetime, error: str) -> int:
    """Put unsent deliveries back to pending, or fail those out of attempts; the count released."""
    retry = [row.id for row in rows if row.attempts < MAX_ATTEMPTS]
    give_up = [row.id for row in rows if row.attempts >= MAX_ATTEMPTS]
    released = session.execute(
        update(DigestDelivery)
        .where(_ours(retry, claimed_at))
        .values(status=DeliveryStatus.PENDING, last_error=error)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(DigestDelivery)
        .where(_ours(give_up, claimed_at))
        .values(status=DeliveryStatus.FAILED, last_error=f"gave up: {error}")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return released or 0


def _mark_sent_statement():
    """The commit point's UPDATE, built once: sent, if still ours and not suppressed meanwhile."""
    recipient_suppressed = (
        exists()
        .where(User.id == DigestDelivery.recipient_id)
        .where(SuppressedAddress.email == User.email)
    )
    return (
        update(DigestDelivery)
        .where(
            DigestDelivery.id == bindparam("delivery_id"),
            DigestDelivery.status == DeliveryStatus.SENDING,
            DigestDelivery.claimed_at == bindparam("claimed", type_=DigestDelivery.claimed_at.type),
            ~recipient_suppressed,
        )
        .values(
            status=DeliveryStatus.SENT,
            sent_at=bindparam("now", type_=DigestDelivery.sent_at.type),
            content=bindparam("content", type_=DigestDelivery.content.type),
        )
    )


_MARK_SENT = _mark_sent_statement()


@contextmanager
def _commit_points(
    session: Session, claimed_at: datetime
) -> Iterator[Callable[[int, dict], Callable[[bool], None]]]:
    """``prepare(delivery_id, record)`` for one batch's commit points, on a connection of its own.

    ``prepare`` runs the UPDATE to "sent", keeping ``record`` (what the digest says), in a
    transaction (raising _NotHandedOver, rolled back, if the delivery is no longer ours or its
    address was suppressed) and returns
    ``finish(handed_over)``, which commits it as soon as the "." is written, or rolls it back.
    So the moment of no return is the "." itself, not the database commit: committing first and
    writing the "." after the commit's reply left a window as long as the commit's fsync in which
    a killed worker lost the message (the integration test's SIGKILL found it). Now a crash
    before the "." rolls back (sent again later, once) and one after the COMMIT is on its way
    keeps it; only the microseconds between the two writes could give a duplicate.

    One connection for the batch rather than the session: the session checked a pooled
    connection out (with its pre-ping) for every message. The commit stays synchronous.
    """
    with session.get_bind().connect() as connection:

        def prepare(delivery_id: int, record: dict) -> Callable[[bool], None]:
            transaction = connection.begin()
            try:
                result = connection.execute(
                    _MARK_SENT,
                    {
                        "delivery_id": delivery_id,
                        "claimed": claimed_at,
                        "now": utcnow(),
                        "content": record,
                    },
                )
            except BaseException:
                transaction.rollback()
                raise
            if result.rowcount != 1:
                transaction.rollback()
                raise _NotHandedOver

            def finish(handed_over: bool) -> None:
                if handed_over:
                    transaction.commit()
                else:
                    transaction.rollback()

            return finish

        yield prepare


def _unmark_sent(session: Session, delivery_id: int, claimed_at: datetime) -> None:
    """The server refused after the commit point: the delivery is ours and unsent again."""
    session.execute(
        update(DigestDelivery)
        .where(_ours([delivery_id], claimed_at, DeliveryStatus.SENT))
        .values(status=DeliveryStatus.SENDING, sent_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def worth_sending(content: DigestContent) -> bool:
    """Whether a digest should go: wanted, not suppressed, and with something new in it."""
    recipient = content.recipient
    return recipient.wants_this_kind and not recipient.suppressed and not content.is_empty


def send_batch(
    session: Session,
    settings: Settings,
    secret_key: str,
    ids: Sequence[int],
    mailer: Callable[[], MailBackend],
    pacer: Pacer,
    now: datetime | None = None,
) -> BatchOutcome:
    """Claim the pending deliveries among ``ids`` and send them over one connection.

    Raises RetryLater after a temporary mail failure, once the unsent deliveries are pending
    again; a task that finds nothing pending (claimed or finished elsewhere) does nothing.
    """
    claimed_at = utcnow()
    rows = _claim(session, ids, claimed_at)
    outcome = BatchOutcome(claimed=len(rows))
    if not rows:
        return outcome
    now = now or claimed_at
    contents: dict[int, DigestContent] = {}
    for kind in {row.kind for row in rows}:
        recipient_ids = [row.recipient_id for row in rows if row.kind == kind]
        contents.update(load_contents(session, recipient_ids, kind, now))
    session.rollback()
    skip, to_send = [], []
    for row in rows:
        content = contents.get(row.recipient_id)
        if content is None or not worth_sending(content):
            skip.append(row.id)
        else:
            to_send.append(row)
    outcome.skipped += _finish(session, skip, claimed_at, DeliveryStatus.SKIPPED)
    if not to_send:
        return outcome
    with mailer() as backend, _commit_points(session, claimed_at) as prepare_sent:
        for position, row in enumerate(to_send):
            content = contents[row.recipient_id]
            message = render_digest(
                settings, secret_key, content, row.period, row.message_id, row.id
            )
            record = content_record(content)
            pacer.wait()
            handed = False

            def commit_point(row_id: int = row.id, record: dict = record) -> Callable[[bool], None]:
                finish = prepare_sent(row_id, record)

                def finished(handed_over: bool) -> None:
                    nonlocal handed
                    finish(handed_over)
                    handed = handed_over

                return finished

            try:
                backend.send(message, commit_point=commit_point)
                outcome.sent += 1
            except _NotHandedOver:
                session.rollback()
                # Suppressed since loading (skipped), or claimed elsewhere (the fence finds none).
                outcome.skipped += _finish(session, [row.id], claimed_at, DeliveryStatus.SKIPPED)
            except TransientMailError as error:
                session.rollback()
                if handed and error.code is None:
                    # Connection lost after the ".": the server most likely has it. Not again.
                    logger.warning("delivery %s: no reply after handing over; kept as sent", row.id)
                    outcome.sent += 1
                    continue
                if handed:
                    _unmark_sent(session, row.id, claimed_at)
                outcome.released += _release(session, to_send[position:], claimed_at, str(error))
                logger.warning(
                    "digest batch: temporary mail failure (%s); %d back to pending",
                    error,
                    len(to_send) - position,
                )
                raise RetryLater(error) from error
            except PermanentMailError as error:
                session.rollback()
                if handed:
                    _unmark_sent(session, row.id, claimed_at)
                if is_recipient_refusal(error):
                    _suppress(session, content.recipient.email, SuppressionReason.BOUNCED)
                outcome.failed += _finish(
                    session, [row.id], claimed_at, DeliveryStatus.FAILED, str(error)
                )
                logger.warning("delivery %s failed for good: %s", row.id, error)
    return outcome


def recover(session: Session, timeout_seconds: float, now: datetime | None = None) -> list[int]:
    """Resolve deliveries stuck after a crash; return the pending ids that need a send task.

    A delivery still "sending" after ``timeout_seconds`` was never handed over (see the module
    docstring), so it goes back to pending; pending ones that old lost their task and are
    returned to be enqueued again. Enqueueing one twice is harmless: only one claim wins.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=timeout_seconds)
    stuck = and_(
        DigestDelivery.status == DeliveryStatus.SENDING, DigestDelivery.claimed_at < cutoff
    )
    session.execute(
        update(DigestDelivery)
        .where(stuck, DigestDelivery.attempts >= MAX_ATTEMPTS)
        .values(status=DeliveryStatus.FAILED, last_error="gave up: stuck in sending too often")
        .execution_options(synchronize_session=False)
    )
    released = session.execute(
        update(DigestDelivery)
        .where(stuck)
        .values(status=DeliveryStatus.PENDING, last_error="released by recovery after a crash")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    orphaned = list(
        session.scalars(
            select(DigestDelivery.id)
            .where(
                DigestDelivery.status == DeliveryStatus.PENDING,
                func.coalesce(DigestDelivery.claimed_at, DigestDelivery.created_at) < cutoff,
            )
            .order_by(DigestDelivery.id)
        )
    )
    session.rollback()
    if released or orphaned:
        logger.info("digest recovery: %d released, %d to enqueue", released, len(orphaned))
    return orphaned
