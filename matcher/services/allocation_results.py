"""Use cases after a round is published: reading a result and its reasons, and confirming it.

Each participant reads their own result, worded by ``matcher.allocation_reasons``; each side of
a placed result (the participant, and a member of the place's organisation) confirms or
declines it once, by the round's deadline for confirming. Declined places and people are what
a second round offers again (``rounds.start_second_round``). The caller commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher import audit
from matcher.allocation_reasons import PlaceNames, ResultInWords, result_in_words
from matcher.models import (
    AllocationResult,
    AllocationRound,
    Confirmation,
    ConfirmationDecision,
    ConfirmationSide,
    Organisation,
    OrganisationKind,
    Placement,
    Region,
    RoundParticipant,
    RoundPlace,
    RoundState,
    User,
    utcnow,
)
from matcher.reasons import date_in_words
from matcher.services.access import (
    load_actor,
    load_round,
    load_round_for_manager,
    participant_of,
    require_member,
)
from matcher.services.allocation_runs import AllocationSummary, summarise
from matcher.services.errors import NotFound
from matcher.services.messages import message
from matcher.services.rounds import wrong_state
from matcher.services.validation import ValidationFailed

RESULT_STATES = frozenset({RoundState.PUBLISHED, RoundState.CLOSED})
DECISION_WORDS = {
    ConfirmationDecision.CONFIRMED: "confirmed",
    ConfirmationDecision.DECLINED: "declined",
}


def place_names(session: Session, round_id: int) -> dict[int, PlaceNames]:
    """What sentences call each place of a round, in one query."""
    rows = session.execute(
        select(RoundPlace.id, Placement.title, Organisation.name)
        .join(Placement, Placement.id == RoundPlace.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .where(RoundPlace.round_id == round_id)
    ).all()
    return {place_id: PlaceNames(title, name) for place_id, title, name in rows}


@dataclass(frozen=True)
class ParticipantResult:
    """A participant's result as they see it, with both sides' answers so far."""

    words: ResultInWords
    round_place_id: int | None
    choice_number: int | None
    decisions: dict[ConfirmationSide, ConfirmationDecision]
    # The sides that did not answer before the round closed, whose place was kept for them.
    kept_by_deadline: frozenset[ConfirmationSide] = frozenset()


def _answers(
    session: Session, participant_id: int
) -> tuple[dict[ConfirmationSide, ConfirmationDecision], frozenset[ConfirmationSide]]:
    """Each side's answer to a result, and which of them the round's closing recorded."""
    rows = session.execute(
        select(Confirmation.side, Confirmation.decision, Confirmation.by_deadline).where(
            Confirmation.participant_id == participant_id
        )
    ).all()
    return (
        {side: decision for side, decision, _ in rows},
        frozenset(side for side, _, by_deadline in rows if by_deadline),
    )


def _published(session: Session, actor: User, round_id: int) -> AllocationRound:
    allocation_round = load_round(session, actor, round_id)
    if allocation_round.state not in RESULT_STATES:
        raise wrong_state(allocation_round)
    return allocation_round


def own_result(session: Session, actor_id: int, round_id: int) -> ParticipantResult:
    """The actor's result in a published round, and why."""
    actor = load_actor(session, actor_id)
    _published(session, actor, round_id)
    participant = participant_of(session, actor.id, round_id)
    result = session.get(AllocationResult, participant.id) if participant else None
    if result is None:
        raise NotFound(f"user {actor.id} has no result in round {round_id}")
    words = result_in_words(
        result.choice_number, result.explanation, place_names(session, round_id)
    )
    return ParticipantResult(
        words,
        result.round_place_id,
        result.choice_number,
        *_answers(session, result.participant_id),
    )


