"""Odd input never makes a page fail with a 500.

A crawler signs in as each role, follows every link on the site from the role's start pages and
records every form it meets. Then each query parameter, each numeric part of a path and each
form field it found gets every bad shape in turn. It runs on PostgreSQL, which refuses the NUL
bytes and oversized integers that SQLite quietly stores.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, text, update
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter
from werkzeug.test import TestResponse

from matcher import create_app
from matcher.extensions import db
from matcher.models import InterestStatus, User
from matcher.security.tokens import fingerprint
from matcher.services import api_tokens
from matcher.services import placements as placement_service
from tests.api_world import placement_fields
from tests.conftest import make_settings
from tests.unit.services.world import build_world, draft, interest_in, open_placement

pytestmark = pytest.mark.integration

# Each shape has broken a page of this service at least once.
SHAPES = (
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic three
    "99999999999999999999",  # past every integer column
    "-1",
    "1e400",
    "a\x00b",  # PostgreSQL text cannot hold NUL
    "\r\nX-Evil: 1",  # header injection through redirects and emails
    "x" * 5000,
    "2026-02-30",
)
HUGE_IDS = ("9223372036854775808", "4611686018427387904", "2147483648")
# Query parameters every listing and sign-in page might read, beside those its own links use.
COMMON_PARAMETERS = ("page", "next", "cursor")
SKIPPED_ENDPOINTS = {"static", "govuk_assets.static", "api_docs.openapi_json"}
SKIPPED_FIELDS = {"csrf_token", "submission"}
# Forms whose success ends the visit; the crawler signs in again before each request anyway.
SKIPPED_ACTIONS = {"/sign-out"}
# The title of the page that refuses a form whose CSRF token is missing or wrong.
CSRF_REFUSAL = "Sorry, we could not send your answers"


@dataclass
class Form:
    """A form as the page offers it: where it goes and its fields' default values."""

    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Page:
    """One crawled page: its address, endpoint, the links on it and its forms."""

    url: str
    endpoint: str
    links: list[str]
    forms: list[Form]


class _PageParser(HTMLParser):
    """Collects links and forms with their default values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "form":
            self._form = Form(values.get("method", "get").lower(), values.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None or (not values.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = values.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in values:
                self._form.fields.setdefault(values["name"], [])
                return
            if kind not in ("submit", "button"):
                self._form.fields.setdefault(values["name"], []).append(values.get("value", ""))
        elif tag == "textarea":
            self._textarea = values["name"]
            self._form.fields[self._textarea] = [""]
        elif tag == "select":
            self._select = values["name"]
            self._form.fields[self._select] = []
        elif tag == "option" and self._select and not self._form.fields[self._select]:
            self._form.fields[self._select].append(values.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


@dataclass
class Visitor:
    """A test client that acts as one user, signing in again before every request.

    Signing in again keeps the session's CSRF token, so the forms the crawl found still carry
    a token the site accepts and each bad value reaches the form's handler.
    """

    client: FlaskClient
    app: Flask
    user_id: int | None
    password_hash: str = ""

    def _sign_in(self) -> None:
        with self.client.session_transaction() as session:
            csrf_token = session.get("csrf_token")
            session.clear()
            if csrf_token is not None:
                session["csrf_token"] = csrf_token
            if self.user_id is not None:
                session["user_id"] = self.user_id
                session["password_digest"] = fingerprint(
                    self.app.config["SECRET_KEY"], self.password_hash
                )
                session["signed_in_at"] = int(time.time())
                session["session_id"] = secrets.token_urlsafe(32)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        self._sign_in()
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, list[str]]) -> TestResponse:
        self._sign_in()
        return self.client.post(url, data=data)


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def _endpoint(adapter: MapAdapter, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except HTTPException:
        return None
    return None if endpoint in SKIPPED_ENDPOINTS or endpoint.startswith("api_v1.") else endpoint


def crawl(visitor: Visitor, starts: tuple[str, ...]) -> list[Page]:
    """Every page reachable by links from ``starts``, one address per endpoint and query shape."""
    adapter = visitor.app.url_map.bind("localhost")
    queue, seen, pages = list(starts), set(), []
    while queue:
        url = queue.pop(0)
        endpoint = _endpoint(adapter, url)
        query = tuple(sorted(name for name, _ in parse_qsl(urlsplit(url).query)))
        if endpoint is None or (endpoint, query) in seen:
            continue
        seen.add((endpoint, query))
        response = visitor.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        parsed = _parse(response.get_data(as_text=True))
        pages.append(Page(url, endpoint, parsed.links, parsed.forms))
        queue.extend(parsed.links)
    return pages


def _with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != name] + [(name, value)]
    return f"{parts.path}?{urlencode(query)}"


def _query_names(page: Page, adapter: MapAdapter) -> set[str]:
    names = set(COMMON_PARAMETERS)
    for link in page.links:
        if _endpoint(adapter, link) == page.endpoint:
            names |= {name for name, _ in parse_qsl(urlsplit(link).query)}
    for form in page.forms:
        if form.method == "get":
            names |= set(form.fields)
    return names


def _huge_paths(url: str) -> Iterator[str]:
    path = urlsplit(url).path
    for number in re.finditer(r"(?<=/)\d+(?=/|$)", path):
        for huge in HUGE_IDS:
            yield path[: number.start()] + huge + path[number.end() :]


def _endpoint_of_post(adapter: MapAdapter, action: str) -> str:
    try:
        return adapter.match(urlsplit(action).path, method="POST")[0]
    except HTTPException:
        return action


def _fresh_tokens(visitor: Visitor, url: str, form: Form) -> dict[str, list[str]]:
    """The form's tokens; a one-time submission token needs the page opened again."""
    if "submission" not in form.fields:
        return {}
    fresh = _parse(visitor.get(url).get_data(as_text=True))
    tokens = next((f.fields for f in fresh.forms if f.action == form.action), {})
    return {name: value for name, value in tokens.items() if name in SKIPPED_FIELDS}


