"""Use cases about an allocation round's life: creating it, its settings and its states.

draft -> collecting_places -> collecting_preferences -> allocating -> published -> closed.
Moving to allocating asks the allocation job to run (an outbox event); publishing needs its
results and asks for the emails, one event per recipient group. A closed round can start a
second round for the places and people it left: places with room no one confirmed, and
participants with no confirmed place. Every change is the scheme's managers' to make, but for
one: a published round whose deadline for confirming has passed is closed by the beat job
(``close_at_deadline``). Closing records every side that has not answered a placed result as
confirmed, ``by_deadline``: an unanswered place is kept. The caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, insert, select
from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.events import (
    ROUND_ALLOCATION_REQUESTED,
    ROUND_RESULTS_TO_ORGANISATIONS,
    ROUND_RESULTS_TO_PARTICIPANTS,
)
from matcher.models import (
    AllocationResult,
    AllocationRound,
    Confirmation,
    ConfirmationDecision,
    ConfirmationSide,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    utcnow,
)
from matcher.services.access import load_actor, load_round_for_manager
from matcher.services.concurrency import check_version
from matcher.services.messages import message
from matcher.services.schemes import load_scheme
from matcher.services.text import checked_text
from matcher.services.validation import ValidationFailed

ROUND_NAME_MAX = 150
MAX_CHOICES_MOST = 50

S = RoundState
# The one state each state moves on to.
NEXT_STATE: dict[RoundState, RoundState] = {
    S.DRAFT: S.COLLECTING_PLACES,
    S.COLLECTING_PLACES: S.COLLECTING_PREFERENCES,
    S.COLLECTING_PREFERENCES: S.ALLOCATING,
    S.ALLOCATING: S.PUBLISHED,
    S.PUBLISHED: S.CLOSED,
}
# A round's settings can change until its participants' choices are in.
EDITABLE_STATES = frozenset({S.DRAFT, S.COLLECTING_PLACES, S.COLLECTING_PREFERENCES})

STATE_WORDS: dict[RoundState, str] = {
    S.DRAFT: "a draft",
    S.COLLECTING_PLACES: "collecting places",
    S.COLLECTING_PREFERENCES: "collecting choices",
    S.ALLOCATING: "allocating",
    S.PUBLISHED: "published",
    S.CLOSED: "closed",
}


def wrong_state(allocation_round: AllocationRound) -> ValidationFailed:
    """The error for an action the round's state does not allow."""
    return ValidationFailed(
        {"state": message("round.state.wrong", state=STATE_WORDS[allocation_round.state])}
    )


@dataclass(frozen=True)
class RoundSettings:
    """What a manager sets on a round."""

    name: str
    max_choices: int | None
    preferences_close_at: datetime | None = None
    confirmations_close_at: datetime | None = None


def _checked(
    settings: RoundSettings, *, kept_preferences_close_at: datetime | None = None
) -> RoundSettings:
    """The settings, trimmed, or every problem with them; a closing date for choices that is
    already set may stay as it is, even once it has passed."""
    errors: dict[str, str] = {}
    name = checked_text(
        errors,
        "name",
        settings.name,
        label="Name",
        limit=ROUND_NAME_MAX,
        missing=message("round.name.missing"),
    )
    if settings.max_choices is None:
        errors["max_choices"] = message("round.max_choices.missing")
    elif not 1 <= settings.max_choices <= MAX_CHOICES_MOST:
        errors["max_choices"] = message("round.max_choices.range", most=MAX_CHOICES_MOST)
    preferences, confirmations = settings.preferences_close_at, settings.confirmations_close_at
    if (
        preferences is not None
        and preferences != kept_preferences_close_at
        and preferences <= utcnow()
    ):
        errors["preferences_close_at"] = message("round.preferences_close.past")
    if preferences is not None and confirmations is not None and confirmations <= preferences:
        errors["confirmations_close_at"] = message("round.confirmations_close.order")
    if errors:
        raise ValidationFailed(errors)
    return RoundSettings(name, settings.max_choices, preferences, confirmations)


def create_round(
    session: Session,
    actor_id: int,
    scheme_id: int,
    settings: RoundSettings,
    *,
    parent_round_id: int | None = None,
) -> AllocationRound:
    """A new draft round of the scheme, with its lottery seed drawn now and kept."""
    actor = load_actor(session, actor_id)
    scheme = load_scheme(session, actor, scheme_id)
    settings = _checked(settings)
    allocation_round = AllocationRound(
        scheme_id=scheme.id,
        name=settings.name,
        max_choices=settings.max_choices,
        preferences_close_at=settings.preferences_close_at,
        confirmations_close_at=settings.confirmations_close_at,
        # Non-negative and within a signed 64-bit column.
        lottery_seed=secrets.randbits(62),
        parent_round_id=parent_round_id,
        created_by_id=actor.id,
        state=RoundState.DRAFT,
    )
    session.add(allocation_round)
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.created",
        "allocation_round",
        allocation_round.id,
        {"scheme_id": scheme.id, "parent_round_id": parent_round_id},
    )
    return allocation_round


