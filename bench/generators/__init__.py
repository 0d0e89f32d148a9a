"""Data generators written apart from the engine, each with hidden interests and a graded truth.

Each module draws people and placements whose declared tags are noisy views of hidden interests
and scores every pair 0-3 from what it hid; ``GENERATORS`` names them for the benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.generators import geography_led, text_led, theme_led
from bench.generators.world import Dataset

GENERATORS: dict[str, Callable[[int, int, int], Dataset]] = {
    module.NAME: module.generate for module in (theme_led, text_led, geography_led)
}
