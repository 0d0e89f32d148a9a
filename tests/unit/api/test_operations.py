"""What ``@operation`` does for every handler: tokens, roles, bodies, preconditions, limits.

Each refusal is RFC 9457 problem+json with the status the issue names; the handlers of the
``me`` area serve as the operations under test.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from matcher.api.operations import JSON_BODY_MAX
from matcher.extensions import db
from matcher.http.problems import PROBLEM_JSON
from matcher.http.ratelimit import API_PER_TOKEN
from matcher.models import ApiToken, Membership, utcnow
from matcher.services.api_tokens import revoke_token, token_for_secret
from tests.api import bearer, complete_profile, profile_body, token_for
from tests.unit.api.conftest import Callers

PROFILE = "/api/v1/me/profile"


def assert_problem(response, status: int) -> dict:
    """The response is a problem+json document for ``status``; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["type"] == "about:blank"
    return body


def _errors(body: dict) -> dict[str, str]:
    return {item["field"]: item["message"] for item in body.get("errors", [])}


def _put(client: FlaskClient, secret: str, data, **headers: str):
    payload = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.put(
        PROFILE,
        data=payload,
        headers={"If-Match": "*", "Content-Type": "application/json", **bearer(secret), **headers},
    )


# 401: who is asking


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer   ",
        "Basic dXNlcjpwYXNz",
        "Bearer mt_not-a-real-token",
        "Bearer x",
    ],
)
def test_a_request_without_a_valid_token_is_401_with_a_bearer_challenge(
    client: FlaskClient, callers: Callers, authorization: str | None
):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/v1/me", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="matcher"'


def test_a_revoked_token_is_401(client: FlaskClient, callers: Callers):
    token = token_for_secret(db.session, callers.civil_servant)
    revoke_token(db.session, callers.world.person.id, token.id)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(callers.civil_servant)), 401)


def test_an_expired_token_is_401(client: FlaskClient, callers: Callers):
    secret = token_for(
        db.session, callers.world.person, expires_at=utcnow() + timedelta(seconds=30)
    )
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 404
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.prefix == secret[:10])
        .values(created_at=utcnow() - timedelta(days=2), expires_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(secret)), 401)


def test_a_members_token_stops_working_when_they_leave_its_organisation(
    client: FlaskClient, callers: Callers
):
    assert client.get("/api/v1/me", headers=bearer(callers.member)).status_code == 200
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == callers.world.member_a.id)
    )
    db.session.delete(membership)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(callers.member)), 401)


def test_public_operations_need_no_token(client: FlaskClient, callers: Callers):
    response = client.get("/api/v1/themes")
    assert response.status_code == 200
    assert response.get_json()["items"]


# 403: the wrong role


@pytest.mark.parametrize("role", ["member", "org_admin", "platform_admin"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me/matches"),
        ("get", "/api/v1/me/interests"),
        ("post", "/api/v1/me/interests/1:withdraw"),
    ],
)
def test_civil_servants_operations_are_403_for_other_roles(
    client: FlaskClient, callers: Callers, role: str, method: str, path: str
):
    response = getattr(client, method)(path, headers=bearer(callers[role]))
    assert assert_problem(response, 403)["detail"] == "This operation is not for your role"


def test_the_role_is_checked_before_the_body_is_read(client: FlaskClient, callers: Callers):
    assert_problem(_put(client, callers.platform_admin, "{not json"), 403)


# 400, 413, 415: the body as bytes


@pytest.mark.parametrize("payload", ["{not json", "", "[1, 2", b"\xff\xfe{}"])
def test_a_body_that_is_not_json_is_400(client: FlaskClient, callers: Callers, payload):
    body = assert_problem(_put(client, callers.civil_servant, payload), 400)
    assert body["detail"] == "The body is not valid JSON"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_of_another_media_type_is_415(
    client: FlaskClient, callers: Callers, content_type: str | None
):
    headers = {"If-Match": "*", **bearer(callers.civil_servant)}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.put(PROFILE, data="{}", headers=headers)
    assert assert_problem(response, 415)["detail"] == "Send the body as application/json"


def test_json_with_a_charset_is_still_json(client: FlaskClient, callers: Callers):
    response = _put(
        client, callers.civil_servant, {}, **{"Content-Type": "application/json; charset=utf-8"}
    )
    assert_problem(response, 422)


def test_a_body_over_the_limit_is_413(client: FlaskClient, callers: Callers):
    world = callers.world
    data = profile_body(db.session, world.theme_ids, world.skill_ids)
    data["about"] = "x" * JSON_BODY_MAX
    assert_problem(_put(client, callers.civil_servant, data), 413)


# 422: the body's fields


def test_unknown_fields_are_422_not_ignored(client: FlaskClient, callers: Callers):
    world = callers.world
    data = profile_body(db.session, world.theme_ids, world.skill_ids) | {"is_admin": True}
    body = assert_problem(_put(client, callers.civil_servant, data), 422)
    assert _errors(body) == {"body.is_admin": "Extra inputs are not permitted"}


