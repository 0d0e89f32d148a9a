"""A member of organisation B can never touch organisation A's placements, interests or people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEntry, Invitation, Membership, MembershipRole, OutboxEvent
from matcher.services import NotFound, NotPermitted, interests, memberships, placements
from matcher.services.placements import placement_data
from tests.unit.services.world import World, draft, open_placement


@dataclass
class Objects:
    """Organisation A's objects, as ids."""

    open_id: int
    draft_id: int
    interest_id: int
    membership_id: int
    invitation_id: int


def objects_of_a(world: World) -> Objects:
    live = open_placement(db.session, world)
    hidden = draft(db.session, world)
    interest = interests.express_interest(db.session, world.person.id, live.id)
    invitation = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "a@x.org")
    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == world.member_a.id)
    ).one()
    db.session.commit()
    assert isinstance(invitation, Invitation)
    return Objects(live.id, hidden.id, interest.id, membership.id, invitation.id)


Call = Callable[[World, Objects, int], Any]


def _transition_call(action: interests.Action) -> Call:
    return lambda w, o, b: interests.transition(db.session, b, o.interest_id, action)


# Every service call on organisation A's objects, and what B's admin gets for it.
MATRIX: list[tuple[str, Call, type[Exception]]] = [
    (
        "create_draft",
        lambda w, o, b: placements.create_draft(
            db.session, b, w.org_a.id, placements.PlacementData()
        ),
        NotPermitted,
    ),
    (
        "update_open",
        lambda w, o, b: placements.update_placement(
            db.session,
            b,
            o.open_id,
            placement_data(db.session.get(placements.Placement, o.open_id)),
        ),
        NotPermitted,
    ),
    (
        "update_draft",
        lambda w, o, b: placements.update_placement(
            db.session,
            b,
            o.draft_id,
            placement_data(db.session.get(placements.Placement, o.draft_id)),
        ),
        NotFound,
    ),
    ("publish_draft", lambda w, o, b: placements.publish(db.session, b, o.draft_id), NotFound),
    (
        "discard_draft",
        lambda w, o, b: placements.discard_draft(db.session, b, o.draft_id),
        NotFound,
    ),
    ("close", lambda w, o, b: placements.close(db.session, b, o.open_id), NotPermitted),
    ("fill", lambda w, o, b: placements.mark_filled(db.session, b, o.open_id), NotPermitted),
    ("withdraw", lambda w, o, b: placements.withdraw(db.session, b, o.open_id), NotPermitted),
    ("reopen", lambda w, o, b: placements.reopen(db.session, b, o.open_id), NotPermitted),
    (
        "unpublish",
        lambda w, o, b: placements.unpublish_by_admin(db.session, b, o.open_id, "x"),
        NotPermitted,
    ),
    ("get_draft", lambda w, o, b: placements.get_placement(db.session, b, o.draft_id), NotFound),
    (
        "list_placements",
        lambda w, o, b: placements.list_organisation_placements(db.session, b, w.org_a.id),
        NotPermitted,
    ),
    *[
        (f"interest_{action}", _transition_call(action), NotFound)
        for action in interests.Action
        if action != interests.Action.EXPRESS
    ],
    (
        "get_interest",
        lambda w, o, b: interests.get_interest(db.session, b, o.interest_id),
        NotFound,
    ),
    (
        "history",
        lambda w, o, b: interests.interest_history(db.session, b, o.interest_id),
        NotFound,
    ),
    (
        "list_interests",
        lambda w, o, b: interests.list_placement_interests(db.session, b, o.open_id),
        NotPermitted,
    ),
    (
        "invite_person",
        lambda w, o, b: interests.invite_to_express_interest(db.session, b, o.open_id, w.person.id),
        NotPermitted,
    ),
    (
        "invite_member",
        lambda w, o, b: memberships.invite_member(db.session, b, w.org_a.id, "z@x.org"),
        NotPermitted,
    ),
    (
        "revoke_invitation",
        lambda w, o, b: memberships.revoke_invitation(db.session, b, o.invitation_id),
        NotFound,
    ),
    (
        "remove_member",
        lambda w, o, b: memberships.remove_member(db.session, b, o.membership_id),
        NotFound,
    ),
    (
        "change_role",
        lambda w, o, b: memberships.change_member_role(
            db.session, b, o.membership_id, MembershipRole.ADMIN
        ),
        NotFound,
    ),
    (
        "list_members",
        lambda w, o, b: memberships.list_members(db.session, b, w.org_a.id),
        NotPermitted,
    ),
    (
        "pending_invitations",
        lambda w, o, b: memberships.list_pending_invitations(db.session, b, w.org_a.id),
        NotPermitted,
    ),
]


def written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        db.session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
    )


@pytest.mark.parametrize(
    ("call", "refusal"), [(c, r) for _, c, r in MATRIX], ids=[n for n, _, _ in MATRIX]
)
def test_another_organisations_member_is_refused_and_nothing_is_written(
    world: World, call: Call, refusal: type[Exception]
):
    objects = objects_of_a(world)
    before = written()
    with pytest.raises(refusal):
        call(world, objects, world.admin_b.id)
    db.session.rollback()
    assert written() == before
