"""Local public organisations and the people who act for them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, UTCDateTime, enum_column, utcnow


class OrganisationKind(enum.StrEnum):
    COUNCIL = "council"
    POLICE_FORCE = "police_force"
    REGIONAL_PARTNERSHIP = "regional_partnership"
    OTHER_PUBLIC_BODY = "other_public_body"


class VerificationStatus(enum.StrEnum):
    PROPOSED = "proposed"
    VERIFIED = "verified"
    REJECTED = "rejected"


class MembershipRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class JoinRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Organisation(Base):
    """A council, police force, regional partnership or other public body."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind <> 'council' OR ons_code IS NOT NULL", name="council_has_ons_code"),
        CheckConstraint(
            "(status = 'verified') = (verified_at IS NOT NULL)", name="verified_has_timestamp"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    ons_code: Mapped[str | None] = mapped_column(String(9), unique=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    email_domain: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[VerificationStatus] = mapped_column(
        enum_column(VerificationStatus, "status"), default=VerificationStatus.PROPOSED
    )
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A council abolished in a reorganisation points at the one that took it over; its
    # placements and memberships stay, but nobody can choose it any more.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )

    merged_into: Mapped[Organisation | None] = relationship(remote_side=[id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(Base):
    """A user acting for an organisation, as its administrator or an ordinary member."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(
        enum_column(MembershipRole, "membership_role"), default=MembershipRole.MEMBER
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class JoinRequest(Base):
    """A signed-in member asking to join an organisation their email domain does not prove.

    An administrator of the organisation, or a platform administrator, approves or declines it.
    At most one request per person and organisation is pending at a time.
    """

    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name="decided_unless_pending"
        ),
        Index(
            "uq_join_requests_pending",
            "organisation_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[JoinRequestStatus] = mapped_column(
        enum_column(JoinRequestStatus, "join_request_status"), default=JoinRequestStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()


class MembershipRemoval(Base):
    """A person an administrator removed from an organisation.

    While the row exists they cannot rejoin by email domain; an administrator's invitation, or
    approval of a request they make, lets them back and deletes the row.
    """

    __tablename__ = "membership_removals"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
