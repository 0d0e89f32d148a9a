"""Organisation membership: proposing, joining, invitations, removing and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.events import MEMBERSHIP_INVITATION_SENT
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    OrganisationKind,
    OutboxEvent,
    Role,
    VerificationStatus,
    utcnow,
)
from matcher.services import InvalidState, NotFound, NotPermitted, memberships
from matcher.services.accounts import CLAIMABLE_DOMAIN_MESSAGE, organisation_for_email
from matcher.services.validation import ValidationFailed
from tests import builders
from tests.unit.services.world import World, verified_organisation

# Services take the key from their caller; any key signs and checks its own tokens.
SECRET_KEY = "the key these tests sign invitations with"


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def newcomer(email: str = "new@a-police.example.gov.uk", **fields):
    return builders.user(db.session, role=Role.ORGANISATION_MEMBER, email=email, **fields)


def test_a_member_proposes_an_organisation_and_becomes_its_admin(world: World):
    proposer = newcomer("chief@north-partnership.example.gov.uk")
    organisation = memberships.propose_organisation(
        db.session,
        proposer.id,
        name="  North   Partnership ",
        kind="regional_partnership",
        region_code="E12000003",
        email_domain="north-partnership.example.gov.uk",
    )
    db.session.commit()
    assert organisation.name == "North Partnership"
    assert organisation.status == VerificationStatus.PROPOSED
    [membership] = memberships.organisations_of(db.session, proposer.id)
    assert (membership.organisation_id, membership.role) == (organisation.id, MembershipRole.ADMIN)
    assert actions() == ["organisation.proposed", "membership.created"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the name of the organisation"),
        ({"name": "x" * 151}, "name", "Name must be 150 characters or fewer"),
        ({"kind": "club"}, "kind", "Select the kind of organisation"),
        ({"kind": "council"}, "ons_code", "Enter the council's ONS code, like E07000123"),
        ({"ons_code": "X1"}, "ons_code", "Enter a real ONS code, like E07000123"),
        ({"region_code": "E99"}, "region_code", "Select a region from the list"),
        (
            {"email_domain": "not a domain"},
            "email_domain",
            "Enter an email domain, like leeds.gov.uk",
        ),
        (
            {"email_domain": "nowhere-example.gov.uk"},
            "email_domain",
            "Your email address must be in this domain",
        ),
        ({"email_domain": "gov.uk"}, "email_domain", CLAIMABLE_DOMAIN_MESSAGE),
        ({"email_domain": "police.uk"}, "email_domain", CLAIMABLE_DOMAIN_MESSAGE),
        ({"email_domain": "example.org.uk"}, "email_domain", CLAIMABLE_DOMAIN_MESSAGE),
        (
            {"email_domain": "a-police.example.gov.uk"},
            "email_domain",
            "Another organisation already uses this email domain",
        ),
    ],
)
def test_a_proposal_is_checked_field_by_field(world: World, fields, field, message):
    values = {"name": "New Body", "kind": "other_public_body"} | fields
    with pytest.raises(ValidationFailed) as raised:
        memberships.propose_organisation(db.session, newcomer().id, **values)
    assert raised.value.errors == {field: message}


def test_a_name_already_taken_is_refused_whatever_its_case(world: World):
    with pytest.raises(ValidationFailed) as raised:
        memberships.propose_organisation(
            db.session, newcomer().id, name=world.org_a.name.upper(), kind="police_force"
        )
    assert raised.value.errors == {"name": "An organisation with this name already exists"}


def test_only_organisation_member_accounts_propose(world: World):
    with pytest.raises(NotPermitted):
        memberships.propose_organisation(
            db.session, world.person.id, name="Mine", kind="other_public_body"
        )


def test_a_platform_administrator_rejects_a_proposal_once(world: World):
    proposed = builders.organisation(db.session, kind=OrganisationKind.OTHER_PUBLIC_BODY)
    with pytest.raises(NotPermitted):
        memberships.reject_organisation(db.session, world.admin_a.id, proposed.id)
    memberships.reject_organisation(db.session, world.platform_admin.id, proposed.id)
    assert proposed.status == VerificationStatus.REJECTED
    with pytest.raises(InvalidState):
        memberships.reject_organisation(db.session, world.platform_admin.id, proposed.id)
    with pytest.raises(InvalidState):
        memberships.reject_organisation(db.session, world.platform_admin.id, world.org_a.id)


def test_joining_by_email_domain_asks_its_administrators(world: World):
    joiner = newcomer("pc@north.a-police.example.gov.uk", email_confirmed_at=utcnow())
    assert memberships.joinable_organisations(db.session, joiner.id) == [world.org_a]
    asked = memberships.join_organisation(db.session, joiner.id, world.org_a.id)
    assert isinstance(asked, JoinRequest) and asked.status == JoinRequestStatus.PENDING
    assert memberships.join_organisation(db.session, joiner.id, world.org_a.id) == asked
    assert memberships.organisations_of(db.session, joiner.id) == []
    membership = memberships.approve_join_request(db.session, world.admin_a.id, asked.id)
    assert membership.role == MembershipRole.MEMBER
    assert memberships.join_organisation(db.session, joiner.id, world.org_a.id) is membership
    assert memberships.joinable_organisations(db.session, joiner.id) == []
    with pytest.raises(NotPermitted):
        memberships.join_organisation(db.session, joiner.id, world.org_b.id)
    world.org_b.status = VerificationStatus.PROPOSED
    world.org_b.verified_at = None
    with pytest.raises(InvalidState):
        memberships.join_organisation(
            db.session,
            newcomer("x@b-police.example.gov.uk", email_confirmed_at=utcnow()).id,
            world.org_b.id,
        )


def test_an_unconfirmed_address_joins_nothing_by_domain(world: World):
    joiner = newcomer("pc@a-police.example.gov.uk")
    with pytest.raises(NotPermitted):
        memberships.join_organisation(db.session, joiner.id, world.org_a.id)
    assert count(JoinRequest) == 0


def test_an_admin_invites_and_the_invitee_accepts(world: World):
    invitation = memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, " Analyst@Elsewhere.Example.ORG "
    )
    db.session.commit()
    assert invitation.email == "analyst@elsewhere.example.org"
    [event] = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.task_name == MEMBERSHIP_INVITATION_SENT)
    ).all()
    assert event.payload == {"invitation_id": invitation.id}
    assert memberships.list_pending_invitations(db.session, world.admin_a.id, world.org_a.id) == [
        invitation
    ]
    token = memberships.invitation_token(invitation, secret_key=SECRET_KEY)

    stranger = newcomer("someone@elsewhere.example.org")
    with pytest.raises(NotPermitted):
        memberships.accept_invitation(db.session, stranger.id, token, secret_key=SECRET_KEY)
    with pytest.raises(NotFound):
        memberships.accept_invitation(db.session, stranger.id, token + "x", secret_key=SECRET_KEY)

    invitee = newcomer("analyst@elsewhere.example.org")
    membership = memberships.accept_invitation(db.session, invitee.id, token, secret_key=SECRET_KEY)
    assert (membership.organisation_id, membership.role) == (world.org_a.id, MembershipRole.MEMBER)
    assert invitation.accepted_by_id == invitee.id
    with pytest.raises(InvalidState):
        memberships.accept_invitation(db.session, invitee.id, token, secret_key=SECRET_KEY)
    assert actions()[-2:] == ["invitation.accepted", "membership.created"]


def test_inviting_again_renews_the_pending_invitation(world: World):
    first = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "a@x.org")
    again = memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, "a@x.org", MembershipRole.ADMIN
    )
    assert again.id == first.id and again.role == MembershipRole.ADMIN
    first.created_at = utcnow() - timedelta(days=20)
    first.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    renewed = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "a@x.org")
    assert renewed.id != first.id and first.revoked_at is not None
    assert actions() == ["invitation.created", "invitation.resent", "invitation.created"]


def test_expired_and_revoked_invitations_cannot_be_accepted(world: World):
    invitee = newcomer("late@x.org")
    expired = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "late@x.org")
    expired.created_at = utcnow() - timedelta(days=20)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(InvalidState):
        memberships.accept_invitation(
            db.session,
            invitee.id,
            memberships.invitation_token(expired, secret_key=SECRET_KEY),
            secret_key=SECRET_KEY,
        )

    other = memberships.invite_member(db.session, world.admin_b.id, world.org_b.id, "late@x.org")
    memberships.revoke_invitation(db.session, world.admin_b.id, other.id)
    with pytest.raises(InvalidState):
        memberships.accept_invitation(
            db.session,
            invitee.id,
            memberships.invitation_token(other, secret_key=SECRET_KEY),
            secret_key=SECRET_KEY,
        )
    with pytest.raises(InvalidState):
        memberships.revoke_invitation(db.session, world.admin_b.id, other.id)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter an email address"),
        (
            "not-an-address",
            "Enter an email address in the correct format, like name@example.gov.uk",
        ),
        ("member@a-police.example.gov.uk", "This person is already a member of the organisation"),
    ],
)
def test_invitation_addresses_are_checked(world: World, email: str, message: str):
    with pytest.raises(ValidationFailed) as raised:
        memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, email)
    assert raised.value.errors == {"email": message}
    assert count(Invitation) == 0


def test_only_the_organisations_admins_invite_and_revoke(world: World):
    with pytest.raises(NotPermitted):
        memberships.invite_member(db.session, world.member_a.id, world.org_a.id, "a@x.org")
    with pytest.raises(NotPermitted):
        memberships.invite_member(db.session, world.admin_b.id, world.org_a.id, "a@x.org")
    invitation = memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, "a@x.org")
    with pytest.raises(NotPermitted):
        memberships.revoke_invitation(db.session, world.member_a.id, invitation.id)
    with pytest.raises(NotFound):
        memberships.revoke_invitation(db.session, world.admin_b.id, invitation.id)
    with pytest.raises(NotPermitted):
        memberships.list_pending_invitations(db.session, world.member_a.id, world.org_a.id)


def membership_id(user, organisation) -> int:
    return db.session.scalars(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    ).one()


def test_admins_remove_members_and_members_leave_but_the_last_admin_stays(world: World):
    member_id = membership_id(world.member_a, world.org_a)
    admin_id = membership_id(world.admin_a, world.org_a)
    extra = newcomer("extra@a-police.example.gov.uk")
    extra_id = builders.membership(db.session, extra, world.org_a).id

    with pytest.raises(NotPermitted):
        memberships.remove_member(db.session, world.member_a.id, extra_id)
    with pytest.raises(NotFound):
        memberships.remove_member(db.session, world.admin_b.id, member_id)
    with pytest.raises(InvalidState, match="last administrator"):
        memberships.remove_member(db.session, world.admin_a.id, admin_id)

    memberships.remove_member(db.session, world.admin_a.id, member_id)
    memberships.remove_member(db.session, extra.id, extra_id)
    assert [
        m.user_id for m in memberships.list_members(db.session, world.admin_a.id, world.org_a.id)
    ] == [world.admin_a.id]
    assert actions()[-2:] == ["membership.removed", "membership.removed"]


def test_roles_change_but_the_last_admin_is_never_demoted(world: World):
    member_id = membership_id(world.member_a, world.org_a)
    admin_id = membership_id(world.admin_a, world.org_a)
    with pytest.raises(NotPermitted):
        memberships.change_member_role(
            db.session, world.member_a.id, admin_id, MembershipRole.MEMBER
        )
    with pytest.raises(InvalidState):
        memberships.change_member_role(
            db.session, world.admin_a.id, admin_id, MembershipRole.MEMBER
        )
    memberships.change_member_role(db.session, world.admin_a.id, member_id, MembershipRole.ADMIN)
    memberships.change_member_role(db.session, world.member_a.id, admin_id, MembershipRole.MEMBER)
    assert memberships.list_members(db.session, world.platform_admin.id, world.org_a.id)[
        0
    ].role == (MembershipRole.MEMBER)
    with pytest.raises(NotPermitted):
        memberships.list_members(db.session, world.admin_b.id, world.org_a.id)


def test_an_organisation_holding_a_shared_parent_domain_takes_in_nobody(world: World):
    """An organisation verified with gov.uk before the rule existed admits no one by domain."""
    verified_organisation(db.session, email_domain="gov.uk", name="Greedy")
    db.session.commit()

    assert organisation_for_email(db.session, "someone@nowhere-example.gov.uk") is None
    assert organisation_for_email(db.session, "x@a-police.example.gov.uk") == world.org_a
