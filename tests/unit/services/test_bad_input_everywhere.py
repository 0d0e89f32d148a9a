"""One table of bad placement and profile answers, sent through every way in.

A placement arrives through the web form, the JSON API, a CSV import and a JSON Lines import;
a profile through the web's question pages, the JSON API and a JSON Lines import. Each way
must give the same verdict in the same words, beside the field the answer was given in, and
save nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Department,
    Organisation,
    Placement,
    Profession,
    Skill,
    Theme,
    User,
    utcnow,
)
from matcher.security.passwords import hash_password
from matcher.services.text import hidden_characters_message
from tests.api import profile_body
from tests.api_world import ApiWorld, call, fixtures
from tests.conftest import TODAY
from tests.web import PASSWORD, error_summary, inline_errors, sign_in, submit

api_world_template, world, http = fixtures()

CLOSING = TODAY + timedelta(days=40)


def _good() -> dict[str, Any]:
    """A placement that passes, in the imports' field names; themes by index into the list."""
    return {
        "title": "Community safety partnership analyst",
        "summary": "Map where anti-social behaviour and housing need meet.",
        "description": "Work with the council's housing team and the police.",
        "kind": "secondment",
        "themes": [0],
        "grade_min": "EO",
        "grade_max": "G7",
        "remote": False,
        "postcode": "LS1 1UR",
        "start_date": TODAY + timedelta(days=100),
        "duration_weeks": 26,
        "hours": "full_time",
        "capacity": 1,
        "closing_date": CLOSING,
    }


# (what is wrong, changes to the good placement, the field at fault, the words every way says)
# Theme index 12 is retired by the fixture; the reference data has more than 12 themes.
BAD_PLACEMENTS = [
    ("no title", {"title": ""}, "title", "Enter a title"),
    ("long title", {"title": "x" * 151}, "title", "Title must be 150 characters or fewer"),
    ("hidden character", {"title": "Safety \u202eanalyst"}, "title", None),
    ("no summary", {"summary": ""}, "summary", "Enter a summary"),
    ("long summary", {"summary": "x" * 301}, "summary", "Summary must be 300 characters or fewer"),
    ("no themes", {"themes": []}, "themes", "Select at least one policy theme"),
    ("too many themes", {"themes": list(range(11))}, "themes", "Select 10 themes or fewer"),
    ("retired theme", {"themes": [12]}, "themes", "Select themes from the list"),
    (
        "grades reversed",
        {"grade_min": "G7", "grade_max": "EO"},
        "grade_min",
        "Minimum grade must be the same as or lower than maximum grade",
    ),
    (
        "nowhere",
        {"postcode": ""},
        "postcode",
        "Enter a postcode, or say the placement can be done remotely",
    ),
    (
        "not a postcode",
        {"postcode": "not a postcode"},
        "postcode",
        "Enter a real UK postcode, like SW1A 2AA",
    ),
    (
        "closing today",
        {"closing_date": TODAY},
        "closing_date",
        "Closing date must be in the future",
    ),
    (
        "starts first",
        {"start_date": CLOSING - timedelta(days=1)},
        "start_date",
        "Start date must be after the closing date",
    ),
    (
        "no weeks",
        {"duration_weeks": 0},
        "duration_weeks",
        "Duration must be between 1 and 260 weeks",
    ),
    (
        "too many weeks",
        {"duration_weeks": 261},
        "duration_weeks",
        "Duration must be between 1 and 260 weeks",
    ),
    ("nobody", {"capacity": 0}, "capacity", "Capacity must be between 1 and 100"),
    ("a crowd", {"capacity": 101}, "capacity", "Capacity must be between 1 and 100"),
]
# The web form and the API name three fields as the placement service does.
SERVICE_NAME = {"themes": "theme_ids", "postcode": "location_postcode", "remote": "remote_possible"}


@pytest.fixture
def setting(http: FlaskClient, world: ApiWorld) -> dict[str, Any]:
    """Theme slugs and ids in a fixed order, the thirteenth retired; the member and the
    civil servant can sign in."""
    themes = list(db.session.scalars(select(Theme).order_by(Theme.id).limit(13)))
    themes[12].active = False
    member = db.session.get(User, world.member_a)
    assert member is not None
    person = db.session.get(User, world.person)
    assert person is not None
    for user in (member, person):
        user.password_hash = hash_password(PASSWORD)
        user.email_confirmed_at = utcnow()
    organisation = db.session.get(Organisation, world.org_a)
    assert organisation is not None
    db.session.commit()
    return {
        "theme_ids": [theme.id for theme in themes],
        "theme_slugs": [theme.slug for theme in themes],
        "organisation": organisation.name,
        "member_email": member.email,
        "person_email": person.email,
    }


