"""Use cases of the organisations in a round: offering places, ranking the people who chose them.

An organisation member offers their own verified organisation's published placements while
the round collects places, and says how many of the cohort each takes. While participants
choose, the organisation orders those who chose its place (or leaves the order to the engine's
stored match scores) and may mark a participant unacceptable, saying why: that reason is what
the participant reads in their result. Nobody touches another organisation's places. The
caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from matcher import audit
from matcher.models import (
    AllocationRound,
    Match,
    Organisation,
    Placement,
    PlacementStatus,
    PlaceRanking,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    UnacceptableMark,
    User,
    VerificationStatus,
)
from matcher.services.access import (
    load_actor,
    load_placement_for_member,
    load_round,
    load_round_place_for_member,
)
from matcher.services.concurrency import check_version
from matcher.services.messages import message
from matcher.services.rounds import wrong_state
from matcher.services.text import checked_text
from matcher.services.upsert import insert_unless_exists
from matcher.services.validation import ValidationFailed

REASON_MAX = 500

S = RoundState
# Places come and go, and change size, only while the round collects them; organisations
# rank and mark participants while participants choose.
OFFERING_STATES = frozenset({S.COLLECTING_PLACES})
RANKING_STATES = frozenset({S.COLLECTING_PLACES, S.COLLECTING_PREFERENCES})
# An organisation may take a place back until the round allocates; anyone who chose it then
# loses that choice, and their choices below it move up.
WITHDRAWING_STATES = RANKING_STATES


def _require_state(allocation_round: AllocationRound, states: frozenset[RoundState]) -> None:
    if allocation_round.state not in states:
        raise wrong_state(allocation_round)


def _checked_places(places: int | None, placement: Placement) -> int:
    if places is None:
        raise ValidationFailed({"places": message("round_place.places.missing")})
    if not 1 <= places <= placement.capacity:
        raise ValidationFailed(
            {"places": message("round_place.places.range", most=placement.capacity)}
        )
    return places


def offer_place(
    session: Session, actor_id: int, round_id: int, placement_id: int, places: int | None
) -> RoundPlace:
    """Offer one of the actor's organisation's published placements into a round."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round(session, actor, round_id, lock=True)
    placement = load_placement_for_member(session, actor, placement_id)
    _require_state(allocation_round, OFFERING_STATES)
    organisation = session.get(Organisation, placement.organisation_id)
    assert organisation is not None
    if organisation.status != VerificationStatus.VERIFIED:
        raise ValidationFailed({"placement_id": message("round_place.organisation.unverified")})
    if placement.status != PlacementStatus.OPEN:
        raise ValidationFailed({"placement_id": message("round_place.placement.not_open")})
    places = _checked_places(places, placement)
    inserted = insert_unless_exists(
        session,
        RoundPlace,
        {
            "round_id": round_id,
            "placement_id": placement.id,
            "places": places,
            "offered_by_id": actor.id,
        },
    )
    if not inserted:
        raise ValidationFailed({"placement_id": message("round_place.placement.already")})
    round_place = session.scalars(
        select(RoundPlace).where(
            RoundPlace.round_id == round_id, RoundPlace.placement_id == placement.id
        )
    ).one()
    audit.record(
        session,
        actor.id,
        "round_place.offered",
        "round_place",
        round_place.id,
        {"round_id": round_id, "placement_id": placement.id, "places": places},
    )
    return round_place


def _place_and_round(
    session: Session, actor: User, round_place_id: int
) -> tuple[RoundPlace, AllocationRound]:
    round_place = load_round_place_for_member(session, actor, round_place_id, lock=True)
    allocation_round = session.get(AllocationRound, round_place.round_id)
    assert allocation_round is not None
    return round_place, allocation_round


