"""The interest workflow: a person's interest in a placement, followed to an offer and an answer.

``TRANSITIONS`` is the whole workflow: which action moves an interest from which status to
which, and which side may take it (the person themself, or any member of the placement's
organisation). Decisions this module makes:

- Expressing interest twice returns the existing interest while it is active (interested,
  shortlisted, offered or accepted); nothing new is written.
- A person who withdrew may express interest again while the placement is open; a rejected or
  declined interest is final, as is an accepted one.
- A member may invite a discoverable person to express interest. That writes an
  ``InterestInvitation`` and emails the person, and nothing appears in the person's interests
  until they respond; when they express interest, the interest records who invited them.
- Moving forwards (express, shortlist, offer, accept) needs the placement open (express) or
  open or closed (the rest: an organisation shortlists after its closing date); offering and
  accepting also need a place left (accepted interests below capacity). Moving out (reject,
  withdraw, decline) is always possible.
- The acceptance that takes the last place marks the placement filled in the same transaction
  (``matcher.services.placements.fill_when_full``), so it stops taking interest and matching.
- "Not for me" is refused while the person has an active interest in the placement.

Each transition locks the interest's row (SELECT ... FOR UPDATE), writes an
``InterestTransition``, an audit entry and a ``notifications.interest_changed`` outbox event in
the caller's transaction. See ``matcher.services.access`` for NotFound versus NotPermitted.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.clock import london_today
from matcher.events import INTEREST_CHANGED, INTEREST_INVITATION_SENT, PERSON_CHANGED
from matcher.models import (
    ACTIVE_INTEREST_STATUSES,
    CivilServantProfile,
    Dismissal,
    Interest,
    InterestInvitation,
    InterestStatus,
    InterestTransition,
    Match,
    Membership,
    Placement,
    PlacementStatus,
    Role,
    User,
)
from matcher.services import placements
from matcher.services.access import (
    load_actor,
    load_placement,
    load_placement_for_member,
    membership_of,
)
from matcher.services.errors import InvalidState, NotFound, NotPermitted
from matcher.services.text import (
    has_hidden_characters,
    hidden_characters_message,
    plain_line_breaks,
)
from matcher.services.upsert import insert_unless_exists
from matcher.services.validation import ValidationFailed


class NoPlacesLeft(InvalidState):
    """Every place on the placement is taken by an accepted offer."""


class Action(enum.StrEnum):
    EXPRESS = "express"
    SHORTLIST = "shortlist"
    OFFER = "offer"
    REJECT = "reject"
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


class Side(enum.StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


S = InterestStatus
# (from status, action) -> (to status, who may take it). None is "no interest yet".
TRANSITIONS: dict[tuple[InterestStatus | None, Action], tuple[InterestStatus, Side]] = {
    (None, Action.EXPRESS): (S.INTERESTED, Side.PERSON),
    (S.WITHDRAWN, Action.EXPRESS): (S.INTERESTED, Side.PERSON),
    (S.INTERESTED, Action.SHORTLIST): (S.SHORTLISTED, Side.ORGANISATION),
    (S.SHORTLISTED, Action.OFFER): (S.OFFERED, Side.ORGANISATION),
    (S.INTERESTED, Action.REJECT): (S.REJECTED, Side.ORGANISATION),
    (S.SHORTLISTED, Action.REJECT): (S.REJECTED, Side.ORGANISATION),
    (S.OFFERED, Action.REJECT): (S.REJECTED, Side.ORGANISATION),
    (S.OFFERED, Action.ACCEPT): (S.ACCEPTED, Side.PERSON),
    (S.OFFERED, Action.DECLINE): (S.DECLINED, Side.PERSON),
    (S.INTERESTED, Action.WITHDRAW): (S.WITHDRAWN, Side.PERSON),
    (S.SHORTLISTED, Action.WITHDRAW): (S.WITHDRAWN, Side.PERSON),
    (S.OFFERED, Action.WITHDRAW): (S.WITHDRAWN, Side.PERSON),
}
# Each action belongs to one side, whatever the status it starts from.
ACTION_SIDE: dict[Action, Side] = {action: side for (_, action), (_, side) in TRANSITIONS.items()}
_NEEDS_OPEN = frozenset({Action.EXPRESS})
_NEEDS_OPEN_OR_CLOSED = frozenset({Action.SHORTLIST, Action.OFFER, Action.ACCEPT})
_NEEDS_A_PLACE = frozenset({Action.OFFER, Action.ACCEPT})
OFFER_MESSAGE_MAX = 2_000


def _require_civil_servant(actor: User, action: str) -> None:
    if actor.role != Role.CIVIL_SERVANT:
        raise NotPermitted(f"only a civil servant can {action}")


def match_as_shown(session: Session, person_id: int, placement_id: int) -> dict[str, Any]:
    """The ``MatchAsShown`` columns from the pair's stored match; none when there is no match
    (left out rather than None, which a JSON column would store as JSON null)."""
    match = session.get(Match, (person_id, placement_id))
    if match is None:
        return {}
    return {
        "match_score": match.score,
        "match_reasons": match.reasons,
        "match_engine_version": match.engine_version,
    }


def _record(
    session: Session,
    actor: User,
    interest: Interest,
    action: Action,
    before: InterestStatus | None,
) -> InterestTransition:
    """Write the transition row, its audit entry and the notification event."""
    transition = InterestTransition(
        interest_id=interest.id,
        from_status=before,
        to_status=interest.status,
        actor_id=actor.id,
        **match_as_shown(session, interest.person_id, interest.placement_id),
    )
    session.add(transition)
    session.flush()
    audit.record(
        session,
        actor.id,
        f"interest.{action.value}",
        "interest",
        interest.id,
        {
            "placement_id": interest.placement_id,
            "status": {"from": before.value if before else None, "to": interest.status.value},
            "transition_id": transition.id,
        },
    )
    outbox.record_event(
        session, INTEREST_CHANGED, {"interest_id": interest.id, "transition_id": transition.id}
    )
    return transition


def _check_placement(session: Session, placement: Placement, action: Action) -> None:
    if action in _NEEDS_OPEN and (
        placement.status != PlacementStatus.OPEN or placement.closing_date < london_today()
    ):
        raise InvalidState(f"placement {placement.id} is not open for interest")
    if action in _NEEDS_OPEN_OR_CLOSED and placement.status not in (
        PlacementStatus.OPEN,
        PlacementStatus.CLOSED,
    ):
        raise InvalidState(f"placement {placement.id} is {placement.status.value}")
    if action in _NEEDS_A_PLACE:
        accepted = session.scalar(
            select(func.count())
            .select_from(Interest)
            .where(Interest.placement_id == placement.id, Interest.status == S.ACCEPTED)
        )
        if (accepted or 0) >= placement.capacity:
            raise NoPlacesLeft(f"placement {placement.id} has no places left")


def _move(session: Session, actor: User, interest: Interest, action: Action) -> InterestTransition:
    """Apply ``action`` to a locked interest the actor may act on, or raise InvalidState."""
    before = interest.status
    step = TRANSITIONS.get((before, action))
    if step is None:
        raise InvalidState(f"interest {interest.id} is {before.value}: cannot {action.value}")
    if action in _NEEDS_A_PLACE:
        # Serialise offers and acceptances on one placement, so capacity holds under races.
        placement = session.get(
            Placement, interest.placement_id, with_for_update=True, populate_existing=True
        )
    else:
        placement = session.get(Placement, interest.placement_id)
    assert placement is not None
    _check_placement(session, placement, action)
    interest.status = step[0]
    if action == Action.OFFER:
        interest.offered_by_id = actor.id
    recorded = _record(session, actor, interest, action, before)
    if action == Action.ACCEPT:
        placements.fill_when_full(session, placement, interest.id)
    return recorded


def express_interest(session: Session, actor_id: int, placement_id: int) -> Interest:
    """Say "I'm interested" in an open placement; idempotent while the interest is active."""
    actor = load_actor(session, actor_id)
    _require_civil_servant(actor, "express interest")
    placement = load_placement(session, actor, placement_id)
    existing = _locked_interest_of(session, actor.id, placement.id)
    if existing is not None and existing.status in ACTIVE_INTEREST_STATUSES:
        return existing
    if session.get(Dismissal, (actor.id, placement.id)) is not None:
        raise InvalidState(f"user {actor.id} said placement {placement.id} is not for them")
    if existing is not None:
        _move(session, actor, existing, Action.EXPRESS)
        return existing
    _check_placement(session, placement, Action.EXPRESS)
    invitation = session.scalars(
        select(InterestInvitation).where(
            InterestInvitation.placement_id == placement.id,
            InterestInvitation.person_id == actor.id,
        )
    ).one_or_none()
    inserted = insert_unless_exists(
        session,
        Interest,
        {
            "person_id": actor.id,
            "placement_id": placement.id,
            "status": S.INTERESTED,
            "invited_by_id": invitation.invited_by_id if invitation else None,
        },
    )
    interest = _locked_interest_of(session, actor.id, placement.id)
    assert interest is not None
    if not inserted:
        # A concurrent request (a double click) created it first: answer as if we were second.
        if interest.status in ACTIVE_INTEREST_STATUSES:
            return interest
        raise InvalidState(f"interest in placement {placement.id} changed meanwhile")
    _record(session, actor, interest, Action.EXPRESS, None)
    return interest


def _locked_interest_of(session: Session, person_id: int, placement_id: int) -> Interest | None:
    return session.scalars(
        select(Interest)
        .where(Interest.person_id == person_id, Interest.placement_id == placement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _load_interest(
    session: Session, actor: User, interest_id: int, *, lock: bool = False
) -> tuple[Interest, Side | None]:
    """The interest and the side the actor is on; NotFound if they are on neither."""
    interest = session.get(
        Interest, interest_id, with_for_update=lock or None, populate_existing=lock
    )
    if interest is None:
        raise NotFound(f"interest {interest_id} does not exist")
    if interest.person_id == actor.id:
        return interest, Side.PERSON
    placement = session.get(Placement, interest.placement_id)
    assert placement is not None
    if membership_of(session, actor.id, placement.organisation_id) is not None:
        return interest, Side.ORGANISATION
    raise NotFound(f"interest {interest_id} does not exist")


def transition(session: Session, actor_id: int, interest_id: int, action: Action) -> Interest:
    """Apply one workflow action to an interest, as the table allows for the actor's side."""
    action = Action(action)
    if action == Action.EXPRESS:
        raise InvalidState("express interest with express_interest(placement_id)")
    actor = load_actor(session, actor_id)
    interest, side = _load_interest(session, actor, interest_id, lock=True)
    if side != ACTION_SIDE[action]:
        raise NotPermitted(
            f"only the {ACTION_SIDE[action].value} side can {action.value} interest {interest.id}"
        )
    _move(session, actor, interest, action)
    return interest


