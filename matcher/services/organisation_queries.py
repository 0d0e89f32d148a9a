"""Read-only queries for the organisation pages that the membership services do not offer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.models import Invitation, Organisation, VerificationStatus, utcnow
from matcher.services.memberships import invitation_id_from_token


def pending_invitation(session: Session, token: str, *, secret_key: str) -> Invitation | None:
    """The still-pending invitation a genuine link names, without locking it; None otherwise."""
    invitation_id = invitation_id_from_token(token, secret_key=secret_key)
    if invitation_id is None:
        return None
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or not invitation.is_pending(utcnow()):
        return None
    return invitation


def verified_organisations(session: Session) -> list[Organisation]:
    """Every verified organisation by name, except councils abolished in a reorganisation: the
    list a member asks to join from."""
    return list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.status == VerificationStatus.VERIFIED,
                Organisation.merged_into_id.is_(None),
            )
            .order_by(Organisation.name)
        )
    )
