"""Every email the service sends, delivered for real, read in Chromium, and every link followed.

Each step of the journey below makes the service send one kind of email (one template); the
delivered .eml files are opened in the browser (no markup may show as text) and every link in
both parts is opened on the running server as its recipient would: signed in when the page
asks for it. A template in matcher/templates/email/ that no step sends fails the test, so new
emails are checked as soon as they exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser
from sqlalchemy import select, update

from matcher.clock import set_now
from matcher.digests.periods import period_for
from matcher.digests.sending import Pacer, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.mail.message import TEMPLATES_DIR
from matcher.mail.wire import KIND_HEADER
from matcher.models import (
    DigestKind,
    InterestStatus,
    JoinRequest,
    Placement,
    Role,
    RoundState,
    User,
    utcnow,
)
from matcher.security.passwords import hash_password
from matcher.services import (
    accounts,
    interests,
    memberships,
    organisations,
    reflections,
    round_participants,
    round_places,
    rounds,
    schemes,
)
from matcher.services.allocation_runs import allocate_round
from matcher.services.rounds import RoundSettings
from tests import builders
from tests.browser.conftest import LiveServer, keep_screenshot
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.waiting import unused_port
from tests.web import PASSWORD, deliver_outbox, reference_database, web_app

MARKUP_AS_TEXT = ("<a ", "</", "&lt;", "&gt;")
WIDTHS = {"desktop": 1024, "phone": 390}


@dataclass
class Sent:
    """One delivered email, the template it came from, and who follows its links."""

    template: str
    message: EmailMessage
    # The address its recipient signs in with.
    account: str


@dataclass
class Site:
    """The running server and the app behind it."""

    app: Flask
    server: LiveServer


@pytest.fixture
def site(tmp_path: Path, sqlite_template: Path) -> Iterator[Site]:
    """The app served on a port its BASE_URL names, so links in emails reach it."""
    database = reference_database(sqlite_template, tmp_path / "reference")
    port = unused_port()
    app = web_app(tmp_path / "site", database, BASE_URL=f"http://127.0.0.1:{port}")
    with LiveServer(app, port) as server:
        yield Site(app, server)
    with app.app_context():
        db.engine.dispose()


def _read_outbox(folder: Path, seen: set[Path]) -> list[EmailMessage]:
    from email import message_from_bytes, policy

    fresh = sorted(
        (path for path in folder.glob("*.eml") if path not in seen),
        key=lambda path: path.stat().st_mtime_ns,
    )
    seen.update(fresh)
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in fresh
    ]


class Journey:
    """Runs steps through the services and collects what each one delivered."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.outbox = app.config["MATCHER_SETTINGS"].mail_outbox_dir
        self.seen: set[Path] = set()
        self.sent: list[Sent] = []

    def step(
        self, template: str, action: Callable[[], object], *, also: tuple[str, ...] = ()
    ) -> list[Sent]:
        """Run ``action``, commit, deliver the outbox; every new email is ``template``'s, or
        one of ``also``'s when the action sends several kinds (as its kind header says)."""
        action()
        db.session.commit()
        deliver_outbox()
        messages = _read_outbox(self.outbox, self.seen)
        assert messages, f"no email was delivered by the {template} step"
        sent = []
        for message in messages:
            address = message["To"].addresses[0].addr_spec
            kind = message[KIND_HEADER] if also else template
            assert kind in (template, *also), f"the {template} step sent a {kind} email"
            sent.append(Sent(kind, message, address))
        self.sent.extend(sent)
        return sent


def _confirmed(email: str, role: Role = Role.ORGANISATION_MEMBER) -> User:
    user = builders.user(db.session, role=role, email=email)
    user.password_hash = hash_password(PASSWORD)
    user.email_confirmed_at = utcnow()
    return user


def _send_digests(app: Flask) -> None:
    settings = app.config["MATCHER_SETTINGS"]
    period = period_for(DigestKind.WEEKLY, utcnow())
    plan_period(db.session, DigestKind.WEEKLY, period, utcnow())
    db.session.commit()
    send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, period),
        lambda: OutboxFolderBackend(settings.mail_outbox_dir),
        Pacer(0),
    )


