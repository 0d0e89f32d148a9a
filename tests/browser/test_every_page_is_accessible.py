"""Every HTML GET page of the app, for every role, passes axe-core's WCAG 2.2 AA rules.

Each page must also read as a person sees it: no markup shown as text, every question in
words, one main heading, nothing wider than a 390 px phone screen, and no link that leaves the
service. ``MATCHER_SCREENSHOTS=1`` (``make screenshots``) photographs every page at 390 px too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select, update

from matcher.clock import london_today
from matcher.digests.links import unsubscribe_token
from matcher.digests.sending import Pacer, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.models import (
    ConfirmationDecision,
    DeliveryStatus,
    Department,
    DigestDelivery,
    DigestFrequency,
    DigestKind,
    Grade,
    Hours,
    InterestStatus,
    Match,
    Membership,
    PlacementKind,
    Profession,
    Reflection,
    ReflectionSide,
    Role,
    RoundState,
    Theme,
    User,
    utcnow,
)
from matcher.security.passwords import hash_password
from matcher.services import (
    memberships,
    practice_notes,
    round_participants,
    round_places,
    rounds,
    schemes,
)
from matcher.services import placements as placement_service
from matcher.services.accounts import (
    confirmation_token,
    email_change_token,
    password_reset_token,
)
from matcher.services.allocation_results import answer_as_participant
from matcher.services.allocation_runs import allocate_round
from matcher.services.profiles import ProfileAnswers, save_profile
from matcher.services.reflections import ReflectionAnswers, reflect, reflection_token
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import forget_snapshots
from matcher.web.guides import GUIDES
from matcher.web.views.profile import STEPS
from tests import builders
from tests.browser.conftest import LiveServer, assert_accessible, keep_screenshot
from tests.unit.services.world import (
    World,
    build_world,
    draft,
    interest_in,
    open_placement,
    published_note,
    verified_organisation,
)
from tests.web import PASSWORD, confirmed_user, reference_database, web_app

# GET endpoints that are not HTML pages, each with the reason it is not checked.
NOT_PAGES = {
    "static": "our own CSS, JavaScript and images",
    "govuk_assets.static": "GOV.UK Frontend's fonts, images and scripts",
    "health.healthz": "a plain-text liveness probe for the platform",
    "health.readyz": "a plain-text readiness probe for the platform",
    "observability.metrics": "Prometheus's scrape, behind a bearer token",
    "accounts.account_data": "a JSON download of the person's data, not a page",
    "api_docs.openapi_json": "the API's OpenAPI document; tests/integration/test_api_contract.py",
    "schemes.results_csv": "a CSV download of a round's results, not a page",
    "schemes.invite_sample": "a sample CSV file of addresses to invite, not a page",
    "round_offers.places_csv": "a CSV download of an organisation's places in rounds, not a "
    "page; the organisation administrator's walk follows its link",
    "insights.public_csv": "a CSV download of one table of the insights, not a page",
    "insights.admin_csv": "a CSV download of one table of the raw insights, not a page",
    "feed.atom": "the Atom feed; tests/unit/web/test_insights_pages.py parses it",
}
# The JSON API's operations are not pages either; the contract test covers every one.
API_BLUEPRINT = "api_v1."
UNCONFIRMED = "not.yet@cabinetoffice.gov.uk"
UNATTACHED = "new.starter@c-council.example.gov.uk"
# The address the app writes in its emails' links; the walk counts it as the service's own.
BASE_URL = "http://127.0.0.1:1"
DESKTOP = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
# Links every GOV.UK footer carries: the content licence and Crown copyright.
GOVUK_FOOTER_LINKS = {
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "https://www.nationalarchives.gov.uk/information-management/re-using-public-sector-information/uk-government-licensing-framework/crown-copyright/",
}
# What a person would see wrong on a page, found in the page itself.
READING_PROBLEMS = """() => {
  const problems = [];
  const text = document.body.innerText;
  for (const markup of ["<a ", "</", "&lt;", "&gt;"]) {
    const at = text.indexOf(markup);
    if (at >= 0) {
      problems.push(`markup shown as text: "${text.slice(Math.max(0, at - 40), at + 60)}"`);
    }
  }
  const described = (element) => element.outerHTML.slice(0, 100);
  for (const fieldset of document.querySelectorAll("fieldset")) {
    const legend = fieldset.querySelector(":scope > legend");
    if (!legend || !legend.textContent.trim()) {
      problems.push(`a fieldset has no words in its legend: ${described(fieldset)}`);
    }
  }
  const seen = (element) =>
    element.checkVisibility({visibilityProperty: true}) &&
    !element.closest(".govuk-visually-hidden") &&
    element.textContent.trim() !== "";
  const skip = ["hidden", "submit", "button", "image", "reset"];
  for (const control of document.querySelectorAll("input, select, textarea")) {
    if (skip.includes(control.type) || !control.checkVisibility({visibilityProperty: true})) {
      continue;
    }
    if (![...control.labels].some(seen)) {
      problems.push(`a control has no visible label: ${described(control)}`);
    }
  }
  const headings = document.querySelectorAll("h1").length;
  if (headings !== 1) {
    problems.push(`${headings} h1 headings, not 1`);
  }
  return problems;
}"""
LINKS = "() => [...document.querySelectorAll('a[href]')].map((link) => link.href)"
FEED_LINK = 'head link[rel="alternate"][type="application/atom+xml"][href="/feed.atom"]'
TOO_WIDE = """() => {
  const page = document.documentElement;
  if (page.scrollWidth <= page.clientWidth) {
    return null;
  }
  const wide = [...document.body.querySelectorAll("*")].filter(
    (element) => element.getBoundingClientRect().right > page.clientWidth + 1
  );
  const innermost = wide.filter(
    (element) => !wide.some((other) => other !== element && element.contains(other))
  );
  return `${page.scrollWidth} px wide at ${page.clientWidth} px: ` +
    innermost.slice(0, 3).map((element) => element.outerHTML.slice(0, 100)).join(" | ");
}"""


@dataclass
class Site:
    """The live server and the ids and tokens the pages' addresses need."""

    server: LiveServer
    emails: dict[str, str]
    ids: dict[str, int]
    tokens: dict[str, str]
    interests: dict[InterestStatus, int] = field(default_factory=dict)


