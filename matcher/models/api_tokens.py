"""Personal API tokens: how integrations act as the person who created them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.models.base import Base, UTCDateTime, utcnow
from matcher.models.organisations import Organisation
from matcher.models.users import User


class ApiToken(Base):
    """A bearer token, shown once when created; only its SHA-256 digest is stored.

    The token acts with its owner's role. An organisation member's token is scoped to one of
    their organisations, so a member of several organisations can hand an integration only one.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("length(token_digest) = 64", name="digest_is_sha256_hex"),
        CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name="expires_after_creation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    # The first characters of the token, so its owner can tell tokens apart in a list.
    prefix: Mapped[str] = mapped_column(String(12))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Whether a request bearing this token is accepted at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
