"""Read-only queries for the organisation pages that the membership services do not offer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.models import (
    Invitation,
    Organisation,
    Placement,
    PlacementStatus,
    VerificationStatus,
    utcnow,
)
from matcher.services.errors import NotFound
from matcher.services.memberships import invitation_id_from_token

OPEN_PLACEMENTS_SHOWN = 20


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


@dataclass(frozen=True)
class PublicOrganisation:
    """An organisation as anyone may see it: its open placements, soonest closing first."""

    organisation: Organisation
    open_placements: list[Placement]


def public_organisation(session: Session, organisation_id: int) -> PublicOrganisation:
    """A verified organisation's public page; NotFound for any other."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.status != VerificationStatus.VERIFIED:
        raise NotFound(f"organisation {organisation_id} is not public")
    placements = list(
        session.scalars(
            select(Placement)
            .where(
                Placement.organisation_id == organisation.id,
                Placement.status == PlacementStatus.OPEN,
            )
            .order_by(Placement.closing_date, Placement.id)
            .limit(OPEN_PLACEMENTS_SHOWN)
        )
    )
    return PublicOrganisation(organisation, placements)
