"""Organisation pages: choosing or proposing one, members, invitations and their links."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    Organisation,
    Role,
    Skill,
    Theme,
    User,
)
from matcher.services import memberships
from matcher.services import placements as placement_service
from matcher.services.access import membership_of
from tests import builders
from tests.unit.services.world import verified_organisation
from tests.web import (
    confirmed_user,
    csrf_token,
    deliver_outbox,
    delivered,
    error_summary,
    inline_errors,
    link_in,
    sign_in,
    submit,
)


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
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{WE_HAVE_ASKED} {org['a'].name} to let you join" in page
    assert memberships.organisations_of(db.session, newcomer.id) == []
    assert "View your request" in client.get("/organisation").get_data(as_text=True)


def test_the_first_member_of_an_organisation_nobody_runs_joins_as_its_admin(site: Flask):
    unrun = verified_organisation(db.session, email_domain="unrun.example.gov.uk")
    newcomer = confirmed_user(Role.ORGANISATION_MEMBER, email="first@unrun.example.gov.uk")
    client = client_for(site, newcomer)
    response = submit(
        client, "/organisation/join", {"organisation_id": str(unrun.id)}, page="/organisation"
    )
    assert response.status_code == 302
    assert "You have joined" in client.get("/organisation").get_data(as_text=True)
    [membership] = memberships.organisations_of(db.session, newcomer.id)
    assert membership.role == MembershipRole.ADMIN


def test_a_member_of_an_abolished_council_is_told_where_it_went(site: Flask):
    successor = verified_organisation(db.session, name="Greater Fells Council")
    abolished = verified_organisation(db.session, name="Fellside Council")
    abolished.merged_into_id = successor.id
    member = confirmed_user(Role.ORGANISATION_MEMBER, email="pat@fellside.example.gov.uk")
    builders.membership(db.session, member, abolished, MembershipRole.ADMIN)
    db.session.commit()

    page = client_for(site, member).get("/organisation").get_data(as_text=True)
    assert "Fellside Council is now part of Greater Fells Council" in page
    asking = client_for(site, member).get("/organisation/ask-to-join").get_data(as_text=True)
    assert "Greater Fells Council" in asking and ">Fellside Council<" not in asking


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
    token = memberships.invitation_token(invitation, secret_key=current_app.config["SECRET_KEY"])

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
    token = memberships.invitation_token(invitation, secret_key=current_app.config["SECRET_KEY"])
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


# Asking to join, deciding, and choosing which organisation to act for.

WE_HAVE_ASKED = "We\u2019ve asked"  # GOV.UK style writes the typographic apostrophe


def _ask(client: FlaskClient, organisation_id: int | str, message: str = "") -> Any:
    return submit(
        client,
        "/organisation/ask-to-join",
        {"organisation_id": str(organisation_id), "message": message},
    )


def _join_requests() -> list[JoinRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(JoinRequest).order_by(JoinRequest.id)))


def test_a_member_asks_to_join_and_an_administrator_approves(site: Flask, org: dict[str, Any]):
    asker = confirmed_user(Role.ORGANISATION_MEMBER, email="analyst@elsewhere.gov.uk")
    client = client_for(site, asker)
    choose = client.get("/organisation").get_data(as_text=True)
    assert "Ask to join an organisation" in choose
    assert org["a"].name in client.get("/organisation/ask-to-join").get_data(as_text=True)

    response = _ask(client, org["a"].id, "I run the licensing team.")
    [join_request] = _join_requests()
    assert response.headers["Location"] == f"/organisation/join-requests/{join_request.id}"
    waiting = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{WE_HAVE_ASKED} {org['a'].name} to let you join" in waiting
    assert "I run the licensing team." in waiting
    assert f"{WE_HAVE_ASKED} {org['a'].name} to let you join" in client.get(
        "/organisation"
    ).get_data(as_text=True)

    admin = client_for(site, org["admin"])
    assert "1 person has asked to join" in admin.get("/organisation").get_data(as_text=True)
    members = admin.get("/organisation/members").get_data(as_text=True)
    assert "Requests to join (1)" in members and "I run the licensing team." in members
    deliver_outbox()
    [arrived] = delivered(site.config["MATCHER_SETTINGS"], org["admin"].email)
    assert link_in(arrived, site.config["MATCHER_SETTINGS"].base_url) == (
        f"/join-requests/{join_request.id}"
    )

    approved = submit(
        admin,
        f"/join-requests/{join_request.id}/approve",
        {},
        page=f"/join-requests/{join_request.id}",
    )
    assert approved.headers["Location"] == f"/join-requests/{join_request.id}"
    assert "Request approved" in admin.get(approved.headers["Location"]).get_data(as_text=True)
    assert [m.organisation_id for m in memberships.organisations_of(db.session, asker.id)] == [
        org["a"].id
    ]
    assert "Requests to join (0)" in admin.get("/organisation/members").get_data(as_text=True)
    deliver_outbox()
    [told] = delivered(site.config["MATCHER_SETTINGS"], asker.email)
    assert told["Subject"] == f"You can now post placements for {org['a'].name}"
    assert org["a"].name in client.get("/organisation").get_data(as_text=True)


@pytest.mark.parametrize("organisation_id", ["²", "99999999999999999999", "0"])
def test_asking_to_join_an_organisation_not_in_the_list_is_refused_in_words(
    site: Flask, org: dict[str, Any], organisation_id: str
):
    client = client_for(site, confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk"))
    refused = _ask(client, organisation_id)
    assert refused.status_code == 422
    assert error_summary(refused.get_data(as_text=True)) == [
        "Select the organisation you want to join"
    ]
    assert _join_requests() == []


def test_a_double_submitted_request_makes_one(site: Flask, org: dict[str, Any]):
    client = client_for(site, confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk"))
    html = client.get("/organisation/ask-to-join").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(html), "organisation_id": str(org["a"].id)}
    first = client.post("/organisation/ask-to-join", data=fields)
    second = client.post("/organisation/ask-to-join", data=fields)
    third = _ask(client, org["a"].id, "from another tab")
    assert first.status_code == second.status_code == third.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    assert len(_join_requests()) == 1


@pytest.mark.parametrize(
    ("choice", "message", "error"),
    [
        ("", "", "Select the organisation you want to join"),
        ("proposed", "", "has not been verified yet. You can ask to join once it has been"),
        ("a", "x" * 501, "Your message must be 500 characters or fewer"),
    ],
)
def test_bad_requests_to_join_are_explained_and_nothing_is_saved(
    site: Flask, org: dict[str, Any], choice: str, message: str, error: str
):
    proposed = builders.organisation(db.session, name="Proposed Body")
    db.session.commit()
    chosen = {"": "", "proposed": proposed.id, "a": org["a"].id}[choice]
    client = client_for(site, confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk"))
    response = _ask(client, chosen, message)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error:" in html
    assert any(error in shown for shown in error_summary(html))
    assert any(error in shown for shown in inline_errors(html))
    assert _join_requests() == []


def test_declining_is_confirmed_first_and_the_requester_is_told(site: Flask, org: dict[str, Any]):
    asker = confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk")
    join_request = memberships.request_to_join(db.session, asker.id, org["a"].id)
    db.session.commit()
    admin = client_for(site, org["admin"])
    url = f"/join-requests/{join_request.id}/decline"
    assert "Are you sure you want to decline" in admin.get(url).get_data(as_text=True)
    assert _join_requests()[0].status == JoinRequestStatus.PENDING
    response = submit(admin, url, {})
    assert "Request declined" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert _join_requests()[0].status == JoinRequestStatus.DECLINED
    # Deciding again changes nothing.
    again = submit(admin, f"/join-requests/{join_request.id}/approve", {}, page="/account")
    assert again.status_code == 302 and _join_requests()[0].status == JoinRequestStatus.DECLINED
    deliver_outbox()
    [told] = delivered(site.config["MATCHER_SETTINGS"], asker.email)
    assert told["Subject"] == f"Your request to join {org['a'].name}"
    page = client_for(site, asker).get(f"/organisation/join-requests/{join_request.id}")
    assert "declined your request" in page.get_data(as_text=True)


def test_the_requester_withdraws_after_confirming(site: Flask, org: dict[str, Any]):
    asker = confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk")
    join_request = memberships.request_to_join(db.session, asker.id, org["a"].id)
    db.session.commit()
    client = client_for(site, asker)
    url = f"/organisation/join-requests/{join_request.id}/withdraw"
    assert "Are you sure you want to withdraw" in client.get(url).get_data(as_text=True)
    assert submit(client, url, {}).headers["Location"] == "/organisation"
    assert _join_requests()[0].status == JoinRequestStatus.WITHDRAWN
    assert "Requests to join (0)" in client_for(site, org["admin"]).get(
        "/organisation/members"
    ).get_data(as_text=True)


def test_platform_administrators_decide_for_organisations_without_administrators(
    site: Flask, org: dict[str, Any]
):
    unrun = verified_organisation(db.session, name="Unrun District Council")
    asker = confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk")
    join_request = memberships.request_to_join(db.session, asker.id, unrun.id)
    memberships.request_to_join(db.session, asker.id, org["a"].id)
    db.session.commit()
    platform = client_for(site, confirmed_user(Role.ADMINISTRATOR))
    assert "Requests to join organisations without an administrator</a> (1)" in platform.get(
        "/admin"
    ).get_data(as_text=True)
    listed = platform.get("/admin/join-requests").get_data(as_text=True)
    assert "Unrun District Council" in listed and org["a"].name not in listed
    response = submit(
        platform, f"/join-requests/{join_request.id}/approve", {}, page="/admin/join-requests"
    )
    assert response.status_code == 302
    assert memberships.organisations_of(db.session, asker.id)[0].organisation_id == unrun.id


def test_every_member_sees_the_members_but_only_administrators_change_them(
    site: Flask, org: dict[str, Any]
):
    memberships.request_to_join(
        db.session,
        confirmed_user(Role.ORGANISATION_MEMBER, email="x@elsewhere.gov.uk").id,
        org["a"].id,
    )
    memberships.invite_member(db.session, org["admin"].id, org["a"].id, "invited@x.gov.uk")
    db.session.commit()
    member = client_for(site, org["member"]).get("/organisation/members")
    html = member.get_data(as_text=True)
    assert member.status_code == 200
    assert org["admin"].email in html and org["member"].email in html
    for control in ("Invite someone", "Change role", "Remove", "Approve", "Requests to join"):
        assert control not in html
    assert "invited@x.gov.uk" not in html and "x@elsewhere.gov.uk" not in html
    admin = client_for(site, org["admin"]).get("/organisation/members").get_data(as_text=True)
    for control in ("Invite someone", "Change role", "Remove", "Approve", "Requests to join (1)"):
        assert control in admin


def test_a_member_of_two_organisations_switches_between_them(site: Flask, org: dict[str, Any]):
    builders.membership(db.session, org["member"], org["b"])
    draft = placement_service.create_draft(
        db.session, org["other"].id, org["b"].id, _placement_data()
    )
    db.session.commit()
    client = client_for(site, org["member"])
    assert "Switch organisation" in client.get("/organisation").get_data(as_text=True)
    assert org["a"].name in client.get("/organisation").get_data(as_text=True)
    assert draft.title not in client.get("/organisation/placements").get_data(as_text=True)
    yours = client.get("/your-organisations").get_data(as_text=True)
    assert org["a"].name in yours and org["b"].name in yours

    chosen = submit(client, "/your-organisations", {"organisation_id": str(org["b"].id)})
    assert chosen.headers["Location"] == "/organisation"
    assert f'<h1 class="govuk-heading-l">{org["b"].name}</h1>' in client.get(
        "/organisation"
    ).get_data(as_text=True)
    assert draft.title in client.get("/organisation/placements").get_data(as_text=True)
    assert org["b"].name in client.get("/organisation/members").get_data(as_text=True)

    # Once they leave the chosen organisation, they act for the one they still belong to.
    memberships.remove_member(
        db.session,
        org["other"].id,
        memberships.choose_organisation(db.session, org["member"].id, org["b"].id).id,
    )
    db.session.commit()
    assert f'<h1 class="govuk-heading-l">{org["a"].name}</h1>' in client.get(
        "/organisation"
    ).get_data(as_text=True)


def test_no_one_acts_for_an_organisation_they_do_not_belong_to(site: Flask, org: dict[str, Any]):
    client = client_for(site, org["other"])
    refused = submit(client, "/your-organisations", {"organisation_id": str(org["a"].id)})
    assert refused.status_code == 403
    assert f'<h1 class="govuk-heading-l">{org["b"].name}</h1>' in client.get(
        "/organisation"
    ).get_data(as_text=True)
    for not_an_id in ("x", "²", "99999999999999999999"):
        chosen = submit(client, "/your-organisations", {"organisation_id": not_an_id})
        assert chosen.status_code == 400
    missing = submit(client, "/your-organisations", {})
    assert missing.status_code == 422
    assert "Select an organisation" in error_summary(missing.get_data(as_text=True))


def _placement_data() -> Any:
    from tests.unit.services.world import valid_data

    themes = list(db.session.scalars(select(Theme.id).limit(1)))
    skills = list(db.session.scalars(select(Skill.id).limit(1)))
    world = SimpleNamespace(theme_ids=themes, skill_ids=skills)
    return valid_data(world, title="Organisation B secondment")  # type: ignore[arg-type]


# Authorisation: each join-request and organisation-choosing route for each kind of person.
JOIN_ROLES = [*ROLES, "requester"]
ALLOWED = {
    # Anyone with an organisation member account who is not yet a member may ask.
    "ask": {"other_org", "requester"},
    "approve": {"org_admin"},
    "decline": {"org_admin"},
    "approve_unrun": {"platform_admin"},
    "withdraw": {"requester"},
    "switch": {"member", "org_admin"},
}
# Where a refusal is a 404: the person may not learn the request exists.
HIDDEN = {
    "approve": {"other_org", "requester"},
    "decline": {"other_org", "requester"},
    "approve_unrun": {"member", "org_admin", "other_org", "requester"},
    "withdraw": {"member", "org_admin", "other_org"},
}
# Refused with the page's own error: they are already members.
INVALID_INPUT = {"ask": {"member", "org_admin"}}


@pytest.mark.parametrize("role", JOIN_ROLES)
@pytest.mark.parametrize("route", list(ALLOWED))
def test_the_authorisation_matrix_for_joining(
    site: Flask, org: dict[str, Any], role: str, route: str
):
    asker = confirmed_user(Role.ORGANISATION_MEMBER, email="asker@elsewhere.gov.uk")
    unrun = verified_organisation(db.session, name="Unrun District Council")
    to_a = memberships.request_to_join(db.session, asker.id, org["a"].id)
    to_unrun = memberships.request_to_join(db.session, asker.id, unrun.id)
    db.session.commit()
    person = asker if role == "requester" else _person(org, role)
    if role == "requester":
        # The requester asks again elsewhere: a fresh organisation they have not asked yet.
        target = verified_organisation(db.session, name="Fresh Borough Council")
        db.session.commit()
    else:
        target = org["a"]
    url, data = {
        "ask": ("/organisation/ask-to-join", {"organisation_id": str(target.id)}),
        "approve": (f"/join-requests/{to_a.id}/approve", {}),
        "decline": (f"/join-requests/{to_a.id}/decline", {}),
        "approve_unrun": (f"/join-requests/{to_unrun.id}/approve", {}),
        "withdraw": (f"/organisation/join-requests/{to_a.id}/withdraw", {}),
        "switch": ("/your-organisations", {"organisation_id": str(org["a"].id)}),
    }[route]
    before = {r.id: r.status for r in _join_requests()}
    client = client_for(site, person)
    response = submit(client, url, data, page="/sign-in" if role == "signed_out" else "/account")
    allowed = role in ALLOWED[route]
    if role == "signed_out":
        assert response.headers["Location"].startswith("/sign-in")
    elif allowed:
        assert response.status_code == 302
    elif role in INVALID_INPUT.get(route, set()):
        assert response.status_code == 422
    else:
        assert response.status_code == (404 if role in HIDDEN.get(route, set()) else 403)
    after = {r.id: r.status for r in _join_requests()}
    if not allowed:
        assert after == before
        assert membership_of(db.session, asker.id, org["a"].id) is None
        assert membership_of(db.session, asker.id, unrun.id) is None
    elif route == "ask":
        assert len(after) == len(before) + 1
    elif route == "withdraw":
        assert after[to_a.id] == JoinRequestStatus.WITHDRAWN
    elif route in ("approve", "approve_unrun"):
        assert after[(to_a if route == "approve" else to_unrun).id] == JoinRequestStatus.APPROVED
    elif route == "decline":
        assert after[to_a.id] == JoinRequestStatus.DECLINED
