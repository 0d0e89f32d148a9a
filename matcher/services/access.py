"""Who may act on what: shared checks for the organisation, placement and interest services.

NotFound or NotPermitted: an object the actor may not know exists is NotFound, so the API's 404
gives nothing away (a draft, closed, filled or withdrawn placement of another organisation, an
interest that is neither the actor's own nor on their organisation's placement, a pending
invitation of another organisation). NotPermitted is for what the actor can see but may not
change: an open placement of another organisation, an organisation (organisations are public),
an action reserved for another role. Practice notes follow placements: a published note is
public, any other only its organisation's members and platform administrators see.

Allocation rounds: a scheme is run by its appointed managers, and by platform administrators
(who alone run a cross-government scheme, one with no department). A round is seen by those
who run it, by its participants, and, once it is out of draft, by every organisation member
(organisations offer places into it); anyone else is told it does not exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.models import (
    AllocationRound,
    Interest,
    Membership,
    MembershipRole,
    Placement,
    PlacementStatus,
    PracticeNote,
    PracticeNoteStatus,
    Reflection,
    ReflectionSide,
    Role,
    RoundParticipant,
    RoundPlace,
    RoundState,
    SchemeManager,
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


def can_see_note(session: Session, actor: User | None, note: PracticeNote) -> bool:
    """Published notes are public; drafts, withdrawn and unpublished ones only to the note's
    organisation and platform administrators."""
    if note.status == PracticeNoteStatus.PUBLISHED:
        return True
    if actor is None:
        return False
    if is_platform_admin(actor):
        return True
    return membership_of(session, actor.id, note.organisation_id) is not None


def load_note(
    session: Session, actor: User | None, note_id: int, *, lock: bool = False
) -> PracticeNote:
    """The practice note if ``actor`` may see it (locked FOR UPDATE if asked); NotFound
    otherwise."""
    note = session.get(PracticeNote, note_id, with_for_update=lock or None, populate_existing=lock)
    if note is None or not can_see_note(session, actor, note):
        raise NotFound(f"practice note {note_id} does not exist")
    return note


def load_note_for_member(
    session: Session, actor: User, note_id: int, *, lock: bool = False
) -> PracticeNote:
    """A note the actor may change as a member of its organisation: NotFound when they may not
    see it, NotPermitted when it is another organisation's published note."""
    note = load_note(session, actor, note_id, lock=lock)
    require_member(session, actor, note.organisation_id)
    return note


def load_reflection(
    session: Session, actor: User, reflection_id: int, *, lock: bool = False
) -> Reflection:
    """A reflection the actor gives: as the secondee, their own; as a member, their host
    organisation's. NotFound for anyone else, who may not know it exists."""
    reflection = session.get(
        Reflection, reflection_id, with_for_update=lock or None, populate_existing=lock
    )
    if reflection is not None:
        if reflection.side == ReflectionSide.SECONDEE:
            person_id = session.scalar(
                select(Interest.person_id).where(Interest.id == reflection.interest_id)
            )
            if person_id == actor.id:
                return reflection
        elif membership_of(session, actor.id, reflection.organisation_id) is not None:
            return reflection
    raise NotFound(f"reflection {reflection_id} does not exist")


def manages_scheme(session: Session, actor: User, scheme_id: int) -> bool:
    """Whether ``actor`` runs the scheme: a platform administrator or an appointed manager."""
    if is_platform_admin(actor):
        return True
    appointed = select(SchemeManager.id).where(
        SchemeManager.scheme_id == scheme_id, SchemeManager.user_id == actor.id
    )
    return session.scalar(appointed) is not None


def require_scheme_manager(session: Session, actor: User, scheme_id: int) -> None:
    """NotPermitted unless ``actor`` runs the scheme."""
    if not manages_scheme(session, actor, scheme_id):
        raise NotPermitted(f"user {actor.id} does not manage scheme {scheme_id}")


def participant_of(session: Session, user_id: int, round_id: int) -> RoundParticipant | None:
    """The user's place in a round's cohort, if they have joined it."""
    return session.scalars(
        select(RoundParticipant).where(
            RoundParticipant.round_id == round_id, RoundParticipant.user_id == user_id
        )
    ).one_or_none()


def can_see_round(session: Session, actor: User, allocation_round: AllocationRound) -> bool:
    """Its managers, its participants and, once out of draft, every organisation member."""
    if manages_scheme(session, actor, allocation_round.scheme_id):
        return True
    if actor.role == Role.ORGANISATION_MEMBER:
        return allocation_round.state != RoundState.DRAFT
    return participant_of(session, actor.id, allocation_round.id) is not None


def load_round(
    session: Session, actor: User, round_id: int, *, lock: bool = False
) -> AllocationRound:
    """The round if ``actor`` may see it (locked FOR UPDATE if asked); NotFound otherwise."""
    allocation_round = session.get(
        AllocationRound, round_id, with_for_update=lock or None, populate_existing=lock
    )
    if allocation_round is None or not can_see_round(session, actor, allocation_round):
        raise NotFound(f"round {round_id} does not exist")
    return allocation_round


def load_round_for_manager(
    session: Session, actor: User, round_id: int, *, lock: bool = False
) -> AllocationRound:
    """A round the actor runs: NotFound when they may not see it, NotPermitted when they may
    see it but do not run its scheme."""
    allocation_round = load_round(session, actor, round_id, lock=lock)
    require_scheme_manager(session, actor, allocation_round.scheme_id)
    return allocation_round


def load_round_place_for_member(
    session: Session, actor: User, round_place_id: int, *, lock: bool = False
) -> RoundPlace:
    """A place in a round that the actor may change as a member of its placement's organisation:
    NotFound when they may not see the round, NotPermitted when it is another organisation's."""
    round_place = session.get(
        RoundPlace, round_place_id, with_for_update=lock or None, populate_existing=lock
    )
    if round_place is None:
        raise NotFound(f"round place {round_place_id} does not exist")
    load_round(session, actor, round_place.round_id)
    placement = session.get(Placement, round_place.placement_id)
    assert placement is not None
    require_member(session, actor, placement.organisation_id)
    return round_place
