"""Nobody outside a round's scheme runs it, nobody touches another organisation's places in it,
and nobody acts for a participant but the participant: each refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEntry, ConfirmationDecision, OutboxEvent, RoundState, User
from matcher.services import NotFound, NotPermitted, rounds, schemes
from matcher.services import allocation_results as results
from matcher.services import round_participants as participants
from matcher.services import round_places as places
from matcher.services.allocation_runs import allocate_round
from matcher.services.rounds import RoundSettings
from tests.unit.services.world import World, open_placement

DOMAINS = ("gov.uk",)


@dataclass
class Objects:
    """A round collecting choices, organisation A's place in it, and the world's person in it."""

    scheme_id: int
    round_id: int
    place_id: int
    participant_id: int


def round_of_a(world: World) -> Objects:
    admin = world.platform_admin.id
    scheme = schemes.create_scheme(db.session, admin, name="Fast Stream", department_id=None)
    allocation_round = rounds.create_round(
        db.session, admin, scheme.id, RoundSettings(name="Spring 2027", max_choices=3)
    )
    rounds.advance(db.session, admin, allocation_round.id, RoundState.COLLECTING_PLACES)
    placement = open_placement(db.session, world)
    place = places.offer_place(db.session, world.member_a.id, allocation_round.id, placement.id, 1)
    secret = participants.make_join_link_secret(db.session, admin, allocation_round.id)
    joined = participants.join_by_link(
        db.session, world.person.id, secret, government_domains=DOMAINS
    )
    rounds.advance(db.session, admin, allocation_round.id, RoundState.COLLECTING_PREFERENCES)
    participants.set_choices(db.session, world.person.id, allocation_round.id, [place.id])
    db.session.commit()
    return Objects(scheme.id, allocation_round.id, place.id, joined.id)


Call = Callable[[World, Objects, int], Any]
SETTINGS = RoundSettings(name="Renamed", max_choices=2)


def _allocate(w: World, o: Objects, actor: int) -> Any:
    by = db.session.get(User, actor)
    return allocate_round(db.session, o.round_id, by=by)


# Who tries what: a civil servant outside the round, organisation B's administrator, and the
# round's own participant, each against the round, organisation A's place and the participant.
OUTSIDER, ORG_B, PARTICIPANT = "other_person", "admin_b", "person"
MATRIX: list[tuple[str, str, Call, type[Exception]]] = [
    (
        "appoint_manager",
        ORG_B,
        lambda w, o, a: schemes.appoint_manager(db.session, a, o.scheme_id, w.admin_b.email),
        NotPermitted,
    ),
    (
        "managers_of",
        PARTICIPANT,
        lambda w, o, a: schemes.managers_of(db.session, a, o.scheme_id),
        NotPermitted,
    ),
    (
        "create_round",
        PARTICIPANT,
        lambda w, o, a: rounds.create_round(db.session, a, o.scheme_id, SETTINGS),
        NotPermitted,
    ),
    (
        "change_settings",
        OUTSIDER,
        lambda w, o, a: rounds.change_settings(db.session, a, o.round_id, SETTINGS),
        NotFound,
    ),
    (
        "change_settings",
        ORG_B,
        lambda w, o, a: rounds.change_settings(db.session, a, o.round_id, SETTINGS),
        NotPermitted,
    ),
    (
        "advance",
        PARTICIPANT,
        lambda w, o, a: rounds.advance(db.session, a, o.round_id, RoundState.ALLOCATING),
        NotPermitted,
    ),
    ("allocate_round", ORG_B, _allocate, NotPermitted),
    (
        "start_second_round",
        PARTICIPANT,
        lambda w, o, a: rounds.start_second_round(db.session, a, o.round_id, SETTINGS),
        NotPermitted,
    ),
    (
        "invite",
        ORG_B,
        lambda w, o, a: participants.invite(
            db.session, a, o.round_id, ["x@dwp.gov.uk"], government_domains=DOMAINS
        ),
        NotPermitted,
    ),
    (
        "make_join_link_secret",
        PARTICIPANT,
        lambda w, o, a: participants.make_join_link_secret(db.session, a, o.round_id),
        NotPermitted,
    ),
    ("cohort", ORG_B, lambda w, o, a: participants.cohort(db.session, a, o.round_id), NotPermitted),
    (
        "round_statistics",
        PARTICIPANT,
        lambda w, o, a: results.round_statistics(db.session, a, o.round_id),
        NotPermitted,
    ),
    (
        "offer_place",
        OUTSIDER,
        lambda w, o, a: places.offer_place(db.session, a, o.round_id, 1, 1),
        NotFound,
    ),
    (
        "change_places",
        ORG_B,
        lambda w, o, a: places.change_places(db.session, a, o.place_id, 1),
        NotPermitted,
    ),
    (
        "withdraw_place",
        ORG_B,
        lambda w, o, a: places.withdraw_place(db.session, a, o.place_id),
        NotPermitted,
    ),
    (
        "rank_participants",
        ORG_B,
        lambda w, o, a: places.rank_participants(
            db.session, a, o.place_id, [(o.participant_id, 1)]
        ),
        NotPermitted,
    ),
    (
        "use_engine_order",
        ORG_B,
        lambda w, o, a: places.use_engine_order(db.session, a, o.place_id),
        NotPermitted,
    ),
    (
        "mark_unacceptable",
        ORG_B,
        lambda w, o, a: places.mark_unacceptable(db.session, a, o.place_id, o.participant_id, "No"),
        NotPermitted,
    ),
    (
        "mark_unacceptable",
        OUTSIDER,
        lambda w, o, a: places.mark_unacceptable(db.session, a, o.place_id, o.participant_id, "No"),
        NotFound,
    ),
    (
        "clear_unacceptable",
        ORG_B,
        lambda w, o, a: places.clear_unacceptable(db.session, a, o.place_id, o.participant_id),
        NotPermitted,
    ),
    (
        "choosers",
        PARTICIPANT,
        lambda w, o, a: places.choosers(db.session, a, o.place_id),
        NotPermitted,
    ),
    (
        "choices",
        OUTSIDER,
        lambda w, o, a: participants.choices(db.session, a, o.round_id),
        NotFound,
    ),
    (
        "set_choices",
        ORG_B,
        lambda w, o, a: participants.set_choices(db.session, a, o.round_id, [o.place_id]),
        NotFound,
    ),
    (
        "withdraw",
        OUTSIDER,
        lambda w, o, a: participants.withdraw(db.session, a, o.round_id),
        NotFound,
    ),
    (
        "answer_as_organisation",
        ORG_B,
        lambda w, o, a: results.answer_as_organisation(
            db.session, a, o.participant_id, ConfirmationDecision.CONFIRMED
        ),
        NotFound,
    ),
]


def written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        db.session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
    )


@pytest.mark.parametrize(
    ("actor", "call", "refusal"),
    [(a, c, r) for _, a, c, r in MATRIX],
    ids=[f"{name}-by-{actor}" for name, actor, _, _ in MATRIX],
)
def test_who_may_not_is_refused_and_nothing_is_written(
    world: World, actor: str, call: Call, refusal: type[Exception]
):
    objects = round_of_a(world)
    before = written()
    with pytest.raises(refusal):
        call(world, objects, getattr(world, actor).id)
    db.session.rollback()
    assert written() == before
