"""What an allocation takes and what it gives back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Instance:
    """One round's preferences, capacities and orders, by position: participant i, place j."""

    # participant i -> place indices, most preferred first (no duplicates)
    preferences: Sequence[Sequence[int]]
    # place j -> how many of the cohort it takes (>= 0)
    capacities: Sequence[int]
    # place j -> {participant i: rank}; lower is better; equal ranks are ties; a participant
    # absent from place j's mapping is unacceptable to j
    place_ranks: Sequence[Mapping[int, int]]
    # lottery seed (>= 0): ties are broken by one lottery number per participant drawn from it,
    # see matcher.allocation.lottery
    seed: int
    # participant i -> the id its lottery number is keyed by (distinct, >= 0), so a participant
    # draws the same number wherever they stand; empty: keyed by position
    keys: Sequence[int] = ()

    def __post_init__(self) -> None:
        places = len(self.capacities)
        if len(self.place_ranks) != places:
            raise ValueError(
                f"{len(self.place_ranks)} places have ranks but {places} have capacities"
            )
        if any(capacity < 0 for capacity in self.capacities):
            raise ValueError("a place's capacity is at least 0")
        for participant, choices in enumerate(self.preferences):
            if choices and (min(choices) < 0 or max(choices) >= places):
                raise ValueError(f"participant {participant} chose a place that does not exist")
            if len(set(choices)) != len(choices):
                raise ValueError(f"participant {participant} chose a place twice")
        participants = len(self.preferences)
        for place, ranks in enumerate(self.place_ranks):
            if ranks and (min(ranks) < 0 or max(ranks) >= participants):
                raise ValueError(f"place {place} ranked a participant who does not exist")
        if self.seed < 0:
            raise ValueError(f"a lottery seed is a non-negative integer, not {self.seed}")
        if self.keys:
            if len(self.keys) != participants:
                raise ValueError(f"{len(self.keys)} keys for {participants} participants")
            if min(self.keys) < 0 or len(set(self.keys)) != participants:
                raise ValueError("participants' keys are distinct non-negative integers")

    @property
    def lottery_keys(self) -> Sequence[int]:
        """What each participant's lottery number is keyed by: their id, else their position."""
        return self.keys or range(self.participants)

    @property
    def participants(self) -> int:
        return len(self.preferences)

    @property
    def places(self) -> int:
        return len(self.capacities)


@dataclass(frozen=True)
class Outcome:
    """Where each participant was placed, and the lottery that broke ties (kept for audit)."""

    place_of: tuple[int | None, ...]  # participant -> place index, or None if unplaced
    lottery: tuple[int, ...]  # participant -> lottery number used to break ties
