"""Hand-worked rounds: who goes where, why, and how the lottery settles ties."""

from __future__ import annotations

import pytest

from matcher.allocation import ChoiceVerdict, Instance, allocate, draw_lottery, explain

GOT = ChoiceVerdict.GOT
FILLED = ChoiceVerdict.FILLED_BY_HIGHER
UNACCEPTABLE = ChoiceVerdict.UNACCEPTABLE
NO_CAPACITY = ChoiceVerdict.NO_CAPACITY


def _round(
    preferences: list[list[int]],
    capacities: list[int],
    place_ranks: list[dict[int, int]],
    seed: int = 0,
) -> Instance:
    return Instance(preferences, capacities, place_ranks, seed)


def test_a_rejected_participant_moves_down_their_list_and_the_chain_settles():
    # Place 0 (1 seat) prefers Bea over Ann; place 1 (1 seat) prefers Ann over Cal.
    # Ann proposes to 0 and is held; Bea bumps her; Ann goes to 1, bumping Cal; Cal goes to 2.
    ann, bea, cal = 0, 1, 2
    instance = _round(
        preferences=[[0, 1], [0], [1, 2]],
        capacities=[1, 1, 1],
        place_ranks=[{ann: 2, bea: 1}, {ann: 1, cal: 2}, {cal: 1}],
    )
    outcome = allocate(instance)
    assert outcome.place_of == (1, 0, 2)
    assert explain(instance, outcome, ann) == [(0, FILLED), (1, GOT)]
    assert explain(instance, outcome, bea) == [(0, GOT)]
    assert explain(instance, outcome, cal) == [(1, FILLED), (2, GOT)]


def test_the_result_is_the_best_stable_one_for_participants_not_for_places():
    # Each place ranks the participant who ranks it second: two stable allocations exist,
    # (0->0, 1->1) and (0->1, 1->0); participants proposing get their first choices.
    instance = _round(
        preferences=[[0, 1], [1, 0]],
        capacities=[1, 1],
        place_ranks=[{0: 2, 1: 1}, {0: 1, 1: 2}],
    )
    assert allocate(instance).place_of == (0, 1)


def test_a_place_takes_up_to_its_capacity_in_its_own_order():
    instance = _round(
        preferences=[[0, 1], [0, 1], [0, 1], [0, 1]],
        capacities=[2, 5],
        place_ranks=[{0: 4, 1: 1, 2: 3, 3: 2}, {0: 1, 1: 1, 2: 1, 3: 1}],
    )
    outcome = allocate(instance)
    assert outcome.place_of == (1, 0, 1, 0)
    assert explain(instance, outcome, 2) == [(0, FILLED), (1, GOT)]


def test_the_lottery_is_a_fixed_function_of_the_seed_so_a_round_can_be_repeated():
    # Pinned: if the draw changed, stored rounds could no longer be audited by rerunning them.
    assert draw_lottery(2026, range(6)) == (5, 1, 2, 0, 4, 3)
    assert draw_lottery(2026, [40, 7, 913]) == draw_lottery(2026, [40, 7, 913])
    assert sorted(draw_lottery(7, range(1000))) == list(range(1000))
    assert draw_lottery(1, []) == ()


def test_each_draw_is_splitmix64_so_anyone_can_repeat_it_from_the_seed_and_ids():
    # SplitMix64 from seed 0 begins 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (Steele, Lea and
    # Flood 2014; Vigna's reference C): key 0 draws the first, key 1 the second, which is
    # lower, so key 1 wins ties.
    assert draw_lottery(0, [0, 1]) == (1, 0)
    assert draw_lottery(0, [1, 0]) == (0, 1)


def test_a_participants_lottery_number_follows_their_id_not_their_position():
    ids = [31, 4, 15, 9, 26]
    lottery = dict(zip(ids, draw_lottery(99, ids), strict=True))
    shuffled = [9, 26, 31, 15, 4]
    assert dict(zip(shuffled, draw_lottery(99, shuffled), strict=True)) == lottery


def test_a_tie_goes_to_the_lower_lottery_number():
    # Both tied at the one seat of place 0; the loser falls back to place 1.
    for seed in range(6):
        instance = _round(
            preferences=[[0, 1], [0, 1]],
            capacities=[1, 1],
            place_ranks=[{0: 1, 1: 1}, {0: 1, 1: 1}],
            seed=seed,
        )
        outcome = allocate(instance)
        winner = outcome.lottery.index(min(outcome.lottery))
        assert outcome.lottery == draw_lottery(seed, range(2))
        assert outcome.place_of[winner] == 0
        assert outcome.place_of[1 - winner] == 1
        assert explain(instance, outcome, 1 - winner) == [(0, FILLED), (1, GOT)]


