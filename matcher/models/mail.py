"""Digest deliveries and the addresses we must never write to again."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, BigId, JSONDocument, UTCDateTime, enum_column, utcnow


class DigestKind(enum.StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class ErrorKind(enum.StrEnum):
    """Whether a delivery's last error may pass (worth sending again) or never will."""

    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class DigestDelivery(Base):
    """One digest for one recipient and period; the unique constraint makes planning idempotent."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "period"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_timestamp"),
        Index("ix_digest_deliveries_status_period", "status", "period"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[DigestKind] = mapped_column(enum_column(DigestKind, "digest_kind"))
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A delivery failed for a temporary reason is sent again by ``flask digests send``.
    last_error_kind: Mapped[ErrorKind | None] = mapped_column(enum_column(ErrorKind, "error_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the task that will send it was published, or its retry is due: a pending delivery
    # whose task is long overdue lost it (with the broker's queue) and is enqueued again.
    task_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the digest said, written with "sent": the web shows this copy (matcher.digests.archive).
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class SuppressionReason(enum.StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class SuppressedAddress(Base):
    """An address that unsubscribed, bounced or complained; checked before every send."""

    __tablename__ = "suppressed_addresses"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[SuppressionReason] = mapped_column(
        enum_column(SuppressionReason, "suppression_reason")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationDelivery(Base):
    """One notification email (an account, interest, invitation or join-request message) to one
    address.

    Planned while the outbox event is processed, then sent row by row: one address that
    cannot be written to fails alone, and a retry sends only to the addresses still pending.
    The message is kept as rendered, so a retry sends what the first attempt would have.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("message_key", "email"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The outbox event the message answers (its name and id, hashed): the same event processed
    # twice plans the same rows, which the unique constraint keeps single.
    message_key: Mapped[str] = mapped_column(String(64))
    # The kind of email (config.MAIL_KINDS, the name of its template).
    kind: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "notification_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