def change_places(
    session: Session,
    actor_id: int,
    round_place_id: int,
    places: int | None,
    *,
    expected_version: int | None = None,
) -> RoundPlace:
    """Change how many of the cohort an offered place takes."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    check_version("round place", round_place.id, expected_version, round_place.version_id)
    _require_state(allocation_round, OFFERING_STATES)
    placement = session.get(Placement, round_place.placement_id)
    assert placement is not None
    round_place.places = _checked_places(places, placement)
    session.flush()
    audit.record(
        session,
        actor.id,
        "round_place.changed",
        "round_place",
        round_place.id,
        {"places": round_place.places},
    )
    return round_place


def withdraw_place(session: Session, actor_id: int, round_place_id: int) -> int:
    """Take an offered place out of the round until it allocates; anyone who chose it loses
    that choice, their choices below it moving up. How many people had chosen it."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    _require_state(allocation_round, WITHDRAWING_STATES)
    chose = sorted(_choosers(session, round_place))
    kept = session.execute(
        select(RoundPreference.participant_id, RoundPreference.round_place_id)
        .where(
            RoundPreference.participant_id.in_(chose),
            RoundPreference.round_place_id != round_place.id,
        )
        .order_by(RoundPreference.participant_id, RoundPreference.rank)
    ).all()
    session.execute(delete(RoundPreference).where(RoundPreference.participant_id.in_(chose)))
    session.delete(round_place)
    session.flush()
    ranks: dict[int, int] = {}
    for participant_id, place_id in kept:
        ranks[participant_id] = ranks.get(participant_id, 0) + 1
        session.add(
            RoundPreference(
                participant_id=participant_id,
                rank=ranks[participant_id],
                round_place_id=place_id,
                round_id=allocation_round.id,
            )
        )
    for participant in session.scalars(
        select(RoundParticipant).where(RoundParticipant.id.in_(chose))
    ):
        # Changed choices are a new version of the participant, as set_choices makes them.
        flag_modified(participant, "withdrawn_at")
    session.flush()
    audit.record(
        session,
        actor.id,
        "round_place.withdrawn",
        "round_place",
        round_place_id,
        {
            "round_id": allocation_round.id,
            "placement_id": round_place.placement_id,
            "choosers": len(chose),
        },
    )
    return len(chose)


def _choosers(session: Session, round_place: RoundPlace) -> set[int]:
    return set(
        session.scalars(
            select(RoundPreference.participant_id).where(
                RoundPreference.round_place_id == round_place.id
            )
        )
    )


def rank_participants(
    session: Session,
    actor_id: int,
    round_place_id: int,
    ranks: Sequence[tuple[int, int]],
    *,
    expected_version: int | None = None,
) -> RoundPlace:
    """Order the participants who chose the place: (participant id, rank), lower is better,
    equal ranks tie. Anyone left out comes after everyone ranked. The place then uses this
    order instead of the engine's."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    check_version("round place", round_place.id, expected_version, round_place.version_id)
    _require_state(allocation_round, RANKING_STATES)
    chose = _choosers(session, round_place)
    seen: set[int] = set()
    for participant_id, rank in ranks:
        if participant_id not in chose:
            raise ValidationFailed({"ranks": message("round_place.ranking.not_chosen")})
        if participant_id in seen:
            raise ValidationFailed({"ranks": message("round_place.ranking.repeated")})
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ValidationFailed({"ranks": message("round_place.ranking.malformed")})
        seen.add(participant_id)
    session.execute(delete(PlaceRanking).where(PlaceRanking.round_place_id == round_place.id))
    session.add_all(
        PlaceRanking(
            round_place_id=round_place.id,
            participant_id=participant_id,
            rank=rank,
            round_id=allocation_round.id,
        )
        for participant_id, rank in ranks
    )
    round_place.ranking_mode = RankingMode.OWN_ORDER
    # New ranks are a new version of the place, even when its own columns stay the same.
    flag_modified(round_place, "ranking_mode")
    session.flush()
    audit.record(
        session,
        actor.id,
        "round_place.ranked",
        "round_place",
        round_place.id,
        {"ranked": len(ranks)},
    )
    return round_place


def use_engine_order(
    session: Session, actor_id: int, round_place_id: int, *, expected_version: int | None = None
) -> RoundPlace:
    """Let the engine's stored match scores order the place's participants; the organisation's
    own ranks are kept, unused, in case it changes its mind."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    check_version("round place", round_place.id, expected_version, round_place.version_id)
    _require_state(allocation_round, RANKING_STATES)
    round_place.ranking_mode = RankingMode.ENGINE_SCORE
    session.flush()
    audit.record(session, actor.id, "round_place.engine_order", "round_place", round_place.id)
    return round_place