def _every_email(journey: Journey, world: World) -> None:
    """Make the service send each of its emails at least once."""
    settings = journey.app.config["MATCHER_SETTINGS"]
    domains = settings.government_email_domains
    session = db.session

    journey.step(
        "confirm_email",
        lambda: accounts.register(
            session,
            email="new.recruit@cabinetoffice.gov.uk",
            password=PASSWORD,
            display_name="Nia Recruit",
            role=Role.CIVIL_SERVANT,
            government_domains=domains,
        ),
    )
    journey.step(
        "account_exists",
        lambda: accounts.register(
            session,
            email=world.person.email,
            password=PASSWORD,
            display_name="Someone Else",
            role=Role.CIVIL_SERVANT,
            government_domains=domains,
        ),
    )
    journey.step(
        "password_reset", lambda: accounts.request_password_reset(session, world.person.email)
    )

    proposer = _confirmed("lead@partnership.example.org")
    session.commit()
    proposed = memberships.propose_organisation(
        session, proposer.id, name="Humber Partnership", kind="regional_partnership"
    )
    journey.step(
        "organisation_verified",
        lambda: organisations.verify_organisation(
            session, actor_id=world.platform_admin.id, organisation_id=proposed.id
        ),
    )

    newcomer = _confirmed("newcomer@elsewhere.example.org")
    session.commit()
    journey.step(
        "join_request_received",
        lambda: memberships.request_to_join(session, newcomer.id, world.org_a.id),
    )
    request_id = session.scalar(select(JoinRequest.id).where(JoinRequest.user_id == newcomer.id))
    journey.step(
        "join_request_decided",
        lambda: memberships.approve_join_request(session, world.admin_a.id, request_id),
    )
    # An invitee with an account already, who signs in to accept.
    _confirmed("analyst@elsewhere.example.org")
    session.commit()
    journey.step(
        "membership_invitation",
        lambda: memberships.invite_member(
            session, world.admin_a.id, world.org_a.id, "analyst@elsewhere.example.org"
        ),
    )

    placement = open_placement(session, world, title="Leeds social care secondment")
    session.commit()
    journey.step(
        "interest_changed",
        lambda: interest_in(session, world, placement, InterestStatus.ACCEPTED),
    )
    invited = open_placement(session, world, title="Community safety partnership project")
    session.commit()
    journey.step(
        "interest_invitation",
        lambda: interests.invite_to_express_interest(
            session, world.member_a.id, invited.id, world.other_person.id
        ),
    )
    # Interest in a placement still open, for the organisation's digest to report.
    journey.step(
        "interest_changed",
        lambda: interests.express_interest(session, world.other_person.id, invited.id),
    )
    digests = journey.step("digest", lambda: _send_digests(journey.app))
    roles = {
        session.scalar(select(User.role).where(User.email == sent.account)) for sent in digests
    }
    assert {Role.CIVIL_SERVANT, Role.ORGANISATION_MEMBER} <= roles, "a digest for each side"

    _publish_a_round(journey, world)
    _ask_for_reflections(journey, placement)

    # Last: following this link moves the account to the new address, which then signs in.
    new_address = "moved.on@cabinetoffice.gov.uk"
    journey.step(
        "change_email",
        lambda: accounts.request_email_change(
            session,
            user_id=world.other_person.id,
            password=PASSWORD,
            new_email=new_address,
            government_domains=domains,
        ),
    )


def _ask_for_reflections(journey: Journey, placement: Placement) -> None:
    """Let the accepted placement end: its secondee and its host's members are asked to reflect.
    The clock goes back afterwards, so the other emails' links are followed today."""
    today = utcnow()
    ends_on = placement.start_date + timedelta(weeks=placement.duration_weeks)
    set_now(datetime.combine(ends_on, time(9), tzinfo=UTC))
    try:
        settings = journey.app.config["MATCHER_SETTINGS"]
        journey.step("reflection_request", lambda: reflections.ask_for_due(db.session, settings))
    finally:
        set_now(today)


