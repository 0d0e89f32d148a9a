"""Planning deliveries, claiming them, sending a batch over one connection, and recovery.

Every digest is delivered at least once and never lost. A delivery moves pending -> sending
(claimed: ``claimed_at`` is the claim's fence) -> sent | skipped | failed. "sent" is prepared
at the mail backend's commit point, just before the final "." of DATA, only while this claim
still holds (the UPDATE finds the row still ours and the address not suppressed), and committed
straight after the "." is written: a worker killed at any moment leaves each message either not
handed over and still "sending" (recovery puts it back to pending) or handed over and "sent",
bar the microseconds between the two socket writes. (Committing before the "." instead left a
window as long as the commit's fsync in which a crash lost the message.)

The server becomes responsible for a message only when it answers 250 (RFC 5321, 6.1). A
refusal after the "." or no reply at all (the server died, the connection dropped) puts the row
back to pending, and it is sent again with the same Message-ID. So the one duplicate there can
be is a message the server took but never acknowledged, and it carries the same Message-ID, on
which receivers de-duplicate.

A temporary failure (a 4xx reply, a refused or dropped connection) puts the batch's unsent
deliveries back to pending and the batch is retried with backoff. The attempt counts against
the message that was tried, never the rest of the batch, and while a delivery's period is
current no number of temporary failures fails it: only after its period, MAX_ATTEMPTS of them
do, kept as failed for a temporary reason, which ``flask digests send --period P`` sends again.
A permanent refusal (5xx) fails the delivery and suppresses the address.

Each pending delivery records when the task that will send it is due (``task_due_at``): one
whose task is long overdue lost it, with the broker's queue, and ``recover`` returns it to be
enqueued again.
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
from matcher.database import rows_changed
from matcher.digests.archive import content_record
from matcher.digests.content import DigestContent, load_contents
from matcher.digests.periods import period_for
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
    ErrorKind,
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

# Tries of one message (sends that failed for now, or crashes while sending it) before its
# delivery is failed; for temporary failures, only once the delivery's period is over.
MAX_ATTEMPTS = 8


class RetryLater(Exception):
    """The mail system failed for now; the batch's unsent deliveries are pending again."""

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
                last_error_kind=None,
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
            last_error=None,
            last_error_kind=None,
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
    session: Session, ids: Sequence[int], claimed_at: datetime, status: DeliveryStatus, **values
) -> int:
    if not ids:
        return 0
    changed = rows_changed(
        session,
        update(DigestDelivery)
        .where(_ours(ids, claimed_at))
        .values(status=status, **values)
        .execution_options(synchronize_session=False),
    )
    session.commit()
    return changed


def _suppress(session: Session, email: str, reason: SuppressionReason) -> None:
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SuppressedAddress)
        .values(email=email.lower(), reason=reason.value, created_at=utcnow())
        .on_conflict_do_nothing()
    )