def _complete_profile(user_id: int, theme_ids: list[int], skill_ids: list[int]) -> None:
    grade = db.session.scalar(select(Grade.rank).where(Grade.code == "HEO"))
    save_profile(
        db.session,
        user_id=user_id,
        answers=ProfileAnswers(
            department_id=db.session.scalar(select(Department.id).order_by(Department.id)),
            grade_rank=grade,
            profession_id=db.session.scalar(select(Profession.id).order_by(Profession.id)),
            theme_ids=tuple(theme_ids[:1]),
            skill_ids=tuple(skill_ids[:1]),
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
            digest_frequency=DigestFrequency.WEEKLY,
        ),
    )


def _build(app: Flask) -> tuple[dict[str, str], dict[str, int], dict[str, str], dict]:
    secret = app.config["SECRET_KEY"]
    world = build_world(db.session)
    statuses = {
        status: open_placement(db.session, world, title=f"Leeds placement {status.value}")
        for status in InterestStatus
    }
    draft_placement = draft(db.session, world, title="Draft youth justice placement")
    closed = open_placement(db.session, world, title="Closed licensing placement")
    placement_service.close(db.session, world.member_a.id, closed.id)
    unanswered = open_placement(db.session, world, title="Unanswered community safety placement")
    proposed = builders.organisation(db.session, name="Proposed Borough Council")
    db.session.execute(
        update(User).values(password_hash=hash_password(PASSWORD), email_confirmed_at=db.func.now())
    )
    db.session.commit()
    _complete_profile(world.person.id, world.theme_ids, world.skill_ids)
    db.session.commit()
    interests = {
        status: interest_in(db.session, world, placement, status).id
        for status, placement in statuses.items()
    }
    invitation = memberships.invite_member(
        db.session, world.admin_a.id, world.org_a.id, "invited@a-police.example.gov.uk"
    )
    unconfirmed = confirmed_user(email=UNCONFIRMED, email_confirmed_at=None)
    unattached = confirmed_user(Role.ORGANISATION_MEMBER, email=UNATTACHED)
    unrun = verified_organisation(db.session, name="Unrun District Council")
    asking = memberships.request_to_join(
        db.session, unattached.id, world.org_a.id, "I run the licensing team."
    )
    asking_unrun = memberships.request_to_join(db.session, unattached.id, unrun.id)
    approved = memberships.request_to_join(
        db.session, builders.user(db.session, role=Role.ORGANISATION_MEMBER).id, world.org_a.id
    )
    memberships.approve_join_request(db.session, world.admin_a.id, approved.id)
    reflected = _reflections(world, interests[InterestStatus.ACCEPTED])
    note, draft_note = _practice_notes(world, statuses[InterestStatus.INTERESTED].id)
    db.session.commit()
    forget_snapshots()
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    assert db.session.scalar(select(Match).where(Match.person_id == world.person.id)), (
        "the engine found no match"
    )
    membership = db.session.scalar(
        select(Membership.id).where(Membership.user_id == world.member_a.id)
    )
    emails = {
        "civil servant": world.person.email,
        "organisation admin": world.admin_a.email,
        "platform administrator": world.platform_admin.email,
        "unattached member": UNATTACHED,
        "organisation member": world.member_a.email,
    }
    ids = {
        "open": statuses[InterestStatus.INTERESTED].id,
        "draft": draft_placement.id,
        "closed": closed.id,
        "unanswered": unanswered.id,
        "shortlisted": statuses[InterestStatus.SHORTLISTED].id,
        "proposed": proposed.id,
        "membership": membership,
        "theme": db.session.scalar(select(Theme.id).order_by(Theme.id)),
        "join request": asking.id,
        "join request to unrun": asking_unrun.id,
        "approved join request": approved.id,
        "sent digest": _sent_digest(app, world.person.id),
        **reflected,
        "note": note,
        "draft note": draft_note,
        **_rounds(app, world.platform_admin.id, world, statuses[InterestStatus.INTERESTED].id),
    }
    tokens = {
        "confirm": confirmation_token(secret, unconfirmed),
        "reset": password_reset_token(secret, world.other_person),
        "change email": email_change_token(secret, world.person, "nia.new@cabinetoffice.gov.uk"),
        "unsubscribe": unsubscribe_token(secret, world.person.id),
        "reflection": reflection_token(secret, reflected["secondee reflection"], world.person.id),
        "invitation": memberships.invitation_token(invitation, secret_key=secret),
    }
    return emails, ids, tokens, interests