def shortlist(session: Session, actor_id: int, interest_id: int) -> Interest:
    """Shortlist an interested person (the placement's organisation)."""
    return transition(session, actor_id, interest_id, Action.SHORTLIST)


def offer(session: Session, actor_id: int, interest_id: int, message: str) -> Interest:
    """Offer the placement to a shortlisted person with a message: what happens next, the
    dates, and whom to contact (the placement's organisation). The person sees the message on
    their interest and in the offer email."""
    text = plain_line_breaks(message).strip()
    if not text:
        raise ValidationFailed(
            {"message": "Enter a message: say what happens next, the dates and whom to contact"}
        )
    if has_hidden_characters(text, multiline=True):
        raise ValidationFailed({"message": hidden_characters_message("Message", multiline=True)})
    if len(text) > OFFER_MESSAGE_MAX:
        raise ValidationFailed(
            {"message": f"Message must be {OFFER_MESSAGE_MAX:,} characters or fewer"}
        )
    interest = transition(session, actor_id, interest_id, Action.OFFER)
    interest.offer_message = text
    session.flush()
    return interest


def reject(session: Session, actor_id: int, interest_id: int) -> Interest:
    """Turn down an interest at any open stage (the placement's organisation)."""
    return transition(session, actor_id, interest_id, Action.REJECT)


