"""Allocation rounds: schemes that place a whole cohort at once, their places, people and results.

A scheme is run by a department's appointed managers (or, with no department, by platform
administrators). Each round collects places that organisations offer, participants' ranked
choices and organisations' rankings of participants, then allocates once; results keep the facts
of why each participant got what they got, and both sides confirm or decline.

The allocation reads preferences, rankings and marks of a whole round at once, so those tables
carry ``round_id`` beside their own keys and are indexed by it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, JSONText, UTCDateTime, enum_column, utcnow
from matcher.models.placements import Placement


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    COLLECTING_PLACES = "collecting_places"
    COLLECTING_PREFERENCES = "collecting_preferences"
    ALLOCATING = "allocating"
    PUBLISHED = "published"
    CLOSED = "closed"


class RankingMode(enum.StrEnum):
    """How an organisation orders the participants who chose its place."""

    ENGINE_SCORE = "engine_score"  # the stored match scores, best first; equal scores tie
    OWN_ORDER = "own_order"  # the organisation's own ranks; anyone it left out comes last, tied


class ConfirmationSide(enum.StrEnum):
    PARTICIPANT = "participant"
    ORGANISATION = "organisation"


class ConfirmationDecision(enum.StrEnum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Scheme(Base):
    """A department's (or, with no department, the whole government's) programme of rounds."""

    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    # NULL: a cross-government scheme, run by platform administrators.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchemeManager(Base):
    """A civil servant appointed to run a scheme's rounds."""

    __tablename__ = "scheme_managers"
    __table_args__ = (UniqueConstraint("scheme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AllocationRound(Base):
    """One allocation of a cohort: places and preferences in, one stable result out."""

    __tablename__ = "allocation_rounds"
    __table_args__ = (
        CheckConstraint("max_choices >= 1 AND max_choices <= 50", name="max_choices_range"),
        CheckConstraint(
            "confirmations_close_at IS NULL OR preferences_close_at IS NULL "
            "OR confirmations_close_at > preferences_close_at",
            name="confirmations_after_preferences",
        ),
        CheckConstraint(
            "state NOT IN ('published', 'closed') OR published_at IS NOT NULL",
            name="published_has_timestamp",
        ),
        CheckConstraint(
            "join_code_digest IS NULL OR length(join_code_digest) = 64",
            name="join_code_digest_is_sha256_hex",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    state: Mapped[RoundState] = mapped_column(
        enum_column(RoundState, "round_state"), default=RoundState.DRAFT
    )
    max_choices: Mapped[int] = mapped_column(Integer)
    preferences_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmations_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Drawn when the round is created and never changed, so an allocation can be repeated.
    lottery_seed: Mapped[int] = mapped_column(BigInteger)
    # A second round offers the places and people the first one left.
    parent_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocation_rounds.id", ondelete="SET NULL"), index=True
    )
    # SHA-256 of the cohort's join link secret: the link is shown once, when it is made.
    join_code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every UPDATE; the guard against lost concurrent edits of the round's settings.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    scheme: Mapped[Scheme] = relationship()

    # DeclarativeBase types __mapper_args__ as an instance attribute; the mapper reads the class's.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]


class RoundPlace(Base):
    """A published placement offered into a round, and how many of the cohort it takes."""

    __tablename__ = "round_places"
    __table_args__ = (
        CheckConstraint("places >= 1", name="places_positive"),
        UniqueConstraint("round_id", "placement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placements.id", ondelete="CASCADE"), index=True
    )
    places: Mapped[int] = mapped_column(Integer)
    ranking_mode: Mapped[RankingMode] = mapped_column(
        enum_column(RankingMode, "ranking_mode"), default=RankingMode.ENGINE_SCORE
    )
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    placement: Mapped[Placement] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]


class RoundParticipant(Base):
    """A member of the cohort: invited by address (no account needed yet) or joined by link.

    An invitee proves they hold the address with a signed token naming this row, as an
    organisation's invitation does; nothing secret is stored here.
    """

    __tablename__ = "round_participants"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR invited_email IS NOT NULL", name="someone"),
        CheckConstraint("(user_id IS NULL) = (joined_at IS NULL)", name="joined_has_user"),
        CheckConstraint("invited_email = lower(invited_email)", name="email_lowercase"),
        UniqueConstraint("round_id", "user_id"),
        UniqueConstraint("round_id", "invited_email"),
        Index(
            "ix_round_participants_active",
            "round_id",
            "id",
            sqlite_where=text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
            postgresql_where=text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    invited_email: Mapped[str | None] = mapped_column(String(254))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped whenever the participant's choices change, so two tabs cannot overwrite each other.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]


class RoundPreference(Base):
    """One of a participant's ranked choices: rank 1 is their first choice."""

    __tablename__ = "round_preferences"
    __table_args__ = (
        CheckConstraint("rank >= 1", name="rank_positive"),
        UniqueConstraint("participant_id", "round_place_id"),
        Index("ix_round_preferences_round", "round_id", "participant_id", "rank"),
    )

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("round_participants.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_place_id: Mapped[int] = mapped_column(
        ForeignKey("round_places.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))


class PlaceRanking(Base):
    """An organisation's rank of a participant for one place; lower is better, equal ranks tie."""

    __tablename__ = "place_rankings"
    __table_args__ = (
        CheckConstraint("rank >= 1", name="rank_positive"),
        Index("ix_place_rankings_round", "round_id"),
    )

    round_place_id: Mapped[int] = mapped_column(
        ForeignKey("round_places.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("round_participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))


class UnacceptableMark(Base):
    """An organisation will not take a participant into a place, and says why."""

    __tablename__ = "unacceptable_marks"
    __table_args__ = (Index("ix_unacceptable_marks_round", "round_id"),)

    round_place_id: Mapped[int] = mapped_column(
        ForeignKey("round_places.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("round_participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))


class AllocationResult(Base):
    """Where the allocation put one participant, and the facts of why (worded when shown)."""

    __tablename__ = "allocation_results"
    __table_args__ = (
        CheckConstraint(
            "(round_place_id IS NULL) = (choice_number IS NULL)", name="placed_has_choice"
        ),
        CheckConstraint("choice_number IS NULL OR choice_number >= 1", name="choice_positive"),
        Index("ix_allocation_results_round_place", "round_id", "round_place_id"),
    )

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("round_participants.id", ondelete="CASCADE"), primary_key=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("allocation_rounds.id", ondelete="CASCADE"))
    round_place_id: Mapped[int | None] = mapped_column(
        ForeignKey("round_places.id", ondelete="CASCADE")
    )
    choice_number: Mapped[int | None] = mapped_column(Integer)
    # The participant's lottery number, which broke ties in organisations' orders: for audit.
    lottery_number: Mapped[int] = mapped_column(BigInteger)
    # {"choices": [{"round_place_id", "verdict", "reason"?}, ...]}: see matcher.allocation_reasons.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONText)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Confirmation(Base):
    """A participant's or an organisation's answer to a published result.

    A side that has not answered when the round closes (at its deadline for confirming, or when
    its managers close it) is recorded as confirmed then, ``by_deadline``: an unanswered place
    is kept, the rule the result pages and emails tell both sides.
    """

    __tablename__ = "allocation_confirmations"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_results.participant_id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[ConfirmationSide] = mapped_column(
        enum_column(ConfirmationSide, "confirmation_side"), primary_key=True
    )
    decision: Mapped[ConfirmationDecision] = mapped_column(
        enum_column(ConfirmationDecision, "confirmation_decision")
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # True: nobody answered; the round's closing recorded the place as kept.
    by_deadline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
