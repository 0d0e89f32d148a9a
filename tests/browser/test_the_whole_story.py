"""The whole story in one test: a recruit registers and is placed, seen by everyone it touches.

One browser context per person; each opens only its first page by URL and then clicks what a
person would click. Links in emails are followed by opening the URL found in the delivered email.
Workers are not running: outbox tasks (emails and matching) run in-process, in order, exactly as
a worker would run them, and the weekly digests go out through ``flask digests send``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from matcher.clock import london_today
from matcher.demo.seed import DEMO_PASSWORD, seed_demo
from matcher.digests.periods import period_for
from matcher.extensions import db
from matcher.models import DigestKind, utcnow
from matcher.stored_matches.snapshot import forget_snapshots
from tests.browser.conftest import LiveServer, assert_accessible, keep_screenshot
from tests.browser.test_recruit_journey import run_outbox
from tests.web import delivered, link_in, reference_database, web_app

RECRUIT = "sam.story@cabinetoffice.gov.uk"
RECRUIT_NAME = "Sam Story"
PASSWORD = "a long walk through local services"
OFFICER = "officer@leeds.gov.uk"
ADMINISTRATOR = "admin@matcher.localhost"
TITLE = "Leeds adult social care data secondment"
MESSAGE = "Start on the first Monday of the month.\nCall Jo on 0113 000 0000 before then."


@pytest.fixture
def story_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app with reference data and README's demo accounts (no bulk people or placements)."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        seed_demo(db.session, people=0, placements=0, seed=2026, today=london_today())
        db.session.commit()
        db.session.remove()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


class Story:
    """The live server, its outbox and mail, and the screenshots numbered in order."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.settings = server.app.config["MATCHER_SETTINGS"]
        self.shots = 0

    def seen(self, page: Page, title: str, name: str) -> str:
        """Check the page a person landed on: its title, axe, a screenshot; return main's text."""
        page.wait_for_load_state()
        assert page.title().startswith(title), page.title()
        assert_accessible(page)
        self.shots += 1
        keep_screenshot(page, f"story-{self.shots:02d}-{name}")
        return page.inner_text("main")

    def on_a_phone(self, page: Page, name: str) -> None:
        """Keep a screenshot of the page at a phone's width (390 px), then go back to desktop."""
        page.set_viewport_size({"width": 390, "height": 844})
        keep_screenshot(page, f"story-{self.shots:02d}-{name}-390")
        page.set_viewport_size({"width": 1024, "height": 768})

    def read_email(self, page: Page, message: EmailMessage, name: str) -> str:
        """Open an email's HTML part in a fresh tab, as a mail reader would; return its text."""
        tab = page.context.new_page()
        tab.set_content(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
        text = tab.inner_text("body")
        assert not re.search(r"<a |</|&lt;|&gt;", text), text
        self.shots += 1
        keep_screenshot(tab, f"story-{self.shots:02d}-{name}")
        tab.close()
        return text

    def work(self) -> list[str]:
        """Run what a worker would run now: every pending outbox task, matching included."""
        with self.server.app.app_context():
            # The live server shares this process; matching must not reuse its cached snapshot.
            forget_snapshots()
            return run_outbox()

    def mail_to(self, to: str, subject: str) -> EmailMessage:
        """The newest delivered email to ``to`` whose subject contains ``subject``."""
        found = [m for m in delivered(self.settings, to) if subject in str(m["Subject"])]
        assert found, [str(m["Subject"]) for m in delivered(self.settings, to)]
        return found[-1]

    def link(self, message: EmailMessage) -> str:
        """The first link to the service in ``message``, as an address on the live server."""
        return self.server.url + link_in(message, self.settings.base_url)


def click(page: Page, selector: str) -> None:
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def nav(page: Page, text: str) -> None:
    """Follow a link in the service navigation."""
    click(page, f".govuk-service-navigation a:has-text('{text}')")


def fill_date(page: Page, name: str, day: date) -> None:
    """Type a date into a GOV.UK date input."""
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def sign_in(story: Story, page: Page, email: str, password: str, shot: str) -> str:
    """Sign in from the page the person is on, through the header's link."""
    click(page, "header a:has-text('Sign in'), main a[href='/sign-in']")
    story.seen(page, "Sign in", f"{shot}-sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    click(page, "main form button[type='submit']")
    return story.seen(page, "", f"{shot}-signed-in")


def next_question(page: Page) -> None:
    """Continue to the next question page."""
    click(page, "main form button[type='submit']")


def test_a_recruit_is_placed_and_everyone_sees_it(story_server: LiveServer, browser: Browser):
    story = Story(story_server)
    base = story_server.url
    today = london_today()
    contexts = [browser.new_context(viewport={"width": 1024, "height": 768}) for _ in range(3)]
    recruit, officer, administrator = (context.new_page() for context in contexts)
    try:
        # 1. The recruit registers and confirms from the delivered email.
        recruit.goto(base + "/")
        story.seen(recruit, "Find a placement in local public service", "home")
        click(recruit, "main a[href='/register']")
        story.seen(recruit, "Create an account", "register")
        recruit.check("input[name='role'][value='civil_servant']")
        recruit.fill("#display_name", RECRUIT_NAME)
        recruit.fill("#email", RECRUIT)
        recruit.fill("#password", PASSWORD)
        click(recruit, "main form button[type='submit']")
        main = story.seen(recruit, "Check your email", "check-your-email")
        assert "We have sent you an email" in main
        story.work()
        recruit.goto(story.link(story.mail_to(RECRUIT, "Confirm")))
        story.seen(recruit, "Email address confirmed", "email-confirmed")
        click(recruit, "main a[href='/sign-in']")
        story.seen(recruit, "Sign in", "recruit-sign-in")
        recruit.fill("#email", RECRUIT)
        recruit.fill("#password", PASSWORD)
        click(recruit, "main form button[type='submit']")

        # 2. The recruit completes the profile, one question a page.
        story.seen(recruit, "Your profile", "profile-start")
        click(recruit, "main a.govuk-button--start")
        story.seen(recruit, "Which department", "profile-department")
        recruit.select_option("#department_id", label="Cabinet Office")
        next_question(recruit)
        story.seen(recruit, "What is your grade", "profile-grade")
        recruit.get_by_label("Higher Executive Officer").check()
        next_question(recruit)
        story.seen(recruit, "What is your profession", "profile-profession")
        recruit.select_option("#profession_id", label="Policy")
        next_question(recruit)
        story.seen(recruit, "Which policy themes", "profile-themes")
        recruit.check("input[name='theme_ids'] >> nth=0")
        next_question(recruit)
        story.seen(recruit, "What are your skills", "profile-skills")
        recruit.check("input[name='skill_ids'] >> nth=0")
        next_question(recruit)
        story.seen(recruit, "Where do you live", "profile-location")
        recruit.fill("#postcode", "LS2 9JT")
        next_question(recruit)
        story.seen(recruit, "Travel and remote work", "profile-travel")
        recruit.fill("#travel_limit_miles", "20")
        recruit.check("input[name='remote_ok'][value='yes']")
        next_question(recruit)
        story.seen(recruit, "When are you available", "profile-availability")
        fill_date(recruit, "available_from", today + timedelta(days=30))
        next_question(recruit)
        story.seen(recruit, "What kind of placement", "profile-kinds")
        recruit.check("input[name='wanted_kinds'][value='secondment']")
        recruit.check("input[name='hours'][value='full_time']")
        next_question(recruit)
        story.seen(recruit, "Tell organisations about yourself", "profile-about")
        recruit.fill("#about", "I work on adult social care policy and want to see delivery.")
        next_question(recruit)
        story.seen(recruit, "Can organisations find your profile", "profile-discoverable")
        recruit.check("input[name='discoverable'][value='yes']")
        next_question(recruit)
        story.seen(recruit, "How often should we email you", "profile-emails")
        recruit.check("input[name='digest_frequency'][value='weekly']")
        next_question(recruit)
        main = story.seen(recruit, "Check your answers", "profile-check")
        assert "LS2 9JT" in main and "Cabinet Office" in main
        next_question(recruit)
        story.seen(recruit, "Profile complete", "profile-complete")
        story.work()

        # 3. The Leeds officer from README's demo accounts posts and publishes a placement.
        officer.goto(base + "/")
        sign_in(story, officer, OFFICER, DEMO_PASSWORD, "officer")
        nav(officer, "Your placements")
        story.seen(officer, "Your placements", "officer-placements")
        click(officer, "main a:has-text('Post a placement')")
        story.seen(officer, "Post a placement", "officer-placement-form")
        officer.fill("#title", TITLE)
        officer.fill("#summary", "Help the council join up adult social care records.")
        officer.fill(
            "#description",
            "Six months with the adult social care team.\n\nYou will work with data analysts.",
        )
        officer.check("input[name='kind'][value='secondment']")
        officer.locator("input[name='theme_ids']").first.check()
        officer.locator("input[name='skill_ids']").first.check()
        officer.select_option("#grade_min", "EO")
        officer.select_option("#grade_max", "G7")
        officer.fill("#location_postcode", "LS1 1UR")
        fill_date(officer, "closing_date", today + timedelta(days=21))
        fill_date(officer, "start_date", today + timedelta(days=60))
        officer.fill("#duration_weeks", "26")
        officer.check("input[name='hours'][value='full_time']")
        officer.fill("#capacity", "1")
        click(officer, "main form button[type='submit']")
        main = story.seen(officer, "Check your answers", "officer-placement-check")
        assert TITLE in main
        click(officer, "main form button:has-text('Save as draft')")
        main = story.seen(officer, TITLE, "officer-placement-draft")
        assert "Draft" in main
        click(officer, "main a:has-text('Publish placement')")
        story.seen(officer, "Publish this placement?", "officer-publish-confirm")
        click(officer, "main form button[type='submit']")
        main = story.seen(officer, TITLE, "officer-placement-published")
        assert "Open" in main

        # 4. Matching: the worker's task for the published placement scores it against everyone
        # (run in-process here, as a worker would run it); it reaches the recruit's matches.
        story.work()
        nav(recruit, "Your matches")
        main = story.seen(recruit, "Your matches", "recruit-matches")
        assert TITLE in main, main
        assert "Why it matches" in main
        assert "Shares your interest in" in main

        # 5. The recruit says interested.
        click(recruit, "main form[action$='/interested'] button")
        main = story.seen(recruit, f"Your interest in {TITLE}", "recruit-interested")
        assert "We have told the organisation" in main
        story.work()

        # 6. The officer finds the recruit from "Your placements", shortlists and offers.
        nav(officer, "Your placements")
        main = story.seen(officer, "Your placements", "officer-placements-interest")
        click(officer, "main a:has-text('1 interested')")
        main = story.seen(officer, f"People for {TITLE}", "officer-people")
        assert RECRUIT_NAME in main
        story.on_a_phone(officer, "officer-people")
        click(officer, f"main table a:has-text('{RECRUIT_NAME}')")
        main = story.seen(officer, f"{RECRUIT_NAME}\u2019s interest in {TITLE}", "officer-interest")
        assert RECRUIT in main and "Cabinet Office" in main
        click(officer, "main form button:has-text('Shortlist')")
        main = story.seen(officer, "", "officer-shortlisted")
        assert "Shortlisted" in main
        click(officer, "main a:has-text('Offer the placement')")
        story.seen(officer, f"Offer {TITLE} to {RECRUIT_NAME}", "officer-offer")
        officer.fill("textarea[name='message']", MESSAGE)
        click(officer, "main form button[type='submit']")
        main = story.seen(officer, "", "officer-offered")
        assert "You have offered" in main
        story.work()

        # 7. The recruit opens the offer email, follows its link and accepts.
        offer = story.mail_to(RECRUIT, "offer")
        recruit.goto(story.link(offer))
        main = story.seen(recruit, f"Your interest in {TITLE}", "recruit-offer")
        assert "Call Jo on 0113 000 0000 before then." in main
        click(recruit, "main form[action$='/accept'] button")
        main = story.seen(recruit, f"Your interest in {TITLE}", "recruit-accepted")
        assert "You have accepted the offer" in main
        assert "What happens next" in main
        assert "Jo Whitaker at Leeds Council will get in touch" in main
        assert OFFICER in main
        # Accepting took the only place: the placement is filled, and its public page gone, so
        # the recruit's page names it without a link that would answer "Page not found".
        assert recruit.locator(f"main a:has-text('{TITLE}')").count() == 0
        story.on_a_phone(recruit, "recruit-accepted")
        story.work()

        # 8. The placement is filled: the officer sees it, and it no longer takes interest.
        nav(officer, "Your placements")
        main = story.seen(officer, "Your placements", "officer-placements-filled")
        assert "Filled" in main
        click(officer, f"main a:has-text('{TITLE}')")
        main = story.seen(officer, TITLE, "officer-placement-filled")
        assert "Filled" in main
        nav(recruit, "Your matches")
        main = story.seen(recruit, "Your matches", "recruit-matches-after")
        assert TITLE not in main
        nav(recruit, "Find a placement")
        main = story.seen(recruit, "Find a placement", "recruit-search-after")
        assert TITLE not in main

        # 9. The weekly digests go out for this week, as `flask digests send` sends them.
        period = period_for(DigestKind.WEEKLY, utcnow())
        result = story_server.app.test_cli_runner().invoke(
            args=["digests", "send", "--period", period]
        )
        assert result.exit_code == 0, result.output
        text = story.read_email(recruit, story.mail_to(RECRUIT, "digest"), "recruit-digest")
        assert f"Hello {RECRUIT_NAME}" in text
        assert "Updates on your interests" in text
        assert "Your acceptance is confirmed" in text, text
        assert "offered" not in text
        assert TITLE not in text.split("Updates on your interests")[0], "still offered as a match"
        text = story.read_email(officer, story.mail_to(OFFICER, "digest"), "officer-digest")
        assert "Hello Jo Whitaker" in text
        assert f"Offers accepted\n\n{TITLE}\n\n1 person accepted your offer." in text, text
        assert "Every place is taken: the placement is now filled." in text

        # 10. README's demo administrator sees it all in the audit log.
        administrator.goto(base + "/")
        sign_in(story, administrator, ADMINISTRATOR, DEMO_PASSWORD, "administrator")
        nav(administrator, "Administration")
        story.seen(administrator, "Administration", "admin-home")
        click(administrator, "main a:has-text('Audit log')")
        main = story.seen(administrator, "Audit log", "admin-audit")
        story.on_a_phone(administrator, "admin-audit")
        rows = administrator.locator("main table tbody tr").all_inner_texts()
        seen = [" ".join(row.split()) for row in rows]
        for who, action in (
            ("Jo Whitaker", "placement.publish"),
            ("Jo Whitaker", "interest.shortlist"),
            ("Jo Whitaker", "interest.offer"),
            (RECRUIT_NAME, "interest.accept"),
            ("The service", "placement.mark_filled"),
        ):
            assert any(who in row and f" {action} " in row for row in seen), (who, action, seen)
    finally:
        for context in contexts:
            context.close()
