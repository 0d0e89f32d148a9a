"""Account emails triggered by outbox events: confirm an address, reset a password, and so on.

Each task loads the user by id and signs its link when the email is built, so no token is
stored anywhere. A task whose user has gone, or whose work is already done, sends nothing.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from config import Settings
from matcher.events import (
    ACCOUNT_EXISTS_EMAIL_REQUESTED,
    CONFIRMATION_EMAIL_REQUESTED,
    EMAIL_CHANGE_EMAIL_REQUESTED,
    PASSWORD_RESET_EMAIL_REQUESTED,
)
from matcher.mail import build_message, mail_backend_for, mailbox, render_email
from matcher.models import User
from matcher.security.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, MAX_AGE, RESET_PASSWORD
from matcher.services.accounts import (
    confirmation_token,
    email_change_token,
    password_reset_token,
)
from workers.outbox_tasks import outbox_task
from workers.queues import QUEUE_EMAIL

logger = logging.getLogger(__name__)


def _send(
    settings: Settings, to: Address, subject: str, template: str, context: dict[str, Any]
) -> None:
    text, html = render_email(template, context)
    with mail_backend_for(settings) as mailer:
        mailer.send(build_message(settings, to=to, subject=subject, text=text, html=html))


def _settings() -> Settings:
    return current_app.config["MATCHER_SETTINGS"]


def _hours(purpose: str) -> int:
    return MAX_AGE[purpose] // 3600


@outbox_task(CONFIRMATION_EMAIL_REQUESTED, queue=QUEUE_EMAIL)
def send_confirmation_email(session: Session, payload: dict[str, Any]) -> None:
    """Email a link that confirms a new account's address."""
    settings = _settings()
    user = session.get(User, payload["user_id"])
    if user is None or user.email_confirmed_at is not None:
        logger.info("user %s is gone or confirmed; no confirmation email", payload["user_id"])
        return
    token = confirmation_token(settings.secret_key, user)
    _send(
        settings,
        mailbox(user.email, user.display_name),
        "Confirm your email address",
        "confirm_email",
        {
            "recipient_name": user.display_name,
            "link": f"{settings.base_url}/confirm-email/{token}",
            "hours": _hours(CONFIRM_EMAIL),
        },
    )


@outbox_task(ACCOUNT_EXISTS_EMAIL_REQUESTED, queue=QUEUE_EMAIL)
def send_account_exists_email(session: Session, payload: dict[str, Any]) -> None:
    """Tell the owner of an address that someone tried to register it again."""
    settings = _settings()
    user = session.get(User, payload["user_id"])
    if user is None:
        return
    _send(
        settings,
        mailbox(user.email, user.display_name),
        "You already have an account",
        "account_exists",
        {
            "recipient_name": user.display_name,
            "sign_in_link": f"{settings.base_url}/sign-in",
            "reset_link": f"{settings.base_url}/reset-password",
        },
    )


@outbox_task(PASSWORD_RESET_EMAIL_REQUESTED, queue=QUEUE_EMAIL)
def send_password_reset_email(session: Session, payload: dict[str, Any]) -> None:
    """Email a link that sets a new password once."""
    settings = _settings()
    user = session.get(User, payload["user_id"])
    if user is None:
        return
    token = password_reset_token(settings.secret_key, user)
    _send(
        settings,
        mailbox(user.email, user.display_name),
        "Reset your password",
        "password_reset",
        {
            "recipient_name": user.display_name,
            "link": f"{settings.base_url}/reset-password/{token}",
            "minutes": MAX_AGE[RESET_PASSWORD] // 60,
        },
    )


@outbox_task(EMAIL_CHANGE_EMAIL_REQUESTED, queue=QUEUE_EMAIL)
def send_email_change_email(session: Session, payload: dict[str, Any]) -> None:
    """Email the new address a link that moves the account to it."""
    settings = _settings()
    user = session.get(User, payload["user_id"])
    if user is None or user.pending_email is None:
        return
    token = email_change_token(settings.secret_key, user, user.pending_email)
    _send(
        settings,
        mailbox(user.pending_email, user.display_name),
        "Confirm your new email address",
        "change_email",
        {
            "recipient_name": user.display_name,
            "link": f"{settings.base_url}/account/email/confirm/{token}",
            "hours": _hours(CHANGE_EMAIL),
        },
    )