def _placements() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Placement)) or 0


def _web(http: FlaskClient, setting: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """The page's errors by field id, after checking the summary says the same."""
    form: dict[str, Any] = {
        "title": values["title"],
        "summary": values["summary"],
        "description": values["description"],
        "kind": values["kind"],
        "theme_ids": [str(setting["theme_ids"][index]) for index in values["themes"]],
        "grade_min": values["grade_min"],
        "grade_max": values["grade_max"],
        "location_postcode": values["postcode"],
        "duration_weeks": str(values["duration_weeks"]),
        "hours": values["hours"],
        "capacity": str(values["capacity"]),
    }
    if values["remote"]:
        form["remote_possible"] = "y"
    for name in ("closing_date", "start_date"):
        day: date = values[name]
        form.update({f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year})
    assert sign_in(http, setting["member_email"]).status_code == 302
    response = submit(http, "/organisation/placements/new", form)
    if response.status_code == 302:
        return {}
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_summary(html) == inline_errors(html)
    return {
        name: message for name, message in zip(_error_ids(html), inline_errors(html), strict=True)
    }


def _error_ids(html: str) -> list[str]:
    return re.findall(r'<p id="([^"]*)-error" class="govuk-error-message">', html)


def _api(http: FlaskClient, world: ApiWorld, setting: dict[str, Any], values: dict[str, Any]):
    body = {
        **{SERVICE_NAME.get(name, name): value for name, value in values.items()},
        "theme_ids": [setting["theme_ids"][index] for index in values["themes"]],
        "location_postcode": values["postcode"] or None,
        "start_date": values["start_date"].isoformat(),
        "closing_date": values["closing_date"].isoformat(),
    }
    response = call(
        http, world, "member", "POST", f"/organisations/{world.org_a}/placements", json=body
    )
    if response.status_code == 201:
        return {}
    assert response.status_code == 422, response.json
    return {error["field"]: error["message"] for error in response.json["errors"]}


def _import_values(setting: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        **values,
        "themes": [setting["theme_slugs"][index] for index in values["themes"]],
        "start_date": values["start_date"].isoformat(),
        "closing_date": values["closing_date"].isoformat(),
    }


def _csv(http: FlaskClient, world: ApiWorld, setting: dict[str, Any], values: dict[str, Any]):
    row = _import_values(setting, values)
    row["themes"] = ";".join(row["themes"])
    row["remote"] = "yes" if row["remote"] else "no"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(row)
    response = call(
        http,
        world,
        "member",
        "POST",
        f"/organisations/{world.org_a}/placements:import",
        data=out.getvalue(),
        content_type="text/csv",
    )
    if response.status_code == 201:
        return {}
    assert response.status_code == 422, response.json
    return {error["field"]: error["message"] for error in response.json["errors"]}


def _json_lines(http: FlaskClient, setting: dict[str, Any], values: dict[str, Any], tmp: Path):
    line = {
        "type": "placement",
        "organisation": setting["organisation"],
        "status": "draft",
        **_import_values(setting, values),
    }
    path = tmp / "placement.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return _cli_errors(http.application, path)


def _cli_errors(app: Flask, path: Path) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["data", "import", str(path)])
    if result.exit_code == 0:
        return {}
    assert result.exit_code == 1, result.output
    errors = {}
    for line in result.output.splitlines():
        if line.startswith("line 1: "):
            name, _, text = line.removeprefix("line 1: ").partition(": ")
            errors[name] = text
    return errors


def test_a_good_placement_is_taken_every_way(
    http: FlaskClient, world: ApiWorld, setting: dict[str, Any], tmp_path: Path
):
    before = _placements()

    assert _web(http, setting, _good()) == {}
    assert _api(http, world, setting, _good()) == {}
    assert _csv(http, world, setting, _good()) == {}
    assert _json_lines(http, setting, _good(), tmp_path) == {}
    # The web form keeps the answers for its check page; the other three save a draft each.
    assert _placements() == before + 3


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [case[1:] for case in BAD_PLACEMENTS],
    ids=[case[0] for case in BAD_PLACEMENTS],
)
def test_a_bad_placement_gets_the_same_words_every_way(
    http: FlaskClient,
    world: ApiWorld,
    setting: dict[str, Any],
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
    words: str | None,
):
    words = words or hidden_characters_message("Title")
    values = {**_good(), **changes}
    before = _placements()

    service_field = SERVICE_NAME.get(field, field)
    assert _web(http, setting, values) == {service_field: words}
    assert _api(http, world, setting, values) == {f"body.{service_field}": words}
    assert _csv(http, world, setting, values) == {f"rows.2.{field}": words}
    assert _json_lines(http, setting, values, tmp_path) == {field: words}
    assert _placements() == before


