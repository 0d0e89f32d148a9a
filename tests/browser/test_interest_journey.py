"""A recruit with stored matches says interested; the organisation offers; the recruit accepts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select, update

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    Match,
    PlacementKind,
    Profession,
    User,
)
from matcher.security.passwords import hash_password
from matcher.services.profiles import ProfileAnswers, save_profile
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import forget_snapshots
from tests.browser.conftest import LiveServer, page_checker
from tests.unit.services.world import build_world, open_placement
from tests.web import PASSWORD, reference_database, web_app


@dataclass
class Journey:
    """The live server and who takes part."""

    server: LiveServer
    recruit_email: str
    member_email: str
    placement_id: int
    title: str


@pytest.fixture
def journey(tmp_path: Path, sqlite_template: Path) -> Iterator[Journey]:
    """A recruit with a completed profile, an open placement and matches from a real rebuild."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        world = build_world(db.session)
        placement = open_placement(db.session, world, title="Leeds social care secondment")
        db.session.execute(
            update(User).values(
                password_hash=hash_password(PASSWORD), email_confirmed_at=db.func.now()
            )
        )
        grade = db.session.scalar(select(Grade.rank).where(Grade.code == "HEO"))
        save_profile(
            db.session,
            user_id=world.person.id,
            answers=ProfileAnswers(
                department_id=db.session.scalar(select(Department.id).order_by(Department.id)),
                grade_rank=grade,
                profession_id=db.session.scalar(select(Profession.id).order_by(Profession.id)),
                theme_ids=tuple(world.theme_ids[:1]),
                skill_ids=tuple(world.skill_ids[:1]),
                postcode="LS2 9JT",
                region_code=None,
                travel_limit_km=50,
                remote_ok=True,
                available_from=london_today() + timedelta(days=30),
                available_until=None,
                wanted_kinds=(PlacementKind.SECONDMENT,),
                hours=Hours.FULL_TIME,
                about="Social care policy, keen to see delivery in Leeds.",
                discoverable=True,
                digest_frequency=DigestFrequency.NEVER,
            ),
        )
        db.session.commit()
        forget_snapshots()
        rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
        assert db.session.scalar(select(Match).where(Match.person_id == world.person.id)), (
            "the engine found no match"
        )
        details = (world.person.email, world.member_a.email, placement.id, placement.title)
        db.session.remove()
    with LiveServer(app) as server:
        yield Journey(server, *details)
    with app.app_context():
        db.engine.dispose()


checked = page_checker("interest")


def sign_in(page: Page, base: str, email: str) -> None:
    """Sign in through the sign-in page."""
    page.goto(base + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type='submit']")
    page.wait_for_load_state()


def test_interest_followed_to_an_accepted_offer(journey: Journey, page: Page, browser: Browser):
    base = journey.server.url
    sign_in(page, base, journey.recruit_email)
    page.goto(base + "/matches")
    checked(page, "Your matches", "matches")
    assert journey.title in page.inner_text("main")
    assert "Shares your interest in" in page.inner_text("main")

    page.click(f"form[action='/matches/{journey.placement_id}/interested'] button")
    checked(page, f"Your interest in {journey.title}", "interest-interested")
    assert "We have told the organisation" in page.inner_text("main")
    interest_url = page.url
    page.goto(base + "/interests")
    checked(page, "Your interests", "interests")

    member = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    sign_in(member, base, journey.member_email)
    people = f"{base}/placements/{journey.placement_id}/interests"
    # The officer finds the people page from "Your placements", not only from an email.
    member.goto(base + "/organisation/placements")
    checked(member, "Your placements", "your-placements")
    member.click("main a:has-text('1 interested')")
    checked(member, f"People for {journey.title}", "organisation-interested")
    member.click("main table a:has-text('Person')")
    checked(member, "", "organisation-interest-profile")
    assert journey.recruit_email in member.inner_text("main")
    member.goto(people)
    member.click("form[action$='/shortlist'] button")
    checked(member, f"People for {journey.title}", "organisation-shortlisted")
    assert "Shortlisted" in member.inner_text("main table")
    member.click("main a[href$='/offer']")
    checked(member, f"Offer {journey.title}", "organisation-offer")
    member.fill("textarea[name='message']", "Start on 2 March.\nCall Jo on 0113 000 0000 first.")
    member.click("main form button[type='submit']")
    checked(member, "", "organisation-offered")
    assert "You have offered" in member.inner_text("main")
    member.goto(people)
    assert "Offered" in member.inner_text("main table")

    page.goto(interest_url)
    checked(page, f"Your interest in {journey.title}", "interest-offered")
    assert "Call Jo on 0113 000 0000 first." in page.inner_text("main")
    page.click("form[action$='/accept'] button")
    checked(page, f"Your interest in {journey.title}", "interest-accepted")
    assert "You have accepted the offer" in page.inner_text("main")
    assert "Accepted" in page.inner_text("main dl")
    assert "What happens next" in page.inner_text("main")
    assert journey.member_email in page.inner_text("main")

    member.goto(people)
    checked(member, f"People for {journey.title}", "organisation-accepted")
    assert "Accepted" in member.inner_text("main table")
    member.goto(interest_url)
    checked(member, "", "organisation-interest-history")
    member.context.close()
