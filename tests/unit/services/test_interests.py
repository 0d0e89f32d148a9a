"""The interest workflow: every transition in the table, who may take it, and "not for me"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.clock import london_today
from matcher.events import (
    INTEREST_CHANGED,
    INTEREST_INVITATION_SENT,
    PERSON_CHANGED,
    PLACEMENT_CHANGED,
)
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    Dismissal,
    Interest,
    InterestInvitation,
    InterestStatus,
    InterestTransition,
    Match,
    OutboxEvent,
    Placement,
    PlacementStatus,
    User,
)
from matcher.services import InvalidState, NotFound, NotPermitted, interests, placements
from matcher.services.interests import ACTION_SIDE, TRANSITIONS, Action, Side
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World, civil_servant, draft, interest_in, open_placement


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def written() -> tuple[int, int, int]:
    """How many transitions, audit entries and outbox events exist."""
    return count(InterestTransition), count(AuditEntry), count(OutboxEvent)


def test_expressing_interest_writes_the_interest_its_history_audit_and_notification(
    world: World,
):
    placement = open_placement(db.session, world)
    db.session.commit()
    before = written()

    interest = interests.express_interest(db.session, world.person.id, placement.id)
    db.session.commit()

    assert (interest.person_id, interest.placement_id, interest.status) == (
        world.person.id,
        placement.id,
        InterestStatus.INTERESTED,
    )
    [step] = db.session.scalars(select(InterestTransition)).all()
    assert (step.from_status, step.to_status, step.actor_id) == (
        None,
        InterestStatus.INTERESTED,
        world.person.id,
    )
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "interest.express"
    assert entry.details == {
        "placement_id": placement.id,
        "status": {"from": None, "to": "interested"},
        "transition_id": step.id,
    }
    event = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.task_name == INTEREST_CHANGED)
    ).one()
    assert event.payload == {"interest_id": interest.id, "transition_id": step.id}
    assert written() == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_expressing_interest_twice_keeps_one_interest(world: World):
    placement = open_placement(db.session, world)
    first = interests.express_interest(db.session, world.person.id, placement.id)
    db.session.commit()
    before = written()
    second = interests.express_interest(db.session, world.person.id, placement.id)
    db.session.commit()
    assert second.id == first.id
    assert count(Interest) == 1
    assert written() == before


@pytest.mark.parametrize("status", [InterestStatus.REJECTED, InterestStatus.DECLINED])
def test_a_rejected_or_declined_interest_cannot_be_expressed_again(
    world: World, status: InterestStatus
):
    placement = open_placement(db.session, world)
    interest_in(db.session, world, placement, status)
    with pytest.raises(InvalidState):
        interests.express_interest(db.session, world.person.id, placement.id)


def test_a_person_who_withdrew_may_express_interest_again(world: World):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.WITHDRAWN)
    again = interests.express_interest(db.session, world.person.id, placement.id)
    assert again.id == interest.id and again.status == InterestStatus.INTERESTED
    history = interests.interest_history(db.session, world.person.id, interest.id)
    assert [(t.from_status, t.to_status) for t in history] == [
        (None, InterestStatus.INTERESTED),
        (InterestStatus.INTERESTED, InterestStatus.WITHDRAWN),
        (InterestStatus.WITHDRAWN, InterestStatus.INTERESTED),
    ]


def test_interest_needs_an_open_placement_before_its_closing_date(world: World):
    placement = open_placement(db.session, world)
    placement.closing_date = london_today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(InvalidState, match="not open"):
        interests.express_interest(db.session, world.person.id, placement.id)
    hidden = draft(db.session, world)
    with pytest.raises(NotFound):
        interests.express_interest(db.session, world.person.id, hidden.id)


def test_only_civil_servants_express_interest(world: World):
    placement = open_placement(db.session, world)
    with pytest.raises(NotPermitted):
        interests.express_interest(db.session, world.admin_b.id, placement.id)


STEPS = [
    (status, action) for status in InterestStatus for action in Action if action != Action.EXPRESS
]


@pytest.mark.parametrize(("status", "action"), STEPS, ids=[f"{s}-{a}" for s, a in STEPS])
def test_every_transition_is_allowed_exactly_as_the_table_says(
    world: World, status: InterestStatus, action: Action
):
    placement = open_placement(db.session, world, capacity=2)
    interest = interest_in(db.session, world, placement, status)
    db.session.commit()
    actor = world.person if ACTION_SIDE[action] == Side.PERSON else world.member_a
    before = written()

    if (status, action) not in TRANSITIONS:
        with pytest.raises(InvalidState):
            interests.transition(db.session, actor.id, interest.id, action)
        db.session.rollback()
        assert interest.status == status
        assert written() == before
        return

    interests.transition(db.session, actor.id, interest.id, action)
    db.session.commit()
    assert interest.status == TRANSITIONS[(status, action)][0]
    assert written() == (before[0] + 1, before[1] + 1, before[2] + 1)
    last = db.session.scalars(
        select(InterestTransition).order_by(InterestTransition.id.desc())
    ).first()
    assert (last.from_status, last.to_status, last.actor_id) == (status, interest.status, actor.id)


@pytest.mark.parametrize("action", [a for a in Action if a != Action.EXPRESS])
def test_each_action_belongs_to_one_side(world: World, action: Action):
    placement = open_placement(db.session, world)
    start = next(status for (status, a) in TRANSITIONS if a == action)
    interest = interest_in(db.session, world, placement, start)
    db.session.commit()
    wrong = world.member_a if ACTION_SIDE[action] == Side.PERSON else world.person
    before = written()
    with pytest.raises(NotPermitted):
        interests.transition(db.session, wrong.id, interest.id, action)
    assert interest.status == start and written() == before


@pytest.mark.parametrize("action", [a for a in Action if a != Action.EXPRESS])
def test_outsiders_cannot_see_an_interest(world: World, action: Action):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    for outsider in (world.admin_b, world.other_person, world.platform_admin):
        with pytest.raises(NotFound):
            interests.transition(db.session, outsider.id, interest.id, action)
    with pytest.raises(NotFound):
        interests.get_interest(db.session, world.admin_b.id, interest.id)


def test_no_offer_or_acceptance_beyond_capacity(world: World):
    placement = open_placement(db.session, world, capacity=1)
    first = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    second = interests.express_interest(db.session, world.other_person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, second.id)
    interests.offer(db.session, world.member_a.id, second.id, "Start on Monday.")
    interests.accept_offer(db.session, world.person.id, first.id)
    with pytest.raises(InvalidState):
        interests.accept_offer(db.session, world.other_person.id, second.id)


def _offered(world: World, placement: Placement, person: User) -> Interest:
    interest = interests.express_interest(db.session, person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    interests.offer(db.session, world.member_a.id, interest.id, "Start on Monday.")
    return interest


def test_accepting_the_last_place_fills_the_placement_in_the_same_transaction(world: World):
    placement = open_placement(db.session, world, capacity=2)
    first = _offered(world, placement, world.person)
    second = _offered(world, placement, world.other_person)
    db.session.commit()

    interests.accept_offer(db.session, world.person.id, first.id)
    db.session.commit()
    assert placement.status == PlacementStatus.OPEN

    events_before = count(OutboxEvent)
    interests.accept_offer(db.session, world.other_person.id, second.id)
    db.session.commit()

    db.session.refresh(placement)
    assert placement.status == PlacementStatus.FILLED
    assert placement.filled_at is not None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "placement.mark_filled")
    ).one()
    assert entry.actor_id is None
    assert entry.object_id == str(placement.id)
    assert entry.details["interest_id"] == second.id
    assert entry.details["status"] == {"from": "open", "to": "filled"}
    tasks = db.session.scalars(
        select(OutboxEvent.task_name).order_by(OutboxEvent.id).offset(events_before)
    ).all()
    assert tasks == [INTEREST_CHANGED, PLACEMENT_CHANGED]
    # Filled: it is off the public site, so nobody else can say they are interested.
    with pytest.raises(NotFound):
        interests.express_interest(db.session, civil_servant(db.session).id, placement.id)


def test_the_organisation_shortlists_after_closing_but_not_after_withdrawing(world: World):
    placement = open_placement(db.session, world)
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    placements.close(db.session, world.member_a.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    # The person can still see the closed placement their interest is in.
    assert placements.get_placement(db.session, world.person.id, placement.id) is placement
    placements.withdraw(db.session, world.member_a.id, placement.id)
    with pytest.raises(InvalidState):
        interests.offer(db.session, world.member_a.id, interest.id, "Start on Monday.")
    interests.withdraw(db.session, world.person.id, interest.id)


def test_allowed_actions_follow_the_table(world: World):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    assert set(interests.allowed_actions(db.session, world.person.id, interest.id)) == {
        Action.ACCEPT,
        Action.DECLINE,
        Action.WITHDRAW,
    }
    assert interests.allowed_actions(db.session, world.member_a.id, interest.id) == [Action.REJECT]


def test_lists_of_interests_for_each_side(world: World):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    assert interests.list_my_interests(db.session, world.person.id) == [interest]
    assert interests.list_my_interests(db.session, world.other_person.id) == []
    assert interests.list_placement_interests(db.session, world.admin_a.id, placement.id) == [
        interest
    ]
    assert (
        interests.list_placement_interests(
            db.session, world.admin_a.id, placement.id, status=InterestStatus.OFFERED
        )
        == []
    )
    with pytest.raises(NotPermitted):
        interests.list_placement_interests(db.session, world.admin_b.id, placement.id)


# Inviting a recommended person


def test_a_member_invites_a_discoverable_person_who_then_expresses_interest(world: World):
    placement = open_placement(db.session, world)
    db.session.commit()
    invitation = interests.invite_to_express_interest(
        db.session, world.member_a.id, placement.id, world.person.id
    )
    again = interests.invite_to_express_interest(
        db.session, world.admin_a.id, placement.id, world.person.id
    )
    db.session.commit()
    assert again.id == invitation.id
    assert count(Interest) == 0
    [event] = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.task_name == INTEREST_INVITATION_SENT)
    ).all()
    assert event.payload == {"interest_invitation_id": invitation.id}
    assert interests.list_invitations_to_me(db.session, world.person.id) == [invitation]

    interest = interests.express_interest(db.session, world.person.id, placement.id)
    assert interest.invited_by_id == world.member_a.id
    assert interests.list_invitations_to_me(db.session, world.person.id) == []
    with pytest.raises(InvalidState):
        interests.invite_to_express_interest(
            db.session, world.member_a.id, placement.id, world.person.id
        )


def test_undiscoverable_and_dismissing_people_cannot_be_invited(world: World):
    placement = open_placement(db.session, world)
    hidden = civil_servant(db.session, discoverable=False)
    with pytest.raises(NotFound):
        interests.invite_to_express_interest(db.session, world.member_a.id, placement.id, hidden.id)
    interests.dismiss(db.session, world.person.id, placement.id)
    with pytest.raises(NotFound):
        interests.invite_to_express_interest(
            db.session, world.member_a.id, placement.id, world.person.id
        )
    with pytest.raises(NotFound):
        interests.invite_to_express_interest(
            db.session, world.member_a.id, placement.id, world.admin_b.id
        )
    assert count(InterestInvitation) == 0


# Not for me


def test_not_for_me_is_recorded_once_removes_the_match_and_tells_matching(world: World):
    placement = open_placement(db.session, world)
    db.session.add(
        Match(
            person_id=world.person.id,
            placement_id=placement.id,
            score=0.9,
            rank=1,
            reasons=[],
            engine_version="test",
        )
    )
    db.session.commit()

    interests.dismiss(db.session, world.person.id, placement.id)
    interests.dismiss(db.session, world.person.id, placement.id)
    db.session.commit()

    assert count(Dismissal) == 1
    assert count(Match) == 0
    payloads = db.session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.task_name == PERSON_CHANGED)
    ).all()
    assert payloads == [{"person_id": world.person.id}]
    with pytest.raises(InvalidState, match="not for them"):
        interests.express_interest(db.session, world.person.id, placement.id)


def test_not_for_me_waits_until_an_active_interest_is_withdrawn(world: World):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    with pytest.raises(InvalidState, match="withdraw it first"):
        interests.dismiss(db.session, world.person.id, placement.id)
    interests.withdraw(db.session, world.person.id, interest.id)
    interests.dismiss(db.session, world.person.id, placement.id)
    assert db.session.get(Placement, placement.id) is placement


def test_an_offer_needs_a_message_and_keeps_it_with_who_made_it(world: World):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    db.session.commit()
    before = written()

    for message in ("   ", "x" * (interests.OFFER_MESSAGE_MAX + 1)):
        with pytest.raises(ValidationFailed) as refused:
            interests.offer(db.session, world.member_a.id, interest.id, message)
        db.session.rollback()
        assert set(refused.value.errors) == {"message"}
    assert interest.status == InterestStatus.SHORTLISTED and written() == before

    interests.offer(db.session, world.member_a.id, interest.id, "  Start on 2 March.  ")
    db.session.commit()
    assert (interest.status, interest.offer_message, interest.offered_by_id) == (
        InterestStatus.OFFERED,
        "Start on 2 March.",
        world.member_a.id,
    )


# What the engine showed, kept with what people did about it

SHOWN = [{"component": "themes", "contribution": 0.5, "evidence": {"shared_theme_ids": [1]}}]


def _stored_match(world: World, placement: Placement) -> None:
    db.session.add(
        Match(
            person_id=world.person.id,
            placement_id=placement.id,
            score=0.5,
            rank=1,
            reasons=SHOWN,
            engine_version="test-7",
        )
    )


def test_each_step_of_an_interest_keeps_the_match_it_was_taken_on(world: World):
    placement = open_placement(db.session, world)
    _stored_match(world, placement)
    unmatched = open_placement(db.session, world)
    db.session.commit()

    shown = interests.express_interest(db.session, world.person.id, placement.id)
    not_shown = interests.express_interest(db.session, world.person.id, unmatched.id)
    db.session.commit()

    steps = {s.interest_id: s for s in db.session.scalars(select(InterestTransition)).all()}
    step = steps[shown.id]
    assert (step.match_score, step.match_reasons, step.match_engine_version) == (
        0.5,
        SHOWN,
        "test-7",
    )
    other = steps[not_shown.id]
    assert (other.match_score, other.match_reasons, other.match_engine_version) == (
        None,
        None,
        None,
    )


def test_not_for_me_keeps_the_match_it_removes(world: World):
    placement = open_placement(db.session, world)
    _stored_match(world, placement)
    db.session.commit()

    interests.dismiss(db.session, world.person.id, placement.id)
    db.session.commit()

    dismissal = db.session.get_one(Dismissal, (world.person.id, placement.id))
    assert (dismissal.match_score, dismissal.match_reasons) == (0.5, SHOWN)
    assert dismissal.match_engine_version == "test-7"
    assert count(Match) == 0
