"""A small allocation round for service tests: two places, five participants, one of each case.

Place A (organisation A, one place, its own order) ranks the second person above the first and
marks the third unacceptable; place B (organisation B, one place, the engine's score order) has
the first person's stored match scored above the second's. The fourth person is not free until
after both placements start; the fifth withdrew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.models import (
    AllocationRound,
    CivilServantProfile,
    Match,
    PlaceRanking,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    Scheme,
    UnacceptableMark,
    User,
    utcnow,
)
from tests.unit.services.world import World, civil_servant, open_placement

# Quotes, a backslash and an accent: the results' COPY must carry them unchanged.
UNACCEPTABLE_REASON = 'The role needs a full "category B" driving licence \\ permis de conduire é'


@dataclass
class AllocationWorld:
    world: World
    scheme: Scheme
    round: AllocationRound
    place_a: RoundPlace
    place_b: RoundPlace
    people: list[User]
    participants: list[RoundParticipant]


def allocating_round(session: Session, world: World) -> AllocationWorld:
    """The round described above, in state allocating; committed."""
    scheme = Scheme(name="Fast Stream local placements")
    session.add(scheme)
    session.flush()
    allocation_round = AllocationRound(
        scheme_id=scheme.id,
        name="Spring 2027",
        state=RoundState.ALLOCATING,
        max_choices=3,
        lottery_seed=20270301,
    )
    session.add(allocation_round)
    session.flush()
    placement_a = open_placement(session, world)
    placement_b = open_placement(session, world, member=world.admin_b)
    place_a = RoundPlace(
        round_id=allocation_round.id,
        placement_id=placement_a.id,
        places=1,
        ranking_mode=RankingMode.OWN_ORDER,
    )
    place_b = RoundPlace(round_id=allocation_round.id, placement_id=placement_b.id, places=1)
    session.add_all([place_a, place_b])
    session.flush()
    people = [civil_servant(session) for _ in range(5)]
    late = session.get(CivilServantProfile, people[3].id)
    assert late is not None
    late.available_from = london_today() + timedelta(days=90)
    participants = [
        RoundParticipant(round_id=allocation_round.id, user_id=person.id, joined_at=utcnow())
        for person in people
    ]
    participants[4].withdrawn_at = utcnow()
    session.add_all(participants)
    session.flush()
    choices = {0: [place_a, place_b], 1: [place_a, place_b], 2: [place_a], 3: [place_a, place_b]}
    choices[4] = [place_a]
    for index, places in choices.items():
        for rank, place in enumerate(places, start=1):
            session.add(
                RoundPreference(
                    participant_id=participants[index].id,
                    rank=rank,
                    round_place_id=place.id,
                    round_id=allocation_round.id,
                )
            )
    for rank, index in enumerate([1, 0, 3], start=1):
        session.add(
            PlaceRanking(
                round_place_id=place_a.id,
                participant_id=participants[index].id,
                rank=rank,
                round_id=allocation_round.id,
            )
        )
    session.add(
        UnacceptableMark(
            round_place_id=place_a.id,
            participant_id=participants[2].id,
            reason=UNACCEPTABLE_REASON,
            round_id=allocation_round.id,
        )
    )
    for index, score in ((0, 0.9), (1, 0.5)):
        session.add(
            Match(
                person_id=people[index].id,
                placement_id=placement_b.id,
                score=score,
                rank=1,
                reasons=[],
                engine_version="test",
            )
        )
    session.commit()
    return AllocationWorld(world, scheme, allocation_round, place_a, place_b, people, participants)
