"""The start page and the guidance a recruit reads before deciding."""

from __future__ import annotations

import re

import pytest

from matcher.extensions import db
from matcher.models import CivilServantProfile, Role, utcnow
from matcher.web.guides import GUIDES
from tests.unit.web.matches_world import browser_of
from tests.web import confirmed_user

GUIDE_PATHS = [f"/guidance/{guide.slug}" for guide in GUIDES]


def _start_button(html: str) -> tuple[str, str]:
    button = re.search(
        r'<a href="([^"]+)" role="button" draggable="false" '
        r'class="govuk-button govuk-button--start"[^>]*>\s*(.*?)\s*<svg',
        html,
        re.S,
    )
    assert button, "the page has no start button"
    return button.group(1), button.group(2)


def _h1s(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)


def test_the_start_page_says_who_it_is_for_and_starts_by_registering(app):
    html = app.test_client().get("/").get_data(as_text=True)

    assert _h1s(html) == ["Find a placement in local public service"]
    assert _start_button(html) == ("/register", "Start now")
    assert '<a class="govuk-link" href="/sign-in">sign in</a>' in html
    for words in (
        "Who can use this service",
        "Before you start",
        "New recruits are especially welcome",
        "councils, police forces and partnerships",
        "0 open opportunities",
    ):
        assert words.lower() in html.lower(), words
    for path in GUIDE_PATHS:
        assert f'href="{path}"' in html, path


def test_the_start_button_takes_a_new_civil_servant_to_their_profile(app):
    person = confirmed_user(Role.CIVIL_SERVANT)

    html = browser_of(app, person).get("/").get_data(as_text=True)

    assert _start_button(html) == ("/profile", "Start now")
    assert 'href="/sign-in">sign in' not in html


def test_the_start_button_takes_someone_with_a_profile_to_their_matches(app):
    person = confirmed_user(Role.CIVIL_SERVANT)
    db.session.add(CivilServantProfile(user_id=person.id, completed_at=utcnow()))
    db.session.commit()

    html = browser_of(app, person).get("/").get_data(as_text=True)

    assert _start_button(html) == ("/matches", "See your matches")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ORGANISATION_MEMBER, ("/organisation", "Go to your organisation")),
        (Role.ADMINISTRATOR, ("/admin", "Go to administration")),
    ],
)
def test_the_start_button_takes_others_to_their_next_step(app, role, expected):
    html = browser_of(app, confirmed_user(role)).get("/").get_data(as_text=True)

    assert _start_button(html) == expected
    assert browser_of(app, confirmed_user(role)).get(expected[0]).status_code == 200


@pytest.mark.parametrize("path", GUIDE_PATHS)
def test_each_guidance_page_has_one_heading_and_links_to_the_others(app, path):
    response = app.test_client().get(path)

    html = response.get_data(as_text=True)
    guide = next(guide for guide in GUIDES if path.endswith(guide.slug))
    assert response.status_code == 200
    assert _h1s(html) == [guide.title]
    assert f"<title>{guide.title} \u2013" in html
    for other in GUIDE_PATHS:
        if other != path:
            assert f'href="{other}"' in html, other
    for anchor in re.findall(r'href="#([^"]+)"', html):
        if anchor != "main-content":
            assert f'id="{anchor}"' in html, anchor


def test_pay_guidance_says_who_pays_and_to_check_the_department_s_policy(app):
    html = app.test_client().get("/guidance/pay-expenses-and-terms").get_data(as_text=True)

    assert "Your department keeps paying your usual salary" in html
    assert "The host organisation does not pay you unless this has been agreed in writing" in html
    assert "Travel and subsistence are paid under your department\u2019s policy" in html
    assert "your department\u2019s policy" in html.lower()


def test_the_guidance_list_and_the_footer_reach_every_guide(app):
    client = app.test_client()

    index = client.get("/guidance").get_data(as_text=True)
    page = client.get("/placements").get_data(as_text=True)
    footer = page[page.index('class="govuk-footer"') :]

    for path in GUIDE_PATHS:
        assert f'href="{path}"' in index, path
    assert 'href="/guidance"' in footer and 'href="/feedback"' in footer
    assert client.get("/guidance/not-a-guide").status_code == 404
