"""Your matches, your interests, one interest, and the organisation's people for a placement."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Department,
    Dismissal,
    Grade,
    Interest,
    InterestInvitation,
    InterestStatus,
    InterestTransition,
    Theme,
)
from matcher.services import interests
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.unit.web.matches_world import (
    browser_of,
    complete_profile,
    confirm_everyone,
    stored_match,
)
from tests.web import csrf_token

_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


@pytest.fixture
def world(app: Flask) -> World:
    """The service-test world, with every account confirmed."""
    built = build_world(db.session)
    confirm_everyone()
    return built


def post_button(client, page: str, action: str, token: str | None = None):
    """Post the button form whose action is ``action`` on ``page``, with its tokens."""
    html = client.get(page).get_data(as_text=True)
    form = re.search(
        r'<form method="post" action="' + re.escape(action) + r'".*?</form>', html, re.S
    )
    assert form, f"no button for {action} on {page}"
    submission = _SUBMISSION.search(form.group(0))
    data = {"csrf_token": csrf_token(html)}
    if submission:
        data["submission"] = token or submission.group(1)
    return client.post(action, data=data), data


def test_an_incomplete_profile_is_sent_to_finish_it(app, world):
    page = browser_of(app, world.person).get("/matches").get_data(as_text=True)
    assert "Complete your profile" in page
    assert 'href="/profile"' in page


def test_before_matching_has_run_the_page_says_so(app, world):
    complete_profile(world.person)
    page = browser_of(app, world.person).get("/matches").get_data(as_text=True)
    assert "We&#39;re finding your matches" in page or "We're finding your matches" in page


def test_matches_are_listed_best_first_with_reasons(app, world):
    complete_profile(world.person)
    first = open_placement(db.session, world, title="Social care secondment")
    second = open_placement(db.session, world, title="Rural buses project")
    db.session.commit()
    stored_match(world, world.person, second, rank=2)
    stored_match(world, world.person, first, rank=1)

    response = browser_of(app, world.person).get("/matches")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("Social care secondment") < page.index("Rural buses project")
    assert "Shares your interest in" in page
    assert "18 km from your home" in page
    assert "Open to your grade" in page
    assert f'href="/placements/{first.id}"' in page


def test_interested_twice_with_the_same_form_makes_one_interest(app, world):
    complete_profile(world.person)
    placement = open_placement(db.session, world)
    db.session.commit()
    stored_match(world, world.person, placement, rank=1)
    client = browser_of(app, world.person)

    response, data = post_button(client, "/matches", f"/matches/{placement.id}/interested")
    again = client.post(f"/matches/{placement.id}/interested", data=data)

    assert response.status_code == 302 and again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Interest)) == 1
    assert db.session.scalar(select(func.count()).select_from(InterestTransition)) == 1
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have told the organisation" in shown
    assert "Interested" in shown


def test_not_for_me_removes_the_match_with_a_banner(app, world):
    complete_profile(world.person)
    placement = open_placement(db.session, world, title="Not my cup of tea")
    db.session.commit()
    stored_match(world, world.person, placement, rank=1)
    client = browser_of(app, world.person)

    response, _ = post_button(client, "/matches", f"/matches/{placement.id}/not-for-me")

    assert response.status_code == 302
    page = client.get("/matches").get_data(as_text=True)
    assert "We will not show you Not my cup of tea again" in page
    assert f"/matches/{placement.id}/interested" not in page
    assert db.session.get(Dismissal, (world.person.id, placement.id)) is not None


def test_the_interest_page_shows_history_and_the_withdraw_confirmation(app, world):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    db.session.commit()
    client = browser_of(app, world.person)

    listing = client.get("/interests").get_data(as_text=True)
    page = client.get(f"/interests/{interest.id}").get_data(as_text=True)
    confirm = client.get(f"/interests/{interest.id}/withdraw")

    assert "Shortlisted" in listing
    assert "History" in page and "You" in page and world.member_a.display_name in page
    assert confirm.status_code == 200
    assert "Are you sure you want to withdraw your interest?" in confirm.get_data(as_text=True)
    response, _ = post_button(
        client, f"/interests/{interest.id}/withdraw", f"/interests/{interest.id}/withdraw"
    )
    assert response.status_code == 302
    db.session.refresh(interest)
    assert interest.status == InterestStatus.WITHDRAWN


def test_accepting_an_offer(app, world):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    db.session.commit()
    client = browser_of(app, world.person)

    response, _ = post_button(
        client, f"/interests/{interest.id}", f"/interests/{interest.id}/accept"
    )

    assert response.status_code == 302
    db.session.refresh(interest)
    assert interest.status == InterestStatus.ACCEPTED
    assert "You have accepted the offer" in client.get(f"/interests/{interest.id}").get_data(
        as_text=True
    )


def test_an_illegal_transition_says_why_and_changes_nothing(app, world):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.INTERESTED)
    db.session.commit()
    client = browser_of(app, world.member_a)
    html = client.get(f"/placements/{placement.id}/interests").get_data(as_text=True)
    before = db.session.scalar(select(func.count()).select_from(InterestTransition))

    response = client.post(
        f"/placements/{placement.id}/interests/{interest.id}/offer",
        data={"csrf_token": csrf_token(html), "submission": "fresh-token-1"},
    )

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot offer the placement to this interest because it is interested" in page
    db.session.refresh(interest)
    assert interest.status == InterestStatus.INTERESTED
    assert db.session.scalar(select(func.count()).select_from(InterestTransition)) == before


def test_the_organisation_sees_interested_and_recommended_people(app, world):
    placement = open_placement(db.session, world, title="Police data secondment")
    interest = interest_in(db.session, world, placement, InterestStatus.INTERESTED)
    db.session.commit()
    complete_profile(world.other_person)
    stored_match(world, world.other_person, placement, rank=1)
    client = browser_of(app, world.member_a)

    page = client.get(f"/placements/{placement.id}/interests").get_data(as_text=True)

    assert world.person.display_name in page
    assert "Recommended people" in page and "Recommended person 1" in page
    assert "Interested in" in page and "Lives 18 km away" in page
    response, _ = post_button(
        client,
        f"/placements/{placement.id}/interests",
        f"/placements/{placement.id}/interests/{interest.id}/shortlist",
    )
    assert response.status_code == 302
    db.session.refresh(interest)
    assert interest.status == InterestStatus.SHORTLISTED
    response, _ = post_button(
        client,
        f"/placements/{placement.id}/interests",
        f"/placements/{placement.id}/recommended/{world.other_person.id}/invite",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(InterestInvitation)) == 1
    assert "Invited" in client.get(f"/placements/{placement.id}/interests").get_data(as_text=True)


def test_recommended_people_are_shown_without_name_or_contact(app, world):
    placement = open_placement(db.session, world)
    db.session.commit()
    profile = world.other_person.profile
    profile.grade_rank = db.session.scalar(select(Grade.rank).where(Grade.code == "G7"))
    department = db.session.scalar(select(Department).order_by(Department.name))
    profile.department_id = department.id
    profile.themes = [db.session.get(Theme, world.theme_ids[0])]
    complete_profile(world.other_person)
    stored_match(world, world.other_person, placement, rank=1)
    client = browser_of(app, world.member_a)

    page = client.get(f"/placements/{placement.id}/interests").get_data(as_text=True)
    response, _ = post_button(
        client,
        f"/placements/{placement.id}/interests",
        f"/placements/{placement.id}/recommended/{world.other_person.id}/invite",
    )
    after = client.get(response.headers["Location"]).get_data(as_text=True)

    assert world.other_person.display_name not in page
    assert world.other_person.email not in page
    assert "Grade 7" in page and escape(department.name) in page
    assert escape(profile.themes[0].name) in page
    assert "We have invited this person" in after
    assert world.other_person.display_name not in after


def test_a_recommended_person_is_named_once_they_say_they_are_interested(app, world):
    placement = open_placement(db.session, world)
    db.session.commit()
    stored_match(world, world.other_person, placement, rank=1)
    interests.express_interest(db.session, world.other_person.id, placement.id)
    db.session.commit()

    page = browser_of(app, world.member_a).get(f"/placements/{placement.id}/interests")

    assert world.other_person.display_name in page.get_data(as_text=True)


def test_undiscoverable_people_are_not_recommended(app, world):
    placement = open_placement(db.session, world)
    db.session.commit()
    world.other_person.profile.discoverable = False
    db.session.commit()
    stored_match(world, world.other_person, placement, rank=1)

    page = browser_of(app, world.member_a).get(f"/placements/{placement.id}/interests")

    assert world.other_person.display_name not in page.get_data(as_text=True)


def test_turning_down_is_confirmed_first(app, world):
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    db.session.commit()
    client = browser_of(app, world.member_a)
    url = f"/placements/{placement.id}/interests/{interest.id}/reject"

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Are you sure you want to turn down" in confirm.get_data(as_text=True)
    db.session.refresh(interest)
    assert interest.status == InterestStatus.SHORTLISTED
    response, _ = post_button(client, url, url)
    assert response.status_code == 302
    db.session.refresh(interest)
    assert interest.status == InterestStatus.REJECTED
