"""Ending browser sessions on the server, so that signing out outlives a copied cookie."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.models import EndedSession, utcnow


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_session(session: Session, session_id: str, cookie_expires_at: datetime) -> None:
    """Record that ``session_id`` has signed out; forget sessions whose cookies have expired."""
    session.execute(delete(EndedSession).where(EndedSession.keep_until < utcnow()))
    session.merge(EndedSession(session_digest=_digest(session_id), keep_until=cookie_expires_at))


def has_ended(session: Session, session_id: str) -> bool:
    """Whether ``session_id`` was signed out."""
    digest = _digest(session_id)
    return (
        session.scalar(
            select(EndedSession.session_digest).where(EndedSession.session_digest == digest)
        )
        is not None
    )