def test_the_lottery_only_breaks_ties_it_never_overrides_a_rank():
    seeds_where_1_wins_a_tie = [
        seed
        for seed in range(20)
        if draw_lottery(seed, range(2))[1] < draw_lottery(seed, range(2))[0]
    ]
    instance = _round(
        preferences=[[0], [0]],
        capacities=[1],
        place_ranks=[{0: 1, 1: 2}],
        seed=seeds_where_1_wins_a_tie[0],
    )
    assert allocate(instance).place_of == (0, None)


def test_an_unacceptable_participant_is_never_placed_there_even_with_room():
    instance = _round(
        preferences=[[0, 1], [0]],
        capacities=[3, 1],
        place_ranks=[{1: 1}, {0: 1}],
    )
    outcome = allocate(instance)
    assert outcome.place_of == (1, 0)
    assert explain(instance, outcome, 0) == [(0, UNACCEPTABLE), (1, GOT)]


def test_a_place_with_no_capacity_takes_no_one():
    instance = _round(
        preferences=[[0, 1], [0]],
        capacities=[0, 1],
        place_ranks=[{0: 1, 1: 1}, {0: 1}],
    )
    outcome = allocate(instance)
    assert outcome.place_of == (1, None)
    assert explain(instance, outcome, 0) == [(0, NO_CAPACITY), (1, GOT)]
    assert explain(instance, outcome, 1) == [(0, NO_CAPACITY)]


def test_an_unplaced_participant_hears_about_every_choice_and_an_empty_list_about_none():
    instance = _round(
        preferences=[[0, 1], [1, 0], [], [0, 1]],
        capacities=[1, 1],
        place_ranks=[{0: 1, 1: 2, 3: 3}, {1: 1, 0: 3, 3: 2}],
    )
    outcome = allocate(instance)
    assert outcome.place_of == (0, 1, None, None)
    assert explain(instance, outcome, 2) == []
    assert explain(instance, outcome, 3) == [(0, FILLED), (1, FILLED)]


def test_a_participant_who_withdraws_before_allocating_frees_their_seat():
    # The service leaves a withdrawn participant out of the instance altogether.
    everyone = _round(
        preferences=[[0], [0, 1], [0]],
        capacities=[1, 1],
        place_ranks=[{0: 1, 1: 2, 2: 3}, {1: 1}],
    )
    assert allocate(everyone).place_of == (0, 1, None)
    without_the_first = _round(
        preferences=[[0, 1], [0]],
        capacities=[1, 1],
        place_ranks=[{0: 2, 1: 3}, {0: 1}],
    )
    outcome = allocate(without_the_first)
    assert outcome.place_of == (0, None)
    assert explain(without_the_first, outcome, 1) == [(0, FILLED)]


def test_a_round_with_no_one_or_nowhere_allocates_nothing():
    assert allocate(_round([], [], [])).place_of == ()
    assert allocate(_round([[], []], [], [])).place_of == (None, None)


@pytest.mark.parametrize(
    ("preferences", "capacities", "place_ranks", "seed", "wrong"),
    [
        ([[0, 0]], [1], [{0: 1}], 0, "chose a place twice"),
        ([[1]], [1], [{0: 1}], 0, "chose a place that does not exist"),
        ([[-1]], [1], [{0: 1}], 0, "chose a place that does not exist"),
        ([[0]], [-1], [{0: 1}], 0, "capacity is at least 0"),
        ([[0]], [1], [{0: 1}, {}], 0, "2 places have ranks but 1 have capacities"),
        ([[0]], [1], [{1: 1}], 0, "ranked a participant who does not exist"),
        ([[0]], [1], [{0: 1}], -3, "non-negative integer"),
    ],
)
def test_an_inconsistent_round_is_refused(preferences, capacities, place_ranks, seed, wrong):
    with pytest.raises(ValueError, match=wrong):
        _round(preferences, capacities, place_ranks, seed)


@pytest.mark.parametrize(
    ("keys", "wrong"),
    [
        ([5], "1 keys for 2 participants"),
        ([5, 5], "distinct non-negative"),
        ([5, -1], "distinct non-negative"),
    ],
)
def test_participants_keys_are_one_distinct_id_each(keys, wrong):
    with pytest.raises(ValueError, match=wrong):
        Instance([[0], [0]], [1], [{0: 1, 1: 1}], 0, keys)


def test_a_seed_beyond_64_bits_is_refused_rather_than_wrapped_onto_another():
    with pytest.raises(ValueError, match="non-negative integer"):
        draw_lottery(2**64, [1])
