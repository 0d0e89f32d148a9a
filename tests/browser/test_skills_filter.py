"""The skills filter: typing narrows the checkboxes, and the page works without it.

The civil servant's skills question and the placement form share it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from matcher.extensions import db
from matcher.models import MembershipRole, Role
from matcher.reference import catalogue
from tests import builders
from tests.browser.conftest import LiveServer, assert_accessible
from tests.unit.services.world import verified_organisation
from tests.web import PASSWORD, confirmed_user, reference_database, web_app

EMAIL = "skills.filter@cabinetoffice.gov.uk"
OFFICER = "skills.filter@leeds.example.gov.uk"


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app with the reference skills and a civil servant who can answer the question."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        confirmed_user(Role.CIVIL_SERVANT, email=EMAIL)
        officer = confirmed_user(Role.ORGANISATION_MEMBER, email=OFFICER)
        builders.membership(
            db.session, officer, verified_organisation(db.session), MembershipRole.ADMIN
        )
        db.session.commit()
        db.session.remove()
    with LiveServer(app) as live:
        yield live
    with app.app_context():
        db.engine.dispose()


def _sign_in(tab: Page, server: LiveServer, email: str) -> None:
    tab.goto(server.url + "/sign-in")
    tab.fill("#email", email)
    tab.fill("#password", PASSWORD)
    with tab.expect_navigation():
        tab.click("main form button[type='submit']")


def _open_skills_question(tab: Page, server: LiveServer) -> None:
    _sign_in(tab, server, EMAIL)
    tab.goto(server.url + "/profile/skills")


def test_typing_in_the_filter_keeps_only_the_matching_skills(page: Page, server: LiveServer):
    skills = [skill["name"] for skill in catalogue.skills()]
    matching = [name for name in skills if "data" in name.lower()]
    assert 1 < len(matching) < len(skills)
    _open_skills_question(page, server)
    checkboxes = page.locator("input[name='skill_ids']")
    expect(checkboxes).to_have_count(len(skills))
    filter_box = page.get_by_label("Filter skills")
    expect(filter_box).to_be_visible()

    filter_box.press_sequentially("DATA")
    for name in matching:
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    expect(page.get_by_label("Public speaking", exact=True)).to_be_hidden()
    expect(page.locator("input[name='skill_ids']:visible")).to_have_count(len(matching))
    status = page.locator("#skills-filter-status")
    expect(status).to_have_text(f"{len(matching)} skills match")
    expect(status).to_have_attribute("aria-live", "polite")
    # A group with nothing left in it goes too, legend and all.
    expect(page.get_by_text("Policing and justice", exact=True)).to_be_hidden()
    assert_accessible(page)

    page.get_by_label(matching[0], exact=True).check()
    filter_box.fill("no such skill")
    expect(status).to_have_text("No skills match")
    filter_box.fill("")
    expect(page.locator("input[name='skill_ids']:visible")).to_have_count(len(skills))
    expect(status).to_have_text("")
    # Enter in the filter does not submit the form; the button still does, with the tick.
    filter_box.press("Enter")
    expect(page).to_have_url(server.url + "/profile/skills")
    with page.expect_navigation():
        page.click("main form button[type='submit']")
    assert not page.url.endswith("/profile/skills")
    page.goto(server.url + "/profile/skills")
    expect(page.get_by_label(matching[0], exact=True)).to_be_checked()


def test_without_javascript_every_skill_is_listed_and_there_is_no_filter(
    browser: Browser, server: LiveServer
):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        _open_skills_question(tab, server)
        expect(tab.locator("input[name='skill_ids']:visible")).to_have_count(
            len(catalogue.skills())
        )
        # axe runs as a script, so it cannot run here; the crawl checks this markup with it.
        expect(tab.locator("#skills-filter")).to_have_count(0)
    finally:
        context.close()


def test_the_placement_form_filters_its_skills_too(page: Page, server: LiveServer):
    skills = [skill["name"] for skill in catalogue.skills()]
    matching = [name for name in skills if "data" in name.lower()]
    _sign_in(page, server, OFFICER)
    page.goto(server.url + "/organisation/placements/new")
    expect(page.locator("input[name='skill_ids']")).to_have_count(len(skills))

    page.get_by_label("Filter skills").press_sequentially("data")
    expect(page.locator("input[name='skill_ids']:visible")).to_have_count(len(matching))
    expect(page.get_by_label(matching[0], exact=True)).to_be_visible()
    expect(page.get_by_label("Public speaking", exact=True)).to_be_hidden()
    expect(page.locator("#skills-filter-status")).to_have_text(f"{len(matching)} skills match")
    # The other questions on the page stay where they were.
    expect(page.get_by_label("Title")).to_be_visible()
    expect(page.locator("input[name='theme_ids']:visible")).not_to_have_count(0)
    assert_accessible(page)


def test_without_javascript_the_placement_form_lists_every_skill(
    browser: Browser, server: LiveServer
):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        _sign_in(tab, server, OFFICER)
        tab.goto(server.url + "/organisation/placements/new")
        expect(tab.locator("input[name='skill_ids']:visible")).to_have_count(
            len(catalogue.skills())
        )
        expect(tab.locator("#skills-filter")).to_have_count(0)
    finally:
        context.close()