def _practice_notes(world: World, placement_id: int) -> tuple[int, int]:
    """A published practice note linked to the open placement, a draft one, and the person
    following the note's theme. No evidence link: the walk refuses links that leave it."""
    note = published_note(
        db.session,
        world,
        title="Leeds neighbourhood care teams",
        evidence_links=(),
        placement_ids=(placement_id,),
    )
    draft_note = practice_notes.create_draft(
        db.session, world.member_a.id, world.org_a.id, practice_notes.NoteData(title="Draft note")
    )
    practice_notes.follow_themes(db.session, world.person.id, world.theme_ids[:1])
    return note.id, draft_note.id


def _reflections(world: World, interest_id: int) -> dict[str, int]:
    """Both sides asked to reflect on the accepted placement (as if it had ended today): the
    secondee has answered and allowed a quote, the host has not answered yet."""
    now = utcnow()
    rows = {
        side: Reflection(
            interest_id=interest_id,
            side=side,
            organisation_id=world.org_a.id,
            ended_on=london_today(),
            requested_at=now,
            closes_at=now + timedelta(days=56),
            may_quote=False,
        )
        for side in ReflectionSide
    }
    db.session.add_all(rows.values())
    db.session.flush()
    answers = ReflectionAnswers(
        learned="How a police force shares data with councils to keep people safe.",
        informed="The national data-sharing guidance",
        recommend="yes",
        rating="5",
        may_quote=True,
    )
    reflect(db.session, world.person.id, rows[ReflectionSide.SECONDEE].id, answers)
    return {
        "secondee reflection": rows[ReflectionSide.SECONDEE].id,
        "host reflection": rows[ReflectionSide.HOST].id,
        "organisation": world.org_a.id,
    }


def _rounds(app: Flask, manager: int, world: World, placement_id: int) -> dict[str, int]:
    """A scheme with a round collecting choices, a published one and a closed one; the world's
    person chose organisation A's place in the first and was placed with it in the others."""
    session = db.session
    domains = app.config["MATCHER_SETTINGS"].government_email_domains
    scheme = schemes.create_scheme(session, manager, name="Fast Stream local", department_id=None)
    made: dict[str, int] = {"scheme": scheme.id}
    for name in ("choosing round", "published round", "closed round"):
        settings = rounds.RoundSettings(name=name.capitalize(), max_choices=3)
        round_id = rounds.create_round(session, manager, scheme.id, settings).id
        rounds.advance(session, manager, round_id, RoundState.COLLECTING_PLACES)
        place = round_places.offer_place(session, world.member_a.id, round_id, placement_id, 1)
        secret = round_participants.make_join_link_secret(session, manager, round_id)
        participant = round_participants.join_by_link(
            session, world.person.id, secret, government_domains=domains
        )
        rounds.advance(session, manager, round_id, RoundState.COLLECTING_PREFERENCES)
        round_participants.set_choices(session, world.person.id, round_id, [place.id])
        made[name], made[f"{name} place"], made[f"{name} participant"] = (
            round_id,
            place.id,
            participant.id,
        )
    for name in ("published round", "closed round"):
        rounds.advance(session, manager, made[name], RoundState.ALLOCATING)
        allocate_round(session, made[name], by=None)
        rounds.advance(session, manager, made[name], RoundState.PUBLISHED)
    # The person declined the closed round's place, so a second round has something to offer.
    answer_as_participant(
        session, world.person.id, made["closed round"], ConfirmationDecision.DECLINED
    )
    rounds.advance(session, manager, made["closed round"], RoundState.CLOSED)
    session.commit()
    return made


