"""Signing out ends the session on the server: a copied cookie does not outlive it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import EndedSession, utcnow
from matcher.services.sessions import end_session
from tests.web import confirmed_user, sign_in, submit


def _copy_of(site: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same session cookie, as a thief with a copy would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = site.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_copied_cookie_works_until_its_owner_signs_out(site: Flask):
    user = confirmed_user()
    owner = site.test_client()
    sign_in(owner, user.email)
    thief = _copy_of(site, owner)
    assert thief.get("/account").status_code == 200

    submit(owner, "/sign-out", {}, page="/account")

    assert thief.get("/account").headers["Location"].startswith("/sign-in")


def test_signing_out_ends_only_that_session(site: Flask):
    user = confirmed_user()
    laptop, phone = site.test_client(), site.test_client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email)

    submit(laptop, "/sign-out", {}, page="/account")

    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").headers["Location"].startswith("/sign-in")


def test_signing_in_again_after_signing_out_starts_a_new_session(site: Flask):
    user = confirmed_user()
    client = site.test_client()
    sign_in(client, user.email)
    submit(client, "/sign-out", {}, page="/account")

    sign_in(client, user.email)

    assert client.get("/account").status_code == 200


def test_ended_sessions_are_forgotten_once_their_cookies_have_expired(site: Flask):
    end_session(db.session, "long ago", utcnow() - timedelta(minutes=1))
    db.session.commit()

    end_session(db.session, "just now", utcnow() + timedelta(hours=12))
    db.session.commit()

    kept = db.session.scalars(select(EndedSession.keep_until)).all()
    assert len(kept) == 1 and kept[0] > utcnow()
