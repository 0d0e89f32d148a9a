"""Participant-proposing deferred acceptance with capacities (hospitals/residents, Roth 1984).

Each free participant proposes to their next choice; the place holds its best proposals up to
its capacity and rejects the worst, who proposes again further down their list. The result is
stable (no participant and place would both rather have each other), the best stable result
for every participant, and no participant gains by misreporting their list.

Speed: one integer key per proposal, rank * n + lottery, orders a
place's applicants by rank then lottery in a single comparison; each place keeps its held keys
in a heap whose top is the worst held, so a proposal costs O(log capacity). Iterative with an
explicit stack of free participants: no recursion, whatever the size.
"""

from __future__ import annotations

from heapq import heappush, heapreplace

from matcher.allocation.instance import Instance, Outcome
from matcher.allocation.lottery import draw_lottery


def allocate(instance: Instance) -> Outcome:
    """The participant-optimal stable allocation of ``instance``, ties broken by its lottery."""
    n = instance.participants
    lottery = draw_lottery(instance.seed, instance.lottery_keys)
    by_lottery = [0] * n
    for participant, number in enumerate(lottery):
        by_lottery[number] = participant
    preferences = instance.preferences
    capacities = instance.capacities
    place_ranks = instance.place_ranks

    # held[j]: negated keys of the participants place j holds, so held[j][0] is the worst.
    held: list[list[int]] = [[] for _ in capacities]
    next_choice = [0] * n
    free = list(range(n - 1, -1, -1))
    while free:
        participant = free.pop()
        choices = preferences[participant]
        choice = next_choice[participant]
        while choice < len(choices):
            place = choices[choice]
            choice += 1
            # Looked up as proposals are made: most participants never go far down their list.
            rank = place_ranks[place].get(participant)
            if rank is None:
                continue
            key = rank * n + lottery[participant]
            heap = held[place]
            if len(heap) < capacities[place]:
                heappush(heap, -key)
                break
            # A place with no capacity holds no one, so its empty heap refuses everyone.
            if heap and -heap[0] > key:
                rejected = -heapreplace(heap, -key)
                free.append(by_lottery[rejected % n])
                break
        next_choice[participant] = choice

    place_of: list[int | None] = [None] * n
    for place, heap in enumerate(held):
        for negated in heap:
            place_of[by_lottery[-negated % n]] = place
    return Outcome(place_of=tuple(place_of), lottery=lottery)
