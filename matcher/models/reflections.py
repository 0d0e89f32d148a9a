"""Reflections: what a secondee and their host organisation say once a placement has ended."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, UTCDateTime, enum_column, utcnow


class ReflectionSide(enum.StrEnum):
    SECONDEE = "secondee"  # the person who did the placement
    HOST = "host"  # the organisation that hosted it (any of its members answers for it)


class Reflection(Base):
    """One side's reflection on one completed placement (an accepted interest that has ended).

    Asked for by the beat job once the placement ends (``requested_at``), reminded once
    (``reminded_at``), and answered on a form until ``closes_at``; the answers stay empty until
    then. Only the secondee can allow their words to be quoted.
    """

    __tablename__ = "reflections"
    __table_args__ = (
        UniqueConstraint("interest_id", "side"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        CheckConstraint(
            "submitted_at IS NULL OR (learned IS NOT NULL AND rating IS NOT NULL "
            "AND recommend IS NOT NULL)",
            name="submitted_is_complete",
        ),
        CheckConstraint("side = 'secondee' OR NOT may_quote", name="only_secondees_quoted"),
        Index("ix_reflections_organisation_side", "organisation_id", "side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("interests.id", ondelete="CASCADE"))
    side: Mapped[ReflectionSide] = mapped_column(enum_column(ReflectionSide, "reflection_side"))
    # Copied from the interest's placement when asked, so ratings group by host in one index.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    ended_on: Mapped[date] = mapped_column(Date)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    learned: Mapped[str | None] = mapped_column(Text)
    informed: Mapped[str | None] = mapped_column(Text)
    recommend: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    may_quote: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every UPDATE: two members answering for the host cannot overwrite each other.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]
