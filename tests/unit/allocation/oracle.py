"""The `matching` library's resident-optimal answer to an Instance; an independent stability check.

Both read the instance the same way allocate promises to: a place orders the participants it
ranks by (rank, lottery number), lower first; anyone it does not rank, or any place that takes
no one, is out of reach.
"""

from __future__ import annotations

from collections.abc import Sequence

from matching.games import HospitalResident

from matcher.allocation import Instance


def strict_order(instance: Instance, lottery: Sequence[int], place: int) -> list[int]:
    """The participants ``place`` accepts, best first, its ties broken by the lottery."""
    ranks = instance.place_ranks[place]
    return sorted(ranks, key=lambda participant: (ranks[participant], lottery[participant]))


def library_allocation(instance: Instance, lottery: Sequence[int]) -> tuple[int | None, ...]:
    """Participant -> place in the library's resident-optimal HospitalResident matching.

    The library wants a clean game (each side ranks exactly those who rank it, capacities of at
    least one, no empty lists) and warns otherwise, so the pairs that cannot match are dropped
    here; that changes no stable matching.
    """
    open_places = [
        place
        for place in range(instance.places)
        if instance.capacities[place] > 0 and instance.place_ranks[place]
    ]
    resident_prefs = {}
    for participant, choices in enumerate(instance.preferences):
        acceptable = [
            place
            for place in choices
            if instance.capacities[place] > 0 and participant in instance.place_ranks[place]
        ]
        if acceptable:
            resident_prefs[participant] = acceptable
    hospital_prefs = {}
    for place in open_places:
        applicants = [
            participant
            for participant in strict_order(instance, lottery, place)
            if place in resident_prefs.get(participant, ())
        ]
        if applicants:
            hospital_prefs[place] = applicants
    capacities = {place: instance.capacities[place] for place in hospital_prefs}
    game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    matching = game.solve(optimal="resident")
    place_of: list[int | None] = [None] * instance.participants
    for hospital, residents in matching.items():
        for resident in residents:
            place_of[resident.name] = hospital.name
    return tuple(place_of)


def blocking_pairs(
    instance: Instance, lottery: Sequence[int], place_of: Sequence[int | None]
) -> list[tuple[int, int]]:
    """Every (participant, place) that would both rather have each other than what they got.

    Written from the definition, pair by pair, sharing nothing with allocate.
    """
    pairs = []
    for participant, choices in enumerate(instance.preferences):
        got = place_of[participant]
        better = choices if got is None else choices[: list(choices).index(got)]
        for place in better:
            ranks = instance.place_ranks[place]
            if participant not in ranks or instance.capacities[place] == 0:
                continue
            holders = [other for other, there in enumerate(place_of) if there == place]
            mine = (ranks[participant], lottery[participant])
            if len(holders) < instance.capacities[place] or any(
                (ranks[other], lottery[other]) > mine for other in holders
            ):
                pairs.append((participant, place))
    return pairs
