"""Asking to join an organisation: requests, who decides them, and the emails they send."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.events import JOIN_REQUEST_DECIDED, JOIN_REQUEST_RECEIVED
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    JoinRequest,
    JoinRequestStatus,
    MembershipRole,
    OutboxEvent,
    Role,
    User,
)
from matcher.services import InvalidState, NotFound, NotPermitted, memberships
from matcher.services.access import membership_of
from matcher.services.organisation_queries import pending_invitation
from matcher.services.validation import ValidationFailed
from tests import builders
from tests.unit.services.test_interest_notifications import delivered, run_pending
from tests.unit.services.world import World, verified_organisation

# Services take the key from their caller; any key signs and checks its own tokens.
SECRET_KEY = "the key these tests sign invitations with"


def requester(email: str = "analyst@elsewhere.example.org") -> User:
    return builders.user(db.session, role=Role.ORGANISATION_MEMBER, email=email)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def events(task_name: str) -> list[dict]:
    return list(
        db.session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.task_name == task_name)
            .order_by(OutboxEvent.id)
        )
    )


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(JoinRequest)) or 0


def test_a_member_asks_to_join_and_an_administrator_approves(world: World):
    asker = requester()
    join_request = memberships.request_to_join(
        db.session, asker.id, world.org_a.id, "  I run the licensing team.  "
    )
    db.session.commit()
    assert (join_request.status, join_request.message) == (
        JoinRequestStatus.PENDING,
        "I run the licensing team.",
    )
    assert events(JOIN_REQUEST_RECEIVED) == [{"join_request_id": join_request.id}]
    assert [
        r.id
        for r, _ in memberships.pending_join_requests(db.session, world.admin_a.id, world.org_a.id)
    ] == [join_request.id]
    assert memberships.own_pending_join_requests(db.session, asker.id) == [join_request]

    membership = memberships.approve_join_request(db.session, world.admin_a.id, join_request.id)
    db.session.commit()
    assert (membership.user_id, membership.organisation_id, membership.role) == (
        asker.id,
        world.org_a.id,
        MembershipRole.MEMBER,
    )
    assert join_request.status == JoinRequestStatus.APPROVED
    assert join_request.decided_by_id == world.admin_a.id and join_request.decided_at
    assert actions() == ["join_request.created", "join_request.approved", "membership.created"]
    assert events(JOIN_REQUEST_DECIDED) == [{"join_request_id": join_request.id}]
    assert memberships.own_pending_join_requests(db.session, asker.id) == []


def test_asking_twice_leaves_one_pending_request(world: World):
    asker = requester()
    first = memberships.request_to_join(db.session, asker.id, world.org_a.id, "first")
    again = memberships.request_to_join(db.session, asker.id, world.org_a.id, "second")
    db.session.commit()
    assert again.id == first.id and rows() == 1
    assert actions() == ["join_request.created"]
    assert len(events(JOIN_REQUEST_RECEIVED)) == 1
    # Once decided, the person may ask again.
    memberships.decline_join_request(db.session, world.admin_a.id, first.id)
    later = memberships.request_to_join(db.session, asker.id, world.org_a.id)
    assert later.id != first.id and rows() == 2


@pytest.mark.parametrize(
    ("organisation", "message", "field", "error"),
    [
        (None, "", "organisation_id", "Select the organisation you want to join"),
        ("missing", "", "organisation_id", "Select the organisation you want to join"),
        ("proposed", "", "organisation_id", "has not been verified yet"),
        ("own", "", "organisation_id", "You are already a member of"),
        ("a", "x" * 501, "message", "Your message must be 500 characters or fewer"),
    ],
)
def test_bad_requests_are_explained_and_nothing_is_saved(
    world: World, organisation: str | None, message: str, field: str, error: str
):
    proposed = builders.organisation(db.session, name="Proposed Body")
    asker = world.member_a if organisation == "own" else requester()
    organisation_id = {
        None: None,
        "missing": 999_999,
        "proposed": proposed.id,
        "own": world.org_a.id,
        "a": world.org_a.id,
    }[organisation]
    with pytest.raises(ValidationFailed) as raised:
        memberships.request_to_join(db.session, asker.id, organisation_id, message)
    assert list(raised.value.errors) == [field]
    assert error in raised.value.errors[field]
    assert rows() == 0 and actions() == []


def test_a_message_of_500_characters_is_kept_whole(world: World):
    join_request = memberships.request_to_join(
        db.session, requester().id, world.org_a.id, "y" * 500
    )
    assert len(join_request.message) == 500


def test_only_organisation_member_accounts_ask(world: World):
    for someone in (world.person, world.platform_admin):
        with pytest.raises(NotPermitted):
            memberships.request_to_join(db.session, someone.id, world.org_a.id)


def test_the_organisations_administrators_decide_and_nobody_else(world: World):
    asker = requester()
    join_request = memberships.request_to_join(db.session, asker.id, world.org_a.id)
    for refused, error in (
        (world.member_a, NotPermitted),
        # An organisation that has an administrator is not the platform's to decide for.
        (world.platform_admin, NotPermitted),
        # Others may not learn that the request exists.
        (world.admin_b, NotFound),
        (asker, NotFound),
        (world.person, NotFound),
    ):
        for decide in (memberships.approve_join_request, memberships.decline_join_request):
            with pytest.raises(error):
                decide(db.session, refused.id, join_request.id)
        with pytest.raises(error):
            memberships.join_request_for_deciders(db.session, refused.id, join_request.id)
    with pytest.raises(NotPermitted):
        memberships.pending_join_requests(db.session, world.member_a.id, world.org_a.id)
    with pytest.raises(NotPermitted):
        memberships.join_requests_for_platform(db.session, world.admin_a.id)
    assert join_request.status == JoinRequestStatus.PENDING
    assert membership_of(db.session, asker.id, world.org_a.id) is None


def test_a_platform_administrator_decides_for_an_organisation_without_administrators(
    world: World,
):
    unrun = verified_organisation(db.session, name="Unrun District Council")
    asker = requester()
    join_request = memberships.request_to_join(db.session, asker.id, unrun.id)
    mine = memberships.request_to_join(db.session, requester("b@x.org").id, world.org_a.id)
    waiting = memberships.join_requests_for_platform(db.session, world.platform_admin.id)
    assert [(r.id, u.id) for r, u in waiting] == [(join_request.id, asker.id)]
    assert mine.id not in [r.id for r, _ in waiting]
    memberships.approve_join_request(db.session, world.platform_admin.id, join_request.id)
    # The first one in runs the organisation, and decides the next request themselves.
    assert membership_of(db.session, asker.id, unrun.id).role == MembershipRole.ADMIN
    assert memberships.join_requests_for_platform(db.session, world.platform_admin.id) == []
    second = requester("c@x.org")
    later = memberships.request_to_join(db.session, second.id, unrun.id)
    with pytest.raises(NotPermitted):
        memberships.approve_join_request(db.session, world.platform_admin.id, later.id)
    memberships.approve_join_request(db.session, asker.id, later.id)
    assert membership_of(db.session, second.id, unrun.id).role == MembershipRole.MEMBER


def test_a_request_is_decided_once(world: World):
    asker = requester()
    join_request = memberships.request_to_join(db.session, asker.id, world.org_a.id)
    memberships.decline_join_request(db.session, world.admin_a.id, join_request.id)
    assert join_request.status == JoinRequestStatus.DECLINED
    for act in (
        memberships.approve_join_request,
        memberships.decline_join_request,
    ):
        with pytest.raises(InvalidState):
            act(db.session, world.admin_a.id, join_request.id)
    with pytest.raises(InvalidState):
        memberships.withdraw_join_request(db.session, asker.id, join_request.id)
    assert membership_of(db.session, asker.id, world.org_a.id) is None
    assert actions() == ["join_request.created", "join_request.declined"]


def test_only_the_requester_withdraws_a_pending_request(world: World):
    asker = requester()
    join_request = memberships.request_to_join(db.session, asker.id, world.org_a.id)
    for someone in (world.admin_a, world.member_a, requester("other@x.org")):
        with pytest.raises(NotFound):
            memberships.withdraw_join_request(db.session, someone.id, join_request.id)
        with pytest.raises(NotFound):
            memberships.own_join_request(db.session, someone.id, join_request.id)
    memberships.withdraw_join_request(db.session, asker.id, join_request.id)
    assert join_request.status == JoinRequestStatus.WITHDRAWN
    with pytest.raises(InvalidState):
        memberships.approve_join_request(db.session, world.admin_a.id, join_request.id)
    assert actions()[-1] == "join_request.withdrawn"
    # Withdrawing is the requester's own doing: nobody is emailed about it.
    assert events(JOIN_REQUEST_DECIDED) == []


def test_approving_someone_who_joined_meanwhile_keeps_their_membership(world: World):
    asker = requester("late@a-police.example.gov.uk")
    join_request = memberships.request_to_join(db.session, asker.id, world.org_b.id)
    builders.membership(db.session, asker, world.org_b, MembershipRole.ADMIN)
    kept = memberships.approve_join_request(db.session, world.admin_b.id, join_request.id)
    assert kept.role == MembershipRole.ADMIN


def test_a_member_chooses_only_their_own_organisations(world: World):
    chosen = memberships.choose_organisation(db.session, world.member_a.id, world.org_a.id)
    assert chosen.organisation_id == world.org_a.id
    with pytest.raises(NotPermitted):
        memberships.choose_organisation(db.session, world.member_a.id, world.org_b.id)
    with pytest.raises(NotFound):
        memberships.choose_organisation(db.session, world.member_a.id, 999_999)


def test_invitation_links_are_read_through_the_public_function(world: World):
    invitation = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "a@x.org")
    token = memberships.invitation_token(invitation, secret_key=SECRET_KEY)
    assert memberships.invitation_id_from_token(token, secret_key=SECRET_KEY) == invitation.id
    assert memberships.invitation_id_from_token(token + "x", secret_key=SECRET_KEY) is None
    assert memberships.invitation_id_from_token("", secret_key=SECRET_KEY) is None
    assert pending_invitation(db.session, token, secret_key=SECRET_KEY) is invitation
    assert pending_invitation(db.session, "forged", secret_key=SECRET_KEY) is None


def test_the_deciders_hear_of_a_request_and_the_requester_of_the_decision(app: Flask, world: World):
    asker = requester()
    join_request = memberships.request_to_join(
        db.session, asker.id, world.org_a.id, "I lead <b>licensing</b>."
    )
    db.session.commit()
    run_pending(app, JOIN_REQUEST_RECEIVED)
    [to_admin] = delivered(app)
    assert to_admin["To"].addresses[0].addr_spec == world.admin_a.email
    assert to_admin["Subject"] == f"{asker.display_name} has asked to join {world.org_a.name}"
    assert f"/join-requests/{join_request.id}" in to_admin.get_body(("plain",)).get_content()
    html = to_admin.get_body(("html",)).get_content()
    assert "I lead &lt;b&gt;licensing&lt;/b&gt;." in html

    memberships.approve_join_request(db.session, world.admin_a.id, join_request.id)
    db.session.commit()
    run_pending(app, JOIN_REQUEST_DECIDED)
    to_requester = delivered(app)[1]
    assert to_requester["To"].addresses[0].addr_spec == asker.email
    assert to_requester["Subject"] == f"You can now post placements for {world.org_a.name}"
    assert "has been approved" in to_requester.get_body(("plain",)).get_content()
    assert "first administrator" not in to_requester.get_body(("plain",)).get_content()


def test_platform_administrators_hear_of_requests_nobody_else_can_decide(app: Flask, world: World):
    unrun = verified_organisation(db.session, name="Unrun District Council")
    join_request = memberships.request_to_join(db.session, requester().id, unrun.id)
    db.session.commit()
    run_pending(app, JOIN_REQUEST_RECEIVED)
    assert [m["To"].addresses[0].addr_spec for m in delivered(app)] == [world.platform_admin.email]
    memberships.decline_join_request(db.session, world.platform_admin.id, join_request.id)
    db.session.commit()
    run_pending(app, JOIN_REQUEST_DECIDED)
    declined = delivered(app)[-1]
    assert declined["Subject"] == f"Your request to join {unrun.name}"
    assert "has been declined" in declined.get_body(("plain",)).get_content()

    again = memberships.request_to_join(db.session, join_request.user_id, unrun.id)
    memberships.approve_join_request(db.session, world.platform_admin.id, again.id)
    db.session.commit()
    run_pending(app, JOIN_REQUEST_DECIDED)
    first_admin = delivered(app)[-1].get_body(("plain",)).get_content()
    assert f"You are {unrun.name}'s first administrator" in first_admin


def test_a_request_withdrawn_before_the_email_is_sent_sends_nothing(app: Flask, world: World):
    asker = requester()
    join_request = memberships.request_to_join(db.session, asker.id, world.org_a.id)
    memberships.withdraw_join_request(db.session, asker.id, join_request.id)
    db.session.commit()
    run_pending(app, JOIN_REQUEST_RECEIVED)
    assert delivered(app) == []
