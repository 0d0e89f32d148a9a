"""Plain-English sentences for why an allocation gave a participant what it gave them.

An allocation result stores facts, not words (``AllocationResult.explanation``): for each of the
participant's choices down to the one they got (all of them if they were not placed), the
round place, a verdict and, for some verdicts, what lies behind it. This module is the one
place that words those facts, for the participant's results page, the API and the results
email; callers pass in the names of the places' placements and organisations.

Verdicts are ``matcher.allocation.ChoiceVerdict``'s, plus one the allocation service tells
apart from "unacceptable" before the algorithm runs: ``cannot_start``, the participant could
not start the placement (the engine's hard filter): it starts before they are free, or after
the last day they are available. "Unacceptable" is then always the organisation's own mark,
with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from matcher.allocation import ChoiceVerdict
from matcher.reasons import date_in_words

V = ChoiceVerdict
CANNOT_START: Final = "cannot_start"

# Why a participant could not start a placement: the two halves of the engine's start rule.
STARTS_BEFORE_FREE: Final = "starts_before_free"
STARTS_AFTER_AVAILABLE: Final = "starts_after_available"

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def ordinal_in_words(number: int) -> str:
    """1 -> "first" ... 8 -> "eighth", then "9th", "21st", "22nd", "13th"."""
    if 1 <= number <= len(_ORDINALS):
        return _ORDINALS[number - 1]
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


@dataclass(frozen=True, slots=True)
class PlaceNames:
    """What a sentence calls a round place: its placement's title and organisation's name."""

    placement: str
    organisation: str


# The sentence for each verdict; {placement}, {organisation} and {reason} are filled in.
CHOICE_WORDS: Final[dict[str, str]] = {
    V.GOT: "{placement} with {organisation}: you got this place",
    V.FILLED_BY_HIGHER: (
        "{placement} with {organisation}: its places were filled by participants "
        "{organisation} ranked above you"
    ),
    V.UNACCEPTABLE: "{placement}: {organisation} marked you unacceptable: {reason}",
    CANNOT_START: "{placement} with {organisation}: you could not start it: {reason}",
    V.NO_CAPACITY: "{placement} with {organisation}: it took no one in this round",
    V.NOT_REACHED: "{placement} with {organisation}: not needed, as you got a higher choice",
}

CANNOT_START_WORDS: Final[dict[str, str]] = {
    STARTS_BEFORE_FREE: "it starts on {starts}, before you are free on {free_from}",
    STARTS_AFTER_AVAILABLE: "it starts on {starts}, after you are available until {free_until}",
}

PLACED_HEADLINE = "You got your {ordinal} choice: {placement} with {organisation}"
UNPLACED_HEADLINE = "You have not been given a place in this round"
# Facts with no stored reason (written before reasons were kept, or by hand) still read well.
NO_REASON = "no reason was given"


def cannot_start_fact(starts: date, free_from: date, free_until: date | None) -> dict[str, Any]:
    """The stored facts of why a participant could not start a placement."""
    why = STARTS_BEFORE_FREE if starts < free_from else STARTS_AFTER_AVAILABLE
    return {
        "why": why,
        "starts": starts.isoformat(),
        "free_from": free_from.isoformat(),
        "free_until": free_until.isoformat() if free_until else None,
    }


def _cannot_start_in_words(facts: Mapping[str, Any]) -> str:
    dates = {
        name: date_in_words(date.fromisoformat(facts[name]))
        for name in ("starts", "free_from", "free_until")
        if facts.get(name)
    }
    return CANNOT_START_WORDS[facts["why"]].format(**dates)


def choice_in_words(choice: Mapping[str, Any], names: PlaceNames) -> str:
    """One stored choice fact as a sentence."""
    verdict = choice["verdict"]
    if verdict == CANNOT_START:
        reason = _cannot_start_in_words(choice["cannot_start"])
    else:
        reason = choice.get("reason") or NO_REASON
    return CHOICE_WORDS[verdict].format(
        placement=names.placement, organisation=names.organisation, reason=reason
    )


@dataclass(frozen=True, slots=True)
class ResultInWords:
    """A participant's result as they read it: a headline, then a sentence per choice."""

    headline: str
    choices: list[str]


def result_in_words(
    choice_number: int | None,
    explanation: Mapping[str, Any],
    names: Mapping[int, PlaceNames],
) -> ResultInWords:
    """The headline and the sentence for each choice of a stored result."""
    choices: Sequence[Mapping[str, Any]] = explanation.get("choices", ())
    sentences = [choice_in_words(c, names[c["round_place_id"]]) for c in choices]
    if choice_number is None:
        return ResultInWords(UNPLACED_HEADLINE, sentences)
    got = names[choices[choice_number - 1]["round_place_id"]]
    headline = PLACED_HEADLINE.format(
        ordinal=ordinal_in_words(choice_number),
        placement=got.placement,
        organisation=got.organisation,
    )
    return ResultInWords(headline, sentences)