def _publish_a_round(journey: Journey, world: World) -> None:
    """Invite someone to a one-place allocation round, then publish it: its participant and
    the members of the organisation whose place is in it are told."""
    session = db.session
    admin = world.platform_admin.id
    domains = journey.app.config["MATCHER_SETTINGS"].government_email_domains
    scheme = schemes.create_scheme(session, admin, name="Fast Stream local", department_id=None)
    allocation_round = rounds.create_round(
        session, admin, scheme.id, RoundSettings(name="Spring 2027", max_choices=3)
    )
    rounds.advance(session, admin, allocation_round.id, RoundState.COLLECTING_PLACES)
    placement = open_placement(session, world, title="Leeds housing secondment")
    place = round_places.offer_place(
        session, world.member_a.id, allocation_round.id, placement.id, 1
    )
    journey.step(
        "round_invitation",
        lambda: round_participants.invite(
            session,
            admin,
            allocation_round.id,
            [world.other_person.email],
            government_domains=domains,
        ),
    )
    secret = round_participants.make_join_link_secret(session, admin, allocation_round.id)
    round_participants.join_by_link(session, world.person.id, secret, government_domains=domains)
    rounds.advance(session, admin, allocation_round.id, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(session, world.person.id, allocation_round.id, [place.id])
    rounds.advance(session, admin, allocation_round.id, RoundState.ALLOCATING)
    allocate_round(session, allocation_round.id, by=None)
    session.commit()
    journey.step(
        "round_results_participant",
        lambda: rounds.advance(session, admin, allocation_round.id, RoundState.PUBLISHED),
        also=("round_results_organisation",),
    )


def _links(html_links: list[str], text: str) -> list[str]:
    found = html_links + [link.rstrip(".,;:)") for link in re.findall(r"https?://\S+", text)]
    return list(dict.fromkeys(link for link in found if not link.startswith("mailto:")))


def _check(browser: Browser, base_url: str, sent: Sent, number: int) -> None:
    """Read ``sent`` in the browser, then open each of its links as its recipient."""
    label = f"{sent.template} to {sent.message['To']}"
    html = sent.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = sent.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for markup in MARKUP_AS_TEXT:
        assert markup not in text, f"{label}: {markup!r} in the plain-text part"
    reader = browser.new_context()
    page = reader.new_page()
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 800})
        page.set_content(html)
        shown = page.evaluate("document.body.innerText")
        for markup in MARKUP_AS_TEXT:
            assert markup not in shown, f"{label}: {markup!r} shown as text"
        keep_screenshot(page, f"emails/{number:02d}-{sent.template}-{width_name}")
    links = _links(page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"), text)
    reader.close()
    assert links, f"{label} has no link"

    visitor = browser.new_context()
    tab = visitor.new_page()
    for link in links:
        assert link.startswith(base_url + "/"), f"{label}: {link} leaves the service"
        response = tab.goto(link)
        asked_to_sign_in = urlsplit(tab.url).path == "/sign-in" != urlsplit(link).path
        if asked_to_sign_in:
            # As the recipient would: sign in on the page the link led to, and go on from there.
            tab.fill("#email", sent.account)
            tab.fill("#password", PASSWORD)
            with tab.expect_navigation() as navigation:
                tab.click("main form button[type='submit']")
            response = navigation.value
        assert response is not None and response.status == 200, (
            f"{label}: {link} answered {response and response.status} at {tab.url}"
        )
        if urlsplit(link).path != "/sign-in":
            assert urlsplit(tab.url).path != "/sign-in", f"{label}: {link} still asks to sign in"
        if re.fullmatch(r"/digest/\d+", urlsplit(tab.url).path):
            for width_name, width in WIDTHS.items():
                tab.set_viewport_size({"width": width, "height": 800})
                keep_screenshot(tab, f"emails/{number:02d}-digest-on-the-web-{width_name}")
    visitor.close()


def test_every_email_reads_well_and_every_link_opens_for_its_recipient(
    site: Site, browser: Browser
):
    app = site.app
    with app.app_context():
        world = build_world(db.session)
        db.session.execute(
            update(User).values(password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
        )
        db.session.commit()
        journey = Journey(app)
        _every_email(journey, world)
        db.session.remove()

    templates = {path.stem for path in TEMPLATES_DIR.glob("*.html")}
    exercised = {sent.template for sent in journey.sent}
    assert templates - exercised == set(), "emails no step of this test sends"

    base_url = app.config["MATCHER_SETTINGS"].base_url
    assert base_url == site.server.url
    for number, sent in enumerate(journey.sent, start=1):
        _check(browser, base_url, sent, number)
