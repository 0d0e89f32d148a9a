"""Why each participant got what they got: a verdict on every choice above their place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import chain

import numpy as np
from numpy.typing import NDArray

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


# A verdict's code in ExplainedRound.verdict: its position here.
VERDICTS: tuple[ChoiceVerdict, ...] = tuple(ChoiceVerdict)
_CODE = {verdict: code for code, verdict in enumerate(VERDICTS)}


@dataclass(frozen=True)
class ExplainedRound:
    """explain for every participant at once: one entry per verdict, in participant order."""

    participant: NDArray[np.int64]
    place: NDArray[np.int64]
    verdict: NDArray[np.int8]  # positions in VERDICTS


def explain_all(instance: Instance, outcome: Outcome) -> ExplainedRound:
    """What explain says for each participant in turn, as arrays.

    A round of 45,000 participants has over half a million choices; explaining them one call
    per participant cost more than allocating the round. The same rules, over every choice:
    each is listed until the participant's place (all of them if unplaced), and is the place
    got, a place with no capacity, one whose order leaves the participant out, or filled.
    """
    lengths = np.fromiter(map(len, instance.preferences), np.int64, instance.participants)
    participant = np.repeat(np.arange(instance.participants, dtype=np.int64), lengths)
    place = np.fromiter(chain.from_iterable(instance.preferences), np.int64, int(lengths.sum()))
    got = np.fromiter(
        (-1 if at is None else at for at in outcome.place_of), np.int64, instance.participants
    )
    is_got = place == got[participant]
    # Listed: no place got before it, counting from the participant's first choice.
    got_before = np.cumsum(is_got) - is_got
    listed = got_before == got_before[(np.cumsum(lengths) - lengths)[participant]]
    participant, place, is_got = participant[listed], place[listed], is_got[listed]
    ranks = instance.place_ranks
    acceptable = np.fromiter(
        (i in ranks[j] for i, j in zip(participant.tolist(), place.tolist(), strict=True)),
        np.bool_,
        len(place),
    )
    no_capacity = np.asarray(instance.capacities, dtype=np.int64)[place] == 0
    verdict = np.select(
        [is_got, no_capacity, ~acceptable],
        [
            _CODE[ChoiceVerdict.GOT],
            _CODE[ChoiceVerdict.NO_CAPACITY],
            _CODE[ChoiceVerdict.UNACCEPTABLE],
        ],
        _CODE[ChoiceVerdict.FILLED_BY_HIGHER],
    ).astype(np.int8)
    return ExplainedRound(participant=participant, place=place, verdict=verdict)
