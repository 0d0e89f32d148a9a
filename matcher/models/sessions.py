"""Browser sessions that were signed out before their cookie expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, UTCDateTime


class EndedSession(Base):
    """A signed-out session: its cookie, even if copied, no longer signs anyone in.

    The row names the session by a digest of its id, and is kept only until the cookie would
    have expired anyway.
    """

    __tablename__ = "ended_sessions"

    session_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
