"""Invitations: to join an organisation, and to express interest in a placement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, UTCDateTime, enum_column, utcnow
from matcher.models.organisations import MembershipRole, Organisation


class Invitation(Base):
    """An organisation administrator's invitation, by email address, to join the organisation.

    The invitee proves they hold the email by presenting a signed token naming this row's id;
    no secret is stored here. At most one invitation per organisation and address is pending
    (neither accepted nor revoked) at a time.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint(
            "accepted_at IS NULL OR revoked_at IS NULL", name="accepted_or_revoked_not_both"
        ),
        Index(
            "uq_invitations_pending",
            "organisation_id",
            "email",
            unique=True,
            sqlite_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[MembershipRole] = mapped_column(
        enum_column(MembershipRole, "membership_role"), default=MembershipRole.MEMBER
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()

    def is_pending(self, now: datetime) -> bool:
        """Whether the invitation can still be accepted at ``now``."""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class InterestInvitation(Base):
    """An organisation member asking a recommended person to express interest in a placement.

    Nothing appears in the person's interests until they respond; when they express interest,
    the new interest records who invited them.
    """

    __tablename__ = "interest_invitations"
    __table_args__ = (UniqueConstraint("placement_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
