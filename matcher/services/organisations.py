"""Use cases about organisations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.events import ORGANISATION_VERIFIED
from matcher.models import Organisation, OrganisationKind, Role, User, VerificationStatus, utcnow
from matcher.services.errors import InvalidState, NotFound, NotPermitted

# What each kind of organisation is called on pages, in downloads and in the open data.
KIND_NAMES = {
    OrganisationKind.COUNCIL: "Council",
    OrganisationKind.POLICE_FORCE: "Police force",
    OrganisationKind.REGIONAL_PARTNERSHIP: "Regional partnership",
    OrganisationKind.OTHER_PUBLIC_BODY: "Other public body",
}


def verify_organisation(session: Session, *, actor_id: int, organisation_id: int) -> Organisation:
    """Verify a proposed organisation as a platform administrator and notify its admins."""
    actor = session.get(User, actor_id)
    if actor is None or actor.role != Role.ADMINISTRATOR:
        raise NotPermitted("only a platform administrator can verify an organisation")
    organisation = session.get(Organisation, organisation_id, with_for_update=True)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    if organisation.status != VerificationStatus.PROPOSED:
        raise InvalidState(
            f"organisation {organisation_id} is {organisation.status.value}, not proposed"
        )
    organisation.status = VerificationStatus.VERIFIED
    organisation.verified_at = utcnow()
    organisation.verified_by_id = actor.id
    audit.record(
        session,
        actor.id,
        "organisation.verified",
        "organisation",
        organisation.id,
        {"status": {"from": VerificationStatus.PROPOSED.value, "to": "verified"}},
    )
    outbox.record_event(session, ORGANISATION_VERIFIED, {"organisation_id": organisation.id})
    return organisation
