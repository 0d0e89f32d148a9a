"""Signing in and out: who the current user is, and decorators that guard pages.

Sessions are Flask's signed cookies. Each holds the user's id, a keyed digest of their password
hash, when they signed in and a random session id: changing the password changes the digest, so
every other session of that user stops working; signing out records the session id as ended, so
a copy of the cookie stops working too; a session also ends after ``SESSION_HOURS``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.local import LocalProxy

from matcher.extensions import db
from matcher.models import Role, User
from matcher.security.tokens import fingerprint
from matcher.services.sessions import end_session, has_ended

SESSION_HOURS = 12
_USER_ID = "user_id"
_PASSWORD_DIGEST = "password_digest"
_SIGNED_IN_AT = "signed_in_at"
# A random id per sign-in: signing out records it as ended, so a copy of the cookie dies too.
_SESSION_ID = "session_id"

View = TypeVar("View", bound=Callable[..., Any])


def _password_digest(user: User) -> str:
    return fingerprint(current_app.config["SECRET_KEY"], user.password_hash)


def _load_user() -> User | None:
    user_id = session.get(_USER_ID)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    signed_in_at = session.get(_SIGNED_IN_AT, 0)
    session_id = session.get(_SESSION_ID)
    if (
        user is None
        or user.email_confirmed_at is None
        or session.get(_PASSWORD_DIGEST) != _password_digest(user)
        or time.time() - signed_in_at > SESSION_HOURS * 3600
        or not session_id
        or has_ended(db.session, session_id)
    ):
        session.clear()
        return None
    return user


def get_current_user() -> User | None:
    """The signed-in user of this request, or None; loaded once per request."""
    if "current_user" not in g:
        g.current_user = _load_user()
    return g.current_user


def signed_in_user() -> User:
    """The signed-in user, in a view that ``login_required`` or ``roles_required`` guards."""
    user = get_current_user()
    if user is None:
        raise RuntimeError("no one is signed in: guard the view with login_required")
    return user


current_user: Any = LocalProxy(get_current_user)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user``: nothing from before signing in carries over."""
    session.clear()
    session[_USER_ID] = user.id
    session[_PASSWORD_DIGEST] = _password_digest(user)
    session[_SIGNED_IN_AT] = int(time.time())
    session[_SESSION_ID] = secrets.token_urlsafe(32)
    g.current_user = user


def refresh_sign_in(user: User) -> None:
    """Keep this session after the user changed their password; other sessions end."""
    session[_PASSWORD_DIGEST] = _password_digest(user)
    g.current_user = user


def sign_out() -> None:
    """End this browser's session, on the server too; the caller commits."""
    session_id = session.get(_SESSION_ID)
    if session_id:
        signed_in_at = datetime.fromtimestamp(session.get(_SIGNED_IN_AT, 0), UTC)
        end_session(db.session, session_id, signed_in_at + timedelta(hours=SESSION_HOURS))
    session.clear()
    g.current_user = None


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: no open redirects."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def login_required(view: View) -> View:
    """Send anyone not signed in to the sign-in page, then back here."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if get_current_user() is None:
            return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Allow only signed-in users with one of ``roles``; others get a 403 page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = get_current_user()
            if user is None:
                return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def init_auth(app: Any) -> None:
    """Load the user afresh for each request and make ``current_user`` available to templates."""
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["Role"] = Role

    @app.before_request
    def forget_previous_request() -> None:
        # ``g`` belongs to the app context, which can outlive one request (a test client inside
        # a pushed context): the user and Flask-WTF's CSRF token must not leak between requests.
        g.pop("current_user", None)
        g.pop("csrf_token", None)
