"""Accounts and the civil-servant profile."""

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
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, UTCDateTime, enum_column, utcnow
from matcher.models.reference import Skill, Theme


class Role(enum.StrEnum):
    CIVIL_SERVANT = "civil_servant"
    ORGANISATION_MEMBER = "organisation_member"
    ADMINISTRATOR = "administrator"


class PlacementKind(enum.StrEnum):
    SECONDMENT = "secondment"
    PLACEMENT = "placement"
    PARTNERSHIP_PROJECT = "partnership_project"
    JOB_SHADOWING = "job_shadowing"
    MENTORING = "mentoring"


class Hours(enum.StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    FLEXIBLE = "flexible"


class DigestFrequency(enum.StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    NEVER = "never"


class User(Base):
    """Someone who signs in: a civil servant, an organisation member or an administrator."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The address a requested email change would move the account to, until its link is used:
    # the change email's outbox event names the user only, so no address outlives the account.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    display_name: Mapped[str] = mapped_column(String(120))
    # The id an HR system gives an imported person, so a second import updates them in place.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    profile: Mapped[CivilServantProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


profile_themes = Table(
    "profile_themes",
    Base.metadata,
    Column("user_id", ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

profile_skills = Table(
    "profile_skills",
    Base.metadata,
    Column("user_id", ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class WantedKind(Base):
    """One kind of placement a civil servant wants."""

    __tablename__ = "profile_wanted_kinds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[PlacementKind] = mapped_column(
        enum_column(PlacementKind, "placement_kind"), primary_key=True
    )


class CivilServantProfile(Base):
    """What a civil servant offers and wants; the person side of matching."""

    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("travel_limit_km >= 0 AND travel_limit_km <= 1000", name="travel_limit"),
        CheckConstraint(
            "available_until IS NULL OR available_from IS NULL "
            "OR available_until >= available_from",
            name="availability_order",
        ),
        CheckConstraint("(easting IS NULL) = (northing IS NULL)", name="coordinates_together"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    grade_rank: Mapped[int | None] = mapped_column(ForeignKey("grades.rank"))
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("professions.id"))
    home_postcode: Mapped[str | None] = mapped_column(String(8))
    local_authority_code: Mapped[str | None] = mapped_column(ForeignKey("local_authorities.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    easting: Mapped[float | None] = mapped_column(Float)
    northing: Mapped[float | None] = mapped_column(Float)
    travel_limit_km: Mapped[int] = mapped_column(Integer, default=50)
    remote_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)
    hours: Mapped[Hours] = mapped_column(enum_column(Hours, "hours"), default=Hours.FLEXIBLE)
    about: Mapped[str] = mapped_column(Text, default="")
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        enum_column(DigestFrequency, "digest_frequency"), default=DigestFrequency.WEEKLY
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every UPDATE; the API's ETag, and the guard against lost concurrent edits.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")
    themes: Mapped[list[Theme]] = relationship(secondary=profile_themes)
    skills: Mapped[list[Skill]] = relationship(secondary=profile_skills)
    wanted_kinds: Mapped[list[WantedKind]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    # DeclarativeBase types __mapper_args__ as an instance attribute; the mapper reads the class's.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version_id}  # type: ignore[misc]