def _sent_digest(app: Flask, person_id: int) -> int:
    """Send this week's digests; the id of the person's, which "see it on the web" opens."""
    settings = app.config["MATCHER_SETTINGS"]
    plan_period(db.session, DigestKind.WEEKLY, "2026-W48", utcnow())
    db.session.commit()
    send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, "2026-W48"),
        lambda: OutboxFolderBackend(settings.mail_outbox_dir),
        Pacer(0),
    )
    return db.session.scalar(
        select(DigestDelivery.id).where(
            DigestDelivery.recipient_id == person_id,
            DigestDelivery.status == DeliveryStatus.SENT,
        )
    )


@pytest.fixture(scope="module")
def site_template(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[Path, dict[str, str], dict[str, int], dict[str, str], dict]:
    """One world built once for the module's walks: organisations, placements, a matched
    person, tokens. Each walk serves its own copy of it."""
    folder = tmp_path_factory.mktemp("site")
    database = reference_database(sqlite_template, folder / "reference")
    app = web_app(folder / "built", database, BASE_URL=BASE_URL)
    with app.app_context():
        emails, ids, tokens, interests = _build(app)
        db.session.remove()
        db.engine.dispose()
    return folder / "built" / "matcher.sqlite3", emails, ids, tokens, interests


@pytest.fixture
def site(tmp_path: Path, site_template: tuple) -> Iterator[Site]:
    """The world served on a free loopback port, on a copy of its database."""
    database, emails, ids, tokens, interests = site_template
    app = web_app(tmp_path / "site", database, BASE_URL=BASE_URL)
    with LiveServer(app) as server:
        yield Site(server, emails, ids, tokens, interests)
    with app.app_context():
        db.engine.dispose()


class Visitor:
    """One role's browser tab; each page it opens is checked and photographed.

    axe-core's findings stop the walk; what a reader would see wrong is gathered in
    ``problems`` so that one run names every page that needs fixing.
    """

    def __init__(
        self,
        browser: Browser,
        site: Site,
        role: str,
        log: dict[str, set[str]],
        problems: list[str],
    ) -> None:
        self.context = browser.new_context(viewport=DESKTOP)
        self.tab = self.context.new_page()
        self.site = site
        self.role = role
        self.log = log
        self.problems = problems
        self.adapter = site.server.app.url_map.bind("127.0.0.1")
        self.hosts = {
            urlsplit(site.server.url).netloc,
            urlsplit(site.server.app.config["MATCHER_SETTINGS"].base_url).netloc,
        }

    def _check(self, path: str, status: int, expected: int, label: str) -> None:
        where = f"{self.role} {path}{label}"
        assert status == expected, f"{where}: answered {status}"
        endpoint = self.adapter.match(path.split("?")[0], method="GET")[0]
        self.log.setdefault(endpoint, set()).add(self.role)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:60]
        name = f"every-page-{self.role}-{endpoint}-{slug}{label}"
        keep_screenshot(self.tab, name)
        try:
            assert_accessible(self.tab)
        except AssertionError as failure:
            keep_screenshot(self.tab, name, failed=True)
            raise AssertionError(f"{where}: {failure}") from None
        found = self.tab.evaluate(READING_PROBLEMS)
        if not self.tab.locator(FEED_LINK).count():
            found.append("the head does not link the Atom feed")
        found += [
            f"a link leaves the service: {href}"
            for href in self.tab.evaluate(LINKS)
            if urlsplit(href).scheme != "mailto"
            and urlsplit(href).netloc not in self.hosts
            and href not in GOVUK_FOOTER_LINKS
        ]
        self.tab.set_viewport_size(PHONE)
        too_wide = self.tab.evaluate(TOO_WIDE)
        if too_wide:
            found.append(f"scrolls sideways on a phone: {too_wide}")
        keep_screenshot(self.tab, f"{name}-390px", failed=bool(found))
        self.tab.set_viewport_size(DESKTOP)
        self.problems.extend(f"{where}: {problem}" for problem in found)
        self.log.setdefault("__pages__", set()).add(where)

    def visit(self, path: str, expected: int = 200, *, redirects: bool = False) -> None:
        """Open ``path``, expect ``expected`` there (or after a redirect), and check the page."""
        response = self.tab.goto(self.site.server.url + path)
        assert response is not None
        if not redirects:
            landed = urlsplit(self.tab.url)
            assert landed.path == path.split("?")[0], f"{self.role}: {path} went to {landed.path}"
        self._check(path, response.status, expected, "")

    def errors(self, path: str, expected: int = 422, *, fill: bool = True) -> None:
        """Open ``path`` (unless already there), submit its form, check the page with errors."""
        if fill:
            self.tab.goto(self.site.server.url + path)
        with self.tab.expect_navigation() as navigation:
            self.tab.locator("main form button[type='submit']").first.click()
        response = navigation.value
        assert response is not None
        self._check(path, response.status, expected, "-errors")
        assert self.tab.locator(".govuk-error-summary").count() == 1, path

    def sign_in(self, email: str) -> None:
        """Sign in through the sign-in page."""
        self.tab.goto(self.site.server.url + "/sign-in")
        self.tab.fill("#email", email)
        self.tab.fill("#password", PASSWORD)
        with self.tab.expect_navigation():
            self.tab.click("main form button[type='submit']")

    def close(self) -> None:
        """Close the role's browser context."""
        self.context.close()


