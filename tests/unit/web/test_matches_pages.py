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
    stored_reasons,
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
    stored_match(world, world.person, second, rank=2, reasons=stored_reasons(world, 1, 30.0))
    stored_match(world, world.person, first, rank=1)

    response = browser_of(app, world.person).get("/matches")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("Social care secondment") < page.index("Rural buses project")
    assert "Shares your interest in" in page
    assert "11 miles from your home" in page
    # Grade is a filter every match passes, so no card says it.
    assert "grade" not in page.lower()
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
    assert "Interested in" in page and "Lives 11 miles away" in page
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


def test_the_officer_sees_the_interested_persons_profile_and_email(app, world):
    placement = open_placement(db.session, world)
    profile = world.person.profile
    profile.grade_rank = db.session.scalar(select(Grade.rank).where(Grade.code == "HEO"))
    profile.about = "Eight years in adult social care policy.\nKeen to see delivery."
    interest = interest_in(db.session, world, placement, InterestStatus.INTERESTED)
    db.session.commit()

    page = browser_of(app, world.member_a).get(f"/interests/{interest.id}").get_data(as_text=True)

    assert f"About {world.person.display_name}" in page
    assert f'href="mailto:{world.person.email}"' in page
    assert "Higher Executive Officer" in page
    assert '<p class="govuk-body">Keen to see delivery.</p>' in page


def test_an_offer_is_made_with_a_message_the_recruit_reads_before_accepting(app, world):
    placement = open_placement(db.session, world, title="Leeds care secondment")
    interest = interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    db.session.commit()
    officer = browser_of(app, world.member_a)
    url = f"/placements/{placement.id}/interests/{interest.id}/offer"

    listing = officer.get(f"/placements/{placement.id}/interests").get_data(as_text=True)
    assert f'href="{url}"' in listing
    form = officer.get(url)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "<textarea" in html and "Send the offer" in html
    empty = officer.post(url, data={"csrf_token": csrf_token(html), "message": "  "})
    assert empty.status_code == 422
    assert "Enter a message" in empty.get_data(as_text=True)
    db.session.refresh(interest)
    assert interest.status == InterestStatus.SHORTLISTED

    message = "Start on 2 March.\nCall Jo Bloggs on 0113 000 0000 first."
    sent = officer.post(url, data={"csrf_token": csrf_token(html), "message": message})

    assert sent.status_code == 302
    db.session.refresh(interest)
    assert interest.status == InterestStatus.OFFERED
    assert interest.offer_message == message
    assert interest.offered_by_id == world.member_a.id
    recruit = browser_of(app, world.person)
    offered = recruit.get(f"/interests/{interest.id}").get_data(as_text=True)
    assert "Call Jo Bloggs on 0113 000 0000 first." in offered
    assert world.member_a.email not in offered

    response, _ = post_button(
        recruit, f"/interests/{interest.id}", f"/interests/{interest.id}/accept"
    )
    accepted = recruit.get(response.headers["Location"]).get_data(as_text=True)

    assert "What happens next" in accepted
    assert world.member_a.display_name in accepted
    assert f'href="mailto:{world.member_a.email}"' in accepted
    assert "Call Jo Bloggs" in accepted
    assert 'href="/guidance/after-you-accept-an-offer"' in accepted


def test_your_placements_and_the_manage_page_link_to_the_people_page(app, world):
    placement = open_placement(db.session, world, title="Police data secondment")
    interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
    withdrawn = interests.express_interest(db.session, world.other_person.id, placement.id)
    interests.withdraw(db.session, world.other_person.id, withdrawn.id)
    db.session.commit()
    client = browser_of(app, world.member_a)
    people = f'href="/placements/{placement.id}/interests"'

    listing = client.get("/organisation/placements").get_data(as_text=True)
    manage = client.get(f"/organisation/placements/{placement.id}").get_data(as_text=True)

    assert people in listing and ">1 interested<" in listing
    assert people in manage and "(1 interested)" in manage


def test_an_invitee_answers_on_the_public_placement_page(app, world):
    placement = open_placement(db.session, world, title="Police data secondment")
    db.session.commit()
    interests.invite_to_express_interest(
        db.session, world.member_a.id, placement.id, world.person.id
    )
    db.session.commit()
    client = browser_of(app, world.person)
    url = f"/placements/{placement.id}"

    page = client.get(url).get_data(as_text=True)
    assert "invited you to say whether you are interested" in page
    assert f'action="/matches/{placement.id}/not-for-me"' in page
    response, _ = post_button(client, url, f"/matches/{placement.id}/interested")

    assert response.status_code == 302
    interest = db.session.scalars(select(Interest)).one()
    assert interest.status == InterestStatus.INTERESTED
    assert interest.invited_by_id == world.member_a.id
    again = client.get(url).get_data(as_text=True)
    assert f'href="/interests/{interest.id}"' in again
    assert f'action="/matches/{placement.id}/interested"' not in again
    # Organisation members and signed-out visitors get no answer buttons.
    for other in (world.member_a, None):
        html = browser_of(app, other).get(url).get_data(as_text=True)
        assert f'action="/matches/{placement.id}/interested"' not in html
