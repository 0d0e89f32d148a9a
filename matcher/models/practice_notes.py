"""Practice notes: what a local organisation has made work, for Whitehall to learn from."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, JSONDocument, UTCDateTime, enum_column, utcnow
from matcher.models.organisations import Organisation
from matcher.models.placements import Placement
from matcher.models.reference import Region, Theme
from matcher.models.users import User


class PracticeNoteStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    UNPUBLISHED = "unpublished"


practice_note_themes = Table(
    "practice_note_themes",
    Base.metadata,
    Column("note_id", ForeignKey("practice_notes.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The placements where someone could work on the practice: only the note's organisation's own.
practice_note_placements = Table(
    "practice_note_placements",
    Base.metadata,
    Column("note_id", ForeignKey("practice_notes.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "placement_id",
        ForeignKey("placements.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

# The themes a civil servant follows: new published notes on them reach their digest.
theme_follows = Table(
    "theme_follows",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PracticeNote(Base):
    """A short, structured account of a practice an organisation has made work.

    ``evidence_links`` is a list of ``{"url": ..., "label": ...}`` (http or https URLs only,
    checked by the service). The contact is either a member (``contact_user_id``) or a name and
    email address typed in.
    """

    __tablename__ = "practice_notes"
    __table_args__ = (
        CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_has_timestamp"
        ),
        Index("ix_practice_notes_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(150))
    problem: Mapped[str] = mapped_column(Text, default="")
    what_changed: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_links: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    contact_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[PracticeNoteStatus] = mapped_column(
        enum_column(PracticeNoteStatus, "status"), default=PracticeNoteStatus.DRAFT
    )
    unpublished_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every UPDATE; the ETag, and the guard against lost concurrent edits.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    organisation: Mapped[Organisation] = relationship()
    region: Mapped[Region | None] = relationship()
    contact_user: Mapped[User | None] = relationship(foreign_keys=[contact_user_id])
    themes: Mapped[list[Theme]] = relationship(secondary=practice_note_themes)
    placements: Mapped[list[Placement]] = relationship(secondary=practice_note_placements)

    # DeclarativeBase types __mapper_args__ as an instance attribute; the mapper reads the class's.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]