def test_fields_of_the_wrong_type_are_422_field_by_field(client: FlaskClient, callers: Callers):
    world = callers.world
    data = profile_body(db.session, world.theme_ids, world.skill_ids) | {
        "remote_ok": "yes",
        "department_id": "1",
        "theme_ids": [0],
        "hours": "always",
    }
    del data["discoverable"]
    errors = _errors(assert_problem(_put(client, callers.civil_servant, data), 422))
    assert set(errors) == {
        "body.remote_ok",
        "body.department_id",
        "body.theme_ids.0",
        "body.hours",
        "body.discoverable",
    }
    assert errors["body.discoverable"] == "Field required"


def test_a_body_that_is_not_an_object_is_422(client: FlaskClient, callers: Callers):
    body = assert_problem(_put(client, callers.civil_servant, [1, 2]), 422)
    assert set(_errors(body)) == {"body"}


def test_the_services_rules_come_back_as_field_errors(client: FlaskClient, callers: Callers):
    world = callers.world
    data = profile_body(db.session, world.theme_ids, world.skill_ids) | {
        "theme_ids": [],
        "postcode": "NOT A POSTCODE",
        "travel_limit_km": 5000,
        "about": "x" * 1001,
    }
    errors = _errors(assert_problem(_put(client, callers.civil_servant, data), 422))
    assert errors == {
        "body.theme_ids": "Select the policy themes that interest you",
        "body.postcode": "Enter a real UK postcode, like SW1A 2AA",
        "body.travel_limit_km": "How far you could travel must be between 0 and 1000 kilometres",
        "body.about": "About you must be 1,000 characters or fewer",
    }


def test_query_parameters_are_checked_too(client: FlaskClient, callers: Callers):
    headers = bearer(callers.civil_servant)
    errors = _errors(
        assert_problem(client.get("/api/v1/me/matches?per_page=1000&x=1", headers=headers), 422)
    )
    assert set(errors) == {"query.per_page", "query.x"}
    no_query = assert_problem(client.get("/api/v1/me?page=2", headers=headers), 422)
    assert no_query["detail"] == "This operation takes no query parameters"


# 412, 428: If-Match


def test_a_replacement_without_if_match_is_428(client: FlaskClient, callers: Callers):
    world = callers.world
    data = json.dumps(profile_body(db.session, world.theme_ids, world.skill_ids))
    response = client.put(
        PROFILE,
        data=data,
        headers={"Content-Type": "application/json", **bearer(callers.civil_servant)},
    )
    assert_problem(response, 428)


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('"1"', 412), ('W/"1"', 412), ("1", 400), ("nonsense", 400), ('"99999999999"', 400)],
)
def test_a_stale_if_match_is_412_and_an_unreadable_one_400(
    client: FlaskClient, callers: Callers, if_match: str, status: int
):
    world = callers.world
    complete_profile(db.session, world.person, world.theme_ids, world.skill_ids)
    current = client.get("/api/v1/me", headers=bearer(callers.civil_servant)).headers["ETag"]
    assert current != '"1"'
    data = profile_body(db.session, world.theme_ids, world.skill_ids) | {"about": "Changed."}
    assert_problem(_put(client, callers.civil_servant, data, **{"If-Match": if_match}), status)
    db.session.expire_all()
    assert world.person.profile.about == "Housing policy."


# 429: the per-token rate limit


def test_too_many_requests_for_one_token_is_429_with_retry_after(
    api_app: Flask, client: FlaskClient, callers: Callers
):
    api_app.config[API_PER_TOKEN] = "3 per minute"
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(callers.member)).status_code == 200
    response = client.get("/api/v1/me", headers=bearer(callers.member))
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # The limit is the token's own: another caller is not held back.
    assert client.get("/api/v1/me", headers=bearer(callers.org_admin)).status_code == 200


# 404, 405: addresses that are not operations


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/me/interests/0",
        "/api/v1/me/interests/-1",
        "/api/v1/me/interests/abc",
        "/api/v1/me/interests/99999999999",
    ],
)
def test_an_address_that_is_no_operation_is_a_404_problem(
    client: FlaskClient, callers: Callers, path: str
):
    assert_problem(client.get(path, headers=bearer(callers.civil_servant)), 404)


def test_a_method_the_operation_does_not_take_is_a_405_problem(client: FlaskClient):
    response = client.delete("/api/v1/themes")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_api_errors_never_render_html_even_for_a_crash(api_app: Flask, client: FlaskClient):
    @api_app.get("/api/v1/boom-for-test")
    def boom():
        raise RuntimeError("a bug")

    response = client.get("/api/v1/boom-for-test")
    assert_problem(response, 500)
    assert "a bug" not in response.get_data(as_text=True)
