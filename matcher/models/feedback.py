"""Feedback people give about the service from the link in the phase banner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, UTCDateTime, utcnow

TRYING_MAX = 500
BETTER_MAX = 1200
PAGE_MAX = 200
EMAIL_MAX = 254


class Feedback(Base):
    """One message: what the person was doing, what could be better, and where to reply."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    page: Mapped[str | None] = mapped_column(String(PAGE_MAX))
    trying_to_do: Mapped[str] = mapped_column(String(TRYING_MAX))
    could_be_better: Mapped[str] = mapped_column(String(BETTER_MAX))
    reply_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
