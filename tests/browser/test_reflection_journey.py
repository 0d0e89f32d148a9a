"""A placement ends: the secondee follows the reflection email's link, fills the form, allows a
quote, and the quote appears on the host organisation's public page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser

from matcher.clock import set_now
from matcher.extensions import app_settings, db
from matcher.models import InterestStatus, utcnow
from matcher.services import reflections
from tests.browser.conftest import ARTIFACTS, assert_accessible
from tests.live import LiveServer
from tests.unit.services.world import build_world, interest_in, open_placement
from tests.waiting import unused_port
from tests.web import deliver_outbox, delivered, link_in, reference_database, web_app

LEARNED = "How a police force and two councils share one safeguarding hub."


def test_a_secondee_reflects_from_the_email_and_is_quoted_on_the_hosts_page(
    tmp_path: Path, sqlite_template: Path, browser: Browser
):
    port = unused_port()
    base_url = f"http://127.0.0.1:{port}"
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL=base_url)
    today = utcnow()
    try:
        _journey(app, base_url, browser)
    finally:
        set_now(today)
    with app.app_context():
        db.engine.dispose()


def _journey(app: Flask, base_url: str, browser: Browser) -> None:
    with app.app_context(), LiveServer(app, int(base_url.rsplit(":", 1)[1])) as server:
        world = build_world(db.session)
        placement = open_placement(db.session, world, title="Safeguarding hub", duration_weeks=4)
        interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
        db.session.commit()
        ends_on = placement.start_date + timedelta(weeks=4)
        set_now(datetime.combine(ends_on, time(9), tzinfo=UTC))
        reflections.ask_for_due(db.session, app_settings())
        db.session.commit()
        deliver_outbox()
        email = delivered(app_settings(), world.person.email)[-1]
        assert email["Subject"] == f"How did your placement with {world.org_a.name} go?"
        link = link_in(email, base_url)
        organisation_page = f"{server.url}/organisations/{world.org_a.id}"

        context = browser.new_context(viewport={"width": 390, "height": 800})
        tab = context.new_page()
        tab.goto(server.url + link)
        assert tab.locator("h1").inner_text() == "Reflect on your placement"
        assert_accessible(tab)
        tab.click("main form button[type='submit']")
        assert tab.locator(".govuk-error-summary").is_visible()
        assert tab.title().startswith("Error: ")
        tab.fill("#learned", LEARNED)
        tab.fill("#informed", "The safeguarding partnership guidance")
        tab.check("input[name='recommend'][value='yes']")
        tab.check("input[name='rating'][value='5']")
        tab.check("input[name='may_quote'][value='yes']")
        tab.screenshot(path=str(ARTIFACTS / "reflection-form-filled.png"), full_page=True)
        tab.click("main form button[type='submit']")
        assert tab.locator("h1").inner_text() == "Reflection sent"
        assert_accessible(tab)
        tab.click("text=" + world.org_a.name + "'s page")
        assert tab.url == organisation_page
        assert LEARNED in tab.locator("main").inner_text()
        assert world.person.display_name not in tab.locator("main").inner_text()
        assert_accessible(tab)
        context.close()
        db.session.remove()