def _refused_as_forged(response: TestResponse) -> bool:
    return response.status_code == 400 and CSRF_REFUSAL in response.get_data(as_text=True)


def _failures_of(visitor: Visitor, pages: list[Page]) -> tuple[list[str], list[str]]:
    """The requests answered with a 500, and the form posts refused before their handler."""
    adapter = visitor.app.url_map.bind("localhost")
    failures: list[str] = []
    refused: list[str] = []

    def check(response, what: str) -> None:
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {what}")
        elif what.startswith("POST") and _refused_as_forged(response):
            refused.append(what)

    tried: set[tuple[str, ...]] = set()
    fuzzed: set[tuple[str, str]] = set()
    for page in pages:
        # A page reached again with other filters or another id reads its parameters with the
        # same code: each endpoint gets each bad shape once, however many of its pages were found.
        for name in sorted(_query_names(page, adapter)):
            if (page.endpoint, name) in fuzzed:
                continue
            fuzzed.add((page.endpoint, name))
            for shape in SHAPES:
                url = _with_query(page.url, name, shape)
                check(visitor.get(url), f"GET {url[:120]!r}")
        path = urlsplit(page.url).path
        if (page.endpoint, "") not in fuzzed:
            fuzzed.add((page.endpoint, ""))
            not_utf8 = visitor.get(path, query_string="page=%FF&next=%FF&text=%C0%AF")
            check(not_utf8, f"GET {path} with bytes that are not UTF-8")
            for url in _huge_paths(page.url):
                check(visitor.get(url), f"GET {url}")
        for form in page.forms:
            action = form.action or path
            names = sorted(set(form.fields) - SKIPPED_FIELDS)
            # Each row of a list repeats the same form for another id: one of them is enough.
            shape_of_form = (_endpoint_of_post(adapter, action), *names)
            if form.method != "post" or action in SKIPPED_ACTIONS or shape_of_form in tried:
                continue
            tried.add(shape_of_form)
            for name in names:
                for shape in SHAPES:
                    data = {**form.fields, **_fresh_tokens(visitor, page.url, form)}
                    data[name] = [shape]
                    check(visitor.post(action, data), f"POST {action} {name}={shape[:20]!r}")
    return failures, refused


