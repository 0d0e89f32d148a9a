"""Answers to a form of several pages, kept on the server until the person saves them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, JSONDocument, UTCDateTime, utcnow


class FormDraft(Base):
    """One person's unsaved answers to one form ("profile", "placement").

    Kept in the database rather than the session cookie: a long description made the cookie
    larger than browsers keep, and the answers were silently lost.
    """

    __tablename__ = "form_drafts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[str] = mapped_column(String(40), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
