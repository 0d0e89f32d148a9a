"""The matching engine: a pure library of arrays in, ranked and explained matches out.

``Engine`` and what comes with it are loaded on first use: fitting needs scikit-learn, which
takes longer to import than the rest of the service, while the web app and the models read only
the engine's reasons, frames and settings.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from matcher.engine.config import EngineConfig, Weights
from matcher.engine.explain import Reason, Reasons
from matcher.engine.exposure import Exposure, exposure, exposure_prices, gini
from matcher.engine.frames import KINDS, PeopleFrame, PlacementFrame

if TYPE_CHECKING:
    from matcher.engine.engine import ENGINE_VERSION, Engine, TopK

# Loaded from matcher.engine.engine when first asked for.
_FITTING = frozenset({"ENGINE_VERSION", "Engine", "TopK"})

__all__ = [
    "ENGINE_VERSION",
    "KINDS",
    "Engine",
    "EngineConfig",
    "Exposure",
    "PeopleFrame",
    "PlacementFrame",
    "Reason",
    "Reasons",
    "TopK",
    "Weights",
    "exposure",
    "exposure_prices",
    "gini",
]


def __getattr__(name: str) -> object:
    if name not in _FITTING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module("matcher.engine.engine"), name)
