"""Feedback about the service: the rules for giving it, and the list administrators read.

Feedback is anonymous unless the person leaves an address for a reply. Nothing here logs what
people wrote or the address they gave.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.models import Feedback
from matcher.models.feedback import BETTER_MAX, EMAIL_MAX, PAGE_MAX, TRYING_MAX
from matcher.services.access import load_actor, require_platform_admin
from matcher.services.text import (
    has_hidden_characters,
    hidden_characters_message,
    plain_line_breaks,
)
from matcher.services.validation import ValidationFailed

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


@dataclass(frozen=True)
class FeedbackAnswers:
    """What the feedback form asks."""

    trying_to_do: str
    could_be_better: str
    reply_email: str = ""


@dataclass(frozen=True)
class FeedbackPage:
    """One page of feedback, newest first, and how many messages there are in all."""

    items: list[Feedback]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _message(text: str, *, subject: str, missing: str, limit: int) -> tuple[str | None, str]:
    """The trimmed text with Windows line endings made plain, or the error to show."""
    text = plain_line_breaks(text or "").strip()
    if not text:
        return missing, ""
    if has_hidden_characters(text, multiline=True):
        return hidden_characters_message(subject, multiline=True), ""
    if len(text) > limit:
        return f"{subject} must be {limit:,} characters or fewer", ""
    return None, text


def _reply_email(address: str) -> tuple[str | None, str | None]:
    """The address to reply to (None when left empty), or the error to show."""
    address = (address or "").strip()
    if not address:
        return None, None
    if len(address) > EMAIL_MAX or has_hidden_characters(address):
        return EMAIL_FORMAT, None
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return EMAIL_FORMAT, None
    return None, checked.normalized


def _page(page: str | None) -> str | None:
    """The page the feedback link was on, if it is a plausible address on this site."""
    if not page or len(page) > PAGE_MAX or not page.startswith("/"):
        return None
    if has_hidden_characters(page) or any(char.isspace() for char in page):
        return None
    return page


def give_feedback(session: Session, answers: FeedbackAnswers, page: str | None = None) -> Feedback:
    """Keep one message of feedback; ValidationFailed says what to fix."""
    errors: dict[str, str] = {}
    error, trying_to_do = _message(
        answers.trying_to_do,
        subject="What you were trying to do",
        missing="Enter what you were trying to do",
        limit=TRYING_MAX,
    )
    if error:
        errors["trying_to_do"] = error
    error, could_be_better = _message(
        answers.could_be_better,
        subject="What went wrong or could be better",
        missing="Enter what went wrong or could be better",
        limit=BETTER_MAX,
    )
    if error:
        errors["could_be_better"] = error
    error, reply_email = _reply_email(answers.reply_email)
    if error:
        errors["reply_email"] = error
    if errors:
        raise ValidationFailed(errors)
    feedback = Feedback(
        page=_page(page),
        trying_to_do=trying_to_do,
        could_be_better=could_be_better,
        reply_email=reply_email,
    )
    session.add(feedback)
    session.flush()
    return feedback


def feedback_received(session: Session, actor_id: int, *, page: int, per_page: int) -> FeedbackPage:
    """Feedback for platform administrators to read, newest first."""
    require_platform_admin(load_actor(session, actor_id), "read feedback")
    total = session.scalar(select(func.count()).select_from(Feedback)) or 0
    items = list(
        session.scalars(
            select(Feedback)
            .order_by(Feedback.received_at.desc(), Feedback.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return FeedbackPage(items=items, total=total, page=page, per_page=per_page)
