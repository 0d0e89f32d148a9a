"""Which of their organisations a signed-in organisation member acts for."""

from __future__ import annotations

from flask import session as cookie

from matcher.extensions import db
from matcher.models import Membership, Role
from matcher.services.memberships import organisations_of
from matcher.web.auth import roles_required, signed_in_user

member_only = roles_required(Role.ORGANISATION_MEMBER)
# The organisation the member chose on "Your organisations", kept in their signed session.
CURRENT_ORGANISATION = "organisation_id"


def current_membership() -> Membership | None:
    """The membership the signed-in member acts through: the organisation they chose last,
    while they are still a member of it, or else the first they joined."""
    found = organisations_of(db.session, signed_in_user().id)
    chosen = cookie.get(CURRENT_ORGANISATION)
    for membership in found:
        if membership.organisation_id == chosen:
            return membership
    return found[0] if found else None
