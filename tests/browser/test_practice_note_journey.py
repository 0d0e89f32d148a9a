"""A member publishes a practice note; it is found in the library and cited on a match card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    MembershipRole,
    Organisation,
    Role,
    Theme,
    VerificationStatus,
    utcnow,
)
from matcher.services import placements
from tests import builders
from tests.browser.conftest import ARTIFACTS, LiveServer, assert_accessible
from tests.unit.services.world import World, valid_data
from tests.unit.web.matches_world import stored_match
from tests.web import PASSWORD, confirmed_user, reference_database, web_app

MEMBER = "officer@cumberland.example.gov.uk"
RECRUIT = "recruit@cabinetoffice.gov.uk"
COUNCIL = "Cumberland Council"


@pytest.fixture
def site_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """A verified council with a member and an open placement, and a recruit matched to it."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        council = db.session.scalars(
            select(Organisation).where(Organisation.ons_code == "E06000063")
        ).one()
        assert council.name == COUNCIL and council.status == VerificationStatus.VERIFIED
        member = confirmed_user(Role.ORGANISATION_MEMBER, email=MEMBER, display_name="Jo Irving")
        builders.membership(db.session, member, council, MembershipRole.ADMIN)
        recruit = confirmed_user(Role.CIVIL_SERVANT, email=RECRUIT)
        world = World(
            platform_admin=member,
            org_a=council,
            admin_a=member,
            member_a=member,
            org_b=council,
            admin_b=member,
            person=recruit,
            other_person=recruit,
            theme_ids=list(db.session.scalars(select(Theme.id).order_by(Theme.id).limit(2))),
            skill_ids=[],
        )
        placement = placements.create_draft(
            db.session,
            member.id,
            council.id,
            valid_data(world, title="Rural services secondment", location_postcode="CA1 1RQ"),
        )
        placements.publish(db.session, member.id, placement.id)
        db.session.add(CivilServantProfile(user_id=recruit.id, completed_at=utcnow()))
        stored_match(world, recruit, placement, 1)
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def checked(page: Page, title: str, shot: str) -> None:
    """Check the page's title and accessibility, and keep a screenshot."""
    page.wait_for_load_state()
    assert page.title().startswith(title), page.title()
    assert_accessible(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"practice-note-{shot}.png"), full_page=True)


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type='submit']")


def test_a_published_note_is_found_in_the_library_and_cited_on_a_match_card(
    site_server: LiveServer, page: Page, browser: Browser
):
    sign_in(page, site_server.url, MEMBER)
    page.click("text=Your practice notes")
    checked(page, "Your practice notes", "mine-empty")
    page.click("text=Write a practice note")
    checked(page, "Write a practice note", "form")
    page.fill("#title", "Mobile library hubs")
    page.fill("#problem", "Villages lost their banks, post offices and buses.")
    page.fill("#what_changed", "Library vans carry council and health advice desks.")
    page.fill("#evidence", "Visits to the vans rose by half in a year.")
    page.fill("#link_1_url", "https://www.example.gov.uk/hubs")
    page.fill("#link_1_label", "Evaluation of the hubs")
    page.locator("input[name='theme_ids']").first.check()
    page.select_option("#region_code", label="North West")
    page.select_option("#contact_user_id", label=f"Jo Irving ({MEMBER})")
    page.check("input[name='placement_ids']")
    page.click("main form button[type='submit']")
    checked(page, "Mobile library hubs", "draft")
    page.click("main a:has-text('Publish note')")
    checked(page, "Publish this practice note?", "publish-confirm")
    page.click("main form button[type='submit']")
    checked(page, "Mobile library hubs", "published")
    assert "Published" in page.locator("main .govuk-tag").first.inner_text()

    reader = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        tab = reader.new_page()
        tab.goto(site_server.url + "/practice")
        checked(tab, "Practice library", "library")
        tab.fill("#text", "library vans")
        tab.select_option("#organisation_kind", "council")
        tab.click("main form button:has-text('Apply filters')")
        checked(tab, "Practice library", "library-search")
        assert "1 practice note" in tab.locator("#results-count").inner_text()
        tab.click("main a:has-text('Mobile library hubs')")
        checked(tab, "Mobile library hubs", "public")
        assert "Open Government Licence v3.0" in tab.locator("main").inner_text()

        sign_in(tab, site_server.url, RECRUIT)
        tab.goto(site_server.url + "/matches")
        checked(tab, "Your matches", "match-card")
        cited = tab.locator(f'main a:has-text("Work alongside {COUNCIL}\'s Mobile library hubs")')
        assert cited.count() == 1
        cited.click()
        checked(tab, "Mobile library hubs", "from-match-card")
    finally:
        reader.close()
