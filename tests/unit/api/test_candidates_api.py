"""The organisation's side of a placement: interests, decisions, recommended people, invitations."""

from __future__ import annotations

from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import User
from tests.api_world import ApiWorld, call, fixtures

api_world_template, world, http = fixtures()


def _interests(world: ApiWorld, placement_id: int | None = None, rest: str = "") -> str:
    return f"/placements/{placement_id or world.open_a}/interests{rest}"


def test_members_see_who_is_interested_and_what_they_may_do_next(
    http: FlaskClient, world: ApiWorld
):
    response = call(http, world, "member", "GET", _interests(world))

    assert response.status_code == 200
    found = {item["id"]: item for item in response.json["items"]}
    assert set(found) == {world.interested, world.shortlisted}
    assert found[world.interested]["status"] == "interested"
    assert found[world.interested]["allowed_actions"] == ["shortlist", "reject"]
    assert found[world.shortlisted]["allowed_actions"] == ["offer", "reject"]
    assert found[world.interested]["person"]["id"] == world.person
    assert "email" not in found[world.interested]["person"]
    assert response.json["page"] == {"page": 1, "per_page": 20, "next_page": None}


def test_interests_page_and_filter(http: FlaskClient, world: ApiWorld):
    first = call(http, world, "member", "GET", _interests(world, rest="?per_page=1"))
    shortlisted = call(http, world, "member", "GET", _interests(world, rest="?status=shortlisted"))

    assert len(first.json["items"]) == 1
    assert first.json["page"]["next_page"] == 2
    assert [item["id"] for item in shortlisted.json["items"]] == [world.shortlisted]


def test_another_organisation_may_not_see_the_interests(http: FlaskClient, world: ApiWorld):
    open_placement = call(http, world, "other_org", "GET", _interests(world))
    draft = call(http, world, "other_org", "GET", _interests(world, world.draft_a))

    assert open_placement.status_code == 403
    assert draft.status_code == 404


def _decide(http: FlaskClient, world: ApiWorld, interest_id: int, action: str, **kw):
    placement_id = kw.pop("placement_id", world.open_a)
    path = _interests(world, placement_id, f"/{interest_id}:{action}")
    if action == "offer":
        kw.setdefault("json", {"message": "Start on 2 March; call Jo on 0113 000 0000."})
    return call(http, world, kw.pop("role", "member"), "POST", path, **kw)


def test_an_interested_person_is_shortlisted_offered_and_not_twice(
    http: FlaskClient, world: ApiWorld
):
    shortlisted = _decide(http, world, world.interested, "shortlist")
    again = _decide(http, world, world.interested, "shortlist")
    offered = _decide(http, world, world.interested, "offer", role="org_admin")

    assert shortlisted.status_code == 200
    assert shortlisted.json["status"] == "shortlisted"
    assert shortlisted.json["allowed_actions"] == ["offer", "reject"]
    assert again.status_code == 409
    assert offered.json["status"] == "offered"


def test_turning_someone_down_is_final(http: FlaskClient, world: ApiWorld):
    rejected = _decide(http, world, world.shortlisted, "reject")
    offer = _decide(http, world, world.shortlisted, "offer")

    assert rejected.json["status"] == "rejected"
    assert rejected.json["allowed_actions"] == []
    assert offer.status_code == 409


def test_an_interest_in_another_placement_is_404_under_this_one(http: FlaskClient, world: ApiWorld):
    # The offered interest is in organisation A's other placement.
    response = _decide(http, world, world.offered, "reject")

    assert response.status_code == 404


def test_the_person_side_cannot_be_taken_from_here(http: FlaskClient, world: ApiWorld):
    response = _decide(http, world, world.interested, "shortlist", role="civil_servant")

    assert response.status_code == 403


def test_recommended_people_come_with_their_reasons(http: FlaskClient, world: ApiWorld):
    response = call(http, world, "member", "GET", f"/placements/{world.open_a}/candidates")

    assert response.status_code == 200
    [candidate] = response.json["items"]
    assert candidate["person"]["id"] == world.candidate
    assert set(candidate["person"]) == {
        "id",
        "grade",
        "department",
        "profession",
        "themes",
        "skills",
    }
    assert candidate["invited"] is False
    assert [reason["component"] for reason in candidate["reasons"]] == ["themes"]
    assert candidate["sentences"][0].startswith("Interested in ")
    assert response.json["page"]["next_page"] is None


def test_candidates_page_past_the_end_is_empty(http: FlaskClient, world: ApiWorld):
    path = f"/placements/{world.open_a}/candidates?page=2"

    assert call(http, world, "member", "GET", path).json["items"] == []


def test_a_recommended_person_is_invited_once(http: FlaskClient, world: ApiWorld):
    path = f"/placements/{world.open_a}/candidates/{world.candidate}:invite"

    first = call(http, world, "member", "POST", path)
    second = call(http, world, "org_admin", "POST", path)
    listed = call(http, world, "member", "GET", f"/placements/{world.open_a}/candidates")

    assert first.status_code == 200
    assert first.json["person_id"] == world.candidate
    assert second.json["id"] == first.json["id"]
    assert listed.json["items"][0]["invited"] is True


def test_invitations_need_a_discoverable_person_and_an_open_placement(
    http: FlaskClient, world: ApiWorld
):
    member_not_a_person = f"/placements/{world.open_a}/candidates/{world.member_a}:invite"
    draft = f"/placements/{world.draft_a}/candidates/{world.candidate}:invite"

    assert call(http, world, "member", "POST", member_not_a_person).status_code == 404
    assert call(http, world, "member", "POST", draft).status_code == 409


def test_recommended_people_are_shown_without_name_or_contact(http: FlaskClient, world: ApiWorld):
    with http.application.app_context():
        person = db.session.get(User, world.candidate)
        name, email = person.display_name, person.email

    response = call(http, world, "member", "GET", f"/placements/{world.open_a}/candidates")

    assert response.status_code == 200
    assert name not in response.text
    assert email not in response.text


def test_an_offer_needs_a_message(http: FlaskClient, world: ApiWorld):
    for body in ({}, {"message": "   "}):
        response = _decide(http, world, world.shortlisted, "offer", json=body)
        assert response.status_code == 422

    response = _decide(http, world, world.shortlisted, "offer")

    assert response.status_code == 200
    assert response.json["status"] == "offered"
