"""Why each participant got what they got: a verdict on every choice above their place."""

from __future__ import annotations

from enum import StrEnum

from matcher.allocation.instance import Instance, Outcome


class ChoiceVerdict(StrEnum):
    """What became of one choice on a participant's list."""

    GOT = "got"
    # The place was full with participants it ranked above this one (after the lottery).
    FILLED_BY_HIGHER = "filled_by_higher"
    # The place's order leaves the participant out; the service knows why (a hard filter or
    # the organisation's stated reason) and words it.
    UNACCEPTABLE = "unacceptable"
    # The place takes no one in this round (capacity 0).
    NO_CAPACITY = "no_capacity"
    # A choice below the one the participant got: never needed, so never tried. explain
    # does not list these; the name is here for a service that shows the whole list.
    NOT_REACHED = "not_reached"


def explain(
    instance: Instance, outcome: Outcome, participant: int
) -> list[tuple[int, ChoiceVerdict]]:
    """The verdict on each of ``participant``'s choices down to the one got (all if unplaced).

    Reads the outcome of allocate: in a stable allocation every choice above the participant's
    place that was open to them and had room was full of participants ranked above them, so
    each verdict costs O(1) and a whole round can be explained in one pass.
    """
    got = outcome.place_of[participant]
    verdicts: list[tuple[int, ChoiceVerdict]] = []
    for place in instance.preferences[participant]:
        if place == got:
            verdicts.append((place, ChoiceVerdict.GOT))
            break
        if instance.capacities[place] == 0:
            verdicts.append((place, ChoiceVerdict.NO_CAPACITY))
        elif participant not in instance.place_ranks[place]:
            verdicts.append((place, ChoiceVerdict.UNACCEPTABLE))
        else:
            verdicts.append((place, ChoiceVerdict.FILLED_BY_HIGHER))
    return verdicts
