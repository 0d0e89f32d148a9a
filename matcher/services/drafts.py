"""A person's unsaved answers to a form of several pages; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from matcher.models import FormDraft

PROFILE = "profile"
PLACEMENT = "placement"


def load(session: Session, user_id: int, form: str) -> dict[str, Any] | None:
    """The answers kept for ``form``, or None when there is no draft."""
    draft = session.get(FormDraft, (user_id, form))
    return dict(draft.answers) if draft is not None else None


def keep(session: Session, user_id: int, form: str, answers: dict[str, Any]) -> None:
    """Keep ``answers`` as the draft of ``form``, replacing any before."""
    draft = session.get(FormDraft, (user_id, form))
    if draft is None:
        session.add(FormDraft(user_id=user_id, form=form, answers=answers))
    elif draft.answers != answers:
        draft.answers = answers


def discard(session: Session, user_id: int, form: str) -> None:
    """Forget the draft of ``form``, once saved or abandoned."""
    session.execute(delete(FormDraft).where(FormDraft.user_id == user_id, FormDraft.form == form))