def _signed_out(visitor: Visitor, site: Site) -> None:
    for path in ("/", "/register", "/register/check-your-email", "/sign-in"):
        visitor.visit(path)
    for path in (
        "/register",
        "/sign-in",
        "/reset-password",
        f"/reset-password/{site.tokens['reset']}",
    ):
        visitor.errors(path)
    visitor.visit("/reset-password")
    visitor.visit("/reset-password/check-your-email")
    visitor.visit(f"/reset-password/{site.tokens['reset']}")
    visitor.visit("/reset-password/not-a-real-link", 400)
    visitor.visit("/account/deleted")
    visitor.visit("/api/docs")
    # One area's page: every area shares its template, and this one has parameters, bodies
    # and schemas in few enough operations for axe to read it in a few seconds.
    visitor.visit("/api/docs/allocation-rounds")
    visitor.visit("/placements")
    visitor.visit("/placements?text=Leeds&remote=yes")
    visitor.visit(f"/placements/{site.ids['open']}")
    visitor.visit(f"/placements/{site.ids['draft']}", 404)
    visitor.visit("/practice")
    visitor.visit("/practice?text=care&region=E12000003&organisation_kind=police_force")
    visitor.visit("/practice?text=no-such-practice")
    visitor.visit(f"/practice/{site.ids['note']}")
    visitor.visit(f"/practice/{site.ids['draft note']}", 404)
    visitor.visit("/insights")
    visitor.visit(f"/organisations/{site.ids['organisation']}")
    visitor.visit(f"/reflections/link/{site.tokens['reflection']}")
    visitor.visit(f"/reflections/link/{site.tokens['reflection']}/given")
    visitor.visit("/reflections/link/not-a-real-link", 400)
    visitor.visit(f"/digests/unsubscribe/{site.tokens['unsubscribe']}")
    visitor.visit("/guidance")
    for guide in GUIDES:
        visitor.visit(f"/guidance/{guide.slug}")
    visitor.errors("/feedback?referrer=/")
    visitor.tab.fill("#trying_to_do", "Find a placement near Leeds")
    visitor.tab.fill("#could_be_better", "Say how far away each placement is.")
    with visitor.tab.expect_navigation() as sent:
        visitor.tab.click("main form button[type='submit']")
    visitor._check("/feedback/sent", sent.value.status, 200, "")
    visitor.sign_in(UNCONFIRMED)
    visitor.visit("/sign-in/confirm-your-email")
    visitor.visit(f"/confirm-email/{site.tokens['confirm']}")
    visitor.visit("/confirm-email/not-a-real-link", 400)