def accept_offer(session: Session, actor_id: int, interest_id: int) -> Interest:
    """Accept an offer (the person)."""
    return transition(session, actor_id, interest_id, Action.ACCEPT)


def decline_offer(session: Session, actor_id: int, interest_id: int) -> Interest:
    """Decline an offer (the person)."""
    return transition(session, actor_id, interest_id, Action.DECLINE)


def withdraw(session: Session, actor_id: int, interest_id: int) -> Interest:
    """Withdraw an interest at any open stage (the person)."""
    return transition(session, actor_id, interest_id, Action.WITHDRAW)


def invite_to_express_interest(
    session: Session, actor_id: int, placement_id: int, person_id: int
) -> InterestInvitation:
    """Ask a discoverable person to express interest in an open placement; idempotent."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id)
    person = session.get(User, person_id)
    profile = session.get(CivilServantProfile, person_id)
    # Undiscoverable people, and people who said "not for me", are not known to organisations.
    if (
        person is None
        or person.role != Role.CIVIL_SERVANT
        or profile is None
        or not profile.discoverable
        or session.get(Dismissal, (person_id, placement.id)) is not None
    ):
        raise NotFound(f"person {person_id} does not exist")
    if placement.status != PlacementStatus.OPEN:
        raise InvalidState(f"placement {placement.id} is {placement.status.value}, not open")
    if session.scalar(
        select(Interest.id).where(
            Interest.person_id == person_id, Interest.placement_id == placement.id
        )
    ):
        raise InvalidState(f"person {person_id} already responded to placement {placement.id}")
    existing = session.scalars(
        select(InterestInvitation).where(
            InterestInvitation.placement_id == placement.id,
            InterestInvitation.person_id == person_id,
        )
    ).one_or_none()
    if existing is not None:
        return existing
    inserted = insert_unless_exists(
        session,
        InterestInvitation,
        {"placement_id": placement.id, "person_id": person_id, "invited_by_id": actor.id},
    )
    invitation = session.scalars(
        select(InterestInvitation).where(
            InterestInvitation.placement_id == placement.id,
            InterestInvitation.person_id == person_id,
        )
    ).one()
    if not inserted:
        # Another member invited the same person a moment ago; that invitation stands.
        return invitation
    audit.record(
        session,
        actor.id,
        "interest.invited",
        "placement",
        placement.id,
        {"person_id": person_id, "interest_invitation_id": invitation.id},
    )
    outbox.record_event(
        session, INTEREST_INVITATION_SENT, {"interest_invitation_id": invitation.id}
    )
    return invitation


def dismiss(session: Session, actor_id: int, placement_id: int) -> Dismissal:
    """Say "not for me": never match this placement again; idempotent."""
    actor = load_actor(session, actor_id)
    _require_civil_servant(actor, "say a placement is not for them")
    placement = load_placement(session, actor, placement_id)
    existing = session.get(Dismissal, (actor.id, placement.id))
    if existing is not None:
        return existing
    interest = _locked_interest_of(session, actor.id, placement.id)
    if interest is not None and interest.status in ACTIVE_INTEREST_STATUSES:
        raise InvalidState(
            f"user {actor.id} has an active interest in placement {placement.id}: withdraw it first"
        )
    inserted = insert_unless_exists(
        session,
        Dismissal,
        {
            "person_id": actor.id,
            "placement_id": placement.id,
            **match_as_shown(session, actor.id, placement.id),
        },
    )
    dismissal = session.get(Dismissal, (actor.id, placement.id))
    assert dismissal is not None
    if not inserted:
        # A double click: the first request's dismissal stands.
        return dismissal
    session.execute(
        delete(Match).where(Match.person_id == actor.id, Match.placement_id == placement.id)
    )
    audit.record(
        session, actor.id, "placement.dismissed", "placement", placement.id, {"person_id": actor.id}
    )
    outbox.record_event(session, PERSON_CHANGED, {"person_id": actor.id})
    return dismissal


# Read queries for pages and API handlers.


def get_interest(session: Session, actor_id: int, interest_id: int) -> Interest:
    """One interest, for its person or a member of the placement's organisation."""
    actor = load_actor(session, actor_id)
    return _load_interest(session, actor, interest_id)[0]


