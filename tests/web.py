"""Helpers for tests of the HTML pages: forms with their tokens, delivered emails, accounts."""

from __future__ import annotations

import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from itertools import count
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from config import Settings
from matcher import create_app
from matcher.extensions import db
from matcher.models import OutboxEvent, Role, User, utcnow
from matcher.reference.loader import load_reference_data
from matcher.security.passwords import hash_password

PASSWORD = "plain english words are best"
_numbers = count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


def reference_database(template: Path, folder: Path) -> Path:
    """A copy of the migrated ``template`` with the reference data loaded, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "matcher.sqlite3"
    shutil.copy(template, target)
    from tests.conftest import make_settings

    app = create_app(make_settings(folder))
    with app.app_context():
        load_reference_data(db.session)
        db.session.commit()
        db.engine.dispose()
    return target


def submission_token(html: str) -> str | None:
    """The one-time token of the page's form, if it has one."""
    found = _SUBMISSION.search(html)
    return found.group(1) if found else None


def csrf_token(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(
    client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None
) -> TestResponse:
    """Open the page with the form (``page``, or ``url``) and post ``data`` with its tokens."""
    html = client.get(page or url).get_data(as_text=True)
    fields: dict[str, Any] = {"csrf_token": csrf_token(html)}
    submission = submission_token(html)
    if submission:
        fields["submission"] = submission
    fields.update(data)
    return client.post(url, data=fields)


def error_summary(html: str) -> list[str]:
    """The messages of the GOV.UK error summary, in order."""
    block = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    if not block:
        return []
    return [text.strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", block.group(1), re.S)]


def inline_errors(html: str) -> list[str]:
    """The inline GOV.UK error messages beside fields."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(
            r'<p id="[^"]*-error" class="govuk-error-message">\s*'
            r'<span class="govuk-visually-hidden">Error:</span>(.*?)</p>',
            html,
            re.S,
        )
    ]


def deliver_outbox() -> None:
    """Run the task of every pending outbox event in-process, as a worker would."""
    celery = current_app.extensions["celery"]
    rows = db.session.execute(
        select(OutboxEvent.id, OutboxEvent.task_name)
        .where(OutboxEvent.processed_at.is_(None))
        .order_by(OutboxEvent.id)
    ).all()
    db.session.rollback()
    for event_id, task_name in rows:
        # Matching tasks belong to the engine's work; a missing one is left pending.
        if task_name in celery.tasks:
            celery.tasks[task_name](event_id=event_id)


def delivered(settings: Settings, to: str) -> list[EmailMessage]:
    """The messages the outbox mail backend wrote for ``to``, oldest first."""
    paths = sorted(settings.mail_outbox_dir.glob("*.eml"), key=lambda path: path.stat().st_mtime)
    messages = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in paths]
    return [m for m in messages if to in str(m["To"])]  # type: ignore[misc]


def link_in(message: EmailMessage, base_url: str) -> str:
    """The path of the first link to the service in ``message``'s plain-text part."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(re.escape(base_url) + r"(/\S+)", text)
    assert match, text
    return match.group(1)


def confirmed_user(role: Role = Role.CIVIL_SERVANT, **fields: Any) -> User:
    """A confirmed account with the password ``PASSWORD``, committed."""
    values: dict[str, Any] = {
        "email": f"user{next(_numbers)}@cabinetoffice.gov.uk",
        "password_hash": hash_password(PASSWORD),
        "role": role,
        "display_name": "Alex Example",
        "email_confirmed_at": utcnow(),
    }
    values.update(fields)
    user = User(**values)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the sign-in page."""
    return submit(client, "/sign-in", {"email": email, "password": password})


def web_app(folder: Path, database: Path, **settings: str) -> Flask:
    """An app on a copy of ``database`` in ``folder``."""
    from tests.conftest import make_settings

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(database, folder / "matcher.sqlite3")
    return create_app(make_settings(folder, **settings))
