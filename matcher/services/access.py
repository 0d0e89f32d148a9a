"""Who may act on what: shared checks for the organisation, placement and interest services.

NotFound or NotPermitted: an object the actor may not know exists is NotFound, so the API's 404
gives nothing away (a draft, closed, filled or withdrawn placement of another organisation, an
interest that is neither the actor's own nor on their organisation's placement, a pending
invitation of another organisation). NotPermitted is for what the actor can see but may not
change: an open placement of another organisation, an organisation (organisations are public),
an action reserved for another role.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.models import (
    Interest,
    Membership,
    MembershipRole,
    Placement,
    PlacementStatus,
    Role,
    User,
)
from matcher.services.errors import NotFound, NotPermitted


def load_actor(session: Session, actor_id: int) -> User:
    """The signed-in user; NotPermitted when the id names nobody (a deleted account)."""
    actor = session.get(User, actor_id)
    if actor is None:
        raise NotPermitted(f"user {actor_id} does not exist")
    return actor


def is_platform_admin(actor: User) -> bool:
    """Whether ``actor`` is a platform administrator."""
    return actor.role == Role.ADMINISTRATOR


def require_platform_admin(actor: User, action: str) -> None:
    """NotPermitted unless ``actor`` is a platform administrator."""
    if not is_platform_admin(actor):
        raise NotPermitted(f"only a platform administrator can {action}")


def membership_of(session: Session, user_id: int, organisation_id: int) -> Membership | None:
    """The user's membership of the organisation, if any."""
    return session.scalars(
        select(Membership).where(
            Membership.user_id == user_id, Membership.organisation_id == organisation_id
        )
    ).one_or_none()


def require_member(session: Session, actor: User, organisation_id: int) -> Membership:
    """The actor's membership of the organisation (any role); NotPermitted if there is none."""
    membership = membership_of(session, actor.id, organisation_id)
    if membership is None:
        raise NotPermitted(f"user {actor.id} is not a member of organisation {organisation_id}")
    return membership


def require_org_admin(session: Session, actor: User, organisation_id: int) -> Membership:
    """The actor's admin membership of the organisation; NotPermitted otherwise."""
    membership = require_member(session, actor, organisation_id)
    if membership.role != MembershipRole.ADMIN:
        raise NotPermitted(
            f"user {actor.id} is not an administrator of organisation {organisation_id}"
        )
    return membership


def can_see_placement(
    session: Session,
    actor: User | None,
    placement: Placement,
    acting_for: int | None = None,
) -> bool:
    """Open placements are public; others only to their organisation, platform admins and
    people who have an interest in them (so they can follow it after the placement closes).

    ``acting_for`` is the one organisation an API token acts for: with it, the actor's other
    memberships give no sight of that organisation's unpublished placements.
    """
    if placement.status == PlacementStatus.OPEN:
        return True
    if actor is None:
        return False
    if is_platform_admin(actor):
        return True
    if acting_for is not None:
        return placement.organisation_id == acting_for and (
            membership_of(session, actor.id, acting_for) is not None
        )
    if membership_of(session, actor.id, placement.organisation_id) is not None:
        return True
    interest = select(Interest.id).where(
        Interest.person_id == actor.id, Interest.placement_id == placement.id
    )
    return session.scalar(interest) is not None


def load_placement(
    session: Session,
    actor: User | None,
    placement_id: int,
    *,
    lock: bool = False,
    acting_for: int | None = None,
) -> Placement:
    """The placement if ``actor`` may see it (locked FOR UPDATE if asked); NotFound otherwise."""
    placement = session.get(
        Placement, placement_id, with_for_update=lock or None, populate_existing=lock
    )
    if placement is None or not can_see_placement(session, actor, placement, acting_for):
        raise NotFound(f"placement {placement_id} does not exist")
    return placement


def load_placement_for_member(
    session: Session, actor: User, placement_id: int, *, lock: bool = False
) -> Placement:
    """A placement the actor may change as a member of its organisation.

    NotFound when the actor may not see it; NotPermitted when they can see it but are not a
    member of its organisation.
    """
    placement = load_placement(session, actor, placement_id, lock=lock)
    require_member(session, actor, placement.organisation_id)
    return placement
