"""The placements API: search, reads, drafts, partial updates with If-Match, status changes."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from flask.testing import FlaskClient

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import Membership, MembershipRole
from tests.api_world import ApiWorld, call, fixtures, placement_body

api_world_template, world, http = fixtures()


def _org(world: ApiWorld, rest: str = "") -> str:
    return f"/organisations/{world.org_a}/placements{rest}"


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json["items"]]


# Search and reads


def test_search_lists_open_placements_of_verified_organisations_only(
    http: FlaskClient, world: ApiWorld
):
    response = call(http, world, "civil_servant", "GET", "/placements")

    assert response.status_code == 200
    assert set(_ids(response)) == {world.open_a, world.offered_in, world.open_b}
    assert response.json["next_cursor"] is None


def test_search_filters_by_words(http: FlaskClient, world: ApiWorld):
    response = call(http, world, "member", "GET", "/placements?text=SECOND+open")

    assert _ids(response) == [world.offered_in]


def test_search_follows_the_cursor_through_every_open_placement_once(
    http: FlaskClient, world: ApiWorld
):
    seen: list[int] = []
    path = "/placements?limit=1"
    while True:
        page = call(http, world, "member", "GET", path)
        assert page.status_code == 200
        assert len(page.json["items"]) == 1
        seen += _ids(page)
        if page.json["next_cursor"] is None:
            break
        path = f"/placements?limit=1&cursor={page.json['next_cursor']}"

    assert sorted(seen) == sorted({world.open_a, world.offered_in, world.open_b})


def test_search_refuses_a_cursor_it_did_not_make_and_an_unknown_filter(
    http: FlaskClient, world: ApiWorld
):
    forged = call(http, world, "member", "GET", "/placements?cursor=bm90LW91cnM")
    unknown = call(http, world, "member", "GET", "/placements?colour=red")

    assert forged.status_code == 422
    assert forged.json["errors"] == [{"field": "cursor", "message": "The page link is not valid"}]
    assert unknown.status_code == 422


def test_search_refuses_a_cursor_naming_an_id_no_row_can_have(http: FlaskClient, world: ApiWorld):
    raw = json.dumps(["2026-11-25T12:00:00+00:00", 10**30]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = call(http, world, "member", "GET", f"/placements?cursor={cursor}")

    assert response.status_code == 422


def test_search_needs_a_token(http: FlaskClient, world: ApiWorld):
    assert call(http, world, "anonymous", "GET", "/placements").status_code == 401


def test_a_placement_carries_its_version_as_etag(http: FlaskClient, world: ApiWorld):
    response = call(http, world, "civil_servant", "GET", f"/placements/{world.open_a}")

    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{world.open_a_version}"'
    assert response.json["version"] == world.open_a_version
    assert response.json["status"] == "open"
    assert response.json["grade_min"] == "EO"


def test_a_draft_is_seen_by_its_organisation_and_no_one_else(http: FlaskClient, world: ApiWorld):
    path = f"/placements/{world.draft_a}"

    assert call(http, world, "member", "GET", path).status_code == 200
    assert call(http, world, "civil_servant", "GET", path).status_code == 404
    assert call(http, world, "other_org", "GET", path).status_code == 404
    assert call(http, world, "member", "GET", f"/placements/{world.draft_b}").status_code == 404


def test_an_organisation_lists_its_placements_in_every_status(http: FlaskClient, world: ApiWorld):
    every = call(http, world, "member", "GET", _org(world))
    closed = call(http, world, "org_admin", "GET", _org(world, "?status=closed"))
    paged = call(http, world, "member", "GET", _org(world, "?per_page=2&page=2"))

    assert set(_ids(every)) == {world.draft_a, world.open_a, world.offered_in, world.closed_a}
    assert every.json["page"] == {"page": 1, "per_page": 20, "total": 4, "pages": 1}
    assert _ids(closed) == [world.closed_a]
    assert len(paged.json["items"]) == 2
    assert paged.json["page"]["pages"] == 2


def test_another_organisations_token_may_not_list_them(http: FlaskClient, world: ApiWorld):
    assert call(http, world, "other_org", "GET", _org(world)).status_code == 403


# Drafts


def test_a_member_saves_a_draft_and_is_told_where_it_is(http: FlaskClient, world: ApiWorld):
    response = call(http, world, "member", "POST", _org(world), json=placement_body(world))

    assert response.status_code == 201
    assert response.json["status"] == "draft"
    assert response.headers["ETag"] == f'"{response.json["version"]}"'
    location = response.headers["Location"]
    assert location == f"/api/v1/placements/{response.json['id']}"
    again = http.get(location, headers=world.headers("member"))
    assert again.json == response.json


def test_a_draft_that_breaks_a_rule_is_422_with_the_service_message(
    http: FlaskClient, world: ApiWorld
):
    yesterday = (london_today() - timedelta(days=1)).isoformat()
    body = placement_body(world, closing_date=yesterday, location_postcode=None)
    body["remote_possible"] = False

    response = call(http, world, "member", "POST", _org(world), json=body)

    assert response.status_code == 422
    assert {error["field"]: error["message"] for error in response.json["errors"]} == {
        "body.closing_date": "Closing date must be in the future",
        "body.location_postcode": "Enter a postcode, or say the placement can be done remotely",
    }


def test_a_draft_body_is_bounded_and_strict(http: FlaskClient, world: ApiWorld):
    too_long = placement_body(world, title="x" * 151)
    unknown = placement_body(world, salary=30_000)

    for body in (too_long, unknown):
        assert call(http, world, "member", "POST", _org(world), json=body).status_code == 422


def test_a_token_for_another_organisation_may_not_post_for_this_one(
    http: FlaskClient, world: ApiWorld
):
    response = call(http, world, "other_org", "POST", _org(world), json=placement_body(world))

    assert response.status_code == 403


# Partial updates and If-Match


def _etag(http: FlaskClient, world: ApiWorld, placement_id: int) -> str:
    return call(http, world, "member", "GET", f"/placements/{placement_id}").headers["ETag"]


def test_a_patch_changes_only_the_fields_sent_and_returns_the_new_etag(
    http: FlaskClient, world: ApiWorld
):
    before = call(http, world, "member", "GET", f"/placements/{world.draft_a}")

    response = call(
        http,
        world,
        "member",
        "PATCH",
        _org(world, f"/{world.draft_a}"),
        json={"title": "A better title", "capacity": 3},
        headers={"If-Match": before.headers["ETag"]},
    )

    assert response.status_code == 200
    assert response.headers["ETag"] != before.headers["ETag"]
    changed = {"title": "A better title", "capacity": 3}
    unchanged = {
        k: v for k, v in before.json.items() if k not in {*changed, "version", "updated_at"}
    }
    assert {k: response.json[k] for k in unchanged} == unchanged
    assert {k: response.json[k] for k in changed} == changed


def test_the_second_of_two_editors_gets_412_and_loses_nothing(http: FlaskClient, world: ApiWorld):
    seen_by_both = _etag(http, world, world.draft_a)
    path = _org(world, f"/{world.draft_a}")

    first = call(
        http,
        world,
        "member",
        "PATCH",
        path,
        json={"title": "First editor's title"},
        headers={"If-Match": seen_by_both},
    )
    second = call(
        http,
        world,
        "org_admin",
        "PATCH",
        path,
        json={"summary": "Second editor's summary"},
        headers={"If-Match": seen_by_both},
    )

    assert first.status_code == 200
    assert second.status_code == 412
    now = call(http, world, "member", "GET", f"/placements/{world.draft_a}").json
    assert now["title"] == "First editor's title"
    assert now["summary"] != "Second editor's summary"


def test_a_patch_without_if_match_is_428(http: FlaskClient, world: ApiWorld):
    response = call(
        http, world, "member", "PATCH", _org(world, f"/{world.draft_a}"), json={"title": "T"}
    )

    assert response.status_code == 428


def test_a_patch_may_clear_the_postcode_of_a_remote_placement_but_not_null_a_title(
    http: FlaskClient, world: ApiWorld
):
    path = _org(world, f"/{world.draft_a}")
    etag = _etag(http, world, world.draft_a)

    nulled = call(
        http, world, "member", "PATCH", path, json={"title": None}, headers={"If-Match": etag}
    )
    remote = call(
        http,
        world,
        "member",
        "PATCH",
        path,
        json={"remote_possible": True, "location_postcode": None},
        headers={"If-Match": etag},
    )

    assert nulled.status_code == 422
    assert remote.status_code == 200
    assert remote.json["location_postcode"] is None


def test_another_organisations_placement_is_404_under_this_organisations_path(
    http: FlaskClient, world: ApiWorld
):
    for placement_id in (world.draft_b, world.open_b):
        response = call(
            http,
            world,
            "member",
            "PATCH",
            _org(world, f"/{placement_id}"),
            json={"title": "Taken over"},
            headers={"If-Match": "*"},
        )
        assert response.status_code == 404


# Status changes


def _change(http: FlaskClient, world: ApiWorld, placement_id: int, action: str, etag: str):
    return call(
        http,
        world,
        "member",
        "POST",
        _org(world, f"/{placement_id}:{action}"),
        headers={"If-Match": etag},
    )


def test_a_draft_goes_live_then_closes_reopens_and_is_filled(http: FlaskClient, world: ApiWorld):
    etag = _etag(http, world, world.draft_a)
    statuses = []
    for action in ("publish", "close", "reopen", "fill"):
        response = _change(http, world, world.draft_a, action, etag)
        assert response.status_code == 200, response.json
        assert response.headers["ETag"] != etag
        etag = response.headers["ETag"]
        statuses.append(response.json["status"])

    assert statuses == ["open", "closed", "open", "filled"]


def test_an_illegal_status_change_is_409(http: FlaskClient, world: ApiWorld):
    closing_a_draft = _change(http, world, world.draft_a, "close", "*")
    publishing_twice = _change(http, world, world.open_a, "publish", "*")
    withdrawn = _change(http, world, world.open_a, "withdraw", "*")
    after_withdrawal = _change(http, world, world.open_a, "fill", "*")

    assert closing_a_draft.status_code == 409
    assert publishing_twice.status_code == 409
    assert withdrawn.status_code == 200
    assert after_withdrawal.status_code == 409
    assert after_withdrawal.headers["Content-Type"] == "application/problem+json"


def test_a_status_change_against_a_stale_etag_is_412(http: FlaskClient, world: ApiWorld):
    stale = _etag(http, world, world.open_a)
    assert _change(http, world, world.open_a, "close", stale).status_code == 200

    assert _change(http, world, world.open_a, "reopen", stale).status_code == 412
    assert _change(http, world, world.open_a, "reopen", "not-an-etag").status_code == 400


def test_another_organisations_draft_cannot_be_published_from_here(
    http: FlaskClient, world: ApiWorld
):
    assert _change(http, world, world.draft_b, "publish", "*").status_code == 404


def test_a_token_for_one_organisation_cannot_read_anothers_draft_through_a_second_membership(
    http: FlaskClient, world: ApiWorld
):
    """A member of A and B whose token acts for A reads B's drafts as an outsider would: 404."""
    db.session.add(
        Membership(user_id=world.member_a, organisation_id=world.org_b, role=MembershipRole.MEMBER)
    )
    db.session.commit()

    draft_b = call(http, world, "member", "GET", f"/placements/{world.draft_b}")
    interests_b = call(http, world, "member", "GET", f"/placements/{world.draft_b}/interests")
    own_draft = call(http, world, "member", "GET", f"/placements/{world.draft_a}")
    open_b = call(http, world, "member", "GET", f"/placements/{world.open_b}")

    assert draft_b.status_code == 404
    assert interests_b.status_code == 404
    assert own_draft.status_code == 200
    assert open_b.status_code == 200