def _release(
    session: Session,
    rows: Sequence,
    claimed_at: datetime,
    error: MailError,
    tried: int | None,
    now: datetime,
) -> int:
    """Put unsent deliveries back to pending after a temporary failure; the count released.

    The attempt counts against ``tried``, the one message sent (None when none was). Only a
    delivery whose period is over is failed, once it has been tried MAX_ATTEMPTS times.
    """
    if tried is not None:
        session.execute(
            update(DigestDelivery)
            .where(_ours([tried], claimed_at))
            .values(attempts=DigestDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    give_up = [
        row.id
        for row in rows
        if row.attempts + (row.id == tried) >= MAX_ATTEMPTS
        and row.period != period_for(row.kind, now)
    ]
    retry = [row.id for row in rows if row.id not in give_up]
    released = rows_changed(
        session,
        update(DigestDelivery)
        .where(_ours(retry, claimed_at))
        .values(
            status=DeliveryStatus.PENDING,
            last_error=str(error),
            last_error_kind=ErrorKind.TEMPORARY,
        )
        .execution_options(synchronize_session=False),
    )
    given_up = rows_changed(
        session,
        update(DigestDelivery)
        .where(_ours(give_up, claimed_at))
        .values(
            status=DeliveryStatus.FAILED,
            last_error=f"gave up after {MAX_ATTEMPTS} tries, its period over: {error}",
            last_error_kind=ErrorKind.TEMPORARY,
        )
        .execution_options(synchronize_session=False),
    )
    session.commit()
    logger.warning("digest batch: temporary mail failure (%s); %d back to pending", error, released)
    if given_up:
        logger.error(
            "digest batch: %d deliveries failed: each tried %d times, failing for now (%s), and "
            "their period is over; `flask digests send --period P` sends them again",
            given_up,
            MAX_ATTEMPTS,
            error,
        )
    return released


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
            attempts=DigestDelivery.attempts + 1,
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
    with session.get_bind().engine.connect() as connection:

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
    """The server refused or never answered after the commit point: ours and unsent again.

    The attempt the commit point counted is taken back: what settles the delivery counts it.
    """
    session.execute(
        update(DigestDelivery)
        .where(_ours([delivery_id], claimed_at, DeliveryStatus.SENT))
        .values(status=DeliveryStatus.SENDING, sent_at=None, attempts=DigestDelivery.attempts - 1)
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
    try:
        _send_each(
            session, settings, secret_key, to_send, contents, mailer, pacer, claimed_at, outcome
        )
    except TransientMailError as error:
        # No connection to begin with: none was tried.
        session.rollback()
        outcome.released += _release(session, to_send, claimed_at, error, None, utcnow())
        raise RetryLater(error) from error
    return outcome


def _send_each(
    session: Session,
    settings: Settings,
    secret_key: str,
    to_send: Sequence,
    contents: dict[int, DigestContent],
    mailer: Callable[[], MailBackend],
    pacer: Pacer,
    claimed_at: datetime,
    outcome: BatchOutcome,
) -> None:
    """Send the claimed ``to_send`` in order over one connection, settling each as it goes.

    Raises TransientMailError if the connection cannot be opened, and RetryLater once a
    temporary failure put the unsent deliveries back to pending.
    """
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
                if handed:
                    # Refused, or no reply at all, after the ".": not delivered (RFC 5321,
                    # 6.1), so it goes again, with the same Message-ID.
                    _unmark_sent(session, row.id, claimed_at)
                outcome.released += _release(
                    session, to_send[position:], claimed_at, error, row.id, utcnow()
                )
                raise RetryLater(error) from error
            except PermanentMailError as error:
                session.rollback()
                if handed:
                    _unmark_sent(session, row.id, claimed_at)
                if is_recipient_refusal(error):
                    _suppress(session, content.recipient.email, SuppressionReason.BOUNCED)
                outcome.failed += _finish(
                    session,
                    [row.id],
                    claimed_at,
                    DeliveryStatus.FAILED,
                    attempts=DigestDelivery.attempts + 1,
                    last_error=str(error),
                    last_error_kind=ErrorKind.PERMANENT,
                )
                logger.warning("delivery %s failed for good: %s", row.id, error)


def mark_enqueued(session: Session, ids: Sequence[int], due_at: datetime) -> None:
    """Record that a task to send the pending deliveries among ``ids`` is due at ``due_at``."""
    session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id.in_(ids), DigestDelivery.status == DeliveryStatus.PENDING)
        .values(task_due_at=due_at)
        .execution_options(synchronize_session=False)
    )


def reopen_failed_for_now(session: Session, period: str) -> int:
    """Put ``period``'s deliveries failed for a temporary reason back to pending; the count.

    They were never delivered, so they keep their Message-ID and start their tries afresh.
    """
    return rows_changed(
        session,
        update(DigestDelivery)
        .where(
            DigestDelivery.period == period,
            DigestDelivery.status == DeliveryStatus.FAILED,
            DigestDelivery.last_error_kind == ErrorKind.TEMPORARY,
        )
        .values(status=DeliveryStatus.PENDING, attempts=0, claimed_at=None)
        .execution_options(synchronize_session=False),
    )


def recover(
    session: Session,
    claim_timeout_seconds: float,
    reenqueue_after_seconds: float,
    now: datetime | None = None,
) -> list[int]:
    """Resolve deliveries a crash or a lost broker queue left; the pending ids to enqueue again.

    A delivery still "sending" ``claim_timeout_seconds`` after its claim was never handed over
    (see the module docstring), so it goes back to pending; a pending one whose send task has
    been due for ``reenqueue_after_seconds`` lost it (a broker restarted without its queue, a
    task that gave up retrying) and is returned to be enqueued again. Enqueueing one twice is
    harmless: only one claim wins.
    """
    now = now or utcnow()
    stuck = and_(
        DigestDelivery.status == DeliveryStatus.SENDING,
        DigestDelivery.claimed_at < now - timedelta(seconds=claim_timeout_seconds),
    )
    # A batch sends in id order, so the first of a crashed batch's deliveries still "sending"
    # is the one it was sending: the crash counts as its try alone, and a message that kills
    # the worker every time fails on its own instead of taking its batch with it.
    in_flight = select(func.min(DigestDelivery.id)).where(stuck).group_by(DigestDelivery.claimed_at)
    session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id.in_(in_flight))
        .values(attempts=DigestDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    given_up = rows_changed(
        session,
        update(DigestDelivery)
        .where(stuck, DigestDelivery.attempts >= MAX_ATTEMPTS)
        .values(
            status=DeliveryStatus.FAILED,
            last_error=f"gave up: the worker stopped while sending it {MAX_ATTEMPTS} times",
            last_error_kind=ErrorKind.PERMANENT,
        )
        .execution_options(synchronize_session=False),
    )
    released = rows_changed(
        session,
        update(DigestDelivery)
        .where(stuck)
        .values(
            status=DeliveryStatus.PENDING,
            last_error="released by recovery after a crash",
            last_error_kind=ErrorKind.TEMPORARY,
        )
        .execution_options(synchronize_session=False),
    )
    session.commit()
    task_due = func.coalesce(
        DigestDelivery.task_due_at, DigestDelivery.claimed_at, DigestDelivery.created_at
    )
    lost = list(
        session.scalars(
            select(DigestDelivery.id)
            .where(
                DigestDelivery.status == DeliveryStatus.PENDING,
                task_due < now - timedelta(seconds=reenqueue_after_seconds),
            )
            .order_by(DigestDelivery.id)
        )
    )
    session.rollback()
    if given_up:
        logger.error(
            "digest recovery: %d deliveries failed: the worker stopped while sending each of "
            "them %d times",
            given_up,
            MAX_ATTEMPTS,
        )
    if released or lost:
        logger.warning(
            "digest recovery: %d released after a crash, %d pending without a task to enqueue",
            released,
            len(lost),
        )
    return lost
