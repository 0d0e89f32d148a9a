"""The profile question pages, check your answers, saving and editing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.clock import london_today
from matcher.events import PERSON_CHANGED
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    CivilServantProfile,
    Department,
    FormDraft,
    Grade,
    OutboxEvent,
    Profession,
    Region,
    Role,
    Skill,
    Theme,
)
from tests.web import confirmed_user, error_summary, inline_errors, sign_in, submit


def valid_answers() -> dict[str, dict[str, Any]]:
    """A valid answer for every question page, by page."""
    department = db.session.scalar(select(Department.id).order_by(Department.name))
    grade = db.session.scalar(select(Grade.rank).where(Grade.code == "HEO"))
    profession = db.session.scalar(select(Profession.id).order_by(Profession.name))
    themes = db.session.scalars(select(Theme.id).order_by(Theme.id).limit(2)).all()
    skills = db.session.scalars(select(Skill.id).order_by(Skill.id).limit(3)).all()
    return {
        "department": {"department_id": str(department)},
        "grade": {"grade_rank": str(grade)},
        "profession": {"profession_id": str(profession)},
        "themes": {"theme_ids": [str(t) for t in themes]},
        "skills": {"skill_ids": [str(s) for s in skills]},
        "location": {"postcode": "sw1a 2aa", "region_code": ""},
        "travel": {"travel_limit_miles": "25", "remote_ok": "yes"},
        "availability": {
            "available_from-day": "1",
            "available_from-month": "3",
            "available_from-year": "2027",
            "available_until-day": "",
            "available_until-month": "",
            "available_until-year": "",
        },
        "placements": {"wanted_kinds": ["secondment", "job_shadowing"], "hours": "part_time"},
        "about": {"about": "I write housing policy and want to see delivery up close."},
        "discoverable": {"discoverable": "yes"},
        "emails": {"digest_frequency": "weekly"},
    }


@pytest.fixture
def recruit(site: Flask) -> FlaskClient:
    """A signed-in civil servant's browser."""
    client = site.test_client()
    sign_in(client, confirmed_user().email)
    return client


def _answer_all(client: FlaskClient, answers: dict[str, dict[str, Any]]) -> None:
    for step, data in answers.items():
        response = submit(client, f"/profile/{step}", data)
        assert response.status_code == 302, (step, error_summary(response.get_data(as_text=True)))


def test_a_recruit_answers_each_question_checks_and_saves(recruit: FlaskClient):
    answers = valid_answers()
    first = recruit.get("/profile").get_data(as_text=True)
    assert "Start" in first

    for step, data in answers.items():
        response = submit(recruit, f"/profile/{step}", data)
        assert response.status_code == 302
    assert response.headers["Location"] == "/profile/check"
    check = recruit.get("/profile/check").get_data(as_text=True)
    assert "SW1A 2AA" in check
    assert "1 March 2027" in check
    assert "Up to 25 miles" in check
    assert db.session.scalar(select(func.count()).select_from(CivilServantProfile)) == 0

    saved = submit(recruit, "/profile/check", {})

    assert saved.headers["Location"] == "/profile/saved"
    profile = db.session.scalar(select(CivilServantProfile))
    assert profile.home_postcode == "SW1A 2AA"
    assert profile.local_authority_code == "E09000033"
    assert profile.region_code == "E12000007"
    assert profile.easting is not None
    # Asked in miles, stored in kilometres.
    assert profile.travel_limit_km == 40
    assert profile.remote_ok is True
    assert str(profile.available_from) == "2027-03-01"
    assert profile.available_until is None
    assert sorted(k.kind.value for k in profile.wanted_kinds) == ["job_shadowing", "secondment"]
    assert len(profile.themes) == 2
    assert len(profile.skills) == 3
    assert profile.discoverable is True
    assert profile.completed_at is not None
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.task_name == PERSON_CHANGED))
    assert event.payload == {"person_id": profile.user_id}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "profile.created"))
    assert entry.object_id == str(profile.user_id)
    assert "SW1A" not in str(entry.details)
    summary = recruit.get("/profile").get_data(as_text=True)
    assert "Check your answers" not in summary
    assert "SW1A 2AA" in summary
    assert "/profile/grade?edit=saved" in summary


