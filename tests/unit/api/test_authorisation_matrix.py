"""Every API operation, called by every kind of caller, answers with the expected status.

The rows are keyed by operation id and the request is built from the operation's own rule, so
a new operation fails ``test_every_operation_has_a_row`` until someone decides who may call
it. Each call runs on its own copy of the world, so one role's change cannot decide another's
answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.api import AREAS
from matcher.api.operations import OPERATIONS, Operation
from matcher.extensions import db
from matcher.models import Theme
from tests.api import profile_body
from tests.api_world import ROLES, ApiWorld, call, fixtures, placement_body

for _area in AREAS:
    import_module(_area)

api_world_template, world, http = fixtures(one_app=True)

Body = Callable[[ApiWorld], Any]


@dataclass(frozen=True)
class Row:
    """One request to an operation and the status each role gets, in ``ROLES`` order."""

    expected: tuple[int, int, int, int, int, int]
    # Path parameter -> the ApiWorld attribute holding its value.
    params: dict[str, str] = field(default_factory=dict)
    json: Body | None = None
    csv: Body | None = None
    label: str = ""


EVERYONE = (200, 200, 200, 200, 200, 200)
ANY_TOKEN = (401, 200, 200, 200, 200, 200)
CIVIL_SERVANTS = (401, 200, 403, 403, 403, 403)
MEMBERS = (401, 403, 200, 200, 403, 403)
MEMBERS_CREATE = (401, 403, 201, 201, 403, 403)
# What the caller may not know exists is 404: a draft, to anyone outside its organisation.
MEMBERS_DRAFT = (401, 403, 200, 200, 404, 403)
A = {"organisation_id": "org_a"}
# Running a round: its scheme's managers, here the platform administrator. The participant may
# see the rounds they are in (403); a round they are not in is 404 to them.
MANAGER = (401, 403, 403, 403, 403, 200)
MANAGER_NOT_IN = (401, 404, 403, 403, 403, 200)
MEMBERS_DELETE = (401, 403, 204, 204, 403, 403)


def _profile(world: ApiWorld) -> dict[str, Any]:
    return profile_body(db.session, list(world.theme_ids), list(world.skill_ids))


def _csv(world: ApiWorld) -> str:
    row = placement_body(world)
    theme = db.session.scalar(select(Theme.slug).where(Theme.id == world.theme_ids[0]))
    header = "title,summary,description,kind,themes,grade_min,grade_max,remote,"
    header += "start_date,duration_weeks,hours,closing_date"
    cells = [row["title"], row["summary"], row["description"], row["kind"], theme]
    cells += [row["grade_min"], row["grade_max"], "yes", row["start_date"], "12"]
    cells += [row["hours"], row["closing_date"]]
    return f"{header}\r\n{','.join(cells)}\r\n"


MATRIX: dict[str, tuple[Row, ...]] = {
    # Reference data is public.
    "list_themes": (Row(EVERYONE),),
    "list_skills": (Row(EVERYONE),),
    "list_departments": (Row(EVERYONE),),
    "list_grades": (Row(EVERYONE),),
    "list_professions": (Row(EVERYONE),),
    "list_regions": (Row(EVERYONE),),
    # Open data, suppressed.
    "get_insights": (Row(EVERYONE),),
    "list_practice_notes": (Row(EVERYONE),),
    "list_organisations": (Row(EVERYONE),),
    # The caller's own things.
    "get_me": (Row(ANY_TOKEN),),
    "put_my_profile": (Row(CIVIL_SERVANTS, json=_profile),),
    "list_my_matches": (Row(CIVIL_SERVANTS),),
    "list_my_interests": (Row(CIVIL_SERVANTS),),
    "express_my_interest": (
        Row((401, 201, 403, 403, 403, 403), json=lambda w: {"placement_id": w.open_b}),
    ),
    "get_my_interest": (Row(CIVIL_SERVANTS, {"interest_id": "interested"}),),
    "withdraw_my_interest": (Row(CIVIL_SERVANTS, {"interest_id": "interested"}),),
    "accept_my_offer": (Row(CIVIL_SERVANTS, {"interest_id": "offered"}),),
    "decline_my_offer": (Row(CIVIL_SERVANTS, {"interest_id": "offered"}),),
    # Placements.
    "search_placements": (Row(ANY_TOKEN),),
    "get_placement": (
        Row((401, 404, 200, 200, 404, 200), {"placement_id": "draft_a"}, label="draft"),
        Row(ANY_TOKEN, {"placement_id": "open_a"}, label="open"),
    ),
    "list_organisation_placements": (Row(MEMBERS, A),),
    "create_placement": (Row(MEMBERS_CREATE, A, json=placement_body),),
    "update_placement": (
        Row(MEMBERS, {**A, "placement_id": "draft_a"}, json=lambda w: {"title": "New title"}),
    ),
    "publish_placement": (Row(MEMBERS, {**A, "placement_id": "draft_a"}),),
    "close_placement": (Row(MEMBERS, {**A, "placement_id": "open_a"}),),
    "reopen_placement": (Row(MEMBERS, {**A, "placement_id": "closed_a"}),),
    "fill_placement": (Row(MEMBERS, {**A, "placement_id": "open_a"}),),
    "withdraw_placement": (Row(MEMBERS, {**A, "placement_id": "open_a"}),),
    "import_placements": (Row(MEMBERS_CREATE, A, csv=_csv),),
    # The organisation's side of a placement.
    "list_placement_interests": (
        Row(MEMBERS, {"placement_id": "open_a"}, label="open"),
        Row(MEMBERS_DRAFT, {"placement_id": "draft_a"}, label="draft"),
    ),
    "shortlist_interest": (Row(MEMBERS, {"placement_id": "open_a", "interest_id": "interested"}),),
    "offer_interest": (
        Row(
            MEMBERS,
            {"placement_id": "open_a", "interest_id": "shortlisted"},
            json=lambda w: {"message": "Start on 2 March."},
        ),
    ),
    "reject_interest": (Row(MEMBERS, {"placement_id": "open_a", "interest_id": "interested"}),),
    "list_placement_candidates": (
        Row(MEMBERS, {"placement_id": "open_a"}, label="open"),
        Row(MEMBERS_DRAFT, {"placement_id": "draft_a"}, label="draft"),
    ),
    "invite_candidate": (Row(MEMBERS, {"placement_id": "open_a", "person_id": "candidate"}),),
    # Allocation rounds: anyone in or running a round sees it and its places, and organisations
    # once it is out of draft; choices and results are the participant's own.
    "list_round_places": (Row(ANY_TOKEN, {"round_id": "choosing_round"}),),
    "get_my_choices": (Row(CIVIL_SERVANTS, {"round_id": "choosing_round"}),),
    "put_my_choices": (
        Row(
            CIVIL_SERVANTS,
            {"round_id": "choosing_round"},
            json=lambda w: {"round_place_ids": [w.choosing_round_place]},
        ),
    ),
    "get_my_result": (Row(CIVIL_SERVANTS, {"round_id": "published_round"}),),
    "confirm_my_place": (Row(CIVIL_SERVANTS, {"round_id": "published_round"}),),
    "decline_my_place": (Row(CIVIL_SERVANTS, {"round_id": "published_round"}),),
    "list_rounds": (Row(ANY_TOKEN),),
    "get_round": (
        Row(ANY_TOKEN, {"round_id": "choosing_round"}, label="choosing"),
        Row((401, 404, 404, 404, 404, 200), {"round_id": "draft_round"}, label="draft"),
    ),
    # Running rounds.
    "list_schemes": (Row((401, 200, 403, 403, 403, 200)),),
    "list_scheme_rounds": (Row(MANAGER, {"scheme_id": "scheme"}),),
    "create_round": (
        Row(
            (401, 403, 403, 403, 403, 201),
            {"scheme_id": "scheme"},
            json=lambda w: {"name": "Autumn 2027", "max_choices": 5},
        ),
    ),
    "open_round_for_places": (Row(MANAGER_NOT_IN, {"round_id": "draft_round"}),),
    "open_round_for_choices": (Row(MANAGER_NOT_IN, {"round_id": "places_round"}),),
    "start_allocation": (Row(MANAGER, {"round_id": "choosing_round"}),),
    "publish_round": (Row(MANAGER, {"round_id": "allocated_round"}),),
    "close_round": (Row(MANAGER, {"round_id": "published_round"}),),
    "invite_participants": (
        Row(
            MANAGER,
            {"round_id": "choosing_round"},
            json=lambda w: {"emails": ["new.recruit@cabinetoffice.gov.uk"]},
        ),
    ),
    "list_round_participants": (Row(MANAGER, {"round_id": "choosing_round"}),),
    "get_round_statistics": (Row(MANAGER, {"round_id": "published_round"}),),
    "list_round_results": (Row(MANAGER, {"round_id": "published_round"}),),
    # An organisation's places in rounds: its own members, with a token that acts for it.
    "offer_round_place": (
        Row(
            MEMBERS_CREATE,
            {"round_id": "places_round"},
            json=lambda w: {"placement_id": w.offered_in, "places": 1},
        ),
    ),
    "get_round_place": (Row(MEMBERS, {"round_place_id": "choosing_round_place"}),),
    "change_round_place": (
        Row(MEMBERS, {"round_place_id": "places_round_place"}, json=lambda w: {"places": 1}),
    ),
    "withdraw_round_place": (Row(MEMBERS_DELETE, {"round_place_id": "places_round_place"}),),
    "list_round_place_choosers": (Row(MEMBERS, {"round_place_id": "choosing_round_place"}),),
    "rank_round_place_choosers": (
        Row(
            MEMBERS,
            {"round_place_id": "choosing_round_place"},
            json=lambda w: {"ranks": [{"participant_id": w.choosing_participant, "rank": 1}]},
        ),
    ),
    "use_engine_order": (Row(MEMBERS, {"round_place_id": "choosing_round_place"}),),
    "mark_unacceptable": (
        Row(
            MEMBERS,
            {"round_place_id": "choosing_round_place", "participant_id": "choosing_participant"},
            json=lambda w: {"reason": "The placement needs a driving licence."},
        ),
    ),
    "clear_unacceptable": (
        Row(
            MEMBERS_DELETE,
            {"round_place_id": "choosing_round_place", "participant_id": "choosing_participant"},
        ),
    ),
    "list_incoming_people": (Row(MEMBERS, {**A, "round_id": "published_round"}),),
    "confirm_incoming_person": (
        Row(
            MEMBERS,
            {**A, "round_id": "published_round", "participant_id": "published_participant"},
        ),
    ),
    "decline_incoming_person": (
        Row(
            MEMBERS,
            {**A, "round_id": "published_round", "participant_id": "published_participant"},
        ),
    ),
}

OPERATION_BY_ID = {spec.operation_id: spec for spec in OPERATIONS}
CASES = [
    pytest.param(operation_id, row, role, id=f"{operation_id}-{row.label or 'only'}-{role}")
    for operation_id, rows in MATRIX.items()
    for row in rows
    for role in ROLES
]


def test_every_operation_has_a_row():
    assert len(OPERATION_BY_ID) == len(OPERATIONS), "operation ids must be unique"
    assert sorted(OPERATION_BY_ID) == sorted(MATRIX)


def _path(spec: Operation, row: Row, world: ApiWorld) -> str:
    assert set(spec.path_parameters) == set(row.params), spec.rule
    return re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(getattr(world, row.params[m.group(1)])), spec.rule
    )


@pytest.mark.parametrize(("operation_id", "row", "role"), CASES)
def test_each_caller_gets_the_expected_status(
    http: FlaskClient, world: ApiWorld, operation_id: str, row: Row, role: str
):
    spec = OPERATION_BY_ID[operation_id]
    kwargs: dict[str, Any] = {"headers": {"If-Match": "*"} if spec.if_match else {}}
    if row.json is not None:
        kwargs["json"] = row.json(world)
    if row.csv is not None:
        kwargs.update(data=row.csv(world), content_type="text/csv")

    response = call(http, world, role, spec.method, _path(spec, row, world), **kwargs)

    expected = row.expected[ROLES.index(role)]
    assert response.status_code == expected, response.get_data(as_text=True)
