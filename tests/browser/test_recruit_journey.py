"""A recruit registers, confirms by email and completes the profile by keyboard, axe-checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from playwright.sync_api import Page
from sqlalchemy import select

from matcher.events import PERSON_CHANGED
from matcher.extensions import db
from matcher.models import OutboxEvent, Skill, Theme
from matcher.stored_matches.snapshot import forget_snapshots
from tests.browser.conftest import LiveServer, page_checker
from tests.unit.services.world import build_world, open_placement
from tests.web import delivered, link_in, reference_database, web_app

EMAIL = "new.recruit@cabinetoffice.gov.uk"
PASSWORD = "plain english words are best"
TITLES = ("Westminster housing delivery secondment", "Remote social care data secondment")


@pytest.fixture
def site_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app with reference data and open placements that fit the recruit, on loopback."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        world = build_world(db.session)
        # The recruit will tick the first theme and skill the question pages list.
        theme = db.session.scalars(select(Theme.id).where(Theme.active).order_by(Theme.name))
        skill = db.session.scalars(
            select(Skill.id).where(Skill.active).order_by(Skill.description, Skill.name)
        )
        fit = {"theme_ids": (theme.first(),), "skill_ids": (skill.first(),)}
        # Both start after 1 March 2027, when the recruit says they are free: a person is
        # matched only with placements they can start.
        open_placement(
            db.session,
            world,
            title=TITLES[0],
            location_postcode="SW1A 2AA",
            start_date=date(2027, 3, 8),
            **fit,
        )
        open_placement(
            db.session,
            world,
            title=TITLES[1],
            remote_possible=True,
            location_postcode=None,
            start_date=date(2027, 4, 1),
            **fit,
        )
        db.session.commit()
        db.session.remove()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


def run_outbox() -> list[str]:
    """Run every pending outbox event's registered task in-process; return the task names."""
    celery = current_app.extensions["celery"]
    rows = db.session.execute(
        select(OutboxEvent.id, OutboxEvent.task_name)
        .where(OutboxEvent.processed_at.is_(None))
        .order_by(OutboxEvent.id)
    ).all()
    db.session.rollback()
    for event_id, task_name in rows:
        assert task_name in celery.tasks, f"no task registered for {task_name}"
        result = celery.tasks[task_name].apply(kwargs={"event_id": event_id})
        assert result.successful(), result.traceback
        assert result.result is True, f"{task_name} found event {event_id} already processed"
    return [task_name for _, task_name in rows]


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


checked_page = page_checker("recruit")


def continue_(page: Page) -> None:
    """Submit the page's form with the keyboard."""
    press_on(page, "main form button[type='submit']")


def test_a_recruit_registers_confirms_completes_the_profile_and_sees_matches_by_keyboard(
    site_server: LiveServer, page: Page
):
    page.goto(site_server.url + "/")
    checked_page(page, "Find a placement in local public service", "home")

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
        run_outbox()
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
    type_into(page, "#travel_limit_miles", "25")
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

    with site_server.app.app_context():
        forget_snapshots()
        assert PERSON_CHANGED in run_outbox()
    press_on(page, "a[href='/matches']")
    checked_page(page, "Your matches", "matches")
    main = page.inner_text("main")
    ranked = page.locator("main h2 a").all_inner_texts()
    assert sorted(ranked) == sorted(TITLES), main
    assert "best match first" in main
    assert main.count("Why it matches") == len(TITLES)
    # Both share the recruit's one theme and skill: saying so on each tells neither apart.
    assert "Shares your interest in" not in main
    assert "from your home" in main and "Can be done remotely" in main, main

    press_on(page, "a[href='/account']")
    checked_page(page, "Your account", "your-account")
    press_on(page, "button.app-link-button")
    checked_page(page, "Find a placement in local public service", "signed-out")
    assert "You have signed out" in page.content()
