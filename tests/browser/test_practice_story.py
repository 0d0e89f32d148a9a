"""Issue #16's story in Chromium, through the links people click: a council publishes a practice
note, a reader finds it in the library, a recruit sees it cited on a match card, the placement
ends and both sides reflect from their emails, and the insights page shows what changed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from matcher.clock import set_now
from matcher.extensions import app_settings, db
from matcher.models import (
    CivilServantProfile,
    InterestStatus,
    MembershipRole,
    Organisation,
    Placement,
    Role,
    Theme,
    VerificationStatus,
    utcnow,
)
from matcher.services import placements, reflections
from tests import builders
from tests.browser.conftest import page_checker
from tests.live import LiveServer
from tests.unit.services.world import World, interest_in, valid_data
from tests.unit.web.matches_world import stored_match
from tests.waiting import unused_port
from tests.web import (
    PASSWORD,
    confirmed_user,
    deliver_outbox,
    delivered,
    link_in,
    reference_database,
    web_app,
)

MEMBER = "officer@cumberland.example.gov.uk"
RECRUIT = "recruit@cabinetoffice.gov.uk"
ADMINISTRATOR = "insights@cabinetoffice.gov.uk"
COUNCIL = "Cumberland Council"
LEARNED = "Library vans can carry a council's advice desk to villages without a bus."
FUNNEL = "From match to completed placement"
RATINGS = "How people rated their placements"


def test_a_note_is_cited_the_placement_ends_both_sides_reflect_and_insights_count_it(
    tmp_path: Path, sqlite_template: Path, browser: Browser
):
    port = unused_port()
    base_url = f"http://127.0.0.1:{port}"
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL=base_url)
    today = utcnow()
    try:
        with app.app_context(), LiveServer(app, port) as server:
            _story(app, server, browser)
            db.session.remove()
    finally:
        set_now(today)
    with app.app_context():
        db.engine.dispose()


def _story(app: Flask, server: LiveServer, browser: Browser) -> None:
    world, placement = _council_with_a_placement_matched_to_a_recruit()
    member = _tab(browser, 1024)
    sign_in(member, server.url, MEMBER)
    _publish_note(member)

    reader = _tab(browser, 390)
    reader.goto(server.url + "/")
    navigate(reader, "Practice library")
    checked(reader, "Practice library", "library")
    reader.fill("#text", "library vans")
    reader.select_option("#organisation_kind", "council")
    reader.click("main form button:has-text('Apply filters')")
    assert "1 practice note" in reader.locator("#results-count").inner_text()
    reader.click("main a:has-text('Mobile library hubs')")
    checked(reader, "Mobile library hubs", "public-note")
    assert "Open Government Licence v3.0" in reader.locator("main").inner_text()

    recruit = _tab(browser, 390)
    sign_in(recruit, server.url, RECRUIT)
    recruit.goto(server.url + "/matches")
    checked(recruit, "Your matches", "match-card")
    cited = recruit.locator(f'main a:has-text("Work alongside {COUNCIL}\'s Mobile library hubs")')
    assert cited.count() == 1
    cited.click()
    checked(recruit, "Mobile library hubs", "from-match-card")

    administrator = _tab(browser, 1024)
    sign_in(administrator, server.url, ADMINISTRATOR)
    navigate(administrator, "Administration")
    administrator.click("main a:has-text('Insights')")
    checked(administrator, "Insights: raw counts", "insights-before")
    assert _figure(administrator, FUNNEL, "Matched") == "1"
    assert _figure(administrator, FUNNEL, "Completed") == "0"
    assert _figure(administrator, RATINGS, "5 (excellent)") == "0"

    # The offer and acceptance are their own journey (test_interest_journey); here they are given.
    interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
    db.session.commit()
    ends_on = placement.start_date + timedelta(weeks=placement.duration_weeks)
    set_now(datetime.combine(ends_on, time(9), tzinfo=UTC))
    reflections.ask_for_due(db.session, app_settings())
    db.session.commit()
    deliver_outbox()
    db.session.remove()

    _reflect_from_email(recruit, server, RECRUIT, "secondee")
    assert LEARNED in recruit.locator("main").inner_text()
    assert "Recruit" not in recruit.locator("main").inner_text()
    _reflect_from_email(member, server, MEMBER, "host")

    administrator.reload()
    checked(administrator, "Insights: raw counts", "insights-after")
    assert [_figure(administrator, FUNNEL, step) for step in ("Matched", "Completed")] == ["1", "1"]
    assert _figure(administrator, RATINGS, "5 (excellent)") == "1"
    assert _figure(administrator, RATINGS, "4", column=2) == "1"


def _council_with_a_placement_matched_to_a_recruit() -> tuple[World, Placement]:
    """Cumberland Council with a member and an open placement; a recruit matched to it."""
    council = db.session.scalars(
        select(Organisation).where(Organisation.ons_code == "E06000063")
    ).one()
    assert council.name == COUNCIL and council.status == VerificationStatus.VERIFIED
    member = confirmed_user(Role.ORGANISATION_MEMBER, email=MEMBER, display_name="Jo Irving")
    builders.membership(db.session, member, council, MembershipRole.ADMIN)
    recruit = confirmed_user(Role.CIVIL_SERVANT, email=RECRUIT, display_name="Recruit Sam")
    administrator = confirmed_user(Role.ADMINISTRATOR, email=ADMINISTRATOR)
    world = World(
        platform_admin=administrator,
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
        valid_data(
            world, title="Rural services secondment", location_postcode="CA1 1RQ", duration_weeks=4
        ),
    )
    placements.publish(db.session, member.id, placement.id)
    db.session.add(CivilServantProfile(user_id=recruit.id, completed_at=utcnow()))
    stored_match(world, recruit, placement, 1)
    db.session.commit()
    return world, placement


def _publish_note(tab: Page) -> None:
    """The council's member writes a note linked to their placement and publishes it."""
    tab.click("text=Your practice notes")
    checked(tab, "Your practice notes", "mine-empty")
    tab.click("text=Write a practice note")
    checked(tab, "Write a practice note", "note-form")
    tab.fill("#title", "Mobile library hubs")
    tab.fill("#problem", "Villages lost their banks, post offices and buses.")
    tab.fill("#what_changed", "Library vans carry council and health advice desks.")
    tab.fill("#evidence", "Visits to the vans rose by half in a year.")
    tab.fill("#link_1_url", "https://www.example.gov.uk/hubs")
    tab.fill("#link_1_label", "Evaluation of the hubs")
    tab.locator("input[name='theme_ids']").first.check()
    tab.select_option("#region_code", label="North West")
    tab.select_option("#contact_user_id", label=f"Jo Irving ({MEMBER})")
    tab.check("input[name='placement_ids']")
    tab.click("main form button[type='submit']")
    checked(tab, "Mobile library hubs", "note-draft")
    tab.click("main a:has-text('Publish note')")
    checked(tab, "Publish this practice note?", "note-publish")
    tab.click("main form button[type='submit']")
    checked(tab, "Mobile library hubs", "note-published")
    assert "Published" in tab.locator("main .govuk-tag").first.inner_text()


