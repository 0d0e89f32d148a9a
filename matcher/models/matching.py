"""Matches the engine stores, the interest workflow and "not for me" feedback."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import (
    Base,
    BigId,
    JSONDocument,
    UTCDateTime,
    enum_column,
    utcnow,
)
from matcher.models.packed_reasons import PackedReasons


class Match(Base):
    """One scored pair of a person and a placement, with the reasons for its score."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("rank >= 1", name="rank_positive"),
        Index("ix_matches_person_rank", "person_id", "rank"),
        Index("ix_matches_placement_score", "placement_id", "score"),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(PackedReasons)
    engine_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchAsShown:
    """The stored match of the pair when the person or organisation acted on it: its score, its
    reasons (the engine's features that made the score) and the engine version, so that what
    people do can be learned from what the engine showed them. Empty when no match was stored
    (an invitation to someone the engine never listed, for one)."""

    match_score: Mapped[float | None] = mapped_column(Float)
    match_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    match_engine_version: Mapped[str | None] = mapped_column(String(40))


class InterestStatus(enum.StrEnum):
    INTERESTED = "interested"
    SHORTLISTED = "shortlisted"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


# Interests the person still holds: they said yes and have not stepped back or been turned down.
ACTIVE_INTEREST_STATUSES = frozenset(
    {
        InterestStatus.INTERESTED,
        InterestStatus.SHORTLISTED,
        InterestStatus.OFFERED,
        InterestStatus.ACCEPTED,
    }
)


class Interest(Base):
    """A person's interest in a placement as it moves towards an offer."""

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("person_id", "placement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[InterestStatus] = mapped_column(
        enum_column(InterestStatus, "interest_status"), default=InterestStatus.INTERESTED
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the organisation wrote with its offer (next steps, dates, whom to contact), and who
    # made it: the person accepting is told how to reach them.
    offer_message: Mapped[str | None] = mapped_column(Text)
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InterestTransition(MatchAsShown, Base):
    """Who moved an interest from one state to another, and when."""

    __tablename__ = "interest_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    interest_id: Mapped[int] = mapped_column(
        ForeignKey("interests.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[InterestStatus | None] = mapped_column(
        enum_column(InterestStatus, "from_status")
    )
    to_status: Mapped[InterestStatus] = mapped_column(enum_column(InterestStatus, "to_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dismissal(MatchAsShown, Base):
    """A person's "not for me" on a placement: never matched again."""

    __tablename__ = "dismissals"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
