"""The lottery that breaks ties in a place's order, drawn from the round's stored seed.

How a lottery is drawn, so that anyone holding the seed and the participants' ids can repeat it:
    draw(key) = output number key + 1 of SplitMix64 started from the seed, that is, with all
                arithmetic modulo 2**64 and x = seed + (key + 1) * 0x9E3779B97F4A7C15:
                z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
                z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                draw = z ^ (z >> 31)
    lottery[i] = position of participant i when participants are sorted by (draw(key_i), key_i)
where key_i is participant i's own id (the round's participant row id). Lottery numbers are
0 .. n - 1, each used once; a lower number wins a tie. A participant's draw depends on the seed
and their id alone, never on where they stand in the instance, so the same seed gives the same
result whatever order the rows load in. The formula is plain integer arithmetic, so no library
or Python version can change it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(seed: int, keys: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Output number key + 1 of SplitMix64 from ``seed``, for every key at once (mod 2**64)."""
    x = np.full(len(keys), seed, dtype=np.uint64) + (keys + np.uint64(1)) * GOLDEN_GAMMA
    z = (x ^ (x >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    return z ^ (z >> np.uint64(31))


def draw_lottery(seed: int, keys: Sequence[int]) -> tuple[int, ...]:
    """Each participant's lottery number (a permutation of 0 .. len(keys) - 1) from ``seed``,
    keyed by ``keys``: participant i's id, distinct and non-negative."""
    if not 0 <= seed < 2**64:
        # One seed, one lottery: a seed outside 64 bits would wrap onto another's.
        raise ValueError(f"a lottery seed is a non-negative integer, not {seed}")
    ids = np.asarray(keys, dtype=np.uint64).reshape(-1)
    order = np.lexsort((ids, _splitmix64(seed, ids)))
    lottery = np.empty(len(ids), dtype=np.int64)
    lottery[order] = np.arange(len(ids), dtype=np.int64)
    return tuple(lottery.tolist())