@dataclass(frozen=True)
class Person:
    """Who a visitor signs in as."""

    user_id: int
    password_hash: str


@pytest.fixture(scope="module")
def site(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A world on PostgreSQL; requests run outside any app context, as they do when served."""
    app = create_app(make_settings(tmp_path_factory.mktemp("bad-input"), DATABASE_URL=postgres_url))
    with app.app_context():
        world = build_world(db.session)
        placement = open_placement(db.session, world, title="Open placement")
        draft(db.session, world, title="Draft placement")
        closed = open_placement(db.session, world, title="Closed placement")
        placement_service.close(db.session, world.member_a.id, closed.id)
        interest_in(db.session, world, placement, InterestStatus.SHORTLISTED)
        db.session.execute(update(User).values(email_confirmed_at=func.now()))
        db.session.commit()
        token = api_tokens.create_token(
            db.session, world.admin_a.id, "bad input", organisation_id=world.org_a.id
        )[1]
        db.session.commit()
        app.config["TEST_API"] = (token, world.org_a.id)
        app.config["TEST_PEOPLE"] = {
            role: Person(user.id, user.password_hash)
            for role, user in (
                ("civil servant", world.person),
                ("organisation admin", world.admin_a),
                ("platform administrator", world.platform_admin),
            )
        }
        db.session.remove()
    yield app
    with app.app_context():
        tables = ", ".join(f'"{table.name}"' for table in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


STARTS = {
    "signed out": ("/", "/sign-in", "/register", "/reset-password", "/placements"),
    "civil servant": ("/", "/profile", "/matches", "/interests", "/account", "/digest"),
    "organisation admin": ("/", "/organisation", "/organisation/placements", "/account"),
    "platform administrator": ("/", "/admin", "/account"),
}


@pytest.mark.parametrize("role", STARTS)
def test_no_link_or_form_of_the_site_answers_500_to_odd_input(site: Flask, role: str):
    person = site.config["TEST_PEOPLE"].get(role)
    visitor = Visitor(
        site.test_client(),
        site,
        person.user_id if person else None,
        person.password_hash if person else "",
    )
    pages = crawl(visitor, STARTS[role])
    assert len(pages) >= 4, [page.url for page in pages]

    forms = sum(len(page.forms) for page in pages)
    print(f"{role}: {len(pages)} pages, {forms} forms:", *sorted({p.endpoint for p in pages}))
    failures, refused = _failures_of(visitor, pages)

    # A post the CSRF check refuses never reaches its form's handler: the bad value went untried.
    assert not refused, f"{len(refused)} posts were refused as forged:\n" + "\n".join(refused[:20])
    assert not failures, f"{len(failures)} requests answered 500:\n" + "\n".join(failures[:60])


def _cursor(published_at: str, placement_id: int) -> str:
    raw = json.dumps([published_at, placement_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/placements?cursor=" + _cursor("0001-01-01T00:00:00+14:00", 1), None, 422),
        ("GET", "/placements?cursor=" + _cursor("9999-12-31T23:59:59-14:00", 1), None, 422),
        ("GET", "/placements?cursor=" + _cursor("2026-01-01T00:00:00+00:00", 2**62), None, 422),
        ("GET", "/placements?text=a%00b", None, 400),
        ("GET", "/placements/4611686018427387904", None, 404),
        ("POST", "/organisations/{org}/placements", "NUL_IN_TITLE", 422),
        ("POST", "/organisations/{org}/placements:import", "title\r\na\x00b\r\n", 422),
    ],
)
def test_no_api_operation_answers_500_to_odd_input(
    site: Flask, method: str, path: str, body: str | None, expected: int
):
    token, organisation_id = site.config["TEST_API"]
    if body == "NUL_IN_TITLE":
        body = json.dumps(placement_fields([1], title="Neighbourhood\x00policing"))
    media_type = "text/csv" if path.endswith(":import") else "application/json"
    response = site.test_client().open(
        "/api/v1" + path.format(org=organisation_id),
        method=method,
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": media_type},
    )

    assert response.status_code == expected, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