def _reflect_from_email(tab: Page, server: LiveServer, email: str, side: str) -> None:
    """Follow the link in the reflection email sent to ``email`` and answer the form."""
    message = delivered(app_settings(), email)[-1]
    asked = f"with {COUNCIL} go?" if side == "secondee" else "How did hosting Recruit Sam go?"
    assert str(message["Subject"]).endswith(asked), message["Subject"]
    tab.goto(server.url + link_in(message, app_settings().base_url))
    checked(tab, "Reflect on", f"reflection-{side}")
    with tab.expect_navigation():
        tab.click("main form button[type='submit']")
    assert tab.title().startswith("Error: ")
    expect(tab.locator(".govuk-error-summary")).to_be_visible()
    tab.fill("#learned", LEARNED if side == "secondee" else "Fresh eyes on our rural bus data.")
    tab.fill("#informed", "The rural transport strategy")
    tab.check("input[name='recommend'][value='yes']")
    if side == "secondee":
        tab.check("input[name='rating'][value='5']")
        tab.check("input[name='may_quote'][value='yes']")
    else:
        tab.check("input[name='rating'][value='4']")
    tab.click("main form button[type='submit']")
    checked(tab, "Reflection sent", f"reflection-{side}-sent")
    if side == "secondee":
        tab.click(f'main a:has-text("{COUNCIL}\'s page")')
        checked(tab, COUNCIL, "host-page")


def _figure(tab: Page, caption: str, label: str, column: int = 1) -> str:
    """The number in the row ``label`` of the table captioned ``caption``."""
    row = tab.locator(f"table:has(caption:has-text('{caption}')) tbody tr").filter(
        has=tab.locator(f"th:text-is('{label}'), td:text-is('{label}')")
    )
    return row.locator("th, td").nth(column).inner_text().strip()


def navigate(tab: Page, link: str) -> None:
    """Follow a link of the service's navigation, opening its menu first on a phone."""
    menu = tab.locator(".govuk-service-navigation__toggle")
    if menu.is_visible():
        menu.click()
    tab.locator(".govuk-service-navigation").get_by_role("link", name=link).click()


def _tab(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 800}).new_page()


def sign_in(tab: Page, url: str, email: str) -> None:
    tab.goto(url + "/sign-in")
    tab.fill("#email", email)
    tab.fill("#password", PASSWORD)
    with tab.expect_navigation():
        tab.click("main form button[type='submit']")


checked = page_checker("practice-story")
