"""Organisation pages: choosing or proposing one, members, invitations and their links."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    Role,
    User,
)
from matcher.services import memberships
from tests import builders
from tests.unit.services.world import verified_organisation
from tests.web import confirmed_user, error_summary, inline_errors, sign_in, submit


def client_for(site: Flask, user: User | None) -> FlaskClient:
    client = site.test_client()
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def org(site: Flask) -> dict[str, Any]:
    """A verified organisation with an administrator and a member, and another organisation."""
    a = verified_organisation(db.session, email_domain="a.example.gov.uk")
    b = verified_organisation(db.session, email_domain="b.example.gov.uk")
    admin = confirmed_user(Role.ORGANISATION_MEMBER, email="admin@a.example.gov.uk")
    member = confirmed_user(Role.ORGANISATION_MEMBER, email="member@a.example.gov.uk")
    other = confirmed_user(Role.ORGANISATION_MEMBER, email="admin@b.example.gov.uk")
    builders.membership(db.session, admin, a, MembershipRole.ADMIN)
    member_row = builders.membership(db.session, member, a)
    builders.membership(db.session, other, b, MembershipRole.ADMIN)
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "admin": admin,
        "member": member,
        "other": other,
        "member_row": member_row,
    }


def test_a_member_joins_an_organisation_of_their_email_domain(site: Flask, org: dict[str, Any]):
    newcomer = confirmed_user(Role.ORGANISATION_MEMBER, email="new@a.example.gov.uk")
    client = client_for(site, newcomer)
    page = client.get("/organisation").get_data(as_text=True)
    assert "Choose your organisation" in page and org["a"].name in page
    assert org["b"].name not in page
    response = submit(
        client, "/organisation/join", {"organisation_id": str(org["a"].id)}, page="/organisation"
    )
    assert response.status_code == 302
    assert "You have joined" in client.get("/organisation").get_data(as_text=True)


def test_joining_another_domains_organisation_is_refused(site: Flask, org: dict[str, Any]):
    newcomer = confirmed_user(Role.ORGANISATION_MEMBER, email="new@a.example.gov.uk")
    client = client_for(site, newcomer)
    response = submit(
        client, "/organisation/join", {"organisation_id": str(org["b"].id)}, page="/organisation"
    )
    assert response.status_code == 422
    assert "Select your organisation" in error_summary(response.get_data(as_text=True))
    assert memberships.organisations_of(db.session, newcomer.id) == []


def test_a_proposed_organisation_awaits_verification(site: Flask):
    proposer = confirmed_user(Role.ORGANISATION_MEMBER, email="lead@partnership.example.org.uk")
    client = client_for(site, proposer)
    fields = {"name": "Upper Dales Partnership", "kind": "regional_partnership"}
    response = submit(client, "/organisation/propose", fields)
    assert response.status_code == 302
    page = client.get("/organisation").get_data(as_text=True)
    assert "Awaiting verification" in page and "govuk-tag" in page
    # A second press of the same form proposes nothing more.
    assert db.session.scalar(select(func.count()).select_from(Organisation)) >= 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "kind": "police_force"}, "Enter the name of the organisation"),
        ({"name": "Somewhere", "kind": ""}, "Select the kind of organisation"),
        ({"name": "Somewhere", "kind": "council"}, "Enter the council's ONS code, like E07000123"),
        (
            {"name": "Somewhere", "kind": "council", "ons_code": "X1"},
            "Enter a real ONS code, like E07000123",
        ),
        (
            {"name": "Somewhere", "kind": "police_force", "email_domain": "not a domain"},
            "Enter an email domain, like leeds.gov.uk",
        ),
        (
            {"name": "Somewhere", "kind": "police_force", "email_domain": "other.gov.uk"},
            "Your email address must be in this domain",
        ),
    ],
)
def test_bad_proposals_are_explained_and_nothing_is_saved(
    site: Flask, fields: dict[str, str], message: str
):
    proposer = confirmed_user(Role.ORGANISATION_MEMBER, email="lead@partnership.example.org.uk")
    before = db.session.scalar(select(func.count()).select_from(Organisation))
    response = submit(client_for(site, proposer), "/organisation/propose", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    shown = message.replace("'", "&#39;")
    assert shown in error_summary(html) and shown in inline_errors(html)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before


def test_an_admin_invites_and_the_invitee_accepts(site: Flask, org: dict[str, Any]):
    admin = client_for(site, org["admin"])
    response = submit(
        admin,
        "/organisation/members/invite",
        {"email": "Colleague@Elsewhere.gov.uk", "role": "member"},
    )
    assert response.status_code == 302
    assert "colleague@elsewhere.gov.uk" in admin.get("/organisation/members").get_data(as_text=True)
    invitation = db.session.scalar(select(Invitation))
    token = memberships.invitation_token(invitation)

    invitee = confirmed_user(Role.ORGANISATION_MEMBER, email="colleague@elsewhere.gov.uk")
    signed_out = site.test_client().get(f"/invitations/{token}")
    assert signed_out.headers["Location"].startswith("/sign-in")
    client = client_for(site, invitee)
    assert org["a"].name in client.get(f"/invitations/{token}").get_data(as_text=True)
    accepted = submit(client, f"/invitations/{token}", {})
    assert accepted.status_code == 302
    assert memberships.organisations_of(db.session, invitee.id)[0].organisation_id == org["a"].id
    assert client.get(f"/invitations/{token}").status_code == 404
    assert site.test_client().get("/invitations/forged").status_code == 302


def test_someone_else_cannot_accept_an_invitation(site: Flask, org: dict[str, Any]):
    invitation = memberships.invite_member(
        db.session, org["admin"].id, org["a"].id, "colleague@elsewhere.gov.uk"
    )
    db.session.commit()
    token = memberships.invitation_token(invitation)
    response = submit(client_for(site, org["other"]), f"/invitations/{token}", {})
    assert response.status_code == 403
    assert memberships.organisations_of(db.session, org["other"].id)[0].organisation_id == (
        org["b"].id
    )


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter an email address"),
        ("not-an-email", "Enter an email address in the correct format, like name@example.gov.uk"),
        ("member@a.example.gov.uk", "This person is already a member of the organisation"),
    ],
)
def test_bad_invitations_are_explained(site: Flask, org: dict[str, Any], email: str, message: str):
    response = submit(
        client_for(site, org["admin"]),
        "/organisation/members/invite",
        {"email": email, "role": "member"},
    )
    assert response.status_code == 422
    assert message in error_summary(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_removing_a_member_is_confirmed_first(site: Flask, org: dict[str, Any]):
    admin = client_for(site, org["admin"])
    url = f"/organisation/members/{org['member_row'].id}/remove"
    assert "Remove Alex Example" in admin.get(url).get_data(as_text=True)
    assert submit(admin, url, {}).status_code == 302
    assert db.session.get(Membership, org["member_row"].id) is None


def test_revoking_an_invitation(site: Flask, org: dict[str, Any]):
    invitation = memberships.invite_member(
        db.session, org["admin"].id, org["a"].id, "colleague@elsewhere.gov.uk"
    )
    db.session.commit()
    admin = client_for(site, org["admin"])
    response = submit(
        admin, f"/organisation/invitations/{invitation.id}/revoke", {}, page="/organisation/members"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


# Authorisation: each mutating members route for each kind of person.
ROLES = ["signed_out", "civil_servant", "member", "org_admin", "other_org", "platform_admin"]


def _person(org: dict[str, Any], role: str) -> User | None:
    if role == "civil_servant":
        return confirmed_user(Role.CIVIL_SERVANT)
    if role == "platform_admin":
        return confirmed_user(Role.ADMINISTRATOR)
    return {
        "signed_out": None,
        "member": org["member"],
        "org_admin": org["admin"],
        "other_org": org["other"],
    }[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ["invite", "remove", "role", "revoke"])
def test_the_authorisation_matrix_for_members(
    site: Flask, org: dict[str, Any], role: str, route: str
):
    invitation = memberships.invite_member(
        db.session, org["admin"].id, org["a"].id, "colleague@elsewhere.gov.uk"
    )
    db.session.commit()
    target = org["member_row"].id
    url, data = {
        "invite": ("/organisation/members/invite", {"email": "x@y.gov.uk", "role": "member"}),
        "remove": (f"/organisation/members/{target}/remove", {}),
        "role": (f"/organisation/members/{target}/role", {"role": "admin"}),
        "revoke": (f"/organisation/invitations/{invitation.id}/revoke", {}),
    }[route]
    client = client_for(site, _person(org, role))
    response = submit(client, url, data, page="/sign-in" if role == "signed_out" else "/account")
    allowed = role == "org_admin"
    # The invite page invites to the admin's own organisation, never to another.
    own_invite = role == "other_org" and route == "invite"
    if role == "signed_out":
        assert response.headers["Location"].startswith("/sign-in")
    elif allowed or own_invite:
        assert response.status_code == 302
    else:
        # Another organisation's admin may not know these rows exist.
        expected = 404 if role == "other_org" and route in ("remove", "role", "revoke") else 403
        assert response.status_code == expected
    db.session.expire_all()
    member_row = db.session.get(Membership, target)
    invitations = db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.organisation_id == org["a"].id)
    )
    if not allowed:
        assert member_row is not None and member_row.role == MembershipRole.MEMBER
        assert invitations == 1
        assert db.session.get(Invitation, invitation.id).revoked_at is None