# Profiles: the web's question pages, PUT /me/profile and a JSON Lines person.

AVAILABLE_FROM = TODAY + timedelta(days=30)
# (what is wrong, changes to a good profile, the field at fault, its question page, the words)
BAD_PROFILES = [
    (
        "retired theme",
        {"themes": [12]},
        "themes",
        "themes",
        "Select the policy themes that interest you",
    ),
    (
        "long about",
        {"about": "x" * 1001},
        "about",
        "about",
        "About you must be 1,000 characters or fewer",
    ),
    (
        "hidden character",
        {"about": "Escape\x1b[31m"},
        "about",
        "about",
        hidden_characters_message("About you", multiline=True),
    ),
    (
        "until before from",
        {"available_until": AVAILABLE_FROM - timedelta(days=1)},
        "available_until",
        "availability",
        "The date you are available until must be the same as or after the date you are "
        "available from",
    ),
    (
        "until passed",
        {"available_from": TODAY - timedelta(days=9), "available_until": TODAY - timedelta(days=1)},
        "available_until",
        "availability",
        "The date you are available until must be today or in the future",
    ),
]


def _good_profile() -> dict[str, Any]:
    return {
        "themes": [0],
        "about": "Housing policy.",
        "available_from": AVAILABLE_FROM,
        "available_until": None,
    }


def _web_question(
    http: FlaskClient, setting: dict[str, Any], step: str, values: dict[str, Any]
) -> dict[str, str]:
    if step == "themes":
        form: dict[str, Any] = {
            "theme_ids": [str(setting["theme_ids"][i]) for i in values["themes"]]
        }
    elif step == "about":
        form = {"about": values["about"]}
    else:
        form = {}
        for name in ("available_from", "available_until"):
            day: date = values[name]
            form.update(
                {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}
            )
    assert sign_in(http, setting["person_email"]).status_code == 302
    response = submit(http, f"/profile/{step}", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_summary(html) == inline_errors(html)
    return dict(zip(_error_ids(html), inline_errors(html), strict=True))


def _api_profile(
    http: FlaskClient, world: ApiWorld, setting: dict[str, Any], values: dict[str, Any]
) -> dict[str, str]:
    body = profile_body(db.session, list(world.theme_ids), list(world.skill_ids)) | {
        "theme_ids": [setting["theme_ids"][i] for i in values["themes"]],
        "about": values["about"],
        "available_from": values["available_from"].isoformat(),
        "available_until": values["available_until"] and values["available_until"].isoformat(),
    }
    response = call(
        http, world, "civil_servant", "PUT", "/me/profile", json=body, headers={"If-Match": "*"}
    )
    assert response.status_code == 422, response.json
    return {error["field"]: error["message"] for error in response.json["errors"]}


def _json_lines_person(
    http: FlaskClient, world: ApiWorld, setting: dict[str, Any], values: dict[str, Any], tmp: Path
) -> dict[str, str]:
    body = profile_body(db.session, list(world.theme_ids), list(world.skill_ids))
    line = {
        "type": "person",
        "email": "ada.imported@cabinetoffice.gov.uk",
        "name": "Ada Imported",
        "department": db.session.get(Department, body["department_id"]).name,
        "grade": "HEO",
        "profession": db.session.get(Profession, body["profession_id"]).name,
        "themes": [setting["theme_slugs"][i] for i in values["themes"]],
        "skills": [db.session.get(Skill, world.skill_ids[0]).slug],
        "region": body["region_code"],
        "wanted_kinds": ["secondment"],
        "about": values["about"],
        "available_from": values["available_from"].isoformat(),
        "available_until": values["available_until"] and values["available_until"].isoformat(),
    }
    path = tmp / "person.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return _cli_errors(http.application, path)


@pytest.mark.parametrize(
    ("changes", "field", "step", "words"),
    [case[1:] for case in BAD_PROFILES],
    ids=[case[0] for case in BAD_PROFILES],
)
def test_a_bad_profile_gets_the_same_words_every_way(
    http: FlaskClient,
    world: ApiWorld,
    setting: dict[str, Any],
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
    step: str,
    words: str,
):
    values = {**_good_profile(), **changes}
    service_field = SERVICE_NAME.get(field, field)

    assert _web_question(http, setting, step, values) == {service_field: words}
    assert _api_profile(http, world, setting, values) == {f"body.{service_field}": words}
    assert _json_lines_person(http, world, setting, values, tmp_path) == {field: words}
    db.session.rollback()
    assert db.session.scalar(select(User.id).where(User.email.startswith("ada.imported"))) is None