def allowed_actions(session: Session, actor_id: int, interest_id: int) -> list[Action]:
    """The actions the actor may take on the interest now (for buttons and API links)."""
    actor = load_actor(session, actor_id)
    interest, side = _load_interest(session, actor, interest_id)
    return [
        action
        for (status, action), (_, who) in TRANSITIONS.items()
        if status == interest.status and who == side and action != Action.EXPRESS
    ]


def interest_history(session: Session, actor_id: int, interest_id: int) -> list[InterestTransition]:
    """Every transition of the interest, oldest first."""
    actor = load_actor(session, actor_id)
    interest, _ = _load_interest(session, actor, interest_id)
    return list(
        session.scalars(
            select(InterestTransition)
            .where(InterestTransition.interest_id == interest.id)
            .order_by(InterestTransition.id)
        )
    )


def list_my_interests(
    session: Session, actor_id: int, *, status: InterestStatus | None = None
) -> list[Interest]:
    """The actor's own interests, most recently changed first."""
    actor = load_actor(session, actor_id)
    query = select(Interest).where(Interest.person_id == actor.id)
    if status is not None:
        query = query.where(Interest.status == status)
    return list(session.scalars(query.order_by(Interest.updated_at.desc(), Interest.id.desc())))


def list_placement_interests(
    session: Session, actor_id: int, placement_id: int, *, status: InterestStatus | None = None
) -> list[Interest]:
    """Interests in a placement, for members of its organisation; oldest first."""
    actor = load_actor(session, actor_id)
    placement = load_placement_for_member(session, actor, placement_id)
    query = select(Interest).where(Interest.placement_id == placement.id)
    if status is not None:
        query = query.where(Interest.status == status)
    return list(session.scalars(query.order_by(Interest.created_at, Interest.id)))