def _civil_servant(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["civil servant"])
    visitor.visit("/profile")
    for step in STEPS:
        visitor.visit(f"/profile/{step.slug}")
    visitor.visit("/profile/check")
    visitor.visit("/profile/saved")
    visitor.visit("/matches")
    visitor.visit("/interests")
    for interest_id in site.interests.values():
        visitor.visit(f"/interests/{interest_id}")
    visitor.visit(f"/interests/{site.interests[InterestStatus.INTERESTED]}/withdraw")
    visitor.visit(f"/interests/{site.interests[InterestStatus.OFFERED]}/decline")
    # The public page answers: "I'm interested" and "Not for me", or the interest's status.
    visitor.visit(f"/placements/{site.ids['unanswered']}")
    visitor.visit(f"/placements/{site.ids['open']}")
    visitor.visit("/digest")
    visitor.visit(f"/digest/{site.ids['sent digest']}")
    visitor.visit("/digest/preferences")
    visitor.visit("/reflections")
    visitor.visit(f"/reflections/{site.ids['secondee reflection']}")
    visitor.visit(f"/reflections/{site.ids['secondee reflection']}/given")
    visitor.visit("/practice/follow")
    visitor.visit("/practice")


def _civil_servant_account(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["civil servant"])
    visitor.visit("/account")
    visitor.visit("/account/password")
    visitor.errors("/account/password")
    visitor.visit("/account/email")
    visitor.errors("/account/email")
    visitor.visit("/account/delete")
    visitor.errors("/account/api-tokens/new")
    visitor.tab.fill("#name", "Accessibility check")
    with visitor.tab.expect_navigation() as created:
        visitor.tab.click("main form button[type='submit']")
    visitor._check("/account/api-tokens/new", created.value.status, 200, "-created")
    visitor.visit("/account/api-tokens")
    visitor.visit(visitor.tab.locator("main a:has-text('Revoke')").first.get_attribute("href"))
    choosing, published = site.ids["choosing round"], site.ids["published round"]
    for path in (
        "/your-rounds",
        "/rounds/join/join_not-a-real-secret",
        "/rounds/invitations/not-a-real-token",
        f"/rounds/{choosing}/your-choices",
        f"/rounds/{choosing}/leave",
        f"/rounds/{published}/your-result",
        f"/rounds/{published}/your-result/decline",
    ):
        visitor.visit(path)
    # The link changes the address, then shows the account page with a success banner.
    visitor.visit(f"/account/email/confirm/{site.tokens['change email']}", redirects=True)


def _organisation_admin(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["organisation admin"])
    open_id, draft_id, closed_id = site.ids["open"], site.ids["draft"], site.ids["closed"]
    membership = site.ids["membership"]
    for path in (
        "/organisation",
        "/organisation/members",
        "/organisation/members/invite",
        f"/organisation/members/{membership}/remove",
        f"/organisation/members/{membership}/role",
        "/organisation/placements",
        f"/organisation/placements/{open_id}",
        f"/organisation/placements/{draft_id}",
        f"/organisation/placements/{closed_id}",
        f"/organisation/placements/{draft_id}/edit",
        f"/organisation/placements/{open_id}/close",
        f"/organisation/placements/{open_id}/mark-filled",
        f"/organisation/placements/{open_id}/withdraw",
        f"/organisation/placements/{closed_id}/reopen",
        f"/organisation/placements/{draft_id}/publish",
        f"/organisation/placements/{draft_id}/discard",
        f"/placements/{open_id}/interests",
        f"/placements/{open_id}/interests/{site.interests[InterestStatus.INTERESTED]}/reject",
        f"/interests/{site.interests[InterestStatus.INTERESTED]}",
        f"/invitations/{site.tokens['invitation']}",
        "/digest",
        "/digest/preferences",
        "/account",
        "/organisation/placements/new",
        "/your-organisations",
        f"/join-requests/{site.ids['join request']}",
        f"/join-requests/{site.ids['join request']}/decline",
        f"/join-requests/{site.ids['approved join request']}",
    ):
        visitor.visit(path)
    offer = f"/placements/{site.ids['shortlisted']}/interests/"
    offer += f"{site.interests[InterestStatus.SHORTLISTED]}/offer"
    visitor.visit(offer)
    visitor.errors(offer)
    visitor.errors("/organisation/members/invite")
    visitor.errors("/organisation/placements/new")
    _fill_placement(visitor.tab)
    with visitor.tab.expect_navigation():
        visitor.tab.click("main form button[type='submit']")
    visitor.visit("/organisation/placements/new/check")


