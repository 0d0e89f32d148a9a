"""Read-only listings of schemes and rounds for the pages that lead to them.

Each lists only what the actor may open: the schemes they run, the rounds open to their
organisation's places, and the rounds they have joined. Nothing here changes anything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.models import AllocationRound, RoundParticipant, RoundState, Scheme, SchemeManager
from matcher.services.access import is_platform_admin, load_actor


def schemes_run_by(session: Session, actor_id: int) -> list[Scheme]:
    """The schemes the actor runs, by name: every one for a platform administrator."""
    actor = load_actor(session, actor_id)
    query = select(Scheme).order_by(Scheme.name, Scheme.id)
    if not is_platform_admin(actor):
        query = query.join(SchemeManager, SchemeManager.scheme_id == Scheme.id).where(
            SchemeManager.user_id == actor.id
        )
    return list(session.scalars(query))


def rounds_open_to_organisations(session: Session, actor_id: int) -> list[AllocationRound]:
    """Rounds past their draft, newest first: organisations offer places into them, rank
    those who chose them and answer their results."""
    load_actor(session, actor_id)
    return list(
        session.scalars(
            select(AllocationRound)
            .where(AllocationRound.state != RoundState.DRAFT)
            .order_by(AllocationRound.created_at.desc(), AllocationRound.id.desc())
        )
    )


def rounds_joined_by(session: Session, actor_id: int) -> list[AllocationRound]:
    """The rounds the actor has joined and not left, newest first."""
    actor = load_actor(session, actor_id)
    return list(
        session.scalars(
            select(AllocationRound)
            .join(RoundParticipant, RoundParticipant.round_id == AllocationRound.id)
            .where(RoundParticipant.user_id == actor.id, RoundParticipant.withdrawn_at.is_(None))
            .order_by(AllocationRound.created_at.desc(), AllocationRound.id.desc())
        )
    )
