"""An administrator verifies an organisation; its member posts a placement and finds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import MembershipRole, Role
from tests import builders
from tests.browser.conftest import LiveServer, page_checker
from tests.web import PASSWORD, confirmed_user, reference_database, web_app

EMAIL = "officer@leeds.example.gov.uk"
ADMIN_EMAIL = "admin@matcher.example.gov.uk"


@pytest.fixture
def site_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app with reference data, a proposed organisation with one admin, and a platform admin."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        council = builders.organisation(db.session, email_domain="leeds.example.gov.uk")
        officer = confirmed_user(Role.ORGANISATION_MEMBER, email=EMAIL)
        confirmed_user(Role.ADMINISTRATOR, email=ADMIN_EMAIL)
        builders.membership(db.session, officer, council, MembershipRole.ADMIN)
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


checked = page_checker("placement")


def fill_date(page: Page, name: str, day: object) -> None:
    """Type a date into a GOV.UK date input."""
    page.fill(f"#{name}-day", str(day.day))  # type: ignore[attr-defined]
    page.fill(f"#{name}-month", str(day.month))  # type: ignore[attr-defined]
    page.fill(f"#{name}-year", str(day.year))  # type: ignore[attr-defined]


def sign_in(page: Page, url: str, email: str) -> None:
    """Sign in through the sign-in page."""
    page.goto(url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type='submit']")


def test_an_administrator_verifies_and_the_member_posts_a_placement(
    site_server: LiveServer, page: Page, browser: Browser
):
    sign_in(page, site_server.url, EMAIL)
    page.goto(site_server.url + "/organisation")
    checked(page, "Test Constabulary", "organisation-awaiting-verification")
    assert "Awaiting verification" in page.locator("main").inner_text()

    administrator = browser.new_context()
    try:
        admin_page = administrator.new_page()
        sign_in(admin_page, site_server.url, ADMIN_EMAIL)
        admin_page.goto(site_server.url + "/admin/organisations")
        checked(admin_page, "Organisations", "admin-organisations")
        admin_page.locator("main form button:has-text('Verify')").first.click()
        checked(admin_page, "Organisations", "admin-organisation-verified")
    finally:
        administrator.close()

    page.goto(site_server.url + "/organisation")
    checked(page, "Test Constabulary", "organisation")
    assert "Awaiting verification" not in page.locator("main").inner_text()
    page.click("text=Your placements")
    checked(page, "Your placements", "list-empty")
    page.click("text=Post a placement")
    checked(page, "Post a placement", "form")

    page.click("main form button[type='submit']")
    checked(page, "Error: Post a placement", "form-errors")

    today = london_today()
    page.fill("#title", "Social care data secondment")
    page.fill("#summary", "Help the council join up adult social care records.")
    page.fill("#description", "Six months with the adult social care team.")
    page.check("input[name='kind'][value='secondment']")
    page.locator("input[name='theme_ids']").first.check()
    page.select_option("#grade_min", "EO")
    page.select_option("#grade_max", "G7")
    page.fill("#location_postcode", "LS1 1UR")
    fill_date(page, "closing_date", today + timedelta(days=30))
    fill_date(page, "start_date", today + timedelta(days=60))
    page.fill("#duration_weeks", "26")
    page.check("input[name='hours'][value='full_time']")
    page.fill("#capacity", "2")
    page.click("main form button[type='submit']")
    checked(page, "Check your answers", "check")

    page.click("text=Save as draft")
    checked(page, "Social care data secondment", "draft")
    assert page.locator(".govuk-notification-banner--success").count() == 1

    page.click("text=Preview")
    checked(page, "Social care data secondment", "preview")
    page.go_back()

    page.click("main a:has-text('Publish placement')")
    checked(page, "Publish this placement?", "publish-confirm")
    page.click("main form button[type='submit']")
    checked(page, "Social care data secondment", "published")

    page.goto(site_server.url + "/placements")
    checked(page, "Find a placement", "search")
    page.click("text=Social care data secondment")
    checked(page, "Social care data secondment", "public")
    assert page.locator("h1").inner_text() == "Social care data secondment"
