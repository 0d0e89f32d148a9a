"""Outbox payloads hold ids only: no address or name outlives the account it belongs to."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from config import PROJECT_ROOT
from matcher import create_app, events, outbox
from matcher.extensions import db
from matcher.models import OutboxEvent, User
from matcher.services.accounts import (
    confirm_email_change,
    delete_account,
    email_change_token,
    request_email_change,
)
from tests.conftest import make_settings
from tests.web import PASSWORD, confirmed_user, deliver_outbox, delivered

# The revision before users.pending_email: email-change events carried the new address.
BEFORE_PENDING_EMAIL = "0b7e4c1d2a93"

EVENT_NAMES = {
    name: value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)
}


def _record_event_calls() -> list[tuple[str, ast.Call]]:
    """Every ``record_event(...)`` call in the application and the workers, with its file."""
    calls = []
    for folder in ("matcher", "workers"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name == "record_event":
                    calls.append((f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}", node))
    return calls


def test_every_event_the_code_records_names_ids_only_and_every_event_kind_is_covered():
    emitted = set()
    for where, call in _record_event_calls():
        task, payload = call.args[1], call.args[2]
        assert isinstance(task, ast.Name) and task.id in EVENT_NAMES, where
        emitted.add(task.id)
        assert isinstance(payload, ast.Dict), f"{where}: the payload must be a dict of ids"
        keys = [key.value for key in payload.keys if isinstance(key, ast.Constant)]
        assert len(keys) == len(payload.keys), where
        assert all(key.endswith("_id") for key in keys), f"{where}: {keys}"

    assert emitted == set(EVENT_NAMES)


@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": 1, "new_email": "someone@example.gov.uk"},
        {"user_id": "someone@example.gov.uk"},
        {"display_name": "Alex Example"},
        {"user_id": True},
    ],
)
def test_recording_an_event_with_anything_but_ids_is_refused(app: Flask, payload: dict):
    with pytest.raises(outbox.PayloadNotIds):
        outbox.record_event(db.session, events.PERSON_CHANGED, payload)
    db.session.rollback()
    assert db.session.scalars(select(OutboxEvent)).all() == []


def _stored_payloads() -> list[str]:
    db.session.expire_all()
    return [json.dumps(event.payload) for event in db.session.scalars(select(OutboxEvent))]


def test_an_email_change_event_names_the_user_and_deleting_the_account_leaves_no_address(
    app: Flask,
):
    user = confirmed_user()
    user_id, name = user.id, user.display_name
    new_email = "new.address@homeoffice.gov.uk"

    request_email_change(
        db.session,
        user_id=user_id,
        password=PASSWORD,
        new_email=new_email,
        government_domains=("gov.uk",),
    )
    db.session.commit()

    [payload] = _stored_payloads()
    assert json.loads(payload) == {"user_id": user_id}
    deliver_outbox()
    [message] = delivered(app.config["MATCHER_SETTINGS"], new_email)
    assert message["Subject"] == "Confirm your new email address"

    delete_account(db.session, user_id=user_id)
    db.session.commit()
    assert all("@" not in payload and name not in payload for payload in _stored_payloads())


def test_following_the_email_change_link_clears_the_waiting_address(app: Flask):
    user = confirmed_user()
    new_email = "moved@homeoffice.gov.uk"
    request_email_change(
        db.session,
        user_id=user.id,
        password=PASSWORD,
        new_email=new_email,
        government_domains=("gov.uk",),
    )
    db.session.commit()
    assert db.session.get(User, user.id).pending_email == new_email
    secret_key = app.config["MATCHER_SETTINGS"].secret_key

    confirm_email_change(
        db.session, token=email_change_token(secret_key, user, new_email), secret_key=secret_key
    )
    db.session.commit()

    moved = db.session.get(User, user.id)
    assert (moved.email, moved.pending_email) == (new_email, None)


def test_the_upgrade_moves_a_waiting_email_change_address_from_the_event_to_the_user(
    tmp_path: Path,
):
    app = create_app(make_settings(tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE_PENDING_EMAIL)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, display_name, created_at,"
                    " updated_at) VALUES (1, 'old@example.gov.uk', 'x', 'civil_servant', 'Alex',"
                    " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                )
            )
            for processed_at in ("2026-11-02 00:00:00", None):
                connection.execute(
                    text(
                        "INSERT INTO outbox_events (task_name, payload, created_at, processed_at,"
                        " publish_attempts) VALUES (:task, :payload, '2026-11-01 00:00:00',"
                        " :processed_at, 1)"
                    ),
                    {
                        "task": events.EMAIL_CHANGE_EMAIL_REQUESTED,
                        "payload": json.dumps({"user_id": 1, "new_email": "new@example.gov.uk"}),
                        "processed_at": processed_at,
                    },
                )

        upgrade()

        assert db.session.get(User, 1).pending_email == "new@example.gov.uk"
        assert _stored_payloads() == [json.dumps({"user_id": 1})] * 2
        db.session.remove()
        downgrade(revision=BEFORE_PENDING_EMAIL)
        with db.engine.connect() as connection:
            payloads = connection.scalars(text("SELECT payload FROM outbox_events ORDER BY id"))
            assert [json.loads(payload) for payload in payloads] == [
                {"user_id": 1},
                {"user_id": 1, "new_email": "new@example.gov.uk"},
            ]
        db.engine.dispose()
