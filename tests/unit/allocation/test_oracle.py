"""allocate on random small rounds: the library's answer, stable, within capacity, repeatable."""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations, product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.allocation import (
    VERDICTS,
    ChoiceVerdict,
    Instance,
    allocate,
    draw_lottery,
    explain,
    explain_all,
)
from tests.unit.allocation.oracle import blocking_pairs, library_allocation, strict_order

# Derandomised: make test runs the same examples every time, so CI never meets a new one.
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def rounds(draw: st.DrawFn, most_participants: int = 10, most_places: int = 5) -> Instance:
    """Small rounds with lists of any length, ties, refusals and places that take no one."""
    participants = draw(st.integers(0, most_participants))
    places = draw(st.integers(0, most_places))
    preferences = []
    for _ in range(participants):
        order = draw(st.permutations(range(places)))
        preferences.append(order[: draw(st.integers(0, places))])
    capacities = draw(st.lists(st.integers(0, 3), min_size=places, max_size=places))
    place_ranks = [
        draw(
            st.dictionaries(
                st.integers(0, participants - 1) if participants else st.nothing(),
                st.integers(0, 3),
                max_size=participants,
            )
        )
        for _ in range(places)
    ]
    # Keyed by position, or by ids as a round's participants are.
    keys = draw(
        st.one_of(
            st.just(()),
            st.lists(
                st.integers(0, 10**9), min_size=participants, max_size=participants, unique=True
            ),
        )
    )
    return Instance(preferences, capacities, place_ranks, draw(st.integers(0, 2**63)), keys)


@SETTINGS
@given(rounds())
def test_allocate_gives_the_librarys_resident_optimal_allocation(instance: Instance):
    outcome = allocate(instance)
    assert outcome.place_of == library_allocation(instance, outcome.lottery)


@SETTINGS
@given(rounds())
def test_no_participant_and_place_would_rather_have_each_other(instance: Instance):
    outcome = allocate(instance)
    assert blocking_pairs(instance, outcome.lottery, outcome.place_of) == []


@SETTINGS
@given(rounds())
def test_everyone_placed_chose_the_place_was_accepted_by_it_and_fits_in_it(instance: Instance):
    outcome = allocate(instance)
    for participant, place in enumerate(outcome.place_of):
        if place is not None:
            assert place in instance.preferences[participant]
            assert participant in instance.place_ranks[place]
    for place, capacity in enumerate(instance.capacities):
        assert outcome.place_of.count(place) <= capacity


@SETTINGS
@given(rounds())
def test_the_same_seed_gives_the_same_allocation_and_lottery(instance: Instance):
    again = Instance(
        [list(choices) for choices in instance.preferences],
        list(instance.capacities),
        [dict(ranks) for ranks in instance.place_ranks],
        instance.seed,
        list(instance.keys),
    )
    assert allocate(again) == allocate(instance)
    assert allocate(instance).lottery == draw_lottery(instance.seed, instance.lottery_keys)


@settings(SETTINGS, max_examples=60)
@given(rounds(), st.data())
def test_the_same_seed_gives_the_same_allocation_whatever_order_participants_load_in(
    instance: Instance, data: st.DataObject
):
    # A round loads its participants by id today; another order (another query plan, a
    # different database) must not move anyone.
    keys = list(instance.lottery_keys)
    order = data.draw(st.permutations(range(instance.participants)))
    now_at = {old: new for new, old in enumerate(order)}
    shuffled = Instance(
        [instance.preferences[old] for old in order],
        instance.capacities,
        [{now_at[old]: rank for old, rank in ranks.items()} for ranks in instance.place_ranks],
        instance.seed,
        [keys[old] for old in order],
    )
    before, after = allocate(instance), allocate(shuffled)
    assert [after.place_of[now_at[old]] for old in range(instance.participants)] == list(
        before.place_of
    )
    assert [after.lottery[now_at[old]] for old in range(instance.participants)] == list(
        before.lottery
    )