def change_settings(
    session: Session,
    actor_id: int,
    round_id: int,
    settings: RoundSettings,
    *,
    expected_version: int | None = None,
) -> AllocationRound:
    """Change a round's name, number of choices and deadlines until choices are in."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id, lock=True)
    check_version("round", round_id, expected_version, allocation_round.version_id)
    if allocation_round.state not in EDITABLE_STATES:
        raise wrong_state(allocation_round)
    settings = _checked(settings, kept_preferences_close_at=allocation_round.preferences_close_at)
    longest = session.scalar(
        select(func.max(RoundPreference.rank)).where(RoundPreference.round_id == round_id)
    )
    if settings.max_choices is not None and longest and settings.max_choices < longest:
        raise ValidationFailed(
            {"max_choices": message("round.max_choices.below_chosen", chosen=longest)}
        )
    allocation_round.name = settings.name
    allocation_round.max_choices = settings.max_choices or allocation_round.max_choices
    allocation_round.preferences_close_at = settings.preferences_close_at
    allocation_round.confirmations_close_at = settings.confirmations_close_at
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.changed",
        "allocation_round",
        round_id,
        {"fields": ["name", "max_choices", "preferences_close_at", "confirmations_close_at"]},
    )
    return allocation_round


def advance(
    session: Session,
    actor_id: int,
    round_id: int,
    target: RoundState,
    *,
    expected_version: int | None = None,
) -> AllocationRound:
    """Move the round on to ``target``, which must be the state after its own.

    Allocating asks the allocation job to run; publishing needs the job's results and asks for
    the results emails.
    """
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id, lock=True)
    check_version("round", round_id, expected_version, allocation_round.version_id)
    target = RoundState(target)
    if NEXT_STATE.get(allocation_round.state) != target:
        raise ValidationFailed(
            {
                "state": message(
                    "round.state.not_next",
                    state=STATE_WORDS[allocation_round.state],
                    target=STATE_WORDS[target],
                )
            }
        )
    if target == S.PUBLISHED and allocation_round.allocated_at is None:
        raise ValidationFailed({"state": message("round.not_allocated")})
    previous = allocation_round.state
    allocation_round.state = target
    now = utcnow()
    if target == S.PUBLISHED:
        allocation_round.published_at = now
    if target == S.CLOSED:
        allocation_round.closed_at = now
        _keep_unanswered(session, round_id, now)
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.advanced",
        "allocation_round",
        round_id,
        {"from": previous.value, "to": target.value},
    )
    if target == S.ALLOCATING:
        outbox.record_event(session, ROUND_ALLOCATION_REQUESTED, {"round_id": round_id})
    if target == S.PUBLISHED:
        outbox.record_event(session, ROUND_RESULTS_TO_PARTICIPANTS, {"round_id": round_id})
        outbox.record_event(session, ROUND_RESULTS_TO_ORGANISATIONS, {"round_id": round_id})
    return allocation_round


def _keep_unanswered(session: Session, round_id: int, now: datetime) -> int:
    """Record each side that has not answered a placed result nobody declined as confirmed,
    by the deadline rule; how many answers that took."""
    answered = {
        (participant_id, side)
        for participant_id, side in session.execute(
            select(Confirmation.participant_id, Confirmation.side)
            .join(AllocationResult, AllocationResult.participant_id == Confirmation.participant_id)
            .where(AllocationResult.round_id == round_id)
        )
    }
    placed = session.scalars(
        select(AllocationResult.participant_id).where(
            AllocationResult.round_id == round_id,
            AllocationResult.round_place_id.is_not(None),
            _not_declined(),
        )
    ).all()
    kept = [
        {
            "participant_id": participant_id,
            "side": side,
            "decision": ConfirmationDecision.CONFIRMED,
            "decided_at": now,
            "by_deadline": True,
        }
        for participant_id in placed
        for side in ConfirmationSide
        if (participant_id, side) not in answered
    ]
    if kept:
        session.execute(insert(Confirmation), kept)
    return len(kept)


def rounds_past_deadline(session: Session) -> list[int]:
    """The published rounds whose deadline for confirming has passed, oldest deadline first."""
    return list(
        session.scalars(
            select(AllocationRound.id)
            .where(
                AllocationRound.state == S.PUBLISHED,
                AllocationRound.confirmations_close_at <= utcnow(),
            )
            .order_by(AllocationRound.confirmations_close_at, AllocationRound.id)
        )
    )


def close_at_deadline(session: Session, round_id: int) -> bool:
    """Close a published round whose deadline for confirming has passed, keeping every place
    nobody answered; whether it closed now (False: not due, or closed already)."""
    allocation_round = session.get(
        AllocationRound, round_id, with_for_update=True, populate_existing=True
    )
    now = utcnow()
    deadline = allocation_round.confirmations_close_at if allocation_round else None
    if allocation_round is None or allocation_round.state != S.PUBLISHED:
        return False
    if deadline is None or deadline > now:
        return False
    allocation_round.state = S.CLOSED
    allocation_round.closed_at = now
    kept = _keep_unanswered(session, round_id, now)
    session.flush()
    audit.record(
        session,
        None,
        "round.closed_at_deadline",
        "allocation_round",
        round_id,
        {"deadline": deadline.isoformat(), "answers_kept": kept},
    )
    return True


def _not_declined() -> ColumnElement[bool]:
    """Neither side declined the enclosing query's result (a correlated clause)."""
    return ~exists().where(
        Confirmation.participant_id == AllocationResult.participant_id,
        Confirmation.decision == ConfirmationDecision.DECLINED,
    )


