"""The lottery that breaks ties in a place's order, drawn from the round's stored seed.

How a lottery is drawn, so that anyone holding the seed can repeat it:
    draws = [random.Random(seed).random() for each participant 0, 1, ..., n - 1 in turn]
    lottery[i] = position of participant i when participants are sorted by (draws[i], i)
Lottery numbers are 0 .. n - 1, each used once; a lower number wins a tie. Only the stream of
``random()`` from an integer seed is promised to stay the same across Python versions
(shuffle, choice and numpy's generators are not), so the draw uses nothing else. A
participant's number depends on their position in the instance, so a caller that wants a
rerun to repeat must list participants in a stable order (for example by id).
"""

from __future__ import annotations

import random


def draw_lottery(seed: int, participants: int) -> tuple[int, ...]:
    """Each participant's lottery number (a permutation of 0 .. participants - 1) from ``seed``."""
    if seed < 0:
        # random.Random seeds with abs(seed): a negative seed would silently repeat another.
        raise ValueError(f"a lottery seed is a non-negative integer, not {seed}")
    stream = random.Random(seed)
    draws = [stream.random() for _ in range(participants)]
    lottery = [0] * participants
    for number, participant in enumerate(sorted(range(participants), key=draws.__getitem__)):
        lottery[participant] = number
    return tuple(lottery)
