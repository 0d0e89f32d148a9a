"""The matching engine: a pure library of arrays in, ranked and explained matches out."""

from matcher.engine.config import EngineConfig, Weights
from matcher.engine.engine import ENGINE_VERSION, Engine, TopK
from matcher.engine.explain import Reason, Reasons
from matcher.engine.exposure import Exposure, exposure, exposure_prices, gini
from matcher.engine.frames import KINDS, PeopleFrame, PlacementFrame

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
