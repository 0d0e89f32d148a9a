"""A small allocation round end to end, through links and buttons a person presses: a scheme
manager opens a round, two organisations offer places, five recruits join and rank them, the
allocation job runs, the manager publishes, a recruit reads why from the email's link, and an
organisation confirms the person coming to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import update

from matcher.extensions import db
from matcher.models import Scheme, SchemeManager, User
from matcher.security.passwords import hash_password
from tests.browser.conftest import LiveServer, page_checker
from tests.unit.services.world import build_world, civil_servant, open_placement
from tests.web import PASSWORD, deliver_outbox, delivered, link_in, reference_database, web_app

RECRUITS = 5
# Leeds takes two of the cohort and York three, so all five are placed.
PLACES = (2, 3)


@dataclass
class Round:
    """The live server, its app (to run the jobs a worker would), and who takes part."""

    server: LiveServer
    app: Flask
    manager: str
    scheme: str
    members: list[str]
    titles: list[str]
    recruits: list[str]
    first_name: str


@pytest.fixture
def allocation(tmp_path: Path, sqlite_template: Path) -> Iterator[Round]:
    """Two organisations with an open placement each, five recruits and a scheme's manager."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    app = web_app(tmp_path / "site", database, BASE_URL="http://127.0.0.1:1")
    with app.app_context():
        world = build_world(db.session)
        titles = ["Leeds housing secondment", "York road safety partnership"]
        open_placement(db.session, world, title=titles[0], capacity=PLACES[0])
        open_placement(db.session, world, member=world.admin_b, title=titles[1], capacity=PLACES[1])
        recruits = [world.person, world.other_person]
        recruits += [civil_servant(db.session) for _ in range(RECRUITS - len(recruits))]
        manager = civil_servant(db.session)
        scheme = Scheme(name="Graduate local placements")
        db.session.add(scheme)
        db.session.flush()
        db.session.add(SchemeManager(scheme_id=scheme.id, user_id=manager.id))
        db.session.execute(
            update(User).values(
                password_hash=hash_password(PASSWORD), email_confirmed_at=db.func.now()
            )
        )
        db.session.commit()
        details = (
            manager.email,
            scheme.name,
            [world.member_a.email, world.admin_b.email],
            titles,
            [recruit.email for recruit in recruits],
            recruits[0].display_name,
        )
        db.session.remove()
    with LiveServer(app) as server:
        yield Round(server, app, *details)
    with app.app_context():
        db.engine.dispose()


checked = page_checker("allocation")


def signed_in(browser: Browser, base: str, email: str) -> Page:
    """A new browser of its own, signed in as ``email``."""
    page = browser.new_context().new_page()
    page.goto(base + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type='submit']")
    page.wait_for_load_state()
    return page


def press(page: Page, name: str) -> None:
    """Press the button called ``name`` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def test_a_round_run_end_to_end(allocation: Round, browser: Browser):
    base = allocation.server.url
    manager = signed_in(browser, base, allocation.manager)
    manager.get_by_role("link", name="Your rounds").click()
    manager.get_by_role("link", name="Run your allocation schemes and rounds").click()
    manager.get_by_role("link", name=allocation.scheme).click()
    checked(manager, allocation.scheme, "scheme")
    manager.get_by_role("button", name="Create a round").click()
    manager.fill("#name", "Spring 2027")
    manager.fill("#max_choices", "2")
    press(manager, "Create round")
    checked(manager, "Spring 2027", "round-draft")
    press(manager, "Open the round for organisations to offer places")
    round_url = manager.url

    for member, title, places in zip(allocation.members, allocation.titles, PLACES, strict=True):
        organisation = signed_in(browser, base, member)
        organisation.get_by_role("link", name="Your organisation").click()
        organisation.get_by_role("link", name="Allocation rounds").click()
        organisation.get_by_role("link", name="Spring 2027").click()
        organisation.get_by_role("button", name="Offer a placement").click()
        checked(organisation, "Offer a placement", "offer")
        organisation.get_by_label(title).check()
        organisation.fill("#places", str(places))
        press(organisation, "Offer placement")
        assert title in organisation.inner_text("main")
        organisation.context.close()

    press(manager, "Make a join link")
    join_link = manager.locator("main code").inner_text()
    checked(manager, "The join link", "join-link")
    manager.goto(round_url)
    press(manager, "Open the round for participants to choose")

    recruits = []
    for number, email in enumerate(allocation.recruits):
        recruit = signed_in(browser, base, email)
        recruit.goto(join_link.replace("http://127.0.0.1:1", base))
        press(recruit, "Join the round")
        checked(recruit, "Your choices in Spring 2027", f"choices-{number}")
        # Everyone lists Leeds first; the first recruit then moves York above it, and York has
        # room for them and for the two Leeds turns away.
        for title in allocation.titles:
            press(recruit, f"Add {title}")
        recruits.append(recruit)
    first = recruits[0]
    press(first, f"Move up {allocation.titles[1]}")
    mine = first.inner_text("main ol")
    assert mine.index(allocation.titles[1]) < mine.index(allocation.titles[0])

    manager.goto(round_url)
    manager.get_by_role("button", name="Allocate places").click()
    checked(manager, "Are you sure you want to allocate places?", "confirm-allocate")
    press(manager, "Allocate places")
    with allocation.app.app_context():
        deliver_outbox()  # the allocation job, as a worker runs it
    manager.reload()
    manager.get_by_role("link", name="See how the allocation went").click()
    checked(manager, "How the allocation of Spring 2027 went", "results")
    assert manager.locator("main svg title").first.text_content() == "Participants by result"
    assert "Placed" in manager.inner_text("main table")
    manager.goto(round_url)
    manager.get_by_role("button", name="Publish the results").click()
    press(manager, "Publish the results")
    with allocation.app.app_context():
        deliver_outbox()  # the results emails
        settings = allocation.app.config["MATCHER_SETTINGS"]
        email = delivered(settings, allocation.recruits[0])[-1]
        link = link_in(email, settings.base_url)

    first.goto(base + link)
    checked(first, "Your result in Spring 2027", "result")
    assert "You got your first choice: York road safety partnership" in first.inner_text("main")
    press(first, "Confirm my place")
    assert "You have confirmed this place" in first.inner_text("main")

    organisation = signed_in(browser, base, allocation.members[1])
    organisation.get_by_role("link", name="Your organisation").click()
    organisation.get_by_role("link", name="Allocation rounds").click()
    organisation.get_by_role("link", name="Spring 2027").click()
    checked(organisation, "Spring 2027", "coming")
    press(organisation, f"Confirm {allocation.first_name}")
    assert "You have confirmed this person" in organisation.inner_text("main")
    # Both sides have agreed, so the organisation has the recruit's contact details now.
    assert allocation.recruits[0] in organisation.inner_text("main")
