"""The ``me`` area: account and profile with ETags, matches with reasons, interests."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import AuditEntry, Dismissal, InterestStatus, Match, OutboxEvent, Theme
from matcher.services import placements as placement_service
from matcher.services import practice_notes
from matcher.services.practice_notes import NoteData
from matcher.services.profiles import answers_from_profile
from tests.api import bearer, complete_profile, profile_body
from tests.unit.api.conftest import Callers
from tests.unit.services.world import draft, interest_in, open_placement, published_note
from tests.unit.web.matches_world import stored_match, stored_reasons

ME = "/api/v1/me"
PROFILE = "/api/v1/me/profile"
INTERESTS = "/api/v1/me/interests"


def _put(client: FlaskClient, callers: Callers, body: dict, if_match: str):
    return client.put(
        PROFILE, json=body, headers={"If-Match": if_match, **bearer(callers.civil_servant)}
    )


# GET /me


def test_a_civil_servant_without_a_profile_is_told_to_make_one(
    client: FlaskClient, callers: Callers
):
    response = client.get(ME, headers=bearer(callers.civil_servant))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_other_roles_get_their_account_and_the_organisation_their_token_acts_for(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    member = client.get(ME, headers=bearer(callers.member))
    admin = client.get(ME, headers=bearer(callers.platform_admin))
    assert member.status_code == admin.status_code == 200
    assert "ETag" not in member.headers
    assert member.get_json() == {
        "account": {
            "id": world.member_a.id,
            "display_name": world.member_a.display_name,
            "email": world.member_a.email,
            "role": "organisation_member",
            "organisation_id": world.org_a.id,
        },
        "profile": None,
    }
    assert admin.get_json()["account"]["role"] == "administrator"
    assert admin.get_json()["account"]["organisation_id"] is None


# PUT /me/profile


def test_a_first_profile_is_created_with_if_match_star_and_read_back_with_its_etag(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    body = profile_body(db.session, world.theme_ids, world.skill_ids)

    created = _put(client, callers, body, "*")

    assert created.status_code == 200
    etag = created.headers["ETag"]
    assert etag == f'"{world.person.profile.version_id}"'
    read = client.get(ME, headers=bearer(callers.civil_servant))
    assert read.headers["ETag"] == etag
    profile = read.get_json()["profile"]
    assert profile == created.get_json()
    assert {key: profile[key] for key in body} == body
    assert answers_from_profile(world.person.profile) == body
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "profile"))
    assert audit is not None and audit.actor_id == world.person.id
    assert db.session.scalar(
        select(OutboxEvent).where(OutboxEvent.payload["person_id"].as_integer() == world.person.id)
    )


def test_replacing_needs_the_current_etag_and_any_change_makes_a_new_one(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    body = profile_body(db.session, world.theme_ids, world.skill_ids)
    first = _put(client, callers, body, "*").headers["ETag"]

    # Only the themes change: they live in another table, yet the version moves on.
    changed = _put(client, callers, body | {"theme_ids": world.theme_ids[:2]}, first)

    assert changed.status_code == 200
    second = changed.headers["ETag"]
    assert second != first
    assert changed.get_json()["theme_ids"] == sorted(world.theme_ids[:2])
    assert _put(client, callers, body, first).status_code == 412
    same = _put(client, callers, body | {"theme_ids": world.theme_ids[:2]}, second)
    assert same.status_code == 200 and same.headers["ETag"] == second


def test_an_edit_on_the_web_since_the_read_is_not_overwritten(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    complete_profile(db.session, world.person, world.theme_ids, world.skill_ids)
    etag = client.get(ME, headers=bearer(callers.civil_servant)).headers["ETag"]
    world.person.profile.about = "Edited in the browser."
    db.session.commit()

    body = profile_body(db.session, world.theme_ids, world.skill_ids) | {"about": "From the API."}
    assert _put(client, callers, body, etag).status_code == 412
    db.session.expire_all()
    assert world.person.profile.about == "Edited in the browser."


def test_a_named_version_is_stale_when_there_is_no_profile_yet(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    body = profile_body(db.session, world.theme_ids, world.skill_ids)
    assert _put(client, callers, body, '"7"').status_code == 412


def test_a_postcode_is_checked_and_stored_as_the_web_form_stores_it(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    body = profile_body(db.session, world.theme_ids, world.skill_ids) | {
        "postcode": " ls2  9jt ",
        "region_code": None,
    }
    response = _put(client, callers, body, "*")
    assert response.status_code == 200
    assert response.get_json()["postcode"] == "LS2 9JT"
    assert world.person.profile.local_authority_code is not None


def test_references_that_do_not_exist_are_field_errors(client: FlaskClient, callers: Callers):
    world = callers.world
    body = profile_body(db.session, world.theme_ids, world.skill_ids) | {
        "department_id": 999_999,
        "skill_ids": [999_999],
        "available_until": (london_today() - timedelta(days=400)).isoformat(),
    }
    response = _put(client, callers, body, "*")
    assert response.status_code == 422
    fields = {item["field"] for item in response.get_json()["errors"]}
    assert fields == {"body.department_id", "body.skill_ids", "body.available_until"}
    assert world.person.profile.completed_at is None


# GET /me/matches


def test_matches_come_best_first_with_reasons_and_sentences(client: FlaskClient, callers: Callers):
    world = callers.world
    complete_profile(db.session, world.person, world.theme_ids, world.skill_ids)
    second = open_placement(db.session, world, title="Second best")
    best = open_placement(db.session, world, title="Best")
    dismissed = open_placement(db.session, world, title="Not for me")
    db.session.commit()
    stored_match(world, world.person, second, rank=2, reasons=stored_reasons(world, 1, 30.0))
    stored_match(world, world.person, best, rank=1)
    stored_match(world, world.person, dismissed, rank=3)
    db.session.add(Dismissal(person_id=world.person.id, placement_id=dismissed.id))
    interest = interest_in(db.session, world, second, InterestStatus.INTERESTED)
    db.session.commit()
    theme = db.session.get(Theme, world.theme_ids[0])

    response = client.get("/api/v1/me/matches", headers=bearer(callers.civil_servant))

    assert response.status_code == 200
    data = response.get_json()
    assert data["page"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1}
    first, other = data["items"]
    assert first["placement"] == {
        "id": best.id,
        "title": "Best",
        "organisation_name": world.org_a.name,
        "kind": "secondment",
        "closing_date": best.closing_date.isoformat(),
    }
    assert first["rank"] == 1 and first["interest"] is None
    assert first["reasons"] == db.session.get(Match, (world.person.id, best.id)).reasons
    assert first["sentences"] == [
        f"Shares your interest in {theme.name}",
        "11 miles from your home",
    ]
    assert first["practice_notes"] == []
    assert other["placement"]["id"] == second.id
    assert other["interest"] == {"id": interest.id, "status": "interested"}


def test_a_match_cites_the_published_practice_notes_linked_to_its_placement(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    linked = open_placement(db.session, world, title="Linked")
    plain = open_placement(db.session, world, title="Plain")
    db.session.commit()
    stored_match(world, world.person, linked, rank=1)
    stored_match(world, world.person, plain, rank=2)
    note = published_note(db.session, world, placement_ids=(linked.id,))
    practice_notes.create_draft(
        db.session,
        world.member_a.id,
        world.org_a.id,
        NoteData(title="Unpublished idea", placement_ids=(linked.id,)),
    )
    db.session.commit()

    response = client.get("/api/v1/me/matches", headers=bearer(callers.civil_servant))

    first, second = response.get_json()["items"]
    assert first["practice_notes"] == [
        {
            "id": note.id,
            "title": "Mobile library hubs",
            "organisation_name": world.org_a.name,
            "sentence": f"Work alongside {world.org_a.name}'s Mobile library hubs",
        }
    ]
    assert second["placement"]["id"] == plain.id and second["practice_notes"] == []


def test_matches_come_a_page_at_a_time(client: FlaskClient, callers: Callers):
    world = callers.world
    for rank in (1, 2, 3):
        stored_match(world, world.person, open_placement(db.session, world), rank=rank)
    headers = bearer(callers.civil_servant)

    page = client.get("/api/v1/me/matches?page=2&per_page=2", headers=headers).get_json()
    beyond = client.get("/api/v1/me/matches?page=9&per_page=2", headers=headers).get_json()

    assert [item["rank"] for item in page["items"]] == [3]
    assert page["page"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}
    assert beyond["items"] == [] and beyond["page"]["total"] == 3


# Interests


def test_expressing_interest_is_201_with_a_location_and_idempotent(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    placement = open_placement(db.session, world)
    db.session.commit()
    headers = bearer(callers.civil_servant)

    created = client.post(INTERESTS, json={"placement_id": placement.id}, headers=headers)
    again = client.post(INTERESTS, json={"placement_id": placement.id}, headers=headers)

    assert created.status_code == again.status_code == 201
    assert created.get_json()["id"] == again.get_json()["id"]
    assert created.get_json()["status"] == "interested"
    assert created.get_json()["allowed_actions"] == ["withdraw"]
    location = created.headers["Location"]
    assert location == f"{INTERESTS}/{created.get_json()['id']}"
    assert client.get(location, headers=headers).get_json() == created.get_json()
    listed = client.get(INTERESTS, headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [created.get_json()["id"]]


def test_interest_in_what_is_not_open_or_not_for_me_is_refused(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    closed = open_placement(db.session, world)
    placement_service.close(db.session, world.member_a.id, closed.id)
    hidden = draft(db.session, world)
    not_for_me = open_placement(db.session, world)
    db.session.add(Dismissal(person_id=world.person.id, placement_id=not_for_me.id))
    db.session.commit()
    headers = bearer(callers.civil_servant)

    def express(placement_id: int) -> int:
        return client.post(INTERESTS, json={"placement_id": placement_id}, headers=headers)

    assert express(not_for_me.id).status_code == 409
    # Closed and draft placements are not there for someone who never showed interest.
    assert express(closed.id).status_code == 404
    assert express(hidden.id).status_code == 404
    assert express(999_999).status_code == 404
    assert client.get(INTERESTS, headers=headers).get_json()["items"] == []


def test_withdraw_accept_and_decline_follow_the_workflow(client: FlaskClient, callers: Callers):
    world = callers.world
    interested = interest_in(
        db.session, world, open_placement(db.session, world), InterestStatus.INTERESTED
    )
    offered = interest_in(
        db.session, world, open_placement(db.session, world), InterestStatus.OFFERED
    )
    declining = interest_in(
        db.session, world, open_placement(db.session, world), InterestStatus.OFFERED
    )
    db.session.commit()
    headers = bearer(callers.civil_servant)

    def act(interest_id: int, action: str):
        return client.post(f"{INTERESTS}/{interest_id}:{action}", headers=headers)

    assert act(interested.id, "accept").status_code == 409
    withdrawn = act(interested.id, "withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["allowed_actions"] == []
    assert act(interested.id, "withdraw").status_code == 409
    listed = client.get(f"{INTERESTS}?status=offered", headers=headers).get_json()["items"]
    assert {item["id"] for item in listed} == {offered.id, declining.id}
    assert set(listed[0]["allowed_actions"]) == {"accept", "decline", "withdraw"}
    assert act(offered.id, "accept").get_json()["status"] == "accepted"
    assert act(declining.id, "decline").get_json()["status"] == "declined"
    assert client.post(f"{INTERESTS}/{offered.id}:shortlist", headers=headers).status_code == 404


def test_another_persons_interest_is_not_found(client: FlaskClient, callers: Callers):
    world = callers.world
    theirs = interest_in(
        db.session, world, open_placement(db.session, world), InterestStatus.OFFERED
    )
    db.session.commit()
    headers = bearer(callers.other_civil_servant)
    assert client.get(f"{INTERESTS}/{theirs.id}", headers=headers).status_code == 404
    for action in ("withdraw", "accept", "decline"):
        response = client.post(f"{INTERESTS}/{theirs.id}:{action}", headers=headers)
        assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == InterestStatus.OFFERED
