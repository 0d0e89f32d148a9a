"""The matching engine: a pure library of arrays in, ranked and explained matches out."""

from matcher.matching.config import EngineConfig, Weights
from matcher.matching.engine import ENGINE_VERSION, Engine, TopK
from matcher.matching.explain import Reason, Reasons
from matcher.matching.exposure import Exposure, Reranked, exposure, gini, rerank_for_exposure
from matcher.matching.frames import KINDS, PeopleFrame, PlacementFrame

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
    "Reranked",
    "TopK",
    "Weights",
    "exposure",
    "gini",
    "rerank_for_exposure",
]