def _organisation_admin_notes_and_rounds(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["organisation admin"])
    note, draft_note = site.ids["note"], site.ids["draft note"]
    for path in (
        "/organisation/practice-notes",
        "/organisation/practice-notes/new",
        f"/organisation/practice-notes/{note}",
        f"/organisation/practice-notes/{draft_note}",
        f"/organisation/practice-notes/{note}/edit",
        f"/organisation/practice-notes/{draft_note}/publish",
        f"/organisation/practice-notes/{note}/withdraw",
        f"/practice/{draft_note}",
    ):
        visitor.visit(path)
    visitor.errors("/organisation/practice-notes/new")
    choosing, published = site.ids["choosing round"], site.ids["published round"]
    place, person = site.ids["choosing round place"], site.ids["choosing round participant"]
    unacceptable = f"/organisation/round-places/{place}/people/{person}/unacceptable"
    placed = site.ids["published round participant"]
    for path in (
        "/organisation/rounds",
        f"/organisation/rounds/{choosing}",
        f"/organisation/rounds/{published}",
        f"/organisation/rounds/{choosing}/offer",
        f"/organisation/round-places/{place}",
        f"/organisation/round-places/{place}/withdraw",
        unacceptable,
        f"/organisation/rounds/{published}/people/{placed}/decline",
    ):
        visitor.visit(path)
    visitor.errors(unacceptable)
    visitor.visit("/reflections")
    visitor.errors(f"/reflections/{site.ids['host reflection']}")
    visitor.visit(f"/organisations/{site.ids['organisation']}")
    visitor.visit(f"/reflections/{site.ids['secondee reflection']}/practice-note")
    _download(visitor, f"/organisation/rounds/{published}", "places.csv")


def _download(visitor: Visitor, page: str, name: str) -> None:
    """Follow the download link to ``name`` on ``page``, as the signed-in visitor."""
    visitor.tab.goto(visitor.site.server.url + page)
    href = visitor.tab.locator(f"main a[download][href$='{name}']").get_attribute("href")
    assert href, f"{visitor.role}: {page} has no link to {name}"
    downloaded = visitor.context.request.get(visitor.site.server.url + href)
    assert downloaded.status == 200, f"{visitor.role}: {href} answered {downloaded.status}"
    assert downloaded.headers["content-type"].startswith("text/csv"), href
    endpoint = visitor.adapter.match(href, method="GET")[0]
    visitor.log.setdefault(endpoint, set()).add(visitor.role)


def _fill_placement(tab: Page) -> None:
    today = london_today()
    tab.fill("#title", "Social care data secondment")
    tab.fill("#summary", "Help the council join up adult social care records.")
    tab.fill("#description", "Six months with the adult social care team.")
    tab.check("input[name='kind'][value='secondment']")
    tab.locator("input[name='theme_ids']").first.check()
    tab.select_option("#grade_min", "EO")
    tab.select_option("#grade_max", "G7")
    tab.fill("#location_postcode", "LS1 1UR")
    for name, day in (
        ("closing_date", today + timedelta(30)),
        ("start_date", today + timedelta(60)),
    ):
        tab.fill(f"#{name}-day", str(day.day))
        tab.fill(f"#{name}-month", str(day.month))
        tab.fill(f"#{name}-year", str(day.year))
    tab.fill("#duration_weeks", "26")
    tab.check("input[name='hours'][value='full_time']")
    tab.fill("#capacity", "2")


def _unattached_member(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["unattached member"])
    asked = site.ids["join request"]
    for path in (
        "/organisation",
        "/organisation/propose",
        "/organisation/ask-to-join",
        f"/organisation/join-requests/{asked}",
        f"/organisation/join-requests/{asked}/withdraw",
        "/your-organisations",
    ):
        visitor.visit(path)
    visitor.errors("/organisation/propose")
    visitor.errors("/organisation/ask-to-join")


def _organisation_member(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["organisation member"])
    for path in ("/organisation", "/organisation/members", "/your-organisations"):
        visitor.visit(path)


def _platform_administrator(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["platform administrator"])
    for path in (
        "/admin",
        "/admin/themes",
        "/admin/skills",
        f"/admin/themes/{site.ids['theme']}/rename",
        "/admin/audit",
        "/admin/insights",
        "/admin/organisations",
        f"/admin/organisations/{site.ids['proposed']}/reject",
        "/admin/join-requests",
        f"/join-requests/{site.ids['join request to unrun']}",
        f"/join-requests/{site.ids['join request to unrun']}/decline",
        "/admin/placements",
        f"/admin/placements/{site.ids['open']}/unpublish",
        "/admin/feedback",
        "/account",
    ):
        visitor.visit(path)
    visitor.errors(f"/admin/placements/{site.ids['open']}/unpublish")
    visitor.visit(f"/practice/{site.ids['note']}")
    visitor.visit(f"/admin/practice-notes/{site.ids['note']}/unpublish")
    visitor.errors(f"/admin/practice-notes/{site.ids['note']}/unpublish")
    rename = f"/admin/themes/{site.ids['theme']}/rename"
    visitor.tab.goto(site.server.url + rename)
    visitor.tab.fill("#name", "")
    visitor.errors(rename, fill=False)


