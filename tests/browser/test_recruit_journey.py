"""A recruit registers, confirms by email and completes the profile by keyboard, axe-checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from matcher.extensions import db
from tests.browser.conftest import ARTIFACTS, LiveServer, assert_accessible
from tests.web import deliver_outbox, delivered, link_in, reference_database, web_app

EMAIL = "new.recruit@cabinetoffice.gov.uk"
PASSWORD = "plain english words are best"


@pytest.fixture
def site_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app with reference data, served on a free loopback port."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def tab_to(page: Page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"the keyboard never reached {selector}")


def press_on(page: Page, selector: str, key: str = "Enter") -> None:
    """Tab to an element and press ``key`` on it; Enter is awaited as a navigation."""
    tab_to(page, selector)
    if key == "Enter":
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


def type_into(page: Page, selector: str, text: str) -> None:
    """Tab to a field and type ``text``."""
    tab_to(page, selector)
    page.keyboard.type(text)


def checked_page(page: Page, title: str, shot: str) -> None:
    """Wait for the page, check its title, accessibility, and keep a screenshot."""
    page.wait_for_load_state()
    assert page.title().startswith(title), page.title()
    assert_accessible(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"recruit-{shot}.png"), full_page=True)


def continue_(page: Page) -> None:
    """Submit the page's form with the keyboard."""
    press_on(page, "main form button[type='submit']")


def test_a_recruit_registers_confirms_and_completes_the_profile_by_keyboard(
    site_server: LiveServer, page: Page
):
    page.goto(site_server.url + "/")
    checked_page(page, "Work in local public service", "home")

    press_on(page, "a[href='/register']")
    checked_page(page, "Create an account", "register")
    continue_(page)
    checked_page(page, "Error: Create an account", "register-errors")
    press_on(page, "input[name='role'][value='civil_servant']", "Space")
    type_into(page, "#display_name", "Nia Recruit")
    type_into(page, "#email", EMAIL)
    type_into(page, "#password", PASSWORD)
    continue_(page)
    checked_page(page, "Check your email", "check-your-email")

    with site_server.app.app_context():
        deliver_outbox()
        settings = site_server.app.config["MATCHER_SETTINGS"]
        [message] = delivered(settings, EMAIL)
        link = link_in(message, settings.base_url)
    page.goto(site_server.url + link)
    checked_page(page, "Email address confirmed", "email-confirmed")

    press_on(page, "main a[href='/sign-in']")
    checked_page(page, "Sign in", "sign-in")
    type_into(page, "#email", EMAIL)
    type_into(page, "#password", PASSWORD)
    continue_(page)
    checked_page(page, "Your profile", "profile-start")

    press_on(page, "a.govuk-button--start")
    checked_page(page, "Which department", "department")
    tab_to(page, "#department_id")
    page.keyboard.type("Cabinet Office")
    continue_(page)

    checked_page(page, "What is your grade", "grade")
    press_on(page, "input[name='grade_rank']", "Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    continue_(page)

    checked_page(page, "What is your profession", "profession")
    tab_to(page, "#profession_id")
    page.keyboard.type("Policy")
    continue_(page)

    checked_page(page, "Which policy themes", "themes")
    press_on(page, "input[name='theme_ids']", "Space")
    continue_(page)

    checked_page(page, "What are your skills", "skills")
    press_on(page, "input[name='skill_ids']", "Space")
    continue_(page)

    checked_page(page, "Where do you live", "location")
    type_into(page, "#postcode", "ZZ1 1ZZ")
    continue_(page)
    checked_page(page, "Error: Where do you live", "location-errors")
    tab_to(page, "#postcode")
    page.keyboard.press("Control+A")
    page.keyboard.type("SW1A 2AA")
    continue_(page)

    checked_page(page, "Travel and remote work", "travel")
    type_into(page, "#travel_limit_km", "40")
    press_on(page, "input[name='remote_ok'][value='yes']", "Space")
    continue_(page)

    checked_page(page, "When are you available", "availability")
    type_into(page, "#available_from-day", "1")
    type_into(page, "#available_from-month", "3")
    type_into(page, "#available_from-year", "2027")
    continue_(page)

    checked_page(page, "What kind of placement", "placements")
    press_on(page, "input[name='wanted_kinds']", "Space")
    press_on(page, "input[name='hours']", "Space")
    continue_(page)

    checked_page(page, "Tell organisations about yourself", "about")
    type_into(page, "#about", "I work on housing policy and want to see delivery.")
    continue_(page)

    checked_page(page, "Can organisations find your profile", "discoverable")
    press_on(page, "input[name='discoverable']", "Space")
    continue_(page)

    checked_page(page, "How often should we email you", "emails")
    press_on(page, "input[name='digest_frequency']", "Space")
    continue_(page)

    checked_page(page, "Check your answers", "check-answers")
    assert "SW1A 2AA" in page.content()
    continue_(page)

    checked_page(page, "Profile complete", "profile-complete")
    press_on(page, "main a[href='/profile']")
    checked_page(page, "Your profile", "your-profile")
    assert "Cabinet Office" in page.content()
    assert "1 March 2027" in page.content()

    press_on(page, "a[href='/account']")
    checked_page(page, "Your account", "your-account")
    press_on(page, "button.app-link-button")
    checked_page(page, "Work in local public service", "signed-out")
    assert "You have signed out" in page.content()