@SETTINGS
@given(rounds())
def test_each_verdict_says_what_happened_at_that_place(instance: Instance):
    outcome = allocate(instance)
    for participant, choices in enumerate(instance.preferences):
        verdicts = explain(instance, outcome, participant)
        got = outcome.place_of[participant]
        expected_length = len(choices) if got is None else list(choices).index(got) + 1
        assert [place for place, _ in verdicts] == list(choices)[:expected_length]
        for place, verdict in verdicts:
            ranks = instance.place_ranks[place]
            holders = [other for other, there in enumerate(outcome.place_of) if there == place]
            if verdict is ChoiceVerdict.GOT:
                assert place == got
            elif verdict is ChoiceVerdict.NO_CAPACITY:
                assert instance.capacities[place] == 0
            elif verdict is ChoiceVerdict.UNACCEPTABLE:
                assert participant not in ranks
            else:
                assert verdict is ChoiceVerdict.FILLED_BY_HIGHER
                order = strict_order(instance, outcome.lottery, place)
                assert len(holders) == instance.capacities[place]
                assert all(order.index(other) < order.index(participant) for other in holders)


@SETTINGS
@given(rounds())
def test_explaining_the_whole_round_at_once_says_what_explain_says_for_each(instance: Instance):
    outcome = allocate(instance)
    explained = explain_all(instance, outcome)
    at_once = list(
        zip(
            explained.participant.tolist(),
            explained.place.tolist(),
            [VERDICTS[code] for code in explained.verdict.tolist()],
            strict=True,
        )
    )
    assert at_once == [
        (participant, place, verdict)
        for participant in range(instance.participants)
        for place, verdict in explain(instance, outcome, participant)
    ]


def _preference(instance: Instance, participant: int, place: int | None) -> int:
    """Where ``place`` stands on the participant's list: lower is better, unplaced is last."""
    choices = list(instance.preferences[participant])
    return len(choices) if place is None else choices.index(place)


def _stable_allocations(
    instance: Instance, lottery: tuple[int, ...]
) -> list[tuple[int | None, ...]]:
    """Every stable allocation, by trying every way to place every participant."""
    options = [[None, *choices] for choices in instance.preferences]
    found = []
    for place_of in product(*options):
        if any(
            place is not None
            and (participant not in instance.place_ranks[place] or instance.capacities[place] == 0)
            for participant, place in enumerate(place_of)
        ):
            continue
        if any(place_of.count(place) > c for place, c in enumerate(instance.capacities)):
            continue
        if not blocking_pairs(instance, lottery, place_of):
            found.append(place_of)
    return found


@SETTINGS
@given(rounds(most_participants=5, most_places=3))
def test_every_participant_does_at_least_as_well_as_in_any_other_stable_allocation(
    instance: Instance,
):
    outcome = allocate(instance)
    stable = _stable_allocations(instance, outcome.lottery)
    assert outcome.place_of in stable
    for other in stable:
        for participant in range(instance.participants):
            assert _preference(instance, participant, outcome.place_of[participant]) <= (
                _preference(instance, participant, other[participant])
            )


@settings(SETTINGS, max_examples=60)
@given(rounds(most_participants=5, most_places=3), st.data())
def test_no_participant_gets_a_place_they_prefer_by_listing_other_than_the_truth(
    instance: Instance, data: st.DataObject
):
    if not instance.participants:
        return
    participant = data.draw(st.integers(0, instance.participants - 1))
    truth = allocate(instance).place_of[participant]
    for length in range(instance.places + 1):
        for listed in permutations(range(instance.places), length):
            preferences = [*instance.preferences]
            preferences[participant] = list(listed)
            got = allocate(replace(instance, preferences=preferences)).place_of[participant]
            # Judged by the true list: a place not on it is no better than none.
            if got in instance.preferences[participant]:
                assert _preference(instance, participant, got) >= (
                    _preference(instance, participant, truth)
                )