def _platform_administrator_rounds(visitor: Visitor, site: Site) -> None:
    visitor.sign_in(site.emails["platform administrator"])
    scheme, choosing = site.ids["scheme"], site.ids["choosing round"]
    for path in (
        "/schemes",
        "/schemes/new",
        f"/schemes/{scheme}/managers",
        f"/schemes/{scheme}",
        f"/schemes/{scheme}/rounds/new",
        f"/rounds/{choosing}",
        f"/rounds/{choosing}/next-step",
        f"/rounds/{choosing}/invite",
        f"/rounds/{choosing}/invite/file",
        f"/rounds/{choosing}/settings",
        f"/rounds/{site.ids['published round']}/results",
        f"/rounds/{site.ids['closed round']}/second-round",
    ):
        visitor.visit(path)
    visitor.errors(f"/rounds/{site.ids['closed round']}/second-round")
    visitor.errors(f"/schemes/{scheme}/rounds/new")
    visitor.errors("/schemes/new")
    visitor.errors(f"/schemes/{scheme}/managers")
    visitor.errors(f"/rounds/{choosing}/invite")
    visitor.errors(f"/rounds/{choosing}/invite/file")
    settings = f"/rounds/{choosing}/settings"
    visitor.tab.goto(site.server.url + settings)
    visitor.tab.fill("#name", "")
    visitor.errors(settings, fill=False)


# Each walk is a test of its own, so that xdist runs them side by side: (role, walk).
WALKS = {
    "signed-out": ("signed-out", _signed_out),
    "civil-servant": ("civil-servant", _civil_servant),
    "civil-servant-account": ("civil-servant", _civil_servant_account),
    "organisation-admin": ("organisation-admin", _organisation_admin),
    "organisation-admin-notes-and-rounds": (
        "organisation-admin",
        _organisation_admin_notes_and_rounds,
    ),
    "unattached-member": ("unattached-member", _unattached_member),
    "organisation-member": ("organisation-member", _organisation_member),
    "platform-administrator": ("platform-administrator", _platform_administrator),
    "platform-administrator-rounds": ("platform-administrator", _platform_administrator_rounds),
}


def html_get_endpoints(app: Flask) -> set[str]:
    """Every endpoint that answers GET, less the ones that are not pages."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unknown = set(NOT_PAGES) - endpoints
    assert not unknown, f"the allow-list names endpoints that no longer exist: {unknown}"
    return {e for e in endpoints if not e.startswith(API_BLUEPRINT)} - set(NOT_PAGES)


def _walked_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each walk writes what it visited: one folder for the whole run, which every
    xdist worker shares."""
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent
    folder = run / "every-page-walks"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize("walk", WALKS)
def test_every_page_passes_axe_and_reads_well_for_every_role(
    site: Site, browser: Browser, walk: str, tmp_path_factory: pytest.TempPathFactory
):
    """One walk's pages pass; the walk that finishes last checks that together the walks
    visited every HTML GET page (so a run of only some walks does not check it)."""
    role, steps = WALKS[walk]
    log: dict[str, set[str]] = {}
    problems: list[str] = []
    visitor = Visitor(browser, site, role, log, problems)
    try:
        steps(visitor, site)
    finally:
        visitor.close()
    pages = log.pop("__pages__")
    print(f"axe checked {len(pages)} pages:", *sorted(pages), sep="\n  ")
    assert not problems, "\n".join(problems)

    folder = _walked_folder(tmp_path_factory)
    walked = {"endpoints": sorted(log), "pages": sorted(pages)}
    (folder / f"{walk}.json.part").write_text(json.dumps(walked))
    (folder / f"{walk}.json.part").rename(folder / f"{walk}.json")
    done = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
    if set(done) != set(WALKS):
        return
    visited = {endpoint for walked in done.values() for endpoint in walked["endpoints"]}
    missed = html_get_endpoints(site.server.app) - visited
    assert not missed, f"HTML GET pages no role visited: {sorted(missed)}"
    every_page = {page for walked in done.values() for page in walked["pages"]}
    assert len(every_page) > 60, len(every_page)