def interest_counts(session: Session, actor_id: int, placement_ids: list[int]) -> dict[int, int]:
    """How many people have an active interest in each of the member's placements, by id."""
    actor = load_actor(session, actor_id)
    member_of = select(Membership.organisation_id).where(Membership.user_id == actor.id)
    rows = session.execute(
        select(Interest.placement_id, func.count())
        .join(Placement, Placement.id == Interest.placement_id)
        .where(
            Interest.placement_id.in_(placement_ids),
            Interest.status.in_(ACTIVE_INTEREST_STATUSES),
            Placement.organisation_id.in_(member_of),
        )
        .group_by(Interest.placement_id)
    )
    return {placement_id: count for placement_id, count in rows.tuples()}


def list_invitations_to_me(session: Session, actor_id: int) -> list[InterestInvitation]:
    """Invitations to express interest the actor has not answered, on open placements."""
    actor = load_actor(session, actor_id)
    answered = select(Interest.placement_id).where(Interest.person_id == actor.id)
    dismissed = select(Dismissal.placement_id).where(Dismissal.person_id == actor.id)
    return list(
        session.scalars(
            select(InterestInvitation)
            .join(Placement, Placement.id == InterestInvitation.placement_id)
            .where(
                InterestInvitation.person_id == actor.id,
                Placement.status == PlacementStatus.OPEN,
                InterestInvitation.placement_id.not_in(answered),
                InterestInvitation.placement_id.not_in(dismissed),
            )
            .order_by(InterestInvitation.id.desc())
        )
    )
