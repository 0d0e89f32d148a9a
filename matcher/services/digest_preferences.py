"""How often someone gets digests: unsubscribing by link, and changing it back in the profile.

Callers commit, as with every service here.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from matcher.models import (
    DigestFrequency,
    SuppressedAddress,
    SuppressionReason,
    User,
    utcnow,
)


def unsubscribe(session: Session, user_id: int) -> bool:
    """Stop digests to this user (by their one-click link); False if there is no such user."""
    user = session.get(User, user_id)
    if user is None:
        return False
    if user.profile is not None:
        user.profile.digest_frequency = DigestFrequency.NEVER
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Doing it twice (a mail client's POST, then the person's own click) changes nothing.
    session.execute(
        insert(SuppressedAddress)
        .values(
            email=user.email.lower(),
            reason=SuppressionReason.UNSUBSCRIBED.value,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    return True


def set_digest_frequency(session: Session, user: User, frequency: DigestFrequency) -> None:
    """Record the user's choice; choosing weekly or daily also lifts any suppression.

    The signed-in person asking for digests outweighs an earlier unsubscribe, complaint or
    bounce; if the address still bounces, the next send suppresses it again.
    """
    if user.profile is not None:
        user.profile.digest_frequency = frequency
    if frequency != DigestFrequency.NEVER:
        session.execute(
            delete(SuppressedAddress).where(SuppressedAddress.email == user.email.lower())
        )
    else:
        unsubscribe(session, user.id)


def is_suppressed(session: Session, user: User) -> bool:
    """Whether digests to this user's address are stopped, for the profile page to say so."""
    return session.get(SuppressedAddress, user.email.lower()) is not None
