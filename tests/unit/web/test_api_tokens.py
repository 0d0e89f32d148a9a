"""API tokens pages: create (the secret shown once, never cached), list, revoke."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import ApiToken, AuditEntry, MembershipRole, Organisation, Role, User
from matcher.web.views.api_tokens import end_of_day
from tests import builders
from tests.conftest import TODAY
from tests.unit.services.world import verified_organisation
from tests.web import confirmed_user, error_summary, inline_errors, sign_in, submit

NEW = "/account/api-tokens/new"
SECRET = re.compile(r'id="token-secret">(mt_[A-Za-z0-9_-]+)<')


def client_for(site: Flask, user: User) -> FlaskClient:
    client = site.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _tokens(user: User) -> list[ApiToken]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def _date(day) -> dict[str, str]:
    return {
        "expires_on-day": str(day.day),
        "expires_on-month": str(day.month),
        "expires_on-year": str(day.year),
    }


def test_the_account_page_links_to_the_tokens_page(site: Flask):
    client = client_for(site, confirmed_user())
    assert 'href="/account/api-tokens"' in client.get("/account").get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(site: Flask):
    for path in ("/account/api-tokens", NEW, "/account/api-tokens/1/revoke"):
        response = site.test_client().get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")


def test_a_created_token_is_shown_once_uncached_and_works_on_the_api(site: Flask):
    person = confirmed_user()
    client = client_for(site, person)
    assert client.get("/account/api-tokens").status_code == 200

    response = submit(client, NEW, {"name": "  HR system  "})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "govuk-panel" in html and "We will not show it to you again" in html
    secret = SECRET.search(html).group(1)
    (token,) = _tokens(person)
    assert (token.name, token.organisation_id, token.expires_at) == ("HR system", None, None)
    assert secret.startswith(token.prefix)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 404  # authenticated: a civil servant without a profile yet
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "HR system" in listing and token.prefix in listing and secret not in listing
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.created"))
    assert audit is not None and audit.actor_id == person.id


def test_a_second_submission_of_the_form_makes_no_second_token(site: Flask):
    person = confirmed_user()
    client = client_for(site, person)
    html = client.get(NEW).get_data(as_text=True)
    fields = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "submission": re.search(r'name="submission" value="([^"]+)"', html).group(1),
        "name": "Twice",
    }
    assert client.post(NEW, data=fields).status_code == 200
    again = client.post(NEW, data=fields)
    assert again.status_code == 302 and again.headers["Location"] == "/account/api-tokens"
    assert len(_tokens(person)) == 1


def test_a_corrected_form_creates_the_token(site: Flask):
    person = confirmed_user()
    client = client_for(site, person)
    refused = submit(client, NEW, {"name": ""})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    fields = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "submission": re.search(r'name="submission" value="([^"]+)"', html).group(1),
        "name": "Second try",
    }
    assert client.post(NEW, data=fields).status_code == 200
    assert [token.name for token in _tokens(person)] == ["Second try"]


def test_an_expiry_date_ends_the_token_at_the_end_of_that_uk_day(site: Flask):
    person = confirmed_user()
    day = london_today() + timedelta(days=30)
    response = submit(client_for(site, person), NEW, {"name": "Short lived", **_date(day)})
    assert response.status_code == 200
    assert f"at the end of {day.day} {day:%B %Y}" in response.get_data(as_text=True)
    (token,) = _tokens(person)
    assert token.expires_at == end_of_day(day)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter a name for the token"),
        ({"name": "x" * 81}, "Name must be 80 characters or fewer"),
        (
            {"name": "Old", **_date(TODAY - timedelta(days=1))},
            "Expiry must be in the future",
        ),
        (
            {
                "name": "Odd",
                "expires_on-day": "31",
                "expires_on-month": "2",
                "expires_on-year": "2030",
            },
            "The expiry date must be a real date",
        ),
    ],
)
def test_answers_the_service_refuses_are_shown_in_the_error_summary_and_inline(
    site: Flask, data: dict[str, str], message: str
):
    person = confirmed_user()
    response = submit(client_for(site, person), NEW, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_summary(html) == [message]
    assert inline_errors(html) == [message]
    assert "<title>Error: " in html
    assert _tokens(person) == []


def test_the_form_needs_its_csrf_token(site: Flask):
    person = confirmed_user()
    response = client_for(site, person).post(NEW, data={"name": "No token"})
    assert response.status_code == 400
    assert _tokens(person) == []


def _member_of(*count_of: int) -> tuple[User, list[int]]:
    member = confirmed_user(Role.ORGANISATION_MEMBER)
    ids = []
    for _ in count_of:
        organisation = verified_organisation(db.session)
        builders.membership(db.session, member, organisation, MembershipRole.MEMBER)
        ids.append(organisation.id)
    db.session.commit()
    return member, ids


def test_a_member_of_several_organisations_chooses_which_one_the_token_acts_for(site: Flask):
    member, (first, second) = _member_of(1, 2)
    client = client_for(site, member)
    html = client.get(NEW).get_data(as_text=True)
    assert f'value="{first}"' in html and f'value="{second}"' in html

    missing = submit(client, NEW, {"name": "Rota"})
    assert missing.status_code == 422
    assert error_summary(missing.get_data(as_text=True)) == [
        "Select the organisation the token acts for"
    ]
    stranger = verified_organisation(db.session)
    db.session.commit()
    foreign = submit(client, NEW, {"name": "Rota", "organisation_id": str(stranger.id)})
    assert error_summary(foreign.get_data(as_text=True)) == ["Select an organisation you belong to"]

    assert submit(client, NEW, {"name": "Rota", "organisation_id": str(second)}).status_code == 200
    (token,) = _tokens(member)
    assert token.organisation_id == second
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Acts for" in listing and db.session.get(Organisation, second).name in listing


def test_a_member_of_one_organisation_is_not_asked_which(site: Flask):
    member, (only,) = _member_of(1)
    client = client_for(site, member)
    assert 'name="organisation_id"' not in client.get(NEW).get_data(as_text=True)
    assert submit(client, NEW, {"name": "Rota"}).status_code == 200
    (token,) = _tokens(member)
    assert token.organisation_id == only


def test_a_member_without_an_organisation_is_told_to_join_one_first(site: Flask):
    member = confirmed_user(Role.ORGANISATION_MEMBER)
    html = client_for(site, member).get(NEW).get_data(as_text=True)
    assert "Join an organisation before you create a token" in html
    assert '<form method="post" novalidate' not in html


def test_revoking_asks_first_then_the_token_stops_working(site: Flask):
    person = confirmed_user()
    client = client_for(site, person)
    secret = SECRET.search(submit(client, NEW, {"name": "Old laptop"}).get_data(as_text=True))
    (token,) = _tokens(person)
    url = f"/account/api-tokens/{token.id}/revoke"
    page = client.get(url).get_data(as_text=True)
    assert "Revoke the token Old laptop?" in page

    response = submit(client, url, {})

    assert response.status_code == 302 and response.headers["Location"] == "/account/api-tokens"
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "The token Old laptop has been revoked" in listing
    assert "You have no API tokens" in listing
    assert _tokens(person)[0].revoked_at is not None
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.get(url).status_code == 404
    revoked = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoked"))
    assert revoked is not None and revoked.object_id == str(token.id)


def test_nobody_can_see_or_revoke_another_persons_token(site: Flask):
    owner = confirmed_user()
    submit(client_for(site, owner), NEW, {"name": "Mine"})
    (token,) = _tokens(owner)
    intruder = client_for(site, confirmed_user())
    url = f"/account/api-tokens/{token.id}/revoke"
    assert intruder.get(url).status_code == 404
    assert submit(intruder, url, {}, page="/account/api-tokens").status_code == 404
    assert "Mine" not in intruder.get("/account/api-tokens").get_data(as_text=True)
    assert _tokens(owner)[0].revoked_at is None
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