@dataclass(frozen=True)
class LeftOver:
    """What a closed round left for a second round: places with room (placement, ranking
    mode, room) and people not placed (user, when they joined)."""

    places: list[tuple[int, RankingMode, int]]
    people: list[tuple[int, datetime | None]]

    def __bool__(self) -> bool:
        return bool(self.places and self.people)


def left_over(session: Session, actor_id: int, round_id: int) -> LeftOver:
    """What a round its managers run left for a second round."""
    load_round_for_manager(session, load_actor(session, actor_id), round_id)
    return _left_over(session, round_id)


def _left_over(session: Session, round_id: int) -> LeftOver:
    """The places with room no one kept, and the people without a place no one declined."""
    kept = (
        select(AllocationResult.round_place_id, func.count().label("kept"))
        .where(
            AllocationResult.round_id == round_id,
            AllocationResult.round_place_id.is_not(None),
            _not_declined(),
        )
        .group_by(AllocationResult.round_place_id)
        .subquery()
    )
    places_left = session.execute(
        select(
            RoundPlace.placement_id,
            RoundPlace.ranking_mode,
            RoundPlace.places - func.coalesce(kept.c.kept, 0),
        )
        .outerjoin(kept, kept.c.round_place_id == RoundPlace.id)
        .where(
            RoundPlace.round_id == round_id,
            RoundPlace.places > func.coalesce(kept.c.kept, 0),
        )
        .order_by(RoundPlace.id)
    ).all()
    placed = select(AllocationResult.participant_id).where(
        AllocationResult.round_id == round_id,
        AllocationResult.round_place_id.is_not(None),
        _not_declined(),
    )
    people_left = session.execute(
        select(RoundParticipant.user_id, RoundParticipant.joined_at)
        .where(
            RoundParticipant.round_id == round_id,
            RoundParticipant.user_id.is_not(None),
            RoundParticipant.withdrawn_at.is_(None),
            RoundParticipant.id.not_in(placed),
        )
        .order_by(RoundParticipant.id)
    ).all()
    return LeftOver(
        [(placement, mode, room) for placement, mode, room in places_left],
        [(user_id, joined_at) for user_id, joined_at in people_left],
    )


def start_second_round(
    session: Session, actor_id: int, round_id: int, settings: RoundSettings
) -> AllocationRound:
    """A draft round offering a closed round's places with room left to the people it left.

    A place keeps the room its confirmed participants did not take; a participant carries over
    unless they hold a place neither side declined, or withdrew. Nobody's choices carry over:
    the places on offer are different now.
    """
    actor = load_actor(session, actor_id)
    parent = load_round_for_manager(session, actor, round_id, lock=True)
    if parent.state != S.CLOSED:
        raise ValidationFailed({"state": message("round.second.not_closed")})
    left = _left_over(session, round_id)
    if not left:
        raise ValidationFailed({"state": message("round.second.nothing_left")})
    second = create_round(session, actor.id, parent.scheme_id, settings, parent_round_id=parent.id)
    now = utcnow()
    session.execute(
        insert(RoundPlace),
        [
            {
                "round_id": second.id,
                "placement_id": placement_id,
                "ranking_mode": mode,
                "places": room,
                "offered_by_id": actor.id,
                "offered_at": now,
            }
            for placement_id, mode, room in left.places
        ],
    )
    session.execute(
        insert(RoundParticipant),
        [
            {"round_id": second.id, "user_id": user_id, "joined_at": joined_at or now}
            for user_id, joined_at in left.people
        ],
    )
    audit.record(
        session,
        actor.id,
        "round.second_started",
        "allocation_round",
        second.id,
        {"parent_round_id": parent.id, "places": len(left.places), "people": len(left.people)},
    )
    return second


def rounds_of(session: Session, actor_id: int, scheme_id: int) -> list[AllocationRound]:
    """The scheme's rounds, newest first, for those who run it."""
    actor = load_actor(session, actor_id)
    scheme = load_scheme(session, actor, scheme_id)
    return list(
        session.scalars(
            select(AllocationRound)
            .where(AllocationRound.scheme_id == scheme.id)
            .order_by(AllocationRound.created_at.desc(), AllocationRound.id.desc())
        )
    )
