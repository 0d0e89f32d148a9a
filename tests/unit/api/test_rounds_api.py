"""Allocation rounds through the API: a manager runs a round, an organisation offers and orders
its places and answers who is coming; and who gets 404 or 403 for each object."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.events import ROUND_ALLOCATION_REQUESTED, ROUND_RESULTS_TO_PARTICIPANTS
from matcher.extensions import db
from matcher.models import ConfirmationDecision, OutboxEvent
from matcher.services.accounts import GOVERNMENT_EMAIL_MESSAGE
from matcher.services.allocation_results import answer_as_participant
from tests.api_world import ApiWorld, call, fixtures

api_world_template, world, http = fixtures(one_app=True)

NEW_ROUND = {"name": "Autumn 2027", "max_choices": 2}


def _errors(response: Any) -> dict[str, str]:
    return {error["field"]: error["message"] for error in response.json["errors"]}


def _events(task_name: str, round_id: int) -> int:
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.task_name == task_name))
    return sum(event.payload == {"round_id": round_id} for event in events)


def test_a_manager_creates_a_round_and_moves_it_on_with_the_version_read(
    http: FlaskClient, world: ApiWorld
):
    closes = (datetime.now().astimezone() + timedelta(days=20)).isoformat()
    created = call(
        http,
        world,
        "manager",
        "POST",
        f"/schemes/{world.scheme}/rounds",
        json=NEW_ROUND | {"preferences_close_at": closes},
    )
    assert created.status_code == 201, created.json
    round_id = created.json["id"]
    assert created.headers["Location"].endswith(f"/api/v1/rounds/{round_id}")
    assert (created.json["state"], created.json["next_state"]) == ("draft", "collecting_places")
    step = f"/rounds/{round_id}:open-for-places"

    unread = call(http, world, "manager", "POST", step)
    stale = call(http, world, "manager", "POST", step, headers={"If-Match": '"99"'})
    moved = call(
        http, world, "manager", "POST", step, headers={"If-Match": created.headers["ETag"]}
    )
    again = call(http, world, "manager", "POST", step, headers={"If-Match": moved.headers["ETag"]})

    assert (unread.status_code, stale.status_code, moved.status_code) == (428, 412, 200)
    assert moved.json["state"] == "collecting_places"
    assert again.status_code == 422
    assert _errors(again) == {
        "state": "A round that is collecting places cannot move to collecting places"
    }


def test_a_deadline_needs_its_offset_from_utc(http: FlaskClient, world: ApiWorld):
    naive = (datetime.now() + timedelta(days=20)).replace(microsecond=0).isoformat()
    refused = call(
        http,
        world,
        "manager",
        "POST",
        f"/schemes/{world.scheme}/rounds",
        json=NEW_ROUND | {"preferences_close_at": naive},
    )

    assert refused.status_code == 422
    assert _errors(refused) == {"body.preferences_close_at": "Input should have timezone info"}


def test_inviting_is_all_or_none_and_names_each_bad_address(http: FlaskClient, world: ApiWorld):
    invitations = f"/rounds/{world.choosing_round}/invitations"
    recruit = "new.recruit@cabinetoffice.gov.uk"
    bad = {"emails": [recruit, "someone@example.com", recruit.upper()]}

    refused = call(http, world, "manager", "POST", invitations, json=bad)
    nobody = call(http, world, "manager", "GET", f"/rounds/{world.choosing_round}/participants")
    invited = call(http, world, "manager", "POST", invitations, json={"emails": [recruit]})
    again = call(http, world, "manager", "POST", invitations, json={"emails": [recruit]})
    cohort = call(http, world, "manager", "GET", f"/rounds/{world.choosing_round}/participants")

    assert refused.status_code == 422
    assert _errors(refused) == {
        "body.emails.1": GOVERNMENT_EMAIL_MESSAGE,
        "body.emails.2": "This email address is also on item 0",
    }
    assert nobody.json["page"]["total"] == 1  # the person who joined by link
    assert [person["email"] for person in invited.json["invited"]] == [recruit]
    assert again.json == {"invited": [], "already_in_round": [recruit]}
    assert [p["invited_email"] for p in cohort.json["items"]] == [None, recruit]
    assert cohort.json["items"][1]["joined_at"] is None


def test_allocating_asks_for_the_job_and_publishing_for_the_emails(
    http: FlaskClient, world: ApiWorld
):
    choosing = call(http, world, "manager", "GET", f"/rounds/{world.choosing_round}")
    early = call(http, world, "manager", "GET", f"/rounds/{world.choosing_round}/statistics")
    allocating = call(
        http,
        world,
        "manager",
        "POST",
        f"/rounds/{world.choosing_round}:allocate",
        headers={"If-Match": choosing.headers["ETag"]},
    )
    allocated = call(http, world, "manager", "GET", f"/rounds/{world.allocated_round}")
    published = call(
        http,
        world,
        "manager",
        "POST",
        f"/rounds/{world.allocated_round}:publish",
        headers={"If-Match": allocated.headers["ETag"]},
    )

    assert early.status_code == 422
    assert _errors(early) == {"state": "The round has not been allocated yet"}
    assert (allocating.json["state"], allocating.json["allocated_at"]) == ("allocating", None)
    assert _events(ROUND_ALLOCATION_REQUESTED, world.choosing_round) == 1
    assert published.json["state"] == "published"
    assert _events(ROUND_RESULTS_TO_PARTICIPANTS, world.allocated_round) == 1


def test_a_manager_reads_the_figures_and_every_result(http: FlaskClient, world: ApiWorld):
    statistics = call(http, world, "manager", "GET", f"/rounds/{world.allocated_round}/statistics")
    results = call(http, world, "manager", "GET", f"/rounds/{world.allocated_round}/results")

    assert statistics.json | {"unfilled_by_region": [], "unfilled_by_kind": []} == {
        "participants": 1,
        "placed": 1,
        "first_choice": 1,
        "top_three": 1,
        "unplaced": 0,
        "places_offered": 1,
        "unfilled_by_region": [],
        "unfilled_by_kind": [],
    }
    assert results.json["page"] == {"page": 1, "per_page": 20, "total": 1, "pages": 1}
    [result] = results.json["items"]
    assert result["placement_title"] == "Open with organisation A"
    assert result["choice_number"] == 1
    assert (result["participant_answer"], result["organisation_answer"]) == (None, None)


def test_an_organisation_offers_a_place_changes_it_and_withdraws_it(
    http: FlaskClient, world: ApiWorld
):
    offer = {"placement_id": world.offered_in, "places": 1}
    offered = call(
        http, world, "member", "POST", f"/rounds/{world.places_round}/places", json=offer
    )
    twice = call(http, world, "member", "POST", f"/rounds/{world.places_round}/places", json=offer)
    place = f"/round-places/{offered.json['id']}"
    version = {"If-Match": offered.headers["ETag"]}
    too_many = call(http, world, "member", "PATCH", place, json={"places": 5}, headers=version)
    changed = call(http, world, "member", "PATCH", place, json={"places": 1}, headers=version)
    withdrawn = call(http, world, "org_admin", "DELETE", place)
    gone = call(http, world, "member", "GET", place)

    assert offered.status_code == 201
    assert offered.headers["Location"].endswith(f"/api/v1{place}")
    assert offered.json["placement_title"] == "Second open placement of A"
    assert _errors(twice) == {
        "body.placement_id": "This placement is already offered into the round"
    }
    assert _errors(too_many) == {
        "body.places": "The placement can take between 1 and 1 of the cohort"
    }
    assert changed.status_code == 200
    assert (withdrawn.status_code, gone.status_code) == (204, 404)


def test_an_organisation_ranks_who_chose_its_place_or_leaves_it_to_the_scores(
    http: FlaskClient, world: ApiWorld
):
    place = f"/round-places/{world.choosing_round_place}"
    read = call(http, world, "member", "GET", place)
    rank = {"ranks": [{"participant_id": world.choosing_participant, "rank": 1}]}
    stranger = {"ranks": [{"participant_id": world.published_participant, "rank": 1}]}
    version = {"If-Match": read.headers["ETag"]}

    refused = call(http, world, "member", "PUT", place + "/ranking", json=stranger, headers=version)
    huge = {"ranks": [{"participant_id": world.choosing_participant, "rank": 2**31}]}
    unstorable = call(http, world, "member", "PUT", place + "/ranking", json=huge, headers=version)
    ranked = call(http, world, "member", "PUT", place + "/ranking", json=rank, headers=version)
    choosers = call(http, world, "member", "GET", place + "/choosers")
    reused = call(http, world, "member", "POST", place + ":use-engine-order", headers=version)
    scored = call(
        http,
        world,
        "member",
        "POST",
        place + ":use-engine-order",
        headers={"If-Match": ranked.headers["ETag"]},
    )

    assert _errors(refused) == {"body.ranks": "Rank only participants who chose this place"}
    assert list(_errors(unstorable)) == ["body.ranks.0.rank"]
    assert ranked.json["ranking_mode"] == "own_order"
    [chooser] = choosers.json["items"]
    assert (chooser["participant_id"], chooser["choice_rank"], chooser["own_rank"]) == (
        world.choosing_participant,
        1,
        1,
    )
    assert reused.status_code == 412
    assert scored.json["ranking_mode"] == "engine_score"


def test_an_organisation_marks_someone_unacceptable_and_takes_it_back(
    http: FlaskClient, world: ApiWorld
):
    mark = f"/round-places/{world.choosing_round_place}/unacceptable/{world.choosing_participant}"
    not_chosen = (
        f"/round-places/{world.choosing_round_place}/unacceptable/{world.published_participant}"
    )
    reason = "The placement needs a full driving licence"

    blank = call(http, world, "member", "PUT", mark, json={"reason": "  "})
    marked = call(http, world, "member", "PUT", mark, json={"reason": reason})
    cleared = call(http, world, "member", "DELETE", mark)
    after = call(
        http, world, "member", "GET", f"/round-places/{world.choosing_round_place}/choosers"
    )
    stranger = call(http, world, "member", "PUT", not_chosen, json={"reason": reason})

    assert _errors(blank) == {"body.reason": "Enter why the participant is unacceptable"}
    assert marked.json["unacceptable_reason"] == reason
    assert cleared.status_code == 204
    assert after.json["items"][0]["unacceptable_reason"] is None
    assert stranger.status_code == 404


def test_who_is_coming_shows_an_address_once_both_sides_confirmed(
    http: FlaskClient, world: ApiWorld
):
    incoming = f"/organisations/{world.org_a}/rounds/{world.published_round}/incoming"
    before = call(http, world, "member", "GET", incoming)
    confirmed = call(
        http, world, "member", "POST", f"{incoming}/{world.published_participant}:confirm"
    )
    twice = call(http, world, "member", "POST", f"{incoming}/{world.published_participant}:decline")
    answer_as_participant(
        db.session, world.person, world.published_round, ConfirmationDecision.CONFIRMED
    )
    db.session.commit()
    agreed = call(http, world, "member", "GET", incoming)

    [person] = before.json["items"]
    assert (person["participant_id"], person["email"]) == (world.published_participant, None)
    assert (confirmed.json["organisation_answer"], confirmed.json["email"]) == ("confirmed", None)
    assert _errors(twice) == {"decision": "This place has already been confirmed"}
    assert agreed.json["items"][0]["email"].endswith(".gov.uk")
    assert agreed.json["items"][0]["participant_answer"] == "confirmed"


def test_a_participant_takes_their_place_once_and_the_organisation_sees_it(
    http: FlaskClient, world: ApiWorld
):
    result = f"/rounds/{world.published_round}/result"
    before = call(http, world, "civil_servant", "GET", result)
    taken = call(http, world, "civil_servant", "POST", result + ":confirm")
    twice = call(http, world, "civil_servant", "POST", result + ":decline")
    incoming = f"/organisations/{world.org_a}/rounds/{world.published_round}/incoming"
    seen = call(http, world, "member", "GET", incoming)

    assert before.json["your_answer"] is None
    assert (taken.status_code, taken.json["your_answer"]) == (200, "confirmed")
    assert twice.status_code == 422
    assert _errors(twice) == {"decision": "This place has already been confirmed"}
    assert seen.json["items"][0]["participant_answer"] == "confirmed"


# Who may touch what: a manager of the rounds' scheme, a manager of another scheme, the
# participant (in the choosing, allocated and published rounds only) and organisation B.
CALLERS = ("manager", "other_manager", "civil_servant", "other_org")
Path = Callable[[ApiWorld], str]
Body = Callable[[ApiWorld], Any] | None
ROLE_REFUSED = (403, 403, 403)
CASES: list[tuple[str, str, Path, Body, tuple[int, int, int, int]]] = [
    ("scheme's rounds", "GET", lambda w: f"/schemes/{w.scheme}/rounds", None, (200, 403, 403, 403)),
    (
        "another scheme's rounds",
        "GET",
        lambda w: f"/schemes/{w.other_scheme}/rounds",
        None,
        (403, 200, 403, 403),
    ),
    (
        "new round",
        "POST",
        lambda w: f"/schemes/{w.scheme}/rounds",
        lambda w: NEW_ROUND,
        (201, 403, 403, 403),
    ),
    ("round", "GET", lambda w: f"/rounds/{w.choosing_round}", None, (200, 404, 200, 200)),
    ("draft round", "GET", lambda w: f"/rounds/{w.draft_round}", None, (200, 404, 404, 404)),
    (
        "round's places",
        "GET",
        lambda w: f"/rounds/{w.choosing_round}/places",
        None,
        (200, 404, 200, 200),
    ),
    (
        "draft round's step",
        "POST",
        lambda w: f"/rounds/{w.draft_round}:open-for-places",
        None,
        (200, 404, 404, 403),
    ),
    (
        "round's step",
        "POST",
        lambda w: f"/rounds/{w.choosing_round}:allocate",
        None,
        (200, 404, 403, 403),
    ),
    (
        "invitations",
        "POST",
        lambda w: f"/rounds/{w.choosing_round}/invitations",
        lambda w: {"emails": ["new.recruit@cabinetoffice.gov.uk"]},
        (200, 404, 403, 403),
    ),
    (
        "cohort",
        "GET",
        lambda w: f"/rounds/{w.choosing_round}/participants",
        None,
        (200, 404, 403, 403),
    ),
    (
        "statistics",
        "GET",
        lambda w: f"/rounds/{w.published_round}/statistics",
        None,
        (200, 404, 403, 403),
    ),
    (
        "results",
        "GET",
        lambda w: f"/rounds/{w.published_round}/results",
        None,
        (200, 404, 403, 403),
    ),
    (
        "organisation A's placement offered",
        "POST",
        lambda w: f"/rounds/{w.places_round}/places",
        lambda w: {"placement_id": w.offered_in, "places": 1},
        (*ROLE_REFUSED, 403),
    ),
    (
        "organisation A's draft offered",
        "POST",
        lambda w: f"/rounds/{w.places_round}/places",
        lambda w: {"placement_id": w.draft_a, "places": 1},
        (*ROLE_REFUSED, 404),
    ),
    (
        "organisation B's own placement offered",
        "POST",
        lambda w: f"/rounds/{w.places_round}/places",
        lambda w: {"placement_id": w.open_b, "places": 1},
        (*ROLE_REFUSED, 201),
    ),
    (
        "place",
        "GET",
        lambda w: f"/round-places/{w.choosing_round_place}",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "place's size",
        "PATCH",
        lambda w: f"/round-places/{w.places_round_place}",
        lambda w: {"places": 1},
        (*ROLE_REFUSED, 403),
    ),
    (
        "place withdrawn",
        "DELETE",
        lambda w: f"/round-places/{w.places_round_place}",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "place's choosers",
        "GET",
        lambda w: f"/round-places/{w.choosing_round_place}/choosers",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "place's ranking",
        "PUT",
        lambda w: f"/round-places/{w.choosing_round_place}/ranking",
        lambda w: {"ranks": []},
        (*ROLE_REFUSED, 403),
    ),
    (
        "place's order of scores",
        "POST",
        lambda w: f"/round-places/{w.choosing_round_place}:use-engine-order",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "participant marked",
        "PUT",
        lambda w: f"/round-places/{w.choosing_round_place}/unacceptable/{w.choosing_participant}",
        lambda w: {"reason": "No licence"},
        (*ROLE_REFUSED, 403),
    ),
    (
        "participant's mark cleared",
        "DELETE",
        lambda w: f"/round-places/{w.choosing_round_place}/unacceptable/{w.choosing_participant}",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "organisation A's incoming",
        "GET",
        lambda w: f"/organisations/{w.org_a}/rounds/{w.published_round}/incoming",
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "organisation B's incoming",
        "GET",
        lambda w: f"/organisations/{w.org_b}/rounds/{w.published_round}/incoming",
        None,
        (*ROLE_REFUSED, 200),
    ),
    (
        "organisation A's person confirmed",
        "POST",
        lambda w: (
            f"/organisations/{w.org_a}/rounds/{w.published_round}/incoming/"
            f"{w.published_participant}:confirm"
        ),
        None,
        (*ROLE_REFUSED, 403),
    ),
    (
        "organisation A's person confirmed as B's",
        "POST",
        lambda w: (
            f"/organisations/{w.org_b}/rounds/{w.published_round}/incoming/"
            f"{w.published_participant}:confirm"
        ),
        None,
        (*ROLE_REFUSED, 404),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected", "caller"),
    [
        pytest.param(method, path, body, expected[index], caller, id=f"{label}-{caller}")
        for label, method, path, body, expected in CASES
        for index, caller in enumerate(CALLERS)
    ],
)
def test_each_object_answers_404_or_403_to_those_who_may_not_touch_it(
    http: FlaskClient,
    world: ApiWorld,
    method: str,
    path: Path,
    body: Body,
    expected: int,
    caller: str,
):
    response = call(
        http,
        world,
        caller,
        method,
        path(world),
        json=body(world) if body else None,
        headers={"If-Match": "*"},
    )

    assert response.status_code == expected, response.get_data(as_text=True)


def test_a_manager_lists_only_the_schemes_they_run(http: FlaskClient, world: ApiWorld):
    mine = call(http, world, "manager", "GET", "/schemes")
    theirs = call(http, world, "other_manager", "GET", "/schemes")
    everyone = call(http, world, "platform_admin", "GET", "/schemes")

    assert [scheme["id"] for scheme in mine.json["items"]] == [world.scheme]
    assert [scheme["id"] for scheme in theirs.json["items"]] == [world.other_scheme]
    assert {scheme["id"] for scheme in everyone.json["items"]} == {world.scheme, world.other_scheme}