def mark_unacceptable(
    session: Session, actor_id: int, round_place_id: int, participant_id: int, reason: str
) -> UnacceptableMark:
    """Say the organisation will not take a participant who chose the place, and why; marking
    again changes the reason."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    _require_state(allocation_round, RANKING_STATES)
    errors: dict[str, str] = {}
    reason = checked_text(
        errors,
        "reason",
        reason,
        label="Reason",
        limit=REASON_MAX,
        missing=message("round_place.unacceptable.reason_missing"),
    )
    if participant_id not in _choosers(session, round_place):
        errors["participant_id"] = message("round_place.unacceptable.not_chosen")
    if errors:
        raise ValidationFailed(errors)
    mark = session.get(UnacceptableMark, (round_place.id, participant_id))
    if mark is None:
        mark = UnacceptableMark(
            round_place_id=round_place.id,
            participant_id=participant_id,
            round_id=allocation_round.id,
        )
        session.add(mark)
    mark.reason = reason
    mark.marked_by_id = actor.id
    session.flush()
    # The reason is free text about a person, so the audit log notes only that one was given.
    audit.record(
        session,
        actor.id,
        "round_place.marked_unacceptable",
        "round_place",
        round_place.id,
        {"participant_id": participant_id},
    )
    return mark


def clear_unacceptable(
    session: Session, actor_id: int, round_place_id: int, participant_id: int
) -> None:
    """Take back an unacceptable mark."""
    actor = load_actor(session, actor_id)
    round_place, allocation_round = _place_and_round(session, actor, round_place_id)
    _require_state(allocation_round, RANKING_STATES)
    mark = session.get(UnacceptableMark, (round_place.id, participant_id))
    if mark is None:
        return
    session.delete(mark)
    session.flush()
    audit.record(
        session,
        actor.id,
        "round_place.unacceptable_cleared",
        "round_place",
        round_place.id,
        {"participant_id": participant_id},
    )


@dataclass(frozen=True)
class Chooser:
    """A participant who chose a place, as its organisation orders them."""

    participant_id: int
    name: str
    choice_rank: int  # where the participant put the place on their list
    score: float | None  # their stored match with the placement, if the engine made one
    own_rank: int | None  # the organisation's rank, if it gave one
    unacceptable_reason: str | None


def choosers(session: Session, actor_id: int, round_place_id: int) -> list[Chooser]:
    """Who chose the place, in the order the allocation will use: the organisation's own ranks
    or the engine's scores, best first, then the rest by name."""
    actor = load_actor(session, actor_id)
    round_place = load_round_place_for_member(session, actor, round_place_id)
    rows = session.execute(
        select(
            RoundPreference.participant_id,
            User.display_name,
            RoundPreference.rank,
            Match.score,
            PlaceRanking.rank,
            UnacceptableMark.reason,
        )
        .join(RoundParticipant, RoundParticipant.id == RoundPreference.participant_id)
        .join(User, User.id == RoundParticipant.user_id)
        .outerjoin(
            Match,
            (Match.person_id == RoundParticipant.user_id)
            & (Match.placement_id == round_place.placement_id),
        )
        .outerjoin(
            PlaceRanking,
            (PlaceRanking.round_place_id == round_place.id)
            & (PlaceRanking.participant_id == RoundPreference.participant_id),
        )
        .outerjoin(
            UnacceptableMark,
            (UnacceptableMark.round_place_id == round_place.id)
            & (UnacceptableMark.participant_id == RoundPreference.participant_id),
        )
        .where(
            RoundPreference.round_place_id == round_place.id,
            RoundParticipant.withdrawn_at.is_(None),
        )
    ).all()
    people = [Chooser(*row) for row in rows]
    if round_place.ranking_mode == RankingMode.OWN_ORDER:
        return sorted(
            people, key=lambda c: (c.own_rank is None, c.own_rank or 0, c.name, c.participant_id)
        )
    return sorted(
        people, key=lambda c: (c.score is None, -(c.score or 0.0), c.name, c.participant_id)
    )


def places_in_round(session: Session, actor_id: int, round_id: int) -> list[RoundPlace]:
    """The places offered into a round, by placement title, for anyone who may see the round."""
    actor = load_actor(session, actor_id)
    load_round(session, actor, round_id)
    return list(
        session.scalars(
            select(RoundPlace)
            .join(Placement, Placement.id == RoundPlace.placement_id)
            .where(RoundPlace.round_id == round_id)
            .order_by(Placement.title, RoundPlace.id)
        )
    )
