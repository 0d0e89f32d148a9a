"""Outbox events: work a transaction asks for, enqueued only after it commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, BigId, JSONDocument, UTCDateTime, utcnow


class OutboxEvent(Base):
    """A task to run for a committed change; dispatched once the broker takes it."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        CheckConstraint("publish_attempts >= 0", name="publish_attempts_not_negative"),
        Index("ix_outbox_events_dispatched_at", "dispatched_at", "id"),
        # The backlog and the age of its oldest event, which /metrics reads on every scrape.
        Index(
            "ix_outbox_events_unprocessed",
            "created_at",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The X-Request-Id of the web request that recorded the event, for the task's log lines.
    request_id: Mapped[str | None] = mapped_column(String(64))
