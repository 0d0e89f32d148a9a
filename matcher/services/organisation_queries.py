"""Read-only queries for the organisation pages that the membership services do not offer."""

from __future__ import annotations

from itsdangerous import BadSignature
from sqlalchemy.orm import Session

from matcher.models import Invitation, utcnow
from matcher.services import memberships


def pending_invitation(session: Session, token: str) -> Invitation | None:
    """The still-pending invitation a genuine link names, without locking it; None otherwise."""
    try:
        # The same signer the membership service uses, so only its own links are read.
        claims = memberships._serializer().loads(token)
        invitation_id = int(claims["invitation"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or not invitation.is_pending(utcnow()):
        return None
    return invitation