def _decide(
    session: Session,
    actor: User,
    allocation_round: AllocationRound,
    result: AllocationResult,
    side: ConfirmationSide,
    decision: ConfirmationDecision,
) -> Confirmation:
    if allocation_round.state != RoundState.PUBLISHED:
        raise wrong_state(allocation_round)
    deadline = allocation_round.confirmations_close_at
    if deadline is not None and utcnow() > deadline:
        raise ValidationFailed(
            {
                "decision": message(
                    "confirmation.deadline_passed", deadline=date_in_words(deadline.date())
                )
            }
        )
    if result.round_place_id is None:
        raise ValidationFailed({"decision": message("confirmation.unplaced")})
    existing = session.get(Confirmation, (result.participant_id, side))
    if existing is not None:
        raise ValidationFailed(
            {
                "decision": message(
                    "confirmation.already", decision=DECISION_WORDS[existing.decision]
                )
            }
        )
    confirmation = Confirmation(
        participant_id=result.participant_id,
        side=side,
        decision=ConfirmationDecision(decision),
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    session.add(confirmation)
    session.flush()
    audit.record(
        session,
        actor.id,
        f"round_result.{confirmation.decision.value}",
        "round_participant",
        result.participant_id,
        {"side": side.value, "round_id": allocation_round.id},
    )
    return confirmation


def answer_as_participant(
    session: Session, actor_id: int, round_id: int, decision: ConfirmationDecision
) -> Confirmation:
    """Confirm or decline the place the actor was given."""
    actor = load_actor(session, actor_id)
    allocation_round = _published(session, actor, round_id)
    participant = participant_of(session, actor.id, round_id)
    result = (
        session.get(AllocationResult, participant.id, with_for_update=True) if participant else None
    )
    if result is None:
        raise NotFound(f"user {actor.id} has no result in round {round_id}")
    return _decide(session, actor, allocation_round, result, ConfirmationSide.PARTICIPANT, decision)


def answer_as_organisation(
    session: Session, actor_id: int, participant_id: int, decision: ConfirmationDecision
) -> Confirmation:
    """Confirm or decline, for the organisation, a participant placed with one of its places."""
    actor = load_actor(session, actor_id)
    result = session.get(AllocationResult, participant_id, with_for_update=True)
    if result is None or result.round_place_id is None:
        raise NotFound(f"participant {participant_id} has no place to answer for")
    allocation_round = _published(session, actor, result.round_id)
    organisation_id = session.scalar(
        select(Placement.organisation_id)
        .join(RoundPlace, RoundPlace.placement_id == Placement.id)
        .where(RoundPlace.id == result.round_place_id)
    )
    assert organisation_id is not None
    require_member(session, actor, organisation_id)
    return _decide(
        session, actor, allocation_round, result, ConfirmationSide.ORGANISATION, decision
    )


@dataclass(frozen=True)
class Incoming:
    """A participant placed with an organisation, with contact details once both sides agreed."""

    participant_id: int
    round_place_id: int
    placement_title: str
    name: str
    email: str | None
    decisions: dict[ConfirmationSide, ConfirmationDecision]
    # The sides that did not answer before the round closed, whose place was kept for them.
    kept_by_deadline: frozenset[ConfirmationSide] = frozenset()


def coming_to(
    session: Session, actor_id: int, round_id: int, organisation_id: int
) -> list[Incoming]:
    """Who the allocation placed with the organisation's places, for its members."""
    actor = load_actor(session, actor_id)
    _published(session, actor, round_id)
    require_member(session, actor, organisation_id)
    return _incoming(session, [round_id], organisation_id)


def _incoming(session: Session, round_ids: list[int], organisation_id: int) -> list[Incoming]:
    """Who the rounds placed with the organisation's places; their address once both agreed."""
    rows = session.execute(
        select(
            AllocationResult.participant_id,
            AllocationResult.round_place_id,
            Placement.title,
            User.display_name,
            User.email,
        )
        .join(RoundPlace, RoundPlace.id == AllocationResult.round_place_id)
        .join(Placement, Placement.id == RoundPlace.placement_id)
        .join(RoundParticipant, RoundParticipant.id == AllocationResult.participant_id)
        .join(User, User.id == RoundParticipant.user_id)
        .where(
            AllocationResult.round_id.in_(round_ids), Placement.organisation_id == organisation_id
        )
        .order_by(Placement.title, User.display_name)
    ).all()
    incoming = []
    for participant_id, place_id, title, name, email in rows:
        decisions, kept = _answers(session, participant_id)
        agreed = all(
            decisions.get(side) == ConfirmationDecision.CONFIRMED for side in ConfirmationSide
        )
        incoming.append(
            Incoming(
                participant_id, place_id, title, name, email if agreed else None, decisions, kept
            )
        )
    return incoming


@dataclass(frozen=True)
class OfferedPlace:
    """One of an organisation's places in a round and, once its results are published, who
    the allocation placed in it."""

    round: AllocationRound
    place: RoundPlace
    coming: list[Incoming]


def places_offered_by(session: Session, actor_id: int, organisation_id: int) -> list[OfferedPlace]:
    """The organisation's places in every round its members may see, newest round first, for
    its members."""
    actor = load_actor(session, actor_id)
    require_member(session, actor, organisation_id)
    rows = session.execute(
        select(RoundPlace, AllocationRound)
        .join(AllocationRound, AllocationRound.id == RoundPlace.round_id)
        .join(Placement, Placement.id == RoundPlace.placement_id)
        .where(
            Placement.organisation_id == organisation_id,
            # A second round is a draft, with its places, until its managers open it.
            AllocationRound.state != RoundState.DRAFT,
        )
        .order_by(
            AllocationRound.created_at.desc(),
            AllocationRound.id.desc(),
            Placement.title,
            RoundPlace.id,
        )
    ).all()
    published = list(dict.fromkeys(r.id for _, r in rows if r.state in RESULT_STATES))
    coming: dict[int, list[Incoming]] = {}
    for person in _incoming(session, published, organisation_id) if published else []:
        coming.setdefault(person.round_place_id, []).append(person)
    return [OfferedPlace(r, place, coming.get(place.id, [])) for place, r in rows]


@dataclass(frozen=True)
class RoundStatistics:
    """How a round's allocation went, for its managers: the counts, and the places left empty
    by the organisations' region and kind (largest first)."""

    summary: AllocationSummary
    unfilled_by_region: list[tuple[str, int]]
    unfilled_by_kind: list[tuple[OrganisationKind, int]]


NO_REGION = "No region"


def round_statistics(session: Session, actor_id: int, round_id: int) -> RoundStatistics:
    """The allocated round's counts and unfilled places, for those who run it."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id)
    if allocation_round.allocated_at is None:
        raise ValidationFailed({"state": message("round.not_allocated")})
    taken = (
        select(AllocationResult.round_place_id, func.count().label("taken"))
        .where(AllocationResult.round_id == round_id)
        .group_by(AllocationResult.round_place_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Region.name,
            Organisation.kind,
            RoundPlace.places - func.coalesce(taken.c.taken, 0),
        )
        .join(Placement, Placement.id == RoundPlace.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .outerjoin(Region, Region.code == Organisation.region_code)
        .outerjoin(taken, taken.c.round_place_id == RoundPlace.id)
        .where(RoundPlace.round_id == round_id)
    ).all()
    by_region: Counter[str] = Counter()
    by_kind: Counter[OrganisationKind] = Counter()
    for region, kind, unfilled in rows:
        if unfilled > 0:
            by_region[region or NO_REGION] += unfilled
            by_kind[kind] += unfilled
    return RoundStatistics(
        summarise(session, round_id, already_allocated=True),
        sorted(by_region.items(), key=lambda item: (-item[1], item[0])),
        sorted(by_kind.items(), key=lambda item: (-item[1], item[0].value)),
    )


@dataclass(frozen=True)
class ResultForManager:
    """One participant's result as the round's managers see it."""

    participant_id: int
    name: str
    round_place_id: int | None
    place: PlaceNames | None
    choice_number: int | None
    decisions: dict[ConfirmationSide, ConfirmationDecision]


def round_results(
    session: Session, actor_id: int, round_id: int, *, limit: int, offset: int = 0
) -> tuple[list[ResultForManager], int]:
    """A page of the allocated round's results, by participant, and how many there
    are, for those who run it; before publishing too, so they can check them first."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id)
    if allocation_round.allocated_at is None:
        raise ValidationFailed({"state": message("round.not_allocated")})
    total = session.scalar(
        select(func.count())
        .select_from(AllocationResult)
        .where(AllocationResult.round_id == round_id)
    )
    rows = session.execute(
        select(AllocationResult, User.display_name)
        .join(RoundParticipant, RoundParticipant.id == AllocationResult.participant_id)
        .join(User, User.id == RoundParticipant.user_id)
        .where(AllocationResult.round_id == round_id)
        .order_by(AllocationResult.participant_id)
        .limit(limit)
        .offset(offset)
    ).all()
    names = place_names(session, round_id)
    answers: dict[int, dict[ConfirmationSide, ConfirmationDecision]] = {}
    for participant_id, side, decision in session.execute(
        select(Confirmation.participant_id, Confirmation.side, Confirmation.decision).where(
            Confirmation.participant_id.in_([result.participant_id for result, _ in rows])
        )
    ):
        answers.setdefault(participant_id, {})[side] = decision
    return [
        ResultForManager(
            result.participant_id,
            name,
            result.round_place_id,
            names.get(result.round_place_id) if result.round_place_id else None,
            result.choice_number,
            answers.get(result.participant_id, {}),
        )
        for result, name in rows
    ], total or 0
