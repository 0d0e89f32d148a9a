"""Placements that organisations post: secondments, projects, shadowing, mentoring."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, UTCDateTime, enum_column, utcnow
from matcher.models.organisations import Organisation
from matcher.models.reference import Skill, Theme
from matcher.models.users import Hours, PlacementKind


class PlacementStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FILLED = "filled"
    WITHDRAWN = "withdrawn"


placement_themes = Table(
    "placement_themes",
    Base.metadata,
    Column("placement_id", ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

placement_skills = Table(
    "placement_skills",
    Base.metadata,
    Column("placement_id", ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Placement(Base):
    """An opportunity an organisation offers to civil servants."""

    __tablename__ = "placements"
    __table_args__ = (
        CheckConstraint("grade_min_rank <= grade_max_rank", name="grade_range_order"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("duration_weeks >= 1 AND duration_weeks <= 260", name="duration_range"),
        CheckConstraint("start_date > closing_date", name="starts_after_closing"),
        CheckConstraint(
            "remote_possible OR location_postcode IS NOT NULL", name="located_or_remote"
        ),
        CheckConstraint("(easting IS NULL) = (northing IS NULL)", name="coordinates_together"),
        CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_has_timestamp"
        ),
        Index("ix_placements_status_closing_date", "status", "closing_date"),
        UniqueConstraint("organisation_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[PlacementKind] = mapped_column(enum_column(PlacementKind, "placement_kind"))
    grade_min_rank: Mapped[int] = mapped_column(ForeignKey("grades.rank"))
    grade_max_rank: Mapped[int] = mapped_column(ForeignKey("grades.rank"))
    location_postcode: Mapped[str | None] = mapped_column(String(8))
    local_authority_code: Mapped[str | None] = mapped_column(ForeignKey("local_authorities.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    easting: Mapped[float | None] = mapped_column(Float)
    northing: Mapped[float | None] = mapped_column(Float)
    remote_possible: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date] = mapped_column(Date)
    duration_weeks: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Hours] = mapped_column(enum_column(Hours, "hours"))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    closing_date: Mapped[date] = mapped_column(Date)
    status: Mapped[PlacementStatus] = mapped_column(
        enum_column(PlacementStatus, "status"), default=PlacementStatus.DRAFT
    )
    unpublished_reason: Mapped[str | None] = mapped_column(Text)
    # The id the organisation's HR system gives it, so a second import updates it in place.
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every UPDATE; the API's ETag, and the guard against lost concurrent edits.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    organisation: Mapped[Organisation] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=placement_themes)
    skills: Mapped[list[Skill]] = relationship(secondary=placement_skills)

    # DeclarativeBase types __mapper_args__ as an instance attribute; the mapper reads the class's.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]