def test_a_start_date_already_past_is_taken_as_now_and_the_check_page_says_so(
    recruit: FlaskClient,
):
    answers = valid_answers()
    answers["availability"].update(
        {"available_from-day": "1", "available_from-month": "1", "available_from-year": "2020"}
    )
    _answer_all(recruit, answers)

    check = recruit.get("/profile/check").get_data(as_text=True)
    assert "From now (1 January 2020 has passed, so we will save today)" in check

    assert submit(recruit, "/profile/check", {}).status_code == 302
    profile = db.session.scalar(select(CivilServantProfile))
    assert profile.available_from == london_today()
    assert "From now, with no end date" in recruit.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize(
    ("step", "changes", "message"),
    [
        ("department", {"department_id": ""}, "Select your department"),
        ("department", {"department_id": "99999"}, "Select your department"),
        ("grade", {"grade_rank": ""}, "Select your grade"),
        ("grade", {"grade_rank": "banana"}, "Select your grade"),
        ("profession", {"profession_id": ""}, "Select your profession"),
        ("themes", {"theme_ids": []}, "Select the policy themes that interest you"),
        ("themes", {"theme_ids": ["99999"]}, "Select the policy themes that interest you"),
        ("skills", {"skill_ids": []}, "Select your skills"),
        ("location", {"postcode": ""}, "Enter your home postcode or select your region"),
        ("location", {"postcode": "not a postcode"}, "Enter a real UK postcode, like SW1A 2AA"),
        ("location", {"postcode": "SW1A 9ZZ"}, "We could not find the postcode SW1A 9ZZ"),
        ("location", {"postcode": "", "region_code": "E99999999"}, "Select your region"),
        ("travel", {"travel_limit_miles": ""}, "Enter how far you could travel, in miles"),
        (
            "travel",
            {"travel_limit_miles": "forty"},
            "How far you could travel must be a whole number of miles",
        ),
        (
            "travel",
            {"travel_limit_miles": "622"},
            "How far you could travel must be between 0 and 621 miles",
        ),
        ("travel", {"travel_limit_miles": "-1"}, "How far you could travel must be between 0"),
        ("travel", {"remote_ok": ""}, "Select yes if remote work would suit you"),
        (
            "availability",
            {"available_from-day": "", "available_from-month": "", "available_from-year": ""},
            "Enter the date you are available from",
        ),
        (
            "availability",
            {"available_from-month": ""},
            "The date you are available from must include a month",
        ),
        (
            "availability",
            {"available_from-day": "31", "available_from-month": "2"},
            "The date you are available from must be a real date",
        ),
        (
            "availability",
            {
                "available_until-day": "1",
                "available_until-month": "1",
                "available_until-year": "2027",
            },
            "The date you are available until must be the same as or after",
        ),
        ("placements", {"wanted_kinds": []}, "Select the kinds of placement you want"),
        ("placements", {"wanted_kinds": ["astronaut"]}, "Select the kinds of placement you want"),
        ("placements", {"hours": "always"}, "Select the hours you could work"),
        ("about", {"about": "x" * 1001}, "About you must be 1,000 characters or fewer"),
        ("discoverable", {"discoverable": ""}, "Select yes if organisations can find your"),
        ("emails", {"digest_frequency": "hourly"}, "Select how often we should email you"),
    ],
)
def test_each_question_refuses_bad_answers(
    recruit: FlaskClient, step: str, changes: dict[str, Any], message: str
):
    data = {**valid_answers()[step], **changes}

    response = recruit.post(
        f"/profile/{step}",
        data={**data, "csrf_token": _token(recruit, step)},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: " in html
    assert error_summary(html)[0].startswith(message)
    assert inline_errors(html)[0].startswith(message)
    draft = db.session.scalar(select(FormDraft.answers)) or {}
    assert not any(key in draft for key in changes if not key.endswith(("-day", "-month")))
    assert db.session.scalar(select(func.count()).select_from(CivilServantProfile)) == 0


def _token(client: FlaskClient, step: str) -> str:
    from tests.web import csrf_token

    return csrf_token(client.get(f"/profile/{step}").get_data(as_text=True))


def test_a_region_can_stand_in_for_a_postcode(recruit: FlaskClient):
    answers = valid_answers()
    region = db.session.scalar(select(Region.code).where(Region.name == "North West"))
    answers["location"] = {"postcode": "", "region_code": region}
    _answer_all(recruit, answers)

    submit(recruit, "/profile/check", {})

    profile = db.session.scalar(select(CivilServantProfile))
    assert (profile.home_postcode, profile.region_code, profile.easting) == (None, region, None)


def test_saving_twice_keeps_one_profile_and_one_matching_event(recruit: FlaskClient):
    _answer_all(recruit, valid_answers())
    html = recruit.get("/profile/check").get_data(as_text=True)
    from tests.web import csrf_token

    token = csrf_token(html)

    first = recruit.post("/profile/check", data={"csrf_token": token})
    second = recruit.post("/profile/check", data={"csrf_token": token})

    assert first.headers["Location"] == "/profile/saved"
    assert second.headers["Location"] == "/profile"
    assert db.session.scalar(select(func.count()).select_from(CivilServantProfile)) == 1
    events = select(func.count()).where(OutboxEvent.task_name == PERSON_CHANGED)
    assert db.session.scalar(events) == 1


def test_a_saved_profile_is_edited_through_the_same_pages(recruit: FlaskClient):
    _answer_all(recruit, valid_answers())
    submit(recruit, "/profile/check", {})
    g7 = db.session.scalar(select(Grade.rank).where(Grade.code == "G7"))

    page = recruit.get("/profile/grade?edit=saved").get_data(as_text=True)
    assert 'value="4" checked' in page
    changed = submit(recruit, "/profile/grade", {"grade_rank": str(g7)})
    assert changed.headers["Location"] == "/profile/check"
    saved = submit(recruit, "/profile/check", {})

    assert saved.headers["Location"] == "/profile"
    assert "Your profile has been updated" in recruit.get("/profile").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(CivilServantProfile)).grade_rank == g7
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "profile.updated"))
    assert entry.details == {"fields": ["grade_rank"]}


def test_only_civil_servants_have_profile_pages(site: Flask):
    client = site.test_client()
    sign_in(client, confirmed_user(role=Role.ORGANISATION_MEMBER).email)

    for path in ("/profile", "/profile/department", "/profile/check"):
        assert client.get(path).status_code == 403
    assert client.post("/profile/check").status_code in (400, 403)


def test_each_civil_servant_sees_only_their_own_profile(site: Flask):
    first, second = site.test_client(), site.test_client()
    sign_in(first, confirmed_user().email)
    sign_in(second, confirmed_user().email)
    _answer_all(first, valid_answers())
    submit(first, "/profile/check", {})

    assert "SW1A 2AA" not in second.get("/profile").get_data(as_text=True)
    assert second.get("/profile/check").headers["Location"] == "/profile"
    assert '"profile": null' in second.get("/account/data").get_data(as_text=True)
