"""Joining by email domain: only a confirmed address, only with an administrator's approval
where the organisation has administrators, and never straight back after a removal."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.events import JOIN_REQUEST_RECEIVED
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    OutboxEvent,
    Role,
    User,
    utcnow,
)
from matcher.services import NotPermitted, accounts, memberships
from matcher.services.access import membership_of
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World, verified_organisation

# Services take the key from their caller; any key signs and checks its own tokens.
SECRET_KEY = "the key these tests sign invitations with"

GOVERNMENT = ("gov.uk",)


def register(app: Flask, email: str) -> User:
    """Register an organisation member through the accounts service, unconfirmed."""
    user = accounts.register(
        db.session,
        email=email,
        password="plain english words are best",
        display_name="Pat Officer",
        role=Role.ORGANISATION_MEMBER,
        government_domains=GOVERNMENT,
    )
    assert user is not None
    return user


def confirm(app: Flask, user: User) -> User:
    secret = app.config["SECRET_KEY"]
    return accounts.confirm_email(
        db.session, token=accounts.confirmation_token(secret, user), secret_key=secret
    )


def memberships_of(user: User) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.user_id == user.id)))


def received(join_request: JoinRequest) -> list[dict]:
    return [
        payload
        for payload in db.session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.task_name == JOIN_REQUEST_RECEIVED)
        )
        if payload == {"join_request_id": join_request.id}
    ]


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_registering_makes_no_member_until_the_address_is_confirmed(app: Flask, world: World):
    user = register(app, "pc@a-police.example.gov.uk")
    assert memberships_of(user) == []
    assert db.session.scalars(select(JoinRequest)).all() == []


def test_a_confirmed_address_asks_the_organisations_administrators(app: Flask, world: World):
    user = confirm(app, register(app, "pc@a-police.example.gov.uk"))

    assert memberships_of(user) == []
    [asked] = memberships.own_pending_join_requests(db.session, user.id)
    assert (asked.organisation_id, asked.status) == (world.org_a.id, JoinRequestStatus.PENDING)
    assert received(asked) == [{"join_request_id": asked.id}]
    assert memberships.joinable_organisations(db.session, user.id) == []
    assert [
        r.id
        for r, _ in memberships.pending_join_requests(db.session, world.admin_a.id, world.org_a.id)
    ] == [asked.id]

    confirm(app, user)
    assert len(memberships.own_pending_join_requests(db.session, user.id)) == 1

    membership = memberships.approve_join_request(db.session, world.admin_a.id, asked.id)
    assert (membership.user_id, membership.role) == (user.id, MembershipRole.MEMBER)


def test_the_first_confirmed_person_runs_an_organisation_nobody_runs_yet(app: Flask, world: World):
    unrun = verified_organisation(db.session, email_domain="unrun.example.gov.uk")
    first = confirm(app, register(app, "first@unrun.example.gov.uk"))
    [membership] = memberships_of(first)
    assert (membership.organisation_id, membership.role) == (unrun.id, MembershipRole.ADMIN)
    assert actions()[-1] == "membership.created"

    second = confirm(app, register(app, "second@unrun.example.gov.uk"))
    assert memberships_of(second) == []
    [asked] = memberships.own_pending_join_requests(db.session, second.id)
    assert asked.organisation_id == unrun.id


def test_an_invited_person_is_not_asked_about_as_well(app: Flask, world: World):
    memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, "pc@a-police.example.gov.uk"
    )
    user = confirm(app, register(app, "pc@a-police.example.gov.uk"))
    assert memberships.own_pending_join_requests(db.session, user.id) == []


def removed_member(world: World) -> User:
    member = world.member_a
    member.email_confirmed_at = utcnow()
    membership = membership_of(db.session, member.id, world.org_a.id)
    assert membership is not None
    memberships.remove_member(db.session, world.admin_a.id, membership.id)
    return member


def test_a_removed_member_cannot_rejoin_by_domain(world: World):
    member = removed_member(world)

    assert memberships.joinable_organisations(db.session, member.id) == []
    with pytest.raises(NotPermitted):
        memberships.join_organisation(db.session, member.id, world.org_a.id)
    assert memberships_of(member) == []
    assert "membership.removed" in actions()


def test_a_removed_member_asking_again_waits_for_an_administrator(world: World):
    member = removed_member(world)

    asked = memberships.request_to_join(db.session, member.id, world.org_a.id, "Back from leave")
    assert asked.status == JoinRequestStatus.PENDING
    assert memberships_of(member) == []

    memberships.approve_join_request(db.session, world.admin_a.id, asked.id)
    assert [m.organisation_id for m in memberships_of(member)] == [world.org_a.id]
    assert not memberships.was_removed(db.session, member.id, world.org_a.id)


def test_an_invitation_lets_a_removed_member_back(world: World):
    member = removed_member(world)
    invitation = memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, member.email
    )
    memberships.accept_invitation(
        db.session,
        member.id,
        memberships.invitation_token(invitation, secret_key=SECRET_KEY),
        secret_key=SECRET_KEY,
    )

    assert [m.organisation_id for m in memberships_of(member)] == [world.org_a.id]
    assert not memberships.was_removed(db.session, member.id, world.org_a.id)


def test_a_member_who_leaves_may_ask_by_domain_again(world: World):
    member = world.member_a
    member.email_confirmed_at = utcnow()
    membership = membership_of(db.session, member.id, world.org_a.id)
    assert membership is not None
    memberships.remove_member(db.session, member.id, membership.id)

    asked = memberships.join_organisation(db.session, member.id, world.org_a.id)
    assert isinstance(asked, JoinRequest) and asked.status == JoinRequestStatus.PENDING


def test_nobody_joins_a_council_abolished_in_a_reorganisation(app: Flask, world: World):
    successor = verified_organisation(db.session, name="Greater Fells Council")
    abolished = verified_organisation(
        db.session,
        name="Fellside Council",
        email_domain="fellside.example.gov.uk",
        merged_into_id=successor.id,
    )
    with pytest.raises(ValidationFailed) as raised:
        memberships.request_to_join(db.session, world.member_a.id, abolished.id)
    assert raised.value.errors == {
        "organisation_id": "Fellside Council is now part of Greater Fells Council. "
        "Ask to join Greater Fells Council instead"
    }
    with pytest.raises(ValidationFailed):
        register(app, "pc@fellside.example.gov.uk")
