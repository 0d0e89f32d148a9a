"""The shipped match weights are the ones bench.fit_weights fitted, so the two cannot drift."""

from __future__ import annotations

import json
from pathlib import Path

from config import MATCH_WEIGHT_DEFAULTS, load_settings

FITTED_WEIGHTS = Path(__file__).parents[3] / "bench" / "fitted_weights.json"


def _fitted() -> dict[str, float]:
    return json.loads(FITTED_WEIGHTS.read_text())["weights"]


def test_the_default_weights_are_the_fitted_weights():
    fitted = _fitted()
    # The host rating's weight is a setting of its own (MATCH_WEIGHT_HOST_RATING, capped).
    del fitted["host_rating"]

    assert dict(MATCH_WEIGHT_DEFAULTS) == fitted


def test_settings_without_weight_variables_use_the_fitted_weights():
    settings = load_settings({})

    assert {
        **dict(settings.match_weights),
        "host_rating": settings.match_weight_host_rating,
    } == _fitted()
